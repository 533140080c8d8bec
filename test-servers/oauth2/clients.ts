/**
 * The registered clients: one per client authentication method the action supports, each allowed
 * the refresh_token grant only (the starting refresh token is minted through the models).
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { JwtAlgorithm, TestClients } from './types.js'

/** The subject DN of the fixture client certificate (fixtures/client.pem). */
const MTLS_SUBJECT_DN = 'CN=mtls-client'

function generateKey(algorithm: JwtAlgorithm): KeyObject {
  switch (algorithm) {
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    case 'ES384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey
  }
}

function toPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString()
}

/** Fresh credentials for every server, so no test can lean on another's. */
export function createTestClients(): TestClients {
  const algorithms: JwtAlgorithm[] = ['RS256', 'ES256', 'ES384', 'EdDSA']
  const privateKeys = Object.fromEntries(
    algorithms.map(algorithm => [algorithm, toPem(generateKey(algorithm))])
  ) as Record<JwtAlgorithm, string>
  return {
    basic: { clientId: 'basic-client', clientSecret: 'basic-client-secret-0123456789abcdef' },
    post: { clientId: 'post-client', clientSecret: 'post-client-secret-0123456789abcdef' },
    public: { clientId: 'public-client' },
    privateKeyJwt: { clientId: 'jwt-client', privateKeyPem: privateKeys.ES256, privateKeys },
    tlsClientAuth: { clientId: 'mtls-client', subjectDn: MTLS_SUBJECT_DN }
  }
}

/** Refresh only; ID tokens (scope `openid`) are signed with the provider's ES256 key. */
const REFRESH_ONLY = {
  grant_types: ['refresh_token'],
  response_types: [],
  redirect_uris: [],
  id_token_signed_response_alg: 'ES256'
}

/** The clients as oidc-provider registers them (RFC 7591 metadata). */
export function clientMetadata(clients: TestClients): Record<string, unknown>[] {
  // One public key per algorithm: the provider picks the key by the assertion's `alg`.
  const jwks = {
    keys: Object.values(clients.privateKeyJwt.privateKeys).map(pem => ({
      ...createPublicKey(pem).export({ format: 'jwk' })
    }))
  }
  return [
    {
      ...REFRESH_ONLY,
      client_id: clients.basic.clientId,
      client_secret: clients.basic.clientSecret,
      token_endpoint_auth_method: 'client_secret_basic'
    },
    {
      ...REFRESH_ONLY,
      client_id: clients.post.clientId,
      client_secret: clients.post.clientSecret,
      token_endpoint_auth_method: 'client_secret_post'
    },
    {
      ...REFRESH_ONLY,
      client_id: clients.public.clientId,
      token_endpoint_auth_method: 'none'
    },
    {
      ...REFRESH_ONLY,
      client_id: clients.privateKeyJwt.clientId,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks
    },
    {
      ...REFRESH_ONLY,
      client_id: clients.tlsClientAuth.clientId,
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: clients.tlsClientAuth.subjectDn
    }
  ]
}
