import { o as octokitLog, f as fetchWithTimeout, O as Octokit, r as retry, p as paginateRest, d as describeRequest, i as isOneAttempt, a as parseRetryAfter } from './client-j-_39E1L.js';
import { R as RequestError } from './index-Cve9QuTp.js';
import { setTimeout } from 'node:timers/promises';
import './errors-CCnUE5kW.js';
import './schemas-CCjUw_cu.js';

// The retry plugin wraps rateLimits: rate limits (403/429) are waited out here, other failures
// (5xx, dropped connections) retried with backoff there.
const StoreOctokit = Octokit.plugin(rateLimits, retry, paginateRest);
/** Rate-limit retries before a request is given up. */
const RATE_LIMIT_RETRIES = 3;
/** GitHub's advice when a secondary rate limit comes without `retry-after`: wait a minute. */
const SECONDARY_FALLBACK_SECONDS = 60;
/**
 * The client of the store (the refresh token's secret, the record and the lock) and of the alert
 * issue: their requests go one at a time and are never paced, so they skip the throttling
 * plugin's queues, which cost each sequential request 15 to 20 ms. Rate limits are still honored
 * (`retry-after`, `x-ratelimit-reset`, GitHub's one minute for a secondary limit without either),
 * and 5xx answers and dropped connections retried with the same backoff as the targets' client.
 * @see https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
 */
function createStoreClient(options) {
    const { log } = options;
    return new StoreOctokit({
        auth: options.token,
        baseUrl: options.baseUrl,
        userAgent: 'token-rotation-action',
        request: { fetch: fetchWithTimeout(fetch, options.requestTimeoutMs ?? 10_000) },
        rateLimits: {
            retries: RATE_LIMIT_RETRIES,
            maxWaitSeconds: options.maxRateLimitWaitSeconds ?? 300,
            log
        },
        retry: {
            retryAfterBaseValue: options.retryBaseMs ?? 1000,
            doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451]
        },
        log: octokitLog(log)
    });
}
/** Waits out GitHub's rate limits (403 and 429 that say how long), within the request. */
function rateLimits(octokit, options) {
    const settings = options.rateLimits;
    if (!settings)
        return {};
    octokit.hook.wrap('request', async (request, requestOptions) => {
        let waited = 0;
        for (let attempt = 0;; attempt++) {
            try {
                return await request(requestOptions);
            }
            catch (error) {
                const seconds = rateLimitWait(error, Date.now());
                const what = describeRequest(requestOptions);
                const signal = requestOptions.request.signal;
                // A caller that sends once (ONE_ATTEMPT) has its own budget, or must not send again; one
                // whose signal has aborted wants nothing more sent.
                if (seconds === undefined || isOneAttempt(requestOptions) || signal?.aborted === true) {
                    throw error;
                }
                if (attempt >= settings.retries || waited + seconds > settings.maxWaitSeconds) {
                    settings.log.warning(`GitHub rate limit on ${what}: not retrying (asked to wait ${seconds}s, attempt ${attempt + 1}).`);
                    throw error;
                }
                settings.log.info(`GitHub rate limit on ${what}: waiting ${seconds}s as GitHub asks, then retrying.`);
                waited += seconds;
                // An abort ends the wait at once: the request is not sent again.
                await setTimeout(seconds * 1000, undefined, signal ? { signal } : {}).catch((error) => {
                    // The caller's own reason says why, where Node's AbortError would not.
                    throw signal?.aborted === true && signal.reason instanceof Error ? signal.reason : error;
                });
            }
        }
    });
    return {};
}
/** Seconds a 403/429 asks to wait, or undefined when it is no rate limit. */
function rateLimitWait(error, now) {
    if (!(error instanceof RequestError) || (error.status !== 403 && error.status !== 429)) {
        return undefined;
    }
    const headers = error.response?.headers ?? {};
    const after = headers['retry-after'];
    if (after !== undefined)
        return parseRetryAfter(String(after), now);
    const reset = Number(headers['x-ratelimit-reset']);
    if (String(headers['x-ratelimit-remaining']) === '0' && Number.isFinite(reset)) {
        return Math.max(0, Math.ceil(reset - now / 1000));
    }
    if (/\bsecondary rate\b/i.test(error.message))
        return SECONDARY_FALLBACK_SECONDS;
    return undefined;
}

export { createStoreClient };
