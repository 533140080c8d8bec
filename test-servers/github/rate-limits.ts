/**
 * GitHub's two kinds of rate limit: the primary hourly budget that every response reports in
 * `x-ratelimit-*` headers, and the secondary limit on content-creating requests that answers 403
 * with `retry-after`.
 */

const WINDOW_MS = 60_000
const HOUR_MS = 3_600_000

/** Limit of an authenticated token, as GitHub reports it to a personal access token. */
const AUTHENTICATED_LIMIT = 5000
/** Limit GitHub reports for requests without valid credentials. */
const ANONYMOUS_LIMIT = 60

/** The answer of {@link WriteLimiter.admit}. */
export type WriteVerdict = { admitted: true } | { admitted: false; retryAfterSeconds: number }

/** Content-creating requests per sliding 60 s window, shared by all tokens. */
export class WriteLimiter {
  readonly #perMinute: number
  /** Arrival times of admitted writes still inside the window, oldest first. */
  #admitted: number[] = []
  #refused = 0

  constructor(perMinute: number | undefined) {
    this.#perMinute = perMinute ?? Infinity
  }

  get refused(): number {
    return this.#refused
  }

  /** Admits a write and counts it, or refuses it without counting it as a write. */
  admit(now: number): WriteVerdict {
    this.#admitted = this.#admitted.filter(time => time > now - WINDOW_MS)
    if (this.#admitted.length >= this.#perMinute) {
      // With a limit of 0 nothing was admitted, so a full window has to pass.
      const oldest = this.#admitted[0] ?? now
      this.#refused += 1
      return {
        admitted: false,
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000))
      }
    }
    this.#admitted.push(now)
    return { admitted: true }
  }
}

interface Bucket {
  resetAt: number
  used: number
}

/** Per-token hourly budgets, only reported: nothing is refused for exhausting them. */
export class PrimaryRateLimits {
  readonly #buckets = new Map<string, Bucket>()

  /** Counts one request against `key` (a token, or undefined for anonymous) and returns its headers. */
  consume(key: string | undefined, now: number): Record<string, string> {
    const limit = key === undefined ? ANONYMOUS_LIMIT : AUTHENTICATED_LIMIT
    const id = key ?? ''
    let bucket = this.#buckets.get(id)
    if (bucket === undefined || bucket.resetAt <= now) {
      bucket = { resetAt: now + HOUR_MS, used: 0 }
      this.#buckets.set(id, bucket)
    }
    bucket.used += 1
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - bucket.used)),
      'x-ratelimit-reset': String(Math.floor(bucket.resetAt / 1000)),
      'x-ratelimit-used': String(bucket.used),
      'x-ratelimit-resource': 'core'
    }
  }
}

/**
 * What the server asked each request to wait for, and which retries did not: the same request
 * (token, method and path) arriving again before a `retry-after` it was given has run out (or,
 * with `x-ratelimit-remaining: 0`, before `x-ratelimit-reset`) is counted as early. Tests assert
 * on the count, not on timings.
 */
export class RetryLedger {
  /** Timers may fire a little before the millisecond they were set for. */
  static readonly TOLERANCE_MS = 20
  readonly #notBefore = new Map<string, number>()
  #early = 0

  get early(): number {
    return this.#early
  }

  /** Notes what an answer to `key` (token, method and path) asked it to wait for. */
  asked(key: string, headers: Record<string, string>, now: number): void {
    let until: number | undefined
    const seconds = Number(headers['retry-after'])
    if (headers['retry-after'] !== undefined && Number.isFinite(seconds)) {
      until = now + seconds * 1000
    } else if (headers['x-ratelimit-remaining'] === '0') {
      until = Number(headers['x-ratelimit-reset']) * 1000
    }
    if (until === undefined || !Number.isFinite(until)) return
    this.#notBefore.set(key, Math.max(this.#notBefore.get(key) ?? 0, until))
  }

  /** Counts a request from `key` that arrives while a wait it was asked for still runs. */
  arrived(key: string, now: number): void {
    const until = this.#notBefore.get(key)
    if (until !== undefined && now < until - RetryLedger.TOLERANCE_MS) this.#early += 1
  }
}

/**
 * Content-creating requests that arrive closer together than a spacing the test sets: how a test
 * checks the client's write pacing by what the server saw, not by timing the client.
 */
export class WriteSpacing {
  readonly #spacingMs: number | undefined
  #last: number | undefined
  #crowded = 0

  constructor(spacingMs: number | undefined) {
    this.#spacingMs = spacingMs
  }

  get crowded(): number {
    return this.#crowded
  }

  /** Notes a write's arrival. */
  arrived(now: number): void {
    if (this.#spacingMs === undefined) return
    if (this.#last !== undefined && now - this.#last < this.#spacingMs) this.#crowded += 1
    this.#last = now
  }
}
