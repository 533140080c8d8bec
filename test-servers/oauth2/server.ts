/**
 * The HTTP side: one node:http (or node:https, with client certificates) server on 127.0.0.1 and
 * an ephemeral port. It serves the protected resource, applies faults to the token and revocation
 * endpoints, and hands everything else to oidc-provider.
 */
import {
  type IncomingMessage,
  type ServerResponse,
  createServer as createHttpServer
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Server } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import type Provider from 'oidc-provider'
import { createTestClients } from './clients.js'
import { FaultRegistry, applyAfterProcessing, echoRequest, sendJson } from './faults.js'
import { MemoryStore } from './memory-store.js'
import { createProvider } from './provider.js'
import { RESOURCE_PATH, handleResource } from './resource.js'
import { loadTlsFixtures } from './tls-fixtures.js'
import type {
  FaultEndpoint,
  MintOptions,
  OAuth2Server,
  OAuth2ServerOptions,
  TestClients
} from './types.js'

/** oidc-provider's default routes. */
const ENDPOINT_PATHS: Readonly<Record<string, FaultEndpoint>> = {
  '/token': 'token',
  '/token/revocation': 'revocation'
}

const DEFAULT_SCOPE = 'offline_access api:read'

type Listener = (req: IncomingMessage, res: ServerResponse) => void

interface Running {
  provider: Provider
  callback: (req: IncomingMessage, res: ServerResponse) => Promise<void>
}

function createListener(options: OAuth2ServerOptions, listener: Listener): Server {
  if (options.tls !== true) return createHttpServer(listener)
  const fixtures = loadTlsFixtures()
  return createHttpsServer(
    {
      key: fixtures.serverKey,
      cert: fixtures.serverCertificate,
      ca: fixtures.ca,
      requestCert: true,
      rejectUnauthorized: options.requireClientCertificate === true,
      minVersion: 'TLSv1.2'
    },
    listener
  )
}

class LocalOAuth2Server implements OAuth2Server {
  readonly faults = new FaultRegistry()
  readonly clients: TestClients = createTestClients()
  readonly #store = new MemoryStore()
  readonly #server: Server & { closeAllConnections(): void; keepAliveTimeout: number }
  readonly #options: OAuth2ServerOptions
  /** Aborted by close(), so held answers stop at once. */
  readonly #lifetime = new AbortController()
  /** The grant each minted refresh token started, for isGrantAlive. */
  readonly #grants = new Map<string, string>()
  #running: Running | undefined
  #port = 0
  #tokenRequests = 0
  #revocationRequests = 0
  #closing: Promise<void> | undefined

  constructor(options: OAuth2ServerOptions) {
    this.#options = options
    this.#server = createListener(options, (req, res) => {
      void this.#handle(req, res)
    }) as Server & { closeAllConnections(): void; keepAliveTimeout: number }
    // Longer than a client's idle keep-alive (undici: 4 s), so the client always closes an idle
    // socket first: a server closing it as the client reuses it answers ECONNRESET.
    this.#server.keepAliveTimeout = 30_000
  }

  get issuer(): string {
    return `${this.#options.tls === true ? 'https' : 'http'}://127.0.0.1:${this.#port}`
  }

  get tokenUrl(): string {
    return `${this.issuer}/token`
  }

  get revocationUrl(): string {
    return `${this.issuer}/token/revocation`
  }

  get resourceUrl(): string {
    return `${this.issuer}${RESOURCE_PATH}`
  }

  get tokenRequests(): number {
    return this.#tokenRequests
  }

  get revocationRequests(): number {
    return this.#revocationRequests
  }

  /** Listens on an ephemeral port, then builds the provider for the issuer that port gives. */
  async start(): Promise<void> {
    await this.#listen(0)
    const provider = await createProvider({
      issuer: this.issuer,
      clients: this.clients,
      store: this.#store,
      accessTokenTtlSeconds: this.#options.accessTokenTtlSeconds ?? 3600,
      refreshTokenTtlSeconds: this.#options.refreshTokenTtlSeconds ?? 14 * 24 * 60 * 60,
      rotateRefreshToken: this.#options.rotateRefreshToken ?? true
    })
    this.#running = { provider, callback: provider.callback() }
  }

  async mintRefreshToken(options: MintOptions = {}): Promise<string> {
    const { provider } = this.#started()
    const clientId = options.clientId ?? this.clients.basic.clientId
    const accountId = options.accountId ?? 'alice'
    const scope = options.scope ?? DEFAULT_SCOPE
    const client = await provider.Client.find(clientId)
    if (client === undefined) throw new Error(`no client '${clientId}' is registered`)
    // The consent a real authorization would record; offline_access is what allows refreshing.
    const grant = new provider.Grant({ accountId, clientId })
    grant.addOIDCScope(scope)
    const grantId = await grant.save()
    const refreshToken = await new provider.RefreshToken({
      accountId,
      client,
      grantId,
      scope,
      gty: 'authorization_code'
    }).save()
    this.#grants.set(refreshToken, grantId)
    return refreshToken
  }

  async isRefreshTokenActive(refreshToken: string): Promise<boolean> {
    const token = await this.#started().provider.RefreshToken.find(refreshToken)
    return token !== undefined && token.consumed === undefined && !token.isExpired
  }

  async isAccessTokenActive(accessToken: string): Promise<boolean> {
    return (await this.#started().provider.AccessToken.find(accessToken)) !== undefined
  }

  async isGrantAlive(refreshToken: string): Promise<boolean> {
    const grantId = this.#grants.get(refreshToken)
    if (grantId === undefined) {
      throw new Error('isGrantAlive takes a refresh token that mintRefreshToken returned')
    }
    if ((await this.#started().provider.Grant.find(grantId)) === undefined) return false
    return this.#store
      .membersOf('RefreshToken', grantId)
      .some(payload => payload.consumed === undefined)
  }

  async refuseConnections(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.close(error => {
        if (error === undefined) resolve()
        else reject(error)
      })
      // Pooled keep-alive connections would otherwise still reach the provider.
      this.#server.closeAllConnections()
    })
  }

  async acceptConnections(): Promise<void> {
    await this.#listen(this.#port)
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#lifetime.abort()
      if (this.#server.listening) await this.refuseConnections()
    })()
    return this.#closing
  }

  async #listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    this.#port = (this.#server.address() as AddressInfo).port
  }

  #started(): Running {
    if (this.#running === undefined) throw new Error('the server is not started')
    return this.#running
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const latencyMs = this.#options.latencyMs ?? 0
      if (latencyMs > 0) await delay(latencyMs, undefined, { signal: this.#lifetime.signal })
      await this.#route(req, res)
    } catch (error: unknown) {
      if (res.headersSent || res.destroyed) res.destroy()
      else sendJson(res, 500, { error: 'server_error', error_description: String(error) })
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { provider, callback } = this.#started()
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (pathname === RESOURCE_PATH) {
      await handleResource(provider, req, res)
      return
    }
    const endpoint = ENDPOINT_PATHS[pathname]
    if (endpoint !== undefined && req.method === 'POST') {
      if (endpoint === 'token') this.#tokenRequests += 1
      else this.#revocationRequests += 1
      const fault = this.faults.take(endpoint)
      if (fault?.kind === 'answer') {
        req.resume()
        sendJson(res, fault.status, fault.body ?? { error: 'temporarily_unavailable' })
        return
      }
      if (fault?.kind === 'echo-request') {
        await echoRequest(req, res, fault)
        return
      }
      if (fault !== undefined) applyAfterProcessing(res, fault, this.#lifetime.signal)
    }
    await callback(req, res)
  }
}

/**
 * Starts oidc-provider on 127.0.0.1 and an ephemeral port, with rotating refresh tokens and a
 * client for each authentication method. Mint a starting refresh token with
 * {@link OAuth2Server.mintRefreshToken}.
 *
 * @example
 * const oauth2 = await startOAuth2Server()
 * const refreshToken = await oauth2.mintRefreshToken()
 * // ...refresh at oauth2.tokenUrl as oauth2.clients.basic...
 * await oauth2.close()
 */
export async function startOAuth2Server(options: OAuth2ServerOptions = {}): Promise<OAuth2Server> {
  const server = new LocalOAuth2Server(options)
  await server.start()
  return server
}
