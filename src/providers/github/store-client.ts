import { Octokit, type OctokitOptions } from '@octokit/core'
import { paginateRest } from '@octokit/plugin-paginate-rest'
import { retry } from '@octokit/plugin-retry'
import { RequestError } from '@octokit/request-error'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../../logger.js'
import { fetchWithTimeout, isOneAttempt, octokitLog, type GitHubClient } from './client.js'
import { describeRequest, parseRetryAfter } from './retry-after.js'

/** Settings of {@link rateLimits}, given as `rateLimits` in Octokit's options. */
interface RateLimitOptions {
  /** Retries before the error is passed on. */
  retries: number
  /** Longest wait accepted in all, in seconds; a longer one is passed on at once. */
  maxWaitSeconds: number
  log: Logger
}

declare module '@octokit/core' {
  interface OctokitOptions {
    rateLimits?: RateLimitOptions
  }
}

// The retry plugin wraps rateLimits: rate limits (403/429) are waited out here, other failures
// (5xx, dropped connections) retried with backoff there.
const StoreOctokit = Octokit.plugin(rateLimits, retry, paginateRest)

/** What {@link createStoreClient} needs. */
export interface StoreClientOptions {
  token: string
  /** API root without a trailing slash, e.g. https://api.github.com. */
  baseUrl: string
  log: Logger
  /** Unit of the retry backoff, in ms (default 1000; 5xx is retried after 1, 4 and 9 units). */
  retryBaseMs?: number
  /** Longest wait for one answer, in ms (default 10 s); an attempt without one is retried. */
  requestTimeoutMs?: number
  /** Longest wait for a rate limit that the client accepts before giving up, in seconds. */
  maxRateLimitWaitSeconds?: number
}

/** Rate-limit retries before a request is given up. */
const RATE_LIMIT_RETRIES = 3

/** GitHub's advice when a secondary rate limit comes without `retry-after`: wait a minute. */
const SECONDARY_FALLBACK_SECONDS = 60

/**
 * The client of the store (the refresh token's secret, the record and the lock) and of the alert
 * issue: their requests go one at a time and are never paced, so they skip the throttling
 * plugin's queues, which cost each sequential request 15 to 20 ms. Rate limits are still honored
 * (`retry-after`, `x-ratelimit-reset`, GitHub's one minute for a secondary limit without either),
 * and 5xx answers and dropped connections retried with the same backoff as the targets' client.
 * @see https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
 */
export function createStoreClient(options: StoreClientOptions): GitHubClient {
  const { log } = options
  return new StoreOctokit({
    auth: options.token,
    baseUrl: options.baseUrl,
    userAgent: 'token-rotation-action',
    request: { fetch: fetchWithTimeout(fetch, options.requestTimeoutMs ?? 10_000) },
    rateLimits: {
      retries: RATE_LIMIT_RETRIES,
      maxWaitSeconds: options.maxRateLimitWaitSeconds ?? 300,
      log
    },
    retry: {
      retryAfterBaseValue: options.retryBaseMs ?? 1000,
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451]
    },
    log: octokitLog(log)
  })
}

/** Waits out GitHub's rate limits (403 and 429 that say how long), within the request. */
function rateLimits(octokit: Octokit, options: OctokitOptions): Record<string, never> {
  const settings = options.rateLimits
  if (!settings) return {}
  octokit.hook.wrap('request', async (request, requestOptions) => {
    let waited = 0
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(requestOptions)
      } catch (error) {
        const seconds = rateLimitWait(error, Date.now())
        const what = describeRequest(requestOptions)
        const signal = requestOptions.request.signal
        // A caller that sends once (ONE_ATTEMPT) has its own budget, or must not send again; one
        // whose signal has aborted wants nothing more sent.
        if (seconds === undefined || isOneAttempt(requestOptions) || signal?.aborted === true) {
          throw error
        }
        if (attempt >= settings.retries || waited + seconds > settings.maxWaitSeconds) {
          settings.log.warning(
            `GitHub rate limit on ${what}: not retrying (asked to wait ${seconds}s, attempt ${attempt + 1}).`
          )
          throw error
        }
        settings.log.info(
          `GitHub rate limit on ${what}: waiting ${seconds}s as GitHub asks, then retrying.`
        )
        waited += seconds
        // An abort ends the wait at once: the request is not sent again.
        await sleep(seconds * 1000, undefined, signal ? { signal } : {}).catch((error: unknown) => {
          // The caller's own reason says why, where Node's AbortError would not.
          throw signal?.aborted === true && signal.reason instanceof Error ? signal.reason : error
        })
      }
    }
  })
  return {}
}

/** Seconds a 403/429 asks to wait, or undefined when it is no rate limit. */
function rateLimitWait(error: unknown, now: number): number | undefined {
  if (!(error instanceof RequestError) || (error.status !== 403 && error.status !== 429)) {
    return undefined
  }
  const headers = error.response?.headers ?? {}
  const after = headers['retry-after']
  if (after !== undefined) return parseRetryAfter(String(after), now)
  const reset = Number(headers['x-ratelimit-reset'])
  if (String(headers['x-ratelimit-remaining']) === '0' && Number.isFinite(reset)) {
    return Math.max(0, Math.ceil(reset - now / 1000))
  }
  if (/\bsecondary rate\b/i.test(error.message)) return SECONDARY_FALLBACK_SECONDS
  return undefined
}
