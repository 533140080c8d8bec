import type { ActionError } from '../errors.js'
import type { TargetResult } from './ports.js'

/** The steps of a rotation, as the report names them (DESIGN.md, "The rotation, step by step"). */
export type StepName =
  'preflight' | 'mint' | 'persist' | 'publish' | 'verify' | 'rollback' | 'promote' | 'retire'

export type StepOutcome = 'ok' | 'failed' | 'skipped' | 'planned'

/** One step of the run: a row of the job summary and an audit record. */
export interface StepRecord {
  step: StepName
  outcome: StepOutcome
  /** What happened, in a few words; never a value. */
  detail: string
  startedAt: string
  durationMs: number
}

/** How the run ended, for the outputs and the summary's headline. */
export type RunStatus =
  | 'rotated'
  | 'published'
  | 'not-due'
  | 'not-in-window'
  | 'verified'
  | 'retired'
  | 'rolled-back'
  | 'planned'
  | 'failed'

/** Everything a run did, for the report. Never holds a value. */
export interface RunOutcome {
  status: RunStatus
  /** True when a new version was minted and published this run. */
  rotated: boolean
  /** Fingerprint of the value now on the targets, when this run published one. */
  version?: string
  /** When the published value expires, if the issuer said. */
  expiresAt?: Date
  /** The new credential sealed to the recovery key (safe to print), when one was minted. */
  recoveryCiphertext?: string
  steps: StepRecord[]
  targets: TargetResult[]
  /** Targets put back to `previous-value` after a failed health check. */
  restored: TargetResult[]
  /** The first failure; the run failed when set, even if later steps succeeded. */
  error?: ActionError
  /** What the user should know beyond the error: partial failures, due retirements left. */
  warnings: string[]
  /**
   * A replaced value whose due revocation this run left because it is still in use, and how many
   * runs in a row have: alerts treat it as a failure once `deferrals` reaches their threshold.
   * The one deferred most often, when several were.
   */
  inUse?: { deferrals: number; message: string }
  /**
   * This run revoked a replaced value that earlier runs had left because it was still in use, so
   * many runs in a row: an alert they raised can be closed.
   */
  inUseEnded?: number
  /** Failed runs in a row, this one included, when the run was counted in the record. */
  consecutiveFailures?: number
  /**
   * Failed runs in a row before this one, when the record names an earlier run (0: the last run
   * succeeded). Absent for a first run, or a record that was deleted to start afresh.
   */
  previousFailures?: number
  /**
   * When the credential is next rotated under its schedule (the interval, the expiry less
   * before-expiry, then the first allow window from there); absent without a schedule, or when it
   * is due at the next run.
   */
  nextDueAt?: Date
  /** The runs the record keeps, this one included, and how many of them failed. */
  recentRuns?: RecentRuns
}

/** The runs a record keeps, counted: what the success rate is computed over. */
export interface RecentRuns {
  kept: number
  failed: number
}

/** One line of the JSON-lines audit file: lifecycle events only, never a value. */
export interface AuditEvent {
  event: 'run-started' | 'step' | 'target' | 'run-finished'
  [field: string]: string | number | boolean | undefined
}

/** Where audit events go (a JSON-lines file in the action). Must not throw. */
export interface Audit {
  record(event: AuditEvent): void
}
