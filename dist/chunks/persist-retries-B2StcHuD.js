import { b as backoffMs } from './backoff-CUn3El8i.js';
import { A as ActionError, d as describeError } from './errors-DDD4RsHd.js';
import { f as formatDuration } from './duration-Cyz5SPp-.js';

/** How long a persist may take in all, retries included, when `persist-timeout` does not say. */
const DEFAULT_PERSIST_TIMEOUT_MS = 2 * 60_000;
/** 2, 4, 8, 16 s between attempts, at most a minute. */
const PERSIST_BACKOFF = { firstMs: 2000, longestMs: 60_000 };
/**
 * Writes the new credential, trying again when a failure may heal, within one time budget. The
 * loop spans outages longer than a request's own retries, because a token the issuer has consumed
 * cannot be minted again; the budget bounds it, because a run that waits for ever helps no one and
 * holds the lock. Repeating is safe: every attempt writes the same value (and, where the store has
 * versions, the same version).
 *
 * Only failures marked `retryable` are tried again; a refusal (no permission, no such secret)
 * cannot heal within a run, so it stops at once with its own error and advice.
 * @throws ActionError `persist-failed` naming where the value goes and the budget, when the budget
 *   (or the attempts) ran out
 */
async function persistWithRetries(options) {
    const { write, where, clock, sleep, log } = options;
    const maxAttempts = options.attempts ?? Number.POSITIVE_INFINITY;
    const started = clock.now().getTime();
    const deadline = started + options.timeoutMs;
    for (let attempt = 1;; attempt += 1) {
        try {
            await write();
            if (attempt > 1)
                log.info(`The new credential reached ${where} on attempt ${attempt}.`);
            return;
        }
        catch (error) {
            const healable = error instanceof ActionError && error.retryable;
            if (!healable)
                throw error;
            // The next attempt starts only if it can end (its request timing out) within the budget.
            const left = deadline - clock.now().getTime() - options.attemptMs;
            const waitMs = Math.min(backoffMs(attempt, PERSIST_BACKOFF), left);
            if (attempt >= maxAttempts || waitMs <= 0) {
                const spent = formatDuration(clock.now().getTime() - started);
                const budget = formatDuration(options.timeoutMs);
                const why = attempt >= maxAttempts
                    ? `in ${attempt} ${attempt === 1 ? 'attempt' : 'attempts'}`
                    : `within persist-timeout (${budget}): ${attempt} ${attempt === 1 ? 'attempt' : 'attempts'} in ${spent}`;
                throw new ActionError(`${capitalized(where)} could not be written ${why}; the last failed with: ${error.message}`, { code: 'persist-failed', phase: 'persist', cause: error });
            }
            log.warning(`Writing the new credential to ${where} failed (attempt ${attempt}, ${formatDuration(deadline - clock.now().getTime())} of persist-timeout left); trying again in ${formatDuration(waitMs)}. ${describeError(error)}`);
            await sleep(waitMs);
        }
    }
}
function capitalized(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
}

export { DEFAULT_PERSIST_TIMEOUT_MS as D, persistWithRetries as p };
