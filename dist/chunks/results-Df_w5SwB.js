import { setTimeout } from 'node:timers/promises';
import { d as describeError } from './errors-DDD4RsHd.js';

/** The real clock. */
const systemClock = { now: () => new Date() };
/** The real wait. */
const realSleep = ms => setTimeout(ms);

/**
 * The targets a configuration names, in the order they are reported: the organization secret
 * first, then each repository, or each environment of each repository.
 * @param name the secret's name in each target; `secret-name` unless a field mapping names another
 */
function targetsFromConfig(config, name = config.secretName) {
    const targets = [];
    if (config.org) {
        const { login, visibility, selectedRepositories } = config.org;
        targets.push({
            scope: { kind: 'organization', type: config.secretType, org: login },
            name,
            access: {
                ...(visibility ? { visibility } : {}),
                ...(selectedRepositories ? { selectedRepositories } : {})
            }
        });
    }
    for (const repository of config.repositories) {
        if (config.environments.length === 0) {
            targets.push({ scope: { kind: 'repository', type: config.secretType, repository }, name });
            continue;
        }
        for (const environment of config.environments) {
            targets.push({
                scope: { kind: 'environment', type: 'actions', repository, environment },
                name
            });
        }
    }
    return targets;
}

/** From this many repositories of one owner on, the run suggests one organization secret instead. */
const ORG_SECRET_SUGGESTION_THRESHOLD = 10;
/**
 * When many repositories of one owner get the same repository secret, one organization secret
 * shared with exactly those repositories costs a few requests instead of two per repository (and
 * one write instead of one each, which is what GitHub's secondary rate limits count).
 */
function orgSecretSuggestion(config) {
    const repositories = config.repositories;
    if (config.org ||
        config.environments.length > 0 ||
        repositories.length < ORG_SECRET_SUGGESTION_THRESHOLD) {
        return undefined;
    }
    const owners = new Set(repositories.map(ref => ref.owner.toLowerCase()));
    if (owners.size !== 1)
        return undefined;
    const owner = repositories[0].owner;
    const requests = 2 * repositories.length;
    return (`All ${repositories.length} repositories belong to ${owner}. If ${owner} is an organization, one organization secret ` +
        `shared with exactly these repositories costs 1 write and a few reads (the organization's repository list, 100 a page) ` +
        `instead of ${requests} requests and ${repositories.length} writes: set 'org: ${owner}' and move the list to ` +
        `'selected-repositories'. Then delete the repository secrets of that name: a repository secret takes precedence ` +
        `over an organization secret with the same name.`);
}
/** GitHub's documented budget for content-creating requests: about 80 a minute. */
const WRITES_PER_MINUTE = 80;
/**
 * GitHub's documented budget for content-creating requests in an hour, the one limit a run checks
 * its plan against. A run cannot see what other runs of the same token spent; it can refuse a plan
 * whose own writes are more than the whole hour allows.
 * @see https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
 */
const WRITES_PER_HOUR = 500;
/**
 * Refuses, before anything is written, a plan whose writes exceed GitHub's hourly budget: GitHub
 * would refuse the rest with secondary rate limits, leaving some targets with the new value and
 * others without. Names the cheaper plan.
 * @param writes the secrets the plan writes (targets times secret names)
 * @returns the refusal, or undefined when the plan fits
 */
function hourlyBudgetRefusal(config, writes, budget = WRITES_PER_HOUR) {
    if (writes <= budget)
        return undefined;
    const owners = [...new Set(config.repositories.map(ref => ref.owner.toLowerCase()))];
    const cheaper = config.environments.length > 0
        ? `Environment secrets cannot be shared: split the repositories over runs at least an hour apart, at most ${budget} writes each.`
        : `Cheaper: one organization secret shared with exactly these repositories costs 1 write per organization: set 'org: ${owners.length === 1 ? (config.repositories[0]?.owner ?? 'ORG') : 'ORG'}' and move the list to 'selected-repositories'${owners.length > 1 ? ` (one run per owner: ${owners.length} owners)` : ''}. Or split the repositories over runs at least an hour apart, at most ${budget} writes each.`;
    return (`The plan writes ${writes} secrets, more than GitHub allows in an hour (about ${budget} content-creating requests, ` +
        `its secondary rate limit); GitHub would refuse the rest, and a client that keeps sending while refused risks being banned. ` +
        `Nothing was written. ${cheaper}`);
}
/**
 * Warns when the planned writes would run into GitHub's per-minute secondary rate limit. The
 * client honors it (it waits as GitHub asks), but a run that triggers it is slow and may be refused
 * for longer than it waits.
 * @param writes the number of targets to write
 */
function pacingWarning(config, writes) {
    const perMinute = config.writeIntervalMs === 0 ? Infinity : 60_000 / config.writeIntervalMs;
    if (writes > WRITES_PER_MINUTE && perMinute > WRITES_PER_MINUTE) {
        return (`${writes} writes at one every ${config.writeIntervalMs} ms exceed GitHub's budget of about ${WRITES_PER_MINUTE} ` +
            `content-creating requests a minute; expect secondary rate limits. Set 'write-interval' to 1s (GitHub's guidance).`);
    }
    return undefined;
}
/** The secrets the run writes: each target once per secret name; none in modes that publish nothing. */
function plannedWrites(config) {
    if (config.mode === 'verify' || config.mode === 'retire')
        return 0;
    const names = (config.publish.secretName !== '' ? 1 : 0) + config.fieldMappings.length;
    return targetsFromConfig(config.publish).length * names;
}

/** Counts the results by outcome; `written` is created plus updated. */
function totals(results) {
    const count = (status) => results.filter(r => r.status === status).length;
    const created = count('created');
    const updated = count('updated');
    return {
        written: created + updated,
        created,
        updated,
        failed: count('failed'),
        planned: count('planned')
    };
}
/** The `result` output: one JSON object per target, in plan order. */
function resultJson(results) {
    return JSON.stringify(results.map(({ scope, type, target, name, status, error }) => ({
        scope,
        type,
        target,
        name,
        status,
        ...(error === undefined ? {} : { error })
    })));
}

/** A credential's result from its run's outcome. */
function resultOf(credential, outcome) {
    const t = totals(outcome.targets);
    const status = outcome.status;
    const runs = outcome.recentRuns;
    return {
        credential,
        status: status === 'not-due' || status === 'not-in-window' ? 'skipped' : status,
        rotated: outcome.rotated,
        version: outcome.version ?? '',
        published: t.written,
        failed: t.failed,
        ...(outcome.error ? { error: outcome.error.message } : {}),
        ...(outcome.expiresAt ? { expiresAt: outcome.expiresAt.toISOString() } : {}),
        ...(status === 'not-due' || status === 'not-in-window' ? { skipped: status } : {}),
        ...(outcome.nextDueAt ? { nextDue: outcome.nextDueAt.toISOString() } : {}),
        ...(runs && runs.kept > 0
            ? { successRate: successRate(runs.kept, runs.failed), runsKept: runs.kept }
            : {}),
        ...(outcome.consecutiveFailures !== undefined
            ? { consecutiveFailures: outcome.consecutiveFailures }
            : {}),
        ...(outcome.recoveryCiphertext ? { recoveryCiphertext: outcome.recoveryCiphertext } : {})
    };
}
/** The share of `kept` runs that did not fail, to two decimals (0.9, never 0.8999999). */
function successRate(kept, failed) {
    return Math.round(((kept - failed) / kept) * 100) / 100;
}
/** A credential whose run stopped before the engine started (its plan was refused). */
function stoppedResult(credential, error) {
    return {
        credential,
        status: 'failed',
        rotated: false,
        version: '',
        published: 0,
        failed: 0,
        error: describeError(error)
    };
}
/** The `results` output: JSON, one entry per credential, in the order they ran. */
function resultsJson(results) {
    return JSON.stringify(results.map(r => ({
        credential: r.credential,
        status: r.status,
        rotated: r.rotated,
        version: r.version,
        published: r.published,
        failed: r.failed,
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.skipped !== undefined ? { reason: r.skipped } : {}),
        ...(r.nextDue !== undefined ? { next_due: r.nextDue } : {}),
        ...(r.successRate !== undefined ? { success_rate: r.successRate } : {}),
        ...(r.consecutiveFailures !== undefined
            ? { consecutive_failures: r.consecutiveFailures }
            : {}),
        ...(r.recoveryCiphertext !== undefined ? { recovery_ciphertext: r.recoveryCiphertext } : {})
    })));
}
const SKIPPED = {
    'not-due': '⏭️ skipped (not due)',
    'not-in-window': '⏭️ skipped (not in an allowed window)'
};
const MARK = {
    rotated: '✅ rotated',
    published: '✅ published',
    skipped: SKIPPED['not-due'],
    verified: '✅ verified',
    retired: '✅ retired',
    'rolled-back': '↩️ rolled back',
    planned: '📝 planned',
    failed: '❌ failed'
};
/** The job summary's opening table: one row per credential. */
function resultsTable(results) {
    const failed = results.filter(r => r.status === 'failed').length;
    const head = `### ${failed > 0 ? '❌' : '✅'} Token rotation: ${String(results.length)} credential${results.length === 1 ? '' : 's'}${failed > 0 ? `, ${String(failed)} failed` : ''}`;
    const rows = results.map(r => `| \`${r.credential}\` | ${r.skipped ? SKIPPED[r.skipped] : MARK[r.status]} | ${r.version === '' ? '' : `\`${r.version}\``} | ${String(r.published)} | ${String(r.failed)} | ${r.expiresAt ?? ''} | ${r.nextDue ?? ''} | ${runsCell(r)} |`);
    return [
        head,
        '',
        '| Credential | Status | Version | Targets written | Targets failed | Expires | Next due | Recent runs |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
        ''
    ].join('\n');
}
/**
 * How a credential's recent runs went: `90% of 10 ok`, and the failures in a row when there are
 * any (the number the alert counts); empty when its record keeps no run.
 */
function runsCell(result) {
    const { successRate: rate, runsKept: kept, consecutiveFailures: failures } = result;
    const parts = [];
    if (rate !== undefined && kept !== undefined) {
        parts.push(`${String(Math.round(rate * 100))}% of ${String(kept)} ok`);
    }
    if (failures !== undefined && failures > 0)
        parts.push(`${String(failures)} failed in a row`);
    return parts.join(', ');
}

export { resultsJson as a, systemClock as b, realSleep as c, resultOf as d, targetsFromConfig as e, pacingWarning as f, resultJson as g, hourlyBudgetRefusal as h, resultsTable as i, orgSecretSuggestion as o, plannedWrites as p, runsCell as r, stoppedResult as s, totals as t };
