import { A as ActionError } from './errors-DDD4RsHd.js';

/**
 * The job's OpenID Connect token for `audience`, from the runner's token endpoint, as
 * `core.getIDToken` asks for it (`GET <url>&audience=<audience>` with the runtime token; the answer
 * is `{ "value": jwt }`). Ours rather than @actions/core's, which would bring its HTTP client into
 * the action's first module: this one loads only when a login asks for a token.
 * @throws ActionError (code `invalid-input`) naming the permission when the runner refuses
 */
async function requestIdToken(endpoint, audience, signal) {
    const url = new URL(endpoint.url);
    url.searchParams.set('audience', audience);
    const failed = (detail, cause) => new ActionError(`Could not get the job's OpenID Connect token for audience ${audience}: ${detail}. The job needs \`permissions: id-token: write\`.`, { code: 'invalid-input', phase: 'preflight', ...(cause !== undefined ? { cause } : {}) });
    let response;
    try {
        response = await fetch(url, {
            headers: { authorization: `Bearer ${endpoint.bearer}`, accept: 'application/json' },
            signal: signal ?? AbortSignal.timeout(30_000)
        });
    }
    catch (error) {
        throw failed('the runner did not answer', error);
    }
    if (!response.ok)
        throw failed(`the runner answered HTTP ${String(response.status)}`);
    const body = await response.json().catch(() => undefined);
    const value = typeof body === 'object' && body !== null ? body.value : undefined;
    if (typeof value !== 'string' || value === '')
        throw failed('the runner gave no token');
    return value;
}

export { requestIdToken };
