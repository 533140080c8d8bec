import { pollWithBackoff, type Backoff } from '../../engine/backoff.js'
import type { Clock, HealthCheck, HealthResult, Sleep } from '../../engine/ports.js'
import type { Logger } from '../../logger.js'
import type { ReplicaState, SecretApi } from './secret.js'

/** What {@link waitForReplicas} needs. */
export interface ReplicaWaitOptions {
  /** How long replicas may take to be in sync. */
  timeoutMs: number
  clock: Clock
  sleep: Sleep
  log: Logger
}

/** 1, 2, 4, 8, 10 s between looks at the replicas. */
const REPLICA_BACKOFF: Backoff = { firstMs: 1000, longestMs: 10_000 }

/**
 * A health check that first waits until every replica region of the secret reports `InSync`:
 * a value checked (or read by its consumers) in a replica region must be the new one. A replica
 * that reports `Failed`, or is not in sync within the timeout, fails the check with its region
 * and AWS's message. The secret's replication status is read with DescribeSecret; a secret
 * without replicas costs that one request.
 * @param inner the HTTP probe, when one is configured
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html
 */
export function waitForReplicas(
  secret: SecretApi,
  inner: HealthCheck | undefined,
  options: ReplicaWaitOptions
): HealthCheck {
  return {
    description: inner?.description ?? `the replicas of secret ${secret.secretId}`,
    check: async value => {
      const replicas = await replicasInSync(secret, options)
      if (!replicas.ok) return replicas
      if (!inner) return replicas
      const result = await inner.check(value)
      return replicas.detail === ''
        ? result
        : { ...result, detail: `${replicas.detail}; ${result.detail}` }
    }
  }
}

async function replicasInSync(
  secret: SecretApi,
  options: ReplicaWaitOptions
): Promise<HealthResult> {
  const { log, timeoutMs } = options
  let behind: readonly ReplicaState[] = []
  const polled = await pollWithBackoff(
    async attempt => {
      const { replicas } = await secret.describe('verify')
      if (replicas.length === 0) return { ok: true, attempts: attempt, detail: '' }
      const failed = replicas.find(r => r.status === 'Failed')
      if (failed) return { ok: false, attempts: attempt, detail: `replica ${describe(failed)}` }
      behind = replicas.filter(r => r.status !== 'InSync')
      if (behind.length === 0) {
        const regions = replicas.map(r => r.region).join(', ')
        return { ok: true, attempts: attempt, detail: `replicas in sync (${regions})` }
      }
      log.info(`Waiting for replicas to be in sync: ${behind.map(describe).join(', ')}.`)
      return undefined
    },
    { ...options, backoff: REPLICA_BACKOFF }
  )
  if (polled.done) return polled.value
  return {
    ok: false,
    attempts: polled.attempts,
    detail: `replicas not in sync within ${Math.round(timeoutMs / 1000)} s: ${behind.map(describe).join(', ')}`
  }
}

function describe(replica: ReplicaState): string {
  return `${replica.region} ${replica.status}${replica.message ? ` (${replica.message})` : ''}`
}
