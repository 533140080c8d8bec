import { createHmac } from 'node:crypto';
import { b as backoffMs } from './backoff-CUn3El8i.js';
import { d as describeProbeFailure } from './probe-Cnn4D1pO.js';
import './health-config-BEeKN_v2.js';
import './loopback-CdUp0z11.js';
import './duration-Cyz5SPp-.js';
import './inputs-Ck9cEsRc.js';
import './lists-D2x1VrPX.js';

/** The header that carries `sha256=<hex HMAC-SHA256 of the body>` when a secret is set. */
const SIGNATURE_HEADER = 'X-Token-Rotation-Signature-256';
const ATTEMPTS = 3;
const BACKOFF = { firstMs: 1000, longestMs: 4000 };
/** A longer Retry-After is not waited out: an alert must not hold the run for minutes. */
const MAX_RETRY_AFTER_SECONDS = 60;
const DEFAULT_TIMEOUT_MS = 10_000;
const TITLE = 'Webhook alert';
/**
 * Whether this run sends an alert, and which: each failure from the `threshold`-th in a row on
 * (as the alert issue comments on each), and the one success that ends such a streak. A success
 * after an unknown past sends nothing: unlike the issue, there is nothing to look up.
 */
function webhookDue(alert) {
    if (alert.threshold < 1)
        return undefined;
    if (alert.failed)
        return alert.failures >= alert.threshold ? 'failed' : undefined;
    return (alert.previousFailures ?? 0) >= alert.threshold ? 'recovered' : undefined;
}
/** The body of a due alert, every text redacted. */
function webhookPayload(alert, event, redact) {
    const failures = event === 'failed' ? alert.failures : (alert.previousFailures ?? 0);
    const reason = alert.failed && alert.reason ? oneLine(redact(alert.reason)) : undefined;
    const credential = oneLine(redact(alert.credential));
    const runUrl = alert.runUrl ? redact(alert.runUrl) : null;
    const sentence = event === 'failed'
        ? `Token rotation of ${credential} failed ${plural(failures, 'time')} in a row: ${reason?.replace(/[.\s]+$/, '') ?? 'see the run'}.`
        : `Token rotation of ${credential} recovered after ${plural(failures, 'failed run')}.`;
    return {
        text: slackEscape(runUrl === null ? sentence : `${sentence} Run: ${runUrl}`),
        credential,
        status: event,
        ...(reason !== undefined ? { error: reason } : {}),
        consecutive_failures: failures,
        run_url: runUrl
    };
}
/**
 * POSTs the alert when {@link webhookDue} says so. Never throws and never fails the run: a failure
 * is a warning saying what happened. Redirects are not followed, so the body and its signature
 * reach no other host; 5xx, 429, timeouts and network errors are tried three times.
 */
async function sendWebhookAlert(target, alert, deps) {
    const event = webhookDue(alert);
    if (event === undefined)
        return 'not-due';
    try {
        // The exact bytes sent are the bytes signed: a receiver checks the signature over them.
        const body = Buffer.from(JSON.stringify(webhookPayload(alert, event, deps.redact)), 'utf8');
        const headers = {
            'content-type': 'application/json',
            'user-agent': 'token-rotation-action'
        };
        if (target.secret) {
            const hmac = createHmac('sha256', target.secret).update(body).digest('hex');
            headers[SIGNATURE_HEADER] = `sha256=${hmac}`;
        }
        const problem = URL.canParse(target.url)
            ? await deliver(target.url, { method: 'POST', headers, body, redirect: 'manual' }, deps)
            : 'The webhook URL is not a valid URL';
        if (problem === undefined) {
            deps.log.info(`Sent the ${event === 'failed' ? 'failure' : 'recovery'} alert to the webhook.`);
            return 'sent';
        }
        deps.log.warning(`${problem}; the alert was not delivered.`, { title: TITLE });
    }
    catch (error) {
        // Not its message: only our own code throws here, but nothing may risk quoting the URL.
        const name = error instanceof Error ? error.name : typeof error;
        deps.log.warning(`Sending the webhook alert failed (${name}); it was not delivered.`, {
            title: TITLE
        });
    }
    return 'failed';
}
/** Sends with retries; the problem in a sentence, or undefined once the webhook took it. */
async function deliver(url, init, deps) {
    const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const send = deps.fetch ?? fetch;
    for (let attempt = 1;; attempt += 1) {
        let problem;
        let waitMs = backoffMs(attempt, BACKOFF);
        try {
            const response = await send(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
            // Unread: an error page may echo the request, its URL (and token) included.
            await response.body?.cancel().catch(() => undefined);
            const status = response.status;
            if (status >= 200 && status < 300)
                return undefined;
            if (status >= 300 && status < 400) {
                return `The webhook answered with a redirect (HTTP ${status}), which is not followed: set the URL it redirects to`;
            }
            problem = `The webhook answered HTTP ${status}`;
            if (status !== 429 && status < 500)
                return problem;
            const seconds = /^\s*(\d+)\s*$/.exec(response.headers.get('retry-after') ?? '')?.[1];
            if (seconds !== undefined) {
                if (Number(seconds) > MAX_RETRY_AFTER_SECONDS) {
                    return `${problem} and asked to wait ${seconds} s, longer than a run waits`;
                }
                waitMs = Number(seconds) * 1000;
            }
        }
        catch (error) {
            problem = `The webhook did not answer: ${describeProbeFailure(error, timeoutMs)}`;
        }
        if (attempt >= ATTEMPTS)
            return `${problem} (${ATTEMPTS} attempts)`;
        await deps.sleep(waitMs);
    }
}
function plural(n, noun) {
    return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
function oneLine(text) {
    return text.replace(/\s+/g, ' ').trim();
}
/** Slack reads `<!channel>` and `<url|label>` in text: an error from a peer must not ping anyone. */
function slackEscape(text) {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export { SIGNATURE_HEADER, sendWebhookAlert, webhookDue, webhookPayload };
