import { setTimeout } from 'node:timers/promises';
import { d as describeError } from './errors-DDD4RsHd.js';

/** The real clock. */
const systemClock = { now: () => new Date() };
/** The real wait. */
const realSleep = ms => setTimeout(ms);

/**
 * The clients of one run, kept by key: made once, shared by every credential of the run. One per
 * run, never module-wide: two runs in one process (tests, the CLI) share nothing.
 */
function createClientCache() {
    const clients = new Map();
    const closers = [];
    return {
        get(key, make, close) {
            if (!clients.has(key)) {
                const client = make();
                clients.set(key, client);
                if (close)
                    closers.push(() => close(client));
            }
            // Each key is made by one provider, with one type: what it stored is what it reads back.
            return clients.get(key);
        },
        async close() {
            // A closer says what it could not do itself; one that throws anyway must not stop the rest.
            for (const closer of closers.splice(0).reverse())
                await closer().catch(() => undefined);
        }
    };
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

export { resultsJson as a, systemClock as b, realSleep as c, resultOf as d, createClientCache as e, resultJson as f, resultsTable as g, runsCell as r, stoppedResult as s, totals as t };
