/**
 * Public types of the local Vault server. Roles, policies and mount settings take Vault's own API
 * field names (snake_case), so a test configures them exactly as a client would over HTTP.
 */
import type {
  FaultHandle,
  FaultRule,
  KernelTlsOptions,
  RequestLog,
  TestClock,
  TlsMaterial,
  TlsMode
} from '../kernel/index.js'

/** A duration as Vault takes it: seconds, or a Go duration string such as `1h30m`. */
export type VaultDuration = number | string

/** Settings of one KV version 2 mount (`POST <mount>/config`). */
export interface KvMountOptions {
  /** Versions kept per secret (default 0 = Vault's 10). */
  max_versions?: number
  /** Every write must carry `options.cas`. */
  cas_required?: boolean
}

/** A token role (`auth/token/roles/<name>`). */
export interface TokenRoleOptions {
  allowed_policies?: string[]
  disallowed_policies?: string[]
  /** Tokens made from this role have no parent (they survive the token that made them). */
  orphan?: boolean
  renewable?: boolean
  token_period?: VaultDuration
  token_explicit_max_ttl?: VaultDuration
  token_no_default_policy?: boolean
}

/** A JWT auth role (`auth/<mount>/role/<name>`). */
export interface JwtRoleOptions {
  role_type?: 'jwt'
  /** Required: the claim that names the user (e.g. `sub`, `repository`). */
  user_claim: string
  bound_audiences?: string[]
  bound_subject?: string
  /** Claim name to a value or a list of accepted values. */
  bound_claims?: Record<string, string | number | boolean | Array<string | number | boolean>>
  /** `string` (exact, default) or `glob` (`*` matches any run of characters). */
  bound_claims_type?: 'string' | 'glob'
  /** Claim name to a metadata key put on the token. */
  claim_mappings?: Record<string, string>
  token_policies?: string[]
  token_ttl?: VaultDuration
  token_max_ttl?: VaultDuration
  token_period?: VaultDuration
  token_no_default_policy?: boolean
  /** Seconds of leeway on `exp`/`nbf`/`iat` (Vault's default 60). */
  clock_skew_leeway?: number
  expiration_leeway?: number
  not_before_leeway?: number
}

/** One JSON Web Key (public) as a JWKS holds it. */
export interface PublicJwk {
  kty: string
  kid?: string
  alg?: string
  use?: string
  n?: string
  e?: string
  crv?: string
  x?: string
  y?: string
}

/** A JWT auth mount (`auth/<mount>/config` plus roles). */
export interface JwtMountOptions {
  /** Fetched at each login (a 127.0.0.1 URL in tests). */
  jwks_url?: string
  /**
   * Keys given inline, as a JWKS document. Not a Vault field: Vault takes PEM keys in
   * `jwt_validation_pubkeys`; a JWKS here saves tests the conversion.
   */
  jwks?: { keys: PublicJwk[] }
  /** PEM public keys, as Vault's `jwt_validation_pubkeys`. */
  jwt_validation_pubkeys?: string[]
  bound_issuer?: string
  default_role?: string
  roles?: Record<string, JwtRoleOptions>
}

/** An AppRole role (`auth/<mount>/role/<name>`). */
export interface AppRoleRoleOptions {
  /** Default: a random UUID, readable at `role/<name>/role-id` and from the server. */
  role_id?: string
  /** Secret IDs accepted from the start (more can be made at `role/<name>/secret-id`). */
  secret_ids?: string[]
  bind_secret_id?: boolean
  secret_id_ttl?: VaultDuration
  secret_id_num_uses?: number
  token_policies?: string[]
  token_ttl?: VaultDuration
  token_max_ttl?: VaultDuration
  token_period?: VaultDuration
  token_no_default_policy?: boolean
}

/** An AppRole auth mount. */
export interface AppRoleMountOptions {
  roles?: Record<string, AppRoleRoleOptions>
}

/** A dynamic database role (`database/roles/<name>`). */
export interface DatabaseRoleOptions {
  db_name?: string
  default_ttl?: VaultDuration
  max_ttl?: VaultDuration
}

/** A static database role (`database/static-roles/<name>`): one account whose password Vault rotates. */
export interface DatabaseStaticRoleOptions {
  db_name?: string
  username: string
  /** Vault rotates the password when this much time has passed on the server clock. */
  rotation_period: VaultDuration
  /** The password before the first rotation (default: random). */
  password?: string
}

/** A database secrets engine mount. */
export interface DatabaseMountOptions {
  roles?: Record<string, DatabaseRoleOptions>
  static_roles?: Record<string, DatabaseStaticRoleOptions>
}

/** An AWS secrets engine mount: `aws/creds/<role>` answers a leased access key pair. */
export interface AwsMountOptions {
  roles?: Record<string, { default_ttl?: VaultDuration; max_ttl?: VaultDuration }>
}

/** A token made when the server starts, with the id given. */
export interface TokenSeed {
  policies?: string[]
  ttl?: VaultDuration
  explicit_max_ttl?: VaultDuration
  period?: VaultDuration
  renewable?: boolean
  meta?: Record<string, string>
  no_default_policy?: boolean
}

/** What one namespace (or the root namespace) holds at start. */
export interface NamespaceOptions {
  /** KV v2 mounts by path (default `{ secret: {} }`; give `{}` for none). */
  kv?: Record<string, KvMountOptions>
  /** ACL policies by name: HCL or JSON text, or the rules as data. */
  policies?: Record<string, string | Array<{ path: string; capabilities: string[] }>>
  token_roles?: Record<string, TokenRoleOptions>
  /** JWT auth mounts by path (e.g. `{ jwt: {...} }` serves `auth/jwt/login`). */
  jwt?: Record<string, JwtMountOptions>
  /** AppRole auth mounts by path (e.g. `{ approle: {...} }`). */
  approle?: Record<string, AppRoleMountOptions>
  /** Database mounts by path (e.g. `{ database: {...} }`). */
  database?: Record<string, DatabaseMountOptions>
  aws?: Record<string, AwsMountOptions>
  /** Tokens by id, made at start as orphans of this namespace. */
  tokens?: Record<string, TokenSeed>
}

/** Options of {@link startVaultServer}. */
export interface VaultServerOptions extends NamespaceOptions {
  /** The root token (policies `["root"]`, never expires). Default `root`. */
  rootToken?: string
  /** `none` (default), `tls`, `mtls` (a client certificate from the test CA is required). */
  tls?: TlsMode | KernelTlsOptions
  /** Child namespaces by path (`team-a`, `team-a/sub`): each isolates mounts, tokens, policies. */
  namespaces?: Record<string, NamespaceOptions>
  /** The server clock (default: frozen at the real time when started). */
  clock?: TestClock
  /** Default TTL of tokens and leases (Vault's 768h). */
  default_lease_ttl?: VaultDuration
  /** Longest TTL of tokens and leases (Vault's 768h). */
  max_lease_ttl?: VaultDuration
  /** Start sealed. */
  sealed?: boolean
  /** Added before every request is handled, in real ms. */
  latencyMs?: number
}

/** A KV v2 version as {@link VaultServer.kv} reads it. */
export interface KvVersionRecord {
  version: number
  /** Null when deleted or destroyed. */
  data: Record<string, unknown> | null
  created_time: string
  deletion_time: string
  destroyed: boolean
  custom_metadata: Record<string, string> | null
}

/** A token as the server holds it. */
export interface TokenRecord {
  id: string
  accessor: string
  namespace: string
  policies: string[]
  orphan: boolean
  /** Id of the parent token; undefined for an orphan. */
  parent: string | undefined
  /** Server-clock ms; undefined when it never expires. */
  expiresAt: number | undefined
  renewable: boolean
  meta: Record<string, string> | null
  path: string
  alive: boolean
}

/** A lease as the server holds it. */
export interface LeaseRecord {
  id: string
  namespace: string
  /** Accessor of the token that created it (revoking that token revokes the lease). */
  tokenAccessor: string | undefined
  issuedAt: number
  expiresAt: number
  renewable: boolean
  alive: boolean
}

/** What {@link VaultServer.createToken} makes. */
export interface CreateTokenOptions extends TokenSeed {
  namespace?: string
  /** Parent token id; default: none (an orphan). */
  parent?: string
  id?: string
}

/** A running local Vault server. */
export interface VaultServer {
  /** e.g. `https://127.0.0.1:43123` (no trailing slash, no `/v1`). */
  readonly url: string
  readonly rootToken: string
  /** The certificates in use; undefined without TLS. */
  readonly tls: TlsMaterial | undefined
  readonly clock: TestClock
  /** Every request with headers and parsed body (tokens and secrets included: never print it). */
  readonly log: RequestLog
  readonly faults: { add(rule: FaultRule): FaultHandle; clear(): void }
  /** URL of `POST /_db/login` (`{"username","password"}` → 200 or 401), for health-check commands. */
  readonly databaseLoginUrl: string
  readonly sealed: boolean
  seal(): void
  unseal(): void
  close(): Promise<void>
  /** KV v2 secrets read directly (no token, no ACL). `path` is `<mount>/<secret path>`, e.g. `secret/ci/api`. */
  readonly kv: {
    read(
      path: string,
      options?: { version?: number; namespace?: string }
    ): KvVersionRecord | undefined
    /** Writes a new version as a client would without `cas`; returns its number. */
    write(path: string, data: Record<string, unknown>, options?: { namespace?: string }): number
    versions(path: string, options?: { namespace?: string }): number[]
  }
  readonly database: {
    /** Whether the account exists and the password is current: a revoked or expired lease's account cannot log in. */
    canLogin(username: string, password: string, options?: { namespace?: string }): boolean
    /** Accounts that can log in now. */
    liveUsers(options?: { namespace?: string }): string[]
  }
  readonly aws: {
    /** Whether an access key pair from `aws/creds` is still valid. */
    isValid(accessKeyId: string, secretAccessKey: string, options?: { namespace?: string }): boolean
  }
  /** Makes a token directly (as if created earlier). */
  createToken(options?: CreateTokenOptions): { token: string; accessor: string }
  /** A token by id or accessor, alive or not. */
  token(idOrAccessor: string): TokenRecord | undefined
  /** Tokens alive now (in every namespace unless one is named). */
  liveTokens(namespace?: string): TokenRecord[]
  lease(id: string): LeaseRecord | undefined
  /** Leases alive now. */
  liveLeases(namespace?: string): LeaseRecord[]
  /** The current password of a static database role. */
  staticPassword(role: string, options?: { namespace?: string; mount?: string }): string | undefined
  /** The role_id of an AppRole role. */
  appRoleId(role: string, options?: { namespace?: string; mount?: string }): string | undefined
}
