/**
 * The kernel server: listening on 127.0.0.1 and an ephemeral port over HTTP, HTTPS or mutual
 * TLS, reading and parsing the body, the request log, fault rules (status, drop, latency, hold)
 * and a close() that ends every open socket. A protocol server gives it one handler.
 */
import {
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
  createServer as createHttpServer
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { TestClock } from './clock.js'
import { type FaultDecision, FaultRules } from './faults.js'
import { type KernelResponse, parseJson } from './json.js'
import { type LoggedRequest, RequestLog } from './log.js'
import { type TlsMaterial, generateTlsMaterial } from './tls.js'

/** How a kernel server is reached: plain HTTP, HTTPS, or HTTPS that demands a client certificate. */
export type TlsMode = 'none' | 'tls' | 'mtls'

/** TLS settings: a mode, with the material to use (default: fresh from generateTlsMaterial()). */
export interface KernelTlsOptions {
  mode: TlsMode
  material?: TlsMaterial
}

/** A request as a handler receives it. */
export interface KernelRequest {
  readonly method: string
  /** Pathname as received (still URL-encoded). */
  readonly path: string
  readonly url: URL
  readonly query: URLSearchParams
  /** Header names lower-cased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>
  readonly rawBody: string
  /** The body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
  readonly body: unknown
  /** True when there was a body and it was not JSON. */
  readonly invalidJson: boolean
  /** Subject CN of the client certificate the TLS layer verified (mTLS), if any. */
  readonly clientCommonName: string | undefined
  /** Aborted when the server closes: a handler that waits should stop then. */
  readonly signal: AbortSignal
}

/** Answers one request. Throwing answers 500 with the server's fault body. */
export type KernelHandler = (request: KernelRequest) => KernelResponse | Promise<KernelResponse>

/** Options of {@link startKernelServer}. */
export interface KernelServerOptions {
  handler: KernelHandler
  /** Default `none` (plain HTTP). */
  tls?: TlsMode | KernelTlsOptions
  /** The server's clock (default: a new frozen {@link TestClock} at the real time). */
  clock?: TestClock
  /** Added before every request is handled, in real ms (default 0). */
  latencyMs?: number
  /**
   * The body a fault with a status and no body answers, and a crashed handler's 500, in the
   * protocol's own error shape. Default `{ error: <reason phrase> }`.
   */
  errorBody?: (status: number, message: string) => unknown
  /** Larger request bodies are answered 413 without being handled (default 8 MiB). */
  maxBodyBytes?: number
}

/** A running kernel server. */
export interface KernelServer {
  /** e.g. `https://127.0.0.1:43123` (no trailing slash). */
  readonly url: string
  readonly port: number
  readonly log: RequestLog
  readonly faults: FaultRules
  readonly clock: TestClock
  /** The certificates in use; undefined for plain HTTP. */
  readonly tls: TlsMaterial | undefined
  readonly tlsMode: TlsMode
  /** Stops listening, ends every open socket and wakes every held or delayed request. */
  close(): Promise<void>
}

type ClosableServer = Server & { closeAllConnections(): void }

class BodyTooLarge extends Error {}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > limit) throw new BodyTooLarge(`request body over ${limit} bytes`)
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function defaultErrorBody(status: number, message: string): unknown {
  return { error: message === '' ? (STATUS_CODES[status] ?? 'Error') : message }
}

function clientCommonName(req: IncomingMessage): string | undefined {
  const socket = req.socket as Partial<TLSSocket>
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') {
    return undefined
  }
  const subject = socket.getPeerCertificate().subject as Record<string, unknown> | undefined
  const cn = subject?.CN
  return typeof cn === 'string' ? cn : undefined
}

class LocalKernelServer implements KernelServer {
  readonly log = new RequestLog()
  readonly faults = new FaultRules()
  readonly clock: TestClock
  readonly tls: TlsMaterial | undefined
  readonly tlsMode: TlsMode
  readonly #options: KernelServerOptions
  readonly #server: ClosableServer
  readonly #lifetime = new AbortController()
  #port = 0
  #closing: Promise<void> | undefined

  constructor(options: KernelServerOptions) {
    this.#options = options
    this.clock = options.clock ?? new TestClock()
    const tls: KernelTlsOptions =
      typeof options.tls === 'object' ? options.tls : { mode: options.tls ?? 'none' }
    this.tlsMode = tls.mode
    this.tls = tls.mode === 'none' ? undefined : (tls.material ?? generateTlsMaterial())
    const listener = (req: IncomingMessage, res: ServerResponse): void => {
      void this.#handle(req, res)
    }
    this.#server =
      this.tls === undefined
        ? createHttpServer(listener)
        : createHttpsServer(
            {
              key: this.tls.serverKey,
              cert: this.tls.serverCertificate,
              ca: this.tls.ca,
              minVersion: 'TLSv1.2',
              // mTLS refuses the handshake of a client without a certificate from the test CA.
              requestCert: tls.mode === 'mtls',
              rejectUnauthorized: tls.mode === 'mtls'
            },
            listener
          )
    // Longer than a client's idle keep-alive (undici: 4 s), so the client always closes an idle
    // socket first: a server closing it as the client reuses it answers ECONNRESET.
    this.#server.keepAliveTimeout = 30_000
  }

  get port(): number {
    return this.#port
  }

  get url(): string {
    return `${this.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.#port}`
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(0, '127.0.0.1', () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    this.#port = (this.#server.address() as AddressInfo).port
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve, reject) => {
      this.#lifetime.abort()
      this.#server.close(error => {
        if (error === undefined) resolve()
        else reject(error)
      })
      // Keep-alive sockets would otherwise hold close() open until the client lets go.
      this.#server.closeAllConnections()
    })
    return this.#closing
  }

  #errorBody(status: number, message = ''): unknown {
    return (this.#options.errorBody ?? defaultErrorBody)(status, message)
  }

  async #wait(decision: FaultDecision): Promise<void> {
    const signal = this.#lifetime.signal
    const delayMs = (this.#options.latencyMs ?? 0) + decision.delayMs
    if (delayMs > 0) await sleep(delayMs, undefined, { signal })
    if (decision.holds.length > 0) {
      await Promise.race([
        Promise.allSettled(decision.holds),
        new Promise(resolve => {
          signal.addEventListener('abort', resolve, { once: true })
        })
      ])
      signal.throwIfAborted()
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const headers = headerRecord(req)
    const entry: LoggedRequest = {
      seq: this.log.entries.length + 1,
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      url: req.url ?? '/',
      headers,
      body: undefined,
      status: 0,
      startedAt: Date.now(),
      endedAt: 0
    }
    this.log.add(entry)
    // 'close' fires both after a full answer and when a fault destroys the socket.
    res.once('close', () => {
      entry.endedAt = Date.now()
    })
    try {
      let rawBody: string
      try {
        rawBody = await readBody(req, this.#options.maxBodyBytes ?? 8 * 1024 * 1024)
      } catch (error: unknown) {
        if (!(error instanceof BodyTooLarge)) throw error
        this.#send(res, entry, { status: 413, body: this.#errorBody(413) }, {})
        return
      }
      const parsed = parseJson(rawBody)
      const body = parsed.ok ? parsed.value : rawBody
      entry.body = body
      const decision = this.faults.evaluate({
        method,
        path: url.pathname,
        query: url.searchParams,
        headers,
        body
      })
      await this.#wait(decision)
      const fault = decision.terminal
      if (fault?.drop === 'before') {
        entry.dropped = 'before'
        res.destroy()
        return
      }
      let response: KernelResponse
      if (fault !== undefined && fault.drop === undefined) {
        const status = fault.status ?? 500
        response = { status, body: fault.body ?? this.#errorBody(status) }
      } else {
        response = await this.#options.handler({
          method,
          path: url.pathname,
          url,
          query: url.searchParams,
          headers,
          rawBody,
          body,
          invalidJson: !parsed.ok,
          clientCommonName: clientCommonName(req),
          signal: this.#lifetime.signal
        })
      }
      if (fault?.drop === 'after') {
        entry.dropped = 'after'
        res.destroy()
        return
      }
      this.#send(res, entry, response, decision.headers)
    } catch (error: unknown) {
      // Nothing can be answered on a closed server, a destroyed socket or a half-sent answer.
      if (this.#lifetime.signal.aborted || res.destroyed || res.headersSent) {
        res.destroy()
        return
      }
      const message = error instanceof Error ? error.message : String(error)
      this.#send(
        res,
        entry,
        { status: 500, body: this.#errorBody(500, `test server error: ${message}`) },
        {}
      )
    }
  }

  #send(
    res: ServerResponse,
    entry: LoggedRequest,
    response: KernelResponse,
    faultHeaders: Record<string, string>
  ): void {
    const headers: Record<string, string> = {
      date: this.clock.now().toUTCString(),
      'cache-control': 'no-store',
      ...response.headers,
      ...faultHeaders
    }
    let payload: string | undefined
    if (response.status !== 204 && response.status !== 304) {
      if (response.raw !== undefined) payload = response.raw
      else if (response.body !== undefined) {
        payload = JSON.stringify(response.body)
        headers['content-type'] ??= 'application/json'
      }
    }
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload))
    entry.status = response.status
    res.writeHead(response.status, headers)
    res.end(payload)
  }
}

/**
 * Starts a kernel server on 127.0.0.1 and an ephemeral port.
 *
 * @example
 * const server = await startKernelServer({ tls: 'mtls', handler: () => json(200, { ok: true }) })
 * // ...connect with server.tls.ca, server.tls.clientCertificate and server.tls.clientKey...
 * await server.close()
 */
export async function startKernelServer(options: KernelServerOptions): Promise<KernelServer> {
  const server = new LocalKernelServer(options)
  await server.listen()
  return server
}
