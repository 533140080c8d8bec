import type { ActionConfig, GitHubStoreConfig } from '../config/rotation-config.js'
import type { EngineDeps } from '../engine/rotation.js'
import type { Audit } from '../engine/outcome.js'
import type { Clock, HealthCheck, Issuer, Lock, Sleep, Store, Targets } from '../engine/ports.js'
import type { RotationPlan } from '../engine/plan.js'
import { ActionError } from '../errors.js'
import { createGitHubClient, type GitHubClient } from '../providers/github/client.js'
import { fieldHealthCheck, fieldTargets } from '../providers/github/field-targets.js'
import { PublicKeys } from '../providers/github/public-keys.js'
import { SecretPublisher } from '../providers/github/publisher.js'
import { createStoreClient } from '../providers/github/store-client.js'
import { targetsFromConfig } from '../providers/github/targets.js'
import { createHttpHealthCheck } from '../health/http-health-check.js'
import { createStaticIssuer } from '../providers/static/issuer.js'
import { createOAuth2Issuer } from '../providers/oauth2/issuer.js'
import type { Logger } from '../logger.js'
import { sealForRecovery } from '../recovery/recovery-box.js'
import { loadSodium } from '../recovery/sodium.js'
import { createVariableLock } from '../providers/github/lock.js'
import { createGitHubStore } from '../providers/github/store.js'
import { RepositoryVariables } from '../providers/github/variables.js'

/** What the parts need from the run. */
export interface AssemblyDeps {
  log: Logger
  mask(secret: string): void
  clock: Clock
  sleep: Sleep
  audit: Audit
  onRecoveryCiphertext(ciphertext: string): void
  /**
   * The targets' client, when the run already has one: every credential of a run shares it, so
   * one limiter paces all their writes (GitHub's budget is per token, not per credential).
   */
  client?: GitHubClient
}

/** How long replicas may take to be in sync when no health-check-timeout says. */
const REPLICA_TIMEOUT_MS = 2 * 60_000

/**
 * Builds the engine's parts for a validated configuration: the only place that picks them. The
 * AWS SDK is loaded here, and only when the configuration names a Secrets Manager secret.
 */
export async function assembleEngine(
  config: ActionConfig,
  deps: AssemblyDeps
): Promise<EngineDeps> {
  const { log, clock, sleep } = deps
  const publish = config.publish
  const client =
    deps.client ??
    createGitHubClient({
      token: publish.token,
      baseUrl: publish.apiUrl,
      maxConcurrency: publish.maxConcurrency,
      writeIntervalMs: publish.writeIntervalMs,
      log
    })
  // One key cache for the targets and the store: the store's repository is usually a target too.
  const keys = new PublicKeys(client)
  const publisher = new SecretPublisher(client, log, keys)
  // The store's few writes are not paced: from mint to persist, every second the new refresh
  // token spends only in memory is a second a dying runner could lose it in.
  const storeClient = createStoreClient({ token: publish.token, baseUrl: publish.apiUrl, log })
  const http = config.healthCheck
    ? createHttpHealthCheck(config.healthCheck, { sleep, clock, log })
    : undefined
  let issuer: Issuer | undefined =
    config.oauth2 !== undefined
      ? createOAuth2Issuer(config.oauth2, {
          mask: secret => {
            deps.mask(secret)
          },
          log,
          sleep
        })
      : undefined
  let store: Store | undefined
  let healthCheck: HealthCheck | undefined = http
  const storeConfig = config.store
  // A refresh token's field is the store's business: the access token is published and checked whole.
  const field = config.issuer === 'oauth2' ? undefined : config.awsSecret?.field
  if (config.awsSecret) {
    const { assembleAws } = await import('../providers/aws/wiring.js')
    const aws = assembleAws(
      config.awsSecret,
      config.issuer,
      storeConfig?.kind === 'aws-secrets-manager' ? storeConfig.versions : undefined,
      {
        mask: secret => {
          deps.mask(secret)
        },
        // A value read from AWS may be a JSON document: the check gets one field, never all.
        ...(http
          ? { healthCheck: config.issuer === 'oauth2' ? http : fieldHealthCheck(http, field) }
          : {}),
        replicaTimeoutMs: config.healthCheck?.timeoutMs ?? REPLICA_TIMEOUT_MS,
        persistTimeoutMs: config.persistTimeoutMs,
        fields: config.fieldMappings.map(m => m.field),
        clock,
        sleep,
        log
      }
    )
    issuer ??= aws.issuer
    store = aws.store
    healthCheck = aws.healthCheck
  } else if (storeConfig?.kind === 'github') {
    store = createGitHubStore({
      client: storeClient,
      repository: storeConfig.repository,
      secretName: storeConfig.secretName,
      stateVariable: storeConfig.stateVariable,
      persistTimeoutMs: config.persistTimeoutMs,
      log,
      clock,
      sleep,
      keys
    })
  }
  preload(config)
  const recoveryKey = config.recoveryPublicKey
  const retiringSecret = config.retiringSecret
  return {
    issuer: issuer ?? createStaticIssuer(publish.value),
    // Every store's lock is a repository variable today, next to the record (DESIGN.md: one writer).
    ...(store && storeConfig
      ? { store, lock: variableLock(storeClient, storeConfig, log, clock) }
      : {}),
    targets: targetsFor(config, publisher, field),
    ...(healthCheck ? { healthCheck } : {}),
    ...(recoveryKey
      ? { sealForRecovery: (value: string) => sealForRecovery(value, recoveryKey) }
      : {}),
    onRecoveryCiphertext: ciphertext => {
      deps.onRecoveryCiphertext(ciphertext)
    },
    ...(storeConfig && retiringSecret
      ? {
          keepRetiring: async (value: string) => {
            const scope = {
              kind: 'repository',
              type: 'actions',
              repository: storeConfig.repository
            } as const
            const [result] = await publisher.publish([{ scope, name: retiringSecret }], value)
            if (result?.status === 'failed') {
              throw new ActionError(result.error ?? `could not write ${retiringSecret}`, {
                code: 'github-rejected',
                phase: 'promote'
              })
            }
          }
        }
      : {}),
    clock,
    sleep,
    log,
    audit: deps.audit
  }
}

/**
 * The targets: `secret-name` gets the value (or its `store-field` of a JSON secret read from AWS),
 * and each `secret-fields` mapping writes one more secret from one field.
 */
function targetsFor(
  config: ActionConfig,
  publisher: SecretPublisher,
  field: string | undefined
): Targets {
  const publish = config.publish
  const groups = [
    ...(publish.secretName !== ''
      ? [
          {
            targets: targetsFromConfig(publish),
            ...(field !== undefined ? { field, plainWhole: true } : {})
          }
        ]
      : []),
    ...config.fieldMappings.map(m => ({
      targets: targetsFromConfig(publish, m.name),
      field: m.field
    }))
  ]
  return fieldTargets(publisher, groups)
}

/** The one-writer lock of a store: a repository variable only one run can create. */
function variableLock(
  client: GitHubClient,
  store: Pick<GitHubStoreConfig, 'repository' | 'lockVariable'>,
  log: Logger,
  clock: Clock
): Lock {
  const variables = new RepositoryVariables(client, store.repository, clock)
  return createVariableLock({ variables, name: store.lockVariable, log })
}

/**
 * Starts loading what the first requests do not need (libsodium, and undici for an OAuth2
 * issuer), so it loads while they are in flight and is ready when the first secret is sealed.
 * A failure here is not reported: the code that needs the module loads it again and says why.
 */
function preload(config: ActionConfig): void {
  if (config.mode !== 'verify') loadSodium().catch(() => undefined)
  if (config.oauth2 !== undefined) import('undici').catch(() => undefined)
}

/** The engine's orders from the configuration. */
export function planFrom(config: ActionConfig): RotationPlan {
  return {
    mode: config.mode,
    dryRun: config.publish.dryRun,
    runId: config.runId,
    input: config.refreshToken,
    ...(config.previousValue !== undefined ? { previousValue: config.previousValue } : {}),
    ...(config.retiringValue !== undefined ? { retiringValue: config.retiringValue } : {}),
    ...(config.rotateIfOlderThanMs !== undefined
      ? { rotateIfOlderThanMs: config.rotateIfOlderThanMs }
      : {}),
    ...(config.rotateBeforeExpiryMs !== undefined
      ? { rotateBeforeExpiryMs: config.rotateBeforeExpiryMs }
      : {}),
    ...(config.windows ? { windows: config.windows } : {}),
    revokePrevious: config.revokePrevious,
    gracePeriodMs: config.gracePeriodMs,
    lockTtlMs: config.store?.lockTtlMs ?? 0
  }
}
