import type { RotationState } from './state.js'

/** The time source: the engine never reads the system clock itself, so tests can move time. */
export interface Clock {
  now(): Date
}

/** Waits; the only way the engine waits, so tests never do. */
export type Sleep = (ms: number) => Promise<void>

/**
 * What an issuer minted. `value` is published to the targets (an OAuth2 access token); `next` is
 * what must survive the run to mint again (the new refresh token). Both are secrets: the issuer
 * masks them before returning. `handle` is not: it names the version where it was issued.
 */
export interface Minted {
  value: string
  /** The credential to persist in the store. Equal to the input when the issuer did not rotate it. */
  next: string
  /** True when the issuer replaced the credential it was given (a rotating refresh token). */
  rotated: boolean
  /** When `value` stops working, if the issuer said. */
  expiresAt?: Date
  /** The value `value` replaced, when the issuer keeps it (AWS's AWSPREVIOUS): for a rollback. */
  previous?: string
  /**
   * Where the issuer stored the new version itself, for the report (`version V of secret S,
   * AWSCURRENT`): nothing is left to persist or promote.
   */
  storedAs?: string
  /**
   * The public name of `value` where it was issued: a Vault lease id, a GitLab token id, the key id
   * of a create-and-revoke API. The record keeps it (it is safe to record and to print), and a
   * revocation by an issuer that {@link Issuer.revokes | revokes by handle} gets it back instead of
   * the value, so no copy of the value has to outlive the run. Never the value itself, nor any part
   * of it.
   */
  handle?: string
  /**
   * The handle of the version `value` replaces, when the issuer knows it (the id of the token it
   * copied): the record takes it as the published version's handle when it has none (a version
   * made by hand, before any rotation), so that version is revoked by handle like any other once
   * replaced. Ignored when the record already names the published version's handle. Public, never
   * a value.
   */
  replaces?: string
}

/**
 * A retired version as {@link Issuer.revoke} gets it back: by its value, or by the handle it was
 * minted with ({@link Minted.handle}), as {@link Issuer.revokes} asks. `fingerprint` names it in
 * messages.
 */
export type Retired =
  /** For an issuer that revokes by value (RFC 7009). `value` is a secret. */
  | { readonly by: 'value'; readonly value: string; readonly fingerprint: string }
  /** For an issuer that revokes by handle. Nothing secret. */
  | { readonly by: 'handle'; readonly handle: string; readonly fingerprint: string }

/** What the engine tells a mint of the version it replaces. Nothing secret. */
export interface MintContext {
  /**
   * The {@link Minted.handle} of the published value the new one replaces, when the record has
   * one (a key API's create may name the key it replaces).
   */
  readonly replacing?: string
}

/**
 * Where a credential is issued: an OAuth2 server, AWS, Vault, GitLab, a command.
 * Errors are {@link ActionError}s with phase `mint` or `retire`; `retryable` is true only when the
 * request provably never reached the issuer (a replay could be a reuse that revokes the grant).
 */
export interface Issuer {
  /** For the plan and the report: `oauth2`, `none`, ... */
  readonly kind: string
  /** For an issuer that reads its value instead of minting one: where from, for the report. */
  readonly source?: string
  /**
   * True for a value given as it is (a plain publication): nothing is minted, read or persisted,
   * so the run reports a publication, without mint, persist or promote steps.
   */
  readonly given?: boolean
  /**
   * The longest one `mint` can take, retries included: the lock must have this much left before a
   * mint starts, so that no other run can take the lock while the request may still be in flight.
   */
  readonly mintTimeoutMs?: number
  /** Exchanges `current` (the refresh token; '' for an issuer that needs none) for a new version. */
  mint(current: string, context?: MintContext): Promise<Minted>
  /**
   * The value the issuer holds as current now, without changing anything (AWS: AWSCURRENT), for
   * mode `verify` when no `previous-value` is given. Absent when the issuer cannot tell (OAuth2).
   */
  current?(): Promise<string>
  /**
   * What {@link revoke} needs to revoke a retired version (default `value`): the value itself
   * (RFC 7009 for OAuth2), which a deferred revocation can only have if the workflow kept it (the
   * retiring secret), or the {@link Minted.handle} the record kept (a lease, token or key id).
   */
  readonly revokes?: 'value' | 'handle'
  /**
   * Revokes a retired version, given as {@link revokes} says. Idempotent: a version already gone
   * counts as revoked. Absent when the issuer cannot revoke.
   */
  revoke?(retired: Retired): Promise<void>
  /**
   * When a version was last used, as the issuer saw it, by its handle ({@link Minted.handle}): a
   * retirement waits while it is still in use (`retire.when-unused-for`). Absent when the issuer
   * cannot tell; then that rule is refused by the configuration.
   */
  lastUsed?(handle: string): Promise<LastUse>
  /**
   * Makes the replaced version the issuer's current one again, after `minted` failed its check
   * (AWS: AWSCURRENT back to AWSPREVIOUS). Absent when the issuer has nothing to move back.
   */
  undo?(minted: Minted): Promise<void>
}

/**
 * What an issuer knows of a version's last use. Both times are on the issuer's clock (runners'
 * clocks disagree with it): `now` is when it answered.
 */
export interface LastUse {
  /** Absent when the version was never used, or can no longer be (gone, revoked, expired). */
  lastUsedAt?: Date
  now: Date
}

/**
 * The one-writer lock of a store, held until released or until its lease ends. Times are on the
 * lock's clock (GitHub's for a variable lock), never the runner's: runners' clocks disagree.
 */
export interface Lease {
  /** Names this holding (run and lock generation), for the minting mark and messages. */
  readonly holder: string
  /**
   * The latest moment this lease can end, on the lock's clock: a minting mark records it, and no
   * other run takes the mark's run for stopped before it.
   */
  endsBy(): Date
  /** The lock's clock now, never later than it: what another run's `endsBy` is compared with. */
  now(): Date
  /**
   * Time this lease surely has left, without a request (from what the lock last said); zero or
   * less once another run may have taken the lock over.
   */
  leftMs(): number
  /**
   * Reads the lock again: does this run still hold it, with at least `neededMs` of its lease left?
   * Rejects only when the lock cannot be read.
   */
  confirm(neededMs: number): Promise<LeaseCheck>
  /**
   * Aborts once no more than `marginMs` of this lease is surely left (at once if that is already
   * so), with a reason that says so. A write under the lock carries it: once the write could land
   * after another run took the lock over, its retries and its request in flight are abandoned.
   */
  deadline(marginMs: number): AbortSignal
  /** Gives the lock up, if it is still this run's and no successor can be holding it. */
  release(): Promise<void>
}

/**
 * The one-writer lock of a credential: at most one run holds it, so at most one run mints from
 * the credential (DESIGN.md, "one writer"). It lives where the run can make a compare-and-swap
 * (a GitHub repository variable today), which need not be where the credential is stored.
 */
export interface Lock {
  /** Where the lock lives, for messages: `variable OAUTH_REFRESH_TOKEN_STATE_LOCK of o/r`. */
  readonly description: string
  /**
   * Takes the lock, failing with code `locked` when another live run holds it.
   * @param owner names this run in the lock, for the message another run gets
   */
  acquire(owner: string, ttlMs: number): Promise<Lease>
}

/** What {@link Lease.confirm} found. */
export type LeaseCheck =
  | { held: true; endsAt: Date; leftMs: number }
  /**
   * Not enough: `owned` says whether the lock is still this run's (only short of time); `reason`
   * says what happened, in a sentence.
   */
  | { held: false; owned: boolean; reason: string }

/** How a write of the store may be cut short. */
export interface WriteOptions {
  /**
   * Aborts the write: no further attempt is sent and the request in flight is abandoned. Given
   * while the run holds the lock ({@link Lease.deadline}).
   */
  signal?: AbortSignal
}

/**
 * Where the credential that must survive lives (the refresh token), and the run's write-ahead
 * record. The GitHub store keeps the value in a repository secret and the record in a variable.
 */
export interface Store {
  readonly kind: string
  /** Where the value lives, for messages: `secret OAUTH_REFRESH_TOKEN of owner/repo`. */
  readonly description: string
  /**
   * How to make the next run start afresh from whatever the store holds (after a re-authorization),
   * for messages: `delete the variable X (gh variable delete X --repo o/r)`.
   */
  readonly resetHint: string
  /** The recorded state; undefined before the first rotation. */
  readState(): Promise<RotationState | undefined>
  /** Replaces the recorded state. Never holds a value, only fingerprints and times. */
  writeState(state: RotationState, options?: WriteOptions): Promise<void>
  /** Checks the write path without changing anything: e.g. re-seals `current` to its own secret. */
  check(current: string): Promise<void>
  /** Writes `value` as the store's live credential. Idempotent: safe to repeat. */
  persist(value: string): Promise<void>
  /** The longest {@link persist} takes, its retries included (`persist-timeout`). */
  readonly persistTimeoutMs: number
  /**
   * The live credential, for a store that holds it where the run can read it (AWS Secrets
   * Manager): the run mints from it, and the `refresh-token` input is not used. Absent for the
   * GitHub store, whose secret only the workflow can read.
   */
  read?(): Promise<string>
  /**
   * Reads the previous version for mode `rollback`; `commit` makes it current again
   * (compare-and-swap). Nothing moves before `commit`, so the run can check the value first.
   * Absent for a store without versions.
   */
  revert?(): Promise<{ value: string; commit(): Promise<void> }>
}

/** What happened to one target. */
export type TargetStatus = 'created' | 'updated' | 'failed' | 'planned'

/**
 * One target's outcome: an entry of the `result` output and a row of the job summary. Neutral
 * across providers: each fills `scope` and `type` with its own words (GitHub: `repository`,
 * `actions`).
 */
export interface TargetResult {
  /** Where the target lives: `repository`, `environment`, `organization`, ... */
  scope: string
  /** What kind of secret or variable it is: `actions`, `dependabot`, ... */
  type: string
  /** `owner/repo`, `owner/repo (environment)` or the organization. */
  target: string
  name: string
  status: TargetStatus
  /** Why it failed; safe to print, never holds a value. */
  error?: string
  /** For a plan: what a real run would do. */
  detail?: string
}

/** Where the published value goes: every GitHub secret target of the configuration. */
export interface Targets {
  /** Checks every target is writable; one `planned` or `failed` result per target. */
  preflight(): Promise<TargetResult[]>
  /** Writes `value` to every target; one result per target. */
  publish(value: string): Promise<TargetResult[]>
}

/** The outcome of one health check, attempts included. Never holds the value. */
export interface HealthResult {
  ok: boolean
  attempts: number
  /**
   * What the last attempt saw: `HTTP 200`, `HTTP 401`, `connection refused`; for a command
   * `exit 0`, `exit 3`, `killed after 10s`, `not found`.
   */
  detail: string
}

/**
 * Proves a value works (an HTTP probe with it, or a command with it in its environment),
 * retrying for propagation delay.
 */
export interface HealthCheck {
  /** What is checked, for the plan: `GET https://api.example.com/user`, `command ./check.sh`. */
  readonly description: string
  /**
   * True when the check takes a JSON document whole (a command gets each field in its own
   * environment variable); otherwise it is given one field, or a plain value, and a document
   * needs its field named.
   */
  readonly takesDocument?: boolean
  check(value: string): Promise<HealthResult>
}

/**
 * The allow windows of a credential (`schedule.windows`): when a rotation that is due may run. A
 * port, so the engine knows nothing of cron: the action builds it from the configuration, and
 * tests give a fixed one.
 */
export interface RotationWindows {
  /** For messages: `0 2 * * 1-5 for 3h`. */
  readonly description: string
  /** Whether `at` falls within a window; if not, when the next one opens. */
  check(at: Date): WindowCheck
}

/** What {@link RotationWindows.check} found. */
export type WindowCheck =
  /** Inside `window` (its description), which opened at `openedAt`. */
  | { open: true; window: string; openedAt: Date }
  /** Outside every window; `opensAt` is absent when no window ever opens again. */
  | { open: false; opensAt?: Date }
