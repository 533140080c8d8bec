import {
  describeHealthCheck,
  isExpectedStatus,
  type HttpHealthCheckConfig
} from '../config/health-config.js'
import type { Clock, HealthCheck, HealthResult, Sleep } from '../engine/ports.js'
import type { Logger } from '../logger.js'
import { buildProbeRequest, sendProbe } from './probe.js'
import { retryUntilHealthy } from './retry.js'

/** What the health check needs from outside: time, waiting, the log, and HTTP. */
export interface HealthCheckDeps {
  sleep: Sleep
  clock: Clock
  log: Logger
  /** Defaults to the global fetch. */
  fetch?: typeof fetch
  /** The deadline of each attempt; 10 s unless a test needs a shorter one. */
  attemptTimeoutMs?: number
}

const ATTEMPT_TIMEOUT_MS = 10_000

/**
 * The HTTP health check: probes the configured URL with the value until it answers an expected
 * status or `timeoutMs` (on the Clock) has passed, with the retries of every health check
 * ({@link retryUntilHealthy}). 401 and 403 are retried too, since a new credential can take a
 * while to reach every server of the issuer. The last attempt starts at the deadline at the latest
 * and takes at most its own deadline (10 s) beyond it.
 */
export function createHttpHealthCheck(
  config: HttpHealthCheckConfig,
  deps: HealthCheckDeps
): HealthCheck {
  const fetcher = deps.fetch ?? globalThis.fetch
  const attemptTimeoutMs = deps.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS
  return {
    description: describeHealthCheck(config),
    async check(value: string): Promise<HealthResult> {
      const request = buildProbeRequest(config, value)
      if (!request) {
        return {
          ok: false,
          attempts: 0,
          detail:
            'the value cannot be sent in a header: it holds a line break, a control character or a character beyond Latin-1'
        }
      }
      return retryUntilHealthy(
        async () => {
          const outcome = await sendProbe(request, fetcher, attemptTimeoutMs)
          const ok = outcome.status !== undefined && isExpectedStatus(outcome.status, config.expect)
          return { ok, detail: outcome.detail }
        },
        { timeoutMs: config.timeoutMs, clock: deps.clock, sleep: deps.sleep, log: deps.log }
      )
    }
  }
}
