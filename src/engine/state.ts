import { z } from 'zod'

/**
 * The write-ahead record of a rotation (DESIGN.md, "Write-ahead state"). It holds fingerprints and
 * times, never a value: it lives in a repository variable that anyone with read access can see.
 */

const HISTORY_KEPT_MAX = 50
const HANDLE_LENGTH_MAX = 512
const UNRETIRED_KEPT_MAX = 50
const fingerprint = z.string().regex(/^[0-9a-f]{16}$/)
const time = z.iso.datetime()

const version = z.object({ fingerprint, since: time })

/**
 * A version's public name where it was issued (`Minted.handle`): a lease, token or key id,
 * never a value. What an issuer that revokes by handle gets back.
 */
const handle = z.string().min(1).max(HANDLE_LENGTH_MAX)

/**
 * A published value known by its handle that may still be live: minted and not (yet) promoted, or
 * replaced while a target may still hold it. Revocable by handle, long after its value is gone.
 */
const handled = z.object({
  /** Fingerprint of the value. */
  fingerprint,
  handle,
  /** When the value expires on its own: past that, there is nothing left to revoke. */
  expiresAt: time.optional()
})

/** A value that is due to be retired (revoked) once its grace period is over. */
const retirement = z.object({
  /** Fingerprint of the published value to revoke (the old access token). */
  fingerprint,
  dueAt: time,
  /** When the value expires on its own: past that, there is nothing left to revoke. */
  expiresAt: time.optional(),
  /** Its handle, when it has one: an issuer that revokes by handle needs nothing else. */
  handle: handle.optional()
})

/**
 * One run of the record. A store that keeps only the newest run in full (AWS tags, 256 characters
 * each) keeps the others as their outcome alone: `ok` or `failed`.
 */
const runRecord = z.object({
  id: z.string().optional(),
  at: time.optional(),
  mode: z.string().optional(),
  /** The run's status (`rotated`, `not-due`, ...) or `failed: <code>`. */
  outcome: z.string()
})

export const rotationStateSchema = z.object({
  schema: z.literal(1),
  /** The store's live credential (the refresh token in its secret). */
  current: version.optional(),
  /** The credential `current` replaced. */
  previous: version.optional(),
  /** A run is exchanging `current`: it may or may not be consumed. */
  minting: z
    .object({
      from: fingerprint,
      startedAt: time,
      run: z.string(),
      /** The run had a recovery key: a token it received is in its log, sealed. */
      recoverable: z.boolean().optional(),
      /**
       * The lock the run minted under, and the latest its lease can end (the lock's clock, not the
       * runner's): until then the run may still be minting, and the mark is not taken for stopped.
       */
      lease: z.object({ holder: z.string(), endsBy: time }).optional()
    })
    .optional(),
  /** A minted credential that is being persisted or was persisted but not yet promoted. */
  pending: z
    .object({
      fingerprint,
      mintedAt: time,
      run: z.string(),
      /** The run logged a recovery ciphertext of it. */
      recoverable: z.boolean(),
      /**
       * As for `minting`: until then the run that minted it may still be publishing and checking
       * it, and will promote it itself; it is cut short when that run ends.
       */
      lease: z.object({ holder: z.string(), endsBy: time }).optional(),
      /**
       * The value minted along with it, when the issuer gave it a handle: a run that resumes this
       * version still knows how to revoke that value once it is replaced.
       */
      minted: handled.optional(),
      /** The handle the minted version replaces (`Minted.replaces`), for a run that resumes it. */
      replaces: handle.optional()
    })
    .optional(),
  /** Fingerprints of earlier versions, newest first: a token among them is consumed. */
  history: z.array(fingerprint).max(HISTORY_KEPT_MAX).optional(),
  /** The published value (access token) now on the targets. */
  published: z
    .object({ fingerprint, at: time, expiresAt: time.optional(), handle: handle.optional() })
    .optional(),
  /**
   * Values known by handle, besides `published`, that may still be live: minted by a run that
   * stopped or failed before promoting them, or replaced while a target may still hold them. The
   * next promotion whose every target took the new value retires them (revoke-previous) or lets
   * them go. Newest first.
   */
  unretired: z.array(handled).max(UNRETIRED_KEPT_MAX).optional(),
  rotatedAt: time.optional(),
  consecutiveFailures: z.number().int().min(0),
  retirements: z.array(retirement),
  /** The last runs, newest first. */
  runs: z.array(runRecord)
})

export type RotationState = z.infer<typeof rotationStateSchema>
export type Retirement = z.infer<typeof retirement>
export type RunRecord = z.infer<typeof runRecord>
export type Handled = z.infer<typeof handled>

/** How many runs the record keeps. */
export const RUNS_KEPT = 10

/** How many earlier versions the record remembers. */
export const HISTORY_KEPT = 20

/** How many unretired values the record keeps (a run of failures leaves one each). */
export const UNRETIRED_KEPT = 20

/** Makes `next` the current version, the current one previous, and remembers it as consumed. */
export function replaceCurrent(state: RotationState, next: string, since: string): void {
  if (state.current?.fingerprint === next) return
  if (state.current) {
    state.previous = state.current
    state.history = [state.current.fingerprint, ...(state.history ?? [])].slice(0, HISTORY_KEPT)
  }
  state.current = { fingerprint: next, since }
}

/** The state before the first rotation. */
export function emptyState(): RotationState {
  return { schema: 1, consecutiveFailures: 0, retirements: [], runs: [] }
}

/** Whether a run of the record failed: `failed: <code>` in full, `failed` kept compact. */
export function runFailed(run: Pick<RunRecord, 'outcome'>): boolean {
  return run.outcome === 'failed' || run.outcome.startsWith('failed:')
}
