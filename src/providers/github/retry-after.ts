import type { Octokit, OctokitOptions } from '@octokit/core'
import { setTimeout as sleep } from 'node:timers/promises'
import * as z from 'zod'
import { ActionError } from '../../errors.js'

/** Settings of {@link retryAfter}, given as `retryAfter` in Octokit's options. */
export interface RetryAfterOptions {
  /** Retries before the error is passed on. */
  retries: number
  /** Longest wait accepted, in seconds; a longer `retry-after` is passed on at once. */
  maxWaitSeconds: number
  /** Told of each wait before it starts, to log it. */
  onWait(seconds: number, request: string): void
  /** The client's stop: set by a refusal that asks for longer than `maxWaitSeconds`. */
  stop?: RateLimitStop
  /** Told when such a refusal stops the client. */
  onStop?(seconds: number, request: string): void
}

/**
 * A client's stop after a rate limit it will not wait out. GitHub warns that requests sent while
 * an integration is rate limited can get it banned, so once GitHub asks to wait longer than the
 * run waits, the client sends nothing more until that time: every request still queued fails at
 * once, without reaching GitHub, saying when to run again.
 * @see https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
 */
export class RateLimitStop {
  #until: number | undefined

  /** Stops the client for `seconds` from now (a later stop never shortens an earlier one). */
  stopFor(seconds: number, now = Date.now()): void {
    const until = now + seconds * 1000
    if (this.#until === undefined || until > this.#until) this.#until = until
  }

  /** When GitHub allows requests again, as `HH:MM:SSZ` (UTC), or '' when not stopped. */
  untilText(): string {
    return this.#until === undefined ? '' : `${new Date(this.#until).toISOString().slice(11, 19)}Z`
  }

  /**
   * Throws instead of sending while the client is stopped.
   * @throws ActionError `github-rate-limited`: `not sent: GitHub asked to wait until …`
   */
  check(request: { method?: string }, now = Date.now()): void {
    if (this.#until === undefined || now >= this.#until) return
    const write = (request.method ?? 'GET') !== 'GET' && request.method !== 'HEAD'
    throw new ActionError(
      `not sent: GitHub asked to wait until ${this.untilText()}; run again after it.`,
      { code: 'github-rate-limited', phase: write ? 'publish' : 'preflight' }
    )
  }
}

declare module '@octokit/core' {
  interface OctokitOptions {
    retryAfter?: RetryAfterOptions
  }
}

/**
 * Honors `retry-after` on 403 and 429 answers that the throttling plugin does not take for rate
 * limits: it retries only those whose message names a secondary rate limit, whose
 * `x-ratelimit-remaining` is 0 or whose errors say RATE_LIMITED, and it reads `retry-after` as seconds only. A proxy or a GitHub
 * Enterprise Server may send a bare 429, or an HTTP-date. Applied before the throttling plugin, so
 * its retries stay inside the request's own turn and are never counted twice.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function retryAfter(octokit: Octokit, options: OctokitOptions): Record<string, never> {
  const settings = options.retryAfter
  if (!settings) return {}
  octokit.hook.wrap('request', async (request, requestOptions) => {
    // The waits of one request add up to at most maxWaitSeconds, however many answers ask.
    let waited = 0
    for (let attempt = 0; ; attempt++) {
      settings.stop?.check(requestOptions)
      try {
        return await request(requestOptions)
      } catch (error) {
        const seconds = unhandledRetryAfter(error, Date.now())
        if (seconds === undefined) throw error
        if (seconds > settings.maxWaitSeconds) {
          settings.stop?.stopFor(seconds)
          settings.onStop?.(seconds, describeRequest(requestOptions))
          throw error
        }
        const once = (requestOptions.request as { retries?: unknown } | undefined)?.retries === 0
        if (once || attempt >= settings.retries || waited + seconds > settings.maxWaitSeconds) {
          throw error
        }
        settings.onWait(seconds, describeRequest(requestOptions))
        waited += seconds
        await sleep(seconds * 1000)
      }
    }
  })
  return {}
}

/** The wait a 403/429 asks for, when the throttling plugin would not honor it; else undefined. */
function unhandledRetryAfter(error: unknown, now: number): number | undefined {
  if (
    typeof error !== 'object' ||
    error === null ||
    !('status' in error) ||
    !('response' in error)
  ) {
    return undefined
  }
  if (error.status !== 403 && error.status !== 429) return undefined
  const message = 'message' in error && typeof error.message === 'string' ? error.message : ''
  const headers = responseHeaders(error.response)
  // The same three tests the throttling plugin makes: what it recognizes, it retries itself.
  if (
    /\bsecondary rate\b/i.test(message) ||
    headers['x-ratelimit-remaining'] === '0' ||
    rateLimitedErrors.safeParse(responseData(error.response)).success
  ) {
    return undefined
  }
  if (headers['retry-after'] === undefined) return undefined
  return parseRetryAfter(headers['retry-after'], now)
}

/** The HTTP-date form servers send: `Tue, 24 Nov 2026 08:00:05 GMT`. */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/

/**
 * Reads a `retry-after` header: a number of seconds, or an HTTP-date.
 * @returns whole seconds to wait (0 for a date in the past), or undefined when unreadable
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  if (!IMF_FIXDATE.test(text)) return undefined
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, Math.ceil((date - now) / 1000))
}

const rateLimitedErrors = z.object({
  errors: z
    .array(z.looseObject({ type: z.string() }))
    .refine(errors => errors.some(e => e.type === 'RATE_LIMITED'))
})

function responseData(response: unknown): unknown {
  return typeof response === 'object' && response !== null && 'data' in response
    ? response.data
    : undefined
}

function responseHeaders(response: unknown): Record<string, string | undefined> {
  if (typeof response !== 'object' || response === null || !('headers' in response)) return {}
  return response.headers as Record<string, string | undefined>
}

/** `PUT /repos/octo/app/actions/secrets/TOKEN`: the route with its parameters filled in. */
export function describeRequest(options: {
  method?: string
  url?: string
  [key: string]: unknown
}): string {
  const url = (options.url ?? '').replace(/\{(\w+)\}/g, (match, name: string) => {
    const value = options[name]
    return typeof value === 'string' || typeof value === 'number'
      ? encodeURIComponent(value)
      : match
  })
  return `${options.method ?? 'GET'} ${url.replace(/^https?:\/\/[^/]+/, '')}`
}
