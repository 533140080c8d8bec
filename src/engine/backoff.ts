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
