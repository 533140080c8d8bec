import type { RotationPlan } from './plan.js'
import type { RotationState } from './state.js'
import type { RotationWindows } from './ports.js'

/**
 * How close to its expiry a published value is rotated when only the interval is configured
 * (`rotate-before-expiry`, `schedule.before-expiry`, left unset).
 */
export const DEFAULT_BEFORE_EXPIRY_MS = 15 * 60 * 1000

/** When a credential is rotated: the schedule of one credential, as plain data and one port. */
export interface Schedule {
  /** `rotate-if-older-than`, `schedule.every`: the interval between rotations. */
  everyMs?: number
  /**
   * `rotate-before-expiry`, `schedule.before-expiry`: a published value this close to its expiry
   * is due whatever the interval says. {@link DEFAULT_BEFORE_EXPIRY_MS} when only `everyMs` is set.
   */
  beforeExpiryMs?: number
  /** `schedule.windows`: a due rotation runs only inside one of them. */
  windows?: RotationWindows
}

/** The schedule a plan carries: the one mapping the engine and `mode: plan` both read. */
export function scheduleOf(plan: RotationPlan): Schedule {
  return {
    ...(plan.rotateIfOlderThanMs !== undefined ? { everyMs: plan.rotateIfOlderThanMs } : {}),
    ...(plan.rotateBeforeExpiryMs !== undefined
      ? { beforeExpiryMs: plan.rotateBeforeExpiryMs }
      : {}),
    ...(plan.windows ? { windows: plan.windows } : {})
  }
}

/** True when the schedule can hold a rotation back: without one, every run rotates. */
export function hasSchedule(schedule: Schedule): boolean {
  return (
    schedule.everyMs !== undefined ||
    schedule.beforeExpiryMs !== undefined ||
    schedule.windows !== undefined
  )
}

/** When a credential that is not due becomes due, and which rule says so. */
export interface DueTime {
  at: Date
  /** `interval`: the last rotation plus `everyMs`; `expiry`: `beforeExpiryMs` before the expiry. */
  by: 'interval' | 'expiry'
}

/**
 * When a credential is next due for rotation, or undefined when it is due now: no schedule, never
 * rotated, a failed last run (the next run tries again), or a published value that has expired or
 * expires within `beforeExpiryMs` (a green "not due" over a dead secret would be the worst report
 * of all). Due at the earlier of the last rotation plus `everyMs` and the expiry less
 * `beforeExpiryMs`. Windows play no part here: see {@link whenDue}.
 */
export function nextDueAt(
  state: RotationState | undefined,
  schedule: Schedule,
  now: number
): DueTime | undefined {
  const { everyMs } = schedule
  if (everyMs === undefined && schedule.beforeExpiryMs === undefined) return undefined
  const last = state?.rotatedAt
  if (last === undefined) return undefined
  if ((state?.consecutiveFailures ?? 0) > 0) return undefined
  const expires = state?.published?.expiresAt
  const byExpiry =
    expires === undefined
      ? undefined
      : Date.parse(expires) - (schedule.beforeExpiryMs ?? DEFAULT_BEFORE_EXPIRY_MS)
  const byInterval = everyMs === undefined ? undefined : Date.parse(last) + everyMs
  const candidates: { at: number; by: DueTime['by'] }[] = []
  if (byInterval !== undefined) candidates.push({ at: byInterval, by: 'interval' })
  if (byExpiry !== undefined) candidates.push({ at: byExpiry, by: 'expiry' })
  // Before-expiry alone with an issuer that gave no expiry cannot tell: the run rotates, as it
  // would with no schedule, rather than keep a value it knows nothing of.
  const first = candidates.sort((a, b) => a.at - b.at)[0]
  if (first === undefined || first.at <= now) return undefined
  return { at: new Date(first.at), by: first.by }
}

/** Whether a rotation runs now, and if not, why and until when. */
export type DueDecision =
  | { due: true }
  | {
      due: false
      why: 'not-due'
      next: DueTime
      /**
       * When it is rotated: `next.at`, or the first window opening after it; absent when no
       * window opens again.
       */
      rotatesAt?: Date
    }
  | {
      due: false
      why: 'not-in-window'
      /** When the next window opens; absent when none ever does. */
      rotatesAt?: Date
    }

/**
 * The one rule of the engine and of `mode: plan`: is a rotation due now under `schedule`, and may
 * it run (inside an allow window)? A record with a half-finished rotation (a pending version, a
 * minting mark) is finished at once, window or not: until then the user is unsure what the
 * targets hold, the one state a rotation must never leave behind.
 */
export function whenDue(
  state: RotationState | undefined,
  schedule: Schedule,
  now: Date
): DueDecision {
  if (state?.pending !== undefined || state?.minting !== undefined) return { due: true }
  const next = nextDueAt(state, schedule, now.getTime())
  const windows = schedule.windows
  if (next) {
    const check = windows?.check(next.at)
    const rotatesAt = !check || check.open ? next.at : check.opensAt
    return { due: false, why: 'not-due', next, ...(rotatesAt ? { rotatesAt } : {}) }
  }
  const check = windows?.check(now)
  if (check && !check.open) {
    return {
      due: false,
      why: 'not-in-window',
      ...(check.opensAt ? { rotatesAt: check.opensAt } : {})
    }
  }
  return { due: true }
}
