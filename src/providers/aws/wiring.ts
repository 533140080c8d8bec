import type { AwsSecretConfig, VersionOwner } from './config.js'
import type { Clock, HealthCheck, Issuer, Sleep, Store } from '../../engine/ports.js'
import { createAwsValueIssuer } from './secret-value.js'
import { createAwsRotationIssuer } from './issuer.js'
import type { Logger } from '../../logger.js'
import { createAwsSecretsStore } from './store.js'
import { createSecretsManagerClient } from './client.js'
import { waitForReplicas } from './replicas.js'
import { AwsSecret } from './secret.js'

// The one module that loads the AWS SDK. The action imports it only when a run reads or writes a
// Secrets Manager secret, so a run without AWS never pays the SDK's start-up time.

/** What the AWS parts need from the run. */
export interface AwsWiringDeps {
  mask(secret: string): void
  /** The HTTP probe, when one is configured. */
  healthCheck?: HealthCheck
  /** How long replicas may take to be in sync. */
  replicaTimeoutMs: number
  /** How long writing the new refresh token may take, retries included (`persist-timeout`). */
  persistTimeoutMs?: number
  /** JSON fields the targets and the check read: the AWS issuer checks them before rotating. */
  fields: readonly string[]
  clock: Clock
  sleep: Sleep
  log: Logger
}

/** The engine's parts that AWS provides for one configuration. */
export interface AwsParts {
  /** The AWS issuer, or the sync's reader; absent when another issuer mints (OAuth2). */
  issuer?: Issuer
  store?: Store
  /** The health check, waiting for replicas first. */
  healthCheck: HealthCheck
}

/**
 * Builds the AWS parts.
 * @param issuer the configured issuer: `oauth2` (AWS is the store), `aws-secrets-manager` (AWS
 *   rotates) or `none` (a sync)
 * @param versions who moves the staging labels, when the run has a store
 */
export function assembleAws(
  config: AwsSecretConfig,
  issuer: string,
  versions: VersionOwner | undefined,
  deps: AwsWiringDeps
): AwsParts {
  const { clock, sleep, log } = deps
  const client = createSecretsManagerClient(config.region)
  const secret = new AwsSecret(client, config.secretId, value => {
    deps.mask(value)
  })
  return {
    ...(issuer === 'aws-secrets-manager'
      ? {
          issuer: createAwsRotationIssuer({
            secret,
            timeoutMs: config.rotationTimeoutMs,
            fields: deps.fields,
            healthChecked: deps.healthCheck !== undefined,
            ...(config.field !== undefined ? { field: config.field } : {}),
            clock,
            sleep,
            log
          })
        }
      : issuer === 'none'
        ? { issuer: createAwsValueIssuer(secret) }
        : {}),
    ...(versions
      ? {
          store: createAwsSecretsStore({
            secret,
            // The credential is a field only when this action writes it (a refresh token); a value
            // AWS rotates is published whole, or field by field, by the targets.
            ...(versions === 'action' && config.field !== undefined ? { field: config.field } : {}),
            owner: versions,
            ...(deps.persistTimeoutMs !== undefined
              ? { persistTimeoutMs: deps.persistTimeoutMs }
              : {}),
            log,
            clock,
            sleep
          })
        }
      : {}),
    healthCheck: waitForReplicas(secret, deps.healthCheck, {
      timeoutMs: deps.replicaTimeoutMs,
      clock,
      sleep,
      log
    })
  }
}
