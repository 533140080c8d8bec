import { backoffMs, type Backoff } from '../engine/backoff.js'
import type { Clock, HealthResult, Sleep } from '../engine/ports.js'
import type { Logger } from '../logger.js'

/** What one attempt of a health check saw. `detail` is safe to print: it never holds a value. */
export interface AttemptOutcome {
  ok: boolean
  detail: string
}

/** What {@link retryUntilHealthy} needs. */
export interface RetryOptions {
  /** How long to keep retrying for propagation delay, from the first attempt. */
  timeoutMs: number
  clock: Clock
  sleep: Sleep
  log: Logger
}

/** 1 s, 2 s, 4 s ... at most 15 s between attempts. */
const HEALTH_BACKOFF: Backoff = { firstMs: 1_000, longestMs: 15_000 }

/**
 * The retries of every health check: calls `attempt` until it passes or `timeoutMs` (on the Clock)
 * has passed, waiting 1 s, 2 s, 4 s ... (at most 15 s) between attempts. Every failure is retried,
 * since a new credential can take a while to reach every server of its issuer. The last wait ends
 * at the deadline, so the last attempt starts at the deadline at the latest; how long an attempt
 * may take is the attempt's own business.
 * @param attempt one try; gets what is left of the timeout (zero or less for an attempt that
 *   starts at the deadline)
 */
export async function retryUntilHealthy(
  attempt: (leftMs: number) => Promise<AttemptOutcome>,
  options: RetryOptions
): Promise<HealthResult> {
  const { clock, sleep, log } = options
  const now = () => clock.now().getTime()
  const deadline = now() + options.timeoutMs
  for (let attempts = 1; ; attempts++) {
    const outcome = await attempt(deadline - now())
    if (outcome.ok) return { ok: true, attempts, detail: outcome.detail }
    const left = deadline - now()
    if (left <= 0) {
      log.debug(`Health check attempt ${attempts}: ${outcome.detail}; giving up`)
      return { ok: false, attempts, detail: outcome.detail }
    }
    const wait = Math.min(backoffMs(attempts, HEALTH_BACKOFF), left)
    log.debug(`Health check attempt ${attempts}: ${outcome.detail}; next in ${wait} ms`)
    await sleep(wait)
  }
}
