import { setTimeout } from 'node:timers/promises';
import { i as isLoopbackHost } from './loopback-CdUp0z11.js';
import { A as ActionError } from './errors-DDD4RsHd.js';
import { createPrivateKey } from 'node:crypto';
import { f as formEncodeCredential, r as redactSecrets } from './redaction-Cn2Yd9gW.js';
import { v as valueShape } from './secret-document-CqJ-VHjJ.js';
import { c as createTransport, T as TransportError } from './transport-DolXUEXK.js';

let USER_AGENT;
if (typeof navigator === 'undefined' || !navigator.userAgent?.startsWith?.('Mozilla/5.0 ')) {
    const NAME = 'oauth4webapi';
    const VERSION = 'v3.8.8';
    USER_AGENT = `${NAME}/${VERSION}`;
}
function looseInstanceOf(input, expected) {
    if (input == null) {
        return false;
    }
    try {
        return (input instanceof expected ||
            Object.getPrototypeOf(input)[Symbol.toStringTag] === expected.prototype[Symbol.toStringTag]);
    }
    catch {
        return false;
    }
}
const ERR_INVALID_ARG_VALUE = 'ERR_INVALID_ARG_VALUE';
const ERR_INVALID_ARG_TYPE = 'ERR_INVALID_ARG_TYPE';
function CodedTypeError(message, code, cause) {
    const err = new TypeError(message, { cause });
    Object.assign(err, { code });
    return err;
}
const allowInsecureRequests = Symbol();
const clockSkew = Symbol();
const clockTolerance = Symbol();
const customFetch = Symbol();
const modifyAssertion = Symbol();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
function buf(input) {
    if (typeof input === 'string') {
        return encoder.encode(input);
    }
    return decoder.decode(input);
}
let encodeBase64Url;
if (Uint8Array.prototype.toBase64) {
    encodeBase64Url = (input) => {
        if (input instanceof ArrayBuffer) {
            input = new Uint8Array(input);
        }
        return input.toBase64({ alphabet: 'base64url', omitPadding: true });
    };
}
else {
    const CHUNK_SIZE = 0x8000;
    encodeBase64Url = (input) => {
        if (input instanceof ArrayBuffer) {
            input = new Uint8Array(input);
        }
        const arr = [];
        for (let i = 0; i < input.byteLength; i += CHUNK_SIZE) {
            arr.push(String.fromCharCode.apply(null, input.subarray(i, i + CHUNK_SIZE)));
        }
        return btoa(arr.join('')).replace(/=/g, '').replace(/\+/g, '-').replace(/\//g, '_');
    };
}
let decodeBase64Url;
if (Uint8Array.fromBase64) {
    decodeBase64Url = (input) => {
        try {
            return Uint8Array.fromBase64(input, { alphabet: 'base64url' });
        }
        catch (cause) {
            throw CodedTypeError('The input to be decoded is not correctly encoded.', ERR_INVALID_ARG_VALUE, cause);
        }
    };
}
else {
    decodeBase64Url = (input) => {
        try {
            const binary = atob(input.replace(/-/g, '+').replace(/_/g, '/').replace(/\s/g, ''));
            const bytes = new Uint8Array(binary.length);
            for (let i = 0; i < binary.length; i++) {
                bytes[i] = binary.charCodeAt(i);
            }
            return bytes;
        }
        catch (cause) {
            throw CodedTypeError('The input to be decoded is not correctly encoded.', ERR_INVALID_ARG_VALUE, cause);
        }
    };
}
function b64u(input) {
    if (typeof input === 'string') {
        return decodeBase64Url(input);
    }
    return encodeBase64Url(input);
}
class UnsupportedOperationError extends Error {
    code;
    constructor(message, options) {
        super(message, options);
        this.name = this.constructor.name;
        this.code = UNSUPPORTED_OPERATION;
        Error.captureStackTrace?.(this, this.constructor);
    }
}
class OperationProcessingError extends Error {
    code;
    constructor(message, options) {
        super(message, options);
        this.name = this.constructor.name;
        if (options?.code) {
            this.code = options?.code;
        }
        Error.captureStackTrace?.(this, this.constructor);
    }
}
function OPE(message, code, cause) {
    return new OperationProcessingError(message, { code, cause });
}
function assertCryptoKey(key, it) {
    if (!(key instanceof CryptoKey)) {
        throw CodedTypeError(`${it} must be a CryptoKey`, ERR_INVALID_ARG_TYPE);
    }
}
function assertPrivateKey(key, it) {
    assertCryptoKey(key, it);
    if (key.type !== 'private') {
        throw CodedTypeError(`${it} must be a private CryptoKey`, ERR_INVALID_ARG_VALUE);
    }
}
function isJsonObject(input) {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        return false;
    }
    return true;
}
function prepareHeaders(input) {
    if (looseInstanceOf(input, Headers)) {
        input = Object.fromEntries(input.entries());
    }
    const headers = new Headers(input ?? {});
    if (USER_AGENT && !headers.has('user-agent')) {
        headers.set('user-agent', USER_AGENT);
    }
    if (headers.has('authorization')) {
        throw CodedTypeError('"options.headers" must not include the "authorization" header name', ERR_INVALID_ARG_VALUE);
    }
    return headers;
}
function signal(url, value) {
    if (value !== undefined) {
        if (typeof value === 'function') {
            value = value(url.href);
        }
        if (!(value instanceof AbortSignal)) {
            throw CodedTypeError('"options.signal" must return or be an instance of AbortSignal', ERR_INVALID_ARG_TYPE);
        }
        return value;
    }
    return undefined;
}
function assertNumber(input, allow0, it, code, cause) {
    try {
        if (typeof input !== 'number' || !Number.isFinite(input)) {
            throw CodedTypeError(`${it} must be a number`, ERR_INVALID_ARG_TYPE, cause);
        }
        if (input > 0)
            return;
        if (allow0) {
            if (input !== 0) {
                throw CodedTypeError(`${it} must be a non-negative number`, ERR_INVALID_ARG_VALUE, cause);
            }
            return;
        }
        throw CodedTypeError(`${it} must be a positive number`, ERR_INVALID_ARG_VALUE, cause);
    }
    catch (err) {
        if (code) {
            throw OPE(err.message, code, cause);
        }
        throw err;
    }
}
function assertString(input, it, code, cause) {
    try {
        if (typeof input !== 'string') {
            throw CodedTypeError(`${it} must be a string`, ERR_INVALID_ARG_TYPE, cause);
        }
        if (input.length === 0) {
            throw CodedTypeError(`${it} must not be empty`, ERR_INVALID_ARG_VALUE, cause);
        }
    }
    catch (err) {
        if (code) {
            throw OPE(err.message, code, cause);
        }
        throw err;
    }
}
function assertApplicationJson(response) {
    assertContentType(response, 'application/json');
}
function notJson(response, ...types) {
    let msg = '"response" content-type must be ';
    if (types.length > 2) {
        const last = types.pop();
        msg += `${types.join(', ')}, or ${last}`;
    }
    else if (types.length === 2) {
        msg += `${types[0]} or ${types[1]}`;
    }
    else {
        msg += types[0];
    }
    return OPE(msg, RESPONSE_IS_NOT_JSON, response);
}
function assertContentType(response, contentType) {
    if (getContentType(response) !== contentType) {
        throw notJson(response, contentType);
    }
}
function randomBytes() {
    return b64u(crypto.getRandomValues(new Uint8Array(32)));
}
function getKeyAndKid(input) {
    if (input instanceof CryptoKey) {
        return { key: input };
    }
    if (!(input?.key instanceof CryptoKey)) {
        return {};
    }
    if (input.kid !== undefined) {
        assertString(input.kid, '"kid"');
    }
    return {
        key: input.key,
        kid: input.kid,
    };
}
function psAlg(key) {
    switch (key.algorithm.hash.name) {
        case 'SHA-256':
            return 'PS256';
        case 'SHA-384':
            return 'PS384';
        case 'SHA-512':
            return 'PS512';
        default:
            throw new UnsupportedOperationError('unsupported RsaHashedKeyAlgorithm hash name', {
                cause: key,
            });
    }
}
function rsAlg(key) {
    switch (key.algorithm.hash.name) {
        case 'SHA-256':
            return 'RS256';
        case 'SHA-384':
            return 'RS384';
        case 'SHA-512':
            return 'RS512';
        default:
            throw new UnsupportedOperationError('unsupported RsaHashedKeyAlgorithm hash name', {
                cause: key,
            });
    }
}
function esAlg(key) {
    switch (key.algorithm.namedCurve) {
        case 'P-256':
            return 'ES256';
        case 'P-384':
            return 'ES384';
        case 'P-521':
            return 'ES512';
        default:
            throw new UnsupportedOperationError('unsupported EcKeyAlgorithm namedCurve', { cause: key });
    }
}
function keyToJws(key) {
    switch (key.algorithm.name) {
        case 'RSA-PSS':
            return psAlg(key);
        case 'RSASSA-PKCS1-v1_5':
            return rsAlg(key);
        case 'ECDSA':
            return esAlg(key);
        case 'Ed25519':
        case 'ML-DSA-44':
        case 'ML-DSA-65':
        case 'ML-DSA-87':
            return key.algorithm.name;
        case 'EdDSA':
            return 'Ed25519';
        default:
            throw new UnsupportedOperationError('unsupported CryptoKey algorithm name', { cause: key });
    }
}
function getClockSkew(client) {
    const skew = client?.[clockSkew];
    return typeof skew === 'number' && Number.isFinite(skew) ? skew : 0;
}
function getClockTolerance(client) {
    const tolerance = client?.[clockTolerance];
    return typeof tolerance === 'number' && Number.isFinite(tolerance) && Math.sign(tolerance) !== -1
        ? tolerance
        : 30;
}
function epochTime() {
    return Math.floor(Date.now() / 1000);
}
function assertAs(as) {
    if (typeof as !== 'object' || as === null) {
        throw CodedTypeError('"as" must be an object', ERR_INVALID_ARG_TYPE);
    }
    assertString(as.issuer, '"as.issuer"');
}
function assertClient(client) {
    if (typeof client !== 'object' || client === null) {
        throw CodedTypeError('"client" must be an object', ERR_INVALID_ARG_TYPE);
    }
    assertString(client.client_id, '"client.client_id"');
}
function ClientSecretPost(clientSecret) {
    assertString(clientSecret, '"clientSecret"');
    return (_as, client, body, _headers) => {
        body.set('client_id', client.client_id);
        body.set('client_secret', clientSecret);
    };
}
function clientAssertionPayload(as, client) {
    const now = epochTime() + getClockSkew(client);
    return {
        jti: randomBytes(),
        aud: as.issuer,
        exp: now + 60,
        iat: now,
        nbf: now,
        iss: client.client_id,
        sub: client.client_id,
    };
}
function PrivateKeyJwt(clientPrivateKey, options) {
    const { key, kid } = getKeyAndKid(clientPrivateKey);
    assertPrivateKey(key, '"clientPrivateKey.key"');
    return async (as, client, body, _headers) => {
        const header = { alg: keyToJws(key), kid };
        const payload = clientAssertionPayload(as, client);
        options?.[modifyAssertion]?.(header, payload);
        body.set('client_id', client.client_id);
        body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        body.set('client_assertion', await signJwt(header, payload, key));
    };
}
function None() {
    return (_as, client, body, _headers) => {
        body.set('client_id', client.client_id);
    };
}
function TlsClientAuth() {
    return None();
}
async function signJwt(header, payload, key) {
    if (!key.usages.includes('sign')) {
        throw CodedTypeError('CryptoKey instances used for signing assertions must include "sign" in their "usages"', ERR_INVALID_ARG_VALUE);
    }
    const input = `${b64u(buf(JSON.stringify(header)))}.${b64u(buf(JSON.stringify(payload)))}`;
    const signature = b64u(await crypto.subtle.sign(keyToSubtle(key), key, buf(input)));
    return `${input}.${signature}`;
}
const URLParse = URL.parse
    ?
        (url, base) => URL.parse(url, base)
    : (url, base) => {
        try {
            return new URL(url, base);
        }
        catch {
            return null;
        }
    };
function checkProtocol(url, enforceHttps) {
    if (enforceHttps && url.protocol !== 'https:') {
        throw OPE('only requests to HTTPS are allowed', HTTP_REQUEST_FORBIDDEN, url);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw OPE('only HTTP and HTTPS requests are allowed', REQUEST_PROTOCOL_FORBIDDEN, url);
    }
}
function validateEndpoint(value, endpoint, useMtlsAlias, enforceHttps) {
    let url;
    if (typeof value !== 'string' || !(url = URLParse(value))) {
        throw OPE(`authorization server metadata does not contain a valid ${useMtlsAlias ? `"as.mtls_endpoint_aliases.${endpoint}"` : `"as.${endpoint}"`}`, value === undefined ? MISSING_SERVER_METADATA : INVALID_SERVER_METADATA, { attribute: useMtlsAlias ? `mtls_endpoint_aliases.${endpoint}` : endpoint });
    }
    checkProtocol(url, enforceHttps);
    return url;
}
function resolveEndpoint(as, endpoint, useMtlsAlias, enforceHttps) {
    if (useMtlsAlias && as.mtls_endpoint_aliases && endpoint in as.mtls_endpoint_aliases) {
        return validateEndpoint(as.mtls_endpoint_aliases[endpoint], endpoint, useMtlsAlias, enforceHttps);
    }
    return validateEndpoint(as[endpoint], endpoint, useMtlsAlias, enforceHttps);
}
class ResponseBodyError extends Error {
    cause;
    code;
    error;
    status;
    error_description;
    response;
    constructor(message, options) {
        super(message, options);
        this.name = this.constructor.name;
        this.code = RESPONSE_BODY_ERROR;
        this.cause = options.cause;
        this.error = options.cause.error;
        this.status = options.response.status;
        this.error_description = options.cause.error_description;
        Object.defineProperty(this, 'response', { enumerable: false, value: options.response });
        Error.captureStackTrace?.(this, this.constructor);
    }
}
class WWWAuthenticateChallengeError extends Error {
    cause;
    code;
    response;
    status;
    constructor(message, options) {
        super(message, options);
        this.name = this.constructor.name;
        this.code = WWW_AUTHENTICATE_CHALLENGE;
        this.cause = options.cause;
        this.status = options.response.status;
        this.response = options.response;
        Object.defineProperty(this, 'response', { enumerable: false });
        Error.captureStackTrace?.(this, this.constructor);
    }
}
const tokenMatch = "[a-zA-Z0-9!#$%&\\'\\*\\+\\-\\.\\^_`\\|~]+";
const token68Match = '[a-zA-Z0-9\\-\\._\\~\\+\\/]+={0,2}';
const quotedMatch = '"((?:[^"\\\\]|\\\\[\\s\\S])*)"';
const quotedParamMatcher = '(' + tokenMatch + ')\\s*=\\s*' + quotedMatch;
const paramMatcher = '(' + tokenMatch + ')\\s*=\\s*(' + tokenMatch + ')';
const schemeRE = new RegExp('^[,\\s]*(' + tokenMatch + ')');
const quotedParamRE = new RegExp('^[,\\s]*' + quotedParamMatcher + '[,\\s]*(.*)');
const unquotedParamRE = new RegExp('^[,\\s]*' + paramMatcher + '[,\\s]*(.*)');
const token68ParamRE = new RegExp('^(' + token68Match + ')(?:$|[,\\s])(.*)');
function parseWwwAuthenticateChallenges(response) {
    if (!looseInstanceOf(response, Response)) {
        throw CodedTypeError('"response" must be an instance of Response', ERR_INVALID_ARG_TYPE);
    }
    const header = response.headers.get('www-authenticate');
    if (header === null) {
        return undefined;
    }
    const challenges = [];
    let rest = header;
    while (rest) {
        let match = rest.match(schemeRE);
        const scheme = match?.['1'].toLowerCase();
        if (!scheme) {
            return undefined;
        }
        const afterScheme = rest.substring(match[0].length);
        if (afterScheme && !afterScheme.match(/^[\s,]/)) {
            return undefined;
        }
        const spaceMatch = afterScheme.match(/^\s+(.*)$/);
        const hasParameters = !!spaceMatch;
        rest = spaceMatch ? spaceMatch[1] : undefined;
        const parameters = {};
        let token68;
        if (hasParameters) {
            while (rest) {
                let key;
                let value;
                if ((match = rest.match(quotedParamRE))) {
                    [, key, value, rest] = match;
                    if (value.includes('\\')) {
                        value = value.replace(/\\([\s\S])/g, '$1');
                    }
                    parameters[key.toLowerCase()] = value;
                    continue;
                }
                if ((match = rest.match(unquotedParamRE))) {
                    [, key, value, rest] = match;
                    parameters[key.toLowerCase()] = value;
                    continue;
                }
                if ((match = rest.match(token68ParamRE))) {
                    if (Object.keys(parameters).length) {
                        break;
                    }
                    [, token68, rest] = match;
                    break;
                }
                return undefined;
            }
        }
        else {
            rest = afterScheme || undefined;
        }
        const challenge = { scheme, parameters };
        if (token68) {
            challenge.token68 = token68;
        }
        challenges.push(challenge);
    }
    if (!challenges.length) {
        return undefined;
    }
    return challenges;
}
async function parseOAuthResponseErrorBody(response) {
    if (response.status > 399 && response.status < 500) {
        assertReadableResponse(response);
        assertApplicationJson(response);
        try {
            const json = await response.clone().json();
            if (isJsonObject(json) && typeof json.error === 'string' && json.error.length) {
                return json;
            }
        }
        catch { }
    }
    return undefined;
}
async function checkOAuthBodyError(response, expected, label) {
    if (response.status !== expected) {
        checkAuthenticationChallenges(response);
        let err;
        if ((err = await parseOAuthResponseErrorBody(response))) {
            await response.body?.cancel();
            throw new ResponseBodyError('server responded with an error in the response body', {
                cause: err,
                response,
            });
        }
        throw OPE(`"response" is not a conform ${label} response (unexpected HTTP status code)`, RESPONSE_IS_NOT_CONFORM, response);
    }
}
function assertDPoP(option) {
    if (!branded.has(option)) {
        throw CodedTypeError('"options.DPoP" is not a valid DPoPHandle', ERR_INVALID_ARG_VALUE);
    }
}
function getContentType(input) {
    return input.headers.get('content-type')?.split(';')[0];
}
async function authenticatedRequest(as, client, clientAuthentication, url, body, headers, options) {
    await clientAuthentication(as, client, body, headers);
    headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    return (options?.[customFetch] || fetch)(url.href, {
        body,
        headers: Object.fromEntries(headers.entries()),
        method: 'POST',
        redirect: 'manual',
        signal: signal(url, options?.signal),
    });
}
async function tokenEndpointRequest(as, client, clientAuthentication, grantType, parameters, options) {
    const url = resolveEndpoint(as, 'token_endpoint', client.use_mtls_endpoint_aliases, options?.[allowInsecureRequests] !== true);
    parameters.set('grant_type', grantType);
    const headers = prepareHeaders(options?.headers);
    headers.set('accept', 'application/json');
    if (options?.DPoP !== undefined) {
        assertDPoP(options.DPoP);
        await options.DPoP.addProof(url, headers, 'POST');
    }
    const response = await authenticatedRequest(as, client, clientAuthentication, url, parameters, headers, options);
    options?.DPoP?.cacheNonce(response, url);
    return response;
}
async function refreshTokenGrantRequest(as, client, clientAuthentication, refreshToken, options) {
    assertAs(as);
    assertClient(client);
    assertString(refreshToken, '"refreshToken"');
    const parameters = new URLSearchParams(options?.additionalParameters);
    parameters.set('refresh_token', refreshToken);
    return tokenEndpointRequest(as, client, clientAuthentication, 'refresh_token', parameters, options);
}
const idTokenClaims = new WeakMap();
const jwtRefs = new WeakMap();
async function processGenericAccessTokenResponse(as, client, response, additionalRequiredIdTokenClaims, decryptFn, recognizedTokenTypes) {
    assertAs(as);
    assertClient(client);
    if (!looseInstanceOf(response, Response)) {
        throw CodedTypeError('"response" must be an instance of Response', ERR_INVALID_ARG_TYPE);
    }
    await checkOAuthBodyError(response, 200, 'Token Endpoint');
    assertReadableResponse(response);
    const json = await getResponseJsonBody(response);
    assertString(json.access_token, '"response" body "access_token" property', INVALID_RESPONSE, {
        body: json,
    });
    assertString(json.token_type, '"response" body "token_type" property', INVALID_RESPONSE, {
        body: json,
    });
    json.token_type = json.token_type.toLowerCase();
    if (json.expires_in !== undefined) {
        let expiresIn = typeof json.expires_in !== 'number' ? parseFloat(json.expires_in) : json.expires_in;
        assertNumber(expiresIn, true, '"response" body "expires_in" property', INVALID_RESPONSE, {
            body: json,
        });
        json.expires_in = expiresIn;
    }
    if (json.refresh_token !== undefined) {
        assertString(json.refresh_token, '"response" body "refresh_token" property', INVALID_RESPONSE, {
            body: json,
        });
    }
    if (json.scope !== undefined && typeof json.scope !== 'string') {
        throw OPE('"response" body "scope" property must be a string', INVALID_RESPONSE, { body: json });
    }
    if (json.id_token !== undefined) {
        assertString(json.id_token, '"response" body "id_token" property', INVALID_RESPONSE, {
            body: json,
        });
        const requiredClaims = [];
        if (client.require_auth_time === true) {
            requiredClaims.push('auth_time');
        }
        if (client.default_max_age !== undefined) {
            assertNumber(client.default_max_age, true, '"client.default_max_age"');
            requiredClaims.push('auth_time');
        }
        const { claims, jwt } = await validateIdTokenClaims(as, client, json.id_token, requiredClaims);
        validateIdTokenAuthorizedParty(client, claims);
        validateIdTokenAuthTimeClaim(claims);
        jwtRefs.set(response, jwt);
        idTokenClaims.set(json, claims);
    }
    if (json.token_type !== 'dpop' && json.token_type !== 'bearer') {
        throw new UnsupportedOperationError('unsupported `token_type` value', { cause: { body: json } });
    }
    return json;
}
function checkAuthenticationChallenges(response) {
    let challenges;
    if ((challenges = parseWwwAuthenticateChallenges(response))) {
        throw new WWWAuthenticateChallengeError('server responded with a challenge in the WWW-Authenticate HTTP Header', { cause: challenges, response });
    }
}
async function processRefreshTokenResponse(as, client, response, options) {
    return processGenericAccessTokenResponse(as, client, response);
}
function validateAudience(expected, result) {
    if (Array.isArray(result.claims.aud)) {
        if (!result.claims.aud.includes(expected)) {
            throw OPE('unexpected JWT "aud" (audience) claim value', JWT_CLAIM_COMPARISON, {
                expected,
                claims: result.claims,
                claim: 'aud',
            });
        }
    }
    else if (result.claims.aud !== expected) {
        throw OPE('unexpected JWT "aud" (audience) claim value', JWT_CLAIM_COMPARISON, {
            expected,
            claims: result.claims,
            claim: 'aud',
        });
    }
    return result;
}
function validateIssuer(as, result) {
    const expected = as[_expectedIssuer]?.(result) ?? as.issuer;
    if (result.claims.iss !== expected) {
        throw OPE('unexpected JWT "iss" (issuer) claim value', JWT_CLAIM_COMPARISON, {
            expected,
            claims: result.claims,
            claim: 'iss',
        });
    }
    return result;
}
const branded = new WeakSet();
const jwtClaimNames = {
    aud: 'audience',
    c_hash: 'code hash',
    client_id: 'client id',
    exp: 'expiration time',
    iat: 'issued at',
    iss: 'issuer',
    jti: 'jwt id',
    nonce: 'nonce',
    s_hash: 'state hash',
    sub: 'subject',
    ath: 'access token hash',
    htm: 'http method',
    htu: 'http uri',
    cnf: 'confirmation',
    auth_time: 'authentication time',
};
function validatePresence(required, result) {
    for (const claim of required) {
        if (result.claims[claim] === undefined) {
            throw OPE(`JWT "${claim}" (${jwtClaimNames[claim]}) claim missing`, INVALID_RESPONSE, {
                claims: result.claims,
            });
        }
    }
    return result;
}
function validateStringClaim(claim, result) {
    if (typeof result.claims[claim] !== 'string') {
        throw OPE(`unexpected JWT "${claim}" (${jwtClaimNames[claim]}) claim type`, INVALID_RESPONSE, {
            claims: result.claims,
        });
    }
    return result;
}
function validateIdTokenClaims(as, client, idToken, requiredClaims, decryptFn) {
    return validateJwt(idToken, checkSigningAlgorithm.bind(undefined, client.id_token_signed_response_alg, as.id_token_signing_alg_values_supported, 'RS256'), getClockSkew(client), getClockTolerance(client))
        .then(validatePresence.bind(undefined, ['aud', 'exp', 'iat', 'iss', 'sub', ...requiredClaims]))
        .then(validateIssuer.bind(undefined, as))
        .then(validateAudience.bind(undefined, client.client_id))
        .then(validateStringClaim.bind(undefined, 'sub'));
}
function validateIdTokenAuthTimeClaim(claims) {
    if (claims.auth_time !== undefined) {
        assertNumber(claims.auth_time, true, 'ID Token "auth_time" (authentication time)', INVALID_RESPONSE, { claims });
    }
}
function validateIdTokenAuthorizedParty(client, claims) {
    if (Array.isArray(claims.aud) && claims.aud.length !== 1) {
        if (claims.azp === undefined) {
            throw OPE('ID Token "aud" (audience) claim includes additional untrusted audiences', JWT_CLAIM_COMPARISON, { claims, claim: 'aud' });
        }
        if (claims.azp !== client.client_id) {
            throw OPE('unexpected ID Token "azp" (authorized party) claim value', JWT_CLAIM_COMPARISON, {
                expected: client.client_id,
                claims,
                claim: 'azp',
            });
        }
    }
}
const WWW_AUTHENTICATE_CHALLENGE = 'OAUTH_WWW_AUTHENTICATE_CHALLENGE';
const RESPONSE_BODY_ERROR = 'OAUTH_RESPONSE_BODY_ERROR';
const UNSUPPORTED_OPERATION = 'OAUTH_UNSUPPORTED_OPERATION';
const PARSE_ERROR = 'OAUTH_PARSE_ERROR';
const INVALID_RESPONSE = 'OAUTH_INVALID_RESPONSE';
const RESPONSE_IS_NOT_JSON = 'OAUTH_RESPONSE_IS_NOT_JSON';
const RESPONSE_IS_NOT_CONFORM = 'OAUTH_RESPONSE_IS_NOT_CONFORM';
const HTTP_REQUEST_FORBIDDEN = 'OAUTH_HTTP_REQUEST_FORBIDDEN';
const REQUEST_PROTOCOL_FORBIDDEN = 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN';
const JWT_TIMESTAMP_CHECK = 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED';
const JWT_CLAIM_COMPARISON = 'OAUTH_JWT_CLAIM_COMPARISON_FAILED';
const MISSING_SERVER_METADATA = 'OAUTH_MISSING_SERVER_METADATA';
const INVALID_SERVER_METADATA = 'OAUTH_INVALID_SERVER_METADATA';
async function revocationRequest(as, client, clientAuthentication, token, options) {
    assertAs(as);
    assertClient(client);
    assertString(token, '"token"');
    const url = resolveEndpoint(as, 'revocation_endpoint', client.use_mtls_endpoint_aliases, options?.[allowInsecureRequests] !== true);
    const body = new URLSearchParams(options?.additionalParameters);
    body.set('token', token);
    const headers = prepareHeaders(options?.headers);
    headers.delete('accept');
    return authenticatedRequest(as, client, clientAuthentication, url, body, headers, options);
}
async function processRevocationResponse(response) {
    if (!looseInstanceOf(response, Response)) {
        throw CodedTypeError('"response" must be an instance of Response', ERR_INVALID_ARG_TYPE);
    }
    await checkOAuthBodyError(response, 200, 'Revocation Endpoint');
    return undefined;
}
function assertReadableResponse(response) {
    if (response.bodyUsed) {
        throw CodedTypeError('"response" body has been used already', ERR_INVALID_ARG_VALUE);
    }
}
function checkRsaKeyAlgorithm(key) {
    const { algorithm } = key;
    if (typeof algorithm.modulusLength !== 'number' || algorithm.modulusLength < 2048) {
        throw new UnsupportedOperationError(`unsupported ${algorithm.name} modulusLength`, {
            cause: key,
        });
    }
}
function ecdsaHashName(key) {
    const { algorithm } = key;
    switch (algorithm.namedCurve) {
        case 'P-256':
            return 'SHA-256';
        case 'P-384':
            return 'SHA-384';
        case 'P-521':
            return 'SHA-512';
        default:
            throw new UnsupportedOperationError('unsupported ECDSA namedCurve', { cause: key });
    }
}
function keyToSubtle(key) {
    switch (key.algorithm.name) {
        case 'ECDSA':
            return {
                name: key.algorithm.name,
                hash: ecdsaHashName(key),
            };
        case 'RSA-PSS': {
            checkRsaKeyAlgorithm(key);
            switch (key.algorithm.hash.name) {
                case 'SHA-256':
                case 'SHA-384':
                case 'SHA-512':
                    return {
                        name: key.algorithm.name,
                        saltLength: parseInt(key.algorithm.hash.name.slice(-3), 10) >> 3,
                    };
                default:
                    throw new UnsupportedOperationError('unsupported RSA-PSS hash name', { cause: key });
            }
        }
        case 'RSASSA-PKCS1-v1_5':
            checkRsaKeyAlgorithm(key);
            return key.algorithm.name;
        case 'ML-DSA-44':
        case 'ML-DSA-65':
        case 'ML-DSA-87':
        case 'Ed25519':
            return key.algorithm.name;
    }
    throw new UnsupportedOperationError('unsupported CryptoKey algorithm name', { cause: key });
}
async function validateJwt(jws, checkAlg, clockSkew, clockTolerance, decryptJwt) {
    let { 0: protectedHeader, 1: payload, length } = jws.split('.');
    if (length === 5) {
        {
            throw new UnsupportedOperationError('JWE decryption is not configured', { cause: jws });
        }
    }
    if (length !== 3) {
        throw OPE('Invalid JWT', INVALID_RESPONSE, jws);
    }
    let header;
    try {
        header = JSON.parse(buf(b64u(protectedHeader)));
    }
    catch (cause) {
        throw OPE('failed to parse JWT Header body as base64url encoded JSON', PARSE_ERROR, cause);
    }
    if (!isJsonObject(header)) {
        throw OPE('JWT Header must be a top level object', INVALID_RESPONSE, jws);
    }
    checkAlg(header);
    if (header.crit !== undefined) {
        throw new UnsupportedOperationError('no JWT "crit" header parameter extensions are supported', {
            cause: { header },
        });
    }
    let claims;
    try {
        claims = JSON.parse(buf(b64u(payload)));
    }
    catch (cause) {
        throw OPE('failed to parse JWT Payload body as base64url encoded JSON', PARSE_ERROR, cause);
    }
    if (!isJsonObject(claims)) {
        throw OPE('JWT Payload must be a top level object', INVALID_RESPONSE, jws);
    }
    const now = epochTime() + clockSkew;
    if (claims.exp !== undefined) {
        if (typeof claims.exp !== 'number') {
            throw OPE('unexpected JWT "exp" (expiration time) claim type', INVALID_RESPONSE, { claims });
        }
        if (claims.exp <= now - clockTolerance) {
            throw OPE('unexpected JWT "exp" (expiration time) claim value, expiration is past current timestamp', JWT_TIMESTAMP_CHECK, { claims, now, tolerance: clockTolerance, claim: 'exp' });
        }
    }
    if (claims.iat !== undefined) {
        if (typeof claims.iat !== 'number') {
            throw OPE('unexpected JWT "iat" (issued at) claim type', INVALID_RESPONSE, { claims });
        }
    }
    if (claims.iss !== undefined) {
        if (typeof claims.iss !== 'string') {
            throw OPE('unexpected JWT "iss" (issuer) claim type', INVALID_RESPONSE, { claims });
        }
    }
    if (claims.nbf !== undefined) {
        if (typeof claims.nbf !== 'number') {
            throw OPE('unexpected JWT "nbf" (not before) claim type', INVALID_RESPONSE, { claims });
        }
        if (claims.nbf > now + clockTolerance) {
            throw OPE('unexpected JWT "nbf" (not before) claim value', JWT_TIMESTAMP_CHECK, {
                claims,
                now,
                tolerance: clockTolerance,
                claim: 'nbf',
            });
        }
    }
    if (claims.aud !== undefined) {
        if (typeof claims.aud !== 'string' && !Array.isArray(claims.aud)) {
            throw OPE('unexpected JWT "aud" (audience) claim type', INVALID_RESPONSE, { claims });
        }
    }
    return { header, claims, jwt: jws };
}
function checkSigningAlgorithm(client, issuer, fallback, header) {
    if (client !== undefined) {
        if (typeof client === 'string' ? header.alg !== client : !client.includes(header.alg)) {
            throw OPE('unexpected JWT "alg" header parameter', INVALID_RESPONSE, {
                header,
                expected: client,
                reason: 'client configuration',
            });
        }
        return;
    }
    if (Array.isArray(issuer)) {
        if (!issuer.includes(header.alg)) {
            throw OPE('unexpected JWT "alg" header parameter', INVALID_RESPONSE, {
                header,
                expected: issuer,
                reason: 'authorization server metadata',
            });
        }
        return;
    }
    if (fallback !== undefined) {
        if (typeof fallback === 'string'
            ? header.alg !== fallback
            : typeof fallback === 'function'
                ? !fallback(header.alg)
                : !fallback.includes(header.alg)) {
            throw OPE('unexpected JWT "alg" header parameter', INVALID_RESPONSE, {
                header,
                expected: fallback,
                reason: 'default value',
            });
        }
        return;
    }
    throw OPE('missing client or server configuration to verify used JWT "alg" header parameter', undefined, { client, issuer, fallback });
}
async function getResponseJsonBody(response, check = assertApplicationJson) {
    let json;
    try {
        json = await response.json();
    }
    catch (cause) {
        check(response);
        throw OPE('failed to parse "response" body as JSON', PARSE_ERROR, cause);
    }
    if (!isJsonObject(json)) {
        throw OPE('"response" body must be a top level object', INVALID_RESPONSE, { body: json });
    }
    return json;
}
const _expectedIssuer = Symbol();

/** The WebCrypto algorithm each JWS algorithm signs with. */
const SIGNING_ALGORITHMS = {
    RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    ES256: { name: 'ECDSA', namedCurve: 'P-256' },
    ES384: { name: 'ECDSA', namedCurve: 'P-384' },
    EdDSA: { name: 'Ed25519' }
};
/**
 * `client_secret_basic` (RFC 6749 section 2.3.1): the form-encoded client id and secret, joined by
 * `:`, base64 in an HTTP Basic `Authorization` header. See {@link formEncodeCredential}.
 */
function clientSecretBasic(clientSecret) {
    return (_as, client, _body, headers) => {
        const credentials = `${formEncodeCredential(client.client_id)}:${formEncodeCredential(clientSecret)}`;
        headers.set('authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
    };
}
/**
 * The client authentication of every request: oauth4webapi's own implementations, except
 * `client_secret_basic` (see {@link clientSecretBasic}).
 * @param tokenEndpoint the audience of a `private_key_jwt` assertion
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3 (secrets), RFC 7523 (private_key_jwt),
 *   RFC 8705 section 2 (tls_client_auth: the certificate goes in the TLS handshake)
 */
function clientAuthentication(auth, tokenEndpoint) {
    switch (auth.method) {
        case 'client_secret_basic':
            return clientSecretBasic(auth.clientSecret);
        case 'client_secret_post':
            return ClientSecretPost(auth.clientSecret);
        case 'none':
            return None();
        case 'tls_client_auth':
            return TlsClientAuth();
        case 'private_key_jwt': {
            const key = createPrivateKey(auth.privateKeyPem).toCryptoKey(SIGNING_ALGORITHMS[auth.algorithm], false, ['sign']);
            return PrivateKeyJwt(key, {
                [modifyAssertion]: (header, payload) => {
                    // oauth4webapi names an Ed25519 signature `Ed25519` (RFC 9864); far more servers know
                    // the older `EdDSA`, which means the same signature.
                    if (auth.algorithm === 'EdDSA')
                        header.alg = 'EdDSA';
                    // oauth4webapi addresses the assertion to the issuer identifier, which token-url does
                    // not give (Keycloak's has a realm path, Auth0's a trailing slash). The token endpoint
                    // is the audience RFC 7523 section 3 names, and the one servers accept most widely.
                    payload.aud = tokenEndpoint;
                }
            });
        }
    }
}

/**
 * What each way an OAuth2 request can fail means for the credential, in words the user can act
 * on. Messages name inputs and endpoints, never a token, a secret or a response body.
 */
const DESCRIPTION_MAX = 300;
const REAUTHORIZE = 're-run the authorization flow and store the new refresh token where this action reads it (the secret refresh-token-secret names, or store-secret-id in AWS).';
const RECOVERY_HINT = 'With recovery-public-key configured, an earlier run may have logged the live refresh token sealed to that key (its recovery ciphertext): open it with the recovery private key and store that token instead.';
const NO_REPLAY = 'This run does not retry: presenting a used refresh token again makes a rotating server revoke the whole grant. ' +
    'If a later run reports that re-authorization is needed, the server did use it: then ' +
    REAUTHORIZE;
/** The inputs that carry the client's credentials for each authentication method. */
const CREDENTIAL_HINT = {
    client_secret_basic: 'client-id and client-secret',
    client_secret_post: 'client-id and client-secret',
    none: 'client-id (client-auth none needs a client registered as public)',
    private_key_jwt: 'client-id and client-private-key (its public key must be registered for the client)',
    tls_client_auth: 'client-id, client-certificate and client-key (the certificate subject must be the one registered for the client)'
};
/**
 * An error text from a server, with every known secret removed in every encoding it went out in
 * (a server that echoes the request quotes the form body and the `Authorization` header), then cut
 * short and put on one line. Redacted before it is cut, so no cut can split a secret past matching.
 */
function sanitize(text, secrets) {
    const clean = redactSecrets(text, secrets)
        .replace(/\p{Cc}+/gu, ' ')
        .trim();
    return clean.length > DESCRIPTION_MAX ? `${clean.slice(0, DESCRIPTION_MAX)}...` : clean;
}
function oauthError(error, context) {
    const description = typeof error.error_description === 'string' && error.error_description !== ''
        ? `: ${sanitize(error.error_description, context.secrets)}`
        : '';
    return `${sanitize(error.error, context.secrets)}${description}`;
}
/** The OAuth error a `WWW-Authenticate` challenge carries (RFC 6750 section 3), if any. */
function challengeError(error, context) {
    for (const challenge of error.cause) {
        const { error: code, error_description: description } = challenge.parameters;
        if (typeof code === 'string' && code !== '') {
            const detail = typeof description === 'string' && description !== ''
                ? `: ${sanitize(description, context.secrets)}`
                : '';
            return `${sanitize(code, context.secrets)}${detail}`;
        }
    }
    return `HTTP ${error.status} with an authentication challenge`;
}
function credentialsAdvice(context) {
    return `check ${CREDENTIAL_HINT[context.clientAuth]}, and that client-auth (${context.clientAuth}) is the method the client is registered with`;
}
/** A refresh whose outcome cannot be known: the server may have used the refresh token. */
function outcomeUnknown(what, cause) {
    return new ActionError(`${what} The server may have used the refresh token and issued a new one that this run never received. ${NO_REPLAY}`, { code: 'issuer-outcome-unknown', phase: 'mint', cause });
}
/** The refresh request failed in transit. */
function refreshTransportFailure(error, attempts, context) {
    if (error.reached) {
        return outcomeUnknown(`The token endpoint ${context.url} may have received the refresh request, but no answer came back (${error.detail}).`, error);
    }
    return new ActionError(`Could not reach the token endpoint ${context.url} in ${attemptsText(attempts)} (${error.detail}). The request never reached the server, so the refresh token was not used: run again once the server is reachable.`, { code: 'issuer-unreachable', phase: 'mint', retryable: true, cause: error });
}
/** The token endpoint answered with a status that is neither success nor an OAuth error. */
function refreshStatusFailure(response, context) {
    const { status } = response;
    if (status >= 500 || status < 300) {
        // The server got the request and did not refuse it: it may have processed it.
        return outcomeUnknown(`The token endpoint ${context.url} answered HTTP ${status} to the refresh request.`, undefined);
    }
    if (status >= 300 && status < 400) {
        const location = URL.parse(response.headers.get('location') ?? '', context.url);
        const where = location ? ` to ${location.origin}${location.pathname}` : '';
        return new ActionError(`The token endpoint ${context.url} answered HTTP ${status}, a redirect${where}: set token-url to the token endpoint's exact address (the refresh request is never sent on to another address).`, { code: 'issuer-rejected', phase: 'mint' });
    }
    return new ActionError(`The token endpoint ${context.url} answered HTTP ${status} to the refresh request. ${statusAdvice(status, context)}`, { code: 'issuer-rejected', phase: 'mint' });
}
function statusAdvice(status, context) {
    switch (status) {
        case 401:
        case 403:
            return `The client was not accepted: ${credentialsAdvice(context)}.`;
        case 404:
        case 405:
            return 'Check token-url: it should be the token endpoint from the server metadata.';
        case 429:
            return 'The server is limiting requests: run again later.';
        default:
            return 'Check token-url, client-id and client-auth.';
    }
}
/** What oauth4webapi reported about the token endpoint's answer. */
function refreshAnswerFailure(error, context) {
    if (error instanceof ResponseBodyError) {
        const what = oauthError(error, context);
        switch (error.error) {
            case 'invalid_grant':
                return new ActionError(`Re-authorization needed: the OAuth2 server refused the refresh token (${what}): it has expired, was revoked, or was already used. To recover, ${REAUTHORIZE} ${RECOVERY_HINT}`, { code: 'reauthorization-needed', phase: 'mint' });
            case 'invalid_client':
                return rejected(`The OAuth2 server did not accept the client's authentication (${what}): ${credentialsAdvice(context)}.`);
            case 'unauthorized_client':
                return rejected(`The client may not use the refresh_token grant (${what}): allow that grant for client-id at the OAuth2 server.`);
            case 'unsupported_grant_type':
                return rejected(`The token endpoint does not support the refresh_token grant (${what}): check token-url.`);
            case 'invalid_scope':
                return rejected(`The OAuth2 server refused the scope (${what}): a refresh may ask for the scopes of the original grant or fewer; narrow scope, or remove it to keep the grant's scopes.`);
            default:
                return rejected(`The token endpoint refused the refresh request (${what}): check token-url, client-id, client-auth and scope.`);
        }
    }
    if (error instanceof WWWAuthenticateChallengeError) {
        return rejected(`The OAuth2 server did not accept the client's authentication (${challengeError(error, context)}): ${credentialsAdvice(context)}.`);
    }
    // A 200 that oauth4webapi cannot use: the server has most likely used the refresh token.
    const reason = error instanceof Error ? sanitize(error.message, context.secrets) : 'unreadable';
    return outcomeUnknown(`The token endpoint ${context.url} answered the refresh request with a token response that cannot be used (${reason}).`, undefined);
}
function rejected(message) {
    return new ActionError(message, { code: 'issuer-rejected', phase: 'mint' });
}
const STAYS_VALID = 'The old access token stays valid until it expires; revoke it at the server.';
function attemptsText(attempts) {
    return `${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}`;
}
/** Revocation failed in transit on every attempt. */
function revocationTransportFailure(error, attempts, context) {
    return new ActionError(`Could not revoke at ${context.url} in ${attemptsText(attempts)} (${error.detail}). ${STAYS_VALID}`, { code: 'issuer-unreachable', phase: 'retire', retryable: true, cause: error });
}
/** The revocation endpoint answered with a status that is neither 200 nor an OAuth error. */
function revocationStatusFailure(response, attempts, context) {
    const { status } = response;
    if (status >= 500) {
        return new ActionError(`The revocation endpoint ${context.url} answered HTTP ${status} in ${attemptsText(attempts)}. ${STAYS_VALID}`, { code: 'issuer-unreachable', phase: 'retire', retryable: true });
    }
    const advice = status === 401 || status === 403 ? credentialsAdvice(context) : 'check revocation-url';
    return new ActionError(`The revocation endpoint ${context.url} answered HTTP ${status}: ${advice}. ${STAYS_VALID}`, { code: 'issuer-rejected', phase: 'retire' });
}
/** What oauth4webapi reported about the revocation endpoint's answer. */
function revocationAnswerFailure(error, context) {
    let what = error instanceof Error ? sanitize(error.message, context.secrets) : 'unreadable';
    let advice = 'check revocation-url';
    if (error instanceof ResponseBodyError) {
        what = oauthError(error, context);
        if (error.error === 'unsupported_token_type') {
            advice = 'the server does not revoke access tokens; turn revoke-previous off';
        }
        else if (error.error === 'invalid_client') {
            advice = credentialsAdvice(context);
        }
    }
    else if (error instanceof WWWAuthenticateChallengeError) {
        what = challengeError(error, context);
        advice = credentialsAdvice(context);
    }
    return new ActionError(`The revocation endpoint ${context.url} refused the request (${what}): ${advice}. ${STAYS_VALID}`, { code: 'issuer-rejected', phase: 'retire' });
}

/** The fields of a token response that hold a credential. */
const TOKEN_FIELDS = ['access_token', 'refresh_token', 'id_token'];
function jsonObject(text) {
    const shape = valueShape(text);
    return shape.kind === 'object' ? shape.object : undefined;
}
/** Longer than any real token lifetime: a server that sends more means "never expires". */
const MAX_EXPIRES_IN_SECONDS = 100 * 366 * 24 * 60 * 60;
/**
 * Turns `expires_in` into a time. A value that makes no time (negative, zero, not finite, not a
 * safe integer, past any real lifetime: 9223372036854775807 is a common "never expires") is left
 * out with a warning: the token was minted and must still be stored, published and reported, and
 * an invalid date would stop the run after the new token is already out.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
function expiryFrom(expiresIn, now) {
    if (expiresIn === undefined)
        return {};
    const seconds = Math.floor(expiresIn);
    const usable = Number.isSafeInteger(seconds) && seconds > 0 && seconds <= MAX_EXPIRES_IN_SECONDS;
    const expiresAt = usable ? new Date(now.getTime() + seconds * 1000) : undefined;
    if (expiresAt !== undefined && !Number.isNaN(expiresAt.getTime()))
        return { expiresAt };
    return {
        warning: `The token endpoint answered expires_in ${String(expiresIn)}, which is not a lifetime in seconds between 1 and ${String(MAX_EXPIRES_IN_SECONDS)}; the access token is treated as having no known expiry (the expires-at output stays empty).`
    };
}
/**
 * The tokens of a successful answer that oauth4webapi refused (a missing `token_type`, say). By
 * then the server has consumed the refresh token, so the tokens it sent are the only live ones:
 * they must reach the store, not be thrown away with the error.
 */
async function salvageTokens(response) {
    if (!response.ok)
        return undefined;
    const json = jsonObject(await response.text());
    const access = json?.access_token;
    if (json === undefined || typeof access !== 'string' || access === '')
        return undefined;
    const refresh = json.refresh_token;
    const expires = json.expires_in;
    return {
        access_token: access,
        ...(typeof refresh === 'string' && refresh !== '' ? { refresh_token: refresh } : {}),
        ...(typeof expires === 'number' ? { expires_in: expires } : {})
    };
}
/**
 * The first look at a token endpoint's answer, before oauth4webapi checks it: every token in it
 * is masked at once, whatever happens next, and the ID token is dropped.
 *
 * The ID token is not what the action rotates, and validating it needs the issuer identifier and
 * the ID token signing algorithm, which the inputs do not give (the metadata is built from
 * token-url alone). By then the server has consumed the refresh token: failing on an ID token
 * claim would throw away the only copy of the new one.
 */
async function screenTokenResponse(response, mask) {
    if (response.body === null)
        return response;
    const text = await response.text();
    const json = jsonObject(text);
    let body = text;
    if (json !== undefined) {
        for (const field of TOKEN_FIELDS) {
            const value = json[field];
            if (typeof value === 'string' && value !== '')
                mask(value);
        }
        if ('id_token' in json) {
            delete json.id_token;
            body = JSON.stringify(json);
        }
    }
    return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers
    });
}

/** Attempts per request, the first included. */
const OAUTH2_ATTEMPTS = 3;
/** The wait before each retry: before the 2nd attempt, before the 3rd. */
const BACKOFF_MS = [1_000, 4_000];
const SYSTEM_CLOCK = { now: () => new Date() };
/**
 * The OAuth2 issuer: mints with the refresh-token grant (RFC 6749 section 6) and revokes with
 * RFC 7009, through oauth4webapi. The server metadata is built from the configured endpoints, so
 * no discovery request is made.
 *
 * A refresh request is repeated only when it provably never reached the server (no connection
 * could be opened, or the TLS handshake failed): with rotating refresh tokens a replay of a
 * request the server did process is a reuse, and servers answer a reuse by revoking the grant.
 *
 * `revoke` revokes an access token (`token_type_hint=access_token`). RFC 7009 section 2.1 lets a
 * server revoke the refresh tokens of the same grant along with it, and oidc-provider does: there,
 * revoking the previous rotation's access token also kills the refresh token minted after it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
function createOAuth2Issuer(config, deps) {
    const { log, mask } = deps;
    const sleep = deps.sleep ?? ((ms) => setTimeout(ms));
    const clock = deps.clock ?? SYSTEM_CLOCK;
    const tokenUrl = new URL(config.tokenUrl);
    const revocationUrl = config.revocationUrl === undefined ? undefined : new URL(config.revocationUrl);
    const as = {
        issuer: tokenUrl.origin,
        token_endpoint: tokenUrl.href,
        ...(revocationUrl ? { revocation_endpoint: revocationUrl.href } : {})
    };
    const client = { client_id: config.clientId };
    const clientAuth = clientAuthentication(config.clientAuth, tokenUrl.href);
    const transport = createTransport({ tls: config.tls, timeoutMs: config.timeoutMs });
    const options = {
        [customFetch]: transport,
        ...(plainHttpAllowed(tokenUrl, revocationUrl)
            ? // eslint-disable-next-line @typescript-eslint/no-deprecated -- loopback servers only, checked there
                { [allowInsecureRequests]: true }
            : {})
    };
    const clientSecret = 'clientSecret' in config.clientAuth ? [config.clientAuth.clientSecret] : [];
    const context = (url, secret) => ({
        url: url.href,
        clientAuth: config.clientAuth.method,
        secrets: [secret, ...clientSecret]
    });
    /** Sends until an answer comes, or `retry` says a failure must not be repeated. */
    async function send(request, retry, url) {
        for (let attempt = 1;; attempt += 1) {
            let outcome;
            try {
                outcome = await request();
            }
            catch (error) {
                if (!(error instanceof TransportError))
                    throw error;
                outcome = error;
            }
            const wait = BACKOFF_MS[attempt - 1];
            if (wait === undefined || attempt >= OAUTH2_ATTEMPTS || !retry(outcome)) {
                return { outcome, attempts: attempt };
            }
            const why = outcome instanceof TransportError ? outcome.detail : `HTTP ${outcome.status}`;
            log.warning(`${url.href}: ${why}; retrying in ${wait / 1000} s (attempt ${attempt + 1} of ${OAUTH2_ATTEMPTS})`);
            await sleep(wait);
        }
    }
    async function mint(current) {
        const failure = context(tokenUrl, current);
        log.info(`Refreshing at ${tokenUrl.href} as client ${config.clientId} (${config.clientAuth.method})`);
        const request = () => refreshTokenGrantRequest(as, client, clientAuth, current, {
            ...options,
            ...(config.scope !== undefined ? { additionalParameters: { scope: config.scope } } : {})
        });
        const { outcome, attempts } = await send(request, 
        // Only a request that provably never reached the server may be repeated.
        outcome => outcome instanceof TransportError && !outcome.reached, tokenUrl);
        if (outcome instanceof TransportError) {
            throw refreshTransportFailure(outcome, attempts, failure);
        }
        const response = await screenTokenResponse(outcome, mask);
        const salvage = await salvageTokens(response.clone());
        let tokens;
        try {
            tokens = await processRefreshTokenResponse(as, client, response);
        }
        catch (error) {
            const oauthError = error instanceof ResponseBodyError ||
                error instanceof WWWAuthenticateChallengeError;
            if (oauthError || salvage === undefined) {
                if (error instanceof OperationProcessingError &&
                    error.code === RESPONSE_IS_NOT_CONFORM) {
                    throw refreshStatusFailure(outcome, failure);
                }
                throw refreshAnswerFailure(error, failure);
            }
            // The server answered 2xx with tokens and has consumed the refresh token: keep them.
            log.warning(`The token response did not pass validation (${refreshAnswerFailure(error, failure).message}); its tokens are used anyway, since the server has already replaced the refresh token.`);
            tokens = salvage;
        }
        // RFC 6749 section 6: without a refresh_token in the answer, the current one stays valid.
        const next = tokens.refresh_token ?? current;
        const rotated = next !== current;
        if (rotated) {
            log.info('The OAuth2 server issued a new refresh token and a new access token');
        }
        else {
            log.info('The OAuth2 server issued a new access token and kept the refresh token (RFC 6749 section 6): the current one stays the one to store');
        }
        const minted = { value: tokens.access_token, next, rotated };
        const expiry = expiryFrom(tokens.expires_in, clock.now());
        if (expiry.warning !== undefined)
            log.warning(expiry.warning, { title: 'Token lifetime' });
        if (expiry.expiresAt !== undefined)
            minted.expiresAt = expiry.expiresAt;
        return minted;
    }
    async function revoke(url, value) {
        const failure = context(url, value);
        const request = () => revocationRequest(as, client, clientAuth, value, {
            ...options,
            additionalParameters: { token_type_hint: 'access_token' }
        });
        // Revoking twice is harmless (RFC 7009 section 2.2), so anything transient is retried.
        const { outcome, attempts } = await send(request, outcome => outcome instanceof TransportError || outcome.status >= 500, url);
        if (outcome instanceof TransportError) {
            throw revocationTransportFailure(outcome, attempts, failure);
        }
        try {
            await processRevocationResponse(outcome);
        }
        catch (error) {
            if (error instanceof OperationProcessingError &&
                error.code === RESPONSE_IS_NOT_CONFORM) {
                throw revocationStatusFailure(outcome, attempts, failure);
            }
            throw revocationAnswerFailure(error, failure);
        }
        // A 200 is also the answer for a token the server does not know: it proves nothing, which is
        // why the engine checks the old value afterwards.
        log.info(`The revocation endpoint ${url.href} accepted the revocation`);
    }
    const issuer = {
        kind: 'oauth2',
        // RFC 7009 names the token by its value: a deferred revocation needs the value kept for it.
        revokes: 'value',
        // Every attempt may wait for its whole timeout, and the backoff between them.
        mintTimeoutMs: OAUTH2_ATTEMPTS * config.timeoutMs + BACKOFF_MS.reduce((a, b) => a + b, 0),
        mint: guard(mint)
    };
    if (revocationUrl !== undefined) {
        issuer.revoke = guard((retired) => revoke(revocationUrl, tokenOf(retired)), 'retire');
    }
    return issuer;
}
/**
 * True when an endpoint is plain http, which oauth4webapi must then be told to allow. Only loopback
 * hosts may be: the refresh token and the client's credentials would otherwise travel in clear
 * text. Configuration validation says so first; this holds for a configuration built by hand too.
 */
function plainHttpAllowed(...urls) {
    const plain = urls.filter(url => url !== undefined && url.protocol !== 'https:');
    for (const url of plain) {
        if (url?.protocol !== 'http:' || !isLoopbackHost(url.hostname)) {
            throw new ActionError(`${url?.origin ?? 'An endpoint'} is not https: the refresh token and the client's credentials would travel in clear text (plain http is accepted only for loopback test servers)`, { code: 'unsafe-endpoint', phase: 'config' });
        }
    }
    return plain.length > 0;
}
/** The token to revoke: RFC 7009 takes the token itself, never an id of it. */
function tokenOf(retired) {
    if (retired.by === 'value')
        return retired.value;
    throw new ActionError(`The OAuth2 issuer revokes a token by its value (RFC 7009), and was given only the handle of ${retired.fingerprint}`, { code: 'internal', phase: 'retire' });
}
/** Anything unforeseen becomes an ActionError of the step, so the report says where it failed. */
function guard(step, phase = 'mint') {
    return async (argument) => {
        try {
            return await step(argument);
        }
        catch (error) {
            if (error instanceof ActionError)
                throw error;
            throw new ActionError(`The OAuth2 ${phase === 'mint' ? 'refresh' : 'revocation'} request could not be made: ${error instanceof Error ? error.message : 'unexpected error'}`, { code: 'internal', phase, cause: error });
        }
    };
}

/** The OAuth2 issuer of a credential that mints with a refresh-token grant. */
function assembleOAuth2(config, deps) {
    const oauth2 = config.slices.oauth2;
    if (!oauth2)
        return {};
    // undici carries the token requests: it loads while the first GitHub requests are in flight.
    import('./index-BPbuj0Mu.js').then(function (n) { return n.i; }).catch(() => undefined);
    const { log, sleep } = deps;
    return {
        issuer: createOAuth2Issuer(oauth2, {
            mask: secret => {
                deps.mask(secret);
            },
            log,
            sleep
        })
    };
}

export { assembleOAuth2 };
