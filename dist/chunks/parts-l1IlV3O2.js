import { randomBytes, createHash } from 'node:crypto';
import { G as GITLAB_TOKEN, g as expiryDate, o as ownerLabel, h as expiryInstant, m as maskProblem, t as tlsKeysAt } from './index-Czz4Wkal.js';
import { r as redactSecrets } from './redaction-Cn2Yd9gW.js';
import { c as createTransport, T as TransportError } from './transport-DolXUEXK.js';
import { A as ActionError, d as describeError } from './errors-DDD4RsHd.js';
import { l as leaseDeadline, s as shortLeaseReason, a as abortIn } from './lease-BbQJ8jVX.js';
import { o as object, n as number, s as string } from './schemas-D3_i4Iqf.js';
import { d as datetime, b as rotationStateSchema } from './state-VUS-4fVQ.js';
import { D as DEFAULT_PERSIST_TIMEOUT_MS, p as persistWithRetries } from './persist-retries-B2StcHuD.js';
import './duration-Cyz5SPp-.js';
import './wording-CXsTWj4t.js';
import './loopback-CdUp0z11.js';
import './lists-D2x1VrPX.js';
import './backoff-CUn3El8i.js';

/**
 * A request that got no answer: `reached` is false only when GitLab provably never saw it (the
 * connection never opened). Its message never holds the token.
 */
class GitLabTransportError extends Error {
    name = 'GitLabTransportError';
    reached;
    constructor(detail, reached, cause) {
        super(detail, { cause });
        this.reached = reached;
    }
}
const ATTEMPTS = 3;
const BACKOFF_MS = 1_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
const MESSAGE_MAX = 300;
/** GitLab's largest page. */
const PER_PAGE = '100';
/** Pages followed before a list is taken as endless. */
const MAX_PAGES = 50;
/** The client of one GitLab instance and token. */
class GitLabClient {
    url;
    /** The API base: `<url>/api/v4`. */
    apiUrl;
    #token;
    #sleep;
    #transport;
    #maxRetryAfterMs;
    /** GitLab's clock as its last answer said, and when (runner's monotonic clock) it said it. */
    #lastDate;
    constructor(options) {
        this.url = options.url.replace(/\/+$/, '');
        this.apiUrl = `${this.url}/api/v4`;
        this.#token = options.token;
        this.#sleep = options.sleep;
        this.#maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
        this.#transport = createTransport({
            tls: options.tls ?? {},
            timeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
            ...(options.tlsKeys ? { keys: options.tlsKeys } : {})
        });
    }
    /**
     * GitLab's clock now, from the `Date` of its last answer plus the time since (never earlier
     * than it); undefined before any answer with a date.
     */
    now() {
        const last = this.#lastDate;
        if (!last)
            return undefined;
        return new Date(last.date.getTime() + (performance.now() - last.at));
    }
    /**
     * Sends one request, repeating it as `repeat` allows, and returns GitLab's answer whatever its
     * status.
     * @throws GitLabTransportError when no answer came
     */
    async send(request) {
        const repeat = request.repeat ?? (request.method === 'POST' ? 'unsent-only' : 'safe');
        for (let attempt = 1;; attempt += 1) {
            const last = attempt >= ATTEMPTS;
            let answer;
            try {
                answer = await this.#sendOnce(request);
            }
            catch (error) {
                if (!(error instanceof GitLabTransportError))
                    throw error;
                if (last || request.signal?.aborted || (repeat === 'unsent-only' && error.reached)) {
                    throw error;
                }
                await this.#sleep(BACKOFF_MS * attempt);
                continue;
            }
            if (last)
                return answer;
            if (answer.status === 429) {
                const waitMs = retryAfterMs(answer.headers, answer.date);
                if (waitMs > this.#maxRetryAfterMs)
                    return answer;
                await this.#sleep(waitMs);
                continue;
            }
            if (repeat === 'safe' && [502, 503, 504].includes(answer.status)) {
                await this.#sleep(BACKOFF_MS * attempt);
                continue;
            }
            return answer;
        }
    }
    /**
     * Every item of a list, following GitLab's offset paging (`X-Next-Page`) at 100 a page.
     * @returns the items, and the `Date` of the last page
     * @throws GitLabTransportError, or the answer of the first page that is not a 200 list
     */
    async list(path, query = {}) {
        const items = [];
        let page = '1';
        let date;
        for (let n = 0; n < MAX_PAGES; n += 1) {
            const answer = await this.send({
                method: 'GET',
                path,
                query: { ...query, per_page: PER_PAGE, page }
            });
            if (answer.status !== 200 || !Array.isArray(answer.body))
                return { failed: answer };
            items.push(...answer.body);
            date = answer.date ?? date;
            const next = answer.headers.get('x-next-page') ?? '';
            if (next === '')
                return date ? { items, date } : { items };
            page = next;
        }
        return date ? { items, date } : { items };
    }
    async #sendOnce(request) {
        const url = new URL(`${this.apiUrl}${request.path}`);
        for (const [name, value] of Object.entries(request.query ?? {})) {
            url.searchParams.set(name, value);
        }
        const headers = {
            'private-token': this.#token,
            accept: 'application/json'
        };
        let body;
        if (request.form) {
            body = new URLSearchParams();
            for (const [name, value] of Object.entries(request.form)) {
                if (typeof value === 'string')
                    body.append(name, value);
                else
                    for (const item of value)
                        body.append(`${name}[]`, item);
            }
            headers['content-type'] = 'application/x-www-form-urlencoded';
        }
        let response;
        try {
            response = await this.#transport(url.toString(), {
                method: request.method,
                headers,
                ...(body ? { body } : {}),
                redirect: 'manual',
                signal: request.signal
            });
        }
        catch (error) {
            if (error instanceof TransportError) {
                throw new GitLabTransportError(error.detail, error.reached, error);
            }
            if (request.signal?.aborted) {
                throw new GitLabTransportError('the request was abandoned', true, error);
            }
            throw error;
        }
        const text = await response.text();
        const dateHeader = response.headers.get('date');
        const parsed = dateHeader === null ? Number.NaN : Date.parse(dateHeader);
        const date = Number.isNaN(parsed) ? undefined : new Date(parsed);
        if (date)
            this.#lastDate = { date, at: performance.now() };
        return {
            status: response.status,
            body: parseJson(text),
            headers: response.headers,
            ...(date ? { date } : {})
        };
    }
    /**
     * GitLab's reason for an answer that is not a success, as one short line: `{"message": ...}`
     * (a string, or errors by attribute), `{"error": ...}`, or the status alone. Never the token.
     */
    reason(answer) {
        const body = answer.body;
        let text = '';
        if (typeof body === 'object' && body !== null) {
            const { message, error, error_description: description } = body;
            if (typeof message === 'string')
                text = message;
            else if (typeof message === 'object' && message !== null) {
                text = Object.entries(message)
                    .map(([field, problems]) => Array.isArray(problems) ? `${field} ${problems.map(p => String(p)).join(', ')}` : field)
                    .join('; ');
            }
            else if (typeof description === 'string')
                text = description;
            else if (typeof error === 'string')
                text = error;
        }
        const clean = redactSecrets(text, [this.#token])
            .replace(/\p{Cc}+/gu, ' ')
            .trim();
        const short = clean.length > MESSAGE_MAX ? `${clean.slice(0, MESSAGE_MAX)}...` : clean;
        return short === ''
            ? `HTTP ${String(answer.status)}`
            : `HTTP ${String(answer.status)}: ${short}`;
    }
}
function parseJson(text) {
    if (text.trim() === '')
        return undefined;
    try {
        return JSON.parse(text);
    }
    catch {
        return undefined;
    }
}
/** `Retry-After` in seconds or as a date (against GitLab's own `Date`); 60 s when absent. */
function retryAfterMs(headers, date) {
    const value = headers.get('retry-after');
    if (value === null)
        return 60_000;
    if (/^\d+$/.test(value.trim()))
        return Number(value.trim()) * 1000;
    const at = Date.parse(value);
    if (Number.isNaN(at))
        return 60_000;
    return Math.max(0, at - (date?.getTime() ?? Date.now()));
}
/** A project or group path (or numeric id) as one URL segment: `acme%2Fapp`. */
function segment(idOrPath) {
    return encodeURIComponent(idOrPath);
}

/** The code of a GitLab answer that is not a success. */
function codeOf(status) {
    if (status === 401)
        return 'gitlab-auth';
    if (status === 403)
        return 'gitlab-forbidden';
    if (status === 404)
        return 'gitlab-not-found';
    if (status === 429)
        return 'gitlab-rate-limited';
    if (status >= 500)
        return 'gitlab-unavailable';
    return 'gitlab-rejected';
}
/**
 * An answer that is not a success, as an ActionError that says what the run was doing, what
 * GitLab said (never a value) and what to do.
 */
function answerError(client, answer, context) {
    const reason = client.reason(answer);
    const what = `GitLab refused ${context.doing} (${reason})`;
    let advice;
    switch (answer.status) {
        case 401:
            advice = `: the token is unknown, expired or revoked. Give a live token with ${context.needs}.`;
            break;
        case 403:
            advice = `: the token lacks ${context.needs}.`;
            break;
        case 404:
            advice = `: ${context.notFound ?? `it does not exist, or the token cannot see it (it needs ${context.needs})`}.`;
            break;
        case 429:
            advice = `: GitLab's rate limit; nothing was changed by this request. Run again later.`;
            break;
        default:
            advice = answer.status >= 500 ? ': GitLab failed; run again later.' : '.';
    }
    return new ActionError(`${what}${advice}`, {
        code: codeOf(answer.status),
        phase: context.phase,
        retryable: answer.status === 429 || answer.status >= 500
    });
}
/** A request that got no answer, for a request that is safe to repeat. */
function transportError(error, context) {
    const detail = error instanceof Error ? error.message : 'the request failed';
    return new ActionError(`No answer from GitLab while ${context.doing}: ${detail}. Run again later.`, {
        code: 'gitlab-unavailable',
        phase: context.phase,
        retryable: true,
        cause: error
    });
}
/** Runs `request`, turning a lost answer into an ActionError of `context`. */
async function answered(request, context) {
    try {
        return await request();
    }
    catch (error) {
        if (error instanceof GitLabTransportError)
            throw transportError(error, context);
        throw error;
    }
}

/** The longest one mint may take: a few reads and one create or rotate, each 30 s at most. */
const MINT_TIMEOUT_MS = 3 * 60_000;
const REAUTHORIZE = 'Create a new token with the same name, scopes and role in GitLab, store it where issuer.token reads it, and run again';
/**
 * The `gitlab-token` issuer: a personal, project or group access token, found by its name.
 *
 * - `rotate`: the token rotates itself (`POST …/access_tokens/self/rotate`, GitLab 17.9; the `api`
 *   or `self_rotate` scope). GitLab revokes the old token in the same step, so the request is
 *   never repeated once it may have reached GitLab: a rotate with a revoked token makes GitLab
 *   revoke every token rotated from it. Before it, the token is read back (`GET
 *   /personal_access_tokens/self`, which revokes nothing): a revoked token is never presented to
 *   the rotate endpoint.
 * - `create-then-revoke`: an admin token creates a token with the same name, scopes and role and
 *   a new expiry; the old one is revoked by id once the new one is published and proven, after
 *   the grace period, and (with `retire.when-unused-for`) once GitLab saw no use of it for that long.
 * @see https://docs.gitlab.com/api/project_access_tokens/
 * @see https://docs.gitlab.com/api/personal_access_tokens/
 */
class GitLabTokenIssuer {
    kind = GITLAB_TOKEN;
    revokes = 'handle';
    mintTimeoutMs = MINT_TIMEOUT_MS;
    #settings;
    #deps;
    constructor(settings, deps) {
        this.#settings = settings;
        this.#deps = deps;
    }
    mint(current) {
        return this.#settings.strategy === 'rotate' ? this.#rotate(current) : this.#create(current);
    }
    async revoke(retired) {
        if (retired.by !== 'handle') {
            throw new ActionError(`${GITLAB_TOKEN} revokes by token id only; this is a bug.`, {
                code: 'internal',
                phase: 'retire'
            });
        }
        const client = this.#deps.client(this.#deps.token);
        const context = this.#context('retire', `revoking the token ${this.#name()} with id ${retired.handle}`);
        const answer = await answered(() => client.send({ method: 'DELETE', path: this.#tokenPath(retired.handle) }), context);
        // Gone already counts as revoked: a revocation is repeated safely.
        if (answer.status === 204 || answer.status === 200 || answer.status === 404)
            return;
        throw answerError(client, answer, context);
    }
    async lastUsed(handle) {
        const client = this.#deps.client(this.#deps.token);
        const context = this.#context('retire', `reading the token ${this.#name()} with id ${handle}`);
        const answer = await answered(() => client.send({ method: 'GET', path: this.#tokenPath(handle) }), context);
        const now = answer.date;
        if (!now) {
            throw new ActionError(`GitLab's answer about the token ${this.#name()} carried no Date header, and whether a token is still in use is judged on GitLab's clock only. Check the proxy between the runner and GitLab: it must pass the Date header.`, { code: 'gitlab-rejected', phase: 'retire' });
        }
        // A token that is gone, revoked or expired is used by no one any more.
        if (answer.status === 404)
            return { now };
        if (answer.status !== 200)
            throw answerError(client, answer, context);
        const token = answer.body;
        if (token.revoked === true || token.active === false)
            return { now };
        const at = token.last_used_at ? Date.parse(token.last_used_at) : Number.NaN;
        return Number.isNaN(at) ? { now } : { lastUsedAt: new Date(at), now };
    }
    // --- rotate ---------------------------------------------------------------------------------
    async #rotate(current) {
        const client = this.#deps.client(current);
        const self = await this.#self(client);
        const days = this.#settings.expiresInDays;
        const now = client.now();
        if (!now)
            throw this.#noDate();
        const expiresAt = expiryDate(now, days);
        const owner = this.#settings.owner;
        const path = owner.kind === 'personal'
            ? '/personal_access_tokens/self/rotate'
            : `/${owner.kind}s/${segment(owner.path)}/access_tokens/self/rotate`;
        const context = this.#context('mint', `rotating the token ${this.#name()}`);
        let answer;
        try {
            answer = await client.send({
                method: 'POST',
                path,
                form: { expires_at: expiresAt },
                repeat: 'unsent-only'
            });
        }
        catch (error) {
            if (error instanceof GitLabTransportError && !error.reached) {
                throw new ActionError(`The rotate request for the token ${this.#name()} never reached GitLab (${error.message}): nothing was rotated, and the token still works. Run again.`, { code: 'issuer-unreachable', phase: 'mint', retryable: true, cause: error });
            }
            throw new ActionError(`The rotate request for the token ${this.#name()} (id ${String(self.id)}) may have reached GitLab, and no answer came (${error instanceof Error ? error.message : 'the request failed'}): GitLab may have revoked it and made a successor this run never saw. It is not sent again: rotating a revoked token makes GitLab revoke every token rotated from it. The next run reads the token first (which revokes nothing): if it still works, that run rotates it; if it is revoked, ${REAUTHORIZE.toLowerCase()}.`, { code: 'issuer-outcome-unknown', phase: 'mint', cause: error });
        }
        if (answer.status === 200 || answer.status === 201) {
            return this.#minted(answer, current, true);
        }
        if (answer.status >= 500) {
            throw new ActionError(`GitLab failed while rotating the token ${this.#name()} (${client.reason(answer)}): the rotation may or may not have happened. It is not sent again (rotating a revoked token makes GitLab revoke every token rotated from it); the next run reads the token first and tells.`, { code: 'issuer-outcome-unknown', phase: 'mint' });
        }
        throw this.#refusal(client, answer, context);
    }
    /** The token itself, read without changing anything: it must be live and have the right name. */
    async #self(client) {
        const context = this.#context('mint', `reading the token ${this.#name()} before rotating it`);
        const answer = await answered(() => client.send({ method: 'GET', path: '/personal_access_tokens/self' }), context);
        if (answer.status === 401) {
            throw new ActionError(`GitLab refused the token given as issuer.token (${client.reason(answer)}): it is revoked or expired. It was not presented to the rotate endpoint, where a revoked token makes GitLab revoke every token rotated from it. If an earlier run's rotate answer was lost, the token it made is lost with it: ${REAUTHORIZE}.`, { code: 'reauthorization-needed', phase: 'mint' });
        }
        if (answer.status !== 200)
            throw answerError(client, answer, context);
        const token = answer.body;
        if (token.name !== this.#settings.tokenName) {
            throw new ActionError(`The token given as issuer.token is named '${token.name}', not '${this.#settings.tokenName}' (issuer.token-name): nothing was rotated. Give the token named ${this.#settings.tokenName}, or fix issuer.token-name.`, { code: 'invalid-input', phase: 'mint' });
        }
        return token;
    }
    // --- create-then-revoke ---------------------------------------------------------------------
    async #create(current) {
        const client = this.#deps.client(current);
        const { template, userId } = await this.#template(client);
        const now = client.now();
        if (!now)
            throw this.#noDate();
        const owner = this.#settings.owner;
        const form = {
            name: this.#settings.tokenName,
            scopes: template.scopes ?? [],
            expires_at: expiryDate(now, this.#settings.expiresInDays),
            ...(template.description ? { description: template.description } : {}),
            ...(owner.kind !== 'personal' && template.access_level !== undefined
                ? { access_level: String(template.access_level) }
                : {})
        };
        const path = owner.kind === 'personal'
            ? `/users/${String(userId)}/personal_access_tokens`
            : `/${owner.kind}s/${segment(owner.path)}/access_tokens`;
        const context = this.#context('mint', `creating a token named ${this.#name()}`);
        let answer;
        try {
            answer = await client.send({ method: 'POST', path, form, repeat: 'unsent-only' });
        }
        catch (error) {
            if (error instanceof GitLabTransportError && !error.reached) {
                throw new ActionError(`The request to create a token named ${this.#name()} never reached GitLab (${error.message}): nothing was created. Run again.`, { code: 'issuer-unreachable', phase: 'mint', retryable: true, cause: error });
            }
            throw new ActionError(`The request to create a token named ${this.#name()} may have reached GitLab, and no answer came (${error instanceof Error ? error.message : 'the request failed'}): GitLab may hold a new token this run never saw. It is not sent again blindly; the admin token is not consumed and the old token still works, so the next run creates another. A token left over expires on ${String(form.expires_at)}; revoke it in GitLab (the newest token named ${this.#settings.tokenName} that no target holds) if you want it gone sooner.`, { code: 'issuer-outcome-unknown', phase: 'mint', cause: error });
        }
        if (answer.status === 201 || answer.status === 200) {
            // The token copied is the one the new one replaces: a record that names none (a token made
            // by hand, before the first rotation) takes its id, so it is revoked like every later one.
            return { ...this.#minted(answer, current, false), replaces: String(template.id) };
        }
        throw this.#refusal(client, answer, context);
    }
    /** The live token of that name to copy scopes and role from: the newest one. */
    async #template(client) {
        const owner = this.#settings.owner;
        const context = this.#context('mint', `listing the tokens named ${this.#name()}`);
        let userId;
        let path;
        const query = { state: 'active', search: this.#settings.tokenName };
        if (owner.kind === 'personal') {
            const user = await answered(() => client.send({ method: 'GET', path: '/user' }), context);
            if (user.status !== 200)
                throw answerError(client, user, context);
            userId = user.body.id;
            path = '/personal_access_tokens';
            query.user_id = String(userId);
        }
        else
            path = `/${owner.kind}s/${segment(owner.path)}/access_tokens`;
        let listed;
        try {
            listed = await client.list(path, query);
        }
        catch (error) {
            if (error instanceof GitLabTransportError) {
                throw new ActionError(`No answer from GitLab while ${context.doing}: ${error.message}. Nothing was created. Run again.`, { code: 'issuer-unreachable', phase: 'mint', retryable: true, cause: error });
            }
            throw error;
        }
        if ('failed' in listed)
            throw answerError(client, listed.failed, context);
        const named = listed.items
            .filter(token => token.name === this.#settings.tokenName && token.active !== false)
            .sort((a, b) => b.id - a.id);
        const [template] = named;
        if (!template) {
            throw new ActionError(`No live token named ${this.#settings.tokenName} in ${ownerLabel(owner)}: create-then-revoke copies the scopes and role of the current token. Create it once in GitLab with the scopes and role new tokens should have, publish it, and run again.`, { code: 'issuer-rejected', phase: 'mint' });
        }
        return userId === undefined ? { template } : { template, userId };
    }
    // --- shared -------------------------------------------------------------------------------
    /** The new token, masked before anything else happens to it. */
    #minted(answer, current, rotated) {
        const token = answer.body;
        const value = token.token;
        if (typeof value !== 'string' || value === '') {
            throw new ActionError(`GitLab's answer for the token ${this.#name()} holds no token value; nothing can be published.`, { code: 'issuer-rejected', phase: 'mint' });
        }
        this.#deps.mask(value);
        const expiresAt = token.expires_at ? expiryInstant(token.expires_at) : undefined;
        return {
            value,
            next: rotated ? value : current,
            rotated,
            handle: String(token.id),
            ...(expiresAt ? { expiresAt } : {})
        };
    }
    /** A refused create or rotate: nothing changed, and the message says why in GitLab's words. */
    #refusal(client, answer, context) {
        const reason = client.reason(answer);
        if (answer.status === 400 && /expires at/i.test(reason)) {
            return new ActionError(`GitLab refused the new token's expiry (${reason}): issuer.expires-in (${String(this.#settings.expiresInDays)} days) is longer than this instance allows. Nothing changed. Shorten issuer.expires-in.`, { code: 'issuer-rejected', phase: 'mint' });
        }
        if (answer.status === 401) {
            return new ActionError(`GitLab refused the token given as issuer.token while ${context.doing} (${reason}): it is revoked or expired. Nothing changed. ${REAUTHORIZE}.`, { code: 'reauthorization-needed', phase: 'mint' });
        }
        if (answer.status === 405 && this.#settings.strategy === 'rotate') {
            return new ActionError(`GitLab refused to let the token rotate itself (${reason}): a project or group access token rotates itself only at its own project or group. Check issuer.project / issuer.group. Nothing changed.`, { code: 'issuer-rejected', phase: 'mint' });
        }
        const error = answerError(client, answer, context);
        return new ActionError(`${error.message} Nothing changed.`, {
            code: answer.status === 429 ? 'gitlab-rate-limited' : 'issuer-rejected',
            phase: 'mint',
            retryable: error.retryable
        });
    }
    #tokenPath(id) {
        const owner = this.#settings.owner;
        return owner.kind === 'personal'
            ? `/personal_access_tokens/${segment(id)}`
            : `/${owner.kind}s/${segment(owner.path)}/access_tokens/${segment(id)}`;
    }
    #context(phase, doing) {
        const owner = this.#settings.owner;
        const needs = this.#settings.strategy === 'rotate'
            ? 'the api or self_rotate scope'
            : owner.kind === 'personal'
                ? 'the api scope of an administrator'
                : `the api scope and the ${owner.kind === 'project' ? 'Maintainer' : 'Owner'} role in ${owner.path}`;
        return {
            phase,
            doing,
            needs,
            notFound: `${ownerLabel(owner)} or the token does not exist at ${this.#settings.url}, or issuer.token cannot see it (it needs ${needs})`
        };
    }
    #name() {
        return `${this.#settings.tokenName} of ${ownerLabel(this.#settings.owner)}`;
    }
    #noDate() {
        return new ActionError(`GitLab's answers carry no Date header: a new token's expiry is set on GitLab's clock. Check the proxy between the runner and GitLab: it must pass the Date header.`, { code: 'gitlab-rejected', phase: 'mint' });
    }
}

/**
 * The runner's monotonic clock in ms, read only for how much time passed: neither its offset nor a
 * runner's wrong wall clock ever matters.
 */
const localNow = () => performance.now();
/**
 * GitLab's clock as the runner can know it: the `Date` of GitLab's latest answer, moved on by the
 * time that passed on the runner since. Runners' clocks can be off by an hour; GitLab's is the one
 * every job of a project shares. `Date` is cut to the second and stamped somewhere within the
 * round trip, so each reading is a bound: {@link earliest} for another run's lease,
 * {@link latest} for this run's own.
 */
class GitLabClock {
    #anchor;
    /** Takes the `Date` of an answer to a request sent at `sent` (runner's ms, {@link localNow}). */
    observe(date, sent) {
        if (date === undefined)
            return;
        const received = localNow();
        if (this.#anchor === undefined || received >= this.#anchor.received) {
            this.#anchor = { date: date.getTime(), sent, received };
        }
    }
    /** The runner's clock now, in ms: what {@link observe} takes as `sent`. */
    static local() {
        return localNow();
    }
    /** GitLab's time now, never later than it; undefined before any answer with a `Date`. */
    earliest() {
        const a = this.#anchor;
        return a && new Date(a.date + (localNow() - a.received));
    }
    /**
     * GitLab's time now, never earlier than it: the second `Date` was cut from, and all the time
     * since the request left.
     */
    latest() {
        const a = this.#anchor;
        return a && new Date(a.date + 1000 + (localNow() - a.sent));
    }
}
/**
 * The CI/CD variables of one project or group, for the store, its record and its lock: one
 * request per call, every answer's `Date` read into {@link clock}. The answers the store expects
 * (absent, already there) are results; any other is an ActionError saying what it was doing.
 * Variables of the store live in the environment scope `*` only.
 * @see https://docs.gitlab.com/api/project_level_variables/
 * @see https://docs.gitlab.com/api/group_level_variables/
 */
class OwnerVariables {
    #client;
    owner;
    /** GitLab's clock, from the answers these requests got. */
    clock = new GitLabClock();
    /** What the token needs, for messages: where it was given. */
    #tokenKey;
    constructor(client, owner, tokenKey) {
        this.#client = client;
        this.owner = owner;
        this.#tokenKey = tokenKey;
    }
    /** `project acme/app`, for messages. */
    get label() {
        return `${this.owner.kind} ${this.owner.path}`;
    }
    /** The variable, or undefined when it does not exist. */
    async read(key, phase) {
        const context = this.context(phase, `reading the variable ${key} of ${this.label}`);
        const answer = await this.#send({ method: 'GET', path: this.#path(key), query: SCOPE }, context, {});
        if (answer.status === 200) {
            const body = answer.body;
            return {
                value: typeof body.value === 'string' ? body.value : null,
                hidden: body.hidden === true,
                masked: body.masked === true
            };
        }
        if (isVariableNotFound(this.#client, answer))
            return undefined;
        throw answerError(this.#client, answer, context);
    }
    /**
     * Creates the variable; false when one of that key exists already. GitLab answers such a create
     * with 400 `has already been taken` instead of replacing the value: an atomic test-and-set.
     * @throws ActionError; a lost answer is code `gitlab-unavailable` (the create may have landed)
     */
    async create(key, value, settings, phase, send = {}) {
        const context = this.context(phase, `creating the variable ${key} of ${this.label}`);
        const answer = await this.#send({
            method: 'POST',
            path: this.#base(),
            form: {
                key,
                value,
                environment_scope: '*',
                variable_type: 'env_var',
                protected: String(settings.protected),
                // Never expanded: a `$` in a value stays as it is, and any non-space character is masked.
                raw: 'true',
                ...(settings.hidden ? { masked_and_hidden: 'true' } : { masked: 'false' })
            }
        }, context, { ...send, once: true });
        if (answer.status === 201)
            return true;
        if (answer.status === 400 && /already been taken/.test(this.#client.reason(answer))) {
            return false;
        }
        throw answerError(this.#client, answer, context);
    }
    /** Replaces the variable's value, keeping its settings; false when it does not exist. */
    async update(key, value, phase, send = {}) {
        const context = this.context(phase, `writing the variable ${key} of ${this.label}`);
        const answer = await this.#send({ method: 'PUT', path: this.#path(key), query: SCOPE, form: { value } }, context, send);
        if (answer.status === 200)
            return true;
        if (isVariableNotFound(this.#client, answer))
            return false;
        throw answerError(this.#client, answer, context);
    }
    /** Deletes the variable; false when it was gone already. */
    async delete(key, phase, send = {}) {
        const context = this.context(phase, `deleting the variable ${key} of ${this.label}`);
        const answer = await this.#send({ method: 'DELETE', path: this.#path(key), query: SCOPE }, context, send);
        if (answer.status === 204 || answer.status === 200)
            return true;
        if (isVariableNotFound(this.#client, answer))
            return false;
        throw answerError(this.#client, answer, context);
    }
    /** What a failed request of `phase` was doing, for its message. */
    context(phase, doing) {
        return {
            phase,
            doing,
            needs: `the api scope and the Maintainer role in ${this.label} (${this.#tokenKey})`,
            notFound: `the ${this.label} does not exist at ${this.#client.url}, or ${this.#tokenKey} cannot see it`
        };
    }
    async #send(request, context, send) {
        const sent = GitLabClock.local();
        const answer = await answered(() => this.#client.send({
            ...request,
            ...(send.signal ? { signal: send.signal } : {}),
            ...(send.once === true ? { repeat: 'unsent-only' } : {})
        }), context).catch((error) => {
            // An abort says why in its own words: the lease's reason, not a lost connection.
            const reason = send.signal?.aborted === true ? send.signal.reason : undefined;
            if (!(reason instanceof Error))
                throw error;
            throw new ActionError(`Abandoned ${context.doing}: ${reason.message}.`, {
                code: 'locked',
                phase: context.phase,
                cause: error
            });
        });
        this.clock.observe(answer.date, sent);
        return answer;
    }
    #base() {
        return `/${this.owner.kind}s/${segment(this.owner.path)}/variables`;
    }
    #path(key) {
        return `${this.#base()}/${segment(key)}`;
    }
}
/** Only the store's variables: those of every environment. */
const SCOPE = { 'filter[environment_scope]': '*' };
/** A 404 that names the variable, not its project or group. */
function isVariableNotFound(client, answer) {
    return answer.status === 404 && /variable not found/i.test(client.reason(answer));
}
/** Whether `error` is a request that got no answer, which may have landed. */
function isLostAnswer(error) {
    const cause = error instanceof ActionError ? error.cause : error;
    return cause instanceof GitLabTransportError && cause.reached;
}

// The protocol is the GitHub variable lock's (docs/adr/0005-one-writer-lock.md), with the lease's
// end written into the value: GitLab's variables carry no time of their own.
/**
 * The lock variable's value: who holds it, which holding (`token`), its generation, and when its
 * lease ends on GitLab's clock. Never a secret, and no time of the runner's.
 */
const recordSchema = object({
    owner: string(),
    token: string(),
    generation: number().int().min(0),
    expiresAt: datetime()
});
/**
 * Longest a lock request may take to land: the client's attempts (30 s each) and its backoff. A
 * write under the lease is abandoned once less than this is left of what it is written under.
 */
const LOCK_REQUEST_BUDGET_MS = 60_000;
/** Rounds of read, create and take-over before a run gives up on a lock that keeps changing. */
const MAX_ROUNDS = 3;
/** Claims of abandoned take-overs skipped before giving up. */
const MAX_SKIPS = 5;
/**
 * The {@link Lock} port over a GitLab CI/CD variable, with the one atomic operation GitLab has for
 * variables: a create of an existing key answers 400 `has already been taken`.
 *
 * - Free: the create succeeds; this run holds generation 1, until `expiresAt`: GitLab's clock (the
 *   `Date` of its answers, never the runner's) when the create was sent, plus the lease.
 * - Held and its lease not over (judged on the earliest GitLab's clock can read now): `locked`.
 * - Held and expired: the run must first create the claim variable `<name>_<g+1>`, which only one
 *   run can do; the claimant reads the lock again and, only if it still holds the expired
 *   holding it read, replaces it with its own record of generation g+1. A lock is never deleted
 *   to take it over.
 */
function createGitLabLock(options) {
    return {
        description: `variable ${options.name} of ${options.variables.label}`,
        acquire: (owner, ttlMs) => acquire(options, owner, ttlMs)
    };
}
async function acquire(options, owner, ttlMs) {
    const { variables, name } = options;
    const mine = { owner, token: randomBytes(8).toString('hex') };
    for (let round = 1; round <= MAX_ROUNDS; round += 1) {
        let held = await readLock(options, name, 'preflight');
        if (held === undefined) {
            const fresh = { ...mine, generation: 1, expiresAt: expiry(options, ttlMs) };
            const created = await tryCreate(options, name, fresh);
            if (created)
                return new GitLabLease(options, fresh);
            // Taken between the read and the create, or the create's answer was lost: read again.
            held = await readLock(options, name, 'preflight');
            if (held === undefined)
                continue;
        }
        // This run's own create, whose answer was lost.
        if (held.record.token === mine.token)
            return new GitLabLease(options, held.record);
        if (held.expiresAt > gitlabNow(options))
            throw lockedError(held, options);
        const taken = await takeOver(options, held, mine, ttlMs);
        if (taken)
            return taken;
    }
    throw new ActionError(`The lock ${name} of ${variables.label} changed hands ${MAX_ROUNDS} times while this run was taking it: other runs are starting at the same time. Nothing was minted; run again once they have finished.`, { code: 'locked', phase: 'preflight' });
}
/**
 * Takes over `held`, whose lease is over. Only the run that creates the claim of the next
 * generation may write that generation into the lock; a claim left by a run that stopped between
 * its claim and its write is skipped once its own lease is over.
 * @returns the lease, or undefined when the lock changed meanwhile (the caller starts again)
 */
async function takeOver(options, held, mine, ttlMs) {
    const { variables, name, log } = options;
    const skipped = [];
    for (let generation = held.record.generation + 1; skipped.length <= MAX_SKIPS; generation += 1) {
        const claimName = claimOf(name, generation);
        const claim = { ...mine, generation, expiresAt: expiry(options, ttlMs) };
        let claimEnds;
        if (await tryCreate(options, claimName, claim)) {
            claimEnds = new Date(claim.expiresAt);
        }
        else {
            const found = await readLock(options, claimName, 'preflight');
            if (found === undefined)
                return undefined;
            if (found.record.token !== mine.token) {
                if (found.expiresAt > gitlabNow(options))
                    throw takingOverError(found, held, options);
                skipped.push(generation);
                continue;
            }
            // Otherwise the claim is this run's own create, whose answer was lost.
            claimEnds = found.expiresAt;
        }
        const again = await readLock(options, name, 'preflight');
        const unchanged = again !== undefined && again.text === held.text && again.expiresAt <= gitlabNow(options);
        // Once the claim has expired another run may skip it and take the lock: this write must not
        // land after that, or it would replace that run's lock.
        const beforeClaimEnds = abortIn(claimEnds.getTime() - latestGitLabNow(options).getTime() - LOCK_REQUEST_BUDGET_MS, `the claim ${claimName} of ${variables.label} would expire before the take-over could land`);
        const record = { ...mine, generation, expiresAt: expiry(options, ttlMs) };
        if (!unchanged ||
            !(await variables.update(name, JSON.stringify(record), 'preflight', {
                signal: beforeClaimEnds,
                once: true
            }))) {
            // This generation never reached the lock, so no other run can depend on the claim.
            await variables.delete(claimName, 'preflight', { once: true }).catch(() => false);
            return undefined;
        }
        const lease = new GitLabLease(options, record);
        log.warning(held.readable
            ? `Took over the lock ${name} of ${variables.label}: ${held.record.owner} held it and its lease ended at ${iso(held.expiresAt)} by GitLab's clock, without a release (that run most likely died). This run holds generation ${generation}.`
            : `Took over the lock ${name} of ${variables.label}: its value is not a lock this action wrote.`);
        // Claims of older generations can no longer win anything: a run that claims one again finds
        // the lock at this generation and stops.
        for (const old of [held.record.generation, ...skipped]) {
            if (old >= 2) {
                await variables.delete(claimOf(name, old), 'preflight', { once: true }).catch(() => false);
            }
        }
        return lease;
    }
    throw new ActionError(`The lock ${name} of ${variables.label} has ${MAX_SKIPS} abandoned take-over claims (${claimOf(name, held.record.generation + 1)} and on): delete the variables ${name}_* and run again.`, { code: 'locked', phase: 'preflight' });
}
/** The lock held by this run. */
class GitLabLease {
    holder;
    #options;
    #record;
    #endsAt;
    constructor(options, record) {
        this.#options = options;
        this.#record = record;
        this.#endsAt = new Date(record.expiresAt);
        this.holder = `${record.owner} (lock generation ${record.generation})`;
    }
    endsBy() {
        return this.#endsAt;
    }
    now() {
        return gitlabNow(this.#options);
    }
    leftMs() {
        return this.#endsAt.getTime() - latestGitLabNow(this.#options).getTime();
    }
    deadline(marginMs) {
        const { variables, name } = this.#options;
        return leaseDeadline(`the lock ${name} of ${variables.label}`, this.leftMs(), marginMs);
    }
    async confirm(neededMs) {
        const { variables, name } = this.#options;
        const found = await readLock(this.#options, name, 'mint');
        if (found === undefined) {
            return {
                held: false,
                owned: false,
                reason: `the lock ${name} of ${variables.label} was deleted by someone else while this run held it`
            };
        }
        if (found.record.token !== this.#record.token) {
            return { held: false, owned: false, reason: this.#successor(found) };
        }
        const leftMs = this.leftMs();
        if (leftMs < neededMs) {
            return {
                held: false,
                owned: true,
                reason: shortLeaseReason(`the lock ${name} of ${variables.label}`, leftMs, neededMs, iso(this.#endsAt), "GitLab's")
            };
        }
        return { held: true, endsAt: this.#endsAt, leftMs };
    }
    /**
     * Deletes the lock if it is still this run's and enough of the lease is left for the delete to
     * land before it ends: a delete that lands after a successor took the lock over would remove the
     * successor's. Otherwise the lock is left to expire. A failure is only a warning.
     */
    async release() {
        const { variables, name, log } = this.#options;
        try {
            const found = await readLock(this.#options, name, 'report');
            if (found === undefined) {
                log.warning(`The lock ${name} of ${variables.label} was already gone at the end of this run: someone else deleted it while this run held it.`);
                return;
            }
            if (found.record.token !== this.#record.token) {
                log.warning(`Left the lock ${name} of ${variables.label} in place: ${this.#successor(found)}.`);
                return;
            }
            if (this.leftMs() < LOCK_REQUEST_BUDGET_MS) {
                log.warning(`Left the lock ${name} of ${variables.label} to expire on its own at ${iso(this.#endsAt)} (GitLab's clock): too little of this run's lease is left to delete it safely, since a delete that lands after the lease ends could remove the lock of the run that takes it over. Raise lock-expires-after.`);
                return;
            }
            await variables.delete(name, 'report', { once: true });
            if (this.#record.generation >= 2) {
                await variables
                    .delete(claimOf(name, this.#record.generation), 'report', { once: true })
                    .catch(() => false);
            }
        }
        catch (error) {
            log.warning(`${describeError(error)} The lock's lease ends on its own at ${iso(this.#endsAt)} (GitLab's clock); until then other runs wait for it.`);
        }
    }
    /** What happened to this run's lock, given the lock another run holds now. */
    #successor(found) {
        const { variables, name } = this.#options;
        const other = `${found.record.owner} (generation ${found.record.generation}) until ${iso(found.expiresAt)}`;
        return found.record.generation > this.#record.generation
            ? `the lock ${name} of ${variables.label} was taken over by ${other}, after this run's lease ended at ${iso(this.#endsAt)} by GitLab's clock`
            : `the lock ${name} of ${variables.label} was deleted or overwritten by someone else while this run held it (an operator, or a request of another run that landed late), and is now held by ${other}`;
    }
}
/**
 * Creates `name` holding `record`: true when created, false when it exists or when the create's
 * answer was lost (it may have landed: the caller reads it and recognises its own token).
 */
async function tryCreate(options, name, record) {
    try {
        return await options.variables.create(name, JSON.stringify(record), PLAIN$1, 'preflight');
    }
    catch (error) {
        if (isLostAnswer(error))
            return false;
        throw error;
    }
}
/** A lock's variable: readable (it holds no secret), and available to every branch's jobs. */
const PLAIN$1 = { hidden: false, protected: false };
/** The claim variable that only the run taking the lock to `generation` can create. */
function claimOf(name, generation) {
    return `${name}_${String(generation)}`;
}
/**
 * The end of a lease written now: GitLab's time now at the latest, plus the lease. A create that
 * lands later only shortens the lease, which its holder measures from this same end.
 */
function expiry(options, ttlMs) {
    return new Date(latestGitLabNow(options).getTime() + ttlMs).toISOString();
}
function gitlabNow(options) {
    const now = options.variables.clock.earliest();
    if (now === undefined)
        throw noDateError(options);
    return now;
}
function latestGitLabNow(options) {
    const now = options.variables.clock.latest();
    if (now === undefined)
        throw noDateError(options);
    return now;
}
function noDateError(options) {
    return new ActionError(`GitLab's answers about the lock ${options.name} of ${options.variables.label} carry no Date header, and a lock's expiry is judged on GitLab's clock only (runners' clocks disagree). Check the proxy between the runner and GitLab: it must pass the Date header.`, { code: 'gitlab-rejected', phase: 'preflight' });
}
async function readLock(options, name, phase) {
    const variable = await options.variables.read(name, phase);
    if (variable === undefined)
        return undefined;
    const text = variable.value ?? '';
    const record = parseLock(text);
    if (record === undefined) {
        // Not a lock this action wrote (or a hidden one, whose value GitLab never shows): expired.
        return {
            record: { owner: 'unknown', token: '', generation: 0, expiresAt: new Date(0).toISOString() },
            expiresAt: new Date(0),
            text,
            readable: false
        };
    }
    return { record, expiresAt: new Date(record.expiresAt), text, readable: true };
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
    return parsed.success ? parsed.data : undefined;
}
function lockedError(held, options) {
    const { name, variables } = options;
    return new ActionError(`Another rotation holds the lock ${name} of ${variables.label}: ${held.record.owner}; its lease ends at ${iso(held.expiresAt)} by GitLab's clock. Wait for that run to finish and run again; once the lease has ended, the next run takes the lock over by itself. If that run is known to be dead, delete the variable ${name} of ${variables.label} (Settings > CI/CD > Variables, or glab variable delete ${name}) and run again.`, { code: 'locked', phase: 'preflight' });
}
function takingOverError(claim, held, options) {
    const { name, variables } = options;
    return new ActionError(`The lock ${name} of ${variables.label} expired at ${iso(held.expiresAt)} by GitLab's clock (${held.record.owner} held it), and another run, ${claim.record.owner}, is taking it over at this moment (it claimed generation ${claim.record.generation}). Nothing was minted; run again once that run has finished.`, { code: 'locked', phase: 'preflight' });
}
function iso(date) {
    return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Largest record written: well within what GitLab keeps in a variable, and what a job can take. */
const MAX_RECORD_BYTES = 48 * 1024;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/**
 * The store in GitLab CI/CD variables of a project or group: the credential (an OAuth2 refresh
 * token) in a masked, hidden variable, the write-ahead record (fingerprints and times, never a
 * value) in a second one, `<variable>_STATE`; the one-writer lock is a third
 * ({@link createGitLabLock}). The record is the GitHub store's, in the same format, so DESIGN.md's
 * write-ahead table holds as it is.
 *
 * A hidden variable's value is never shown again, not even to the API: the run gets the credential
 * from the job's environment (GitLab exposes the variable to the job), as the GitHub store gets its
 * secret from the workflow.
 *
 * Requests per call, when nothing fails: `readState` 1, `writeState` 1 (2 for the first record),
 * `check` 1 (2 for a variable still to create), `persist` 1.
 * @see https://docs.gitlab.com/ci/variables/#hide-a-cicd-variable
 */
function createGitLabStore(options) {
    const { variables, variable, stateVariable, log } = options;
    const timeoutMs = options.persistTimeoutMs ?? DEFAULT_PERSIST_TIMEOUT_MS;
    const where = `variable ${variable} of ${variables.label}`;
    return {
        kind: 'gitlab-variable',
        description: where,
        resetHint: `delete the rotation record, the variable ${stateVariable} of ${variables.label} (Settings > CI/CD > Variables, or glab variable delete ${stateVariable})`,
        readState: () => readState(options),
        writeState: (next, write) => writeState(options, next, write),
        check: async (current) => {
            const found = await variables.read(variable, 'preflight');
            if (found !== undefined && !found.masked) {
                throw new ActionError(`The ${where} is not masked: the refresh token it holds would show in job logs. Delete it (the store creates it masked and hidden, with the value this run is given), or mark it masked in GitLab, then run again.`, { code: 'invalid-input', phase: 'preflight' });
            }
            await writeValue(options, current, 'preflight', found !== undefined);
        },
        persistTimeoutMs: timeoutMs,
        persist: value => persistWithRetries({
            // One request per attempt: the loop retries within the budget, the client does not.
            write: () => writeValue(options, value, 'persist', true),
            where,
            timeoutMs,
            attemptMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
            clock: options.clock,
            sleep: options.sleep,
            log
        })
    };
}
/**
 * Writes the credential: an update, or a create (masked and hidden) when the variable does not
 * exist. Idempotent: every attempt writes the same value.
 */
async function writeValue(options, value, phase, exists) {
    const { variables, variable } = options;
    // Never expanded (raw): any character but whitespace can be masked, and GitLab refuses others.
    const why = maskProblem(value, true);
    if (why) {
        throw new ActionError(`GitLab cannot mask the ${phase === 'persist' ? 'new ' : ''}credential for the variable ${variable} of ${variables.label}: ${why}. A hidden variable must be masked, so it was not written.`, { code: phase === 'persist' ? 'persist-failed' : 'invalid-input', phase });
    }
    if (exists && (await variables.update(variable, value, phase, { once: true })))
        return;
    const settings = { hidden: true, protected: options.protected };
    if (await variables.create(variable, value, settings, phase))
        return;
    // Created meanwhile (or by an earlier attempt whose answer was lost): update it.
    if (await variables.update(variable, value, phase, { once: true }))
        return;
    throw new ActionError(`Writing the variable ${variable} of ${variables.label} failed: it was created and deleted again while this run wrote it. Check what else writes that variable, then run again.`, { code: 'gitlab-rejected', phase, retryable: true });
}
async function readState(options) {
    const { variables, stateVariable } = options;
    const found = await variables.read(stateVariable, 'preflight');
    if (found === undefined)
        return undefined;
    if (found.value === null)
        throw invalid(options, 'it is hidden, so its value cannot be read');
    let json;
    try {
        json = JSON.parse(found.value);
    }
    catch {
        throw invalid(options, 'it is not JSON');
    }
    const parsed = rotationStateSchema.safeParse(json);
    if (parsed.success)
        return parsed.data;
    const fields = [...new Set(parsed.error.issues.map(issue => issue.path.join('.') || '(all)'))];
    throw invalid(options, `missing or invalid: ${fields.join(', ')}`);
}
/**
 * Replaces the record: an update, or a create when it does not exist yet (readable: it holds no
 * value). A create that loses a race with another writer's create falls back to an update.
 */
async function writeState(options, state, write = {}) {
    const { variables, stateVariable } = options;
    // Parsing drops any field the schema does not know, so nothing but fingerprints and times is
    // written, and never a record the next run would refuse to read.
    const parsed = rotationStateSchema.safeParse(state);
    if (!parsed.success) {
        throw new ActionError(`The rotation record to write to variable ${stateVariable} of ${variables.label} is not valid (${parsed.error.issues.map(issue => issue.path.join('.')).join(', ')}); nothing was written.`, { code: 'internal', phase: 'persist' });
    }
    const text = JSON.stringify(parsed.data);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_RECORD_BYTES) {
        throw new ActionError(`The rotation record is ${bytes} bytes, more than the ${MAX_RECORD_BYTES} bytes this store writes to a variable; variable ${stateVariable} of ${variables.label} was left as it was.`, { code: 'state-invalid', phase: 'persist' });
    }
    const send = write.signal ? { signal: write.signal } : {};
    if (await variables.update(stateVariable, text, 'persist', send))
        return;
    if (await variables.create(stateVariable, text, PLAIN, 'persist', send))
        return;
    if (await variables.update(stateVariable, text, 'persist', send))
        return;
    throw new ActionError(`Writing the rotation record to variable ${stateVariable} of ${variables.label} failed: the variable was created and deleted again while this run wrote it. Check what else writes that variable, then run again.`, { code: 'gitlab-rejected', phase: 'persist' });
}
/** The record's variable: readable (it holds no secret), and available to every branch's jobs. */
const PLAIN = { hidden: false, protected: false };
function invalid(options, reason) {
    const { variables, stateVariable } = options;
    return new ActionError(`The variable ${stateVariable} of ${variables.label} does not hold a rotation record this action can read (${reason}). Fix its value, or delete it: the next run then treats the refresh token it is given as a first rotation, with nothing to resume and no check for a stale input.`, { code: 'state-invalid', phase: 'preflight' });
}

/**
 * GitLab CI/CD variables of projects and groups as targets: each is created (masked unless told
 * otherwise, hidden when asked, which GitLab allows only at creation) or updated with the value
 * and the settings given, every other setting of an existing variable kept. A hidden variable's
 * value is never read back (GitLab never shows it).
 * @see https://docs.gitlab.com/api/project_level_variables/
 * @see https://docs.gitlab.com/api/group_level_variables/
 */
class VariableTargets {
    #targets;
    #client;
    constructor(targets, client) {
        this.#targets = targets;
        this.#client = client;
    }
    async preflight() {
        const results = [];
        for (const target of this.#targets) {
            try {
                const found = await this.#read(target, 'preflight');
                const why = settingsProblem(target, found);
                results.push(why
                    ? this.#result(target, 'failed', { error: why })
                    : this.#result(target, 'planned', {
                        detail: found.exists
                            ? `update ${describeSettings(target, found.variable)}`
                            : `create ${describeSettings(target, undefined)}`
                    }));
            }
            catch (error) {
                results.push(this.#result(target, 'failed', { error: describeError(error) }));
            }
        }
        return results;
    }
    async publish(value) {
        const results = [];
        for (const target of this.#targets) {
            try {
                results.push(await this.#write(target, value));
            }
            catch (error) {
                results.push(this.#result(target, 'failed', { error: describeError(error) }));
            }
        }
        return results;
    }
    async #write(target, value) {
        const found = await this.#read(target, 'publish');
        const why = settingsProblem(target, found);
        if (why)
            return this.#result(target, 'failed', { error: why });
        // The value exists now: a masked variable must hold one GitLab can mask, or GitLab refuses
        // it (and says why in words that could not name the value).
        const masked = target.masked ?? (found.exists ? found.variable.masked : undefined) ?? target.hidden ?? true;
        const raw = target.raw ?? (found.exists ? found.variable.raw : undefined) ?? false;
        const unmaskable = masked ? maskProblem(value, raw) : undefined;
        if (unmaskable) {
            return this.#result(target, 'failed', {
                error: `GitLab cannot mask the new value: ${unmaskable}. Nothing was written to this variable; set masked: false for it, or publish a value GitLab can mask.`
            });
        }
        const client = this.#client(target);
        const context = this.#context(target, 'publish', 'writing');
        if (found.exists) {
            const answer = await answered(() => client.send(this.#update(target, value)), context);
            if (answer.status === 200)
                return this.#result(target, 'updated', {});
            throw answerError(client, answer, context);
        }
        let answer;
        try {
            answer = await client.send({
                method: 'POST',
                path: this.#base(target),
                form: {
                    key: target.variable,
                    value,
                    environment_scope: target.environmentScope,
                    variable_type: target.type ?? 'env_var',
                    protected: String(target.protected ?? false),
                    raw: String(raw),
                    ...(target.hidden === true ? { masked_and_hidden: 'true' } : { masked: String(masked) })
                },
                repeat: 'unsent-only'
            });
        }
        catch (error) {
            if (!(error instanceof GitLabTransportError))
                throw error;
            // The create may have landed: an update with the same value is safe to send whatever it did.
            const again = await answered(() => client.send(this.#update(target, value)), context);
            if (again.status === 200)
                return this.#result(target, 'created', {});
            throw answerError(client, again, context);
        }
        if (answer.status === 201)
            return this.#result(target, 'created', {});
        // Created by someone else since it was read: update it instead.
        if (answer.status === 400 && /already been taken/.test(client.reason(answer))) {
            const again = await answered(() => client.send(this.#update(target, value)), context);
            if (again.status === 200)
                return this.#result(target, 'updated', {});
            throw answerError(client, again, context);
        }
        throw answerError(client, answer, context);
    }
    /** The variable as it is now; its value is never used (a hidden one has none). */
    async #read(target, phase) {
        const client = this.#client(target);
        const context = this.#context(target, phase, 'reading');
        const answer = await answered(() => client.send({
            method: 'GET',
            path: `${this.#base(target)}/${segment(target.variable)}`,
            query: { 'filter[environment_scope]': target.environmentScope }
        }), context);
        if (answer.status === 200)
            return { exists: true, variable: answer.body };
        // 404 names either the variable (then it is created) or the project or group.
        if (answer.status === 404 && /variable not found/i.test(client.reason(answer))) {
            return { exists: false };
        }
        throw answerError(client, answer, context);
    }
    #update(target, value) {
        return {
            method: 'PUT',
            path: `${this.#base(target)}/${segment(target.variable)}`,
            query: { 'filter[environment_scope]': target.environmentScope },
            form: {
                value,
                ...(target.masked !== undefined ? { masked: String(target.masked) } : {}),
                ...(target.protected !== undefined ? { protected: String(target.protected) } : {}),
                ...(target.raw !== undefined ? { raw: String(target.raw) } : {}),
                ...(target.type !== undefined ? { variable_type: target.type } : {})
            }
        };
    }
    #base(target) {
        return `/${target.owner.kind}s/${segment(target.owner.path)}/variables`;
    }
    #context(target, phase, verb) {
        const { owner } = target;
        return {
            phase,
            doing: `${verb} the variable ${target.variable} of ${owner.kind} ${owner.path}`,
            needs: `the api scope and the Maintainer role in ${owner.kind} ${owner.path} (publish[${String(target.index)}].gitlab.token)`,
            notFound: `the ${owner.kind} ${owner.path} does not exist at ${target.url}, or the token cannot see it`
        };
    }
    #result(target, status, extra) {
        const scope = target.environmentScope === '*' ? '' : ` (${target.environmentScope})`;
        return {
            scope: target.owner.kind,
            type: 'variable',
            target: `${target.owner.path}${scope}`,
            name: target.variable,
            status,
            ...extra
        };
    }
}
/**
 * What GitLab would refuse about the settings given, against the variable as it is: hiding is
 * set at creation only, and a hidden variable stays masked and hidden.
 */
function settingsProblem(target, found) {
    if (!found.exists)
        return undefined;
    const hidden = found.variable.hidden === true;
    if (target.hidden === true && !hidden) {
        return `the variable exists and is not hidden, and GitLab hides a variable only when it is created: delete it (it is then created hidden), or set hidden: false`;
    }
    if (target.hidden === false && hidden) {
        return `the variable exists and is hidden, and GitLab never shows a hidden variable again: remove hidden: false, or delete the variable`;
    }
    if (hidden && target.masked === false) {
        return 'the variable is hidden, and a hidden variable stays masked: remove masked: false';
    }
    return undefined;
}
function describeSettings(target, existing) {
    const masked = target.masked ?? existing?.masked ?? target.hidden ?? true;
    const hidden = existing?.hidden ?? target.hidden ?? false;
    const flags = [
        hidden ? 'hidden' : masked ? 'masked' : 'not masked',
        ...((target.protected ?? existing?.protected) ? ['protected'] : []),
        ...((target.raw ?? existing?.raw) ? ['raw'] : [])
    ];
    return `(${flags.join(', ')})`;
}

/**
 * GitLab's parts of a credential: the token issuer, the variable store with its lock, and the
 * variable targets. One client per
 * instance, token and connection settings for the whole run (the run's client cache), so
 * credentials that share a token share its client.
 */
function assembleGitLab(config, deps) {
    const own = config.slices.gitlab;
    if (!own)
        return {};
    // Keyed by the TLS settings and where they are written too: a TLS failure's advice names the
    // keys of the connection that failed (`store.ca-certificate`, not the issuer's).
    const client = (url, token, tls, at) => deps.clients.get(`gitlab ${url} ${createHash('sha256').update(token).update(JSON.stringify(tls)).digest('hex')} ${at}`, () => {
        deps.mask(token);
        return new GitLabClient({ url, token, sleep: deps.sleep, tls, tlsKeys: tlsKeysAt(at) });
    });
    const parts = {};
    const issuer = own.issuer;
    if (issuer) {
        parts.issuer = new GitLabTokenIssuer(issuer, {
            client: token => client(issuer.url, token, issuer.tls ?? {}, 'issuer.'),
            token: config.refreshToken,
            mask: secret => {
                deps.mask(secret);
            }
        });
    }
    const store = own.store;
    if (store) {
        const variables = new OwnerVariables(client(store.url, store.token, store.tls ?? {}, 'store.'), store.owner, 'store.token');
        parts.store = createGitLabStore({
            variables,
            variable: store.variable,
            stateVariable: store.stateVariable,
            protected: store.protected,
            persistTimeoutMs: config.persistTimeoutMs,
            log: deps.log,
            clock: deps.clock,
            sleep: deps.sleep
        });
        parts.lock = createGitLabLock({ variables, name: store.lockVariable, log: deps.log });
    }
    const targets = own.targets ?? [];
    if (targets.length > 0) {
        parts.targets = new VariableTargets(targets, target => client(target.url, target.token, target.tls ?? {}, `publish[${String(target.index)}].gitlab.`));
    }
    return parts;
}

export { assembleGitLab };
