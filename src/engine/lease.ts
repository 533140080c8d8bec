// What every lock's lease (ports.ts `Lease`) needs, whatever holds the lock: the abort signal of a
// write under it, and the sentence that says it is too short.

/**
 * The signal of `Lease.deadline`: it aborts once no more than `marginMs` of the lease is left
 * (`leftMs` now), saying why a write under it is abandoned.
 * @param lock names the lock: `the lock X_LOCK of o/r`
 */
export function leaseDeadline(lock: string, leftMs: number, marginMs: number): AbortSignal {
  return abortIn(
    leftMs - marginMs,
    `this run's lease on ${lock} has less than ${seconds(marginMs)} left, and a write that lands after it ends could overwrite the marks of a run that takes the lock over`
  )
}

/**
 * A signal that aborts in `ms` (at once when `ms` is not positive), with an error named
 * `AbortError` whose message is `reason`: clients pass such an error on without retrying (Octokit
 * does). Its timer does not keep the process alive. For `Lease.deadline`.
 */
export function abortIn(ms: number, reason: string): AbortSignal {
  const controller = new AbortController()
  const abort = (): void => {
    controller.abort(Object.assign(new Error(reason), { name: 'AbortError' }))
  }
  if (ms <= 0) abort()
  else setTimeout(abort, ms).unref()
  return controller.signal
}

/**
 * Why a lease held by this run is too short for a mint, for the `reason` of a `LeaseCheck`.
 * @param lock names the lock: `the lock X_LOCK of o/r`
 * @param endsAt when the lease ends, as the lock's clock says it (already written out)
 * @param clock whose clock that is: `GitHub's`
 */
export function shortLeaseReason(
  lock: string,
  leftMs: number,
  neededMs: number,
  endsAt: string,
  clock: string
): string {
  return `this run's lease on ${lock} ${leftMs > 0 ? `has only ${seconds(leftMs)} left` : 'is over'} (it ends at ${endsAt} by ${clock} clock), and a mint needs ${seconds(neededMs)}: raise lock-expires-after, or find what made the run this slow`
}

function seconds(ms: number): string {
  return `${String(Math.max(0, Math.round(ms / 1000)))} s`
}
