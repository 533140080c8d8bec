import { fingerprint } from './fingerprint.js'
import type { LastUse, Retired } from './ports.js'
import type { Retirement } from './state.js'

/** What the recorded retirements come to at `now`. */
export interface RetirementPlan {
  /** Due, and this run can revoke them. A job by value holds the value: never log it. */
  jobs: Retired[]
  /** Still to record: not due yet, or due without their value. */
  left: Retirement[]
  /** Fingerprints of due retirements whose value the run was not given. */
  missing: string[]
  /** Fingerprints of retirements dropped because their value has expired on its own. */
  expired: string[]
  /**
   * Fingerprints of due retirements dropped because the issuer revokes by handle and none was
   * recorded for them (a record written before handles were): nothing can ever revoke them.
   */
  nameless: string[]
}

/** How the run can revoke: what the issuer takes, and the value the workflow kept, if any. */
export interface RevocationMeans {
  revokes: 'value' | 'handle'
  /** The replaced value kept for its deferred revocation (`retiring-value`). */
  retiringValue: string | undefined
}

/**
 * Sorts the recorded retirements: due ones that the run can revoke (by their recorded handle, or
 * because `retiringValue` is their value) are revoked, expired ones are dropped (nothing is left
 * to revoke), the others wait.
 */
export function planRetirements(
  recorded: readonly Retirement[],
  means: RevocationMeans,
  now: number
): RetirementPlan {
  const plan: RetirementPlan = { jobs: [], left: [], missing: [], expired: [], nameless: [] }
  const { revokes, retiringValue } = means
  const given = retiringValue === undefined ? undefined : fingerprint(retiringValue)
  for (const due of recorded) {
    if (Date.parse(due.dueAt) > now) plan.left.push(due)
    else if (revokes === 'handle' && due.handle !== undefined) {
      plan.jobs.push({ by: 'handle', handle: due.handle, fingerprint: due.fingerprint })
    } else if (revokes === 'value' && retiringValue !== undefined && given === due.fingerprint) {
      plan.jobs.push({ by: 'value', value: retiringValue, fingerprint: due.fingerprint })
    } else if (due.expiresAt !== undefined && Date.parse(due.expiresAt) <= now) {
      plan.expired.push(due.fingerprint)
    } else if (revokes === 'handle') {
      plan.nameless.push(due.fingerprint)
    } else {
      plan.left.push(due)
      plan.missing.push(due.fingerprint)
    }
  }
  return plan
}

/** What a version's last use says of its revocation (`retire.when-unused-for`). */
export type UseVerdict =
  /** Unused long enough (or never used, or gone): revoke it. */
  | { revoke: true }
  /**
   * Used too recently: wait. `quietAt` is when it will have gone unused long enough, on the
   * issuer's clock; `overdue` is true once it is still in use when the grace period plus the
   * quiet time are over (something still holds the old value).
   */
  | { revoke: false; lastUsedAt: Date; quietAt: Date; overdue: boolean }

/**
 * Judges a due revocation by the version's last use, on the issuer's clock alone (`use.now`):
 * runners' clocks disagree with it, and a few minutes of skew would decide too early.
 * @param dueAt when the grace period ended, on the engine's clock
 * @param now the engine's clock now
 */
export function judgeUse(
  use: LastUse,
  unusedForMs: number,
  dueAt: number,
  now: number
): UseVerdict {
  const last = use.lastUsedAt
  if (last === undefined) return { revoke: true }
  const quietAt = last.getTime() + unusedForMs
  if (quietAt <= use.now.getTime()) return { revoke: true }
  return {
    revoke: false,
    lastUsedAt: last,
    quietAt: new Date(quietAt),
    overdue: now >= dueAt + unusedForMs
  }
}
