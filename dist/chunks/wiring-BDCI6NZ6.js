import { randomBytes, createHash } from 'node:crypto';
import { j as createVaultHttp, k as isInvalidToken, v as vaultError, L as LOGIN_REFUSED, V as VaultResponseError, l as vaultSaid, n as isStaticPath, p as readStaticRole, q as isStaticHandle, s as VAULT_REFUSED, u as isCasMismatch, P as POLICIES_DOC, w as VAULT_FORBIDDEN, x as VAULT_DYNAMIC } from './index-Czz4Wkal.js';
import { A as ActionError, d as describeError } from './errors-DDD4RsHd.js';
import { l as leaseDeadline, s as shortLeaseReason } from './lease-BbQJ8jVX.js';
import { o as object, b as boolean, n as number, s as string } from './schemas-D3_i4Iqf.js';
import { f as fingerprint } from './fingerprint-BIBL6_Db.js';
import { D as DEFAULT_PERSIST_TIMEOUT_MS, p as persistWithRetries } from './persist-retries-B2StcHuD.js';
import { b as rotationStateSchema } from './state-VUS-4fVQ.js';
import { a as fieldOf } from './document-fields-Cgg7T9zY.js';
import { v as valueShape } from './secret-document-CqJ-VHjJ.js';
import './duration-Cyz5SPp-.js';
import './wording-CXsTWj4t.js';
import './loopback-CdUp0z11.js';
import './lists-D2x1VrPX.js';
import './backoff-CUn3El8i.js';

/** Time left under which the login token is renewed before a request: longer than any request. */
const RENEW_MARGIN_MS = 2 * 60_000;
/** How much longer a renewal asks for; Vault may grant less (its max TTL), which is read back. */
const RENEW_INCREMENT_S = 3600;
/** Attempts of a request that may be sent again. */
const IDEMPOTENT_ATTEMPTS = 3;
/** Where the JWT login is documented. */
const JWT_DOC = 'docs/providers/vault.md#jwt-login';
/** Reads `auth` of a login or token creation answer. */
function authOf(answer) {
    const auth = answer.body?.auth;
    if (typeof auth !== 'object' || auth === null)
        return undefined;
    const { client_token, accessor, lease_duration, renewable } = auth;
    if (typeof client_token !== 'string' || client_token === '')
        return undefined;
    return {
        clientToken: client_token,
        accessor: typeof accessor === 'string' ? accessor : '',
        leaseDuration: typeof lease_duration === 'number' ? lease_duration : 0,
        renewable: renewable === true
    };
}
/**
 * The run's session with one Vault server: it logs in once, with the first request that needs a
 * token, renews the token when it would expire before a request is done, and revokes it when the
 * run is over (`auth/token/revoke-self`), whatever happened. A token given as it is (method
 * `token`) is used and never revoked: it is not the run's to end.
 */
class VaultSession {
    http;
    #connection;
    #deps;
    #login;
    /** Every token the run logged in for: each is revoked at the end. */
    #own = [];
    constructor(connection, deps) {
        this.#connection = connection;
        this.#deps = deps;
        this.http = createVaultHttp(connection.endpoint, connection.timeoutMs);
    }
    /** Vault's address (and namespace), for messages. */
    get where() {
        const { address, namespace } = this.#connection.endpoint;
        return namespace === undefined ? address : `${address} (namespace ${namespace})`;
    }
    /**
     * Sends a request with the run's token. A request that may be sent again is tried up to three
     * times while its failure may heal (no answer, Vault sealed or busy).
     * @throws ActionError naming the path, what was being done and what to do
     */
    async call(request, doing) {
        const token = await this.#token(doing.phase);
        try {
            return await this.send({ ...request, token: token.value }, doing);
        }
        catch (error) {
            // The run's own token died early (revoked by someone, or Vault's clock ran ahead of the
            // TTL it said): one new login, and the request once more.
            if (!token.own || !(error instanceof ActionError) || !isInvalidToken(error.cause))
                throw error;
            this.#deps.log.warning(`Vault no longer accepts the run's token at ${this.where} (accessor ${token.accessor ?? 'unknown'}); logging in again.`);
            this.#login = this.#logIn(doing.phase);
            const fresh = await this.#login;
            return this.send({ ...request, token: fresh.value }, doing);
        }
    }
    /** Sends a request with `token` (or none, for a login), as {@link call} does. */
    async send(request, doing) {
        const attempts = doing.idempotent === true ? IDEMPOTENT_ATTEMPTS : 1;
        for (let attempt = 1;; attempt += 1) {
            try {
                return await this.http.send(request);
            }
            catch (error) {
                const failure = vaultError(error, doing);
                const again = failure.retryable && attempt < attempts && request.signal?.aborted !== true;
                if (!again)
                    throw failure;
                this.#deps.log.debug(`Vault request ${request.method} ${request.path} failed (attempt ${attempt}); trying again: ${failure.message}`);
                await this.#deps.sleep(1000 * 2 ** (attempt - 1));
            }
        }
    }
    /** The run's token, logged in for (or renewed) when needed. */
    async #token(phase) {
        this.#login ??= this.#logIn(phase);
        let held;
        try {
            held = await this.#login;
        }
        catch (error) {
            // The next request tries again: a login refused once is refused again, said again.
            this.#login = undefined;
            throw error;
        }
        const left = held.expiresAt === undefined ? Infinity : held.expiresAt - this.#now();
        if (left > RENEW_MARGIN_MS)
            return held;
        if (held.renewable && left > 0) {
            const renewed = await this.#renew(held, phase).catch((error) => {
                this.#deps.log.warning(`Could not renew the run's Vault token at ${this.where} (${describeError(error)}); logging in again.`);
                return undefined;
            });
            if (renewed)
                return renewed;
        }
        if (!held.own) {
            throw new ActionError(`The Vault token given to the run (auth method token) ${left > 0 ? 'expires within 2 minutes' : 'has expired'} and cannot be renewed: give a token that lives longer than the run, or log in with jwt or approle.`, { code: LOGIN_REFUSED, phase });
        }
        this.#login = this.#logIn(phase);
        return this.#login;
    }
    async #renew(held, phase) {
        const answer = await this.send({
            method: 'POST',
            path: 'auth/token/renew-self',
            body: { increment: `${RENEW_INCREMENT_S}s` },
            token: held.value
        }, {
            phase,
            doing: "renewing the run's Vault token",
            path: 'auth/token/renew-self',
            capability: 'update',
            idempotent: true
        });
        const auth = authOf(answer);
        if (!auth)
            return undefined;
        // Vault may grant less than asked (the token's max TTL): what it granted is what counts.
        if (auth.leaseDuration > 0)
            held.expiresAt = this.#issuedAt(answer) + auth.leaseDuration * 1000;
        else
            delete held.expiresAt;
        held.renewable = auth.renewable;
        return held.expiresAt === undefined || held.expiresAt - this.#now() > RENEW_MARGIN_MS
            ? held
            : undefined;
    }
    async #logIn(phase) {
        const auth = this.#connection.auth;
        if (auth.method === 'token') {
            this.#deps.mask(auth.token);
            return { value: auth.token, renewable: false, own: false };
        }
        const body = auth.method === 'jwt' ? await this.#jwtBody(auth, phase) : approleBody(auth);
        const path = `auth/${auth.mount}/login`;
        let answer;
        try {
            answer = await this.send({ method: 'POST', path, body }, {
                phase,
                doing: `logging in to Vault at ${this.where} (${path})`,
                path,
                capability: 'update',
                // A second login makes a second token; the first, if it was made, expires on its own.
                idempotent: false
            });
        }
        catch (error) {
            throw loginError(error, auth, path, this.where, phase);
        }
        const token = authOf(answer);
        if (!token) {
            throw new ActionError(`Vault's answer to the login at ${path} holds no client_token: is ${auth.mount} a ${auth.method} auth mount?`, { code: LOGIN_REFUSED, phase });
        }
        this.#deps.mask(token.clientToken);
        const held = {
            value: token.clientToken,
            accessor: token.accessor,
            renewable: token.renewable,
            own: true,
            ...(token.leaseDuration > 0 ? { expiresAt: answer.sentAt + token.leaseDuration * 1000 } : {})
        };
        this.#own.push(held);
        this.#deps.log.info(`Logged in to Vault at ${this.where} with ${auth.method}${auth.method === 'jwt' ? ` as role ${auth.role}` : ''} (token accessor ${token.accessor || 'unknown'}${token.leaseDuration > 0 ? `, valid ${token.leaseDuration} s` : ''}).`);
        return held;
    }
    async #jwtBody(auth, phase) {
        let jwt = auth.jwt;
        if (jwt === undefined) {
            const idToken = this.#deps.idToken;
            if (!idToken) {
                throw new ActionError(`Vault login with method jwt needs the workflow's OIDC token, and this run has none: in GitHub Actions give the job \`permissions: id-token: write\`; in another CI pass the CI's token as vault.auth.jwt ({ env: NAME }, GitLab: an id_tokens variable) or vault-jwt-token. See ${JWT_DOC}.`, { code: 'invalid-input', phase });
            }
            try {
                jwt = await idToken(auth.audience);
            }
            catch (error) {
                throw new ActionError(`Could not get the workflow's OIDC token for audience ${auth.audience} (${describeError(error)}): the job needs \`permissions: id-token: write\`. See ${JWT_DOC}.`, { code: 'invalid-input', phase, cause: error });
            }
        }
        this.#deps.mask(jwt);
        return { role: auth.role, jwt };
    }
    /**
     * Revokes every token the run logged in for (`auth/token/revoke-self`), so none outlives the run.
     * Never throws: what it could not do is a warning, with the token's accessor to revoke it by.
     */
    async close() {
        for (const held of this.#own.splice(0)) {
            try {
                await this.send({ method: 'POST', path: 'auth/token/revoke-self', token: held.value }, {
                    phase: 'report',
                    doing: "revoking the run's own Vault token",
                    path: 'auth/token/revoke-self',
                    capability: 'update',
                    idempotent: true
                });
                this.#deps.log.info(`Revoked the run's Vault token at ${this.where} (accessor ${held.accessor ?? 'unknown'}).`);
            }
            catch (error) {
                // An expired token is as good as revoked.
                if (error instanceof ActionError && error.cause instanceof VaultResponseError) {
                    if (error.cause.status === 403 && (held.expiresAt ?? Infinity) <= this.#now())
                        continue;
                }
                this.#deps.log.warning(`Could not revoke the run's Vault token at ${this.where} (${describeError(error)}); it expires on its own${held.expiresAt !== undefined ? ` at ${new Date(held.expiresAt).toISOString()}` : ''}. To end it now: vault token revoke -accessor ${held.accessor ?? '<accessor>'}.`);
            }
        }
        this.#login = undefined;
        await this.http.close().catch(() => undefined);
    }
    #now() {
        return this.#deps.clock.now().getTime();
    }
    /** When the request that `answer` answers left, on the run's clock: a TTL counts from no earlier. */
    #issuedAt(answer) {
        return this.#now() - (Date.now() - answer.sentAt);
    }
}
function approleBody(auth) {
    return { role_id: auth.roleId, secret_id: auth.secretId };
}
/** A refused login, with what to check for its method. */
function loginError(error, auth, path, where, phase) {
    if (!(error instanceof ActionError) || !(error.cause instanceof VaultResponseError)) {
        return error instanceof ActionError
            ? error
            : new ActionError(describeError(error), { code: 'internal', phase, cause: error });
    }
    const cause = error.cause;
    if (cause.status >= 500 || cause.status === 429)
        return error;
    const said = vaultSaid(cause);
    const advice = auth.method === 'jwt'
        ? `check that role ${auth.role} exists on the ${auth.mount} mount and that its bound_audiences include ${auth.audience} and its bound_claims match this workflow (repository, ref or environment); see ${JWT_DOC}`
        : `check the role_id and that the secret_id is valid and not used up or expired (AppRole on the ${auth.mount} mount)`;
    return new ActionError(`Vault at ${where} refused the ${auth.method} login at ${path} (${cause.status})${said}: ${advice}.`, { code: LOGIN_REFUSED, phase, cause: error });
}

/**
 * The capabilities the dynamic issuer needs, for the preflight's check: the read, the token that
 * holds the lease, and (with `revokes`) the two revocations of a replaced credential. The token's
 * revocation is needed either way: it ends a token whose read failed.
 */
function dynamicNeeds(settings, revokes) {
    if (isStaticPath(settings.path)) {
        return [{ path: settings.path, anyOf: ['read'], for: "reading the static role's credential" }];
    }
    const renews = settings.renewBeforeMs === undefined
        ? []
        : [
            {
                path: 'sys/leases/renew',
                anyOf: ['update'],
                for: 'renewing the lease (issuer.renew-before)'
            },
            {
                path: 'auth/token/renew-accessor',
                anyOf: ['update'],
                for: 'renewing the token that holds the lease (issuer.renew-before)'
            }
        ];
    const tokenPath = settings.tokenRole !== undefined
        ? `auth/token/create/${settings.tokenRole}`
        : 'auth/token/create-orphan';
    return [
        { path: settings.path, anyOf: ['read'], for: 'reading the dynamic credential' },
        { path: tokenPath, anyOf: ['update'], for: 'the token that holds the lease' },
        {
            path: 'auth/token/revoke-accessor',
            anyOf: ['update'],
            for: "revoking a replaced lease's token (and one whose read failed)"
        },
        ...(revokes
            ? [
                {
                    path: 'sys/leases/revoke',
                    anyOf: ['update'],
                    for: 'revoking the replaced lease after the grace period (retire.revoke-previous)'
                }
            ]
            : []),
        ...renews
    ];
}
const HANDLE = /^lease=(\S*) accessor=(\S*)(?: ttl=(\d+))?$/;
/** The handle the record keeps: public names only (a lease id, a token accessor, a duration). */
function formatHandle(handle) {
    const ttl = handle.ttlS !== undefined && handle.ttlS > 0 ? ` ttl=${String(handle.ttlS)}` : '';
    return `lease=${handle.leaseId} accessor=${handle.accessor}${ttl}`;
}
/** Reads a handle back; undefined for one this issuer did not write. */
function parseHandle(text) {
    const match = HANDLE.exec(text);
    if (!match)
        return undefined;
    const [, leaseId = '', accessor = '', ttl] = match;
    if (leaseId === '' && accessor === '')
        return undefined;
    return { leaseId, accessor, ...(ttl !== undefined ? { ttlS: Number(ttl) } : {}) };
}
/**
 * `issuer: vault-dynamic`: reads a path that answers with a lease (`database/creds/<role>`,
 * `aws/creds/<role>`, ...). The value is the JSON document of the answer's `data`, each of its
 * fields masked at once.
 *
 * The read never uses the run's login token: Vault revokes a token's leases with it, so the
 * credential would die at the run's `revoke-self`. Each read gets a token of its own that outlives
 * the run, an orphan (`auth/token/create-orphan`, or a token role with `orphan: true`); its secret
 * is forgotten after the read, and its accessor is kept with the lease id in the handle the record
 * keeps. Retiring revokes the lease (`sys/leases/revoke`), then that token
 * (`auth/token/revoke-accessor`); either one already gone counts as revoked.
 */
function createDynamicIssuer(options) {
    return {
        kind: 'vault-dynamic',
        revokes: 'handle',
        // A token creation and a read, each tried at most once.
        mintTimeoutMs: 2 * 60_000,
        mint: () => (isStaticPath(options.path) ? readStaticRole(options) : mintDynamic(options)),
        revoke: retired => revokeDynamic(options, retired)
    };
}
async function mintDynamic(options) {
    const { session, path, mask, log, clock } = options;
    const token = await createLeaseToken(options);
    mask(token.clientToken);
    let answer;
    try {
        answer = await session.send({ method: 'GET', path, token: token.clientToken }, {
            phase: 'mint',
            doing: `reading the dynamic credential ${path}`,
            path,
            capability: 'read',
            // A second read is a second lease: never sent again.
            idempotent: false
        });
    }
    catch (error) {
        // A lease the read may have made dies with its token.
        await revokeAccessor(options, token.accessor).catch((failure) => {
            log.warning(`Could not revoke the token made for reading ${path} (accessor ${token.accessor}): ${describeError(failure)}; it expires on its own.`);
        });
        throw error;
    }
    const body = (answer.body ?? {});
    const data = body.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        await revokeAccessor(options, token.accessor).catch(() => undefined);
        throw new ActionError(`Vault's answer for ${path} holds no data: is it a path that issues credentials?`, {
            code: VAULT_REFUSED,
            phase: 'mint'
        });
    }
    for (const field of Object.values(data)) {
        if (typeof field === 'string' && field !== '')
            mask(field);
    }
    const value = JSON.stringify(data);
    mask(value);
    const leaseId = typeof body.lease_id === 'string' ? body.lease_id : '';
    const leaseSeconds = typeof body.lease_duration === 'number' ? body.lease_duration : 0;
    if (leaseId === '') {
        log.warning(`${path} answered without a lease: nothing revokes this credential later but its token (accessor ${token.accessor}).`);
    }
    const now = clock.now().getTime();
    // The credential lives as long as its lease and the token that holds it, whichever ends first.
    const ends = [leaseSeconds, token.leaseDuration].filter(s => s > 0);
    const expiresAt = ends.length > 0 ? new Date(now + Math.min(...ends) * 1000) : undefined;
    if (leaseSeconds > 0 && token.leaseDuration > 0 && token.leaseDuration < leaseSeconds) {
        log.warning(`The token that holds the lease of ${path} expires in ${token.leaseDuration} s, before the lease (${leaseSeconds} s): the credential stops working then. Raise issuer.token-ttl (or the token role's TTL).`);
    }
    log.info(`Read ${path}: lease ${leaseId || 'none'}${leaseSeconds > 0 ? ` for ${leaseSeconds} s` : ''}, held by token accessor ${token.accessor}.`);
    return {
        value,
        next: '',
        rotated: false,
        ...(expiresAt ? { expiresAt } : {}),
        handle: formatHandle({ leaseId, accessor: token.accessor, ttlS: leaseSeconds })
    };
}
/** Makes the orphan token a lease is read with. */
async function createLeaseToken(options) {
    const { session, tokenRole, tokenTtl, tokenPolicies, path } = options;
    const endpoint = tokenRole !== undefined ? `auth/token/create/${tokenRole}` : 'auth/token/create-orphan';
    const answer = await session.call({
        method: 'POST',
        path: endpoint,
        body: {
            display_name: 'token-rotation',
            renewable: true,
            meta: { purpose: `lease of ${path}` },
            ...(tokenTtl !== undefined ? { ttl: tokenTtl } : {}),
            ...(tokenPolicies !== undefined ? { policies: tokenPolicies } : {})
        }
    }, {
        phase: 'mint',
        doing: `creating the token that holds the lease of ${path}`,
        path: endpoint,
        capability: 'update',
        // A second token would be a second orphan: never sent again.
        idempotent: false
    });
    const auth = authOf(answer);
    if (!auth) {
        throw new ActionError(`Vault's answer to ${endpoint} holds no token.`, {
            code: VAULT_REFUSED,
            phase: 'mint'
        });
    }
    return auth;
}
async function revokeDynamic(options, retired) {
    if (retired.by !== 'handle') {
        throw new ActionError('The Vault dynamic issuer revokes by handle only.', {
            code: 'internal',
            phase: 'retire'
        });
    }
    if (isStaticHandle(retired.handle)) {
        // Vault rotated the old password away itself: nothing of it is left to revoke.
        options.log.info(`${options.path} is a static role: its replaced password (${retired.fingerprint}) ended with Vault's rotation; nothing to revoke.`);
        return;
    }
    const handle = parseHandle(retired.handle);
    if (!handle) {
        throw new ActionError(`The recorded handle of ${retired.fingerprint} is not a Vault lease this action wrote; revoke it by hand.`, { code: 'state-invalid', phase: 'retire' });
    }
    if (handle.leaseId !== '')
        await revokeLease(options, handle.leaseId);
    if (handle.accessor !== '')
        await revokeAccessor(options, handle.accessor);
}
/** `sys/leases/revoke`: Vault answers 204 for a lease already gone (revoked or expired). */
async function revokeLease(options, leaseId) {
    try {
        await options.session.call({ method: 'PUT', path: 'sys/leases/revoke', body: { lease_id: leaseId } }, {
            phase: 'retire',
            doing: `revoking the lease ${leaseId}`,
            path: 'sys/leases/revoke',
            capability: 'update',
            idempotent: true
        });
    }
    catch (error) {
        if (gone(error, /invalid lease|lease not found|not found/i))
            return;
        throw error;
    }
}
/** `auth/token/revoke-accessor`: a token already gone (expired, revoked) is as good as revoked. */
async function revokeAccessor(options, accessor) {
    try {
        await options.session.call({ method: 'POST', path: 'auth/token/revoke-accessor', body: { accessor } }, {
            phase: 'retire',
            doing: `revoking the token with accessor ${accessor}`,
            path: 'auth/token/revoke-accessor',
            capability: 'update',
            idempotent: true
        });
    }
    catch (error) {
        if (gone(error, /invalid accessor|not found|invalid token/i))
            return;
        throw error;
    }
}
/** Vault said the thing to revoke does not exist (any more). */
function gone(error, said) {
    const cause = error instanceof ActionError ? error.cause : error;
    return (cause instanceof VaultResponseError &&
        (cause.status === 404 || (cause.status === 400 && cause.errors.some(e => said.test(e)))));
}

/**
 * A KV version 2 mount: versioned secrets, written with check-and-set (`options.cas`), and their
 * custom_metadata.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2
 */
class KvV2 {
    session;
    mount;
    constructor(session, mount) {
        this.session = session;
        this.mount = mount;
    }
    dataPath(path) {
        return `${this.mount}/data/${path}`;
    }
    metadataPath(path) {
        return `${this.mount}/metadata/${path}`;
    }
    /** `mount/path`, for messages. */
    name(path) {
        return `${this.mount}/${path}`;
    }
    /** Reads the newest version (or `version`) of the secret at `path`. */
    async read(path, phase, options = {}) {
        const dataPath = this.dataPath(path);
        let answer;
        try {
            answer = await this.session.call({
                method: 'GET',
                path: dataPath,
                ...(options.version !== undefined ? { query: { version: String(options.version) } } : {}),
                ...(options.signal ? { signal: options.signal } : {})
            }, {
                phase,
                doing: `reading ${options.version !== undefined ? `version ${options.version} of ` : ''}the KV secret ${this.name(path)}`,
                path: dataPath,
                capability: 'read',
                idempotent: true
            });
        }
        catch (error) {
            const cause = error instanceof ActionError ? error.cause : undefined;
            if (cause instanceof VaultResponseError && cause.status === 404) {
                // A deleted or destroyed version answers 404 with its metadata; no secret, without.
                const metadata = metadataOf(cause.body);
                if (metadata !== undefined || cause.errors.length === 0) {
                    return { found: false, currentVersion: versionOf(metadata) ?? 0 };
                }
            }
            throw error;
        }
        const inner = answer.body?.data;
        const data = inner?.data;
        const metadata = metadataOf(answer.body);
        const version = versionOf(metadata);
        const created = createdOf(metadata);
        if (version === undefined || created === undefined) {
            throw new ActionError(`Vault's answer for ${this.name(path)} is not a KV version 2 secret (no metadata.version): is ${this.mount} a KV version 2 mount?`, { code: VAULT_REFUSED, phase });
        }
        if (typeof data !== 'object' || data === null) {
            return { found: false, currentVersion: version, answer };
        }
        return {
            found: true,
            latest: {
                version,
                createdTime: created,
                data: data,
                customMetadata: customOf(metadata)
            },
            answer
        };
    }
    /**
     * Writes a new version with check-and-set: `cas` is the version this write replaces (0: only if
     * the secret does not exist). Vault answers 400 when another writer got there first.
     */
    async write(path, data, cas, phase, options = {}) {
        const dataPath = this.dataPath(path);
        const answer = await this.session.call({
            method: 'POST',
            path: dataPath,
            body: { options: { cas }, data },
            ...(options.signal ? { signal: options.signal } : {})
        }, {
            phase,
            doing: options.doing ?? `writing the KV secret ${this.name(path)}`,
            path: dataPath,
            capability: cas === 0 ? 'create' : 'update',
            // With cas, a write sent twice cannot land twice.
            idempotent: true
        });
        const written = answer.body?.data;
        const version = versionOf(written);
        const created = createdOf(written);
        if (version === undefined || created === undefined) {
            throw new ActionError(`Vault's answer to the write of ${this.name(path)} names no version: is ${this.mount} a KV version 2 mount?`, { code: VAULT_REFUSED, phase });
        }
        return { version, createdTime: created, answer };
    }
    /** Reads the version-agnostic metadata; undefined when the secret has none. */
    async readMetadata(path, phase) {
        const metadataPath = this.metadataPath(path);
        let answer;
        try {
            answer = await this.session.call({ method: 'GET', path: metadataPath }, {
                phase,
                doing: `reading the metadata of the KV secret ${this.name(path)}`,
                path: metadataPath,
                capability: 'read',
                idempotent: true
            });
        }
        catch (error) {
            const cause = error instanceof ActionError ? error.cause : undefined;
            if (cause instanceof VaultResponseError && cause.status === 404)
                return undefined;
            throw error;
        }
        const data = answer.body?.data;
        const current = data?.current_version;
        return {
            currentVersion: typeof current === 'number' ? current : 0,
            customMetadata: customOf(data),
            casRequired: data?.cas_required === true
        };
    }
    /** Replaces the secret's custom_metadata (every key: pass the ones to keep). */
    async writeMetadata(path, customMetadata, phase, options = {}) {
        const metadataPath = this.metadataPath(path);
        await this.session.call({
            method: 'POST',
            path: metadataPath,
            body: { custom_metadata: customMetadata },
            ...(options.signal ? { signal: options.signal } : {})
        }, {
            phase,
            doing: options.doing ?? `writing the custom_metadata of the KV secret ${this.name(path)}`,
            path: metadataPath,
            capability: 'update',
            idempotent: true
        });
    }
}
function metadataOf(body) {
    const data = body?.data;
    const metadata = data?.metadata;
    return typeof metadata === 'object' && metadata !== null
        ? metadata
        : undefined;
}
function versionOf(metadata) {
    const version = metadata?.version;
    return typeof version === 'number' && Number.isInteger(version) ? version : undefined;
}
function createdOf(metadata) {
    const created = metadata?.created_time;
    if (typeof created !== 'string')
        return undefined;
    const date = new Date(created);
    return Number.isNaN(date.getTime()) ? undefined : date;
}
function customOf(metadata) {
    const custom = metadata?.custom_metadata;
    if (typeof custom !== 'object' || custom === null)
        return {};
    return Object.fromEntries(Object.entries(custom).filter((entry) => typeof entry[1] === 'string'));
}

/**
 * What the lock secret's newest version holds: who holds it and for how long from the version's
 * `created_time` (Vault's clock), or that it was released. Never a secret.
 */
const lockSchema = object({
    owner: string(),
    token: string(),
    ttlMs: number().int().min(0),
    released: boolean().optional()
});
/** Rounds of read and write before a run gives up on a lock that keeps changing. */
const MAX_ROUNDS = 3;
/**
 * Vault's clock as the runner knows it: bounds on Vault's time minus the runner's, narrowed by
 * every answer (its `Date`, cut to the second) and every write (its `created_time`, which Vault
 * took between the request leaving and its answer arriving). Runners' clocks disagree; a lock's
 * times are Vault's.
 */
class VaultClock {
    #low = Number.NEGATIVE_INFINITY;
    #high = Number.POSITIVE_INFINITY;
    /** Learns from an answer's `Date`. */
    observe(answer) {
        if (answer.date === undefined)
            return;
        const date = answer.date.getTime();
        this.#narrow(date - answer.receivedAt, date + 1000 - answer.sentAt);
    }
    /** Learns from a write Vault stamped `created` while `answer` was under way. */
    observeWrite(created, answer) {
        const at = created.getTime();
        this.#narrow(at - answer.receivedAt, at - answer.sentAt);
    }
    /** The earliest Vault's clock can read now; undefined before any answer. */
    earliest() {
        return Number.isFinite(this.#low) ? new Date(Date.now() + this.#low) : undefined;
    }
    /** The latest Vault's clock can read now; undefined before any answer. */
    latest() {
        return Number.isFinite(this.#high) ? new Date(Date.now() + this.#high) : undefined;
    }
    #narrow(low, high) {
        this.#low = Math.max(this.#low, low);
        this.#high = Math.min(this.#high, high);
        // Answers that disagree (a Date header off by more than its second): trust the newest.
        if (this.#low > this.#high)
            [this.#low, this.#high] = [low, high];
    }
}
/**
 * The one-writer lock of a Vault store: a KV v2 secret of its own, taken with check-and-set.
 *
 * - Free (no secret: `cas: 0`; or its newest version says `released`, or was deleted): the run
 *   writes its holding with `cas` set to the version it read. Only one run can write the next
 *   version; the other gets 400 and reads again.
 * - Held, its lease not over (the version's `created_time` plus its `ttlMs`, judged on Vault's
 *   clock): refused with code `locked`.
 * - Held and expired: taken over the same way, with `cas` set to the expired version.
 *
 * The release writes a `released` version with `cas` set to the run's own version: it can never
 * replace a successor's holding, however late it lands.
 */
function createKvLock(options) {
    return {
        description: `Vault KV secret ${options.kv.name(options.path)}`,
        acquire: (owner, ttlMs) => acquireKvLock(options, owner, ttlMs)
    };
}
async function acquireKvLock(options, owner, ttlMs) {
    const { kv, path, clock, log } = options;
    const mine = { owner, token: randomBytes(8).toString('hex'), ttlMs };
    for (let round = 1; round <= MAX_ROUNDS; round += 1) {
        const read = await kv.read(path, 'preflight');
        if (read.answer)
            clock.observe(read.answer);
        let cas = read.found ? read.latest.version : read.currentVersion;
        let takenOver;
        if (read.found) {
            const held = parseLock(read.latest.data);
            if (held?.token === mine.token) {
                // This run's own write, whose answer was lost.
                options.onHeld?.(true);
                return new KvLease(options, mine, read.latest.version, read.latest.createdTime);
            }
            if (held?.released !== true) {
                const expiresAt = new Date(read.latest.createdTime.getTime() + (held?.ttlMs ?? 0));
                const now = clock.earliest();
                if (now === undefined || expiresAt > now) {
                    throw lockedError(options, held, read.latest.createdTime, expiresAt);
                }
                takenOver = held
                    ? `Took over the lock ${kv.name(path)}: ${held.owner} took it at ${iso$1(read.latest.createdTime)} and its lease ended at ${iso$1(expiresAt)} by Vault's clock, without a release (that run most likely died).`
                    : `Took over the lock ${kv.name(path)}: its newest version is not a lock this action wrote, and it was written at ${iso$1(read.latest.createdTime)}.`;
            }
            cas = read.latest.version;
        }
        try {
            const written = await kv.write(path, { ...mine }, cas, 'preflight', {
                doing: `taking the lock ${kv.name(path)}`
            });
            clock.observeWrite(written.createdTime, written.answer);
            if (takenOver !== undefined)
                log.warning(takenOver);
            options.onHeld?.(true);
            return new KvLease(options, mine, written.version, written.createdTime);
        }
        catch (error) {
            const cause = error instanceof ActionError ? error.cause : error;
            // Another run wrote the lock between this run's read and write: read again.
            if (isCasMismatch(cause))
                continue;
            throw error;
        }
    }
    throw new ActionError(`The lock ${kv.name(path)} changed hands ${MAX_ROUNDS} times while this run was taking it: other runs are starting at the same time. Nothing was minted; run again once they have finished.`, { code: 'locked', phase: 'preflight' });
}
/** The lock held by this run: version `version` of the lock secret. */
class KvLease {
    holder;
    #options;
    #mine;
    #version;
    #endsAt;
    constructor(options, mine, version, createdTime) {
        this.#options = options;
        this.#mine = mine;
        this.#version = version;
        this.#endsAt = new Date(createdTime.getTime() + mine.ttlMs);
        this.holder = `${mine.owner} (lock version ${version})`;
    }
    endsBy() {
        return this.#endsAt;
    }
    now() {
        return this.#options.clock.earliest() ?? new Date(0);
    }
    leftMs() {
        const latest = this.#options.clock.latest();
        return latest === undefined ? 0 : this.#endsAt.getTime() - latest.getTime();
    }
    deadline(marginMs) {
        const { kv, path } = this.#options;
        return leaseDeadline(`the lock ${kv.name(path)}`, this.leftMs(), marginMs);
    }
    async confirm(neededMs) {
        const { kv, path, clock } = this.#options;
        const read = await kv.read(path, 'mint');
        if (read.answer)
            clock.observe(read.answer);
        if (!read.found) {
            return {
                held: false,
                owned: false,
                reason: `the lock ${kv.name(path)} was deleted by someone else while this run held it`
            };
        }
        const held = parseLock(read.latest.data);
        if (read.latest.version !== this.#version || held?.token !== this.#mine.token) {
            return {
                held: false,
                owned: false,
                reason: `the lock ${kv.name(path)} was written by someone else while this run held it (it is at version ${read.latest.version}${held ? `, held by ${held.owner}` : ''}; this run holds version ${this.#version})`
            };
        }
        const leftMs = this.leftMs();
        if (leftMs < neededMs) {
            return {
                held: false,
                owned: true,
                reason: shortLeaseReason(`the lock ${kv.name(path)}`, leftMs, neededMs, iso$1(this.#endsAt), "Vault's")
            };
        }
        return { held: true, endsAt: this.#endsAt, leftMs };
    }
    /**
     * Writes a released version with `cas` set to this run's own: if another run wrote the lock
     * since, Vault refuses, and that run's holding stays. A failure is only a warning.
     */
    async release() {
        const { kv, path, log, onHeld } = this.#options;
        onHeld?.(false);
        try {
            await kv.write(path, { ...this.#mine, released: true }, this.#version, 'report', {
                doing: `releasing the lock ${kv.name(path)}`
            });
        }
        catch (error) {
            const cause = error instanceof ActionError ? error.cause : error;
            log.warning(isCasMismatch(cause)
                ? `Left the lock ${kv.name(path)} as it is: someone else wrote it after this run took it (version ${this.#version}).`
                : `${describeError(error)} The lock's lease ends on its own at ${iso$1(this.#endsAt)} (Vault's clock); until then other runs wait for it.`);
        }
    }
}
function parseLock(data) {
    const parsed = lockSchema.safeParse(data);
    return parsed.success ? parsed.data : undefined;
}
function lockedError(options, held, since, expiresAt) {
    const { kv, path } = options;
    return new ActionError(`Another rotation holds the lock ${kv.name(path)}: ${held?.owner ?? 'an unknown writer'}, since ${iso$1(since)}; its lease ends at ${iso$1(expiresAt)} by Vault's clock. Wait for that run to finish and run again; once the lease has ended, the next run takes the lock over by itself. If that run is known to be dead, release the lock by hand (vault kv delete -mount=${kv.mount} ${path}) and run again.`, { code: 'locked', phase: 'preflight' });
}
function iso$1(date) {
    return date.toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * `issuer.renew-before`: when the published credential's lease ends sooner than that, renews the
 * lease (`sys/leases/renew`) and the token that holds it (`auth/token/renew-accessor`), each for the
 * lease's first duration, and returns the record with the end Vault granted. Vault may grant less
 * than asked (the role's `max_ttl`, the token's): what it granted is read back from
 * `lease_duration`, and a short grant is a warning, since renewing cannot keep the credential past
 * it; the schedule's `before-expiry` then rotates it in time.
 *
 * Never throws: a renewal that fails leaves the record as it was, with a warning.
 * @see https://developer.hashicorp.com/vault/api-docs/system/leases#renew-lease
 */
async function renewPublished(options, state) {
    const { log, clock, renewBeforeMs } = options;
    const published = state.published;
    const handle = published?.handle === undefined ? undefined : parseHandle(published.handle);
    if (published?.expiresAt === undefined || handle === undefined || handle.leaseId === '') {
        return state;
    }
    const now = clock.now().getTime();
    const endsAt = Date.parse(published.expiresAt);
    if (endsAt - now > renewBeforeMs)
        return state;
    if (endsAt <= now) {
        log.warning(`The published lease ${handle.leaseId} ended at ${iso(endsAt)}: it cannot be renewed; the next rotation replaces it.`);
        return state;
    }
    try {
        const granted = await renew(options, handle);
        const newEnd = now + granted.seconds * 1000;
        if (handle.ttlS !== undefined && granted.seconds < handle.ttlS) {
            log.warning(`Vault renewed the lease ${handle.leaseId} for ${String(granted.seconds)} s of the ${String(handle.ttlS)} s asked (${granted.by}): the credential now ends at ${iso(newEnd)}, and renewing cannot keep it longer. Rotate it before then (schedule.before-expiry).`);
        }
        else {
            log.info(`Renewed the lease ${handle.leaseId}, which ended at ${iso(endsAt)} (within issuer.renew-before): it now ends at ${iso(newEnd)}.`);
        }
        return { ...state, published: { ...published, expiresAt: new Date(newEnd).toISOString() } };
    }
    catch (error) {
        log.warning(`Could not renew the lease ${handle.leaseId}, which ends at ${iso(endsAt)}: ${describeError(error)}`);
        return state;
    }
}
/** Renews the lease, then its token; the seconds the credential now has, and what bounds them. */
async function renew(options, handle) {
    const { session } = options;
    const increment = handle.ttlS !== undefined ? { increment: `${String(handle.ttlS)}s` } : {};
    let answer;
    try {
        answer = await session.call({ method: 'PUT', path: 'sys/leases/renew', body: { lease_id: handle.leaseId, ...increment } }, {
            phase: 'preflight',
            doing: `renewing the lease ${handle.leaseId}`,
            path: 'sys/leases/renew',
            capability: 'update',
            idempotent: true
        });
    }
    catch (error) {
        const cause = error instanceof ActionError ? error.cause : undefined;
        if (cause instanceof VaultResponseError &&
            cause.status === 400 &&
            cause.errors.some(e => /lease not found|invalid lease/i.test(e))) {
            throw new ActionError('Vault no longer has it (revoked, or expired by its own clock): the next rotation replaces it.', { code: 'vault-not-found', phase: 'preflight', cause: error });
        }
        throw error;
    }
    const body = answer.body;
    const leaseSeconds = typeof body?.lease_duration === 'number' ? body.lease_duration : 0;
    let seconds = leaseSeconds;
    let by = "the role's max_ttl";
    if (handle.accessor !== '') {
        const token = await session.call({
            method: 'POST',
            path: 'auth/token/renew-accessor',
            body: { accessor: handle.accessor, ...increment }
        }, {
            phase: 'preflight',
            doing: `renewing the token with accessor ${handle.accessor}, which holds the lease`,
            path: 'auth/token/renew-accessor',
            capability: 'update',
            idempotent: true
        });
        // Vault leaves client_token empty in an answer by accessor: only the duration is read.
        const auth = token.body?.auth;
        const tokenSeconds = typeof auth?.lease_duration === 'number' ? auth.lease_duration : 0;
        // A token that does not expire (0) bounds nothing; one that ends first ends the lease with it.
        if (tokenSeconds > 0 && tokenSeconds < seconds) {
            seconds = tokenSeconds;
            by = `the max TTL of the token that holds it (accessor ${handle.accessor})`;
        }
    }
    return { seconds, by };
}
function iso(ms) {
    return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * Checks, without writing anything, that the run's token has what each path needs: Vault's
 * `sys/capabilities-self` (in Vault's default policy) answers the token's capabilities on each
 * path. A token without it, or a Vault that does not answer it, is not checked here: the write
 * itself then says what is missing.
 * @returns the paths checked, or undefined when Vault could not say
 * @throws ActionError naming the first capability missing, before anything is consumed
 */
async function requireCapabilities(session, needed, phase) {
    const paths = [...new Set(needed.map(n => n.path))];
    let body;
    try {
        const answer = await session.call({ method: 'POST', path: 'sys/capabilities-self', body: { paths } }, {
            phase,
            doing: "checking the run's capabilities",
            path: 'sys/capabilities-self',
            capability: 'update',
            idempotent: true
        });
        body = answer.body;
    }
    catch (error) {
        const cause = error instanceof ActionError ? error.cause : undefined;
        // Not allowed or not served: the writes will tell.
        if (cause instanceof VaultResponseError && cause.status < 500)
            return false;
        throw error;
    }
    const of = (path) => {
        const record = body;
        const data = record?.data;
        const found = data?.[path] ??
            record?.[path] ??
            (paths.length === 1 ? (data?.capabilities ?? record?.capabilities) : undefined);
        return Array.isArray(found)
            ? found.filter((c) => typeof c === 'string')
            : undefined;
    };
    for (const need of needed) {
        const has = of(need.path);
        if (has === undefined)
            return false;
        if (has.includes('root'))
            continue;
        if (has.includes('deny') || !need.anyOf.some(c => has.includes(c))) {
            throw new ActionError(`The run's Vault token lacks \`${need.anyOf.join('` or `')}\` on ${need.path} (it has: ${has.length > 0 ? has.join(', ') : 'none'}), which ${need.for} needs: add it to the token's policy; see ${POLICIES_DOC}. Nothing was minted or written.`, { code: VAULT_FORBIDDEN, phase });
        }
    }
    return true;
}

/**
 * The rotation record kept in a KV v2 secret's custom_metadata: fingerprints, times, run names and
 * handles, never a value. Vault limits custom_metadata to 64 keys, each key to 128 bytes and each
 * value to 512 bytes, so the record's JSON is cut into numbered keys of at most {@link CHUNK}
 * characters (ASCII only, so characters are bytes). Keys this action did not write are kept.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2#custom_metadata
 */
/** The keys the record is cut into: `token-rotation-record-0`, `-1`, ... */
const RECORD_PREFIX = 'token-rotation-record-';
/** Vault's limits on custom_metadata. */
const CUSTOM_METADATA_LIMITS = { keys: 64};
/** Characters per key: under the value limit. */
const CHUNK = 500;
/** Keys the record may take at most, leaving the rest to the secret's owners. */
const MAX_CHUNKS = 32;
/** How the record is thinned when it does not fit: the oldest entries go first. */
const THINNED = [
    state => ({ ...state, runs: state.runs.slice(0, 5) }),
    state => ({ ...state, ...(state.history ? { history: state.history.slice(0, 5) } : {}) }),
    state => ({ ...state, runs: state.runs.slice(0, 1) }),
    state => ({ ...state, ...(state.unretired ? { unretired: state.unretired.slice(0, 5) } : {}) })
];
/** Whether `key` is one of the record's. */
function isRecordKey(key) {
    return key.startsWith(RECORD_PREFIX) && /^\d+$/.test(key.slice(RECORD_PREFIX.length));
}
/** The JSON of `state` with every non-ASCII character escaped: one byte per character. */
function asciiJson(state) {
    return JSON.stringify(state).replace(/[\u0080-\uffff]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
/**
 * The custom_metadata that holds `state` next to the secret's other keys (`existing`, whose own
 * record keys are replaced). Thins the record (older runs, older fingerprints) when it does not fit.
 */
function encodeRecord(state, existing) {
    const others = Object.fromEntries(Object.entries(existing).filter(([key]) => !isRecordKey(key)));
    const room = Math.min(MAX_CHUNKS, CUSTOM_METADATA_LIMITS.keys - Object.keys(others).length);
    let candidate = state;
    for (let step = 0;; step += 1) {
        const json = asciiJson(candidate);
        const chunks = Math.ceil(json.length / CHUNK);
        if (chunks <= room) {
            const customMetadata = { ...others };
            for (let i = 0; i < chunks; i += 1) {
                customMetadata[`${RECORD_PREFIX}${String(i)}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
            }
            return { ok: true, customMetadata, thinned: step > 0 };
        }
        const thin = THINNED[step];
        if (!thin) {
            return {
                ok: false,
                reason: `the rotation record needs ${chunks} custom_metadata keys and only ${room} are free (Vault allows ${CUSTOM_METADATA_LIMITS.keys}; the secret has ${Object.keys(others).length} of its own)`
            };
        }
        candidate = thin(candidate);
    }
}
/** Reads the record back from custom_metadata; no record keys is no record (a first rotation). */
function decodeRecord(customMetadata) {
    let json = '';
    for (let i = 0;; i += 1) {
        const chunk = customMetadata[`${RECORD_PREFIX}${String(i)}`];
        if (chunk === undefined)
            break;
        json += chunk;
    }
    if (json === '')
        return { ok: true, state: undefined };
    let parsed;
    try {
        parsed = JSON.parse(json);
    }
    catch {
        return { ok: false, reason: 'its record keys do not hold valid JSON (cut or edited by hand?)' };
    }
    const state = rotationStateSchema.safeParse(parsed);
    if (!state.success) {
        return { ok: false, reason: 'its record keys do not hold a rotation record this action wrote' };
    }
    return { ok: true, state: state.data };
}

/** The part of the persist budget kept for one attempt (the client tries a request 3 times). */
const VAULT_ATTEMPT_MS = 20_000;
/**
 * The store in a Vault KV version 2 secret. The credential lives in `field` of the newest version
 * (every other field is kept), and the write-ahead record lives in the secret's custom_metadata:
 * fingerprints and times, never a value.
 *
 * - The live credential is the newest version's: the run mints from it, no input carries it.
 * - The new credential is written as a new version with `cas` set to the version read, so a write
 *   after another writer's is refused (400) and never replaces it; a retry after a lost answer
 *   finds its own value there and counts as done.
 * - The record's `pending` names the new credential before it is written: a run that finds the
 *   newest version to be the pending one resumes it (promotes it, then rotates from it) instead of
 *   minting from the consumed one.
 * - A newest version this action never saw (stored by hand after a re-authorization) is live, and
 *   marks minted from another credential are superseded; one it knows to be consumed is refused.
 * - `revert` reads the version before the newest and writes it back as a new version, with `cas`.
 *
 * Without `field` the store keeps only the record, in the custom_metadata of a secret that needs
 * no version at all.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2
 */
function createKvStore(options) {
    return new KvStore(options);
}
class KvStore {
    kind = 'vault-kv';
    description;
    resetHint;
    persistTimeoutMs;
    #options;
    #snapshot;
    constructor(options) {
        this.#options = options;
        this.persistTimeoutMs = options.persistTimeoutMs ?? DEFAULT_PERSIST_TIMEOUT_MS;
        const { kv, path, field } = options;
        this.description =
            field === undefined
                ? `the custom_metadata of Vault KV secret ${kv.name(path)}`
                : `Vault KV secret ${kv.name(path)} (field ${field})`;
        this.resetHint = `remove the rotation record from the secret's custom_metadata (vault kv metadata patch -mount=${kv.mount} -remove-custom-metadata=${RECORD_PREFIX}0 ... ${path}, every ${RECORD_PREFIX}<n> key)`;
    }
    async read() {
        return (await this.#load()).credential;
    }
    async readState() {
        const snapshot = await this.#load();
        const decoded = decodeRecord(snapshot.customMetadata);
        if (!decoded.ok) {
            throw new ActionError(`The rotation record in ${this.description} cannot be read: ${decoded.reason}. To start afresh, ${this.resetHint}.`, { code: 'state-invalid', phase: 'preflight' });
        }
        const state = decoded.state;
        if (state === undefined)
            return state;
        if (this.#options.field === undefined)
            return this.#refreshed(state);
        const live = fingerprint(snapshot.credential);
        if (state.pending?.fingerprint === live || state.current?.fingerprint === live)
            return state;
        const consumed = new Set([...(state.history ?? []), state.previous?.fingerprint]);
        if (consumed.has(live)) {
            throw new ActionError(`Version ${snapshot.version} of ${this.description} holds a credential this action has already exchanged (${live}): it was written again after its rotation (a restore, or infrastructure code applying an old value?). Presenting it would revoke the grant, so nothing was sent or written. Store the live refresh token (or a new one after re-authorizing) and run again.`, { code: 'stale-input', phase: 'preflight' });
        }
        // Stored by hand (after a recovery or a re-authorization): it is live, and what earlier runs
        // marked about other credentials no longer applies.
        this.#options.log.info(`Version ${snapshot.version} of ${this.description} holds a credential this action has not seen (${live}); it is taken as the live one.`);
        const fresh = {
            ...state,
            current: { fingerprint: live, since: (snapshot.createdTime ?? new Date(0)).toISOString() }
        };
        delete fresh.pending;
        delete fresh.minting;
        return fresh;
    }
    /**
     * The record brought up to date by `refreshState`, and written back at once when it changed: a
     * run that then finds nothing due writes no record, and what Vault now holds (a lease renewed)
     * must not be lost with it. A failed write is a warning: the change is in Vault already.
     */
    async #refreshed(state) {
        const refresh = this.#options.refreshState;
        if (!refresh)
            return state;
        const next = await refresh(state);
        if (next === state)
            return state;
        await this.writeState(next).catch((error) => {
            this.#options.log.warning(`Could not record the renewed lease in ${this.description}: ${describeError(error)}`);
        });
        return next;
    }
    async writeState(next, write = {}) {
        const snapshot = await this.#load();
        const encoded = encodeRecord(next, snapshot.customMetadata);
        if (!encoded.ok) {
            throw new ActionError(`Could not write the rotation record to ${this.description}: ${encoded.reason}.`, {
                code: 'state-invalid',
                phase: 'report'
            });
        }
        const { kv, path } = this.#options;
        await kv.writeMetadata(path, encoded.customMetadata, 'report', {
            ...(write.signal ? { signal: write.signal } : {}),
            doing: `writing the rotation record to ${this.description}`
        });
        snapshot.customMetadata = encoded.customMetadata;
    }
    async check() {
        const { kv, path, field, lockPath, alsoNeeded = [] } = this.#options;
        await this.#load();
        const needed = [
            {
                path: kv.metadataPath(path),
                anyOf: ['update', 'create'],
                for: 'the rotation record (custom_metadata)'
            },
            { path: kv.dataPath(lockPath), anyOf: ['update', 'create'], for: 'the one-writer lock' }
        ];
        if (field !== undefined) {
            needed.unshift({
                path: kv.dataPath(path),
                anyOf: ['update'],
                for: 'writing the new credential'
            });
        }
        await requireCapabilities(kv.session, [...alsoNeeded, ...needed], 'preflight');
    }
    async persist(credential) {
        const { kv, path, field, log, clock, sleep } = this.#options;
        if (field === undefined) {
            throw new ActionError(`${this.description} keeps no credential to write.`, {
                code: 'internal',
                phase: 'persist'
            });
        }
        const snapshot = await this.#load();
        const data = { ...snapshot.data, [field]: credential };
        const where = `${this.description} (version ${snapshot.version + 1}, cas ${snapshot.version})`;
        await persistWithRetries({
            write: async () => {
                try {
                    const written = await kv.write(path, data, snapshot.version, 'persist', {
                        doing: `writing the new credential to ${kv.name(path)}`
                    });
                    snapshot.version = written.version;
                    snapshot.createdTime = written.createdTime;
                }
                catch (error) {
                    const cause = error instanceof ActionError ? error.cause : error;
                    if (!isCasMismatch(cause))
                        throw error;
                    await this.#afterCasMismatch(credential, snapshot, error);
                }
            },
            where,
            timeoutMs: this.persistTimeoutMs,
            attemptMs: VAULT_ATTEMPT_MS,
            clock,
            sleep,
            log
        });
        snapshot.data = data;
        snapshot.credential = credential;
    }
    /**
     * A write refused by check-and-set: this run's own earlier attempt landed (its answer was lost),
     * or another writer got there first. The secret is read again to tell which.
     */
    async #afterCasMismatch(credential, snapshot, error) {
        const { kv, path, field = '' } = this.#options;
        const read = await kv.read(path, 'persist');
        if (read.found && read.latest.data[field] === credential) {
            snapshot.version = read.latest.version;
            snapshot.createdTime = read.latest.createdTime;
            return;
        }
        throw new ActionError(`Another writer changed ${this.description} during this rotation: it is at version ${read.found ? read.latest.version : read.currentVersion}, and this run read version ${snapshot.version}. The new credential was not written over it (check-and-set). Make sure one workflow rotates this credential (a concurrency group); the new credential is in the recovery ciphertext if a recovery key is set.`, { code: 'store-conflict', phase: 'persist', cause: error });
    }
    async revert() {
        const { kv, path, field, log } = this.#options;
        const snapshot = await this.#load();
        if (field === undefined || snapshot.version < 2) {
            throw new ActionError(`${this.description} has no earlier version to roll back to.`, {
                code: 'invalid-input',
                phase: 'preflight'
            });
        }
        const from = snapshot.version;
        const earlier = await kv.read(path, 'preflight', { version: from - 1 });
        const value = earlier.found ? earlier.latest.data[field] : undefined;
        if (!earlier.found || typeof value !== 'string' || value === '') {
            throw new ActionError(`Version ${from - 1} of ${this.description} ${earlier.found ? `has no field ${field}` : 'is deleted or destroyed'}: there is nothing to roll back to.`, { code: 'invalid-input', phase: 'preflight' });
        }
        const data = earlier.latest.data;
        const commit = async () => {
            try {
                await kv.write(path, data, from, 'promote', {
                    doing: `writing version ${from - 1} of ${kv.name(path)} back`
                });
            }
            catch (error) {
                const cause = error instanceof ActionError ? error.cause : error;
                if (!isCasMismatch(cause))
                    throw error;
                throw new ActionError(`${this.description} changed while this run rolled it back (it is no longer at version ${from}): another writer changed the secret. Nothing was published; run again once it is done.`, { code: 'store-conflict', phase: 'promote', cause: error });
            }
            log.info(`${this.description}: version ${from - 1} written back over version ${from}.`);
            this.#snapshot = undefined;
        };
        return { value, commit };
    }
    async #load() {
        if (this.#snapshot)
            return this.#snapshot;
        const { kv, path, field } = this.#options;
        if (field === undefined) {
            const metadata = await kv.readMetadata(path, 'preflight');
            this.#snapshot = {
                version: metadata?.currentVersion ?? 0,
                data: {},
                credential: '',
                customMetadata: metadata?.customMetadata ?? {}
            };
            return this.#snapshot;
        }
        const read = await kv.read(path, 'preflight');
        if (!read.found) {
            throw new ActionError(`${this.description} ${read.currentVersion === 0 ? 'does not exist' : `has no readable version (version ${read.currentVersion} is deleted or destroyed)`}: store the first credential in it (vault kv put -mount=${kv.mount} ${path} ${field}=...) and run again.`, { code: 'invalid-input', phase: 'preflight' });
        }
        const credential = read.latest.data[field];
        if (typeof credential !== 'string' || credential === '') {
            const fields = Object.keys(read.latest.data);
            throw new ActionError(`Version ${read.latest.version} of ${this.description} has no non-empty string field ${field} (its fields: ${fields.length > 0 ? fields.join(', ') : 'none'}): set store.field to the field that holds the credential, or store it there.`, { code: 'invalid-input', phase: 'preflight' });
        }
        this.#snapshot = {
            version: read.latest.version,
            createdTime: read.latest.createdTime,
            data: read.latest.data,
            credential,
            customMetadata: read.latest.customMetadata
        };
        return this.#snapshot;
    }
}

/** Attempts of one target's read and write when another writer gets in between. */
const CAS_ATTEMPTS = 3;
/**
 * Writes the published value into KV version 2 secrets: each entry reads the secret's newest
 * version, then writes a new one with `cas` set to it, every other field kept. One
 * {@link TargetResult} per entry; a failure fails that entry only.
 */
function createKvTargets(entries, where) {
    const result = (entry, status, extra = {}) => ({
        scope: 'vault',
        type: 'kv-v2',
        target: where,
        name: `${entry.mount}/${entry.path}${entry.field !== undefined ? ` (field ${entry.field})` : ''}`,
        status,
        ...extra
    });
    return {
        preflight: async () => {
            const results = [];
            for (const { entry, kv } of entries) {
                try {
                    const checked = await requireCapabilities(kv.session, [
                        {
                            path: kv.dataPath(entry.path),
                            anyOf: ['read'],
                            for: 'reading the target secret (its other fields are kept)'
                        },
                        {
                            path: kv.dataPath(entry.path),
                            anyOf: ['update', 'create'],
                            for: 'writing the target secret'
                        }
                    ], 'preflight');
                    if (!checked)
                        await kv.read(entry.path, 'preflight');
                    results.push(result(entry, 'planned', {
                        detail: `would write a new version of ${kv.name(entry.path)} with cas`
                    }));
                }
                catch (error) {
                    results.push(result(entry, 'failed', { error: describeError(error) }));
                }
            }
            return results;
        },
        publish: async (value) => {
            const results = [];
            for (const { entry, kv } of entries) {
                try {
                    const created = await writeEntry(kv, entry, value);
                    results.push(result(entry, created ? 'created' : 'updated'));
                }
                catch (error) {
                    results.push(result(entry, 'failed', { error: describeError(error) }));
                }
            }
            return results;
        }
    };
}
/** Writes one entry; true when the secret was created. */
async function writeEntry(kv, entry, value) {
    const fields = fieldsOf(value, entry.field);
    for (let attempt = 1;; attempt += 1) {
        const read = await kv.read(entry.path, 'publish');
        const cas = read.found ? read.latest.version : read.currentVersion;
        const data = { ...(read.found ? read.latest.data : {}), ...fields };
        try {
            await kv.write(entry.path, data, cas, 'publish', {
                doing: `writing the new value to ${kv.name(entry.path)}`
            });
            return cas === 0;
        }
        catch (error) {
            const cause = error instanceof ActionError ? error.cause : error;
            if (!isCasMismatch(cause) || attempt >= CAS_ATTEMPTS)
                throw error;
        }
    }
}
/** The fields an entry writes: the value in its field, or a document's fields. */
function fieldsOf(value, field) {
    const shape = valueShape(value);
    if (field === undefined) {
        if (shape.kind !== 'object') {
            throw new ActionError('the value is not a JSON document: name the KV field it goes to (field)', {
                code: 'invalid-input',
                phase: 'publish'
            });
        }
        return shape.object;
    }
    if (shape.kind === 'plain')
        return { [field]: value };
    const part = fieldOf(value, field);
    if (part === undefined) {
        throw new ActionError(`the value is a JSON document without a string field '${field}'`, {
            code: 'invalid-input',
            phase: 'publish'
        });
    }
    return { [field]: part };
}

/**
 * The Vault parts of a credential: the KV store and its lock, the dynamic issuer, the KV targets.
 * They share the run's one session per Vault server and login (`deps.clients`): one login for
 * every credential that names the same connection, revoked once the run is over.
 */
function assembleVault(config, deps) {
    const slice = config.slices.vault;
    if (!slice)
        return {};
    const { log, clock, sleep } = deps;
    const session = deps.clients.get(sessionKey(slice.connection), () => new VaultSession(slice.connection, {
        mask: secret => {
            deps.mask(secret);
        },
        idToken: deps.idToken,
        log,
        clock,
        sleep
    }), session => session.close());
    const vaultClock = deps.clients.get(`vault clock ${slice.connection.endpoint.address}`, () => new VaultClock());
    const store = slice.store;
    // Renewing is a write: only a rotation that may write renews (not a dry run, not verify).
    const renewBeforeMs = config.issuer === VAULT_DYNAMIC && config.mode === 'rotate' && !config.dryRun
        ? slice.dynamic?.renewBeforeMs
        : undefined;
    const kv = store ? new KvV2(session, store.mount) : undefined;
    /** Whether this credential's run holds its lock now. */
    const holding = { held: false };
    const targets = slice.targets ?? [];
    return {
        ...(store && kv
            ? {
                store: createKvStore({
                    kv,
                    path: store.path,
                    ...(store.field !== undefined ? { field: store.field } : {}),
                    lockPath: store.lockPath,
                    ...(config.issuer === VAULT_DYNAMIC && slice.dynamic
                        ? { alsoNeeded: dynamicNeeds(slice.dynamic, config.revokePrevious) }
                        : {}),
                    ...(renewBeforeMs !== undefined
                        ? {
                            // Only under the lock: the renewal's record write must not cross another
                            // run's (a `mode: plan` job reads the record without the lock).
                            refreshState: state => holding.held
                                ? renewPublished({ session, renewBeforeMs, log, clock }, state)
                                : Promise.resolve(state)
                        }
                        : {}),
                    persistTimeoutMs: config.persistTimeoutMs,
                    log,
                    clock,
                    sleep
                }),
                lock: createKvLock({
                    kv,
                    path: store.lockPath,
                    clock: vaultClock,
                    log,
                    onHeld: held => {
                        holding.held = held;
                    }
                })
            }
            : {}),
        ...(config.issuer === VAULT_DYNAMIC && slice.dynamic
            ? {
                issuer: createDynamicIssuer({
                    ...slice.dynamic,
                    session,
                    mask: secret => {
                        deps.mask(secret);
                    },
                    log,
                    clock
                })
            }
            : {}),
        ...(targets.length > 0
            ? {
                targets: createKvTargets(targets.map(entry => ({ entry, kv: new KvV2(session, entry.mount) })), session.where)
            }
            : {})
    };
}
/** One session per server, namespace and login: the key never holds a secret, only its hash. */
function sessionKey(connection) {
    const { endpoint, auth } = connection;
    const secret = auth.method === 'token'
        ? auth.token
        : auth.method === 'approle'
            ? `${auth.roleId} ${auth.secretId}`
            : `${auth.role} ${auth.audience} ${auth.jwt ?? ''}`;
    const digest = createHash('sha256')
        .update(`${auth.method} ${'mount' in auth ? auth.mount : ''} ${secret}`)
        .update(JSON.stringify(endpoint.tls))
        .digest('hex');
    return `vault ${endpoint.address} ${endpoint.namespace ?? ''} ${digest}`;
}

export { assembleVault };
