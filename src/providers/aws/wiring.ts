import type { ActionConfig } from '../../config/rotation-config.js'
import type { PartDeps, Parts } from '../provider.js'
import { createAwsValueIssuer } from './secret-value.js'
import { createAwsRotationIssuer } from './issuer.js'
import { createAwsSecretsStore } from './store.js'
import { createSecretsManagerClient } from './client.js'
import { waitForReplicas } from './replicas.js'
import { AwsSecret } from './secret.js'
import { AWS_KIND } from './configure.js'

// The one module that loads the AWS SDK. The action imports it only when a run reads or writes a
// Secrets Manager secret, so a run without AWS never pays the SDK's start-up time.

/** How long replicas may take to be in sync when no health-check-timeout says. */
const REPLICA_TIMEOUT_MS = 2 * 60_000

/**
 * The AWS parts of a credential that names a Secrets Manager secret: the AWS issuer (its rotation
 * Lambda rotates), or the reader of a sync (the value read from the store); the store, when the run keeps a
 * record (a rotation, or a rollback); and the health check, which waits for replicas first.
 */
export function assembleAws(config: ActionConfig, deps: PartDeps): Parts {
  const slice = config.slices.aws
  if (!slice) return {}
  const aws = slice.secret
  const { clock, sleep, log } = deps
  const client = deps.clients.get(`aws secrets manager ${aws.region ?? ''}`, () =>
    createSecretsManagerClient(aws.region)
  )
  const secret = new AwsSecret(client, aws.secretId, value => {
    deps.mask(value)
  })
  const versions = slice.versions
  return {
    ...(config.issuer === AWS_KIND
      ? {
          issuer: createAwsRotationIssuer({
            secret,
            timeoutMs: aws.rotationTimeoutMs,
            fields: config.fieldMappings.map(m => m.field),
            // A check that takes the document whole (a command) needs no store-field.
            healthChecked:
              deps.healthCheck !== undefined && deps.healthCheck.takesDocument !== true,
            ...(aws.field !== undefined ? { field: aws.field } : {}),
            clock,
            sleep,
            log
          })
        }
      : {}),
    ...(config.valueFrom === 'store' ? { reader: createAwsValueIssuer(secret) } : {}),
    ...(versions
      ? {
          store: createAwsSecretsStore({
            secret,
            // The credential is a field only when this action writes it (a refresh token); a value
            // AWS rotates is published whole, or field by field, by the targets.
            ...(versions === 'action' && aws.field !== undefined ? { field: aws.field } : {}),
            owner: versions,
            persistTimeoutMs: config.persistTimeoutMs,
            log,
            clock,
            sleep
          })
        }
      : {}),
    healthCheck: waitForReplicas(secret, deps.healthCheck, {
      timeoutMs: config.healthCheck?.timeoutMs ?? REPLICA_TIMEOUT_MS,
      clock,
      sleep,
      log
    })
  }
}
