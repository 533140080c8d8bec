import type { RotationWindows } from './ports.js'

/** What the run is asked to do. */
export type Mode = 'rotate' | 'verify' | 'retire' | 'rollback'

/** The engine's orders for one run, from the validated configuration. Holds secrets: never log it. */
export interface RotationPlan {
  mode: Mode
  dryRun: boolean
  /** Names this run in the lock and the record: `run 123 attempt 1`. */
  runId: string
  /** The credential the issuer exchanges (the refresh token); '' for an issuer that needs none. */
  input: string
  /** The value the targets hold now: restored after a failed check, probed by mode `verify`. */
  previousValue?: string
  /** A replaced value kept for a deferred revocation (`retiring-value`). */
  retiringValue?: string
  /** Skip a rotation whose last one is more recent than this. */
  rotateIfOlderThanMs?: number
  /** Rotate when the published value expires within this (default 15m with an interval). */
  rotateBeforeExpiryMs?: number
  /** A rotation that is due runs only inside one of these windows. */
  windows?: RotationWindows
  /** Revoke the replaced value once `gracePeriodMs` is over. */
  revokePrevious: boolean
  gracePeriodMs: number
  /**
   * A due revocation by handle waits until the issuer reports the version unused for this long
   * (`retire.when-unused-for`); absent, it is revoked when due.
   */
  retireWhenUnusedForMs?: number
  lockTtlMs: number
}
