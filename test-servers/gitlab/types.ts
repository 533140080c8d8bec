/**
 * Public types of the local GitLab REST API server, kept apart from the implementation so tests
 * and the sandbox can import them without pulling in node:http.
 */
import type {
  FaultHandle,
  FaultRules,
  KernelTlsOptions,
  RequestLog,
  TestClock,
  TlsMaterial,
  TlsMode
} from '../kernel/index.js'
import type { ACCESS_LEVELS, ResourceKind, VariableRecord } from './model.js'

/** Options of {@link startGitLabServer}. */
export interface GitLabServerOptions {
  /**
   * The server's clock: timestamps, expiry, `last_used_at` and the `Date` header. Default: the
   * kernel's frozen {@link TestClock} at the real time of the start, moved only by the test.
   */
  clock?: TestClock
  /** Plain HTTP (default), HTTPS or mTLS, through the kernel. */
  tls?: TlsMode | KernelTlsOptions
  /** Added before every request is handled, in real ms (default 0). */
  latencyMs?: number
  /**
   * The instance's maximum allowable token lifetime in days (default 365, GitLab's limit;
   * GitLab.com's buffered limit is 400). A create or rotate asking for a later `expires_at` is
   * refused with `400 Bad request - Expires at must be before YYYY-MM-DD`.
   */
  maxTokenLifetimeDays?: number
  /**
   * GitLab's `require_personal_access_token_expiry` (default true): without it tokens may have
   * no expiry, a create or rotate without `expires_at` makes a token that never expires, and the
   * lifetime limit is not checked.
   */
  requireTokenExpiry?: boolean
  /** How long `last_used_at` stays put after an update, in ms (default 10 minutes, as GitLab). */
  lastUsedGranularityMs?: number
  /** Prefix of new token values (default `glpat-`). */
  tokenPrefix?: string
}

/** A role, by GitLab's level number or its name. */
export type AccessLevel = number | keyof typeof ACCESS_LEVELS

/** An access token as tests see it, value included (it is test-only state). */
export interface TokenView {
  readonly id: number
  readonly name: string
  readonly kind: 'personal' | ResourceKind
  /** Full path of the project or group, for project and group access tokens. */
  readonly resourcePath?: string
  readonly userId: number
  readonly username: string
  /** The secret value (`glpat-...`). */
  readonly token: string
  readonly scopes: readonly string[]
  /** The bot user's role, for project and group access tokens. */
  readonly accessLevel?: number
  readonly expiresAt: string | null
  readonly createdAt: Date
  readonly lastUsedAt: Date | null
  readonly revoked: boolean
  readonly expired: boolean
  /** Neither revoked nor expired. */
  readonly active: boolean
  /** The token it was rotated from. */
  readonly previousId: number | null
  /** The first token of its rotation chain (its own id when never rotated). */
  readonly familyRootId: number
}

/** What seeding a token returns. */
export interface SeededToken {
  readonly id: number
  /** The secret value, to authenticate with. */
  readonly token: string
  readonly userId: number
  readonly username: string
}

/** Token fields a test may set when seeding. */
export interface TokenSeed {
  name: string
  scopes: readonly string[]
  /** `YYYY-MM-DD`; default: the maximum lifetime (or none when expiry is not required). */
  expiresAt?: string | null
  description?: string
  createdAt?: Date
  lastUsedAt?: Date | null
  /** A fixed value instead of a random `glpat-...` one. */
  token?: string
}

/** A variable as seeded; defaults as GitLab's create (`env_var`, `*`, everything false). */
export interface VariableSeed {
  key: string
  value: string
  variableType?: 'env_var' | 'file'
  protected?: boolean
  masked?: boolean
  hidden?: boolean
  raw?: boolean
  environmentScope?: string
  description?: string | null
}

/** A 429 like GitLab's Rack::Attack throttle. */
export interface RateLimitFault {
  /** `Retry-After` in seconds (default 60). */
  retryAfterSeconds?: number
  /** How many requests get it (default 1). */
  times?: number
  /** Only this method (any case). */
  method?: string
  /** Only this pathname (exact) or pathnames matching this expression. */
  path?: string | RegExp
  /** `RateLimit-Limit` (default 600). */
  limit?: number
  /** `RateLimit-Name` (default `throttle_authenticated_api`). */
  name?: string
}

/** Which token a request authenticated with (recorded once the token is found). */
export interface Authentication {
  readonly method: string
  /** Pathname as received (URL-encoded). */
  readonly path: string
  readonly tokenId: number
  readonly tokenName: string
  /** Server clock. */
  readonly at: Date
}

/** A running local GitLab server. */
export interface GitLabServer {
  /** `http://127.0.0.1:<port>` (or `https://`): what a client configures as the GitLab URL. */
  readonly url: string
  /** `url` + `/api/v4`. */
  readonly apiUrl: string
  readonly clock: TestClock
  /** The kernel's fault rules (status, drop before/after, latency, hold). */
  readonly faults: FaultRules
  /** The kernel's request log: every request with what it answered. */
  readonly log: RequestLog
  /** The certificates in use (HTTPS and mTLS), for the client's CA and client certificate. */
  readonly tls: TlsMaterial | undefined
  /** Every authenticated request and the token it used, in order. */
  readonly authentications: ReadonlyArray<Authentication>
  /** How many logged requests match. */
  countRequests(filter?: { method?: string; path?: string | RegExp; status?: number }): number
  /**
   * Answers the next matching requests with GitLab's throttle 429 (plain text `Retry later`,
   * `Retry-After` and the `RateLimit-*` headers, computed on the server clock at answer time).
   */
  rateLimit(fault?: RateLimitFault): FaultHandle
  close(): Promise<void>

  addUser(username: string, options?: { admin?: boolean; name?: string }): { id: number }
  addProject(fullPath: string, options?: { id?: number }): { id: number; fullPath: string }
  addGroup(fullPath: string, options?: { id?: number }): { id: number; fullPath: string }
  addMember(username: string, kind: ResourceKind, fullPath: string, level: AccessLevel): void
  /** A personal access token of an existing user. */
  seedPersonalToken(username: string, seed: TokenSeed): SeededToken
  /** A project or group access token, with its own bot user at `accessLevel` (default 40). */
  seedResourceToken(
    kind: ResourceKind,
    fullPath: string,
    seed: TokenSeed & { accessLevel?: AccessLevel }
  ): SeededToken
  /** Adds a variable through GitLab's rules (throws on what GitLab would refuse). */
  seedVariable(kind: ResourceKind, fullPath: string, seed: VariableSeed): void

  /** Tokens, oldest first, optionally by name, kind or owner. */
  tokens(filter?: { name?: string; kind?: TokenView['kind']; resourcePath?: string }): TokenView[]
  /** The active tokens with this name. */
  activeTokens(name: string): TokenView[]
  tokenById(id: number): TokenView | undefined
  tokenByValue(value: string): TokenView | undefined
  /** The whole rotation chain the token belongs to, oldest first. */
  family(id: number): TokenView[]
  /** Revokes a token out of band (as an administrator in the UI would). */
  revokeToken(id: number): void
  /** Copies of a project's or group's variables, values included (hidden ones too). */
  variables(kind: ResourceKind, fullPath: string): VariableRecord[]
  variable(
    kind: ResourceKind,
    fullPath: string,
    key: string,
    environmentScope?: string
  ): VariableRecord | undefined
}
