import { isExpectedStatus, type HealthCheckConfig } from '../config/health-config.js'
import type { Clock, HealthCheck, HealthResult, Sleep } from '../engine/ports.js'
import type { Logger } from '../logger.js'
import { buildProbeRequest, sendProbe } from './probe.js'

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

const FIRST_DELAY_MS = 1_000
const MAX_DELAY_MS = 15_000
const ATTEMPT_TIMEOUT_MS = 10_000

/**
 * The HTTP health check: probes the configured URL with the value until it answers an expected
 * status or `timeoutMs` (on the Clock) has passed, waiting 1 s, 2 s, 4 s ... (at most 15 s) between
 * attempts. Every failure is retried, 401 and 403 included, since a new credential can take a
 * while to reach every server of the issuer. The last attempt starts at the deadline at the latest
 * and takes at most its own deadline (10 s) beyond it.
 */
export function createHttpHealthCheck(
  config: HealthCheckConfig,
  deps: HealthCheckDeps
): HealthCheck {
  const fetcher = deps.fetch ?? globalThis.fetch
  const attemptTimeoutMs = deps.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS
  const now = () => deps.clock.now().getTime()
  return {
    description: describeProbe(config),
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
      const deadline = now() + config.timeoutMs
      let delay = FIRST_DELAY_MS
      for (let attempt = 1; ; attempt++) {
        const outcome = await sendProbe(request, fetcher, attemptTimeoutMs)
        if (outcome.status !== undefined && isExpectedStatus(outcome.status, config.expect)) {
          return { ok: true, attempts: attempt, detail: outcome.detail }
        }
        const left = deadline - now()
        if (left <= 0) {
          deps.log.debug(`Health check attempt ${attempt}: ${outcome.detail}; giving up`)
          return { ok: false, attempts: attempt, detail: outcome.detail }
        }
        const wait = Math.min(delay, left)
        deps.log.debug(`Health check attempt ${attempt}: ${outcome.detail}; next in ${wait} ms`)
        await deps.sleep(wait)
        delay = Math.min(delay * 2, MAX_DELAY_MS)
      }
    }
  }
}

/** `GET https://api.example.com/user`, the query left out: it may hold the value or another key. */
function describeProbe(config: HealthCheckConfig): string {
  const [path = config.url, query] = config.url.split(/[?#]/, 2)
  return `${config.method} ${path}${query === undefined ? '' : '?…'}`
}
