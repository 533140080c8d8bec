/**
 * A local OAuth2 server for tests and the sandbox: oidc-provider (a certified OpenID Provider)
 * with rotating refresh tokens, RFC 7009 revocation, a client per authentication method (mTLS
 * included, over HTTPS with the fixture certificates), a protected resource, and fault injection.
 */
export { startOAuth2Server } from './server.js'
export { loadTlsFixtures } from './tls-fixtures.js'
export type {
  Fault,
  FaultEndpoint,
  FaultHandle,
  FaultInjector,
  FaultKind,
  JwtAlgorithm,
  MintOptions,
  OAuth2Server,
  OAuth2ServerOptions,
  TestClients,
  TlsFixtures
} from './types.js'
