import { Octokit } from '@octokit/core'
import { paginateRest } from '@octokit/plugin-paginate-rest'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import Bottleneck from 'bottleneck/light.js'
import type { Logger } from '../../logger.js'
import { describeRequest, RateLimitStop, retryAfter } from './retry-after.js'

// Order matters: a plugin listed later wraps the earlier ones. The retry plugin wraps the
// throttling plugin, so a retried write waits for its own turn (write spacing, concurrency slot)
// instead of reusing the failed attempt's; retryAfter sits inside throttling, within the turn.
const GitHubOctokit = Octokit.plugin(retryAfter, throttling, retry, paginateRest)

/** The Octokit client the action uses: retry, throttling and pagination applied. */
export type GitHubClient = InstanceType<typeof GitHubOctokit>

/** How the client paces and retries. */
export interface GitHubClientOptions {
  token: string
  /** API root without a trailing slash, e.g. https://api.github.com. */
  baseUrl: string
  /** Most requests in flight at once. */
  maxConcurrency: number
  /** Least time between the starts of two content-creating requests, in ms. */
  writeIntervalMs: number
  log: Logger
  /**
   * Unit of the retry backoff, in ms (default 1000: a request failing with 5xx is retried after 1,
   * 4 and 9 units, so a target that keeps failing is given up after about 14 s).
   */
  retryBaseMs?: number
  /**
   * Longest wait for one answer, in ms (default 10 s); an attempt without one is retried like a
   * 5xx, so a server that never answers fails a request after about 4 x 10 s + 14 s (one
   * {@link ONE_ATTEMPT} request: after 10 s).
   */
  requestTimeoutMs?: number
  /** The fetch to send requests with (default: the global fetch); tests pass one that records. */
  fetch?: typeof fetch
  /** Longest wait for a rate limit that the client accepts before giving up, in seconds. */
  maxRateLimitWaitSeconds?: number
  userAgent?: string
}

/** Rate-limit retries before a request is given up. */
const RATE_LIMIT_RETRIES = 3

/** Longest wait for one answer when the options do not say, in ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000

/**
 * Request options (`request: ONE_ATTEMPT`) for a request whose caller retries it itself, within a
 * time budget of its own (the persist): the client sends it once, and neither retries a 5xx nor
 * waits out a rate limit, so one attempt lasts at most the request timeout.
 */
export const ONE_ATTEMPT = Object.freeze({ retries: 0 })

/** How one request is sent. */
export interface SendOptions {
  /** Sent once ({@link ONE_ATTEMPT}). */
  once?: boolean
  /**
   * Abandons the request: no further attempt, no more waiting for a rate limit, and the request in
   * flight aborted (its error is the signal's reason, which no retry repeats).
   */
  signal?: AbortSignal
}

/** Octokit's `request` options for {@link SendOptions}, to spread into a request's parameters. */
export function sendOptions(send: SendOptions = {}): {
  request?: { retries?: number; signal?: AbortSignal }
} {
  if (send.once !== true && send.signal === undefined) return {}
  return {
    request: {
      ...(send.once === true ? ONE_ATTEMPT : {}),
      ...(send.signal ? { signal: send.signal } : {})
    }
  }
}

/** True for a request sent with {@link ONE_ATTEMPT}. */
export function isOneAttempt(request: Record<string, unknown>): boolean {
  const options = request.request
  return typeof options === 'object' && options !== null && 'retries' in options
    ? options.retries === 0
    : false
}

/**
 * Builds the Octokit client with GitHub's rate-limit rules wired in: the throttling plugin's
 * concurrency and write spacing are set from the inputs (its own defaults are 10 requests at once
 * and 1 s between writes), `retry-after` and `x-ratelimit-reset` are honored, and 5xx and dropped
 * connections are retried with bounded backoff by the retry plugin.
 * @see https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const { log } = options
  const maxWait = options.maxRateLimitWaitSeconds ?? 300
  const retryBaseMs = options.retryBaseMs ?? 1000
  // One per client: after a refusal that asks for longer than the run waits, nothing more is sent.
  const stop = new RateLimitStop()
  const onLimit =
    (kind: string) =>
    (
      retryAfter: number,
      request: { method: string; url: string; [key: string]: unknown },
      _octokit: unknown,
      retryCount: number
    ) => {
      const what = describeRequest(request)
      if (retryAfter > maxWait) {
        stop.stopFor(retryAfter)
        log.warning(
          `GitHub ${kind} on ${what}: asked to wait ${retryAfter}s, longer than the run waits (${maxWait}s); sending nothing more until ${stop.untilText()}.`
        )
        return false
      }
      if (retryCount >= RATE_LIMIT_RETRIES || isOneAttempt(request)) {
        log.warning(
          `GitHub ${kind} on ${what}: not retrying (asked to wait ${retryAfter}s, attempt ${retryCount + 1}).`
        )
        return false
      }
      log.info(`GitHub ${kind} on ${what}: waiting ${retryAfter}s as GitHub asks, then retrying.`)
      return true
    }

  // The throttling plugin reads `global` like `write` from these options, although its types list
  // only the latter; without our own groups it would share module-level limiters across clients.
  // Its retries after a rate limit run with weight 0, outside `global`'s count, so `global` alone
  // lets more than maxConcurrency requests out: the bound is kept where requests leave, in fetch.
  const throttle = {
    global: new Bottleneck.Group({ maxConcurrent: options.maxConcurrency }),
    write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.writeIntervalMs }),
    fallbackSecondaryRateRetryAfter: 60,
    onRateLimit: onLimit('rate limit'),
    onSecondaryRateLimit: onLimit('secondary rate limit')
  }

  return new GitHubOctokit({
    auth: options.token,
    baseUrl: options.baseUrl,
    userAgent: options.userAgent ?? 'token-rotation-action',
    request: {
      fetch: boundedFetch(
        fetchWithTimeout(
          options.fetch ?? fetch,
          options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
        ),
        options.maxConcurrency,
        options.writeIntervalMs
      )
    },
    retryAfter: {
      retries: RATE_LIMIT_RETRIES,
      maxWaitSeconds: maxWait,
      stop,
      onWait: (seconds, what) => {
        log.info(`GitHub asked to retry ${what} after ${seconds}s; waiting.`)
      },
      onStop: (seconds, what) => {
        log.warning(
          `GitHub refused ${what} and asked to wait ${seconds}s, longer than the run waits (${maxWait}s); sending nothing more until ${stop.untilText()}.`
        )
      }
    },
    throttle,
    // Rate limits (403/429) belong to the throttling plugin and, for the answers it does not
    // recognize, to retryAfter; letting the retry plugin also retry 429 would send it twice.
    retry: {
      retryAfterBaseValue: retryBaseMs,
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451]
    },
    log: octokitLog(log)
  })
}

/** The methods GitHub counts as content-creating for its secondary rate limits. */
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE'])

/**
 * fetch with at most `maxConcurrent` requests in flight, and writes at least `writeIntervalMs`
 * apart when they leave. Every request that reaches the network passes here, retries of every
 * plugin included, so `max-concurrency` holds whatever the plugins do (GitHub allows at most 100
 * concurrent requests). The throttling plugin spaces writes when they enter its queue; a write
 * that then waits here for a slot behind reads would leave closer to the next one than GitHub
 * asks, so the spacing is kept again where requests leave, once a slot is held.
 */
function boundedFetch(
  send: typeof fetch,
  maxConcurrent: number,
  writeIntervalMs: number
): typeof fetch {
  const limiter = new Bottleneck({ maxConcurrent })
  const writes = new Bottleneck({ maxConcurrent: 1, minTime: writeIntervalMs })
  return (input, init) =>
    limiter.schedule(() =>
      WRITE_METHODS.has((init?.method ?? 'GET').toUpperCase())
        ? writes.schedule(() => send(input, init))
        : send(input, init)
    )
}

/**
 * Octokit's log, on the run's: its `info` lines (one per request) go to debug, where a reader who
 * asked for them finds them, and the rest keep their level. Both GitHub clients use it.
 */
export function octokitLog(log: Logger): {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
} {
  return {
    debug: message => {
      log.debug(message)
    },
    info: message => {
      log.debug(message)
    },
    warn: message => {
      log.warning(message)
    },
    error: message => {
      log.error(message)
    }
  }
}

/**
 * fetch with a deadline. A server that accepts the connection and never answers would otherwise
 * hold the run until the job's own timeout (6 hours). The timeout is reported as a network failure
 * (a TypeError, like a refused connection), which Octokit turns into a retryable error; an abort
 * by the caller's own signal ({@link SendOptions.signal}) is passed on as it is, and not retried.
 */
export function fetchWithTimeout(send: typeof fetch, timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    try {
      return await send(input, { ...init, signal })
    } catch (error) {
      if (error instanceof DOMException && error.name === 'TimeoutError') {
        // Octokit reports a TypeError's cause when it has one; this message is the clearer one.
        // eslint-disable-next-line preserve-caught-error
        throw new TypeError(`no answer within ${timeoutMs / 1000} s`)
      }
      throw error
    }
  }
}
