import { TOKEN_PLACEHOLDER, canTravelInHeader } from './health-config-BEeKN_v2.js';

/**
 * Fills the templates with the value: URL-encoded in the URL, as is in the headers.
 * @returns undefined when the value cannot travel in a header (a line break, a control character,
 *   a character beyond Latin-1): no attempt could ever succeed, and fetch would quote it in its error
 */
function buildProbeRequest(config, value) {
    const headers = new Headers();
    for (const header of config.headers) {
        // fetch quotes an invalid header value in its error: such a value must never reach it.
        if (header.value.includes(TOKEN_PLACEHOLDER) && !canTravelInHeader(value))
            return undefined;
        headers.append(header.name, header.value.replaceAll(TOKEN_PLACEHOLDER, value));
    }
    return {
        url: config.url.replaceAll(TOKEN_PLACEHOLDER, encodeURIComponent(value)),
        init: {
            method: config.method,
            headers,
            // A redirect could carry a custom credential header to another origin, or to plain http:
            // a 3xx is an answer like any other (expected only if health-check-expect lists it).
            redirect: 'manual'
        }
    };
}
/**
 * Sends one probe and reports its status; never throws. The response body is discarded unread:
 * an error page may echo the credential.
 * @param timeoutMs the deadline of this one attempt
 */
async function sendProbe(request, fetcher, timeoutMs) {
    try {
        const response = await fetcher(request.url, {
            ...request.init,
            signal: AbortSignal.timeout(timeoutMs)
        });
        await response.body?.cancel().catch(() => undefined);
        return { status: response.status, detail: `HTTP ${response.status}` };
    }
    catch (error) {
        return { detail: describeProbeFailure(error, timeoutMs) };
    }
}
/**
 * Names a network failure by its error code only: messages may quote the URL (which may hold the
 * value) or a header.
 */
function describeProbeFailure(error, timeoutMs) {
    const name = field(error, 'name');
    if (name === 'TimeoutError' || name === 'AbortError') {
        return `timed out after ${formatSeconds(timeoutMs)}`;
    }
    const code = errorCode(field(error, 'cause'));
    switch (code) {
        case undefined:
            return 'network error';
        case 'ECONNREFUSED':
            return 'connection refused';
        case 'ECONNRESET':
        case 'UND_ERR_SOCKET':
        case 'EPIPE':
            return 'connection closed before an answer';
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
            return 'host not found';
        case 'ETIMEDOUT':
        case 'UND_ERR_CONNECT_TIMEOUT':
            return 'connection timed out';
        case 'UND_ERR_HEADERS_TIMEOUT':
        case 'UND_ERR_BODY_TIMEOUT':
            return 'timed out waiting for the answer';
        default:
            return /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)
                ? `TLS certificate not accepted (${code})`
                : `network error (${code})`;
    }
}
/** The `code` of an error, or of the first error of an AggregateError (one per address tried). */
function errorCode(cause) {
    const code = field(cause, 'code');
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code))
        return code;
    const errors = field(cause, 'errors');
    return Array.isArray(errors) ? errorCode(errors[0]) : undefined;
}
// Read by shape, not instanceof: fetch's errors may come from another realm (a VM context).
function field(value, key) {
    return typeof value === 'object' && value !== null && key in value
        ? value[key]
        : undefined;
}
function formatSeconds(ms) {
    return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

export { buildProbeRequest as b, describeProbeFailure as d, sendProbe as s };
