import { fingerprint } from './fingerprint.js'
import type { Retirement } from './state.js'

/** A value to revoke now. Holds the value: never log it, only its fingerprint. */
export interface RevocationJob {
  value: string
  fingerprint: string
}

/** What the recorded retirements come to at `now`. */
export interface RetirementPlan {
  /** Due, and this run holds their value. */
  jobs: RevocationJob[]
  /** Still to record: not due yet, or due without their value. */
  left: Retirement[]
  /** Fingerprints of due retirements whose value the run was not given. */
  missing: string[]
  /** Fingerprints of retirements dropped because their value has expired on its own. */
  expired: string[]
}

/**
 * Sorts the recorded retirements: due ones whose value `retiringValue` is are revoked, expired ones
 * are dropped (nothing is left to revoke), the others wait.
 */
export function planRetirements(
  recorded: readonly Retirement[],
  retiringValue: string | undefined,
  now: number
): RetirementPlan {
  const plan: RetirementPlan = { jobs: [], left: [], missing: [], expired: [] }
  const given = retiringValue === undefined ? undefined : fingerprint(retiringValue)
  for (const due of recorded) {
    if (Date.parse(due.dueAt) > now) plan.left.push(due)
    else if (retiringValue !== undefined && given === due.fingerprint) {
      plan.jobs.push({ value: retiringValue, fingerprint: due.fingerprint })
    } else if (due.expiresAt !== undefined && Date.parse(due.expiresAt) <= now) {
      plan.expired.push(due.fingerprint)
    } else {
      plan.left.push(due)
      plan.missing.push(due.fingerprint)
    }
  }
  return plan
}
