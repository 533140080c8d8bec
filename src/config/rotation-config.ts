import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, type InputProblem } from '../errors.js'
import type { Mode } from '../engine/plan.js'
import {
  parseRepository,
  secretNameProblem,
  type RepositoryRef
} from '../providers/github/rules.js'
import { controlCharacterProblems } from './control-characters.js'
import { DURATION_HINT, parseDuration } from '../duration.js'
import { DEFAULT_PERSIST_TIMEOUT_MS } from '../engine/persist-retries.js'
import { parseHealthCheckConfig, type HealthCheckConfig } from './health-config.js'
import { INPUT_DEFAULTS, type InputName, type RawInputs } from './inputs.js'
import { parseOAuth2Config, type OAuth2IssuerConfig } from '../providers/oauth2/config.js'
import {
  parsePublishConfig,
  type PublishConfig,
  type RunnerContext
} from '../providers/github/config.js'
import { parseRecoveryPublicKey } from '../recovery/recovery-key.js'
import type { RotationWindows } from '../engine/due.js'
import {
  issuerCapabilities,
  issuerKinds,
  PROVIDERS,
  storeCapabilities,
  storeKinds
} from '../providers/index.js'
import { orList } from '../wording.js'
import {
  awsLockBase,
  DEFAULT_REFRESH_TOKEN_FIELD,
  parseAwsSecretConfig,
  parseFieldMappings,
  storeKind,
  type AwsSecretConfig,
  type FieldMapping,
  type StoreKind,
  type VersionOwner
} from '../providers/aws/config.js'

export type IssuerKind = 'none' | 'oauth2' | 'aws-secrets-manager'

/** What every store has: the one-writer lock, a repository variable. */
interface StoreCommon {
  /** The repository holding the lock (and the alert issue): the workflow's own. */
  repository: RepositoryRef
  /** The repository variable that is the one-writer lock. */
  lockVariable: string
  lockTtlMs: number
  /** What is rotated, for the alert issue's title: a secret's name. */
  subject: string
}

/** The GitHub store: the refresh token in a repository secret, the record in a variable. */
export interface GitHubStoreConfig extends StoreCommon {
  kind: 'github'
  /** The repository secret holding the refresh token. */
  secretName: string
  /** The repository variable holding the write-ahead record. */
  stateVariable: string
}

/** The AWS Secrets Manager store: the secret is `ActionConfig.awsSecret`. */
export interface AwsStoreConfig extends StoreCommon {
  kind: 'aws-secrets-manager'
  /** Who moves the staging labels: this action, or AWS's rotation Lambda. */
  versions: VersionOwner
}

/** Where the credential that must survive lives, and the run's record. */
export type StoreConfig = GitHubStoreConfig | AwsStoreConfig

/** Everything a run needs, validated once before any network call. Holds secrets: never log it. */
export interface ActionConfig {
  issuer: IssuerKind
  mode: Mode
  publish: PublishConfig
  oauth2?: OAuth2IssuerConfig
  store?: StoreConfig
  /** The Secrets Manager secret, for every run that reads or writes one. */
  awsSecret?: AwsSecretConfig
  /**
   * Where the published value comes from: what the issuer mints (or is given), or, for an issuer
   * that mints nothing, what the store holds (a sync).
   */
  valueFrom: 'issuer' | 'store'
  /**
   * Set when the value is a document read from a store (AWS's JSON secrets): the targets get
   * `field` of it, or the whole value when it is not a JSON object, and the health check is
   * never sent the whole document.
   */
  document?: { field?: string }
  /** More secrets written from the value's JSON fields. */
  fieldMappings: FieldMapping[]
  healthCheck?: HealthCheckConfig
  refreshToken: string
  recoveryPublicKey?: string
  previousValue?: string
  retiringValue?: string
  /** The repository secret where a replaced value waits for its deferred revocation. */
  retiringSecret?: string
  rotateIfOlderThanMs?: number
  /** `rotate-before-expiry`: rotate once the published value expires within this. */
  rotateBeforeExpiryMs?: number
  /**
   * When a due rotation may run (`schedule.windows`): set from the configuration file only, built
   * there so that a run of flat inputs never loads the cron parser.
   */
  windows?: RotationWindows
  revokePrevious: boolean
  gracePeriodMs: number
  /** How long writing the new refresh token to its store may take, retries included. */
  persistTimeoutMs: number
  auditLogPath: string
  /** Names this run in the lock and the record. */
  runId: string
  /** Failed runs in a row that open the alert issue; 0 turns alerts off. */
  alertAfter: number
  /** The run's page, for the alert issue. */
  runUrl?: string
  /** Inputs that are valid but worth a second look, each naming its input. */
  warnings: InputProblem[]
}

/** The runner's environment beyond what publishing reads. */
export interface ActionContext extends RunnerContext {
  runId?: string | undefined
  runAttempt?: string | undefined
  runnerTemp?: string | undefined
  /** `GITHUB_SERVER_URL`, for links to the run. */
  serverUrl?: string | undefined
}

/** An issuer kind some provider of the registry has. */
function isIssuerKind(kind: string): kind is IssuerKind {
  return issuerKinds().includes(kind)
}
/**
 * What a run needs besides its health checks, rotation wait and persist: the mint (OAuth2: three
 * attempts of 30 s), the pending mark's write, the minute every write under the lock leaves unused,
 * and the other requests. The engine refuses to mint with less than mint, write, persist and
 * margin left.
 */
const LOCK_MARGIN_MS = 5 * 60_000
/** The shortest persist-timeout: one attempt may wait this long for GitHub's answer. */
const PERSIST_TIMEOUT_FLOOR_MS = 10_000
const MODES: readonly Mode[] = ['rotate', 'verify', 'retire', 'rollback']

/**
 * Validates every input at once and returns the run's configuration.
 * @throws ConfigError listing every invalid input, each with what would be valid
 */
export function parseActionConfig(raw: RawInputs, context: ActionContext): ActionConfig {
  const problems: InputProblem[] = controlCharacterProblems(raw)
  const add = (input: InputName, message: string) => problems.push({ input, message })

  const issuer = isIssuerKind(raw.issuer) ? raw.issuer : undefined
  if (!issuer) {
    add('issuer', `'${raw.issuer}' is not an issuer; use ${orList(issuerKinds())}`)
  }
  const mode = MODES.find(kind => kind === raw.mode)
  if (!mode) {
    add(
      'mode',
      raw.mode === 'plan'
        ? 'plan needs config: it plans the credentials of a configuration file over a matrix'
        : `'${raw.mode}' is not a mode; use rotate, verify, retire, rollback, or plan with config`
    )
  }
  const kind = storeKind(raw, raw.issuer, add)
  const inAws = kind === 'aws-secrets-manager'
  const fieldMappings = parseFieldMappings(raw, add)

  let publish: PublishConfig | undefined
  try {
    publish = parsePublishConfig(raw, context, {
      ...(issuer === 'oauth2' ? { mintedBy: 'oauth2' } : {}),
      ...((inAws && issuer !== 'oauth2') || issuer === 'aws-secrets-manager'
        ? { valueFrom: 'store-secret-id' }
        : {}),
      nameOptional: fieldMappings.length > 0,
      valueOptional: mode !== 'rotate'
    })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    problems.push(...error.problems)
  }

  const health = parseHealthCheckConfig(raw)
  problems.push(...health.problems)

  let oauth2: OAuth2IssuerConfig | undefined
  if (issuer === 'oauth2') {
    const parsed = parseOAuth2Config(raw)
    problems.push(...parsed.problems)
    oauth2 = parsed.config
  }

  const awsSecret = inAws
    ? parseAwsSecretConfig(raw, issuer === 'oauth2' ? DEFAULT_REFRESH_TOKEN_FIELD : undefined, add)
    : undefined
  const store = storeFor(raw, context, { issuer, mode, kind, awsSecret, publish }, add)
  // Inputs of a provider's role that this credential does not give that provider.
  for (const provider of PROVIDERS) {
    const only = provider.only
    const plays =
      (provider.issuers && issuer !== undefined && Object.hasOwn(provider.issuers, issuer)) ||
      (provider.stores && kind !== undefined && Object.hasOwn(provider.stores, kind))
    if (!only || plays) continue
    for (const name of only.inputs) {
      if (raw[name] !== '' && raw[name] !== INPUT_DEFAULTS[name]) {
        add(name, `applies to ${only.role} only; ${only.hint}`)
      }
    }
  }
  if (fieldMappings.length > 0 && (!inAws || issuer === 'oauth2')) {
    add(
      'secret-fields',
      'applies to a JSON secret read from AWS Secrets Manager (issuer none or aws-secrets-manager with store-secret-id)'
    )
  }
  if (issuer === 'aws-secrets-manager' && kind === 'github') {
    add(
      'store',
      'must be aws-secrets-manager with issuer: aws-secrets-manager (AWS keeps the versions)'
    )
  }
  const issues = issuerCapabilities(issuer)
  const keeps = storeCapabilities(kind)
  if (mode === 'rollback' && (!keeps?.keepsVersions || issues?.consumesInput)) {
    add(
      'mode',
      issues?.consumesInput
        ? `rollback does not apply to issuer: ${issuer ?? ''}: the previous version was already exchanged, and presenting it again revokes the grant`
        : `rollback needs store: ${orList(storeKinds().filter(k => storeCapabilities(k)?.keepsVersions))}, a store that keeps versions: it makes the previous version current again`
    )
  }
  // Without OAuth2 the value comes from AWS whole (a JSON document, or one string): the value it
  // replaced is AWSPREVIOUS, and the one to verify AWSCURRENT; an input could only disagree.
  const readFromAws = inAws && issuer !== 'oauth2'
  if (readFromAws && raw['previous-value'] !== '') {
    add(
      'previous-value',
      'is read from store-secret-id (AWSPREVIOUS after a rotation, AWSCURRENT for mode verify); remove it'
    )
  }
  if (readFromAws && health.config && fieldMappings.length > 0 && raw['store-field'] === '') {
    add(
      'store-field',
      'is required with health-check-url and secret-fields: the check sends one field of the JSON secret, never the whole document'
    )
  }
  if (readFromAws && raw['recovery-public-key'] !== '') {
    add(
      'recovery-public-key',
      'applies to issuer: oauth2 (it seals a new refresh token); AWS keeps the versions of this secret'
    )
  }
  if (
    kind === 'github' &&
    issuer !== 'aws-secrets-manager' &&
    raw.store === 'github' &&
    raw['store-secret-id'] !== ''
  ) {
    add(
      'store-secret-id',
      'applies to store: aws-secrets-manager; remove it, or remove store: github'
    )
  }
  if (mode === 'retire' && !issues?.revokes) {
    const revoking = issuerKinds().filter(k => issuerCapabilities(k)?.revokes)
    add(
      'mode',
      `retire applies to an issuer that revokes (${orList(revoking)}): it revokes replaced values`
    )
  }
  // A credential the issuer consumes comes from the store when the run can read it there, else
  // from the input the workflow fills from its secret.
  if (issues?.consumesInput && keeps?.readsLive && raw['refresh-token'] !== '') {
    add('refresh-token', `is read from store: ${kind ?? ''} (its live version); remove it`)
  }
  if (
    issues?.consumesInput &&
    !keeps?.readsLive &&
    mode === 'rotate' &&
    raw['refresh-token'] === ''
  ) {
    add(
      'refresh-token',
      'is required to rotate: pass the secret that holds it, e.g. refresh-token: ${{ secrets.OAUTH_REFRESH_TOKEN }}'
    )
  }

  let recoveryPublicKey: string | undefined
  if (raw['recovery-public-key'] !== '') {
    const parsed = parseRecoveryPublicKey(raw['recovery-public-key'])
    if (parsed.ok) recoveryPublicKey = parsed.key
    else problems.push(parsed.problem)
  }

  const duration = (input: InputName): number | undefined => {
    if (raw[input] === '') return undefined
    const ms = parseDuration(raw[input])
    if (ms === undefined) add(input, `'${raw[input]}' is not a duration; use ${DURATION_HINT}`)
    return ms
  }
  const lockTtlMs = duration('lock-expires-after')
  const persistTimeoutMs = duration('persist-timeout')
  if (persistTimeoutMs !== undefined && persistTimeoutMs < PERSIST_TIMEOUT_FLOOR_MS) {
    add(
      'persist-timeout',
      `must be at least 10s: one attempt to write the new refresh token may wait that long for an answer`
    )
  }
  // A lock that expires while its run still works lets a second writer in: it must outlast the
  // health check plus the persist retries (persist-timeout) and the rest of the run.
  // Twice: a failed check probes previous-value too, a revocation checks the value again.
  // With AWS rotating, the wait for its rotation Lambda is part of the run too.
  const rotationWaitMs = issuer === 'aws-secrets-manager' ? (awsSecret?.rotationTimeoutMs ?? 0) : 0
  const lockFloorMs =
    2 * (health.config?.timeoutMs ?? 0) + rotationWaitMs + (persistTimeoutMs ?? 0) + LOCK_MARGIN_MS
  if (store && lockTtlMs !== undefined && lockTtlMs < lockFloorMs) {
    add(
      'lock-expires-after',
      `must be at least ${String(Math.ceil(lockFloorMs / 60_000))}m (twice health-check-timeout${rotationWaitMs > 0 ? ', plus rotation-timeout' : ''}, plus persist-timeout, plus 5m for the mint and the rest of the run): a lock that expires while its run still works lets a second writer in`
    )
  }
  const rotateIfOlderThanMs = duration('rotate-if-older-than')
  const rotateBeforeExpiryMs = duration('rotate-before-expiry')
  const gracePeriodMs = duration('grace-period') ?? 0
  const revokePrevious = booleanInput(raw, 'revoke-previous', add)
  for (const input of ['rotate-if-older-than', 'rotate-before-expiry'] as const) {
    if (raw[input] !== '' && (!store || issuer === 'none')) {
      add(input, 'needs a rotation record; it applies to issuer: oauth2 or aws-secrets-manager')
    }
  }

  const previousValue = raw['previous-value'] === '' ? undefined : raw['previous-value']
  const healthCheck = health.config
  if (mode === 'verify') {
    if (!healthCheck) add('health-check-url', 'is required by mode: verify (it is the check)')
    if (previousValue === undefined && raw.value === '' && !readFromAws) {
      add('previous-value', 'is required by mode: verify: pass the value the targets hold now')
    }
  }
  if (revokePrevious) {
    if (issuer !== 'oauth2' || raw['revocation-url'] === '') {
      add('revoke-previous', 'needs issuer: oauth2 and revocation-url (where to revoke)')
    }
    if (!healthCheck) {
      add(
        'revoke-previous',
        'needs health-check-url: the old value is revoked only after the new one is proven to work'
      )
    }
    if (mode === 'rotate' && previousValue === undefined) {
      add('previous-value', 'is required by revoke-previous: it is the value to revoke')
    }
  }

  const alertAfter = Number(raw['alert-after'])
  if (!/^\d+$/.test(raw['alert-after']) || alertAfter > 1000) {
    add(
      'alert-after',
      `'${raw['alert-after']}' is not a whole number of runs; use 0 to turn alerts off`
    )
  }
  if (problems.length > 0 || !publish || !issuer || !mode) throw new ConfigError(problems)

  const retiringValue = raw['retiring-value'] === '' ? undefined : raw['retiring-value']
  return {
    issuer,
    mode,
    publish,
    ...(oauth2 ? { oauth2 } : {}),
    ...(store ? { store: { ...store, lockTtlMs: lockTtlMs ?? 0 } } : {}),
    ...(awsSecret ? { awsSecret } : {}),
    valueFrom: readFromAws && issuer === 'none' ? 'store' : 'issuer',
    ...(readFromAws ? { document: awsSecret?.field ? { field: awsSecret.field } : {} } : {}),
    fieldMappings,
    ...(healthCheck ? { healthCheck } : {}),
    refreshToken: raw['refresh-token'],
    ...(recoveryPublicKey ? { recoveryPublicKey } : {}),
    ...(previousValue !== undefined
      ? { previousValue }
      : mode === 'verify' && raw.value !== ''
        ? { previousValue: raw.value }
        : {}),
    ...(retiringValue !== undefined ? { retiringValue } : {}),
    ...(revokePrevious && gracePeriodMs > 0
      ? { retiringSecret: `${publish.secretName}_RETIRING` }
      : {}),
    ...(rotateIfOlderThanMs !== undefined ? { rotateIfOlderThanMs } : {}),
    ...(rotateBeforeExpiryMs !== undefined ? { rotateBeforeExpiryMs } : {}),
    revokePrevious,
    gracePeriodMs,
    persistTimeoutMs: persistTimeoutMs ?? DEFAULT_PERSIST_TIMEOUT_MS,
    auditLogPath: raw['audit-log'] || defaultAuditLogPath(context),
    runId: runName(context),
    alertAfter,
    ...(context.serverUrl && context.repository && context.runId
      ? { runUrl: `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}` }
      : {}),
    warnings: health.warnings
  }
}

/** What {@link storeFor} decides from. */
interface StoreChoice {
  issuer: IssuerKind | undefined
  mode: Mode | undefined
  kind: StoreKind | undefined
  awsSecret: AwsSecretConfig | undefined
  publish: PublishConfig | undefined
}

type StoreWithoutTtl = Omit<GitHubStoreConfig, 'lockTtlMs'> | Omit<AwsStoreConfig, 'lockTtlMs'>

/**
 * The store a run needs: the GitHub store for OAuth2 by default, AWS Secrets Manager when chosen;
 * none for a plain publication or a sync from AWS (which only reads), except to roll back.
 */
function storeFor(
  raw: RawInputs,
  context: ActionContext,
  choice: StoreChoice,
  add: (input: InputName, message: string) => void
): StoreWithoutTtl | undefined {
  const { issuer, mode, kind, awsSecret, publish } = choice
  if (issuer === 'oauth2' && kind === 'github') {
    const found = storeConfig(raw, context, publish, add)
    return found ? { kind: 'github', ...found, subject: found.secretName } : undefined
  }
  const versioned = issuer === 'oauth2' || issuer === 'aws-secrets-manager' || mode === 'rollback'
  if (kind !== 'aws-secrets-manager' || !awsSecret || !versioned) {
    if (raw['state-variable'] !== '') {
      add(
        'state-variable',
        'applies to a rotation with a store (issuer oauth2 or aws-secrets-manager); remove it'
      )
    }
    return undefined
  }
  if (issuer === 'oauth2' && raw['refresh-token-secret'] !== '') {
    add(
      'refresh-token-secret',
      'applies to the GitHub store; with store-secret-id the refresh token lives in AWS'
    )
  }
  const repository = context.repository ? parseRepository(context.repository) : undefined
  if (!repository) {
    add(
      'store-secret-id',
      'needs GITHUB_REPOSITORY: the one-writer lock is a variable of the repository running the workflow'
    )
    return undefined
  }
  const base = awsLockBase(raw, awsSecret.secretId)
  const why = secretNameProblem(base)
  if (why) add('state-variable', why.replace(/secret/g, 'variable'))
  return {
    kind: 'aws-secrets-manager',
    repository,
    lockVariable: `${base}_LOCK`,
    subject: awsSecret.secretId,
    versions: issuer === 'oauth2' ? 'action' : 'rotation-lambda'
  }
}

function storeConfig(
  raw: RawInputs,
  context: ActionContext,
  publish: PublishConfig | undefined,
  add: (input: InputName, message: string) => void
): Omit<GitHubStoreConfig, 'lockTtlMs' | 'kind' | 'subject'> | undefined {
  const secretName = raw['refresh-token-secret']
  if (secretName === '') {
    add(
      'refresh-token-secret',
      'is required with issuer: oauth2: the repository secret the rotated refresh token is written back to (the one refresh-token reads)'
    )
    return undefined
  }
  const why = secretNameProblem(secretName)
  if (why) {
    add('refresh-token-secret', why)
    return undefined
  }
  const stateVariable = raw['state-variable'] || `${secretName}_STATE`
  const stateWhy = secretNameProblem(stateVariable)
  if (stateWhy) add('state-variable', stateWhy.replace(/secret/g, 'variable'))
  const repository = context.repository ? parseRepository(context.repository) : undefined
  if (!repository) {
    add(
      'refresh-token-secret',
      'needs GITHUB_REPOSITORY: the refresh token lives in a secret of the repository running the workflow'
    )
    return undefined
  }
  const clash = publish?.repositories.some(
    ref =>
      ref.owner.toLowerCase() === repository.owner.toLowerCase() &&
      ref.repo.toLowerCase() === repository.repo.toLowerCase()
  )
  if (
    clash &&
    publish?.environments.length === 0 &&
    publish.secretName.toUpperCase() === secretName.toUpperCase()
  ) {
    add(
      'refresh-token-secret',
      `is the same secret as secret-name in ${context.repository ?? ''}: the access token would overwrite the refresh token; use two names`
    )
  }
  return {
    repository,
    secretName: secretName.toUpperCase(),
    stateVariable: stateVariable.toUpperCase(),
    lockVariable: `${stateVariable.toUpperCase()}_LOCK`
  }
}

function booleanInput(
  raw: RawInputs,
  input: InputName,
  add: (input: InputName, message: string) => void
): boolean {
  const text = raw[input].toLowerCase()
  if (text === 'true') return true
  if (text !== 'false') add(input, `'${raw[input]}' is not a boolean; use true or false`)
  return false
}

function defaultAuditLogPath(context: ActionContext): string {
  const dir = context.runnerTemp || tmpdir()
  return join(dir, `token-rotation-audit-${context.runId ?? String(process.pid)}.jsonl`)
}

function runName(context: ActionContext): string {
  if (!context.runId) return `local run ${String(process.pid)}`
  return `run ${context.runId} attempt ${context.runAttempt ?? '1'}`
}
