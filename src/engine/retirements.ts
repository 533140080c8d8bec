import { fingerprint } from './fingerprint.js'
import type { Retired } from './ports.js'
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
