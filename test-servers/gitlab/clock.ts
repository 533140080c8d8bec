/**
 * The servers' sense of time. Every timestamp a server writes, every expiry it checks and its
 * `Date` header come from one clock that tests move by hand, so no test waits on wall time.
 */

/** Anything that tells the time. */
export interface Clock {
  now(): Date
}

/**
 * A clock that stands still until it is moved. Starts at the given instant (default: the real
 * time when it was made), so timestamps look plausible but never drift between two assertions.
 */
export class ManualClock implements Clock {
  #ms: number

  constructor(start: Date | number = Date.now()) {
    this.#ms = typeof start === 'number' ? start : start.getTime()
  }

  now(): Date {
    return new Date(this.#ms)
  }

  /** Moves the clock forward by `ms` (a negative value moves it back). */
  advance(ms: number): void {
    if (!Number.isFinite(ms)) throw new Error(`cannot advance the clock by ${String(ms)} ms`)
    this.#ms += ms
  }

  /** Sets the clock to an instant. */
  set(instant: Date | number): void {
    this.#ms = typeof instant === 'number' ? instant : instant.getTime()
  }
}

/** `YYYY-MM-DD` of an instant, in UTC: how GitLab writes and compares token expiry dates. */
export function utcDate(instant: Date): string {
  return instant.toISOString().slice(0, 10)
}

/** The UTC date `days` after the date of `instant`. */
export function addDays(instant: Date, days: number): string {
  const shifted = new Date(instant.getTime())
  shifted.setUTCDate(shifted.getUTCDate() + days)
  return utcDate(shifted)
}
