import { createHash } from 'node:crypto';
import { r as redactSecrets } from './redaction-xVyV9imr.js';
import { c as createTransport, T as TransportError } from './transport-DxQXd9cp.js';
import { A as ActionError, d as describeError } from './wording-DfC0u_vM.js';
import { G as GITLAB_TOKEN, e as expiryDate, o as ownerLabel, g as expiryInstant, m as maskProblem } from './index-CP-_KTnk.js';
import './duration-Cyz5SPp-.js';
import './loopback-CdUp0z11.js';
import './lists-D2x1VrPX.js';
import './schemas-D3_i4Iqf.js';

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
            tls: {},
            timeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS
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
        if (answer.status === 201 || answer.status === 200)
            return this.#minted(answer, current, false);
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
 * GitLab's parts of a credential: the token issuer and the variable targets. One client per
 * instance and token for the whole run (the run's client cache), so credentials that share a
 * token share its client.
 */
function assembleGitLab(config, deps) {
    const own = config.slices.gitlab;
    if (!own)
        return {};
    const client = (url, token) => deps.clients.get(`gitlab ${url} ${createHash('sha256').update(token).digest('hex')}`, () => {
        deps.mask(token);
        return new GitLabClient({ url, token, sleep: deps.sleep });
    });
    const parts = {};
    const issuer = own.issuer;
    if (issuer) {
        parts.issuer = new GitLabTokenIssuer(issuer, {
            client: token => client(issuer.url, token),
            token: config.refreshToken,
            mask: secret => {
                deps.mask(secret);
            }
        });
    }
    const targets = own.targets ?? [];
    if (targets.length > 0) {
        parts.targets = new VariableTargets(targets, target => client(target.url, target.token));
    }
    return parts;
}

export { assembleGitLab };
