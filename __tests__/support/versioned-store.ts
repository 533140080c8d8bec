import { randomBytes, randomUUID } from 'node:crypto'
import { expect } from '@jest/globals'
import { fingerprint } from '../../src/engine/fingerprint.js'
import type { Clock, Issuer, Lease, Minted, Sleep, Store } from '../../src/engine/ports.js'
import type { EngineDeps } from '../../src/engine/rotation.js'
import { emptyState, type RotationState } from '../../src/engine/state.js'
import { ActionError, type Phase } from '../../src/errors.js'
import type { Logger } from '../../src/logger.js'
import {
  readRecordTags,
  recordTags,
  TAG_PREFIX,
  type TaggedRecord
} from '../../src/stores/aws/record-tags.js'
import { versionToken } from '../../src/stores/aws/version-token.js'
import { persistWithRetries } from '../../src/stores/persist-retries.js'
import type { MemoryAudit, Runner } from './engine-ports.js'
import {
  HOUR,
  World,
  expectNoSecretLeaks,
  type PlanChanges,
  type RunOptions,
  type RunResult
} from './engine-world.js'
import type { MemoryLogger } from './memory-logger.js'

/**
 * A store with real versions for the engine's tests: an in-memory AWS Secrets Manager secret
 * (versions, staging labels, idempotent PutSecretValue, compare-and-swap UpdateSecretVersionStage,
 * tags) and a store client over it that behaves like src/stores/aws/store.ts, the reference: the
 * credential lives in the secret, the write-ahead state is the secret's own versions (AWSPENDING
 * staged under a token derived from the value, promoted from the version read as AWSCURRENT), and
 * the rest of the record is in tags, encoded as the real store encodes them (src/stores/aws/
 * record-tags.ts), the pending mark included: it is written before the version is staged.
 *
 * Each run gets its own store client (as each job builds its own), with its own snapshot of the
 * secret; the secret itself, the lock and the issuer are the world's, shared by every run.
 */

export const AWSCURRENT = 'AWSCURRENT'
export const AWSPENDING = 'AWSPENDING'
export const AWSPREVIOUS = 'AWSPREVIOUS'

/** Who moves the staging labels (as in src/stores/aws/store.ts). */
export type VersionOwner = 'action' | 'rotation-lambda'

// --- the service: one Secrets Manager secret --------------------------------------------------------

interface StoredVersion {
  readonly id: string
  readonly value: string
  readonly createdAt: Date
  labels: string[]
}

/** Secrets Manager refused the request (HTTP 400), as src/aws/errors.ts reports it. */
function refused(operation: string, reason: string, phase: Phase): ActionError {
  return new ActionError(`${operation} of secret prod/oauth failed: AWS answered ${reason}.`, {
    code: 'aws-rejected',
    phase
  })
}

/**
 * One secret in Secrets Manager, with the documented semantics: a staging label is on at most one
 * version; moving AWSCURRENT gives its former holder AWSPREVIOUS (taken off its own former
 * holder); a PutSecretValue whose ClientRequestToken names an existing version with the same value
 * does nothing (and with another value is refused); UpdateSecretVersionStage with
 * RemoveFromVersionId is refused when the label is not on that version (a compare-and-swap). Every
 * method is one API call; values never appear in its errors.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html
 */
export class MemorySecret {
  readonly name = 'prod/oauth'
  readonly arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/oauth-Ab12Cd'
  /** Every tag set the secret had after a TagResource or UntagResource, for leak checks. */
  readonly tagHistory: Record<string, string>[] = []
  readonly #versions = new Map<string, StoredVersion>()
  #tags: Record<string, string> = {}
  readonly #clock: Clock

  /** A secret whose first version (AWSCURRENT, a random version id) holds `first`. */
  constructor(first: string, clock: Clock) {
    this.#clock = clock
    this.#add(randomUUID(), first, [AWSCURRENT])
  }

  // The API calls.

  /** DescribeSecret: version id → labels, and the tags. */
  describe(): { stages: Map<string, string[]>; tags: Record<string, string> } {
    const stages = new Map<string, string[]>()
    for (const version of this.#versions.values()) {
      if (version.labels.length > 0) stages.set(version.id, [...version.labels])
    }
    return { stages, tags: { ...this.#tags } }
  }

  /** GetSecretValue by version id. */
  getValue(versionId: string, phase: Phase): { value: string; createdAt: Date } {
    const version = this.#versions.get(versionId)
    if (!version) {
      throw new ActionError(
        `Reading version ${versionId} of secret prod/oauth failed: no such version.`,
        {
          code: 'aws-not-found',
          phase
        }
      )
    }
    return { value: version.value, createdAt: new Date(version.createdAt) }
  }

  /** PutSecretValue with a ClientRequestToken: idempotent for the same token and value. */
  put(value: string, token: string, labels: readonly string[], phase: Phase): void {
    const existing = this.#versions.get(token)
    if (existing) {
      if (existing.value === value) return
      throw refused(
        'Writing version ' + token,
        'ResourceExistsException (a version with this ClientRequestToken holds another value)',
        phase
      )
    }
    this.#add(token, value, labels)
  }

  /**
   * UpdateSecretVersionStage: moves `label` to `to`, from `from`. Refused when the label is on
   * another version than `from` (or on one when `from` is not given): the compare-and-swap.
   */
  moveStage(label: string, to: string, from: string | undefined, phase: Phase): void {
    const target = this.#versions.get(to)
    if (!target)
      throw refused(`Moving ${label}`, `ResourceNotFoundException (no version ${to})`, phase)
    const holder = this.#holderOf(label)
    if (holder !== undefined ? holder.id !== from : from !== undefined) {
      throw refused(
        `Moving ${label} to version ${to}`,
        `InvalidParameterException (the staging label ${label} is attached to version ${holder?.id ?? 'none'}, not ${from ?? 'none'})`,
        phase
      )
    }
    this.#attach(target, label)
  }

  /** UpdateSecretVersionStage with RemoveFromVersionId only. */
  removeStage(label: string, from: string): void {
    const version = this.#versions.get(from)
    if (version) version.labels = version.labels.filter(l => l !== label)
  }

  tag(tags: Readonly<Record<string, string>>): void {
    if (Object.keys(tags).length === 0) return
    this.#tags = { ...this.#tags, ...tags }
    this.tagHistory.push({ ...this.#tags })
  }

  untag(keys: readonly string[]): void {
    if (keys.length === 0) return
    this.#tags = Object.fromEntries(
      Object.entries(this.#tags).filter(([key]) => !keys.includes(key))
    )
    this.tagHistory.push({ ...this.#tags })
  }

  // What a person does by hand, and what tests look at.

  /** `aws secretsmanager put-secret-value` without a token: a new version, made AWSCURRENT. */
  putByHand(value: string): string {
    const id = randomUUID()
    this.#add(id, value, [AWSCURRENT])
    return id
  }

  /** Sets the tags as an earlier run would have left them. */
  setRecord(record: TaggedRecord): void {
    this.#tags = recordTags(record)
  }

  /** The record's tag-held part, read back as the real store reads it. */
  get record(): TaggedRecord {
    return readRecordTags(this.#tags)
  }

  get tags(): Record<string, string> {
    return { ...this.#tags }
  }

  versionWith(label: string): string | undefined {
    return this.#holderOf(label)?.id
  }

  valueWith(label: string): string | undefined {
    return this.#holderOf(label)?.value
  }

  labelsOf(versionId: string): string[] {
    return [...(this.#versions.get(versionId)?.labels ?? [])].sort()
  }

  /** The id of the version that holds `value`. */
  versionOf(value: string): string | undefined {
    for (const version of this.#versions.values()) if (version.value === value) return version.id
    return undefined
  }

  /** Every value any version ever held: secrets, for the leak checks. */
  values(): string[] {
    return [...this.#versions.values()].map(v => v.value)
  }

  get versionCount(): number {
    return this.#versions.size
  }

  #add(id: string, value: string, labels: readonly string[]): void {
    const version: StoredVersion = { id, value, createdAt: this.#clock.now(), labels: [] }
    this.#versions.set(id, version)
    for (const label of labels) this.#attach(version, label)
  }

  #holderOf(label: string): StoredVersion | undefined {
    for (const version of this.#versions.values())
      if (version.labels.includes(label)) return version
    return undefined
  }

  #attach(target: StoredVersion, label: string): void {
    const holder = this.#holderOf(label)
    if (holder === target) return
    if (holder) holder.labels = holder.labels.filter(l => l !== label)
    target.labels.push(label)
    if (label === AWSCURRENT && holder) {
      const previous = this.#holderOf(AWSPREVIOUS)
      if (previous) previous.labels = previous.labels.filter(l => l !== AWSPREVIOUS)
      holder.labels.push(AWSPREVIOUS)
    }
  }
}

// --- the lock: a repository variable outside the secret ------------------------------------------

/**
 * The one-writer lock, kept outside the secret (the real one is a GitHub repository variable).
 * `exclusive: false` is a lock that does not stop anyone (a workflow without its concurrency
 * group, a lock variable another workflow deletes): every run gets it.
 */
export class MemoryLock {
  /** Every owner that took the lock, in order. */
  readonly owners: string[] = []
  #held: { owner: string; expiresAt: number; id: number } | undefined
  #taken = 0
  readonly #clock: Clock
  readonly #runner: Runner
  readonly #exclusive: boolean

  constructor(clock: Clock, runner: Runner, exclusive: boolean) {
    this.#clock = clock
    this.#runner = runner
    this.#exclusive = exclusive
  }

  take(owner: string, ttlMs: number, description: string): Promise<Lease> {
    return this.#runner.call('lock', () => {
      const now = this.#clock.now().getTime()
      const held = this.#held
      if (this.#exclusive && held && held.expiresAt > now) {
        throw new ActionError(
          `Another run holds the lock of ${description} (${held.owner}, until ${new Date(held.expiresAt).toISOString()}).`,
          { code: 'locked', phase: 'preflight' }
        )
      }
      const id = ++this.#taken
      this.#held = { owner, expiresAt: now + ttlMs, id }
      this.owners.push(owner)
      return {
        release: () =>
          this.#runner.call('release', () => {
            if (this.#held?.id === id) this.#held = undefined
          })
      }
    })
  }

  /** Who holds the lock now (an expired lock counts as free). */
  holder(): string | undefined {
    const held = this.#held
    return held && held.expiresAt > this.#clock.now().getTime() ? held.owner : undefined
  }
}

// --- the store client: src/stores/aws/store.ts over the in-memory secret --------------------------

interface KnownVersion {
  versionId: string
  value: string
  createdAt: Date
}

interface Snapshot {
  current: KnownVersion
  pending?: KnownVersion
  tags: Record<string, string>
}

/** Persist faults shared by every run's store client: AWS failing the PutSecretValue of persist. */
export class PersistFaults {
  remaining = 0
}

export interface VersionedStoreOptions {
  secret: MemorySecret
  lock: MemoryLock
  owner: VersionOwner
  runner: Runner
  log: Logger
  sleep: Sleep
  faults: PersistFaults
  persistAttempts: number
}

/**
 * The AWS store's behaviour over {@link MemorySecret}. Every port call goes through the runner
 * (so a run can be killed at it), under the runner's names: `read` counts as `readState` (both
 * load the same snapshot) and `revert` as `writeState` (it moves a label, as a promotion does).
 */
export class MemoryVersionedStore implements Store {
  readonly kind = 'aws-secrets-manager'
  readonly description: string
  readonly resetHint: string
  readonly #o: VersionedStoreOptions
  #snapshot: Snapshot | undefined

  constructor(options: VersionedStoreOptions) {
    this.#o = options
    const id = options.secret.name
    this.description = `AWS Secrets Manager secret ${id}`
    this.resetHint = `remove the minting mark from the secret (aws secretsmanager untag-resource --secret-id ${id} --tag-keys ${TAG_PREFIX}minting)`
  }

  lock(owner: string, ttlMs: number): Promise<Lease> {
    return this.#o.lock.take(owner, ttlMs, this.description)
  }

  /** The live credential: the version this action staged, unless the pending mark names another. */
  read(): Promise<string> {
    return this.#o.runner.call('readState', () => {
      const snapshot = this.#load()
      return (liveStaged(snapshot) ?? snapshot.current).value
    })
  }

  readState(): Promise<RotationState> {
    return this.#o.runner.call('readState', () => {
      const snapshot = this.#load()
      const { current } = snapshot
      const { pending: mark, ...record } = readRecordTags(snapshot.tags)
      const staged = liveStaged(snapshot)
      // A staged version is the pending one, unless a later run marked another as minted and died
      // before staging it: then the mark is what the record says.
      const pending = staged
        ? {
            fingerprint: fingerprint(staged.value),
            mintedAt: mark?.mintedAt ?? staged.createdAt.toISOString(),
            run: mark?.run ?? `an earlier run (version ${staged.versionId})`,
            recoverable: mark?.recoverable ?? false
          }
        : mark
      return {
        schema: 1 as const,
        current: {
          fingerprint: fingerprint(current.value),
          since: current.createdAt.toISOString()
        },
        ...(pending ? { pending } : {}),
        ...record
      }
    })
  }

  writeState(next: RotationState): Promise<void> {
    return this.#o.runner.call('writeState', () => {
      const snapshot = this.#load()
      const { secret } = this.#o
      const currentFp = fingerprint(snapshot.current.value)
      if (next.current && next.current.fingerprint !== currentFp) {
        const pending = snapshot.pending
        if (!pending || fingerprint(pending.value) !== next.current.fingerprint) {
          throw new ActionError(
            `The rotation record asks for version ${next.current.fingerprint} to be current, but ${this.description} has no such version staged.`,
            { code: 'internal', phase: 'promote' }
          )
        }
        this.#promote(pending, snapshot)
      }
      const wanted = recordTags(next)
      const changed = Object.fromEntries(
        Object.entries(wanted).filter(([key, value]) => snapshot.tags[key] !== value)
      )
      const removed = Object.keys(snapshot.tags).filter(key => !(key in wanted))
      secret.tag(changed)
      secret.untag(removed)
      snapshot.tags = wanted
    })
  }

  check(): Promise<void> {
    return this.#o.runner.call('check', () => {
      const snapshot = this.#load()
      if (this.#o.owner === 'rotation-lambda') return
      const staged = liveStaged(snapshot)
      const live = staged ?? snapshot.current
      // A repeat of an existing version's token and value: proves the write, changes nothing.
      this.#o.secret.put(
        live.value,
        live.versionId,
        [staged ? AWSPENDING : AWSCURRENT],
        'preflight'
      )
    })
  }

  persist(credential: string): Promise<void> {
    return this.#o.runner.call('persist', async () => {
      const snapshot = this.#load()
      const { secret, faults, log, sleep } = this.#o
      const versionId = versionToken(secret.arn, credential)
      await persistWithRetries({
        write: () => {
          if (faults.remaining > 0) {
            faults.remaining -= 1
            return Promise.reject(
              new ActionError(
                `Writing version ${versionId} of secret ${secret.name} failed: AWS answered InternalServiceError (HTTP 500).`,
                { code: 'aws-unavailable', phase: 'persist', retryable: true }
              )
            )
          }
          secret.put(credential, versionId, [AWSPENDING], 'persist')
          return Promise.resolve()
        },
        where: `${this.description} (as ${AWSPENDING}, version ${versionId})`,
        attempts: this.#o.persistAttempts,
        sleep,
        log
      })
      snapshot.pending = { versionId, value: credential, createdAt: new Date(0) }
    })
  }

  revert(): Promise<string> {
    return this.#o.runner.call('writeState', () => {
      const { secret, log } = this.#o
      const { stages } = secret.describe()
      const currentId = labelled(stages, AWSCURRENT)
      const previousId = labelled(stages, AWSPREVIOUS)
      if (!currentId || !previousId) {
        throw new ActionError(
          `${this.description} has no ${AWSPREVIOUS} version to roll back to.`,
          {
            code: 'aws-rejected',
            phase: 'promote'
          }
        )
      }
      secret.moveStage(AWSCURRENT, previousId, currentId, 'promote')
      log.info(
        `${AWSCURRENT} of ${this.description} moved back from version ${currentId} to ${previousId}.`
      )
      this.#snapshot = undefined
      return secret.getValue(previousId, 'promote').value
    })
  }

  #promote(pending: KnownVersion, snapshot: Snapshot): void {
    try {
      this.#o.secret.moveStage(AWSCURRENT, pending.versionId, snapshot.current.versionId, 'promote')
    } catch (error) {
      if (error instanceof ActionError && error.code === 'aws-rejected') {
        throw new ActionError(
          `${AWSCURRENT} of ${this.description} is no longer on version ${snapshot.current.versionId}, where this run read it: another writer changed the secret during this rotation. This run's version ${pending.versionId} was not promoted and stays ${AWSPENDING}. Make sure one workflow rotates this secret (a concurrency group), then run again: the next run resumes from ${AWSPENDING}. ${error.message}`,
          { code: 'store-conflict', phase: 'promote', cause: error }
        )
      }
      throw error
    }
    snapshot.current = pending
    delete snapshot.pending
  }

  #load(): Snapshot {
    if (this.#snapshot) return this.#snapshot
    const { secret, owner } = this.#o
    const { stages, tags } = secret.describe()
    const currentId = labelled(stages, AWSCURRENT)
    if (!currentId) {
      throw new ActionError(`${this.description} has no ${AWSCURRENT} version.`, {
        code: 'aws-rejected',
        phase: 'preflight'
      })
    }
    const current = this.#version(currentId)
    const pendingId = labelled(stages, AWSPENDING)
    let pending: KnownVersion | undefined
    if (owner === 'action' && pendingId !== undefined && pendingId !== currentId) {
      pending = this.#version(pendingId)
      if (versionToken(secret.arn, pending.value) !== pendingId) {
        throw new ActionError(
          `${AWSPENDING} of ${this.description} is on version ${pendingId}, which this action did not write: another rotation is in progress or stranded. Nothing was minted or written.`,
          { code: 'rotation-pending', phase: 'preflight' }
        )
      }
    }
    const ours = Object.fromEntries(
      Object.entries(tags).filter(([key]) => key.startsWith(TAG_PREFIX))
    )
    this.#snapshot = { current, ...(pending ? { pending } : {}), tags: ours }
    return this.#snapshot
  }

  #version(versionId: string): KnownVersion {
    const { value, createdAt } = this.#o.secret.getValue(versionId, 'preflight')
    return { versionId, value, createdAt }
  }
}

/**
 * The version this action staged that is the live credential: AWSPENDING, unless the pending mark
 * (a tag) names another credential (a later run minted from it, so it is consumed).
 */
function liveStaged(snapshot: Snapshot): KnownVersion | undefined {
  const staged = snapshot.pending
  if (!staged) return undefined
  const mark = readRecordTags(snapshot.tags).pending
  return !mark || mark.fingerprint === fingerprint(staged.value) ? staged : undefined
}

function labelled(
  stages: ReadonlyMap<string, readonly string[]>,
  label: string
): string | undefined {
  for (const [id, labels] of stages) if (labels.includes(label)) return id
  return undefined
}

// --- issuers that the world's OAuth2 server is not -------------------------------------------------

/** An issuer whose every issued value the leak checks must look for. */
export type IssuingIssuer = Issuer & { readonly issued: readonly string[] }

function secretValue(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`
}

/**
 * `issuer: aws-secrets-manager` over the in-memory secret: AWS's rotation Lambda makes the new
 * version (createSecret: AWSPENDING), sets it in the service behind the secret (setSecret: the
 * value joins `accepts`, the values the health check's endpoint takes), and makes it AWSCURRENT
 * (finishSecret; AWS then removes AWSPENDING). Like src/issuers/aws-secrets-manager.ts it answers
 * `rotated: false`, `previous` = the value it replaced and `storedAs`; `undo` moves AWSCURRENT back
 * to the version it replaced. Its state is the secret itself. Unlike the real issuer, which derives
 * the ClientRequestToken from the version it rotates from, each rotation here gets a fresh id.
 */
export class MemoryRotationIssuer implements IssuingIssuer {
  readonly kind = 'aws-secrets-manager'
  readonly issued: string[] = []
  /** The next rotation's setSecret does not reach the service: the new value fails its check. */
  breakNext = false
  #last: { from: string; to: string } | undefined
  readonly #secret: MemorySecret
  readonly #runner: Runner
  readonly #accepts: Set<string>

  constructor(secret: MemorySecret, runner: Runner, accepts: Set<string>) {
    this.#secret = secret
    this.#runner = runner
    this.#accepts = accepts
  }

  mint(current: string): Promise<Minted> {
    return this.#runner.call('mint', () => {
      const secret = this.#secret
      const from = secret.versionWith(AWSCURRENT)
      if (from === undefined) throw refused('RotateSecret', 'no AWSCURRENT version', 'mint')
      const stranded = secret.versionWith(AWSPENDING)
      if (stranded !== undefined && stranded !== from) {
        throw new ActionError(
          `${AWSPENDING} of secret ${secret.name} is stranded on version ${stranded}.`,
          {
            code: 'rotation-pending',
            phase: 'mint'
          }
        )
      }
      const value = secretValue('pw')
      this.issued.push(value)
      const to = randomUUID()
      secret.put(value, to, [AWSPENDING], 'mint')
      if (this.breakNext) this.breakNext = false
      else this.#accepts.add(value)
      secret.moveStage(AWSCURRENT, to, from, 'mint')
      secret.removeStage(AWSPENDING, to)
      this.#last = { from, to }
      return {
        value,
        next: value,
        rotated: false,
        previous: current,
        storedAs: `AWS stored the new value as version ${to} (${AWSCURRENT}) of secret ${secret.name}`
      }
    })
  }

  /** Counted by the runner as the issuer's other call, `revoke` (it has no kill point of its own). */
  undo(): Promise<void> {
    return this.#runner.call('revoke', () => {
      const last = this.#last
      if (!last) return
      this.#secret.moveStage(AWSCURRENT, last.from, last.to, 'verify')
    })
  }
}

/**
 * An OAuth2 server with refresh-token rotation and a reuse interval (Auth0's "reuse interval",
 * Okta's grace period): a refresh token already exchanged can be exchanged again within
 * `leewayMs`, each time for new tokens of the same grant; later, a reuse revokes the grant. The
 * access tokens it issues join `accepts`, the values the health check's endpoint takes.
 */
export class LeewayIssuer implements IssuingIssuer {
  readonly kind = 'oauth2'
  readonly issued: string[] = []
  leewayMs = 60_000
  #revoked = false
  readonly #refresh = new Map<string, { spentAt?: number }>()
  readonly #clock: Clock
  readonly #runner: Runner
  readonly #accepts: Set<string>

  constructor(clock: Clock, runner: Runner, accepts: Set<string>) {
    this.#clock = clock
    this.#runner = runner
    this.#accepts = accepts
  }

  /** A user's consent: the first refresh token of the grant. */
  authorize(): string {
    const value = secretValue('rt')
    this.#refresh.set(value, {})
    this.issued.push(value)
    return value
  }

  get grantAlive(): boolean {
    return !this.#revoked
  }

  refreshTokenLive(value: string): boolean {
    const found = this.#refresh.get(value)
    return !this.#revoked && found !== undefined && found.spentAt === undefined
  }

  mint(current: string): Promise<Minted> {
    return this.#runner.call('mint', () => {
      const now = this.#clock.now().getTime()
      const found = this.#refresh.get(current)
      const reused = found?.spentAt !== undefined && now - found.spentAt > this.leewayMs
      if (reused) {
        this.#revoked = true
        this.#accepts.clear()
      }
      if (!found || this.#revoked) {
        throw new ActionError(
          'The issuer refused the refresh token (invalid_grant): it is expired, revoked or already used. Re-authorize and store a new refresh token.',
          { code: 'reauthorization-needed', phase: 'mint' }
        )
      }
      found.spentAt ??= now
      const next = secretValue('rt')
      const value = secretValue('at')
      this.#refresh.set(next, {})
      this.issued.push(next, value)
      this.#accepts.add(value)
      return { value, next, rotated: true }
    })
  }
}

// --- the world ----------------------------------------------------------------------------------

export interface VersionedWorldOptions {
  /** `action`: the secret holds an OAuth2 refresh token; `rotation-lambda`: AWS rotates its value. */
  owner?: VersionOwner
  /** False: a lock every run gets. */
  exclusiveLock?: boolean
  healthCheck?: boolean
  recovery?: boolean
  /** The tags at the start: `normal` (an earlier rotation published the targets' value). */
  record?: 'none' | 'normal'
}

/**
 * {@link World} with the refresh token (or, for `rotation-lambda`, the published value itself) in
 * an in-memory Secrets Manager secret instead of the GitHub store. The world's OAuth2 server mints
 * unless `minter` is replaced. `world.run()` keeps World's leak check and adds the store's
 * surfaces (its tags, every tag write) and every value the secret ever held.
 */
export class VersionedWorld extends World {
  readonly owner: VersionOwner
  readonly secret: MemorySecret
  readonly lock: MemoryLock
  readonly persistFaults = new PersistFaults()
  /** Attempts of persist, as `persistAttempts` of the real store (it defaults to 5). */
  persistAttempts = 5
  /** Each run's store client, in order. */
  readonly clients: MemoryVersionedStore[] = []
  /** What the runs mint with. */
  minter: IssuingIssuer

  constructor(options: VersionedWorldOptions = {}) {
    super({
      store: false,
      ...(options.healthCheck !== undefined ? { healthCheck: options.healthCheck } : {}),
      ...(options.recovery !== undefined ? { recovery: options.recovery } : {})
    })
    this.owner = options.owner ?? 'action'
    const { refreshToken, accessToken } = this.initial
    this.secret = new MemorySecret(this.owner === 'action' ? refreshToken : accessToken, this.clock)
    this.lock = new MemoryLock(this.clock, this.runner, options.exclusiveLock ?? true)
    this.minter =
      this.owner === 'action'
        ? this.issuer
        : new MemoryRotationIssuer(this.secret, this.runner, this.accepts)
    if (options.record !== 'none') {
      const since = new Date(this.clock.now().getTime() - 30 * 24 * HOUR).toISOString()
      this.secret.setRecord({
        ...emptyState(),
        published: { fingerprint: fingerprint(accessToken), at: since },
        rotatedAt: since
      })
    }
  }

  /** The values the health check's endpoint takes besides the OAuth2 server's live access tokens. */
  get accepts(): Set<string> {
    return this.health?.valid ?? new Set<string>()
  }

  /** The next `times` PutSecretValue calls of persist fail with an HTTP 500. */
  failPersist(times = Number.POSITIVE_INFINITY): void {
    this.persistFaults.remaining = times
  }

  override deps(log: MemoryLogger, audit: MemoryAudit, ciphertexts: string[]): EngineDeps {
    const store = new MemoryVersionedStore({
      secret: this.secret,
      lock: this.lock,
      owner: this.owner,
      runner: this.runner,
      log,
      sleep: this.sleeper.sleep,
      faults: this.persistFaults,
      persistAttempts: this.persistAttempts
    })
    this.clients.push(store)
    return { ...super.deps(log, audit, ciphertexts), issuer: this.minter, store }
  }

  override async run(options: RunOptions = {}): Promise<RunResult> {
    const result = await super.run(options)
    expectNoVersionedLeaks(this)
    return result
  }

  override async runTogether(...plans: PlanChanges[]): Promise<RunResult[]> {
    const results = await super.runTogether(...plans)
    expectNoVersionedLeaks(this)
    return results
  }
}

/** Every text the runs and the store let out, each with where it went. */
function versionedSurfaces(world: VersionedWorld): { where: string; text: string }[] {
  const found: { where: string; text: string }[] = []
  world.runs.forEach((run, i) => {
    const at = `run ${i + 1}`
    for (const line of run.log.lines) {
      found.push({ where: `${at} log`, text: `${line.title ?? ''} ${line.message}` })
    }
    for (const event of run.audit.events) {
      found.push({ where: `${at} audit`, text: JSON.stringify(event) })
    }
    const { outcome } = run
    found.push({ where: `${at} steps`, text: JSON.stringify(outcome.steps) })
    found.push({ where: `${at} warnings`, text: JSON.stringify(outcome.warnings) })
    found.push({
      where: `${at} targets`,
      text: JSON.stringify([outcome.targets, outcome.restored])
    })
    let error: unknown = outcome.error
    for (let depth = 0; error instanceof Error && depth < 10; depth += 1) {
      found.push({ where: `${at} error`, text: `${error.message} ${JSON.stringify(error)}` })
      error = error.cause
    }
    const { status, rotated, version, recoveryCiphertext } = outcome
    found.push({
      where: `${at} outcome`,
      text: JSON.stringify({ status, rotated, version, recoveryCiphertext })
    })
  })
  found.push({ where: 'tags', text: JSON.stringify(world.secret.tags) })
  world.secret.tagHistory.forEach((tags, i) => {
    found.push({ where: `tag write ${i + 1}`, text: JSON.stringify(tags) })
  })
  const { stages } = world.secret.describe()
  found.push({ where: 'version ids', text: JSON.stringify([...stages]) })
  for (const owner of world.lock.owners) found.push({ where: 'lock', text: owner })
  return found
}

/**
 * Rule 5 for a store with versions: World's check (every value the OAuth2 server issued, in every
 * surface of every run), and every value of the secret and of the world's other issuers in those
 * surfaces, the secret's tags (now and after every write) and its version ids.
 */
export function expectNoVersionedLeaks(world: VersionedWorld): void {
  expectNoSecretLeaks(world)
  const secrets = new Set([
    ...world.issuer.issued,
    ...world.minter.issued,
    ...world.secret.values()
  ])
  const leaks: string[] = []
  for (const { where, text } of versionedSurfaces(world)) {
    for (const secret of secrets) {
      const encoded = Buffer.from(secret).toString('base64')
      if (text.includes(secret) || text.includes(encoded)) {
        leaks.push(`${where}: ${secret.slice(0, 6)}... in ${text.slice(0, 200)}`)
      }
    }
  }
  expect(leaks).toEqual([])
}
