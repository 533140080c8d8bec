import { fingerprint } from '../../engine/fingerprint.js'
import type { RotationState } from '../../engine/state.js'
import { ActionError } from '../../errors.js'
import type { SecretDocument } from '../../document/secret-document.js'

/** A version as a run read or wrote it. */
export interface KnownVersion {
  versionId: string
  /** The whole secret value. */
  value: string
  document: SecretDocument
  createdAt?: Date
}

/** The pending mark as read from the secret's tags. */
export interface PendingMark {
  pending: NonNullable<RotationState['pending']>
  /** Fingerprint of the credential the marked one was minted from: consumed by that mint. */
  from?: string
}

/** Which credential is live, and what is half done. */
export interface LiveVersion {
  /** The version whose credential the run mints from. */
  live: KnownVersion
  /** The record's pending entry: the staged version being resumed, or a mark never staged. */
  pending?: NonNullable<RotationState['pending']>
}

/** What {@link resolveLive} decides from. */
export interface VersionsSeen {
  current: KnownVersion
  /** The version this action staged as AWSPENDING, when it is not AWSCURRENT. */
  staged?: KnownVersion
  mark?: PendingMark
  /**
   * Fingerprints of credentials this action has seen consumed: the record's history, which holds
   * what a marked run minted from too.
   */
  consumed: readonly string[]
  /** For messages: `AWS Secrets Manager secret prod/oauth`. */
  description: string
}

/**
 * Decides which credential is live from what the secret holds. A credential this action knows to
 * be consumed (promoted past, or minted from by a marked run) is never live: presenting it again
 * is a reuse that revokes the grant.
 * - AWSCURRENT consumed, and a staged AWSPENDING that is not: resume from the staged one (even
 *   when AWSCURRENT was written again since, e.g. a restore or a drifting apply).
 * - AWSCURRENT consumed, a mark whose credential was never staged: the record says so and the
 *   engine refuses (the token is in the marked run's recovery ciphertext, or lost).
 * - AWSCURRENT consumed and nothing else: refused here.
 * - AWSCURRENT fresh (stored by hand after a recovery or a re-authorization): it is live, and an
 *   older staged version or a mark minted from another credential is superseded.
 * @throws ActionError `stale-input` when AWSCURRENT holds a consumed credential and nothing is live
 */
export function resolveLive(seen: VersionsSeen): LiveVersion {
  const { current, staged, mark } = seen
  const consumed = new Set(seen.consumed)
  const fp = (version: KnownVersion) => fingerprint(version.document.credential)
  const stagedLive =
    staged !== undefined &&
    !consumed.has(fp(staged)) &&
    (mark === undefined || mark.pending.fingerprint === fp(staged))
  const stagedEntry = (version: KnownVersion): NonNullable<RotationState['pending']> =>
    mark?.pending ?? {
      fingerprint: fp(version),
      mintedAt: (version.createdAt ?? new Date(0)).toISOString(),
      run: `an earlier run (version ${version.versionId})`,
      recoverable: false
    }
  if (consumed.has(fp(current))) {
    if (stagedLive) return { live: staged, pending: stagedEntry(staged) }
    if (mark && !consumed.has(mark.pending.fingerprint)) {
      return { live: current, pending: mark.pending }
    }
    throw new ActionError(
      `AWSCURRENT of ${seen.description} holds a refresh token this action has already exchanged (version ${fp(current)}): it was written again after its rotation (a restore, or infrastructure code applying an old value?). Presenting it would revoke the grant, so nothing was sent or written. Store the live refresh token in the secret (the newest one this action staged, or a new one after re-authorizing) and run again.`,
      { code: 'stale-input', phase: 'preflight' }
    )
  }
  // A fresh AWSCURRENT: a staged version still counts when it is newer (its run staged it after
  // AWSCURRENT was written, and the mark, if any, names it).
  const newer =
    staged?.createdAt !== undefined &&
    current.createdAt !== undefined &&
    staged.createdAt >= current.createdAt
  if (stagedLive && newer && mark?.from === undefined) {
    return { live: staged, pending: stagedEntry(staged) }
  }
  return { live: current }
}
