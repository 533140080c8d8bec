/**
 * A local HashiCorp Vault server for tests: Vault's HTTP API (KV v2 with check-and-set, tokens
 * and token roles, ACL policies, leases, JWT and AppRole login, database and AWS engines,
 * namespaces), over HTTP, HTTPS or mTLS, with faults, a request log and a movable clock.
 */
export { startVaultServer } from './server.js'
export { createOidcIssuer, githubActionsClaims } from './oidc-issuer.js'
export type { GitHubClaimsInput, OidcIssuer, OidcIssuerOptions } from './oidc-issuer.js'
export type {
  AppRoleMountOptions,
  AppRoleRoleOptions,
  AwsMountOptions,
  CreateTokenOptions,
  DatabaseMountOptions,
  DatabaseRoleOptions,
  DatabaseStaticRoleOptions,
  JwtMountOptions,
  JwtRoleOptions,
  KvMountOptions,
  KvVersionRecord,
  LeaseRecord,
  NamespaceOptions,
  PublicJwk,
  TokenRecord,
  TokenRoleOptions,
  TokenSeed,
  VaultDuration,
  VaultServer,
  VaultServerOptions
} from './types.js'
