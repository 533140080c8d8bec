/** The wait after failed attempt `attempt` (from 1): doubling from `firstMs`, at most `longestMs`. */
function backoffMs(attempt, backoff) {
    return Math.min(backoff.firstMs * 2 ** (attempt - 1), backoff.longestMs);
}
/**
 * Calls `look` until it answers a value, waiting with backoff between calls; stops when the next
 * wait would pass the deadline. `look` throws to stop at once.
 * @param look answers undefined while the thing looked at is not there yet
 */
async function pollWithBackoff(look, options) {
    const { clock, sleep } = options;
    const deadline = clock.now().getTime() + options.timeoutMs;
    for (let attempt = 1;; attempt += 1) {
        const value = await look(attempt);
        if (value !== undefined)
            return { done: true, value, attempts: attempt };
        const waitMs = backoffMs(attempt, options.backoff);
        if (clock.now().getTime() + waitMs > deadline)
            return { done: false, attempts: attempt };
        await sleep(waitMs);
    }
}

export { backoffMs as b, pollWithBackoff as p };
