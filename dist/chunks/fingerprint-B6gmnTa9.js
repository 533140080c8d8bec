import { createHash } from 'node:crypto';

/**
 * The one error type the action reports. Its message is safe to print: it never holds a secret
 * value, a request body or a header. The underlying error, if any, is attached as a non-enumerable
 * `cause` so a JSON dump of the error does not carry it along.
 */
class ActionError extends Error {
    name = 'ActionError';
    code;
    phase;
    retryable;
    constructor(message, options) {
        super(message);
        this.code = options.code;
        this.phase = options.phase;
        this.retryable = options.retryable ?? false;
        if (options.cause !== undefined) {
            Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
        }
    }
}
/** Configuration is invalid; lists every problem found, each naming its input. */
class ConfigError extends ActionError {
    name = 'ConfigError';
    problems;
    constructor(problems) {
        super(problems.length === 1
            ? formatProblem(problems[0])
            : `${problems.length} inputs are invalid:\n${problems.map(p => `- ${formatProblem(p)}`).join('\n')}`, { code: 'invalid-input', phase: 'config' });
        this.problems = problems;
    }
}
function formatProblem(problem) {
    return `Input '${problem.input}': ${problem.message}`;
}
/** Turns anything thrown into a message that is safe to print. */
function describeError(error) {
    if (error instanceof Error)
        return error.message;
    return `unexpected non-error value thrown (${typeof error})`;
}

/** Tells a JSON object from a plain string, and both from broken JSON. */
function valueShape(value) {
    const trimmed = value.trimStart();
    if (!trimmed.startsWith('{'))
        return { kind: 'plain' };
    try {
        const parsed = JSON.parse(value);
        return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
            ? { kind: 'object', object: parsed }
            : { kind: 'invalid' };
    }
    catch {
        // The parser's message quotes the text around the error, which is the secret: not kept.
        return { kind: 'invalid' };
    }
}
/**
 * Reads `field` of a JSON secret, or the whole value of a plain string secret (or of any secret,
 * without a field).
 * @param where names the version for messages: `AWSCURRENT of secret prod/oauth`
 * @throws ActionError `aws-rejected` when a JSON secret has no such string field, or starts like
 *   JSON and does not parse
 */
function parseSecretDocument(value, field, where, phase) {
    const plain = { credential: value, replace: (credential) => credential };
    if (field === undefined)
        return plain;
    const shape = valueShape(value);
    if (shape.kind === 'plain')
        return plain;
    if (shape.kind === 'invalid') {
        throw new ActionError(`${where} starts like a JSON object but is not valid JSON; fix the secret's value (it is not used whole: it may hold other fields).`, { code: 'aws-rejected', phase });
    }
    const found = shape.object[field];
    if (typeof found !== 'string' || found === '') {
        const fields = Object.keys(shape.object);
        throw new ActionError(`${where} is a JSON object without a non-empty string field '${field}' (its fields: ${fields.length > 0 ? fields.join(', ') : 'none'}); set 'store-field' to the field that holds the credential.`, { code: 'aws-rejected', phase });
    }
    return {
        credential: found,
        replace: credential => JSON.stringify({ ...shape.object, [field]: credential })
    };
}

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

/** Attempts of a persist when the options do not say. */
const DEFAULT_PERSIST_ATTEMPTS = 5;
/** 2, 4, 8, 16 s between attempts, at most a minute. */
const PERSIST_BACKOFF = { firstMs: 2000, longestMs: 60_000 };
/**
 * Writes the new credential, trying again when a failure may heal. Each client has retried its
 * requests already (5xx, dropped connections, throttling); this outer loop spans outages longer
 * than a client's own backoff, because a token the issuer has consumed cannot be minted again.
 * Repeating is safe: every attempt writes the same value (and, where the store has versions, the
 * same version).
 *
 * Only failures marked `retryable` are tried again; a refusal (no permission, no such secret)
 * cannot heal within a run, so it stops at once with its own error and advice.
 * @throws ActionError `persist-failed` naming where the value goes, when every attempt failed
 */
async function persistWithRetries(options) {
    const { write, where, attempts, sleep, log } = options;
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
            if (attempt >= attempts) {
                throw new ActionError(`${capitalized(where)} could not be written in ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}; the last failed with: ${error.message}`, { code: 'persist-failed', phase: 'persist', cause: error });
            }
            const waitMs = backoffMs(attempt, PERSIST_BACKOFF);
            log.warning(`Writing the new credential to ${where} failed (attempt ${attempt} of ${attempts}); trying again in ${waitMs / 1000} s. ${describeError(error)}`);
            await sleep(waitMs);
        }
    }
}
function capitalized(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A short, stable name for a secret value: the first 16 hex digits (64 bits) of its SHA-256.
 * Safe to record and print: it identifies a version without revealing it, and 64 bits of a hash
 * of a high-entropy token cannot be turned back into the token.
 */
function fingerprint(value) {
    return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
}

export { ActionError as A, ConfigError as C, DEFAULT_PERSIST_ATTEMPTS as D, pollWithBackoff as a, parseSecretDocument as b, describeError as d, fingerprint as f, persistWithRetries as p, valueShape as v };
