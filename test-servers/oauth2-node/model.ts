/**
 * The model `@node-oauth/oauth2-server` asks for everything it stores: clients, tokens, and the
 * rotation rules. Like many models in use, it compares the client credentials exactly as the
 * library hands them over from the Basic header, without form-decoding them first.
 */
import { randomBytes } from 'node:crypto'
import type OAuth2Server from '@node-oauth/oauth2-server'

/** A registered confidential client, allowed the refresh_token grant only. */
export interface NodeOAuth2Client {
  clientId: string
  clientSecret: string
}

/** One issued token, with the family (the grant) every rotation of it belongs to. */
interface Stored {
  family: string
  client: OAuth2Server.Client
  scope: string[]
  expiresAt: Date
  consumed: boolean
}

interface Family {
  revoked: boolean
}

/** What the server counted, for tests to assert on. */
export interface ModelCounts {
  /** Client credentials the model refused (the server answers `invalid_client`). */
  refusedClients: number
  /** Consumed refresh tokens presented again: each revoked its whole family. */
  reuses: number
}

export interface ModelSettings {
  clients: readonly NodeOAuth2Client[]
  /** Form-decode the credentials before comparing them, as RFC 6749 section 2.3.1 asks. */
  decodeCredentials: boolean
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
}

const newToken = (): string => randomBytes(32).toString('base64url')

/** `application/x-www-form-urlencoded` decoding of one value; undefined when it does not decode. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '))
  } catch {
    return undefined
  }
}

/**
 * An in-memory model with refresh-token rotation and reuse detection: a consumed refresh token
 * presented again is refused with `invalid_grant` and revokes every token of its family, as
 * RFC 9700 section 4.14.2 recommends (and oidc-provider does).
 */
export class RotatingModel implements OAuth2Server.RefreshTokenModel {
  readonly counts: ModelCounts = { refusedClients: 0, reuses: 0 }
  readonly #settings: ModelSettings
  readonly #accessTokens = new Map<string, Stored>()
  readonly #refreshTokens = new Map<string, Stored>()
  readonly #families = new Map<string, Family>()

  constructor(settings: ModelSettings) {
    this.#settings = settings
  }

  /** A refresh token that starts a new family, as an authorization would have issued it. */
  issueRefreshToken(clientId: string, scope: string[]): string {
    if (!this.#settings.clients.some(client => client.clientId === clientId)) {
      throw new Error(`no client '${clientId}' is registered`)
    }
    const family = newToken()
    this.#families.set(family, { revoked: false })
    const token = newToken()
    this.#refreshTokens.set(token, this.#stored(family, clientId, scope, 'refresh'))
    return token
  }

  isRefreshTokenActive(token: string): boolean {
    const stored = this.#refreshTokens.get(token)
    return stored !== undefined && !stored.consumed && this.#live(stored)
  }

  isAccessTokenActive(token: string): boolean {
    const stored = this.#accessTokens.get(token)
    return stored !== undefined && this.#live(stored)
  }

  /** Whether the family that `token` belongs to still has a usable refresh token. */
  isFamilyAlive(token: string): boolean {
    const family = this.#refreshTokens.get(token)?.family
    if (family === undefined || this.#families.get(family)?.revoked !== false) return false
    return [...this.#refreshTokens.values()].some(
      stored => stored.family === family && !stored.consumed && this.#live(stored)
    )
  }

  getClient(clientId: string, clientSecret: string): Promise<OAuth2Server.Client | false> {
    const decode = this.#settings.decodeCredentials
      ? formDecode
      : (value: string): string | undefined => value
    const [id, secret] = [decode(clientId), decode(clientSecret)]
    const match = this.#settings.clients.find(
      client => client.clientId === id && client.clientSecret === secret
    )
    if (match === undefined) this.counts.refusedClients += 1
    return Promise.resolve(match === undefined ? false : this.#client(match.clientId))
  }

  saveToken(
    token: OAuth2Server.Token,
    client: OAuth2Server.Client,
    user: OAuth2Server.User
  ): Promise<OAuth2Server.Token> {
    // The family travels in the user object: the library hands the refreshed token's user back.
    const family = String(user.family)
    const scope = token.scope ?? []
    this.#accessTokens.set(token.accessToken, this.#stored(family, client.id, scope, 'access'))
    if (token.refreshToken !== undefined) {
      this.#refreshTokens.set(token.refreshToken, this.#stored(family, client.id, scope, 'refresh'))
    }
    return Promise.resolve({ ...token, client, user })
  }

  getAccessToken(accessToken: string): Promise<OAuth2Server.Token | false> {
    const stored = this.#accessTokens.get(accessToken)
    if (stored === undefined || !this.#live(stored)) return Promise.resolve(false)
    return Promise.resolve({
      accessToken,
      accessTokenExpiresAt: stored.expiresAt,
      scope: stored.scope,
      client: stored.client,
      user: { family: stored.family }
    })
  }

  getRefreshToken(refreshToken: string): Promise<OAuth2Server.RefreshToken | false> {
    const stored = this.#refreshTokens.get(refreshToken)
    if (stored === undefined || !this.#live(stored)) return Promise.resolve(false)
    if (stored.consumed) {
      this.#reuse(stored.family)
      return Promise.resolve(false)
    }
    return Promise.resolve({
      refreshToken,
      refreshTokenExpiresAt: stored.expiresAt,
      scope: stored.scope,
      client: stored.client,
      user: { family: stored.family }
    })
  }

  /** Consumes the refresh token; false (so `invalid_grant`) when a racing request consumed it. */
  revokeToken(token: OAuth2Server.RefreshToken): Promise<boolean> {
    const stored = this.#refreshTokens.get(token.refreshToken)
    if (stored === undefined) return Promise.resolve(false)
    if (stored.consumed) {
      this.#reuse(stored.family)
      return Promise.resolve(false)
    }
    stored.consumed = true
    return Promise.resolve(true)
  }

  #reuse(family: string): void {
    this.counts.reuses += 1
    const entry = this.#families.get(family)
    if (entry) entry.revoked = true
  }

  #live(stored: Stored): boolean {
    return this.#families.get(stored.family)?.revoked === false && stored.expiresAt > new Date()
  }

  #client(clientId: string): OAuth2Server.Client {
    return {
      id: clientId,
      grants: ['refresh_token'],
      accessTokenLifetime: this.#settings.accessTokenTtlSeconds,
      refreshTokenLifetime: this.#settings.refreshTokenTtlSeconds
    }
  }

  #stored(family: string, clientId: string, scope: string[], kind: 'access' | 'refresh'): Stored {
    const ttl =
      kind === 'access'
        ? this.#settings.accessTokenTtlSeconds
        : this.#settings.refreshTokenTtlSeconds
    return {
      family,
      client: this.#client(clientId),
      scope,
      expiresAt: new Date(Date.now() + ttl * 1000),
      consumed: false
    }
  }
}
