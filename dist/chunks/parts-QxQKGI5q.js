import { randomBytes, createHash } from 'node:crypto';
import { A as ActionError, d as describeError } from './errors-DDD4RsHd.js';
import { p as parseAnswer, h as hasStatus, s as sendOptions, R as RequestError, t as toGitHubError, D as DEFAULT_REQUEST_TIMEOUT_MS, a as createGitHubClient, c as createStoreClient } from './store-client-CeddLOuo.js';
import { a as fieldOf } from './document-fields-Cgg7T9zY.js';
import { y as scopeLabel, r as repositoryName, z as secretsPath, A as writePermission, B as targetsFromConfig } from './index-Czz4Wkal.js';
import { o as object, s as string, n as number, c as base64, a as array, d as _enum } from './schemas-D3_i4Iqf.js';
import { d as datetime, b as rotationStateSchema } from './state-VUS-4fVQ.js';
import { l as leaseDeadline, s as shortLeaseReason, a as abortIn } from './lease-BbQJ8jVX.js';
import { c as count } from './wording-CXsTWj4t.js';
import { l as loadSodium } from './sodium-DPz47DmG.js';
import { D as DEFAULT_PERSIST_TIMEOUT_MS, p as persistWithRetries } from './persist-retries-B2StcHuD.js';
import './_commonjsHelpers-Bgu_3bK-.js';
import 'node:timers/promises';
import './secret-document-CqJ-VHjJ.js';
import './duration-Cyz5SPp-.js';
import './loopback-CdUp0z11.js';
import './lists-D2x1VrPX.js';
import './backoff-CUn3El8i.js';

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
    const mine = { owner, token: randomBytes(8).toString('hex'), ttlMs };
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
        return leaseDeadline(`the lock ${name} of ${variables.repository}`, this.leftMs(), marginMs);
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
                reason: shortLeaseReason(`the lock ${name} of ${variables.repository}`, leftMs, neededMs, iso(found.expiresAt), "GitHub's")
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
    const state = new StateVariable(variables, options.stateVariable);
    const resetHint = `delete the rotation record, the variable ${options.stateVariable} (gh variable delete ${options.stateVariable} --repo ${name})`;
    if (secretName === undefined) {
        return {
            kind: 'github',
            description: `record in variable ${options.stateVariable} of ${name}`,
            resetHint,
            readState: () => state.read(),
            writeState: (next, write) => state.write(next, write),
            // No secret to check: the lock, a variable beside the record, proved the write access.
            check: () => Promise.resolve(),
            persistTimeoutMs: timeoutMs,
            persist: () => Promise.reject(new ActionError(`The record-only store in variable ${options.stateVariable} of ${name} keeps no value: only an issuer that exchanges its credential persists one.`, { code: 'internal', phase: 'persist' }))
        };
    }
    const secret = new RepositorySecret(client, repository, secretName, options.keys);
    return {
        kind: 'github',
        description: `secret ${secretName} of ${name}`,
        resetHint,
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

/**
 * GitHub's parts of a credential: its secret targets, its store (a repository secret with the
 * record in a variable), the variable lock of any store that has none of its own, and the secret a
 * replaced value waits in for its deferred revocation.
 */
function assembleGitHub(config, deps) {
    const { log, clock, sleep } = deps;
    const publish = config.publish;
    // Without a token GitHub plays no part: the configuration allowed that only with nothing to write.
    if (publish.token === '')
        return {};
    const account = `${publish.apiUrl} ${createHash('sha256').update(publish.token).digest('hex')}`;
    const client = deps.clients.get(`github ${account}`, () => createGitHubClient({
        token: publish.token,
        baseUrl: publish.apiUrl,
        maxConcurrency: publish.maxConcurrency,
        writeIntervalMs: publish.writeIntervalMs,
        log
    }));
    // One key cache for the targets and the store: the store's repository is usually a target too.
    const keys = deps.clients.get(`github public keys ${account}`, () => new PublicKeys(client));
    const publisher = new SecretPublisher(client, log, keys);
    // The store's few writes are not paced: from mint to persist, every second the new refresh
    // token spends only in memory is a second a dying runner could lose it in.
    const storeClient = deps.clients.get(`github store ${account}`, () => createStoreClient({ token: publish.token, baseUrl: publish.apiUrl, log }));
    const store = config.store;
    // The workflow's repository: the GitHub store's, and the home of any variable lock.
    const repository = store?.repository;
    const own = config.slices.github?.store;
    const retiringSecret = config.retiringSecret;
    return {
        targets: targetsFor(config, publisher),
        ...(repository && own
            ? {
                store: createGitHubStore({
                    client: storeClient,
                    repository,
                    ...(own.secretName !== undefined ? { secretName: own.secretName } : {}),
                    stateVariable: own.stateVariable,
                    persistTimeoutMs: config.persistTimeoutMs,
                    log,
                    clock,
                    sleep,
                    keys
                })
            }
            : {}),
        // The lock of a store that has none of its own: a variable of the workflow's repository.
        ...(repository && store.lockVariable !== undefined
            ? { lock: variableLock(storeClient, repository, store.lockVariable, deps) }
            : {}),
        ...(repository && retiringSecret
            ? {
                keepRetiring: async (value) => {
                    const scope = {
                        kind: 'repository',
                        type: 'actions',
                        repository
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
            : {})
    };
}
/**
 * The targets: `secret-name` gets the value (or its field, for a JSON document read from a
 * store), and each `secret-fields` mapping writes one more secret from one field.
 */
function targetsFor(config, publisher) {
    const publish = config.publish;
    const field = config.document?.field;
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
function variableLock(client, repository, name, deps) {
    const variables = new RepositoryVariables(client, repository, deps.clock);
    return createVariableLock({ variables, name, log: deps.log });
}

export { assembleGitHub };
