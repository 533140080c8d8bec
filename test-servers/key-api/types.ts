/**
 * Public types of the local key API server (shaped like Capgo's public API), kept apart from the
 * implementation so tests can import them without pulling in node:http.
 */
import type {
  FaultRules,
  KernelTlsOptions,
  RequestLog,
  TestClock,
  TlsMaterial,
  TlsMode
} from '../kernel/index.js'

/** Capgo's key modes, from least to most: `all` may do everything. */
export type KeyMode = 'read' | 'upload' | 'write' | 'all'

/**
 * Which credential may create, list and delete keys:
 * - `all-mode-key`: a user session, or an API key in mode `all` not limited to orgs or apps (the
 *   rule of Capgo's `POST /apikey` today);
 * - `session-only`: only a user session; every API key is refused (the rule recent Capgo
 *   versions are moving to, as issue 12 describes).
 */
export type KeyCreationPolicy = 'all-mode-key' | 'session-only'

/** Options of {@link startKeyApiServer}. */
export interface KeyApiServerOptions {
  /** The server's clock: `created_at`, key expiry and the `Date` header (default: kernel's). */
  clock?: TestClock
  /** Plain HTTP (default), HTTPS or mTLS, through the kernel. */
  tls?: TlsMode | KernelTlsOptions
  /** Default `all-mode-key`. */
  keyCreation?: KeyCreationPolicy
  /**
   * Status of the refusal when an API key may not create keys (default 400, Capgo's
   * `simpleError`); its body is always `{"error":"cannot_create_apikey",...}`.
   */
  refusalStatus?: number
}

/** A key as tests see it, value included (it is test-only state). */
export interface KeyView {
  readonly id: number
  readonly key: string
  readonly name: string
  readonly mode: KeyMode
  readonly userId: string
  readonly limitedToOrgs: readonly string[]
  readonly limitedToApps: readonly string[]
  readonly expiresAt: string | null
  readonly createdAt: Date
  /** Requests this key authenticated. */
  readonly uses: number
  /** False once deleted (deleted keys stay visible here, never through the API). */
  readonly live: boolean
}

/** What seeding a key needs; defaults: the first user, mode `all`, unlimited, no expiry. */
export interface KeySeed {
  name: string
  mode?: KeyMode
  userId?: string
  limitedToOrgs?: readonly string[]
  limitedToApps?: readonly string[]
  /** ISO timestamp after which the key is refused. */
  expiresAt?: string | null
  /** A fixed value instead of a random UUID. */
  key?: string
}

/** A running key API server. */
export interface KeyApiServer {
  /** `http://127.0.0.1:<port>`: the API base (`POST {url}/apikey`). */
  readonly url: string
  readonly clock: TestClock
  readonly faults: FaultRules
  readonly log: RequestLog
  readonly tls: TlsMaterial | undefined
  close(): Promise<void>

  /** A user (a UUID); the server starts with one, `defaultUserId`. */
  addUser(): string
  readonly defaultUserId: string
  /** A user session token (a JWT-like string, as Capgo's console sends), for that user. */
  addSession(userId?: string): string
  /** Ends a session: its token is refused from then on. */
  endSession(token: string): void
  /** An app visible to `GET /app` for its owner. */
  addApp(appId: string, options?: { name?: string; userId?: string }): void
  seedKey(seed: KeySeed): { id: number; key: string }

  /** Every key ever created, deleted ones included, oldest first. */
  keys(): KeyView[]
  /** Live keys with this name. */
  liveKeys(name?: string): KeyView[]
  keyByValue(value: string): KeyView | undefined
}
