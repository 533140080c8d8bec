import type { ActionConfig } from '../config/rotation-config.js'
import type { EngineDeps } from '../engine/rotation.js'
import type { Audit } from '../engine/outcome.js'
import type { Clock, Sleep } from '../engine/ports.js'
import type { RotationPlan } from '../engine/plan.js'
import { ActionError } from '../errors.js'
import { createGitHubClient } from '../github/client.js'
import { SecretPublisher } from '../github/publisher.js'
import { secretTargets } from '../github/secret-targets.js'
import { targetsFromConfig } from '../github/targets.js'
import { createHttpHealthCheck } from '../health/http-health-check.js'
import { createStaticIssuer } from '../issuers/none.js'
import { createOAuth2Issuer } from '../issuers/oauth2.js'
import type { Logger } from '../logger.js'
import { sealForRecovery } from '../recovery/recovery-box.js'
import { createGitHubStore } from '../stores/github/store.js'

/** What the parts need from the run. */
export interface AssemblyDeps {
  log: Logger
  mask(secret: string): void
  clock: Clock
  sleep: Sleep
  audit: Audit
  onRecoveryCiphertext(ciphertext: string): void
}

/** Builds the engine's parts for a validated configuration: the only place that picks them. */
export function assembleEngine(config: ActionConfig, deps: AssemblyDeps): EngineDeps {
  const { log, clock, sleep } = deps
  const publish = config.publish
  const client = createGitHubClient({
    token: publish.token,
    baseUrl: publish.apiUrl,
    maxConcurrency: publish.maxConcurrency,
    writeIntervalMs: publish.writeIntervalMs,
    log
  })
  const publisher = new SecretPublisher(client, log)
  // The store's few writes are not paced: from mint to persist, every second the new refresh
  // token spends only in memory is a second a dying runner could lose it in.
  const storeClient = createGitHubClient({
    token: publish.token,
    baseUrl: publish.apiUrl,
    maxConcurrency: publish.maxConcurrency,
    writeIntervalMs: 0,
    log
  })
  const issuer =
    config.oauth2 !== undefined
      ? createOAuth2Issuer(config.oauth2, {
          mask: secret => {
            deps.mask(secret)
          },
          log,
          sleep
        })
      : createStaticIssuer(publish.value)
  const store = config.store
  const recoveryKey = config.recoveryPublicKey
  const retiringSecret = config.retiringSecret
  return {
    issuer,
    ...(store
      ? {
          store: createGitHubStore({
            client: storeClient,
            repository: store.repository,
            secretName: store.secretName,
            stateVariable: store.stateVariable,
            lockVariable: store.lockVariable,
            log,
            clock,
            sleep
          })
        }
      : {}),
    targets: secretTargets(publisher, targetsFromConfig(publish)),
    ...(config.healthCheck
      ? { healthCheck: createHttpHealthCheck(config.healthCheck, { sleep, clock, log }) }
      : {}),
    ...(recoveryKey
      ? { sealForRecovery: (value: string) => sealForRecovery(value, recoveryKey) }
      : {}),
    onRecoveryCiphertext: ciphertext => {
      deps.onRecoveryCiphertext(ciphertext)
    },
    ...(store && retiringSecret
      ? {
          keepRetiring: async (value: string) => {
            const scope = {
              kind: 'repository',
              type: 'actions',
              repository: store.repository
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
    revokePrevious: config.revokePrevious,
    gracePeriodMs: config.gracePeriodMs,
    lockTtlMs: config.store?.lockTtlMs ?? 0
  }
}
