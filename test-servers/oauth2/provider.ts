/**
 * The oidc-provider configuration: rotating refresh tokens, RFC 7009 revocation, and RFC 8705
 * `tls_client_auth` read from the TLS socket the request came in on.
 */
import { generateKeyPairSync, type X509Certificate } from 'node:crypto'
import { TLSSocket } from 'node:tls'
import Provider, {
  type ClientModel,
  type Configuration,
  type KoaContextWithOIDC
} from 'oidc-provider'
import { clientMetadata } from './clients.js'
import type { MemoryStore } from './memory-store.js'
import type { TestClients } from './types.js'

/** The scopes a grant can hold; `api:read` stands for what a real API would ask for. */
export const SCOPES = ['openid', 'offline_access', 'api:read'] as const

const DAY_SECONDS = 24 * 60 * 60

export interface ProviderSettings {
  issuer: string
  clients: TestClients
  store: MemoryStore
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
  rotateRefreshToken: boolean
}

function peerCertificate(ctx: KoaContextWithOIDC): X509Certificate | undefined {
  return ctx.socket instanceof TLSSocket ? ctx.socket.getPeerX509Certificate() : undefined
}

/**
 * Builds the provider; every default that oidc-provider warns about is set explicitly. The clients
 * are stored through the adapter, as dynamically registered ones are, not passed as static
 * `clients`: the provider copies static metadata with structuredClone, which under Jest makes
 * objects of another realm, and then refuses the `private_key_jwt` client's key set as not plain.
 */
export async function createProvider(settings: ProviderSettings): Promise<Provider> {
  const clients = settings.store.adapterFor('Client')
  for (const metadata of clientMetadata(settings.clients)) {
    await clients.upsert(String(metadata.client_id), metadata, undefined)
  }
  const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  const configuration: Configuration = {
    adapter: modelName => settings.store.adapterFor(modelName),
    clientAuthMethods: [
      'client_secret_basic',
      'client_secret_post',
      'none',
      'private_key_jwt',
      'tls_client_auth'
    ],
    // `EdDSA` and not `Ed25519`, the name most servers know, so a test sees which one is sent.
    enabledJWA: { clientAuthSigningAlgValues: ['RS256', 'ES256', 'ES384', 'EdDSA'] },
    cookies: { keys: ['local-oauth2-server-cookie-key-0123456789'] },
    features: {
      devInteractions: { enabled: false },
      // A client may revoke its own tokens only (the default's rule, without its notice).
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx: unknown, client: ClientModel, token: { clientId?: string }) =>
          token.clientId === client.clientId
      },
      mTLS: {
        enabled: true,
        tlsClientAuth: true,
        getCertificate: peerCertificate,
        certificateAuthorized: (ctx: KoaContextWithOIDC) =>
          ctx.socket instanceof TLSSocket && ctx.socket.authorized,
        certificateSubjectMatches: (
          ctx: KoaContextWithOIDC,
          property: string,
          expected: string
        ): boolean =>
          property === 'tls_client_auth_subject_dn' && peerCertificate(ctx)?.subject === expected
      }
    },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    jwks: { keys: [{ ...signingKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig' }] },
    rotateRefreshToken: settings.rotateRefreshToken,
    scopes: SCOPES,
    ttl: {
      AccessToken: settings.accessTokenTtlSeconds,
      RefreshToken: settings.refreshTokenTtlSeconds,
      Grant: settings.refreshTokenTtlSeconds,
      IdToken: 3600,
      Session: DAY_SECONDS,
      Interaction: 3600
    }
  }
  return new Provider(settings.issuer, configuration)
}
