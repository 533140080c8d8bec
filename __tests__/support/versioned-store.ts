import { randomBytes, randomUUID } from 'node:crypto'
import { SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager'
import { expect } from '@jest/globals'
import { toAwsError } from '../../src/providers/aws/errors.js'
import {
  CURRENT,
  PENDING,
  PREVIOUS,
  type SecretApi,
  type SecretDescription,
  type SecretVersion
} from '../../src/providers/aws/secret.js'
import { fingerprint } from '../../src/engine/fingerprint.js'
import type { Clock, Issuer, Lease, Minted } from '../../src/engine/ports.js'
import type { EngineDeps } from '../../src/engine/rotation.js'
import { emptyState } from '../../src/engine/state.js'
import { ActionError, type Phase } from '../../src/errors.js'
import { createAwsRotationIssuer } from '../../src/providers/aws/issuer.js'
import {
  readRecordTags,
  recordTags,
  type TaggedRecord
} from '../../src/providers/aws/record-tags.js'
import type { VersionOwner } from '../../src/providers/aws/config.js'
import { createAwsSecretsStore, type VersionedStore } from '../../src/providers/aws/store.js'
import { memoryLease, type MemoryAudit, type PortCall, type Runner } from './engine-ports.js'
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
 * The engine over the REAL AWS Secrets Manager store (src/providers/aws/store.ts) and, for
 * `issuer: aws-secrets-manager`, the real rotation issuer (src/providers/aws/issuer.ts),
 * both on {@link MemorySecret}: an in-memory secret behind the same port as the SDK
 * ({@link SecretApi}), with Secrets Manager's semantics (versions, staging labels, idempotent
 * PutSecretValue, compare-and-swap UpdateSecretVersionStage, tags, RotateSecret and its Lambda).
 *
 * Each run gets its own store (as each job builds its own), with its own snapshot of the secret;
 * the secret itself, the lock and the OAuth2 server are the world's, shared by every run.
 */

export const AWSCURRENT = CURRENT
export const AWSPENDING = PENDING
export const AWSPREVIOUS = PREVIOUS

// --- the service: one Secrets Manager secret --------------------------------------------------------

interface StoredVersion {
  readonly id: string
  readonly value: string
  readonly createdAt: Date
  labels: string[]
}

/** A Secrets Manager operation, by its API (and IAM action) name. */
type Operation =
  | 'DescribeSecret'
  | 'GetSecretValue'
  | 'PutSecretValue'
  | 'UpdateSecretVersionStage'
  | 'TagResource'
  | 'UntagResource'
  | 'RotateSecret'

/**
 * The runner's kill point of one AWS call, by what the call is for: everything the issuers do
 * (phase `mint`) is `mint`, the rotation issuer's undo (phase `verify`) is `revoke`; for the store,
 * reads are `readState`, the PutSecretValue of `check` (a repeat that changes nothing) is `check`,
 * the PutSecretValue of AWSPENDING is `persist`, and every label or tag write (a promotion, the
 * record's tags, a rollback's move) is `writeState`.
 */
function portCall(operation: Operation, phase: Phase): PortCall {
  if (phase === 'mint') return 'mint'
  if (phase === 'verify') return 'revoke'
  switch (operation) {
    case 'DescribeSecret':
    case 'GetSecretValue':
      return 'readState'
    case 'PutSecretValue':
      return phase === 'persist' ? 'persist' : 'check'
    default:
      return 'writeState'
  }
}

/**
 * AWS's answer `name` (HTTP `status`), as the SDK throws it and src/providers/aws/errors.ts turns it into
 * an ActionError: the same code, and a message that names the operation and the AWS error.
 */
function awsError(
  name: string,
  message: string,
  status: number,
  context: { operation: Operation; phase: Phase; doing: string }
): ActionError {
  const sdkError = new SecretsManagerServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: randomUUID() },
    message
  })
  return toAwsError(sdkError, context)
}

/** A rotation Lambda: what it put in the secret, and the service behind the secret. */
export class MemoryRotationLambda {
  readonly arn = 'arn:aws:lambda:eu-west-1:123456789012:function:rotate-prod-oauth'
  /** Every value it made. */
  readonly issued: string[] = []
  /** The next rotation's setSecret does not reach the service: the new value fails its check. */
  breakNext = false
  /** The values the service behind the secret takes (the health check's endpoint). */
  readonly accepts: Set<string>

  constructor(accepts: Set<string>) {
    this.accepts = accepts
  }
}

/**
 * One secret in Secrets Manager as {@link SecretApi} sees it, with the documented semantics (those
 * of test-servers/aws too): a staging label is on at most one version; moving AWSCURRENT gives its
 * former holder AWSPREVIOUS (taken off its own former holder); a PutSecretValue whose
 * ClientRequestToken names an existing version with the same value does nothing (with another
 * value: ResourceExistsException); UpdateSecretVersionStage is refused (InvalidParameterException)
 * when the label is not on the version named in RemoveFromVersionId: a compare-and-swap. With a
 * rotation Lambda, RotateSecret runs it at once: createSecret (a new AWSPENDING version),
 * setSecret (the service takes the value), finishSecret (AWSCURRENT moves to it, AWSPENDING is
 * removed).
 *
 * Every API call goes through the world's {@link Runner} (see {@link portCall}), so a run can be
 * killed at it; a call the SDK would not make (tags of nothing) is no call. Failures are the
 * ActionErrors src/providers/aws/errors.ts makes of AWS's answers, and never hold a value. The methods
 * named `...ByHand` and the getters are a person at the console and the tests looking: no runner.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html
 */
export class MemorySecret implements SecretApi {
  readonly secretId = 'prod/oauth'
  readonly arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/oauth-Ab12Cd'
  /** Every tag set the secret had after a tag write, for leak checks. */
  readonly tagHistory: Record<string, string>[] = []
  readonly lambda: MemoryRotationLambda | undefined
  readonly #versions = new Map<string, StoredVersion>()
  #tags: Record<string, string> = {}
  #rotationEnabled: boolean
  #persistFaults = 0
  readonly #clock: Clock
  readonly #runner: Runner

  /** A secret whose first version (AWSCURRENT, a random version id) holds `first`. */
  constructor(first: string, clock: Clock, runner: Runner, lambda?: MemoryRotationLambda) {
    this.#clock = clock
    this.#runner = runner
    this.lambda = lambda
    this.#rotationEnabled = lambda !== undefined
    this.#add(randomUUID(), first, [CURRENT])
  }

  // The API calls (SecretApi).

  describe(phase: Phase): Promise<SecretDescription> {
    return this.#call('DescribeSecret', phase, 'describing', () => ({
      arn: this.arn,
      name: this.secretId,
      stages: this.stages,
      tags: { ...this.#tags },
      replicas: [],
      rotationEnabled: this.#rotationEnabled,
      ...(this.lambda ? { rotationLambda: this.lambda.arn } : {})
    }))
  }

  read(by: { versionId: string } | { stage: string }, phase: Phase): Promise<SecretVersion> {
    const which = 'versionId' in by ? `version ${by.versionId}` : by.stage
    return this.#call('GetSecretValue', phase, `reading ${which}`, fail => {
      const version =
        'versionId' in by ? this.#versions.get(by.versionId) : this.#holderOf(by.stage)
      if (!version) {
        const what = 'versionId' in by ? `VersionId: ${by.versionId}` : `staging label: ${by.stage}`
        throw fail(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for ${what}`
        )
      }
      return { versionId: version.id, value: version.value, createdAt: new Date(version.createdAt) }
    })
  }

  put(value: string, token: string, stages: string[], phase: Phase): Promise<void> {
    return this.#call('PutSecretValue', phase, `writing version ${token}`, fail => {
      if (phase === 'persist' && this.#persistFaults > 0) {
        this.#persistFaults -= 1
        throw fail('InternalServiceError', 'An error occurred on the server side.', 500)
      }
      const existing = this.#versions.get(token)
      if (existing) {
        // Same token, same value: ignored (idempotent); another value: refused.
        if (existing.value !== value) throw this.#tokenInUse(fail, token)
        return
      }
      this.#add(token, value, stages)
    })
  }

  moveStage(label: string, to: string, from: string | undefined, phase: Phase): Promise<void> {
    return this.#call(
      'UpdateSecretVersionStage',
      phase,
      `moving ${label} to version ${to}`,
      fail => {
        const target = this.#versions.get(to)
        if (!target) throw fail('InvalidParameterException', `Not a valid version: ${to}`)
        const holder = this.#holderOf(label)
        if (holder !== undefined && holder !== target) {
          if (from === undefined) {
            throw fail(
              'InvalidParameterException',
              `The parameter RemoveFromVersionId can't be empty. Staging label ${label} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`
            )
          }
          if (from !== holder.id) {
            throw fail(
              'InvalidParameterException',
              `When you move staging label ${label}, if you specify RemoveFromVersionId, it must be set to the version that currently has the staging label ${label}.`
            )
          }
        } else if (from !== undefined && from !== holder?.id) {
          throw fail(
            'InvalidParameterException',
            `The staging label ${label} is not attached to version ${from}.`
          )
        }
        this.#attach(target, label)
      }
    )
  }

  removeStage(label: string, from: string, phase: Phase): Promise<void> {
    return this.#call('UpdateSecretVersionStage', phase, `removing ${label}`, fail => {
      const holder = this.#holderOf(label)
      if (holder?.id !== from) {
        throw fail(
          'InvalidParameterException',
          `The staging label ${label} is not attached to version ${from}.`
        )
      }
      if (label === CURRENT) {
        throw fail(
          'InvalidParameterException',
          `You can't remove the staging label ${CURRENT} from a version without moving it to another version with MoveToVersionId.`
        )
      }
      holder.labels = holder.labels.filter(l => l !== label)
    })
  }

  async tag(tags: Readonly<Record<string, string>>, phase: Phase): Promise<void> {
    if (Object.keys(tags).length === 0) return
    await this.#call('TagResource', phase, 'tagging', () => {
      this.tagByHand(tags)
    })
  }

  async untag(keys: readonly string[], phase: Phase): Promise<void> {
    if (keys.length === 0) return
    await this.#call('UntagResource', phase, 'untagging', () => {
      this.untagByHand(keys)
    })
  }

  /** RotateSecret with RotateImmediately: the rotation Lambda runs, all four steps, at once. */
  rotate(token: string, phase: Phase): Promise<string> {
    return this.#call('RotateSecret', phase, 'starting the rotation', fail => {
      const lambda = this.lambda
      if (!lambda) {
        throw fail(
          'InvalidRequestException',
          'No Lambda rotation function ARN is associated with this secret.'
        )
      }
      const current = this.#holderOf(CURRENT)
      const pending = this.#holderOf(PENDING)
      if (pending !== undefined && pending !== current) {
        // A retry of this very rotation (same token) is answered again rather than refused.
        if (pending.id === token) return token
        throw fail(
          'InvalidRequestException',
          "A previous rotation isn't complete. That rotation will be reattempted."
        )
      }
      if (this.#versions.has(token)) throw this.#tokenInUse(fail, token)
      this.#rotationEnabled = true
      // createSecret: the new value, AWSPENDING under the request's token.
      const value = secretValue('pw')
      lambda.issued.push(value)
      const created = this.#add(token, value, [PENDING])
      // setSecret: the service behind the secret takes the new value (unless it breaks).
      if (lambda.breakNext) lambda.breakNext = false
      else lambda.accepts.add(value)
      // finishSecret: AWSCURRENT moves to the new version; AWS removes AWSPENDING.
      this.#attach(created, CURRENT)
      created.labels = created.labels.filter(l => l !== PENDING)
      return token
    })
  }

  // What a person does by hand, what the tests set up, and what they look at.

  /** `aws secretsmanager put-secret-value` without a token: a new version, made AWSCURRENT. */
  putByHand(value: string): string {
    const id = randomUUID()
    this.#add(id, value, [CURRENT])
    return id
  }

  /** `aws secretsmanager tag-resource`. */
  tagByHand(tags: Readonly<Record<string, string>>): void {
    this.#tags = { ...this.#tags, ...tags }
    this.tagHistory.push({ ...this.#tags })
  }

  /** `aws secretsmanager untag-resource`. */
  untagByHand(keys: readonly string[]): void {
    this.#tags = Object.fromEntries(
      Object.entries(this.#tags).filter(([key]) => !keys.includes(key))
    )
    this.tagHistory.push({ ...this.#tags })
  }

  /** Sets the tags as an earlier run would have left them. */
  setRecord(record: TaggedRecord): void {
    this.#tags = recordTags(record)
  }

  /** The next `times` PutSecretValue calls of persist answer HTTP 500 (InternalServiceError). */
  failPersist(times: number): void {
    this.#persistFaults = times
  }

  /** The record's tag-held part, read back as the real store reads it. */
  get record(): TaggedRecord {
    return readRecordTags(this.#tags)
  }

  get tags(): Record<string, string> {
    return { ...this.#tags }
  }

  /** Version id → labels, of every version that has one (what DescribeSecret lists). */
  get stages(): Map<string, string[]> {
    const stages = new Map<string, string[]>()
    for (const version of this.#versions.values()) {
      if (version.labels.length > 0) stages.set(version.id, [...version.labels])
    }
    return stages
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

  /** One API call, through the runner; `fail` makes AWS's refusals. */
  #call<T>(
    operation: Operation,
    phase: Phase,
    doing: string,
    body: (fail: (name: string, message: string, status?: number) => ActionError) => T
  ): Promise<T> {
    const context = { operation, phase, doing: `${doing} of secret ${this.secretId}` }
    return this.#runner.call(portCall(operation, phase), () =>
      body((name, message, status = 400) => awsError(name, message, status, context))
    )
  }

  #tokenInUse(fail: (name: string, message: string) => ActionError, token: string): ActionError {
    return fail(
      'ResourceExistsException',
      `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${this.arn}.`
    )
  }

  #add(id: string, value: string, labels: readonly string[]): StoredVersion {
    const version: StoredVersion = { id, value, createdAt: this.#clock.now(), labels: [] }
    this.#versions.set(id, version)
    for (const label of labels) this.#attach(version, label)
    return version
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
    if (label === CURRENT && holder) {
      const previous = this.#holderOf(PREVIOUS)
      if (previous) previous.labels = previous.labels.filter(l => l !== PREVIOUS)
      holder.labels.push(PREVIOUS)
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
      const mine = { owner, expiresAt: now + ttlMs, id }
      this.#held = mine
      this.owners.push(owner)
      return memoryLease({
        held: mine,
        clock: this.#clock,
        read: () => this.#held,
        release: () =>
          this.#runner.call('release', () => {
            if (this.#held?.id === id) this.#held = undefined
          })
      })
    })
  }

  /** Who holds the lock now (an expired lock counts as free). */
  holder(): string | undefined {
    const held = this.#held
    return held && held.expiresAt > this.#clock.now().getTime() ? held.owner : undefined
  }
}

// --- an issuer that the world's OAuth2 server is not ------------------------------------------------

/** An issuer whose every issued value the leak checks must look for. */
export type IssuingIssuer = Issuer & { readonly issued: readonly string[] }

function secretValue(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`
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

/** How long the rotation issuer waits for the Lambda (`rotation-timeout`). */
const ROTATION_TIMEOUT_MS = 5 * 60 * 1000

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
 * an in-memory Secrets Manager secret, behind the real AWS store, instead of the GitHub store. The
 * world's OAuth2 server mints unless `minter` is replaced; a `rotation-lambda` world mints with
 * the real rotation issuer and the secret's Lambda. `world.run()` keeps World's leak check and
 * adds the store's surfaces (its tags, every tag write) and every value the secret ever held.
 */
export class VersionedWorld extends World {
  readonly owner: VersionOwner
  readonly secret: MemorySecret
  readonly lock: MemoryLock
  /** Attempts of persist, as `persistAttempts` of the real store (it defaults to 5). */
  persistAttempts = 5
  /** Each run's store, in order. */
  readonly clients: VersionedStore[] = []
  /**
   * What the runs mint with: an issuer, or `rotation-lambda` for each run's own
   * createAwsRotationIssuer over the secret (its Lambda rotates).
   */
  minter: IssuingIssuer | 'rotation-lambda'

  constructor(options: VersionedWorldOptions = {}) {
    super({
      store: false,
      ...(options.healthCheck !== undefined ? { healthCheck: options.healthCheck } : {}),
      ...(options.recovery !== undefined ? { recovery: options.recovery } : {})
    })
    this.owner = options.owner ?? 'action'
    const { refreshToken, accessToken } = this.initial
    this.secret =
      this.owner === 'action'
        ? new MemorySecret(refreshToken, this.clock, this.runner)
        : new MemorySecret(
            accessToken,
            this.clock,
            this.runner,
            new MemoryRotationLambda(this.accepts)
          )
    this.lock = new MemoryLock(this.clock, this.runner, options.exclusiveLock ?? true)
    this.minter = this.owner === 'action' ? this.issuer : 'rotation-lambda'
    if (options.record !== 'none') {
      const since = new Date(this.clock.now().getTime() - 30 * 24 * HOUR).toISOString()
      this.secret.setRecord({
        ...emptyState(),
        published: { fingerprint: fingerprint(accessToken), at: since },
        rotatedAt: since
      })
    }
  }

  /** The secret's rotation Lambda; a `rotation-lambda` world has one. */
  get lambda(): MemoryRotationLambda {
    const { lambda } = this.secret
    if (!lambda) throw new Error('this secret has no rotation Lambda')
    return lambda
  }

  /** The values the health check's endpoint takes besides the OAuth2 server's live access tokens. */
  get accepts(): Set<string> {
    return this.health?.valid ?? new Set<string>()
  }

  /** The next `times` PutSecretValue calls of persist fail with an HTTP 500. */
  failPersist(times = Number.POSITIVE_INFINITY): void {
    this.secret.failPersist(times)
  }

  override deps(log: MemoryLogger, audit: MemoryAudit, ciphertexts: string[]): EngineDeps {
    const { secret, lock, owner, clock } = this
    const sleep = this.sleeper.sleep
    const store = createAwsSecretsStore({
      secret,
      owner,
      log,
      clock,
      sleep,
      persistAttempts: this.persistAttempts
    })
    this.clients.push(store)
    const issuer =
      this.minter === 'rotation-lambda'
        ? createAwsRotationIssuer({ secret, timeoutMs: ROTATION_TIMEOUT_MS, clock, sleep, log })
        : this.minter
    const where = `AWS Secrets Manager secret ${secret.secretId}`
    return {
      ...super.deps(log, audit, ciphertexts),
      issuer,
      store,
      lock: { description: where, acquire: (runId, ttlMs) => lock.take(runId, ttlMs, where) }
    }
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
  found.push({ where: 'version ids', text: JSON.stringify([...world.secret.stages]) })
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
    ...(world.minter === 'rotation-lambda' ? [] : world.minter.issued),
    ...(world.secret.lambda?.issued ?? []),
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
