import { A as ActionError, d as describeError } from './errors-CCnUE5kW.js';
import { s as sendOptions, D as DEFAULT_REQUEST_TIMEOUT_MS, c as createGitHubClient } from './client-j-_39E1L.js';
import { s as scopeLabel, a as secretsPath, w as writePermission } from './scopes-CFmrc5k8.js';
import { p as parseAnswer, t as toGitHubError, h as hasStatus } from './request-errors-sdmk0HZh.js';
import { o as object, s as string, d as base64, a as array, e as _enum, n as number } from './schemas-CCjUw_cu.js';
import { c as count } from './wording-CXsTWj4t.js';
import { r as repositoryName } from './rules-BKeWwZlR.js';
import { l as loadSodium } from './recovery-key-CNr4Ulo4.js';
import { createStoreClient } from './store-client-YzQypXoH.js';
import { t as targetsFromConfig } from './targets-Disot1bN.js';
import { i as isExpectedStatus } from './health-config-jaeETW7D.js';
import { b as buildProbeRequest, s as sendProbe } from './probe-C-yMzx8y.js';
import { setTimeout as setTimeout$1 } from 'node:timers/promises';
import { i as isLoopbackHost } from './lists-dtTonsQ1.js';
import { createPrivateKey, randomBytes as randomBytes$1 } from 'node:crypto';
import { f as formEncodeCredential, r as redactSecrets } from './redaction-B6IawTZe.js';
import { s as sealForRecovery } from './recovery-box-DJvnXANq.js';
import { R as RequestError } from './index-Cve9QuTp.js';
import { d as datetime, b as rotationStateSchema } from './state-C-1nfSln.js';
import { D as DEFAULT_PERSIST_TIMEOUT_MS, p as persistWithRetries } from './persist-retries-DY5h4BDZ.js';

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

/**
 * The Targets port for a value that is a JSON document: each group of targets (one secret name
 * each) gets one field of it, or the whole value. A field that is missing fails that group's
 * targets with a message naming the field, never the value; the others are still written.
 */
function fieldTargets(publisher, groups) {
    const all = groups.flatMap(group => group.targets);
    return {
        preflight: () => publisher.preflight(all),
        publish: async (value) => {
            const results = [];
            for (const group of groups) {
                const part = group.field === undefined ? value : fieldOf(value, group.field, group.plainWhole);
                if (part === undefined) {
                    results.push(...group.targets.map(t => missing(t, group.field ?? '')));
                    continue;
                }
                results.push(...(await publisher.publish(group.targets, part)));
            }
            return results;
        }
    };
}
/**
 * The health check of one field of a JSON value, or of the whole value when it is not a JSON
 * object. A JSON document is never sent whole: it may hold fields no target was meant to get.
 */
function fieldHealthCheck(inner, field) {
    return {
        description: inner.description,
        check: async (value) => {
            const part = field === undefined ? plainOnly(value) : fieldOf(value, field, true);
            if (part === undefined) {
                return {
                    ok: false,
                    attempts: 0,
                    detail: field === undefined
                        ? 'the value is a JSON document: set store-field to the field the health check sends'
                        : `the value has no string field '${field}'`
                };
            }
            return inner.check(part);
        }
    };
}
function plainOnly(value) {
    return valueShape(value).kind === 'plain' ? value : undefined;
}
/**
 * A string field of a JSON object value (a number or boolean as its text), or undefined.
 * @param plainWhole answer a value that is not a JSON object whole
 */
function fieldOf(value, field, plainWhole = false) {
    const shape = valueShape(value);
    if (shape.kind === 'plain' && plainWhole)
        return value;
    if (shape.kind !== 'object')
        return undefined;
    const found = shape.object[field];
    if (typeof found === 'string')
        return found;
    if (typeof found === 'number' || typeof found === 'boolean')
        return String(found);
    return undefined;
}
function missing(target, field) {
    return {
        scope: target.scope.kind,
        type: target.scope.type,
        target: scopeLabel(target.scope),
        name: target.name,
        status: 'failed',
        error: `the value is not a JSON object with a field '${field}' (secret-fields)`
    };
}

const publicKeySchema = object({ key_id: string().min(1), key: base64() });
/**
 * The public keys of one run: each scope's key is fetched once, however many secrets are written
 * to it, and fetched again only when GitHub refuses its `key_id` as stale.
 */
class PublicKeys {
    #client;
    #keys = new Map();
    constructor(client) {
        this.#client = client;
    }
    /** The scope's key, from this run's cache when it was fetched already. */
    get(scope) {
        const path = secretsPath(scope);
        let key = this.#keys.get(path);
        if (!key) {
            key = this.#fetch(scope);
            this.#keys.set(path, key);
            // A failed fetch is not cached: a later call may succeed.
            key.catch(() => this.#keys.delete(path));
        }
        return key;
    }
    /** Fetches the scope's key again, replacing the cached one. */
    refresh(scope) {
        this.#keys.delete(secretsPath(scope));
        return this.get(scope);
    }
    async #fetch(scope) {
        try {
            const response = await this.#client.request(`GET ${secretsPath(scope)}/public-key`);
            return parseAnswer(publicKeySchema, response.data, `the public key of ${scopeLabel(scope)}`);
        }
        catch (error) {
            throw toGitHubError(error, {
                phase: 'preflight',
                doing: `reading the public key of ${scopeLabel(scope)}`,
                permission: writePermission(scope),
                notFound: notFoundAdvice(scope)
            });
        }
    }
}
/** What a 404 on a scope means, naming the input to fix. */
function notFoundAdvice(scope) {
    const hidden = 'or the token cannot see it (GitHub answers 404 for both)';
    switch (scope.kind) {
        case 'repository':
            return `Repository ${scopeLabel(scope)} does not exist, ${hidden}: check 'repositories' and the token's repository access.`;
        case 'environment':
            return `Environment '${scope.environment}' does not exist in ${scope.repository.owner}/${scope.repository.repo}, ${hidden}: create it under Settings > Environments, or fix the 'environment' input.`;
        case 'organization':
            return `Organization '${scope.org}' does not exist, ${hidden}: check 'org', and that the token has the organization secrets permission.`;
    }
}

/** Up to this many selected repositories are resolved one by one; beyond it, by listing the org. */
const RESOLVE_ONE_BY_ONE = 3;
const existingSecret = object({ visibility: _enum(['all', 'private', 'selected']) });
const repositoryIdentity = object({ id: number(), name: string() });
/**
 * Decides the visibility and repository list to PUT. GitHub requires `visibility` on every write of
 * an org secret, so re-writing one must first read what it has, or it would silently widen or
 * narrow who can use it.
 */
async function resolveOrgAccess(client, scope, name, request) {
    const inputsDecideAll = request.visibility !== undefined &&
        (request.visibility !== 'selected' || request.selectedRepositories !== undefined);
    const existing = inputsDecideAll ? undefined : await readExisting(client, scope, name);
    const visibility = request.visibility ?? existing?.visibility ?? 'private';
    const access = {
        visibility,
        ...(inputsDecideAll ? {} : { exists: existing !== null })
    };
    if (visibility !== 'selected')
        return access;
    if (request.selectedRepositories) {
        access.selectedRepositoryIds = await resolveRepositoryIds(client, scope.org, request.selectedRepositories);
    }
    else if (existing?.visibility === 'selected') {
        access.selectedRepositoryIds = await listSelectedIds(client, scope, name);
    }
    else {
        // A secret shared with no repository is useless, and writing one would look like success.
        throw new ActionError(`Input 'selected-repositories': the organization secret ${name} in ${scope.org} would have visibility selected but no repositories; list the repositories that may use it, or choose visibility all or private.`, { code: 'invalid-input', phase: 'preflight' });
    }
    return access;
}
/** The existing secret's visibility, or null when the secret does not exist yet. */
async function readExisting(client, scope, name) {
    try {
        const response = await client.request(`GET ${secretsPath(scope)}/${encodeURIComponent(name)}`);
        return parseAnswer(existingSecret, response.data, `the organization secret ${name} in ${scope.org}`);
    }
    catch (error) {
        if (hasStatus(error, 404))
            return null;
        throw toGitHubError(error, {
            phase: 'preflight',
            doing: `reading the visibility of the organization secret ${name} in ${scope.org}`,
            permission: writePermission(scope)
        });
    }
}
async function listSelectedIds(client, scope, name) {
    try {
        const ids = [];
        const route = `GET ${secretsPath(scope)}/${encodeURIComponent(name)}/repositories`;
        for await (const page of client.paginate.iterator(route, { per_page: 100 })) {
            const repositories = parseAnswer(array(repositoryIdentity), page.data, `the repositories selected for ${name} in ${scope.org}`);
            for (const repository of repositories)
                ids.push(repository.id);
        }
        return ids;
    }
    catch (error) {
        throw toGitHubError(error, {
            phase: 'preflight',
            doing: `listing the repositories selected for the organization secret ${name} in ${scope.org}`,
            permission: writePermission(scope)
        });
    }
}
/**
 * Resolves `owner/repo` names to the integer ids GitHub's API takes. A few are read one by one; more
 * are found by listing the organization's repositories, 100 a page, stopping once all are found.
 */
async function resolveRepositoryIds(client, org, repositories) {
    const wanted = new Map(repositories.map(ref => [ref.repo.toLowerCase(), ref]));
    const found = new Map();
    try {
        if (repositories.length <= RESOLVE_ONE_BY_ONE) {
            await Promise.all(repositories.map(async (ref) => {
                try {
                    const response = await client.request('GET /repos/{owner}/{repo}', {
                        owner: ref.owner,
                        repo: ref.repo
                    });
                    found.set(ref.repo.toLowerCase(), Number(response.data.id));
                }
                catch (error) {
                    if (!hasStatus(error, 404))
                        throw error;
                }
            }));
        }
        else {
            for await (const page of client.paginate.iterator('GET /orgs/{org}/repos', {
                org,
                per_page: 100
            })) {
                for (const repository of page.data) {
                    const key = repository.name.toLowerCase();
                    if (wanted.has(key))
                        found.set(key, Number(repository.id));
                }
                if (found.size === wanted.size)
                    break;
            }
        }
    }
    catch (error) {
        throw toGitHubError(error, {
            phase: 'preflight',
            doing: `resolving 'selected-repositories' in ${org}`
        });
    }
    const missing = [...wanted.entries()]
        .filter(([key]) => !found.has(key))
        .map(([, ref]) => repositoryName(ref));
    if (missing.length > 0) {
        throw new ActionError(`Input 'selected-repositories': ${missing.join(', ')} not found in ${org}, or not visible to the token in 'github-token'. Check the names and the token's repository access.`, { code: 'github-not-found', phase: 'preflight' });
    }
    return repositories.map(ref => found.get(ref.repo.toLowerCase()));
}

/**
 * Seals a value for GitHub with libsodium's `crypto_box_seal` under the scope's public key, as
 * GitHub requires for every secret write. Only the holder of the private key (GitHub) can open it.
 * @param publicKey the scope's key, standard base64, as `GET .../secrets/public-key` returns it
 * @returns the sealed box, standard base64 (`encrypted_value`)
 * @see https://docs.github.com/en/rest/guides/encrypting-secrets-for-the-rest-api
 */
async function sealForGitHub(value, publicKey) {
    const sodium = await loadSodium();
    const key = sodium.from_base64(publicKey, sodium.base64_variants.ORIGINAL);
    const sealed = sodium.crypto_box_seal(sodium.from_string(value), key);
    return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}

/**
 * Runs a sealed write, and once more with a fresh key when GitHub refuses it with 422 and the key
 * did change meanwhile. GitHub does not document its answer to a stale `key_id`, so a 422 costs
 * one key read; the write is repeated only when that read shows another key.
 * @param put seals with the key it is given and writes
 * @param refresh reads the key again, bypassing the run's cache
 * @throws ActionError from {@link toGitHubError}, with `context`'s wording
 */
async function writeWithFreshKey(key, put, refresh, context, onKeyChanged) {
    try {
        return await put(key);
    }
    catch (error) {
        if (!hasStatus(error, 422))
            throw toGitHubError(error, context);
        const fresh = await refresh();
        if (fresh.key_id === key.key_id)
            throw toGitHubError(error, context);
        onKeyChanged?.();
        try {
            return await put(fresh);
        }
        catch (retryError) {
            throw toGitHubError(retryError, context);
        }
    }
}

/**
 * Writes one value to many secret targets. Every target gets its own result: one that fails does
 * not stop or hide the others. Concurrency and write spacing are the client's (see
 * {@link createGitHubClient}), so all targets are started at once and the client paces them.
 */
class SecretPublisher {
    #client;
    #log;
    #keys;
    #prepared = new Map();
    /** @param keys the run's key cache, when it is shared with the store (default: its own) */
    constructor(client, log, keys = new PublicKeys(client)) {
        this.#client = client;
        this.#log = log;
        this.#keys = keys;
    }
    /**
     * Checks that each target is writable without writing anything: its key is readable (so the
     * repository and environment exist and the token sees them) and, for an org secret, its access is
     * resolved. What it reads is kept, so a later {@link publish} of the same targets reads nothing again.
     * @returns one result per target, `planned` or `failed`, in the order of `targets`
     */
    preflight(targets) {
        return Promise.all(targets.map(target => this.#settle(target, () => Promise.resolve('planned'))));
    }
    /**
     * Seals `value` for each target's scope and writes it.
     * @returns one result per target, `created`, `updated` or `failed`, in the order of `targets`
     */
    publish(targets, value) {
        return Promise.all(targets.map(target => this.#settle(target, prepared => this.#write(target, value, prepared))));
    }
    /** Runs one target's step and turns its outcome, whatever it is, into that target's result. */
    async #settle(target, step) {
        const label = scopeLabel(target.scope);
        const base = {
            scope: target.scope.kind,
            type: target.scope.type,
            target: label,
            name: target.name
        };
        try {
            const prepared = await this.#prepare(target);
            const status = await step(prepared);
            const detail = planDetail(prepared.access);
            const verb = status === 'planned' ? `would write ${target.name}` : `${target.name} ${status}`;
            this.#log.info(`${label}: ${verb}${detail ? ` (${detail})` : ''}`);
            return { ...base, status, ...(detail ? { detail } : {}) };
        }
        catch (error) {
            const message = describeError(error);
            this.#log.error(message, { title: `${target.name} on ${label}` });
            return { ...base, status: 'failed', error: message };
        }
    }
    /** The target's key and org access, read once per run. */
    #prepare(target) {
        const id = `${secretsPath(target.scope)}/${target.name.toUpperCase()}`;
        let prepared = this.#prepared.get(id);
        if (!prepared) {
            prepared = this.#read(target);
            this.#prepared.set(id, prepared);
            prepared.catch(() => this.#prepared.delete(id));
        }
        return prepared;
    }
    async #read(target) {
        const key = await this.#keys.get(target.scope);
        if (target.scope.kind !== 'organization')
            return { key };
        const access = await resolveOrgAccess(this.#client, target.scope, target.name, target.access ?? {});
        return { key, access };
    }
    /** PUTs the sealed value; when GitHub refuses the key as stale, fetches it again and retries once. */
    async #write(target, value, prepared) {
        const context = {
            phase: 'publish',
            doing: `writing ${target.name} to ${scopeLabel(target.scope)}`,
            permission: writePermission(target.scope)
        };
        return writeWithFreshKey(prepared.key, key => this.#put(target, value, key, prepared.access), () => this.#keys.refresh(target.scope), context, () => {
            this.#log.info(`${scopeLabel(target.scope)}: the public key changed during the run; sealing again with the new key.`);
        });
    }
    async #put(target, value, key, access) {
        const body = {
            encrypted_value: await sealForGitHub(value, key.key),
            key_id: key.key_id,
            ...(access ? { visibility: access.visibility } : {}),
            ...(access?.selectedRepositoryIds
                ? { selected_repository_ids: access.selectedRepositoryIds }
                : {})
        };
        const response = await this.#client.request(`PUT ${secretsPath(target.scope)}/{secret_name}`, {
            secret_name: target.name,
            ...body
        });
        if (response.status === 201)
            return 'created';
        if (response.status === 204)
            return 'updated';
        throw new ActionError(`Writing ${target.name} to ${scopeLabel(target.scope)}: unexpected answer ${response.status}`, {
            code: 'github-rejected',
            phase: 'publish'
        });
    }
}
function planDetail(access) {
    if (!access)
        return undefined;
    const state = access.exists === undefined ? '' : access.exists ? 'existing secret, ' : 'new secret, ';
    const ids = access.selectedRepositoryIds;
    return `${state}visibility ${access.visibility}${ids ? `, ${count(ids.length, 'repository', 'repositories')}` : ''}`;
}

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 15_000;
const ATTEMPT_TIMEOUT_MS = 10_000;
/**
 * The HTTP health check: probes the configured URL with the value until it answers an expected
 * status or `timeoutMs` (on the Clock) has passed, waiting 1 s, 2 s, 4 s ... (at most 15 s) between
 * attempts. Every failure is retried, 401 and 403 included, since a new credential can take a
 * while to reach every server of the issuer. The last attempt starts at the deadline at the latest
 * and takes at most its own deadline (10 s) beyond it.
 */
function createHttpHealthCheck(config, deps) {
    const fetcher = deps.fetch ?? globalThis.fetch;
    const attemptTimeoutMs = deps.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
    const now = () => deps.clock.now().getTime();
    return {
        description: describeProbe(config),
        async check(value) {
            const request = buildProbeRequest(config, value);
            if (!request) {
                return {
                    ok: false,
                    attempts: 0,
                    detail: 'the value cannot be sent in a header: it holds a line break, a control character or a character beyond Latin-1'
                };
            }
            const deadline = now() + config.timeoutMs;
            let delay = FIRST_DELAY_MS;
            for (let attempt = 1;; attempt++) {
                const outcome = await sendProbe(request, fetcher, attemptTimeoutMs);
                if (outcome.status !== undefined && isExpectedStatus(outcome.status, config.expect)) {
                    return { ok: true, attempts: attempt, detail: outcome.detail };
                }
                const left = deadline - now();
                if (left <= 0) {
                    deps.log.debug(`Health check attempt ${attempt}: ${outcome.detail}; giving up`);
                    return { ok: false, attempts: attempt, detail: outcome.detail };
                }
                const wait = Math.min(delay, left);
                deps.log.debug(`Health check attempt ${attempt}: ${outcome.detail}; next in ${wait} ms`);
                await deps.sleep(wait);
                delay = Math.min(delay * 2, MAX_DELAY_MS);
            }
        }
    };
}
/** `GET https://api.example.com/user`, the query left out: it may hold the value or another key. */
function describeProbe(config) {
    const [path = config.url, query] = config.url.split(/[?#]/, 2);
    return `${config.method} ${path}${query === undefined ? '' : '?…'}`;
}

/**
 * `issuer: none`: nothing is minted; the value given as an input is published as it is (the value
 * was already masked when the inputs were read).
 */
function createStaticIssuer(value) {
    return {
        kind: 'none',
        source: "the 'value' input",
        given: true,
        mint: () => Promise.resolve({ value, next: '', rotated: false })
    };
}

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
function describeFailure(code, timeoutMs) {
    if (code === undefined)
        return 'the request failed';
    const connect = CONNECT_FAILURES[code];
    if (connect !== undefined)
        return connect;
    if (UNTRUSTED_CERTIFICATE.has(code)) {
        return `TLS: the server's certificate is not trusted (${code}); if the server uses a private certificate authority, pass its certificate as ca-certificate`;
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
 * The HTTP client of the OAuth2 issuer: undici's fetch (the copy @actions/http-client bundles) with
 * TLS 1.2 at least, the configured CA and client certificate, and a deadline per request.
 *
 * Every request gets its own connection, watched from the moment it opens: an error before it
 * opened proves the server never saw the request, which is what makes retrying a refresh safe.
 * A reused keep-alive connection could fail after the server processed the request, or before,
 * and nothing would tell which.
 */
function createTransport(options) {
    const { tls, timeoutMs } = options;
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
            let detail = describeFailure(code, timeoutMs);
            if (code === 'UND_ERR_SOCKET' && url.startsWith('https:') && !tls.clientCertificate) {
                // TLS 1.3 servers check the client certificate after the client's side of the handshake
                // is done; one that requires it then just closes, which looks exactly like this.
                detail +=
                    '; a server that requires a client certificate closes the connection this way: if it does, set client-certificate and client-key';
            }
            throw new TransportError(detail, reached, error);
        }
        finally {
            await agent.destroy();
        }
    };
}
async function loadUndici(tls, timeoutMs) {
    const { Agent, buildConnector, fetch } = await import('./index-r4--Kl_l.js').then(function (n) { return n.i; });
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

/** Attempts per request, the first included. */
const OAUTH2_ATTEMPTS = 3;
/** The wait before each retry: before the 2nd attempt, before the 3rd. */
const BACKOFF_MS = [1_000, 4_000];
const SYSTEM_CLOCK$1 = { now: () => new Date() };
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
    const sleep = deps.sleep ?? ((ms) => setTimeout$1(ms));
    const clock = deps.clock ?? SYSTEM_CLOCK$1;
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
        // Every attempt may wait for its whole timeout, and the backoff between them.
        mintTimeoutMs: OAUTH2_ATTEMPTS * config.timeoutMs + BACKOFF_MS.reduce((a, b) => a + b, 0),
        mint: guard(mint)
    };
    if (revocationUrl !== undefined) {
        issuer.revoke = guard((value) => revoke(revocationUrl, value), 'retire');
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
/** Anything unforeseen becomes an ActionError of the step, so the report says where it failed. */
function guard(step, phase = 'mint') {
    return async (value) => {
        try {
            return await step(value);
        }
        catch (error) {
            if (error instanceof ActionError)
                throw error;
            throw new ActionError(`The OAuth2 ${phase === 'mint' ? 'refresh' : 'revocation'} request could not be made: ${error instanceof Error ? error.message : 'unexpected error'}`, { code: 'internal', phase, cause: error });
        }
    };
}

/** The permission the store's variables need, as GitHub names it (reads alone are not enough). */
const VARIABLES_PERMISSION = 'repository "Variables: write"';
/** Largest value GitHub stores in one variable: 48 KB. */
const MAX_VARIABLE_BYTES = 48 * 1024;
const variableSchema = object({
    name: string(),
    value: string(),
    created_at: datetime().optional(),
    updated_at: datetime().optional()
});
/** The runner's own clock, read only for how much time passed: its offset never matters. */
const SYSTEM_CLOCK = { now: () => new Date() };
/**
 * GitHub's clock as the runner can know it: the `Date` header of GitHub's latest answer, moved on
 * by the time that passed on the runner since. Runners' clocks can be off by an hour; GitHub's is
 * the one clock every run of a workflow shares, and the one `updated_at` is written with.
 */
class GitHubClock {
    #local;
    #anchor;
    constructor(local = SYSTEM_CLOCK) {
        this.#local = local;
    }
    /** The runner's clock, in ms: only differences of it are used. */
    localNow() {
        return this.#local.now().getTime();
    }
    /** Takes the `Date` of an answer to a request sent at `sent` (runner's ms). */
    observe(header, sent) {
        const date = typeof header === 'string' ? Date.parse(header) : Number.NaN;
        if (Number.isNaN(date))
            return;
        const received = this.localNow();
        if (this.#anchor === undefined || received >= this.#anchor.received) {
            this.#anchor = { date, sent, received };
        }
    }
    /** True once an answer with a `Date` header was seen. */
    get known() {
        return this.#anchor !== undefined;
    }
    /**
     * A time on GitHub's clock no later than when it handled the latest request (the request was
     * handled within its round trip, before `Date` was stamped; `updated_at` is cut to the second).
     */
    handledNoEarlierThan() {
        const a = this.#anchor;
        return a && new Date(a.date - (a.received - a.sent) - 1000);
    }
    /**
     * GitHub's time now, never later than it: `Date` is cut to the second and stamped before the
     * answer travelled. Used to judge whether another run's lease is over.
     */
    earliest() {
        const a = this.#anchor;
        return a && new Date(a.date + (this.localNow() - a.received));
    }
    /**
     * GitHub's time now, never earlier than it: the second `Date` was cut from, and all the time
     * since the request left. Used to judge how much of this run's own lease is left.
     */
    latest() {
        const a = this.#anchor;
        return a && new Date(a.date + 1000 + (this.localNow() - a.sent));
    }
}
/**
 * The Actions variables of one repository, one request per call. The answers the store expects
 * (absent, already there) are results; any other failure is Octokit's error, for the caller to
 * word with `toGitHubError`, because only the caller knows what it was doing. Every answer's
 * `Date` header feeds {@link RepositoryVariables.clock}.
 * @see https://docs.github.com/en/rest/actions/variables
 */
class RepositoryVariables {
    #client;
    #repository;
    /** GitHub's clock, from the answers these requests got. */
    clock;
    constructor(client, repository, clock) {
        this.#client = client;
        this.#repository = repository;
        this.clock = new GitHubClock(clock);
    }
    /** `owner/repo`, for messages. */
    get repository() {
        return repositoryName(this.#repository);
    }
    /** The variable's value, or undefined when it does not exist (GitHub answers 404). */
    async get(name) {
        return (await this.read(name))?.value;
    }
    /** The variable with the time GitHub last wrote it, or undefined when it does not exist. */
    async read(name) {
        const sent = this.clock.localNow();
        try {
            const response = await this.#client.request('GET /repos/{owner}/{repo}/actions/variables/{name}', { ...this.#repository, name });
            this.clock.observe(response.headers.date, sent);
            const variable = parseAnswer(variableSchema, response.data, `variable ${name} of ${this.repository}`);
            const at = variable.updated_at ?? variable.created_at;
            return { value: variable.value, updatedAt: new Date(at ?? 0) };
        }
        catch (error) {
            this.#observeError(error, sent);
            if (hasStatus(error, 404))
                return undefined;
            throw error;
        }
    }
    /**
     * Creates the variable; false when one of that name exists already. GitHub answers such a
     * create with 409 instead of replacing the value, which makes it an atomic test-and-set.
     */
    async create(name, value, send = {}) {
        const sent = this.clock.localNow();
        try {
            const response = await this.#client.request('POST /repos/{owner}/{repo}/actions/variables', {
                ...this.#repository,
                name,
                value,
                ...sendOptions(send)
            });
            this.clock.observe(response.headers.date, sent);
            return true;
        }
        catch (error) {
            this.#observeError(error, sent);
            if (hasStatus(error, 409))
                return false;
            throw error;
        }
    }
    /** Replaces the variable's value; false when it does not exist. */
    async update(name, value, send = {}) {
        const sent = this.clock.localNow();
        try {
            const response = await this.#client.request('PATCH /repos/{owner}/{repo}/actions/variables/{name}', { ...this.#repository, name, value, ...sendOptions(send) });
            this.clock.observe(response.headers.date, sent);
            return true;
        }
        catch (error) {
            this.#observeError(error, sent);
            if (hasStatus(error, 404))
                return false;
            throw error;
        }
    }
    /**
     * Deletes the variable; false when it was gone already.
     * @param send `once`: send it once, with no retry: a delete whose answer was lost may have
     *   landed, and sent again it could remove a variable that another run created meanwhile
     */
    async delete(name, send = {}) {
        const sent = this.clock.localNow();
        try {
            const response = await this.#client.request('DELETE /repos/{owner}/{repo}/actions/variables/{name}', { ...this.#repository, name, ...sendOptions(send) });
            this.clock.observe(response.headers.date, sent);
            return true;
        }
        catch (error) {
            this.#observeError(error, sent);
            if (hasStatus(error, 404))
                return false;
            throw error;
        }
    }
    #observeError(error, sent) {
        if (error instanceof RequestError)
            this.clock.observe(error.response?.headers.date, sent);
    }
}
/** What a 404 on the store's repository means, for `toGitHubError`. */
function repositoryNotFound(repository) {
    return `Repository ${repository} does not exist, or the token in 'github-token' cannot see it (GitHub answers 404 for both): the refresh token's secret and the rotation record live there, so give the token access to ${repository}.`;
}

// The protocol and why each interleaving is safe: docs/adr/0005-one-writer-lock.md.
/**
 * The lock variable's value: who holds it, which holding (`token`), its generation and how long
 * its lease lasts from the variable's `updated_at`. Never a secret, and no time of the runner's.
 */
const recordSchema = object({
    owner: string(),
    token: string(),
    generation: number().int().min(0),
    ttlMs: number().int().min(0)
});
/** What versions before the generations wrote: times on the runner's clock. */
const legacySchema = object({
    owner: string(),
    acquiredAt: datetime(),
    expiresAt: datetime()
});
/** Longest a lock request may take to land, Octokit's retries included (4 x 10 s + 14 s). */
const LOCK_REQUEST_BUDGET_MS = 60_000;
/** Rounds of create, read and take-over before a run gives up on a lock that keeps changing. */
const MAX_ROUNDS = 3;
/** Claims of abandoned take-overs skipped before giving up. */
const MAX_SKIPS = 5;
/**
 * The {@link Lock} port over a repository variable (see {@link acquireVariableLock}).
 * @param options the repository's variables and the lock variable's name
 */
function createVariableLock(options) {
    return {
        description: `variable ${options.name} of ${options.variables.repository}`,
        acquire: (owner, ttlMs) => acquireVariableLock(options, owner, ttlMs)
    };
}
/**
 * Takes the one-writer lock, a repository variable, with the one atomic operation GitHub has for
 * variables: a create of an existing name answers 409.
 *
 * - Free: the create succeeds; this run holds generation 1.
 * - Held and its lease not over (its `updated_at` plus its `ttlMs`, against the `Date` of GitHub's
 *   answer: GitHub's clock, never the runner's): refused with code `locked`.
 * - Held and expired: the run must first create the claim variable `<name>_<g+1>`, which only one
 *   run can do; the claimant reads the lock again and, only if it is still the expired generation
 *   g, replaces it with its own record of generation g+1. A lock is never deleted to take it over.
 *
 * @param owner names this run, for the message another run gets
 * @throws ActionError `locked` when a live run holds the lock or another run is taking it over;
 *   `github-*` when GitHub refuses
 */
async function acquireVariableLock(options, owner, ttlMs) {
    const { variables, name } = options;
    const mine = { owner, token: randomBytes$1(8).toString('hex'), ttlMs };
    try {
        for (let round = 1; round <= MAX_ROUNDS; round += 1) {
            const fresh = { ...mine, generation: 1 };
            if (await variables.create(name, JSON.stringify(fresh))) {
                return new VariableLease(options, fresh, endsBy(options, ttlMs), endsAfter(options, ttlMs));
            }
            const held = await readLock(variables, name);
            // Released between the create and the read: create again.
            if (held === undefined)
                continue;
            // This run's own create, sent again by the client after its answer was lost.
            if (held.record.token === mine.token)
                return new VariableLease(options, held.record, held.expiresAt, held.expiresAt);
            if (held.expiresAt > githubNow(options))
                throw lockedError(held, options);
            const taken = await takeOver(options, held, mine);
            if (taken)
                return taken;
        }
    }
    catch (error) {
        throw toGitHubError(error, {
            phase: 'preflight',
            doing: `taking the lock ${name} of ${variables.repository}`,
            permission: VARIABLES_PERMISSION,
            notFound: repositoryNotFound(variables.repository)
        });
    }
    throw new ActionError(`The lock ${name} of ${variables.repository} changed hands ${MAX_ROUNDS} times while this run was taking it: other runs are starting at the same time. Nothing was minted; run again once they have finished.`, { code: 'locked', phase: 'preflight' });
}
/**
 * Takes over `held`, whose lease is over. Only the run that creates the claim of the next
 * generation may write that generation into the lock; a claim left by a run that stopped between
 * its claim and its write is skipped once its own lease is over.
 * @returns the lease, or undefined when the lock changed meanwhile (the caller starts again)
 */
async function takeOver(options, held, mine) {
    const { variables, name, log } = options;
    const skipped = [];
    for (let generation = held.record.generation + 1; skipped.length <= MAX_SKIPS; generation += 1) {
        const claimName = claimOf(name, generation);
        const record = { ...mine, generation };
        let claimEnds;
        if (await variables.create(claimName, JSON.stringify(record))) {
            claimEnds = endsAfter(options, mine.ttlMs);
        }
        else {
            const claim = await readLock(variables, claimName);
            if (claim === undefined)
                return undefined;
            if (claim.record.token !== mine.token) {
                if (claim.expiresAt > githubNow(options))
                    throw takingOverError(claim, held, options);
                skipped.push(generation);
                continue;
            }
            // Otherwise the claim is this run's own create, whose answer was lost.
            claimEnds = claim.expiresAt;
        }
        const again = await readLock(variables, name);
        const unchanged = again !== undefined &&
            again.record.token === held.record.token &&
            again.updatedAt.getTime() === held.updatedAt.getTime() &&
            again.expiresAt <= githubNow(options);
        // Once the claim has expired another run may skip it and take the lock: this write must not
        // land after that, or it would replace that run's lock.
        const beforeClaimEnds = abortIn(claimEnds.getTime() - latestGitHubNow(options).getTime() - LOCK_REQUEST_BUDGET_MS, `the claim ${claimName} of ${variables.repository} would expire before the take-over could land`);
        if (!unchanged ||
            !(await variables.update(name, JSON.stringify(record), { signal: beforeClaimEnds }))) {
            // This generation never reached the lock, so no other run can depend on the claim.
            await variables.delete(claimName, { once: true }).catch(() => false);
            return undefined;
        }
        const lease = new VariableLease(options, record, endsBy(options, mine.ttlMs), endsAfter(options, mine.ttlMs));
        log.warning(held.readable
            ? `Took over the lock ${name} of ${variables.repository}: ${held.record.owner} took it at ${iso(held.updatedAt)} and its lease ended at ${iso(held.expiresAt)} by GitHub's clock, without a release (that run most likely died). This run holds generation ${generation}.`
            : `Took over the lock ${name} of ${variables.repository}: its value is not a lock this action wrote, and it was last written at ${iso(held.updatedAt)}.`);
        // Claims of older generations can no longer win anything: a run that claims one again finds
        // the lock at this generation and stops.
        for (const old of [held.record.generation, ...skipped]) {
            if (old >= 2)
                await variables.delete(claimOf(name, old), { once: true }).catch(() => false);
        }
        return lease;
    }
    throw new ActionError(`The lock ${name} of ${variables.repository} has ${MAX_SKIPS} abandoned take-over claims (${claimOf(name, held.record.generation + 1)} and on): delete the variables ${name}_* and run again.`, { code: 'locked', phase: 'preflight' });
}
/** The lock held by this run. */
class VariableLease {
    holder;
    #options;
    #record;
    #endsBy;
    /** The earliest this lease can end, on GitHub's clock. */
    #endsAfter;
    constructor(options, record, endsBy, endsAfter) {
        this.#options = options;
        this.#record = record;
        this.#endsBy = endsBy;
        this.#endsAfter = endsAfter;
        this.holder = `${record.owner} (lock generation ${record.generation})`;
    }
    endsBy() {
        return this.#endsBy;
    }
    now() {
        return githubNow(this.#options);
    }
    leftMs() {
        return this.#endsAfter.getTime() - latestGitHubNow(this.#options).getTime();
    }
    deadline(marginMs) {
        const { variables, name } = this.#options;
        return abortIn(this.leftMs() - marginMs, `this run's lease on the lock ${name} of ${variables.repository} has less than ${seconds(marginMs)} left, and a write that lands after it ends could overwrite the marks of a run that takes the lock over`);
    }
    async confirm(neededMs) {
        const { variables, name } = this.#options;
        let found;
        try {
            found = await readLock(variables, name);
        }
        catch (error) {
            throw toGitHubError(error, {
                phase: 'mint',
                doing: `reading the lock ${name} of ${variables.repository} again before minting`,
                permission: VARIABLES_PERMISSION
            });
        }
        if (found === undefined) {
            return {
                held: false,
                owned: false,
                reason: `the lock ${name} of ${variables.repository} was deleted by someone else while this run held it`
            };
        }
        if (found.record.token !== this.#record.token) {
            return { held: false, owned: false, reason: this.#successor(found) };
        }
        this.#endsBy = found.expiresAt;
        this.#endsAfter = found.expiresAt;
        const leftMs = found.expiresAt.getTime() - latestGitHubNow(this.#options).getTime();
        if (leftMs < neededMs) {
            return {
                held: false,
                owned: true,
                reason: `this run's lease on the lock ${name} of ${variables.repository} ${leftMs > 0 ? `has only ${seconds(leftMs)} left` : 'is over'} (it ends at ${iso(found.expiresAt)} by GitHub's clock), and a mint needs ${seconds(neededMs)}: raise lock-expires-after, or find what made the run this slow`
            };
        }
        return { held: true, endsAt: found.expiresAt, leftMs };
    }
    /**
     * Deletes the lock if it is still this run's and enough of the lease is left for the delete to
     * land before it ends: a delete that lands after a successor took the lock over would remove the
     * successor's. Otherwise the lock is left to expire. A failure is only a warning.
     */
    async release() {
        const { variables, name, log } = this.#options;
        try {
            const found = await readLock(variables, name);
            if (found === undefined) {
                log.warning(`The lock ${name} of ${variables.repository} was already gone at the end of this run: someone else deleted it while this run held it.`);
                return;
            }
            if (found.record.token !== this.#record.token) {
                log.warning(`Left the lock ${name} of ${variables.repository} in place: ${this.#successor(found)}.`);
                return;
            }
            const leftMs = found.expiresAt.getTime() - latestGitHubNow(this.#options).getTime();
            if (leftMs < LOCK_REQUEST_BUDGET_MS) {
                log.warning(`Left the lock ${name} of ${variables.repository} to expire on its own at ${iso(found.expiresAt)} (GitHub's clock): too little of this run's lease is left to delete it safely, since a delete that lands after the lease ends could remove the lock of the run that takes it over. Raise lock-expires-after.`);
                return;
            }
            await variables.delete(name, { once: true });
            if (this.#record.generation >= 2) {
                await variables
                    .delete(claimOf(name, this.#record.generation), { once: true })
                    .catch(() => false);
            }
        }
        catch (error) {
            const reason = toGitHubError(error, {
                phase: 'report',
                doing: `releasing the lock ${name} of ${variables.repository}`,
                permission: VARIABLES_PERMISSION
            });
            log.warning(`${describeError(reason)} The lock's lease ends on its own at ${iso(this.#endsBy)} at the latest (GitHub's clock); until then other runs wait for it.`);
        }
    }
    /** What happened to this run's lock, given the lock another run holds now. */
    #successor(found) {
        const { variables, name } = this.#options;
        const other = `${found.record.owner} (generation ${found.record.generation}) since ${iso(found.updatedAt)}`;
        return found.record.generation > this.#record.generation
            ? `the lock ${name} of ${variables.repository} was taken over by ${other}, after this run's lease ended at ${iso(this.#endsBy)} by GitHub's clock`
            : `the lock ${name} of ${variables.repository} was deleted or overwritten by someone else while this run held it (an operator, or a request of another run that landed late), and is now held by ${other}`;
    }
}
/** The claim variable that only the run taking the lock to `generation` can create. */
function claimOf(name, generation) {
    return `${name}_${String(generation)}`;
}
/** The latest end of a lease written just now: its `updated_at` is not later than GitHub's now. */
function endsBy(options, ttlMs) {
    return new Date(latestGitHubNow(options).getTime() + ttlMs);
}
/** The earliest end of a lease written just now: its `updated_at` is not earlier than this. */
function endsAfter(options, ttlMs) {
    const handled = options.variables.clock.handledNoEarlierThan();
    if (handled === undefined)
        throw noDateError(options);
    return new Date(handled.getTime() + ttlMs);
}
function githubNow(options) {
    const now = options.variables.clock.earliest();
    if (now === undefined)
        throw noDateError(options);
    return now;
}
function latestGitHubNow(options) {
    const now = options.variables.clock.latest();
    if (now === undefined)
        throw noDateError(options);
    return now;
}
function noDateError(options) {
    return new ActionError(`GitHub's answers about the lock ${options.name} of ${options.variables.repository} carry no Date header, and a lock's expiry is judged on GitHub's clock only (runners' clocks disagree). Check the proxy between the runner and GitHub: it must pass the Date header.`, { code: 'github-rejected', phase: 'preflight' });
}
async function readLock(variables, name) {
    const variable = await variables.read(name);
    if (variable === undefined)
        return undefined;
    const record = parseLock(variable.value);
    const found = record ?? { owner: 'unknown', token: '', generation: 0, ttlMs: 0 };
    return {
        record: found,
        updatedAt: variable.updatedAt,
        expiresAt: new Date(variable.updatedAt.getTime() + found.ttlMs),
        readable: record !== undefined
    };
}
function parseLock(text) {
    let json;
    try {
        json = JSON.parse(text);
    }
    catch {
        return undefined;
    }
    const parsed = recordSchema.safeParse(json);
    if (parsed.success)
        return parsed.data;
    // An older version's lock: its time-to-live is what it meant, counted on GitHub's clock.
    const legacy = legacySchema.safeParse(json);
    if (!legacy.success)
        return undefined;
    const { owner, acquiredAt, expiresAt } = legacy.data;
    const ttlMs = Math.max(0, Date.parse(expiresAt) - Date.parse(acquiredAt));
    return { owner, token: `legacy ${acquiredAt}`, generation: 0, ttlMs };
}
function lockedError(held, options) {
    const { name, variables } = options;
    return new ActionError(`Another rotation holds the lock ${name} of ${variables.repository}: ${held.record.owner}, since ${iso(held.updatedAt)}; its lease ends at ${iso(held.expiresAt)} by GitHub's clock. Wait for that run to finish and run again; once the lease has ended, the next run takes the lock over by itself. If that run is known to be dead, delete the repository variable ${name} (gh variable delete ${name} --repo ${variables.repository}) and run again.`, { code: 'locked', phase: 'preflight' });
}
function takingOverError(claim, held, options) {
    const { name, variables } = options;
    return new ActionError(`The lock ${name} of ${variables.repository} expired at ${iso(held.expiresAt)} by GitHub's clock (${held.record.owner} held it), and another run, ${claim.record.owner}, is taking it over at this moment (it claimed generation ${claim.record.generation} at ${iso(claim.updatedAt)}). Nothing was minted; run again once that run has finished.`, { code: 'locked', phase: 'preflight' });
}
function iso(date) {
    return date.toISOString().replace(/\.000Z$/, 'Z');
}
function seconds(ms) {
    return `${String(Math.max(0, Math.round(ms / 1000)))} s`;
}
/**
 * A signal that aborts in `ms` (at once when `ms` is not positive), with an error named `AbortError` whose
 * message is `reason`: Octokit passes such an error on without retrying. Its timer does not keep
 * the process alive.
 */
function abortIn(ms, reason) {
    const controller = new AbortController();
    const abort = () => {
        controller.abort(Object.assign(new Error(reason), { name: 'AbortError' }));
    };
    if (ms <= 0)
        abort();
    else
        setTimeout(abort, ms).unref();
    return controller.signal;
}

/**
 * The repository secret that holds the refresh token. Writes go through the same building blocks
 * as the publisher (the run's key cache, the sealed box, `toGitHubError`'s per-status advice), but
 * a failed write throws its {@link ActionError} instead of becoming a target's result: the store
 * must tell a 403 (stop) from a 503 (try again), and `SecretPublisher.publish` keeps only the
 * message, logging each failure as an error annotation even when a later attempt succeeds.
 */
class RepositorySecret {
    name;
    #client;
    #keys;
    #scope;
    #repository;
    /** @param keys the run's key cache, shared with the targets (default: its own) */
    constructor(client, repository, name, keys = new PublicKeys(client)) {
        this.name = name;
        this.#client = client;
        this.#keys = keys;
        this.#scope = { kind: 'repository', type: 'actions', repository };
        this.#repository = repositoryName(repository);
    }
    /**
     * Starts reading the repository's key, for a write that is likely to follow; a failure is left
     * to that write, which reads the key again and reports it.
     */
    prefetchKey() {
        this.#keys.get(this.#scope).catch(() => undefined);
    }
    /**
     * Seals `value` with the repository's key and writes it. When GitHub refuses the key as stale
     * (422) and a fresh read returns another key, seals again once with that one.
     * @param phase the step the write belongs to, for the error
     * @param send `once`: the PUT is sent once, without the client's retries (the caller retries
     *   within its own time budget); `signal`: abandons it
     */
    async write(value, phase, send = {}) {
        const context = {
            phase,
            doing: `writing ${this.name} to ${this.#repository}`,
            permission: writePermission(this.#scope),
            notFound: repositoryNotFound(this.#repository)
        };
        await writeWithFreshKey(await this.#key(phase), key => this.#put(value, key, send), () => this.#key(phase, true), context);
    }
    async #key(phase, refresh = false) {
        try {
            return await (refresh ? this.#keys.refresh(this.#scope) : this.#keys.get(this.#scope));
        }
        catch (error) {
            if (!(error instanceof ActionError))
                throw error;
            // PublicKeys words a 404 for publish targets (it names the 'repositories' input); here the
            // repository is the workflow's own.
            const message = error.code === 'github-not-found'
                ? `Reading the public key of ${this.#repository} failed: GitHub answered 404. ${repositoryNotFound(this.#repository)}`
                : error.message;
            throw new ActionError(message, {
                code: error.code,
                phase,
                retryable: error.retryable,
                cause: error
            });
        }
    }
    async #put(value, key, send) {
        await this.#client.request(`PUT ${secretsPath(this.#scope)}/{secret_name}`, {
            secret_name: this.name,
            encrypted_value: await sealForGitHub(value, key.key),
            key_id: key.key_id,
            ...sendOptions(send)
        });
    }
}

/**
 * The write-ahead record of the rotation (DESIGN.md, "Write-ahead state") in a repository
 * variable, as compact JSON. Variables are readable by anyone who can read the repository, which
 * is why the record holds fingerprints and times only.
 */
class StateVariable {
    #variables;
    #name;
    constructor(variables, name) {
        this.#variables = variables;
        this.#name = name;
    }
    /**
     * The record, or undefined when the variable does not exist (before the first rotation).
     * @throws ActionError `state-invalid` when the variable holds something else
     */
    async read() {
        let text;
        try {
            text = await this.#variables.get(this.#name);
        }
        catch (error) {
            throw toGitHubError(error, this.#context('preflight', 'reading'));
        }
        if (text === undefined)
            return undefined;
        let json;
        try {
            json = JSON.parse(text);
        }
        catch {
            throw this.#invalid('it is not JSON');
        }
        const parsed = rotationStateSchema.safeParse(json);
        if (parsed.success)
            return parsed.data;
        const fields = [...new Set(parsed.error.issues.map(issue => issue.path.join('.') || '(all)'))];
        throw this.#invalid(`missing or invalid: ${fields.join(', ')}`);
    }
    /**
     * Replaces the record: PATCH, or create when it does not exist yet. A create that loses a race
     * with another writer's create (409) falls back to PATCH.
     */
    async write(state, send = {}) {
        // Parsing drops any field the schema does not know, so nothing but fingerprints and times is
        // written, and never a record the next run would refuse to read.
        const parsed = rotationStateSchema.safeParse(state);
        if (!parsed.success) {
            throw new ActionError(`The rotation record to write to variable ${this.#name} of ${this.#variables.repository} is not valid (${parsed.error.issues.map(issue => issue.path.join('.')).join(', ')}); nothing was written.`, { code: 'internal', phase: 'persist' });
        }
        const text = JSON.stringify(parsed.data);
        const bytes = Buffer.byteLength(text, 'utf8');
        if (bytes > MAX_VARIABLE_BYTES) {
            throw new ActionError(`The rotation record is ${bytes} bytes, more than the ${MAX_VARIABLE_BYTES} bytes (48 KB) a variable holds; variable ${this.#name} of ${this.#variables.repository} was left as it was.`, { code: 'state-invalid', phase: 'persist' });
        }
        try {
            if (await this.#variables.update(this.#name, text, send))
                return;
            if (await this.#variables.create(this.#name, text, send))
                return;
            if (await this.#variables.update(this.#name, text, send))
                return;
        }
        catch (error) {
            throw toGitHubError(error, this.#context('persist', 'writing'));
        }
        throw new ActionError(`Writing the rotation record to variable ${this.#name} of ${this.#variables.repository} failed: the variable was created and deleted again while this run wrote it. Check what else writes that variable, then run again.`, { code: 'github-rejected', phase: 'persist' });
    }
    #context(phase, verb) {
        return {
            phase,
            doing: `${verb} the rotation record (variable ${this.#name} of ${this.#variables.repository})`,
            permission: VARIABLES_PERMISSION,
            notFound: repositoryNotFound(this.#variables.repository)
        };
    }
    #invalid(reason) {
        const name = this.#name;
        const repository = this.#variables.repository;
        return new ActionError(`The repository variable ${name} of ${repository} does not hold a rotation record this action can read (${reason}). Fix its value, or delete it (gh variable delete ${name} --repo ${repository}): the next run then treats the refresh token it is given as a first rotation, with nothing to resume and no check for a stale input.`, { code: 'state-invalid', phase: 'preflight' });
    }
}

/**
 * The store for GitHub: the refresh token in a repository Actions secret, the write-ahead record
 * in a repository Actions variable of the same repository (its lock is another variable there:
 * {@link createVariableLock}).
 *
 * Requests per call, when nothing fails: `readState`
 * 1, `writeState` 1 (2 for the first record), `check` 1 (PUT), `persist` 1. The repository's public
 * key is read once, alongside `readState` (a rotation's next step is `check`), from the cache shared
 * with the targets when one is given.
 * @see https://docs.github.com/en/rest/actions/variables
 * @see https://docs.github.com/en/rest/actions/secrets
 */
function createGitHubStore(options) {
    const { client, repository, secretName, log, sleep } = options;
    const timeoutMs = options.persistTimeoutMs ?? DEFAULT_PERSIST_TIMEOUT_MS;
    if (!(timeoutMs > 0)) {
        throw new ActionError(`persistTimeoutMs must be more than 0, got ${timeoutMs}`, {
            code: 'internal',
            phase: 'config'
        });
    }
    const name = repositoryName(repository);
    const variables = new RepositoryVariables(client, repository, options.clock);
    const secret = new RepositorySecret(client, repository, secretName, options.keys);
    const state = new StateVariable(variables, options.stateVariable);
    return {
        kind: 'github',
        description: `secret ${secretName} of ${name}`,
        resetHint: `delete the rotation record, the variable ${options.stateVariable} (gh variable delete ${options.stateVariable} --repo ${name})`,
        readState: () => {
            // The key goes out with the record's read instead of after it: one round trip fewer.
            secret.prefetchKey();
            return state.read();
        },
        writeState: (next, write) => state.write(next, write),
        check: current => secret.write(current, 'preflight'),
        persistTimeoutMs: timeoutMs,
        persist: value => persistWithRetries({
            // One request per attempt: the loop retries within the budget, the client does not.
            write: () => secret.write(value, 'persist', { once: true }),
            where: `secret ${secretName} of ${name}`,
            timeoutMs,
            attemptMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
            clock: options.clock,
            sleep,
            log
        })
    };
}

/** How long replicas may take to be in sync when no health-check-timeout says. */
const REPLICA_TIMEOUT_MS = 2 * 60_000;
/**
 * Builds the engine's parts for a validated configuration: the only place that picks them. The
 * AWS SDK is loaded here, and only when the configuration names a Secrets Manager secret.
 */
async function assembleEngine(config, deps) {
    const { log, clock, sleep } = deps;
    const publish = config.publish;
    const client = deps.client ??
        createGitHubClient({
            token: publish.token,
            baseUrl: publish.apiUrl,
            maxConcurrency: publish.maxConcurrency,
            writeIntervalMs: publish.writeIntervalMs,
            log
        });
    // One key cache for the targets and the store: the store's repository is usually a target too.
    const keys = new PublicKeys(client);
    const publisher = new SecretPublisher(client, log, keys);
    // The store's few writes are not paced: from mint to persist, every second the new refresh
    // token spends only in memory is a second a dying runner could lose it in.
    const storeClient = createStoreClient({ token: publish.token, baseUrl: publish.apiUrl, log });
    const http = config.healthCheck
        ? createHttpHealthCheck(config.healthCheck, { sleep, clock, log })
        : undefined;
    let issuer = config.oauth2 !== undefined
        ? createOAuth2Issuer(config.oauth2, {
            mask: secret => {
                deps.mask(secret);
            },
            log,
            sleep
        })
        : undefined;
    let store;
    let healthCheck = http;
    const storeConfig = config.store;
    // A refresh token's field is the store's business: the access token is published and checked whole.
    const field = config.issuer === 'oauth2' ? undefined : config.awsSecret?.field;
    if (config.awsSecret) {
        const { assembleAws } = await import('./wiring-C1r3p6zf.js').then(function (n) { return n.aV; });
        const aws = assembleAws(config.awsSecret, config.issuer, storeConfig?.kind === 'aws-secrets-manager' ? storeConfig.versions : undefined, {
            mask: secret => {
                deps.mask(secret);
            },
            // A value read from AWS may be a JSON document: the check gets one field, never all.
            ...(http
                ? { healthCheck: config.issuer === 'oauth2' ? http : fieldHealthCheck(http, field) }
                : {}),
            replicaTimeoutMs: config.healthCheck?.timeoutMs ?? REPLICA_TIMEOUT_MS,
            persistTimeoutMs: config.persistTimeoutMs,
            fields: config.fieldMappings.map(m => m.field),
            clock,
            sleep,
            log
        });
        issuer ??= aws.issuer;
        store = aws.store;
        healthCheck = aws.healthCheck;
    }
    else if (storeConfig?.kind === 'github') {
        store = createGitHubStore({
            client: storeClient,
            repository: storeConfig.repository,
            secretName: storeConfig.secretName,
            stateVariable: storeConfig.stateVariable,
            persistTimeoutMs: config.persistTimeoutMs,
            log,
            clock,
            sleep,
            keys
        });
    }
    preload(config);
    const recoveryKey = config.recoveryPublicKey;
    const retiringSecret = config.retiringSecret;
    return {
        issuer: issuer ?? createStaticIssuer(publish.value),
        // Every store's lock is a repository variable today, next to the record (DESIGN.md: one writer).
        ...(store && storeConfig
            ? { store, lock: variableLock(storeClient, storeConfig, log, clock) }
            : {}),
        targets: targetsFor(config, publisher, field),
        ...(healthCheck ? { healthCheck } : {}),
        ...(recoveryKey
            ? { sealForRecovery: (value) => sealForRecovery(value, recoveryKey) }
            : {}),
        onRecoveryCiphertext: ciphertext => {
            deps.onRecoveryCiphertext(ciphertext);
        },
        ...(storeConfig && retiringSecret
            ? {
                keepRetiring: async (value) => {
                    const scope = {
                        kind: 'repository',
                        type: 'actions',
                        repository: storeConfig.repository
                    };
                    const [result] = await publisher.publish([{ scope, name: retiringSecret }], value);
                    if (result?.status === 'failed') {
                        throw new ActionError(result.error ?? `could not write ${retiringSecret}`, {
                            code: 'github-rejected',
                            phase: 'promote'
                        });
                    }
                }
            }
            : {}),
        clock,
        sleep,
        log,
        audit: deps.audit
    };
}
/**
 * The targets: `secret-name` gets the value (or its `store-field` of a JSON secret read from AWS),
 * and each `secret-fields` mapping writes one more secret from one field.
 */
function targetsFor(config, publisher, field) {
    const publish = config.publish;
    const groups = [
        ...(publish.secretName !== ''
            ? [
                {
                    targets: targetsFromConfig(publish),
                    ...(field !== undefined ? { field, plainWhole: true } : {})
                }
            ]
            : []),
        ...config.fieldMappings.map(m => ({
            targets: targetsFromConfig(publish, m.name),
            field: m.field
        }))
    ];
    return fieldTargets(publisher, groups);
}
/** The one-writer lock of a store: a repository variable only one run can create. */
function variableLock(client, store, log, clock) {
    const variables = new RepositoryVariables(client, store.repository, clock);
    return createVariableLock({ variables, name: store.lockVariable, log });
}
/**
 * Starts loading what the first requests do not need (libsodium, and undici for an OAuth2
 * issuer), so it loads while they are in flight and is ready when the first secret is sealed.
 * A failure here is not reported: the code that needs the module loads it again and says why.
 */
function preload(config) {
    if (config.mode !== 'verify')
        loadSodium().catch(() => undefined);
    if (config.oauth2 !== undefined)
        import('./index-r4--Kl_l.js').then(function (n) { return n.i; }).catch(() => undefined);
}
/** The engine's orders from the configuration. */
function planFrom(config) {
    return {
        mode: config.mode,
        dryRun: config.publish.dryRun,
        runId: config.runId,
        input: config.refreshToken,
        ...(config.previousValue !== undefined ? { previousValue: config.previousValue } : {}),
        ...(config.retiringValue !== undefined ? { retiringValue: config.retiringValue } : {}),
        ...(config.rotateIfOlderThanMs !== undefined
            ? { rotateIfOlderThanMs: config.rotateIfOlderThanMs }
            : {}),
        ...(config.rotateBeforeExpiryMs !== undefined
            ? { rotateBeforeExpiryMs: config.rotateBeforeExpiryMs }
            : {}),
        ...(config.windows ? { windows: config.windows } : {}),
        revokePrevious: config.revokePrevious,
        gracePeriodMs: config.gracePeriodMs,
        lockTtlMs: config.store?.lockTtlMs ?? 0
    };
}

var assemble = /*#__PURE__*/Object.freeze({
    __proto__: null,
    assembleEngine: assembleEngine,
    planFrom: planFrom
});

export { assemble as a, parseSecretDocument as p, valueShape as v };
