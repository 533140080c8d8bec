/**
 * A second OAuth2 server for tests, besides oidc-provider: `@node-oauth/oauth2-server` (widely
 * used in Express and Koa apps) on node:http, 127.0.0.1 and an ephemeral port. Its model compares
 * the Basic credentials as received (see model.ts): a client that encodes more than RFC 6749 asks
 * is refused with `invalid_client`.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import OAuth2Server from '@node-oauth/oauth2-server'
import { RotatingModel, type ModelCounts, type NodeOAuth2Client } from './model.js'

export const TOKEN_PATH = '/oauth/token'
export const RESOURCE_PATH = '/api/me'
const DEFAULT_SCOPE = ['api:read']

/** Options of {@link startNodeOAuth2Server}. */
export interface NodeOAuth2ServerOptions {
  /** Default: `rotation-client` and a client whose id is a UUID, each with a base64url secret. */
  clients?: readonly NodeOAuth2Client[]
  /** Form-decode the Basic credentials before comparing (default false: compare as received). */
  decodeCredentials?: boolean
  /** Default 3600. */
  accessTokenTtlSeconds?: number
  /** Default 14 days. */
  refreshTokenTtlSeconds?: number
}

/** The running server, its clients, and what it counted. */
export interface NodeOAuth2Server {
  readonly tokenUrl: string
  /** Answers 200 to a live access token in `Authorization: Bearer`, 401 otherwise. */
  readonly resourceUrl: string
  readonly clients: readonly NodeOAuth2Client[]
  /** POSTs to the token endpoint. */
  readonly tokenRequests: number
  readonly counts: Readonly<ModelCounts>
  /** A refresh token of a new grant (family) for `clientId` (default: the first client). */
  mintRefreshToken(clientId?: string): string
  isRefreshTokenActive(token: string): boolean
  isAccessTokenActive(token: string): boolean
  /** Whether the grant `token` belongs to is still usable (not revoked for a reuse). */
  isFamilyAlive(token: string): boolean
  close(): Promise<void>
}

function defaultClients(): NodeOAuth2Client[] {
  const secret = () => randomBytes(24).toString('base64url')
  return [
    { clientId: 'rotation-client', clientSecret: secret() },
    { clientId: randomUUID(), clientSecret: secret() }
  ]
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
}

function headersOf(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(', ') : (value ?? '')
    ])
  )
}

function send(res: ServerResponse, response: OAuth2Server.Response): void {
  res.writeHead(response.status ?? 200, {
    ...response.headers,
    'content-type': 'application/json'
  })
  res.end(JSON.stringify(response.body ?? {}))
}

function sendError(
  res: ServerResponse,
  response: OAuth2Server.Response,
  error: OAuth2Server.OAuthError
): void {
  response.status = error.code
  response.body = { error: error.name, error_description: error.message }
  send(res, response)
}

class LocalNodeOAuth2Server implements NodeOAuth2Server {
  readonly clients: readonly NodeOAuth2Client[]
  readonly #model: RotatingModel
  readonly #oauth: OAuth2Server
  readonly #server: Server
  #tokenRequests = 0

  constructor(options: NodeOAuth2ServerOptions) {
    this.clients = options.clients ?? defaultClients()
    const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 3600
    const refreshTokenTtlSeconds = options.refreshTokenTtlSeconds ?? 14 * 24 * 60 * 60
    this.#model = new RotatingModel({
      clients: this.clients,
      decodeCredentials: options.decodeCredentials ?? false,
      accessTokenTtlSeconds,
      refreshTokenTtlSeconds
    })
    this.#oauth = new OAuth2Server({
      model: this.#model,
      accessTokenLifetime: accessTokenTtlSeconds,
      refreshTokenLifetime: refreshTokenTtlSeconds,
      alwaysIssueNewRefreshToken: true
    })
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
    })
  }

  get #origin(): string {
    return `http://127.0.0.1:${String((this.#server.address() as AddressInfo).port)}`
  }

  get tokenUrl(): string {
    return `${this.#origin}${TOKEN_PATH}`
  }

  get resourceUrl(): string {
    return `${this.#origin}${RESOURCE_PATH}`
  }

  get tokenRequests(): number {
    return this.#tokenRequests
  }

  get counts(): Readonly<ModelCounts> {
    return { ...this.#model.counts }
  }

  mintRefreshToken(clientId?: string): string {
    const id = clientId ?? this.clients[0]?.clientId
    if (id === undefined) throw new Error('the server has no client')
    return this.#model.issueRefreshToken(id, DEFAULT_SCOPE)
  }

  isRefreshTokenActive(token: string): boolean {
    return this.#model.isRefreshTokenActive(token)
  }

  isAccessTokenActive(token: string): boolean {
    return this.#model.isAccessTokenActive(token)
  }

  isFamilyAlive(token: string): boolean {
    return this.#model.isFamilyAlive(token)
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(0, '127.0.0.1', () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
  }

  close(): Promise<void> {
    return new Promise<void>(resolve => {
      this.#server.closeAllConnections()
      this.#server.close(() => {
        resolve()
      })
    })
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://127.0.0.1')
    const request = new OAuth2Server.Request({
      method: req.method ?? 'GET',
      headers: headersOf(req),
      query: Object.fromEntries(searchParams),
      body: req.method === 'POST' ? await readForm(req) : {}
    })
    const response = new OAuth2Server.Response()
    try {
      if (pathname === TOKEN_PATH && req.method === 'POST') {
        this.#tokenRequests += 1
        await this.#oauth.token(request, response)
        send(res, response)
      } else if (pathname === RESOURCE_PATH) {
        const token = await this.#oauth.authenticate(request, response)
        response.body = { client_id: token.client.id, scope: token.scope }
        send(res, response)
      } else {
        res.writeHead(404).end()
      }
    } catch (error: unknown) {
      if (!(error instanceof OAuth2Server.OAuthError)) throw error
      sendError(res, response, error)
    }
  }
}

/**
 * Starts `@node-oauth/oauth2-server` on 127.0.0.1 with rotating refresh tokens and reuse detection.
 *
 * @example
 * const server = await startNodeOAuth2Server()
 * const refreshToken = server.mintRefreshToken('rotation-client')
 * // ...refresh at server.tokenUrl with client_secret_basic...
 * await server.close()
 */
export async function startNodeOAuth2Server(
  options: NodeOAuth2ServerOptions = {}
): Promise<NodeOAuth2Server> {
  const server = new LocalNodeOAuth2Server(options)
  await server.listen()
  return server
}
