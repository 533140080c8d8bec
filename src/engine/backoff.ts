import type { Clock, Sleep } from './ports.js'

/** How often and how long a loop waits between its attempts. */
export interface Backoff {
  /** The wait after the first failed attempt. */
  firstMs: number
  /** The longest wait. */
  longestMs: number
}

/** The wait after failed attempt `attempt` (from 1): doubling from `firstMs`, at most `longestMs`. */
export function backoffMs(attempt: number, backoff: Backoff): number {
  return Math.min(backoff.firstMs * 2 ** (attempt - 1), backoff.longestMs)
}

/** What {@link pollWithBackoff} needs. */
export interface PollOptions {
  backoff: Backoff
  /** How long the polling may take in all. */
  timeoutMs: number
  clock: Clock
  sleep: Sleep
}

/** How a poll ended: with what `look` found, or at the deadline. */
export type PollResult<T> =
  { done: true; value: T; attempts: number } | { done: false; attempts: number }

/**
 * Calls `look` until it answers a value, waiting with backoff between calls; stops when the next
 * wait would pass the deadline. `look` throws to stop at once.
 * @param look answers undefined while the thing looked at is not there yet
 */
export async function pollWithBackoff<T>(
  look: (attempt: number) => Promise<T | undefined>,
  options: PollOptions
): Promise<PollResult<T>> {
  const { clock, sleep } = options
  const deadline = clock.now().getTime() + options.timeoutMs
  for (let attempt = 1; ; attempt += 1) {
    const value = await look(attempt)
    if (value !== undefined) return { done: true, value, attempts: attempt }
    const waitMs = backoffMs(attempt, options.backoff)
    if (clock.now().getTime() + waitMs > deadline) return { done: false, attempts: attempt }
    await sleep(waitMs)
  }
}
