import { R as RequestError } from './index-Cve9QuTp.js';
import { A as ActionError, d as describeError } from './errors-DDD4RsHd.js';
import { a as array, l as looseObject, s as string } from './schemas-CCjUw_cu.js';

/**
 * Turns an Octokit error into an {@link ActionError} whose message says what failed and what to do.
 * Octokit errors carry the request (headers, and the sealed value in the body); none of it is kept:
 * only status, GitHub's message and the request id reach the message, and the cause is a plain
 * summary, never the original error.
 */
function toGitHubError(error, context) {
    if (error instanceof ActionError)
        return error;
    if (error instanceof Error && error.name === 'AbortError') {
        // Given up on purpose (SendOptions.signal): the only signals sent are the lock's deadlines.
        return new ActionError(`${capitalize(context.doing)} was given up: ${error.message}.`, {
            code: 'locked',
            phase: context.phase,
            cause: error
        });
    }
    if (!(error instanceof RequestError)) {
        return new ActionError(`${capitalize(context.doing)} failed: ${describeError(error)}`, {
            code: 'internal',
            phase: context.phase
        });
    }
    const status = error.status;
    const github = githubMessage(error);
    const requestId = error.response?.headers['x-github-request-id'];
    const showId = requestId !== undefined && !github.includes(requestId);
    const suffix = `${github ? `: ${github}` : ''}${showId ? ` (request id ${requestId})` : ''}`;
    const [code, advice] = classify(status, github, context);
    const answered = error.response
        ? `GitHub answered ${status}`
        : `no answer from GitHub (${error.message})`;
    return new ActionError(`${capitalize(context.doing)} failed: ${answered}${suffix}. ${advice}`.trim(), {
        code,
        phase: context.phase,
        retryable: code === 'github-unavailable' || code === 'github-rate-limited',
        cause: { status, requestId, method: error.request.method, url: error.request.url }
    });
}
function classify(status, message, context) {
    if (status === 401) {
        return [
            'github-auth',
            "Check the 'github-token' input: the token is missing, expired or revoked."
        ];
    }
    if (/secondary rate limit|rate limit exceeded/i.test(message) || status === 429) {
        return [
            'github-rate-limited',
            "GitHub kept refusing for rate limits; raise 'write-interval' or lower 'max-concurrency', or run again later."
        ];
    }
    if (status === 403) {
        const needs = context.permission ? ` It needs ${context.permission}.` : '';
        return [
            'github-forbidden',
            `The token in 'github-token' may not do this.${needs} The default GITHUB_TOKEN can never write secrets: pass a fine-grained PAT or a GitHub App installation token with ${context.permission ? 'that permission' : 'the secrets permissions'}.`
        ];
    }
    if (status === 404) {
        return [
            'github-not-found',
            context.notFound ??
                "It does not exist, or the token in 'github-token' cannot see it (GitHub answers 404 for both)."
        ];
    }
    if (status >= 500 || status === 0 || status === 408) {
        return ['github-unavailable', 'GitHub kept failing after retries; run again later.'];
    }
    return ['github-rejected', ''];
}
/**
 * GitHub's own message, with the field and code of each validation error (a 422 names them in
 * `errors`; they are names, never values, so they are safe to print).
 */
function githubMessage(error) {
    const data = error.response?.data;
    if (typeof data !== 'object' || data === null)
        return '';
    const message = 'message' in data && typeof data.message === 'string' ? data.message : '';
    const parsed = validationErrors.safeParse('errors' in data ? data.errors : undefined);
    const details = (parsed.success ? parsed.data : [])
        .map(item => [item.field && `field ${item.field}`, item.code && `code ${item.code}`]
        .filter(Boolean)
        .join(', '))
        .filter(text => text !== '');
    return details.length > 0 ? `${message} (${details.join('; ')})` : message;
}
const validationErrors = array(looseObject({ field: string().optional(), code: string().optional() }));
/**
 * Checks the shape of a GitHub answer before it is used, so a proxy's HTML page or a changed API
 * fails with one clear sentence instead of deep inside libsodium.
 * @param what the thing read, for the message: "the public key of octo/app"
 */
function parseAnswer(schema, data, what) {
    const parsed = schema.safeParse(data);
    if (parsed.success)
        return parsed.data;
    const fields = [...new Set(parsed.error.issues.map(issue => issue.path.join('.') || '(body)'))];
    throw new ActionError(`GitHub's answer for ${what} is not what its API documents (unexpected ${fields.join(', ')}); check GITHUB_API_URL and any proxy in between.`, { code: 'github-rejected', phase: 'preflight' });
}
function capitalize(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
}
/** Whether an error is an HTTP error with this status. */
function hasStatus(error, status) {
    return typeof error === 'object' && error !== null && 'status' in error && error.status === status;
}

export { hasStatus as h, parseAnswer as p, toGitHubError as t };
