import type { Agent } from 'undici'

/** TLS settings of every request to Vault; TLS 1.2 is the minimum. */
export interface VaultTls {
  /** PEM bundle that replaces the system's trusted roots (Vault's private CA). */
  caCertificate?: string
  /** The certificate and key presented to Vault (mTLS: a listener that requires client certs). */
  clientCertificate?: { certificatePem: string; keyPem: string }
}

/** Where Vault is and how to reach it. */
export interface VaultEndpoint {
  /** `https://vault.example.com:8200`, without `/v1`. */
  address: string
  /** Sent as `X-Vault-Namespace` (Vault Enterprise, HCP Vault). */
  namespace?: string
  tls: VaultTls
}

/** One request to Vault's HTTP API. */
export interface VaultRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** The API path after `/v1/`: `secret/data/ci/api`. */
  path: string
  query?: Record<string, string>
  body?: unknown
  /** `X-Vault-Token`; absent for a login. */
  token?: string
  signal?: AbortSignal
}

/** Vault's answer, read whole. */
export interface VaultAnswer {
  status: number
  /** The JSON body; undefined for 204 or an empty body. */
  body: unknown
  /** Vault's clock when it answered (`Date`, cut to the second), if it said. */
  date?: Date
  /** The runner's clock (ms) when the request left, and when its answer was complete. */
  sentAt: number
  receivedAt: number
}

/**
 * Vault answered with an error status. `errors` is Vault's own list (`{"errors":[…]}`), which may
 * quote what the request sent (a path, never a value this action sends in a body it logs): every
 * message built from it goes through the run's redactor like any peer's message.
 */
export class VaultResponseError extends Error {
  override readonly name = 'VaultResponseError'
  readonly status: number
  readonly errors: readonly string[]
  readonly method: string
  readonly path: string
  /** The answer's body: a read of a deleted KV version still carries its metadata. */
  readonly body: unknown

  constructor(request: VaultRequest, status: number, errors: readonly string[], body: unknown) {
    super(
      `Vault answered ${status} to ${request.method} ${request.path}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`
    )
    this.status = status
    this.errors = errors
    this.method = request.method
    this.path = request.path
    Object.defineProperty(this, 'body', { value: body, enumerable: false })
  }
}

/**
 * No complete answer came. `reached` is false only when the request provably never reached Vault
 * (no connection was made, or the TLS handshake failed).
 */
export class VaultTransportError extends Error {
  override readonly name = 'VaultTransportError'
  readonly reached: boolean
  readonly detail: string

  constructor(detail: string, reached: boolean, cause: unknown) {
    super(detail, { cause })
    this.detail = detail
    this.reached = reached
  }
}

/** Sends requests to one Vault server. */
export interface VaultHttp {
  readonly endpoint: VaultEndpoint
  /**
   * Sends one request and reads its answer whole.
   * @throws VaultResponseError for a status of 400 or more; VaultTransportError without an answer
   */
  send(request: VaultRequest): Promise<VaultAnswer>
  /** Closes the connections. */
  close(): Promise<void>
}

const CONNECT_TIMEOUT_MS = 10_000

const CONNECT_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed for now (EAI_AGAIN)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out'
}

const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID'
])

function isTlsFailure(code: string): boolean {
  return UNTRUSTED_CERTIFICATE.has(code) || code.startsWith('ERR_SSL_') || code === 'EPROTO'
}

/** The first error code in a chain of causes (undici wraps them). */
function errorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 5) return undefined
  const { code, cause, errors, name } = error as {
    code?: unknown
    cause?: unknown
    errors?: unknown
    name?: unknown
  }
  if (typeof code === 'string' && code !== '') return code
  if (name === 'TimeoutError') return 'TimeoutError'
  if (name === 'AbortError') return 'AbortError'
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = errorCode(inner, depth + 1)
      if (found !== undefined) return found
    }
  }
  return errorCode(cause, depth + 1)
}

function describeFailure(code: string | undefined, timeoutMs: number, tls: VaultTls): string {
  if (code === undefined) return 'the request failed'
  const connect = CONNECT_FAILURES[code]
  if (connect !== undefined) return connect
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return `TLS: Vault's certificate is not trusted (${code}); if Vault uses a private certificate authority, give its certificate as ca-certificate`
  }
  if (isTlsFailure(code)) return `TLS handshake failed (${code})`
  switch (code) {
    case 'UND_ERR_SOCKET':
      return tls.clientCertificate
        ? 'the connection closed before the answer was complete'
        : 'the connection closed before the answer was complete; a listener that requires a client certificate closes the connection this way: if it does, set client-certificate and client-key'
    case 'ECONNRESET':
      return 'the connection was reset'
    case 'TimeoutError':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer within ${Math.round(timeoutMs / 1000)} s`
    case 'AbortError':
      return 'the request was abandoned'
    default:
      return `the request failed (${code})`
  }
}

/** Vault's error list, from `{"errors":[…]}`. */
function errorsOf(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return []
  const errors = (body as { errors?: unknown }).errors
  return Array.isArray(errors) ? errors.filter((e): e is string => typeof e === 'string') : []
}

/**
 * The HTTP client of one Vault server: undici with TLS 1.2 at least, the configured CA and client
 * certificate, `X-Vault-Namespace`, and a deadline per request. undici loads with the first
 * request, so a run that names no Vault never pays for it.
 */
export function createVaultHttp(endpoint: VaultEndpoint, timeoutMs: number): VaultHttp {
  let loading: Promise<Agent> | undefined
  const load = () =>
    (loading ??= import('undici').then(({ Agent }) => {
      const { tls } = endpoint
      const agent = new Agent({
        connect: {
          minVersion: 'TLSv1.2',
          timeout: Math.min(CONNECT_TIMEOUT_MS, timeoutMs),
          ...(tls.caCertificate !== undefined ? { ca: tls.caCertificate } : {}),
          ...(tls.clientCertificate !== undefined
            ? { cert: tls.clientCertificate.certificatePem, key: tls.clientCertificate.keyPem }
            : {})
        },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs
      })
      return agent
    }))
  const base = endpoint.address.replace(/\/+$/, '')
  return {
    endpoint,
    async send(request) {
      const agent = await load()
      const url = new URL(`${base}/v1/${request.path.replace(/^\/+/, '')}`)
      for (const [key, value] of Object.entries(request.query ?? {})) {
        url.searchParams.set(key, value)
      }
      const headers: Record<string, string> = { accept: 'application/json' }
      if (request.token !== undefined) headers['x-vault-token'] = request.token
      if (endpoint.namespace !== undefined) headers['x-vault-namespace'] = endpoint.namespace
      if (request.body !== undefined) headers['content-type'] = 'application/json'
      const deadline = AbortSignal.timeout(timeoutMs)
      const sentAt = Date.now()
      let status: number
      let text: string
      let dateHeader: string | undefined
      try {
        const answer = await agent.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: request.method,
          headers,
          ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
          signal: request.signal ? AbortSignal.any([deadline, request.signal]) : deadline
        })
        status = answer.statusCode
        const date = answer.headers.date
        dateHeader = typeof date === 'string' ? date : undefined
        // Read whole here: a connection lost halfway through the body is a transport error too.
        text = await answer.body.text()
      } catch (error) {
        const code = errorCode(error)
        const reached =
          !(code !== undefined && (CONNECT_FAILURES[code] !== undefined || isTlsFailure(code))) &&
          code !== 'AbortError'
        const aborted = request.signal?.aborted === true && !deadline.aborted
        throw new VaultTransportError(
          describeFailure(code, timeoutMs, endpoint.tls),
          // An abort before the request left proves nothing was sent; after, it may have been.
          aborted ? true : reached,
          error
        )
      }
      const receivedAt = Date.now()
      let body: unknown
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text)
        } catch {
          // Not Vault's JSON (a proxy's page): the status says enough, the text is not kept.
          body = undefined
        }
      }
      if (status >= 400) throw new VaultResponseError(request, status, errorsOf(body), body)
      const date = dateHeader !== undefined ? new Date(dateHeader) : undefined
      return {
        status,
        body,
        ...(date && !Number.isNaN(date.getTime()) ? { date } : {}),
        sentAt,
        receivedAt
      }
    },
    async close() {
      if (!loading) return
      const agent = await loading
      await agent.close()
    }
  }
}
