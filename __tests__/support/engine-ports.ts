import { randomBytes } from 'node:crypto'
import type { Audit, AuditEvent } from '../../src/engine/outcome.js'
import type {
  Clock,
  HealthCheck,
  HealthResult,
  Issuer,
  Lease,
  LeaseCheck,
  Lock,
  Minted,
  Retired,
  Sleep,
  Store,
  Targets,
  WriteOptions
} from '../../src/engine/ports.js'
import { rotationStateSchema, type RotationState } from '../../src/engine/state.js'
import { ActionError } from '../../src/errors.js'
import type { TargetResult } from '../../src/report/result.js'

/**
 * In-memory implementations of the engine's ports (src/engine/ports.ts). They are small fakes of
 * the real peers, with their semantics (a rotating OAuth2 server, a store with a one-writer lock,
 * GitHub secrets), not mocks: tests assert on the state they end in.
 */

// --- the runner: kill a run at a port call ----------------------------------------------------

/** The port calls a run can be killed at. */
export type PortCall =
  | 'lock'
  | 'release'
  | 'readState'
  | 'writeState'
  | 'check'
  | 'persist'
  | 'preflight'
  | 'publish'
  | 'mint'
  | 'revoke'
  | 'health'
  | 'seal'
  | 'keepRetiring'

/** Where a run dies: before or after the `nth` call (from 1) of `call` in that run. */
export interface KillPoint {
  call: PortCall
  when: 'before' | 'after'
  nth?: number
}

/** What every port call throws once the runner is dead: nothing it asks for happens any more. */
export class RunnerKilled extends Error {
  override readonly name = 'RunnerKilled'
  constructor(call: PortCall) {
    super(`the runner was killed (at ${call})`)
  }
}

/**
 * The machine a run executes on. Every port call goes through {@link Runner.call}: once the runner
 * is killed, no call has any effect, as if the process was gone (the lock is never released, the
 * record never updated). `kill: after` lets the call take effect and loses its answer.
 */
export class Runner {
  #dead = false
  #kill: KillPoint | undefined
  #calls = new Map<PortCall, number>()

  /** A fresh runner for the next run, optionally dying at `kill`. */
  reset(kill?: KillPoint): void {
    this.#dead = false
    this.#kill = kill
    this.#calls = new Map()
  }

  get dead(): boolean {
    return this.#dead
  }

  async call<T>(call: PortCall, body: () => T | Promise<T>): Promise<T> {
    if (this.#dead) throw new RunnerKilled(call)
    const n = (this.#calls.get(call) ?? 0) + 1
    this.#calls.set(call, n)
    const kill = this.#kill
    const here = kill !== undefined && kill.call === call && (kill.nth ?? 1) === n
    if (here && kill.when === 'before') {
      this.#dead = true
      throw new RunnerKilled(call)
    }
    const value = await body()
    if (here) {
      this.#dead = true
      throw new RunnerKilled(call)
    }
    return value
  }
}

// --- clock, sleep, audit ------------------------------------------------------------------------

/** A clock that only moves when told to. */
export class MemoryClock implements Clock {
  #now: number

  constructor(start = Date.parse('2026-03-01T12:00:00.000Z')) {
    this.#now = start
  }

  now(): Date {
    return new Date(this.#now)
  }

  advance(ms: number): void {
    this.#now += ms
    const due = this.#timers.filter(timer => timer.at <= this.#now)
    this.#timers = this.#timers.filter(timer => timer.at > this.#now)
    for (const timer of due) timer.fire()
  }

  /** Calls `fire` once this clock reaches `at` (at once when it has): a timer on this clock. */
  at(at: number, fire: () => void): void {
    if (at <= this.#now) fire()
    else this.#timers.push({ at, fire })
  }

  #timers: { at: number; fire: () => void }[] = []
}

/** A sleep that returns at once and moves the clock by what it was asked to wait. */
export class MemorySleep {
  readonly waits: number[] = []
  readonly sleep: Sleep

  constructor(clock: MemoryClock) {
    this.sleep = (ms: number) => {
      this.waits.push(ms)
      clock.advance(ms)
      return Promise.resolve()
    }
  }
}

/** Keeps every audit event, in order. */
export class MemoryAudit implements Audit {
  readonly events: AuditEvent[] = []

  record(event: AuditEvent): void {
    this.events.push(structuredClone(event))
  }
}

// --- the issuer: a rotating OAuth2 server ---------------------------------------------------------

interface Grant {
  id: number
  revoked: boolean
}

interface IssuedToken {
  grant: Grant
  /** A refresh token that was exchanged; an access token that was revoked. */
  spent: boolean
  expiresAt?: Date
}

/** How the next mint goes wrong. */
export type MintFault =
  /** The request reached the issuer, which rotated, but the answer was lost. */
  | 'outcome-unknown'
  /** The request never reached the issuer. */
  | 'unreachable'
  /** The issuer answered with an error that consumes nothing (invalid_client). */
  | 'rejected'
  /** The issuer answers without a new refresh token (RFC 6749 section 6: keep the old one). */
  | 'no-rotation'

function token(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`
}

/**
 * An OAuth2 server with refresh-token rotation and reuse detection, as oidc-provider runs it:
 * each refresh token works once; presenting a spent one revokes its whole grant (every refresh and
 * access token of it). RFC 7009 revocation answers alike for known and unknown tokens.
 */
export class MemoryIssuer implements Issuer {
  readonly kind = 'oauth2'
  /** Every value this server ever issued, for leak checks. */
  readonly issued: string[] = []
  /** Every value revocation was asked for, in order. */
  readonly revocations: string[] = []
  /** Requests that reached the token endpoint. */
  requests = 0
  /** RFC 7009 lets a server revoke the whole grant along with one access token. */
  revokeGrantWithAccessToken = false
  accessTokenTtlMs = 60 * 60 * 1000
  #faults: MintFault[] = []
  #revokeFails = false
  #grants = 0
  readonly #refresh = new Map<string, IssuedToken>()
  readonly #access = new Map<string, IssuedToken>()
  readonly #clock: Clock
  readonly #runner: Runner

  constructor(clock: Clock, runner: Runner) {
    this.#clock = clock
    this.#runner = runner
  }

  /** A user's consent: a new grant with its first refresh and access tokens. */
  authorize(): { refreshToken: string; accessToken: string } {
    const grant = { id: ++this.#grants, revoked: false }
    return { refreshToken: this.#issueRefresh(grant), accessToken: this.#issueAccess(grant) }
  }

  /** The next mints go wrong, one fault each, in order. */
  failNextMint(...faults: MintFault[]): void {
    this.#faults.push(...faults)
  }

  failRevocations(fail = true): void {
    this.#revokeFails = fail
  }

  mint(current: string): Promise<Minted> {
    return this.#runner.call('mint', () => {
      const fault = this.#faults.shift()
      if (fault === 'unreachable') {
        throw new ActionError('The token endpoint could not be reached (connection refused).', {
          code: 'issuer-unreachable',
          phase: 'mint',
          retryable: true
        })
      }
      this.requests += 1
      if (fault === 'rejected') {
        throw new ActionError('The token endpoint answered 401 invalid_client.', {
          code: 'issuer-rejected',
          phase: 'mint'
        })
      }
      const found = this.#refresh.get(current)
      if (found === undefined || found.grant.revoked) throw invalidGrant()
      if (found.spent) {
        // Reuse detection: a spent refresh token presented again revokes the whole grant.
        found.grant.revoked = true
        throw invalidGrant()
      }
      const value = this.#issueAccess(found.grant)
      const expiresAt = this.#access.get(value)?.expiresAt
      if (fault === 'no-rotation') {
        return { value, next: current, rotated: false, ...(expiresAt ? { expiresAt } : {}) }
      }
      found.spent = true
      const next = this.#issueRefresh(found.grant)
      if (fault === 'outcome-unknown') {
        throw new ActionError(
          'The token endpoint did not answer within 10 s; the refresh token may have been used.',
          { code: 'issuer-outcome-unknown', phase: 'mint' }
        )
      }
      return { value, next, rotated: true, ...(expiresAt ? { expiresAt } : {}) }
    })
  }

  /** RFC 7009: revokes a token by its value. */
  readonly revokes = 'value'

  revoke(retired: Retired): Promise<void> {
    return this.#runner.call('revoke', () => {
      if (retired.by !== 'value') throw new Error('an OAuth2 server revokes by value only')
      const { value } = retired
      if (this.#revokeFails) {
        throw new ActionError('The revocation endpoint answered 503.', {
          code: 'issuer-unreachable',
          phase: 'retire'
        })
      }
      this.revocations.push(value)
      const refresh = this.#refresh.get(value)
      if (refresh) refresh.grant.revoked = true
      const access = this.#access.get(value)
      if (access) {
        access.spent = true
        if (this.revokeGrantWithAccessToken) access.grant.revoked = true
      }
    })
  }

  /** True when `value` is a refresh token that would be exchanged now. */
  refreshTokenLive(value: string): boolean {
    const found = this.#refresh.get(value)
    return found !== undefined && !found.spent && !found.grant.revoked
  }

  /** True when `value` is an access token a resource server would accept now. */
  accessTokenLive(value: string): boolean {
    const found = this.#access.get(value)
    if (found === undefined || found.spent || found.grant.revoked) return false
    return found.expiresAt === undefined || found.expiresAt > this.#clock.now()
  }

  /** True while the grant `value` belongs to has not been revoked. */
  grantAlive(value: string): boolean {
    const found = this.#refresh.get(value) ?? this.#access.get(value)
    return found !== undefined && !found.grant.revoked
  }

  /** The refresh tokens that would be exchanged now, across all grants. */
  liveRefreshTokens(): string[] {
    return [...this.#refresh.keys()].filter(value => this.refreshTokenLive(value))
  }

  /** The last refresh token issued, whoever received it. */
  lastRefreshToken(): string | undefined {
    return [...this.#refresh.keys()].at(-1)
  }

  /** The last access token issued, whoever received it. */
  lastAccessToken(): string | undefined {
    return [...this.#access.keys()].at(-1)
  }

  #issueRefresh(grant: Grant): string {
    const value = token('rt')
    this.#refresh.set(value, { grant, spent: false })
    this.issued.push(value)
    return value
  }

  #issueAccess(grant: Grant): string {
    const value = token('at')
    const expiresAt = new Date(this.#clock.now().getTime() + this.accessTokenTtlMs)
    this.#access.set(value, { grant, spent: false, expiresAt })
    this.issued.push(value)
    return value
  }
}

function invalidGrant(): ActionError {
  return new ActionError(
    'The issuer refused the refresh token (invalid_grant): it is expired, revoked or already used. Re-authorize and store a new refresh token.',
    { code: 'reauthorization-needed', phase: 'mint' }
  )
}

// --- the lock's lease ---------------------------------------------------------------------------

/** A lock as a memory store holds it: who, until when on the lock's clock, and which holding. */
export interface HeldLock {
  owner: string
  expiresAt: number
  id: number
}

/**
 * The lease of a memory lock, with the semantics of the GitHub variable lock: `confirm` reads the
 * lock again (`read` answers what the lock holds now), on the lock's own clock.
 */
export function memoryLease(options: {
  held: HeldLock
  clock: Clock
  read: () => HeldLock | undefined
  release: () => Promise<void>
}): Lease {
  const { held, clock, read } = options
  return {
    holder: `${held.owner} (lock ${String(held.id)})`,
    endsBy: () => new Date(held.expiresAt),
    now: () => clock.now(),
    leftMs: () => held.expiresAt - clock.now().getTime(),
    deadline: (marginMs: number): AbortSignal => {
      const controller = new AbortController()
      const abort = (): void => {
        controller.abort(
          Object.assign(new Error(`the lease has less than ${String(marginMs)} ms left`), {
            name: 'AbortError'
          })
        )
      }
      const due = held.expiresAt - marginMs
      if (clock instanceof MemoryClock) clock.at(due, abort)
      else if (due <= clock.now().getTime()) abort()
      return controller.signal
    },
    confirm: (neededMs: number): Promise<LeaseCheck> => {
      const now = read()
      if (now === undefined) {
        return Promise.resolve({
          held: false,
          owned: false,
          reason: 'the lock was deleted by someone else'
        })
      }
      if (now.id !== held.id) {
        return Promise.resolve({
          held: false,
          owned: false,
          reason: `the lock is held by ${now.owner}`
        })
      }
      const leftMs = now.expiresAt - clock.now().getTime()
      return Promise.resolve(
        leftMs < neededMs
          ? { held: false, owned: true, reason: `the lease has ${String(leftMs)} ms left` }
          : { held: true, endsAt: new Date(now.expiresAt), leftMs }
      )
    },
    release: options.release
  }
}

// --- the store: the refresh token's secret, the record and the lock --------------------------------

/** What a broken store throws: it says which operation failed, never a value. */
export class StoreFault extends Error {
  override readonly name = 'StoreFault'
  constructor(operation: string) {
    super(`the store is unavailable (${operation}: HTTP 503)`)
  }
}

/**
 * The store, as the GitHub store keeps it: the refresh token in a secret, the record as JSON in a
 * variable (checked against the schema on every write), and a lock that a second run cannot take
 * while the first holds it and its time-to-live has not run out.
 */
export class MemoryStore implements Store, Lock {
  readonly kind = 'memory'
  readonly description = 'secret OAUTH_REFRESH_TOKEN of acme/app'
  readonly resetHint = 'delete the variable OAUTH_REFRESH_TOKEN_STATE'
  readonly persistTimeoutMs = 2 * 60_000
  /** The live credential (the secret's value). */
  secret: string
  /** Every record written, as JSON, in order: for leak checks and "nothing written". */
  readonly recordWrites: string[] = []
  /** Every owner that took the lock, in order. */
  readonly lockOwners: string[] = []
  /** Attempts per persist: 1 is a store that leaves retrying to no one; >1 retries like GitHub's. */
  persistAttempts = 1
  #record: string | undefined
  #lock: { owner: string; expiresAt: number; id: number } | undefined
  #locks = 0
  #writeCalls = 0
  #failWritesAt = new Set<number>()
  #persistFailures = 0
  #lockFails = false
  #readFails = false
  #checkFails = false
  readonly #clock: Clock
  readonly #runner: Runner
  readonly #sleep: Sleep

  constructor(secret: string, clock: Clock, sleep: Sleep, runner: Runner) {
    this.secret = secret
    this.#clock = clock
    this.#sleep = sleep
    this.#runner = runner
  }

  /** The record as it is stored now. */
  get record(): RotationState | undefined {
    return this.#record === undefined
      ? undefined
      : rotationStateSchema.parse(JSON.parse(this.#record))
  }

  /** Sets the record by hand, as an earlier run would have left it. */
  setRecord(state: RotationState | undefined): void {
    this.#record =
      state === undefined ? undefined : JSON.stringify(rotationStateSchema.parse(state))
  }

  /** Awaited once right after the next record write lands (then cleared): another actor's move. */
  afterWrite: ((state: RotationState) => Promise<void>) | undefined

  /** Someone deletes the lock (an operator, or a request of another run that lands late). */
  dropLock(): void {
    this.#lock = undefined
  }

  /** Who holds the lock now, if anyone (an expired lock counts as free). */
  lockHolder(): string | undefined {
    const lock = this.#lock
    return lock && lock.expiresAt > this.#clock.now().getTime() ? lock.owner : undefined
  }

  /** The next `times` persists fail (Infinity: every one). */
  failPersist(times = Number.POSITIVE_INFINITY): void {
    this.#persistFailures = times
  }

  /** The `nth` writeState calls from now on (1 is the next one) fail without writing. */
  failWriteStateAt(...nth: number[]): void {
    for (const n of nth) this.#failWritesAt.add(this.#writeCalls + n)
  }

  failLock(fail = true): void {
    this.#lockFails = fail
  }

  failReadState(fail = true): void {
    this.#readFails = fail
  }

  failCheck(fail = true): void {
    this.#checkFails = fail
  }

  acquire(owner: string, ttlMs: number): Promise<Lease> {
    return this.#runner.call('lock', () => {
      if (this.#lockFails) throw new StoreFault('lock')
      const now = this.#clock.now().getTime()
      const held = this.#lock
      if (held && held.expiresAt > now) {
        throw new ActionError(
          `Another run holds the lock of ${this.description} (${held.owner}, until ${new Date(held.expiresAt).toISOString()}).`,
          { code: 'locked', phase: 'preflight' }
        )
      }
      const id = ++this.#locks
      const mine = { owner, expiresAt: now + ttlMs, id }
      this.#lock = mine
      this.lockOwners.push(owner)
      return memoryLease({
        held: mine,
        clock: this.#clock,
        read: () => this.#lock,
        release: () =>
          this.#runner.call('release', () => {
            if (this.#lock?.id === id) this.#lock = undefined
          })
      })
    })
  }

  readState(): Promise<RotationState | undefined> {
    return this.#runner.call('readState', () => {
      if (this.#readFails) throw new StoreFault('readState')
      return this.record
    })
  }

  writeState(state: RotationState, options: WriteOptions = {}): Promise<void> {
    return this.#runner.call('writeState', async () => {
      abandonIfAborted(options)
      this.#writeCalls += 1
      if (this.#failWritesAt.has(this.#writeCalls)) throw new StoreFault('writeState')
      const json = JSON.stringify(rotationStateSchema.parse(state))
      this.#record = json
      this.recordWrites.push(json)
      const after = this.afterWrite
      this.afterWrite = undefined
      await after?.(state)
    })
  }

  check(): Promise<void> {
    return this.#runner.call('check', () => {
      if (this.#checkFails) throw new StoreFault('check')
    })
  }

  persist(value: string): Promise<void> {
    return this.#runner.call('persist', async () => {
      for (let attempt = 1; ; attempt += 1) {
        if (this.#persistFailures <= 0) {
          this.secret = value
          return
        }
        this.#persistFailures -= 1
        if (attempt >= this.persistAttempts) throw new StoreFault('persist')
        await this.#sleep(2000 * attempt)
      }
    })
  }
}

// --- the targets: GitHub secrets -------------------------------------------------------------------

/** The secrets the value is published to, each with the value it holds now. */
export class MemoryTargets implements Targets {
  readonly name = 'API_TOKEN'
  readonly #values = new Map<string, string>()
  readonly #failPublish = new Set<string>()
  readonly #failPreflight = new Set<string>()
  readonly #runner: Runner

  /** @param targets `owner/repo` of each target, holding `value` */
  constructor(targets: readonly string[], value: string, runner: Runner) {
    for (const target of targets) this.#values.set(target, value)
    this.#runner = runner
  }

  /** The value each target holds, by `owner/repo`. */
  values(): Record<string, string> {
    return Object.fromEntries(this.#values)
  }

  valueOf(target: string): string | undefined {
    return this.#values.get(target)
  }

  /** Writes to these targets fail (422), until cleared. */
  failPublishTo(...targets: string[]): void {
    for (const target of targets) this.#failPublish.add(target)
  }

  /** Writes to every target work again. */
  healPublish(): void {
    this.#failPublish.clear()
  }

  failPreflightOf(...targets: string[]): void {
    for (const target of targets) this.#failPreflight.add(target)
  }

  preflight(): Promise<TargetResult[]> {
    return this.#runner.call('preflight', () =>
      [...this.#values.keys()].map(target =>
        this.#failPreflight.has(target)
          ? this.#result(target, 'failed', 'reading the public key failed: GitHub answered 403')
          : this.#result(target, 'planned')
      )
    )
  }

  publish(value: string): Promise<TargetResult[]> {
    return this.#runner.call('publish', () =>
      [...this.#values.keys()].map(target => {
        if (this.#failPublish.has(target)) {
          return this.#result(target, 'failed', 'GitHub answered 422: the sealed box did not open')
        }
        this.#values.set(target, value)
        return this.#result(target, 'updated')
      })
    )
  }

  #result(target: string, status: TargetResult['status'], error?: string): TargetResult {
    return {
      scope: 'repository',
      type: 'actions',
      target,
      name: this.name,
      status,
      ...(error === undefined ? {} : { error })
    }
  }
}

// --- the health check, the recovery key, the retiring secret -------------------------------------

/**
 * A resource server's probe endpoint: accepts the values in `valid`, and the live access tokens of
 * `issuer` when given. `down` makes every probe fail as a 503 would.
 */
export class MemoryHealthCheck implements HealthCheck {
  readonly description = 'GET https://api.example.test/health'
  readonly valid = new Set<string>()
  /** Every value probed, in order (the server's access log). */
  readonly probed: string[] = []
  down = false
  /** Values this endpoint refuses with a 401 even though they are live (a token that lost a scope). */
  refuse: ((value: string) => boolean) | undefined
  readonly #issuer: MemoryIssuer | undefined
  readonly #runner: Runner

  constructor(runner: Runner, issuer?: MemoryIssuer) {
    this.#runner = runner
    this.#issuer = issuer
  }

  check(value: string): Promise<HealthResult> {
    return this.#runner.call('health', () => {
      this.probed.push(value)
      if (this.down) return { ok: false, attempts: 3, detail: 'HTTP 503' }
      if (this.refuse?.(value)) return { ok: false, attempts: 3, detail: 'HTTP 401' }
      const ok = this.valid.has(value) || (this.#issuer?.accessTokenLive(value) ?? false)
      return { ok, attempts: ok ? 1 : 3, detail: ok ? 'HTTP 200' : 'HTTP 401' }
    })
  }
}

/** The recovery key pair: seals a value into a ciphertext that holds no trace of it. */
export class MemoryRecoveryKey {
  readonly #sealed = new Map<string, string>()
  #fails = false
  readonly #runner: Runner

  constructor(runner: Runner) {
    this.#runner = runner
  }

  failSealing(fail = true): void {
    this.#fails = fail
  }

  readonly seal = (value: string): Promise<string> =>
    this.#runner.call('seal', () => {
      if (this.#fails) throw new Error('the recovery public key is not a valid X25519 key')
      const ciphertext = `sealed:${randomBytes(24).toString('base64')}`
      this.#sealed.set(ciphertext, value)
      return ciphertext
    })

  /** What the holder of the private key reads (token-rotation recover). */
  open(ciphertext: string): string | undefined {
    return this.#sealed.get(ciphertext)
  }
}

/** The `<name>_RETIRING` secret: where a replaced value waits for its deferred revocation. */
export class MemoryRetiringSecret {
  value: string | undefined
  #fails = false
  readonly #runner: Runner

  constructor(runner: Runner) {
    this.#runner = runner
  }

  failWrites(fail = true): void {
    this.#fails = fail
  }

  readonly keep = (value: string): Promise<void> =>
    this.#runner.call('keepRetiring', () => {
      if (this.#fails) throw new Error('writing the retiring secret failed: GitHub answered 403')
      this.value = value
    })
}

/** A write whose signal has aborted is not sent: it fails with the signal's reason, as fetch does. */
function abandonIfAborted(options: WriteOptions): void {
  if (options.signal?.aborted === true) throw options.signal.reason
}
