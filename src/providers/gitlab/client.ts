import type { Sleep } from '../../engine/ports.js'
import { redactSecrets } from '../../redaction.js'
import { createTransport, TransportError, type Transport } from '../../http/transport.js'

/**
 * A small client of GitLab's REST API (`/api/v4`): one token, GitLab's error bodies read into a
 * sentence, `Retry-After` honoured on 429, offset paging followed, and the `Date` of every answer
 * kept (GitLab's clock: token expiry, `last_used_at` and the store's lock are judged on it, never
 * on the runner's).
 *
 * Sending and judging are apart: {@link GitLabClient.send} returns any answer it got, and callers
 * decide what a status means for their step. Only requests that are safe to repeat are repeated.
 * @see https://docs.gitlab.com/api/rest/
 */
export interface GitLabClientOptions {
  /** The instance: `https://gitlab.com` or a self-managed URL, without `/api/v4`. */
  url: string
  token: string
  sleep: Sleep
  /** Longest one request may take (default 30 s). */
  requestTimeoutMs?: number
  /** Longest a 429's `Retry-After` is waited for before the request is given up (default 60 s). */
  maxRetryAfterMs?: number
}

/** How a request may be repeated. */
export type Repeat =
  /** Idempotent (GET, PUT, DELETE): repeated on 429, 502-504 and connection failures. */
  | 'safe'
  /**
   * Not idempotent (a rotate, a create): repeated only when GitLab provably did not act on it (a
   * 429 of its throttle, or a connection that never opened).
   */
  | 'unsent-only'

/** One request. */
export interface GitLabRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Below `/api/v4`, path segments already encoded: `/projects/acme%2Fapp/variables`. */
  path: string
  query?: Record<string, string>
  /** Sent as a form (GitLab's Grape reads `scopes[]=api` as a list). */
  form?: Record<string, string | readonly string[]>
  repeat?: Repeat
  signal?: AbortSignal
}

/** An answer, read whole. `body` is parsed JSON, or undefined for an empty or non-JSON body. */
export interface GitLabAnswer {
  status: number
  body: unknown
  headers: Headers
  /** GitLab's clock when it answered (its `Date` header), when it sent one. */
  date?: Date
}

/**
 * A request that got no answer: `reached` is false only when GitLab provably never saw it (the
 * connection never opened). Its message never holds the token.
 */
export class GitLabTransportError extends Error {
  override readonly name = 'GitLabTransportError'
  readonly reached: boolean
  constructor(detail: string, reached: boolean, cause: unknown) {
    super(detail, { cause })
    this.reached = reached
  }
}

const ATTEMPTS = 3
const BACKOFF_MS = 1_000
const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000
const MESSAGE_MAX = 300
/** GitLab's largest page. */
const PER_PAGE = '100'
/** Pages followed before a list is taken as endless. */
const MAX_PAGES = 50

/** The client of one GitLab instance and token. */
export class GitLabClient {
  readonly url: string
  /** The API base: `<url>/api/v4`. */
  readonly apiUrl: string
  readonly #token: string
  readonly #sleep: Sleep
  readonly #transport: Transport
  readonly #maxRetryAfterMs: number
  /** GitLab's clock as its last answer said, and when (runner's monotonic clock) it said it. */
  #lastDate: { date: Date; at: number } | undefined

  constructor(options: GitLabClientOptions) {
    this.url = options.url.replace(/\/+$/, '')
    this.apiUrl = `${this.url}/api/v4`
    this.#token = options.token
    this.#sleep = options.sleep
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS
    this.#transport = createTransport({
      tls: {},
      timeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS
    })
  }

  /**
   * GitLab's clock now, from the `Date` of its last answer plus the time since (never earlier
   * than it); undefined before any answer with a date.
   */
  now(): Date | undefined {
    const last = this.#lastDate
    if (!last) return undefined
    return new Date(last.date.getTime() + (performance.now() - last.at))
  }

  /**
   * Sends one request, repeating it as `repeat` allows, and returns GitLab's answer whatever its
   * status.
   * @throws GitLabTransportError when no answer came
   */
  async send(request: GitLabRequest): Promise<GitLabAnswer> {
    const repeat = request.repeat ?? (request.method === 'POST' ? 'unsent-only' : 'safe')
    for (let attempt = 1; ; attempt += 1) {
      const last = attempt >= ATTEMPTS
      let answer: GitLabAnswer
      try {
        answer = await this.#sendOnce(request)
      } catch (error) {
        if (!(error instanceof GitLabTransportError)) throw error
        if (last || request.signal?.aborted || (repeat === 'unsent-only' && error.reached)) {
          throw error
        }
        await this.#sleep(BACKOFF_MS * attempt)
        continue
      }
      if (last) return answer
      if (answer.status === 429) {
        const waitMs = retryAfterMs(answer.headers, answer.date)
        if (waitMs > this.#maxRetryAfterMs) return answer
        await this.#sleep(waitMs)
        continue
      }
      if (repeat === 'safe' && [502, 503, 504].includes(answer.status)) {
        await this.#sleep(BACKOFF_MS * attempt)
        continue
      }
      return answer
    }
  }

  /**
   * Every item of a list, following GitLab's offset paging (`X-Next-Page`) at 100 a page.
   * @returns the items, and the `Date` of the last page
   * @throws GitLabTransportError, or the answer of the first page that is not a 200 list
   */
  async list(
    path: string,
    query: Record<string, string> = {}
  ): Promise<{ items: unknown[]; date?: Date } | { failed: GitLabAnswer }> {
    const items: unknown[] = []
    let page = '1'
    let date: Date | undefined
    for (let n = 0; n < MAX_PAGES; n += 1) {
      const answer = await this.send({
        method: 'GET',
        path,
        query: { ...query, per_page: PER_PAGE, page }
      })
      if (answer.status !== 200 || !Array.isArray(answer.body)) return { failed: answer }
      items.push(...(answer.body as unknown[]))
      date = answer.date ?? date
      const next = answer.headers.get('x-next-page') ?? ''
      if (next === '') return date ? { items, date } : { items }
      page = next
    }
    return date ? { items, date } : { items }
  }

  async #sendOnce(request: GitLabRequest): Promise<GitLabAnswer> {
    const url = new URL(`${this.apiUrl}${request.path}`)
    for (const [name, value] of Object.entries(request.query ?? {})) {
      url.searchParams.set(name, value)
    }
    const headers: Record<string, string> = {
      'private-token': this.#token,
      accept: 'application/json'
    }
    let body: URLSearchParams | undefined
    if (request.form) {
      body = new URLSearchParams()
      for (const [name, value] of Object.entries(request.form)) {
        if (typeof value === 'string') body.append(name, value)
        else for (const item of value) body.append(`${name}[]`, item)
      }
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    let response: Response
    try {
      response = await this.#transport(url.toString(), {
        method: request.method,
        headers,
        ...(body ? { body } : {}),
        redirect: 'manual',
        signal: request.signal
      })
    } catch (error) {
      if (error instanceof TransportError) {
        throw new GitLabTransportError(error.detail, error.reached, error)
      }
      if (request.signal?.aborted) {
        throw new GitLabTransportError('the request was abandoned', true, error)
      }
      throw error
    }
    const text = await response.text()
    const dateHeader = response.headers.get('date')
    const parsed = dateHeader === null ? Number.NaN : Date.parse(dateHeader)
    const date = Number.isNaN(parsed) ? undefined : new Date(parsed)
    if (date) this.#lastDate = { date, at: performance.now() }
    return {
      status: response.status,
      body: parseJson(text),
      headers: response.headers,
      ...(date ? { date } : {})
    }
  }

  /**
   * GitLab's reason for an answer that is not a success, as one short line: `{"message": ...}`
   * (a string, or errors by attribute), `{"error": ...}`, or the status alone. Never the token.
   */
  reason(answer: GitLabAnswer): string {
    const body = answer.body
    let text = ''
    if (typeof body === 'object' && body !== null) {
      const { message, error, error_description: description } = body as Record<string, unknown>
      if (typeof message === 'string') text = message
      else if (typeof message === 'object' && message !== null) {
        text = Object.entries(message as Record<string, unknown>)
          .map(([field, problems]) =>
            Array.isArray(problems) ? `${field} ${problems.map(p => String(p)).join(', ')}` : field
          )
          .join('; ')
      } else if (typeof description === 'string') text = description
      else if (typeof error === 'string') text = error
    }
    const clean = redactSecrets(text, [this.#token])
      .replace(/\p{Cc}+/gu, ' ')
      .trim()
    const short = clean.length > MESSAGE_MAX ? `${clean.slice(0, MESSAGE_MAX)}...` : clean
    return short === ''
      ? `HTTP ${String(answer.status)}`
      : `HTTP ${String(answer.status)}: ${short}`
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** `Retry-After` in seconds or as a date (against GitLab's own `Date`); 60 s when absent. */
function retryAfterMs(headers: Headers, date: Date | undefined): number {
  const value = headers.get('retry-after')
  if (value === null) return 60_000
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  if (Number.isNaN(at)) return 60_000
  return Math.max(0, at - (date?.getTime() ?? Date.now()))
}

/** A project or group path (or numeric id) as one URL segment: `acme%2Fapp`. */
export function segment(idOrPath: string): string {
  return encodeURIComponent(idOrPath)
}
