import { type KeyObject, createPrivateKey } from 'node:crypto'
import * as oauth from 'oauth4webapi'
import type { ClientAssertionAlgorithm, ClientAuthentication } from './config.js'
import { formEncodeCredential } from '../../http/form-credential.js'

export { formEncodeCredential }

/** The WebCrypto algorithm each JWS algorithm signs with. */
const SIGNING_ALGORITHMS: Readonly<
  Record<ClientAssertionAlgorithm, Parameters<KeyObject['toCryptoKey']>[0]>
> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  ES384: { name: 'ECDSA', namedCurve: 'P-384' },
  EdDSA: { name: 'Ed25519' }
}

/**
 * `client_secret_basic` (RFC 6749 section 2.3.1): the form-encoded client id and secret, joined by
 * `:`, base64 in an HTTP Basic `Authorization` header. See {@link formEncodeCredential}.
 */
export function clientSecretBasic(clientSecret: string): oauth.ClientAuth {
  return (_as, client, _body, headers) => {
    const credentials = `${formEncodeCredential(client.client_id)}:${formEncodeCredential(clientSecret)}`
    headers.set('authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`)
  }
}

/**
 * The client authentication of every request: oauth4webapi's own implementations, except
 * `client_secret_basic` (see {@link clientSecretBasic}).
 * @param tokenEndpoint the audience of a `private_key_jwt` assertion
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3 (secrets), RFC 7523 (private_key_jwt),
 *   RFC 8705 section 2 (tls_client_auth: the certificate goes in the TLS handshake)
 */
export function clientAuthentication(
  auth: ClientAuthentication,
  tokenEndpoint: string
): oauth.ClientAuth {
  switch (auth.method) {
    case 'client_secret_basic':
      return clientSecretBasic(auth.clientSecret)
    case 'client_secret_post':
      return oauth.ClientSecretPost(auth.clientSecret)
    case 'none':
      return oauth.None()
    case 'tls_client_auth':
      return oauth.TlsClientAuth()
    case 'private_key_jwt': {
      const key = createPrivateKey(auth.privateKeyPem).toCryptoKey(
        SIGNING_ALGORITHMS[auth.algorithm],
        false,
        ['sign']
      )
      return oauth.PrivateKeyJwt(key, {
        [oauth.modifyAssertion]: (header, payload) => {
          // oauth4webapi names an Ed25519 signature `Ed25519` (RFC 9864); far more servers know
          // the older `EdDSA`, which means the same signature.
          if (auth.algorithm === 'EdDSA') header.alg = 'EdDSA'
          // oauth4webapi addresses the assertion to the issuer identifier, which token-url does
          // not give (Keycloak's has a realm path, Auth0's a trailing slash). The token endpoint
          // is the audience RFC 7523 section 3 names, and the one servers accept most widely.
          payload.aud = tokenEndpoint
        }
      })
    }
  }
}
