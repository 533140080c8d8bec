/**
 * Every request a kernel server saw, with what it answered. For tests only: headers and bodies
 * are kept as received, tokens and secrets included, so that a test can assert exactly what a
 * client sent; never print the log in a test's output.
 */

/** One request as the server saw it. */
export interface LoggedRequest {
  /** 1, 2, 3... in arrival order. */
  readonly seq: number
  readonly method: string
  /** Pathname as received (still URL-encoded), without the query. */
  readonly path: string
  /** Query parameters; a repeated name keeps its last value (see `url` for all). */
  readonly query: Readonly<Record<string, string>>
  /** Request target as received, query included. */
  readonly url: string
  /** Header names lower-cased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>
  /** The body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
  body: unknown
  /** Status answered; 0 while in flight or when the connection was dropped. */
  status: number
  /** Set when a fault destroyed the connection instead of answering. */
  dropped?: 'before' | 'after'
  /** Real time (Date.now()), not the server's test clock: latency is measured in real time. */
  readonly startedAt: number
  /** 0 while in flight. */
  endedAt: number
}

/** A filter over the log: method (any case) and path (exact string or pattern). */
export interface RequestMatch {
  method?: string
  path?: string | RegExp
}

function matches(entry: LoggedRequest, match: RequestMatch): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== entry.method) return false
  if (typeof match.path === 'string') return match.path === entry.path
  if (match.path instanceof RegExp) return new RegExp(match.path.source, 'u').test(entry.path)
  return true
}

/** The server's request log. */
export class RequestLog {
  readonly #entries: LoggedRequest[] = []

  /** Every request, in arrival order. */
  get entries(): readonly LoggedRequest[] {
    return this.#entries
  }

  /** @internal Used by the kernel server as each request arrives. */
  add(entry: LoggedRequest): void {
    this.#entries.push(entry)
  }

  /** The requests that match, in arrival order. */
  filter(match: RequestMatch = {}): LoggedRequest[] {
    return this.#entries.filter(entry => matches(entry, match))
  }

  /** How many requests match. */
  count(match: RequestMatch = {}): number {
    return this.filter(match).length
  }

  /** Requests per `METHOD path`, e.g. `{ 'GET /v1/secret/data/app': 2 }`. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const entry of this.#entries) {
      const key = `${entry.method} ${entry.path}`
      counts[key] = (counts[key] ?? 0) + 1
    }
    return counts
  }

  /** The last request that matches, if any. */
  last(match: RequestMatch = {}): LoggedRequest | undefined {
    return this.filter(match).at(-1)
  }

  clear(): void {
    this.#entries.length = 0
  }
}
