/**
 * A thin listener shared by the GitLab and key API servers until the common kernel
 * (test-servers/kernel/) lands: one node:http server on 127.0.0.1 and an ephemeral port, fault
 * rules checked before the handler, a request log and a `Date` header from the injected clock.
 * The handlers never see sockets, so moving onto the kernel replaces only this file.
 */
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Clock } from './clock.js'

/** A request as the handlers see it. */
export interface WireRequest {
  readonly method: string
  /** Parsed against the server's own origin; `pathname` is still percent-encoded. */
  readonly url: URL
  readonly headers: IncomingHttpHeaders
  readonly bodyText: string
}

/** An answer before it is written. `body` is sent as is (serialize JSON before). */
export interface WireResponse {
  status: number
  headers?: Record<string, string>
  body?: string
  /** Who the request authenticated as (a token's name), for the request log; never sent. */
  principal?: string
}

/**
 * One fault rule. Rules are checked in the order they were added; `delayMs` and `headers` of
 * matching rules stack, and the first rule that answers or drops wins.
 */
export interface FaultRule {
  /** Only requests with this method (any case). */
  method?: string
  /** Only this pathname (exact, without query) or pathnames matching this expression. */
  path?: string | RegExp
  /** Let this many matching requests through first. */
  skip?: number
  /** Apply to this many matching requests, then stop (default: all). */
  times?: number
  /** Answer with this status instead of the handler. */
  status?: number
  /** The body of that answer: a string as is, anything else as JSON. */
  body?: unknown
  /** Added to whatever answer is sent (names lower-cased). */
  headers?: Record<string, string>
  /** Builds the answer at request time (it sees the server clock), instead of status/body. */
  respond?: (now: Date) => WireResponse
  /** Delay before the request is handled, in real ms. Tests should prefer `holdUntil`. */
  delayMs?: number
  /** The request waits until this settles (a test-controlled gate, no wall time). */
  holdUntil?: Promise<unknown>
  /**
   * `before`: the socket is destroyed and the handler never runs. `after`: the handler runs (its
   * effects stay) and the answer is lost: the case of a request that reached the server.
   */
  drop?: 'before' | 'after'
}

/** Returned by {@link FaultRegistry.add}. */
export interface FaultHandle {
  remove(): void
  /** How many requests this rule applied to. */
  readonly hits: number
}

/** A request as the log keeps it. */
export interface RecordedRequest {
  readonly seq: number
  readonly method: string
  /** Percent-encoded pathname, as sent. */
  readonly path: string
  /** The query string without `?` ('' when none). */
  readonly query: string
  /** Server clock when the request arrived. */
  readonly at: Date
  /** 0 when the socket was dropped before an answer. */
  status: number
  /** Name of the token or key the request authenticated with, when the handler says. */
  principal?: string
  /** Set when a fault rule answered or dropped it. */
  fault?: 'answered' | 'dropped-before' | 'dropped-after'
}

interface RuleState {
  readonly rule: FaultRule
  readonly pattern: RegExp | undefined
  seen: number
  hits: number
}

interface Decision {
  delayMs: number
  holds: Promise<unknown>[]
  headers: Record<string, string>
  terminal: FaultRule | undefined
}

function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const lowered: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) lowered[name.toLowerCase()] = value
  return lowered
}

function isTerminal(rule: FaultRule): boolean {
  return (
    rule.status !== undefined ||
    rule.body !== undefined ||
    rule.respond !== undefined ||
    rule.drop !== undefined
  )
}

/** The ordered fault rules of one server. */
export class FaultRegistry {
  #states: RuleState[] = []

  /** Adds a rule; see {@link FaultRule}. */
  add(rule: FaultRule): FaultHandle {
    for (const field of ['skip', 'times', 'delayMs'] as const) {
      const value = rule[field]
      if (value !== undefined && !(value >= 0)) {
        throw new Error(`fault ${field} must be a number >= 0, got ${String(value)}`)
      }
    }
    if (typeof rule.path === 'string' && rule.path.includes('?')) {
      throw new Error(`fault path '${rule.path}' must be a pathname without a query`)
    }
    const state: RuleState = {
      rule: { ...rule, headers: lowerCaseKeys(rule.headers) },
      // A private copy: a `g` or `y` flag would make `test` stateful across requests.
      pattern:
        rule.path instanceof RegExp
          ? new RegExp(rule.path.source, rule.path.flags.replace(/[gy]/g, ''))
          : undefined,
      seen: 0,
      hits: 0
    }
    this.#states.push(state)
    return {
      remove: (): void => {
        this.#states = this.#states.filter(candidate => candidate !== state)
      },
      get hits(): number {
        return state.hits
      }
    }
  }

  /** Removes every rule. */
  clear(): void {
    this.#states = []
  }

  /** @internal Decides the faults of one request and counts their hits. */
  evaluate(method: string, pathname: string): Decision {
    const decision: Decision = { delayMs: 0, holds: [], headers: {}, terminal: undefined }
    for (const state of this.#states) {
      const { rule } = state
      if (rule.method !== undefined && rule.method.toUpperCase() !== method) continue
      if (typeof rule.path === 'string' && rule.path !== pathname) continue
      if (state.pattern !== undefined && !state.pattern.test(pathname)) continue
      state.seen += 1
      if (state.seen <= (rule.skip ?? 0)) continue
      if (state.hits >= (rule.times ?? Infinity)) continue
      state.hits += 1
      decision.delayMs += rule.delayMs ?? 0
      if (rule.holdUntil !== undefined) decision.holds.push(rule.holdUntil)
      Object.assign(decision.headers, rule.headers)
      if (isTerminal(rule)) {
        decision.terminal = rule
        break
      }
    }
    return decision
  }
}

/** What the listener needs from the server it carries. */
export interface LocalHttpOptions {
  readonly clock: Clock
  /** Answers one request; may throw (answered as a 500 with `internalErrorBody`). */
  readonly handle: (request: WireRequest) => WireResponse
  /** Body of the 500 sent when the handler throws, in the protocol's own error shape. */
  readonly internalErrorBody: (message: string) => string
  /** Added to every answer after the `date` header (e.g. a content-type default). */
  readonly commonHeaders?: Record<string, string>
}

function faultAnswer(rule: FaultRule, now: Date): WireResponse {
  if (rule.respond !== undefined) return rule.respond(now)
  const status = rule.status ?? 500
  if (rule.body === undefined) return { status }
  if (typeof rule.body === 'string') {
    return { status, body: rule.body, headers: { 'content-type': 'text/plain' } }
  }
  return {
    status,
    body: JSON.stringify(rule.body),
    headers: { 'content-type': 'application/json' }
  }
}

async function readBody(request: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** One listening server: a handler behind fault rules, a request log and the clock. */
export class LocalHttpServer {
  readonly faults = new FaultRegistry()
  readonly #options: LocalHttpOptions
  readonly #http: Server
  readonly #requests: RecordedRequest[] = []
  /** Aborted by close(), so that requests waiting on a fault stop at once. */
  readonly #lifetime = new AbortController()
  #url = ''
  #closing: Promise<void> | undefined

  constructor(options: LocalHttpOptions) {
    this.#options = options
    this.#http = createServer((req, res) => {
      void this.#serve(req, res)
    })
    // Longer than a client's idle keep-alive (undici: 4 s), so the client always closes an idle
    // socket first: a server closing it as the client reuses it answers ECONNRESET.
    this.#http.keepAliveTimeout = 30_000
  }

  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  get url(): string {
    return this.#url
  }

  /** Every request received, in arrival order. */
  get requests(): ReadonlyArray<RecordedRequest> {
    return this.#requests
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject)
      this.#http.listen(0, '127.0.0.1', () => {
        this.#http.off('error', reject)
        resolve()
      })
    })
    const { port } = this.#http.address() as AddressInfo
    this.#url = `http://127.0.0.1:${port}`
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve, reject) => {
      this.#lifetime.abort()
      this.#http.close(error => {
        if (error === undefined) resolve()
        else reject(error)
      })
      // Keep-alive sockets would otherwise hold close() open until the client lets go.
      this.#http.closeAllConnections()
    })
    return this.#closing
  }

  async #serve(
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse
  ): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const record: RecordedRequest = {
      seq: this.#requests.length + 1,
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      at: this.#options.clock.now(),
      status: 0
    }
    this.#requests.push(record)
    try {
      const bodyText = await readBody(req)
      const decision = this.faults.evaluate(method, url.pathname)
      const signal = this.#lifetime.signal
      if (decision.delayMs > 0) await sleep(decision.delayMs, undefined, { signal })
      if (decision.holds.length > 0) {
        await Promise.race([
          Promise.allSettled(decision.holds),
          new Promise(resolve => {
            signal.addEventListener('abort', resolve, { once: true })
          })
        ])
        signal.throwIfAborted()
      }
      const rule = decision.terminal
      if (rule?.drop === 'before') {
        record.fault = 'dropped-before'
        res.destroy()
        return
      }
      let response: WireResponse
      if (rule !== undefined && rule.drop === undefined) {
        record.fault = 'answered'
        response = faultAnswer(rule, this.#options.clock.now())
      } else {
        response = this.#handle({ method, url, headers: req.headers, bodyText })
      }
      if (response.principal !== undefined) record.principal = response.principal
      if (rule?.drop === 'after') {
        record.fault = 'dropped-after'
        res.destroy()
        return
      }
      this.#send(res, record, response, decision.headers)
    } catch {
      // Nothing can be answered on a closed server or a destroyed socket.
      res.destroy()
    }
  }

  #handle(request: WireRequest): WireResponse {
    try {
      return this.#options.handle(request)
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error)
      return {
        status: 500,
        body: this.#options.internalErrorBody(message),
        headers: { 'content-type': 'application/json' }
      }
    }
  }

  #send(
    res: import('node:http').ServerResponse,
    record: RecordedRequest,
    response: WireResponse,
    faultHeaders: Record<string, string>
  ): void {
    const headers: Record<string, string> = {
      date: this.#options.clock.now().toUTCString(),
      ...this.#options.commonHeaders,
      ...lowerCaseKeys(response.headers),
      ...faultHeaders
    }
    const body = response.status === 204 || response.status === 304 ? undefined : response.body
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
    else delete headers['content-type']
    record.status = response.status
    res.writeHead(response.status, headers)
    res.end(body)
  }
}
