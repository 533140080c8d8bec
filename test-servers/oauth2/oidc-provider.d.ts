// oidc-provider ships no types. These declare only the part of its API the local OAuth2 server
// uses, as documented at https://github.com/panva/node-oidc-provider/tree/main/docs.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  /** What the provider stores for one model instance (a token, a grant, a client, ...). */
  export interface AdapterPayload {
    readonly [key: string]: unknown
    grantId?: string
    uid?: string
    userCode?: string
    /** Epoch seconds when a refresh token was used (set through `consume`). */
    consumed?: number
  }

  /** The storage interface the provider calls, one instance per model name. */
  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>
    find(id: string): Promise<AdapterPayload | undefined>
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>
    findByUid(uid: string): Promise<AdapterPayload | undefined>
    consume(id: string): Promise<void>
    destroy(id: string): Promise<void>
    revokeByGrantId(grantId: string): Promise<void>
  }

  /** The request context the provider's configuration callbacks receive (a Koa context). */
  export interface KoaContextWithOIDC {
    readonly socket: import('node:net').Socket
  }

  /** Configuration; see the provider's docs for each key. Only what the server sets is typed. */
  export interface Configuration {
    adapter?: (modelName: string) => Adapter
    clientAuthMethods?: readonly string[]
    enabledJWA?: { clientAuthSigningAlgValues?: readonly string[] }
    cookies?: { keys: readonly string[] }
    features?: Record<string, Record<string, unknown>>
    findAccount?: (
      ctx: KoaContextWithOIDC,
      sub: string
    ) => { accountId: string; claims(): { sub: string } }
    jwks?: { keys: ReadonlyArray<Record<string, unknown>> }
    rotateRefreshToken?: boolean
    scopes?: readonly string[]
    ttl?: Record<string, number>
  }

  /** The fields of a stored token that the server reads. */
  export interface TokenModel {
    readonly jti: string
    readonly grantId?: string
    readonly clientId?: string
    readonly accountId?: string
    readonly scope?: string
    readonly consumed?: number
    readonly isExpired: boolean
  }

  export interface GrantModel {
    addOIDCScope(scope: string): void
    save(): Promise<string>
  }

  /** An opaque registered client, as `Client.find` returns it. */
  export interface ClientModel {
    readonly clientId: string
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration)
    readonly issuer: string
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>
    on(event: string, listener: (...args: unknown[]) => void): this
    readonly Client: { find(id: string): Promise<ClientModel | undefined> }
    readonly Grant: {
      new (properties: { accountId: string; clientId: string }): GrantModel
      find(id: string): Promise<GrantModel | undefined>
    }
    readonly AccessToken: { find(value: string): Promise<TokenModel | undefined> }
    readonly RefreshToken: {
      new (properties: {
        accountId: string
        client: ClientModel
        grantId: string
        scope: string
        gty: string
      }): { save(): Promise<string> }
      find(value: string, options?: { ignoreExpiration?: boolean }): Promise<TokenModel | undefined>
    }
  }
}
