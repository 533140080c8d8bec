/** A published value this close to its expiry is rotated even when the interval is not over. */
const EXPIRY_MARGIN_MS = 15 * 60 * 1000;
/**
 * When a credential is next due for rotation under `everyMs` (`rotate-if-older-than`,
 * `schedule.every`), or undefined when it is due now: no interval, never rotated, a failed last
 * run (the next run tries again), or a published value that has expired or soon will (a green
 * "not due" over a dead secret would be the worst report of all). The one rule of the engine and
 * of `mode: plan`.
 */
function nextDueAt(state, everyMs, now) {
    const last = state?.rotatedAt;
    if (everyMs === undefined || last === undefined)
        return undefined;
    const expires = state?.published?.expiresAt;
    if (expires !== undefined && Date.parse(expires) - EXPIRY_MARGIN_MS <= now)
        return undefined;
    if ((state?.consecutiveFailures ?? 0) > 0)
        return undefined;
    const dueAt = Date.parse(last) + everyMs;
    return dueAt > now ? new Date(dueAt) : undefined;
}

export { nextDueAt as n };
