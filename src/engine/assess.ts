import type { RotationState } from './state.js'

/**
 * What the recorded state says about the refresh token this run received (DESIGN.md, "Write-ahead
 * state"). Pure: the table of the design, one case per row.
 */
export type Assessment =
  /** No record yet: the first rotation. */
  | { kind: 'first' }
  /** The input is the store's current version, nothing half-done. */
  | { kind: 'normal' }
  /** An earlier run persisted the input but stopped before promoting it: promote, then rotate. */
  | { kind: 'resume'; run: string }
  /**
   * An earlier run was exchanging the input when it stopped: the issuer may or may not have
   * consumed it. One attempt is safe (a consumed token is refused, not replayed into a new grant).
   */
  | { kind: 'uncertain'; run: string }
  /**
   * An earlier run with a recovery key stopped while exchanging the input: if the issuer answered,
   * the live token is sealed in that run's log, and one more attempt would revoke it with the grant.
   */
  | { kind: 'interrupted'; run: string }
  /** An earlier run minted a new version that never reached its secret: the input is consumed. */
  | { kind: 'blocked'; run: string; recoverable: boolean; pending: string }
  /**
   * An earlier run with a recovery key stopped while minting, and the input is a token the record
   * does not know (nor the one before): the one recovered from that run's ciphertext.
   */
  | { kind: 'recovered'; run: string }
  /**
   * A run marked that it is minting, and its lease on the lock has not ended: it may still be
   * running (its lock was deleted, or overwritten by a late request), so nothing is touched.
   */
  | { kind: 'busy'; run: string; until: string; doing: 'minting' | 'promoting' }
  /** Neither current nor pending: another run rotated after this job started. */
  | { kind: 'stale'; current?: string; pending?: string }

/**
 * Compares the input's fingerprint with the record.
 * @param now the lock's clock (never later than it), to tell a live minting mark from a stopped
 *   one; without it (no lock), every mark counts as stopped
 */
export function assess(state: RotationState | undefined, input: string, now?: Date): Assessment {
  const live = (lease: { endsBy: string } | undefined): lease is { endsBy: string } =>
    lease !== undefined && now !== undefined && Date.parse(lease.endsBy) > now.getTime()
  if (state?.minting && live(state.minting.lease)) {
    const { run, lease } = state.minting
    return { kind: 'busy', run, until: lease.endsBy, doing: 'minting' }
  }
  // A pending version whose run may still be alive is that run's to promote: resuming it here
  // would promote it under that run and mint from it while that run still goes on.
  if (state?.pending && live(state.pending.lease)) {
    const { run, lease } = state.pending
    return { kind: 'busy', run, until: lease.endsBy, doing: 'promoting' }
  }
  if (state === undefined || (state.current === undefined && state.pending === undefined)) {
    return { kind: 'first' }
  }
  const { current, pending, minting } = state
  if (pending?.fingerprint === input) return { kind: 'resume', run: pending.run }
  if (current?.fingerprint === input) {
    if (pending) {
      return {
        kind: 'blocked',
        run: pending.run,
        recoverable: pending.recoverable,
        pending: pending.fingerprint
      }
    }
    if (minting?.from === input) {
      return minting.recoverable
        ? { kind: 'interrupted', run: minting.run }
        : { kind: 'uncertain', run: minting.run }
    }
    return { kind: 'normal' }
  }
  const consumed = state.previous?.fingerprint === input || (state.history ?? []).includes(input)
  if (minting?.recoverable && !consumed) {
    return { kind: 'recovered', run: minting.run }
  }
  return {
    kind: 'stale',
    ...(current ? { current: current.fingerprint } : {}),
    ...(pending ? { pending: pending.fingerprint } : {})
  }
}
