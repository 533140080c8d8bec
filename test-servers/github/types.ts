/**
 * Public types of the local GitHub REST API server. Kept apart from the implementation so that
 * tests and the sandbox can import them without pulling in node:http.
 */

/** How much a token may do in one area. `write` implies `read`, as on GitHub. */
export type Permission = 'read' | 'write'

/** What one token may do. An area left out is not granted at all. */
export interface TokenGrant {
  secrets?: Permission
  variables?: Permission
  issues?: Permission
}

/** Options of {@link startGitHubServer}. */
export interface GitHubServerOptions {
  /**
   * Tokens accepted, with what each may do.
   * Default: `{ 'test-token': { secrets: 'write', variables: 'write', issues: 'write' } }`.
   */
  tokens?: Record<string, TokenGrant>
  /** Added to every response, in ms (default 0). Applied before the request is processed. */
  latencyMs?: number
  /**
   * Content-creating requests (PUT/POST/PATCH/DELETE) allowed per sliding 60 s window across all
   * tokens; beyond it a secondary-rate-limit 403 with `retry-after` (default: unlimited). Only
   * authenticated requests that no fault answered are counted, and a refused one is not.
   */
  writesPerMinute?: number
  /**
   * Counts content-creating requests that arrive less than this many ms after the previous one
   * ({@link GitHubServer.crowdedWrites}); nothing is refused (default: not counted).
   */
  writeSpacingMs?: number
  /**
   * GitHub's clock minus the real one, in ms (default 0): the `Date` header and every `created_at`
   * and `updated_at`. A server 40 minutes behind is what a runner 40 minutes ahead sees.
   */
  clockOffsetMs?: number
}

/** Who may see an organization secret. */
export type SecretVisibility = 'all' | 'private' | 'selected'

/** A repository as the server holds it, returned by {@link GitHubServer.addRepository}. */
export interface RepositoryRecord {
  readonly id: number
  /** Owner login, as given when it was created. */
  readonly owner: string
  readonly name: string
  /** `owner/name`. */
  readonly fullName: string
  readonly private: boolean
}

/** A secret as stored by the server: the plaintext it opened, never the ciphertext. */
export interface StoredSecret {
  /** Upper-cased, as GitHub stores it. */
  name: string
  value: string
  created_at: string
  updated_at: string
  /** Organization secrets only. */
  visibility?: SecretVisibility
  /** Organization secrets with `selected` visibility only. */
  selectedRepositoryIds?: number[]
  /** Successful PUTs of this secret through the API (seeding does not count). */
  writes: number
}

/** A repository Actions variable. */
export interface VariableRecord {
  name: string
  value: string
  created_at: string
  updated_at: string
}

/** An issue, as {@link GitHubServer.getIssues} reports it. */
export interface IssueRecord {
  number: number
  title: string
  body: string | null
  state: 'open' | 'closed'
  labels: string[]
  comments: string[]
}

/** One request as the server saw it. Bodies are never recorded: they may hold secrets. */
export interface RecordedRequest {
  method: string
  /** Pathname as received (still URL-encoded), without the query. */
  path: string
  /** Request target as received, query included. */
  url: string
  /** Status answered; 0 while in flight or when the answer was dropped. */
  status: number
  startedAt: number
  /** 0 while in flight. */
  endedAt: number
  token?: string
  /** Set when a fault destroyed the connection instead of answering. */
  dropped?: 'before' | 'after'
}

/**
 * One injected fault. Without `status`, `body`, `drop` or `secondaryRateLimit` it only adds delay
 * and headers to the normal answer and lets later faults apply too; otherwise it answers instead
 * of the normal handler and stops the search.
 */
export interface Fault {
  /** Default: any method. */
  method?: string
  /** A string is an exact pathname (as received, no query). Default: any path. */
  path?: string | RegExp
  /** How many requests it applies to (default Infinity). */
  times?: number
  /** Let this many matching requests through first (default 0). */
  skip?: number
  /** Respond with this status... */
  status?: number
  /** ...these extra headers (e.g. `'retry-after': '1'`)... */
  headers?: Record<string, string>
  /** ...and this JSON body (default: GitHub-style `{ message, documentation_url }`). */
  body?: unknown
  /** Extra latency for matching requests. */
  delayMs?: number
  /**
   * Holds matching requests at the server, unhandled, until this settles: a request that lands
   * exactly when a test says, whatever the machine's load.
   */
  holdUntil?: Promise<unknown>
  /**
   * Destroy the socket without answering: `before` = the request is never processed; `after` =
   * it is processed (a write really happens) and then the answer is lost.
   */
  drop?: 'before' | 'after'
  /**
   * Shortcut: 403 with GitHub's secondary-rate-limit message and a `retry-after` header (seconds,
   * from `headers` or default `'1'`).
   */
  secondaryRateLimit?: boolean
}

/** A fault once added: remove it, or see how often it applied. */
export interface FaultHandle {
  remove(): void
  /** Requests this fault applied to (skipped ones not counted). */
  readonly hits: number
}

/** Adds and removes faults on a running server. */
export interface FaultInjector {
  /** Add a fault; matched in insertion order against each request before normal handling. */
  add(fault: Fault): FaultHandle
  clear(): void
}

/** A running local GitHub REST API server. */
export interface GitHubServer {
  /** e.g. `http://127.0.0.1:43123` (no trailing slash). */
  readonly url: string
  /** Stops listening and destroys every open socket, including keep-alive ones. */
  close(): Promise<void>
  /**
   * Creates a repository. Its owner is created implicitly, as an organization unless
   * `ownerType: 'User'` is given. Ids auto-increment from 1000 unless given.
   */
  addRepository(
    fullName: string,
    options?: {
      id?: number
      environments?: string[]
      private?: boolean
      ownerType?: 'Organization' | 'User'
    }
  ): RepositoryRecord
  addEnvironment(fullName: string, environment: string): void
  addOrganization(login: string): void
  /**
   * Reads a secret by its API path without the leading slash and without /public-key, e.g.
   * `repos/octo/app/actions/secrets/TOKEN`, `repos/octo/app/environments/prod%20eu/secrets/TOKEN`
   * (environment name URL-encoded exactly once), `orgs/octo/actions/secrets/TOKEN`,
   * `repos/octo/app/dependabot/secrets/TOKEN`, `orgs/octo/dependabot/secrets/TOKEN`. The name is
   * case-insensitive. Returns a copy.
   */
  getSecret(path: string): StoredSecret | undefined
  /** Stores a secret directly, as if written earlier, by the same path as {@link getSecret}. */
  seedSecret(
    path: string,
    value: string,
    extras?: { visibility?: SecretVisibility; selectedRepositoryIds?: number[] }
  ): void
  /**
   * Replaces the key pair of a scope (the path of its secrets collection, e.g.
   * `repos/octo/app/actions/secrets`), so that a `key_id` fetched earlier becomes stale.
   */
  rotatePublicKey(scopePath: string): void
  getVariable(fullName: string, name: string): VariableRecord | undefined
  /** Stores a repository variable directly, as if written at `at` (default: now, server clock). */
  seedVariable(fullName: string, name: string, value: string, at?: Date): void
  /** GitHub's clock minus the real one, in ms; set it to move the server's clock. */
  clockOffsetMs: number
  /** The server's clock now. */
  now(): Date
  /** The issues of a repository, oldest first (empty when the repository is unknown). */
  getIssues(fullName: string): IssueRecord[]
  readonly faults: FaultInjector
  /** Every request, in arrival order. */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Highest number of requests in flight at once seen so far. */
  readonly maxInFlight: number
  /** Writes refused by the `writesPerMinute` limit. */
  readonly refusedWrites: number
  /**
   * Requests that arrived while a `retry-after` (or, with `x-ratelimit-remaining: 0`, an
   * `x-ratelimit-reset`) the server had answered the same token was still running.
   */
  readonly earlyRetries: number
  /** Writes that arrived closer than `writeSpacingMs` after the previous write. */
  readonly crowdedWrites: number
  /** Every plaintext the server has ever opened from a sealed box (for leak checks). */
  readonly openedValues: ReadonlyArray<string>
  /** Every `encrypted_value` the server has received, opened or not (for leak checks). */
  readonly receivedCiphertexts: ReadonlyArray<string>
}
