const FLAT_TLS_KEYS = {
    ca: 'ca-certificate',
    client: 'client-certificate and client-key'
};
/**
 * A request that got no complete HTTP answer. `reached` is false only when the request provably
 * never reached the server: no connection was made, or the TLS handshake failed (a server's HTTP
 * layer never sees the bytes of a connection whose handshake it refused).
 */
class TransportError extends Error {
    name = 'TransportError';
    reached;
    /** What happened, safe to print: `connection refused`, `no answer within 30 s`. */
    detail;
    constructor(detail, reached, cause) {
        super(detail, { cause });
        this.detail = detail;
        this.reached = reached;
    }
}
/** Never longer than the request's own deadline. */
const CONNECT_TIMEOUT_MS = 10_000;
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const CONNECT_FAILURES = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found (DNS)',
    EAI_AGAIN: 'DNS lookup failed for now (EAI_AGAIN)',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out'
};
/** Node's names for a server certificate that does not verify. */
const UNTRUSTED_CERTIFICATE = new Set([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'CERT_REVOKED',
    'CERT_UNTRUSTED',
    'ERR_TLS_CERT_ALTNAME_INVALID'
]);
function isTlsFailure(code) {
    return UNTRUSTED_CERTIFICATE.has(code) || code.startsWith('ERR_SSL_') || code === 'EPROTO';
}
/** The first error code in a chain of causes (undici wraps them; happy eyeballs aggregates). */
function errorCode(error, depth = 0) {
    if (typeof error !== 'object' || error === null || depth > 5)
        return undefined;
    const { code, cause, errors, name } = error;
    if (typeof code === 'string' && code !== '')
        return code;
    if (name === 'TimeoutError')
        return 'TimeoutError';
    if (Array.isArray(errors)) {
        for (const inner of errors) {
            const found = errorCode(inner, depth + 1);
            if (found !== undefined)
                return found;
        }
    }
    return errorCode(cause, depth + 1);
}
function describeFailure(code, timeoutMs, keys) {
    if (code === undefined)
        return 'the request failed';
    const connect = CONNECT_FAILURES[code];
    if (connect !== undefined)
        return connect;
    if (UNTRUSTED_CERTIFICATE.has(code)) {
        return `TLS: the server's certificate is not trusted (${code}); if the server uses a private certificate authority, pass its certificate as ${keys.ca}`;
    }
    if (isTlsFailure(code))
        return `TLS handshake failed (${code})`;
    switch (code) {
        case 'UND_ERR_SOCKET':
            return 'the connection closed before the answer was complete';
        case 'ECONNRESET':
            return 'the connection was reset';
        case 'EPIPE':
            return 'the connection closed while the request was being sent';
        case 'TimeoutError':
        case 'UND_ERR_HEADERS_TIMEOUT':
        case 'UND_ERR_BODY_TIMEOUT':
            return `no answer within ${Math.round(timeoutMs / 1000)} s`;
        default:
            return `the request failed (${code})`;
    }
}
/**
 * An HTTP client for requests that must not be replayed blindly (an OAuth2 refresh, a key
 * creation, a token rotation): undici's fetch with TLS 1.2 at least, the configured CA and client
 * certificate, and a deadline per request.
 *
 * Every request gets its own connection, watched from the moment it opens: an error before it
 * opened proves the server never saw the request, which is what makes retrying a refresh safe.
 * A reused keep-alive connection could fail after the server processed the request, or before,
 * and nothing would tell which.
 */
function createTransport(options) {
    const { tls, timeoutMs } = options;
    const keys = options.keys ?? FLAT_TLS_KEYS;
    // undici is loaded with the first request, not at start-up (it is the largest module of the
    // bundle, and a run reaches its first token request only after several GitHub requests).
    let loading;
    const load = () => (loading ??= loadUndici(tls, timeoutMs));
    return async (url, request) => {
        const { Agent, fetch: undiciFetch, connector } = await load();
        const connection = { opened: false };
        const agent = new Agent({
            connect: (connectOptions, callback) => {
                connector(connectOptions, (...args) => {
                    if (args[0] === null)
                        connection.opened = true;
                    callback(...args);
                });
            },
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs
        });
        const deadline = AbortSignal.timeout(timeoutMs);
        try {
            const response = await undiciFetch(url, {
                method: request.method,
                headers: request.headers,
                body: request.body ?? null,
                redirect: 'manual',
                signal: request.signal ? AbortSignal.any([deadline, request.signal]) : deadline,
                dispatcher: agent
            });
            // Read it all here, so a connection lost halfway through the body is a transport error too.
            const body = await response.arrayBuffer();
            return new Response(NULL_BODY_STATUSES.has(response.status) ? null : body, {
                status: response.status,
                statusText: response.statusText,
                headers: [...response.headers]
            });
        }
        catch (error) {
            const code = errorCode(error);
            const reached = connection.opened && !(code !== undefined && isTlsFailure(code));
            let detail = describeFailure(code, timeoutMs, keys);
            if (code === 'UND_ERR_SOCKET' && url.startsWith('https:') && !tls.clientCertificate) {
                // TLS 1.3 servers check the client certificate after the client's side of the handshake
                // is done; one that requires it then just closes, which looks exactly like this.
                detail += `; a server that requires a client certificate closes the connection this way: if it does, set ${keys.client}`;
            }
            throw new TransportError(detail, reached, error);
        }
        finally {
            await agent.destroy();
        }
    };
}
async function loadUndici(tls, timeoutMs) {
    const { Agent, buildConnector, fetch } = await import('./index-BPbuj0Mu.js').then(function (n) { return n.i; });
    const connector = buildConnector({
        minVersion: 'TLSv1.2',
        timeout: Math.min(CONNECT_TIMEOUT_MS, timeoutMs),
        ...(tls.caCertificate !== undefined ? { ca: tls.caCertificate } : {}),
        ...(tls.clientCertificate !== undefined
            ? { cert: tls.clientCertificate.certificatePem, key: tls.clientCertificate.keyPem }
            : {})
    });
    return { Agent, fetch, connector };
}

export { TransportError as T, createTransport as c };
