import { randomBytes } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { i as isLoopbackHost } from './loopback-CdUp0z11.js';
import { A as ActionError, d as describeError } from './errors-DDD4RsHd.js';
import { c as createTransport, T as TransportError } from './transport-DolXUEXK.js';
import { H as HTTP_KIND, t as tlsKeysAt, f as fillUrl, a as fillText, b as fillBody, c as textAt, d as fieldNames, e as readPointer } from './index-Czz4Wkal.js';
import { r as redactSecrets } from './redaction-Cn2Yd9gW.js';
import './duration-Cyz5SPp-.js';
import './wording-CXsTWj4t.js';
import './lists-D2x1VrPX.js';
import './schemas-D3_i4Iqf.js';

/**
 * What each way a key API request can fail means for the keys, in words the user can act on.
 * Messages name key paths, URLs (without query) and ids, never a key, the admin credential or a
 * header; an error text the API sent is redacted and cut short.
 */
const DETAIL_MAX = 200;
/** An API's error text, safe to print: known secrets removed, control characters gone, cut short. */
function apiDetail(text, secrets) {
    const clean = redactSecrets(text, secrets)
        .replace(/\p{Cc}+/gu, ' ')
        .trim();
    if (clean === '')
        return '';
    return clean.length > DETAIL_MAX ? `${clean.slice(0, DETAIL_MAX)}...` : clean;
}
/** A URL for a message: origin and path, never the query. */
function shown(url) {
    return `${url.origin}${url.pathname}`;
}
/** Capgo's hosted API, whose refusal to create keys with an API key has its own advice. */
function isCapgo(url) {
    return url.hostname === 'capgo.app' || url.hostname.endsWith('.capgo.app');
}
/** Capgo's error code when a credential may not create keys (recent versions: any API key). */
const CAPGO_REFUSAL = /cannot_create_apikey/;
/**
 * Whether a create answer is the API refusing this credential the right to create keys: 401 or
 * 403, or Capgo's own refusal (HTTP 400 `cannot_create_apikey`), hosted or self-hosted.
 */
function isCreateRefusal(status, body) {
    return status === 401 || status === 403 || (status === 400 && CAPGO_REFUSAL.test(body));
}
/** The API refused to create a key with the credential that asked. */
function createRefused(url, status, body, detail, caller) {
    const who = caller === 'admin'
        ? 'the credential in issuer.admin'
        : 'the current key (previous-value; issuer.admin is not set)';
    const said = detail === '' ? '' : `: ${detail}`;
    const advice = isCapgo(url) || CAPGO_REFUSAL.test(body)
        ? `Capgo refused to create a key with ${who} (HTTP ${String(status)}${said}) at ${shown(url)}. Recent Capgo versions bind API keys to roles and let only a user session create keys: an API key, even one of mode all, is refused. Give issuer.admin a credential Capgo lets create keys (see docs/recipes/capgo.md), or rotate this key by hand in the Capgo console.`
        : `The API refused to create a key with this credential, ${who} (HTTP ${String(status)}${said}) at ${shown(url)}: give issuer.admin a credential allowed to create keys.`;
    return new ActionError(`${advice} Nothing was created or published.`, {
        code: 'issuer-rejected',
        phase: 'mint'
    });
}
/** Not retried: why, in the words every lost-answer message ends with. */
const NOT_REPLAYED = 'The create request is not sent again: a second one could leave two live keys.';

/** Attempts per request, the first included; a create is repeated only if it never left. */
const ATTEMPTS = 3;
/** The wait before the 2nd and the 3rd attempt. */
const BACKOFF_MS = [1_000, 4_000];
/** A request that takes longer is abandoned (a create: never sent again). */
const HTTP_ISSUER_TIMEOUT_MS = 30_000;
/**
 * The issuer of any API that creates keys and deletes them by id (Capgo's `/apikey`, and the
 * like): `mint` sends `issuer.create` and reads the new key's value and id by JSON pointer;
 * `revoke` sends `issuer.revoke` with the id the record kept (`revokes: 'handle'`).
 *
 * A create request is sent again only when it provably never reached the API (no connection was
 * opened): one whose answer was lost may have created a key. Such a key is looked for with
 * `issuer.list`, by the run-unique `<nonce>` in its name, and deleted at once (its value never
 * arrived, so nothing can use it); without `list` the run says what to look for.
 */
function createHttpIssuer(config, deps) {
    const { log, clock } = deps;
    const sleep = deps.sleep ?? ((ms) => setTimeout(ms));
    const timeoutMs = deps.timeoutMs ?? HTTP_ISSUER_TIMEOUT_MS;
    const nonceOf = deps.nonce ?? (() => randomBytes(6).toString('hex'));
    const transport = createTransport({
        tls: config.tls ?? {},
        timeoutMs,
        keys: tlsKeysAt('issuer.')
    });
    /** The key this run minted: the current key from then on. */
    let minted;
    /** Who `<admin>` is: the admin credential, else the newest key this run knows. */
    const caller = () => config.admin !== undefined
        ? { value: config.admin, who: 'admin' }
        : { value: minted ?? deps.current ?? '', who: 'current' };
    const secrets = () => [config.admin, deps.current, minted].filter((s) => s !== undefined && s !== '');
    function prepare(template, method, values) {
        const url = new URL(fillUrl(template.url, values));
        if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
            throw new ActionError(`${shown(url)} is not https: keys would travel in clear text (plain http is accepted only for loopback test servers)`, { code: 'unsafe-endpoint', phase: 'config' });
        }
        const headers = { accept: 'application/json' };
        for (const [name, value] of Object.entries(template.headers ?? {})) {
            headers[name.toLowerCase()] = fillText(value, values);
        }
        const prepared = { method: template.method ?? method, url, headers };
        if (template.body !== undefined) {
            headers['content-type'] ??= 'application/json';
            prepared.body = JSON.stringify(fillBody(template.body, values));
        }
        return prepared;
    }
    /** Sends until an answer comes, or `retry` says a failure must not be repeated. */
    async function send(request, retry) {
        for (let attempt = 1;; attempt += 1) {
            let outcome;
            try {
                outcome = await transport(request.url.href, {
                    method: request.method,
                    headers: request.headers,
                    ...(request.body !== undefined ? { body: request.body } : {})
                });
            }
            catch (error) {
                if (!(error instanceof TransportError))
                    throw error;
                outcome = error;
            }
            const wait = BACKOFF_MS[attempt - 1];
            if (wait === undefined || attempt >= ATTEMPTS || !retry(outcome))
                return outcome;
            const why = outcome instanceof TransportError ? outcome.detail : `HTTP ${outcome.status}`;
            log.warning(`${request.method} ${shown(request.url)}: ${why}; retrying in ${wait / 1000} s (attempt ${attempt + 1} of ${ATTEMPTS})`);
            await sleep(wait);
        }
    }
    /** Anything but a refusal may heal: a lost connection, a 5xx. */
    const transient = (outcome) => outcome instanceof TransportError || outcome.status >= 500 || outcome.status === 429;
    function common() {
        return { admin: caller().value, now: clock.now().toISOString(), credential: config.credential };
    }
    async function mint(current, context) {
        const nonce = nonceOf();
        const values = { ...common(), nonce, 'old-id': context?.replacing ?? '' };
        const request = prepare(config.create, 'POST', values);
        const where = `${request.method} ${shown(request.url)}`;
        log.info(`Creating a key: ${where} (nonce ${nonce})`);
        // Only a request that provably never reached the API may be repeated.
        const outcome = await send(request, o => o instanceof TransportError && !o.reached);
        if (outcome instanceof TransportError) {
            if (!outcome.reached) {
                throw new ActionError(`Could not reach ${where} (${outcome.detail}). The request never reached the API, so no key was created: run again once it is reachable.`, { code: 'issuer-unreachable', phase: 'mint', retryable: true, cause: outcome });
            }
            return lost(`The create request ${where} got no answer (${outcome.detail}).`, nonce);
        }
        const text = await outcome.text();
        const { status } = outcome;
        if (status >= 200 && status < 300)
            return created(text, where, nonce, current);
        const detail = apiDetail(text, secrets());
        if (isCreateRefusal(status, text)) {
            throw createRefused(request.url, status, text, detail, caller().who);
        }
        if (status >= 500) {
            return lost(`The create request ${where} answered HTTP ${String(status)}.`, nonce);
        }
        const said = detail === '' ? '' : `: ${detail}`;
        if (status === 429) {
            throw new ActionError(`${where} answered HTTP 429${said}: the API is limiting requests and created no key. Run again later.`, { code: 'issuer-unreachable', phase: 'mint', retryable: true });
        }
        const advice = status >= 300 && status < 400
            ? 'a redirect, which is not followed: set issuer.create.url to the exact address'
            : 'check issuer.create (url, method, headers, body)';
        throw new ActionError(`${where} answered HTTP ${String(status)}${said}; ${advice}. No key was created.`, { code: 'issuer-rejected', phase: 'mint' });
    }
    /** A 2xx answer: the new key's value (masked at once) and its id, by their pointers. */
    async function created(text, where, nonce, current) {
        const document = parseJson(text);
        const value = textAt(document, config.create.value);
        if (value !== undefined)
            deps.mask(value);
        const id = textAt(document, config.create.id);
        if (value !== undefined && id !== undefined) {
            minted = value;
            log.info(`Created key ${id}`);
            return { value, next: current, rotated: false, handle: id };
        }
        const shape = document === undefined ? 'is not JSON' : `has ${fieldNames(document)}`;
        const missing = value === undefined
            ? `no key value at ${config.create.value} (issuer.create.value)`
            : `no id at ${config.create.id} (issuer.create.id)`;
        const what = `${where} created a key, but its answer has ${missing}: the answer ${shape}. Fix the pointer.`;
        if (id !== undefined)
            return discard([id], what, 'issuer-rejected');
        return lost(what, nonce);
    }
    /**
     * A create whose key may exist, unusable: its answer was lost, or has no id. The key is looked
     * for by the run's nonce, and deleted; never created a second time.
     */
    async function lost(what, nonce) {
        if (!config.list) {
            throw new ActionError(`${what} The API may have created a key whose value this run never received. ${NOT_REPLAYED} Look for a key created at ${clock.now().toISOString()} whose name holds ${nonce}, and delete it; with issuer.list the action finds and deletes it itself.`, { code: 'issuer-outcome-unknown', phase: 'mint' });
        }
        let found;
        try {
            found = await findByNonce(nonce);
        }
        catch (error) {
            throw new ActionError(`${what} Listing the keys to find the one it may have created failed too (${describeError(error)}). ${NOT_REPLAYED} Look for a key whose name holds ${nonce}, and delete it.`, { code: 'issuer-outcome-unknown', phase: 'mint', cause: error });
        }
        if (found.length === 0) {
            throw new ActionError(`${what} Listing the keys found none whose name holds this run's nonce ${nonce}: the API created no key. Nothing was published; run again.`, { code: 'issuer-unreachable', phase: 'mint' });
        }
        return discard(found, `${what} Listing the keys found the one it created (${ids(found)}, name holding ${nonce}), whose value never arrived here.`, 'issuer-unreachable');
    }
    /** Deletes keys this run created and cannot use, then fails with what happened. */
    async function discard(keys, what, code) {
        if (!config.revoke) {
            throw new ActionError(`${what} issuer.revoke is not set, so it was not deleted: delete ${ids(keys)} by hand. Nothing was published.`, { code: 'issuer-rejected', phase: 'mint' });
        }
        const failures = [];
        for (const id of keys) {
            try {
                await revokeId(id);
            }
            catch (error) {
                failures.push(describeError(error));
            }
        }
        if (failures.length > 0) {
            throw new ActionError(`${what} Deleting it failed (${failures.join('; ')}): delete ${ids(keys)} by hand. Nothing was published.`, { code: 'issuer-rejected', phase: 'mint' });
        }
        throw new ActionError(`${what} It was deleted at once (${ids(keys)}), so nothing is left behind. Nothing was published: the targets keep the current key.`, { code, phase: 'mint' });
    }
    /** The ids of the listed keys whose name holds `nonce`. */
    async function findByNonce(nonce) {
        const list = config.list;
        if (!list)
            return [];
        const request = prepare(list, 'GET', common());
        const outcome = await send(request, transient);
        const where = `${request.method} ${shown(request.url)}`;
        if (outcome instanceof TransportError)
            throw new Error(`${where}: ${outcome.detail}`);
        const text = await outcome.text();
        if (outcome.status < 200 || outcome.status >= 300) {
            const detail = apiDetail(text, secrets());
            throw new Error(`${where} answered HTTP ${String(outcome.status)}${detail ? `: ${detail}` : ''}`);
        }
        const items = readPointer(parseJson(text), list.items ?? '');
        if (!items.found || !Array.isArray(items.value)) {
            throw new Error(`${where}: no list at ${list.items ?? "''"} (issuer.list.items)`);
        }
        return items.value.flatMap((item) => {
            const name = textAt(item, list.name);
            const id = textAt(item, list.id);
            return name?.includes(nonce) === true && id !== undefined ? [id] : [];
        });
    }
    /** Deletes one key by id; a key already gone counts as deleted. */
    async function revokeId(id) {
        const template = config.revoke;
        if (!template)
            return;
        const request = prepare(template, 'DELETE', { ...common(), id });
        const where = `${request.method} ${shown(request.url)}`;
        // Deleting twice is harmless: anything transient is tried again.
        const outcome = await send(request, transient);
        if (outcome instanceof TransportError) {
            throw new ActionError(`Could not delete key ${id} at ${where} in ${String(ATTEMPTS)} attempts (${outcome.detail}). It stays valid until it is deleted.`, { code: 'issuer-unreachable', phase: 'retire', retryable: true, cause: outcome });
        }
        const { status } = outcome;
        const detail = apiDetail(await outcome.text(), secrets());
        const said = detail === '' ? '' : `: ${detail}`;
        if (status >= 200 && status < 300) {
            log.info(`Deleted key ${id} (${where})`);
            return;
        }
        if (status === 404 || status === 410) {
            log.info(`Key ${id} was already gone (${where} answered HTTP ${String(status)}): it counts as revoked`);
            return;
        }
        const who = caller().who === 'admin' ? 'the credential in issuer.admin' : 'the current key';
        const advice = status === 401 || status === 403
            ? `the API refused ${who} the right to delete keys: give issuer.admin a credential allowed to`
            : status >= 500 || status === 429
                ? 'the API kept failing: run again later (mode retire)'
                : 'check issuer.revoke (url, method, headers)';
        throw new ActionError(`${where} answered HTTP ${String(status)}${said} to the deletion of key ${id}; ${advice}. It stays valid until it is deleted.`, {
            code: status >= 500 || status === 429 ? 'issuer-unreachable' : 'issuer-rejected',
            phase: 'retire',
            retryable: status >= 500 || status === 429
        });
    }
    const issuer = {
        kind: HTTP_KIND,
        revokes: 'handle',
        // The create (its retries only before a connection opened), a list and a deletion of the key
        // a lost answer left, each of their attempts at their whole timeout, and the backoff.
        mintTimeoutMs: 3 * ATTEMPTS * timeoutMs + 2 * BACKOFF_MS.reduce((a, b) => a + b, 0),
        mint: guard((current, context) => mint(current, context), 'mint')
    };
    if (config.revoke) {
        issuer.revoke = guard((retired) => revokeId(handleOf(retired)), 'retire');
    }
    return issuer;
}
function ids(keys) {
    return `${keys.length === 1 ? 'key' : 'keys'} ${keys.join(', ')}`;
}
function parseJson(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        return undefined;
    }
}
/** The id to delete: the record keeps it as the handle; this issuer never gets a value. */
function handleOf(retired) {
    if (retired.by === 'handle')
        return retired.handle;
    throw new ActionError(`The key API issuer deletes a key by its id, and was given only the value of ${retired.fingerprint}`, { code: 'internal', phase: 'retire' });
}
/** Anything unforeseen becomes an ActionError of the step, so the report says where it failed. */
function guard(step, phase) {
    return async (...args) => {
        try {
            return await step(...args);
        }
        catch (error) {
            if (error instanceof ActionError)
                throw error;
            throw new ActionError(`The key API ${phase === 'mint' ? 'create' : 'delete'} request could not be made: ${describeError(error)}`, { code: 'internal', phase, cause: error });
        }
    };
}

/** The key API issuer of a credential that creates and deletes keys over HTTP. */
function assembleHttp(config, deps) {
    const http = config.slices.http;
    if (!http)
        return {};
    // undici carries the requests: it loads while the first GitHub requests are in flight.
    import('./index-BPbuj0Mu.js').then(function (n) { return n.i; }).catch(() => undefined);
    return {
        issuer: createHttpIssuer(http, {
            mask: secret => {
                deps.mask(secret);
            },
            log: deps.log,
            sleep: deps.sleep,
            clock: deps.clock,
            ...(config.previousValue !== undefined ? { current: config.previousValue } : {})
        })
    };
}

export { assembleHttp };
