import { t as totals, r as runsCell, a as resultsJson, o as orgSecretSuggestion, h as hourlyBudgetRefusal, p as plannedWrites, s as stoppedResult, b as systemClock, c as realSleep, d as resultOf, e as targetsFromConfig, f as pacingWarning, g as resultJson } from './results-Df_w5SwB.js';
import { r as readInputs, S as SECRET_INPUTS } from './inputs-Bh3i-bWy.js';
import { d as describeError, a as ConfigFileError, f as formatFileProblem, C as ConfigError, A as ActionError } from './errors-DDD4RsHd.js';
import { mkdirSync, appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { c as count } from './wording-CXsTWj4t.js';

/**
 * The REST path of a scope's secrets collection, with every variable part URL-encoded once
 * (environment names may hold spaces and other characters).
 * @see https://docs.github.com/en/rest/actions/secrets
 * @see https://docs.github.com/en/rest/dependabot/secrets
 */
function secretsPath(scope) {
    const e = encodeURIComponent;
    switch (scope.kind) {
        case 'repository':
            return `/repos/${e(scope.repository.owner)}/${e(scope.repository.repo)}/${scope.type}/secrets`;
        case 'environment':
            return `/repos/${e(scope.repository.owner)}/${e(scope.repository.repo)}/environments/${e(scope.environment)}/secrets`;
        case 'organization':
            return `/orgs/${e(scope.org)}/${scope.type}/secrets`;
    }
}
/** How the `result` output and the summary name a scope: `owner/repo`, `owner/repo (env)` or `org`. */
function scopeLabel(scope) {
    switch (scope.kind) {
        case 'repository':
            return `${scope.repository.owner}/${scope.repository.repo}`;
        case 'environment':
            return `${scope.repository.owner}/${scope.repository.repo} (${scope.environment})`;
        case 'organization':
            return scope.org;
    }
}
/** The token permission that writing a secret in this scope needs, as GitHub names it. */
function writePermission(scope) {
    if (scope.kind === 'environment')
        return 'repository "Environments: write"';
    const level = scope.kind === 'organization' ? 'organization' : 'repository';
    return `${level} "${scope.type === 'dependabot' ? 'Dependabot secrets' : 'Secrets'}: write"`;
}

/**
 * The JSON-lines audit file: one line per lifecycle event, appended the moment it happens so a
 * killed run still leaves its trail. Events never carry a value (the engine records fingerprints).
 * A file that cannot be written is one warning, never a failed rotation.
 * @param redact removes every registered secret from a line: an event's message may quote a peer
 *   that echoed one (the runner masks the log, never this file)
 */
function createAuditFile(path, clock, log, redact) {
    let broken = false;
    return {
        record(event) {
            if (broken)
                return;
            try {
                mkdirSync(dirname(path), { recursive: true });
                const line = JSON.stringify({ time: clock.now().toISOString(), ...event });
                appendFileSync(path, `${redact(line)}\n`, { mode: 0o600 });
            }
            catch (error) {
                broken = true;
                log.warning(`Could not write the audit log ${path}: ${describeError(error)}`, {
                    title: 'Audit log'
                });
            }
        }
    };
}

const STEP_OUTCOME = {
    ok: '✅ ok',
    failed: '❌ failed',
    skipped: '⏭️ skipped',
    planned: '📝 planned'
};
const OUTCOME = {
    created: '✅ created',
    updated: '✅ updated',
    planned: '📝 planned',
    failed: '❌ failed'
};
/**
 * A target still `planned` when a real run ends was never written (the run stopped before it
 * published): "planned" would read as if the run meant to write it later.
 */
function outcomeLabel(status, dryRun) {
    return status === 'planned' && !dryRun ? '⏸️ not written' : OUTCOME[status];
}
/**
 * The job summary as Markdown: a headline, one row per target with its outcome, and totals.
 * Holds no value: only names, outcomes and error messages that are safe to print.
 */
function renderSummary(input) {
    const t = totals(input.results);
    const failed = input.error !== undefined || input.failure !== undefined || t.failed > 0;
    const mode = input.dryRun ? ' (dry run)' : '';
    const title = input.title ?? `Publish secret \`${input.secretName || '(invalid)'}\``;
    const lines = [`### ${failed ? '❌' : '✅'} ${title}${mode}`, ''];
    if (input.error !== undefined) {
        lines.push(`**Nothing was written.** ${cell(input.error)}`, '');
    }
    if (input.failure !== undefined) {
        lines.push(`**Failed at ${input.failure.step}.** ${cell(input.failure.message)}`, '');
    }
    if (input.steps && input.steps.length > 0) {
        lines.push('| Step | Outcome | Time | Details |', '| --- | --- | --- | --- |');
        for (const step of input.steps) {
            lines.push(`| ${step.step} | ${STEP_OUTCOME[step.outcome]} | ${seconds(step.durationMs)} | ${cell(step.detail)} |`);
        }
        lines.push('');
    }
    if (input.results.length > 0) {
        lines.push('| Scope | Target | Secret | Outcome | Details |', '| --- | --- | --- | --- | --- |');
        for (const r of input.results) {
            const scope = r.type === 'dependabot' ? `${r.scope} (Dependabot)` : r.scope;
            lines.push(`| ${scope} | ${cell(r.target)} | \`${r.name}\` | ${outcomeLabel(r.status, input.dryRun)} | ${cell(r.error ?? r.detail ?? '')} |`);
        }
        lines.push('');
        const parts = input.dryRun
            ? [`${t.planned} planned`]
            : [`${t.created} created`, `${t.updated} updated`];
        if (!input.dryRun && t.planned > 0)
            parts.push(`${t.planned} not written`);
        if (t.failed > 0)
            parts.push(`${t.failed} failed`);
        lines.push(`**${count(input.results.length, 'target')}:** ${parts.join(', ')}.`, '');
    }
    if (input.restored && input.restored.length > 0) {
        lines.push('**Put back to previous-value after the failed check:**', '');
        for (const r of input.restored) {
            lines.push(`- ${cell(r.target)} \`${r.name}\`: ${r.status === 'failed' ? `❌ ${cell(r.error ?? '')}` : '✅ restored'}`);
        }
        lines.push('');
    }
    const history = input.history && historyLine(input.history);
    if (history)
        lines.push(history, '');
    for (const warning of input.warnings ?? [])
        lines.push(`> [!WARNING]`, `> ${cell(warning)}`, '');
    for (const note of input.notes ?? [])
        lines.push(`> [!TIP]`, `> ${cell(note)}`, '');
    return lines.join('\n');
}
/** `**Next due:** … · **Recent runs:** 90% of 10 ok`, or undefined when there is neither. */
function historyLine(history) {
    const runs = runsCell(history);
    const parts = [
        ...(history.nextDue ? [`**Next due:** ${history.nextDue}`] : []),
        ...(runs !== '' ? [`**Recent runs:** ${runs}`] : [])
    ];
    return parts.length > 0 ? `${parts.join(' · ')}.` : undefined;
}
function seconds(ms) {
    return `${(ms / 1000).toFixed(1)} s`;
}
function cell(text) {
    return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * The modules a run needs once it has started: validation (zod), the engine and its parts
 * (Octokit, oauth4webapi). Loaded as run() begins rather than at start-up, so the entry is small
 * and the first line of the log comes at once; what the first requests do not need (libsodium,
 * undici) the parts load later still, while those requests are in flight.
 */
async function loadParts() {
    const [config, assemble, rotation] = await Promise.all([
        import('./rotation-config-7cWYX7zO.js'),
        import('./assemble-Dqw5-QVU.js'),
        import('./rotation-CChiWFui.js')
    ]);
    return {
        parseActionConfig: config.parseActionConfig,
        describeParts: config.describeParts,
        isPlainPublish: config.isPlainPublish,
        assembleEngine: assemble.assembleEngine,
        planFrom: assemble.planFrom,
        runRotation: rotation.runRotation
    };
}
/**
 * One run of the action: read and validate every input, run the rotation (or publication,
 * verification, retirement) to its end, then report (outputs, job summary, annotations, audit
 * log). Never throws: every failure ends as an `::error::` annotation naming the input or step,
 * and a failed step.
 * @param given the collaborators; without them (as `src/index.ts` and `@github/local-action` call
 *   it), the real ones: @actions/core and `process.env`, read at this call, never at import.
 */
async function run(given) {
    const deps = given ?? (await import('./core-deps-byIP5u94.js')).coreDeps(process.env);
    deps.log.debug('token-rotation-action: run started');
    const loading = loadParts();
    // Awaited below; a run stopped by its inputs before that must not die of an unhandled rejection.
    loading.catch(() => undefined);
    let config;
    let parts;
    let raw;
    try {
        raw = readInputs(deps.readInput);
        // Mask before anything else can print: a secret is a secret from the moment it is read.
        for (const name of Object.keys(SECRET_INPUTS))
            maskSecret(deps, raw[name]);
        parts = await loading;
        if (raw.config !== '') {
            const { runFleet } = await import('./fleet-Cq-OT_RZ.js');
            await runFleet(deps, raw, parts, {
                context: runnerContext(deps),
                runCredential,
                reportStop
            });
            return;
        }
        config = parts.parseActionConfig(raw, runnerContext(deps));
    }
    catch (error) {
        await reportStop(deps, error);
        return;
    }
    const result = await runCredential(deps, config, parts);
    deps.setOutput('results', resultsJson([result]));
}
/** What the runner's environment tells about the run, for the configuration. */
function runnerContext(deps) {
    return {
        repository: deps.env.GITHUB_REPOSITORY,
        apiUrl: deps.env.GITHUB_API_URL,
        runId: deps.env.GITHUB_RUN_ID,
        runAttempt: deps.env.GITHUB_RUN_ATTEMPT,
        runnerTemp: deps.env.RUNNER_TEMP,
        serverUrl: deps.env.GITHUB_SERVER_URL
    };
}
/**
 * One credential, from its validated configuration to its report: plan, budget, the engine, then
 * outputs, summary and alerts. Never throws: a failure is reported and comes back as the result.
 */
async function runCredential(deps, config, parts, options = {}) {
    const id = options.id ?? 'default';
    const advice = orgSecretSuggestion(config.publish);
    await logPlan(deps.log, config, parts, advice);
    const overBudget = hourlyBudgetRefusal(config.publish, plannedWrites(config));
    if (overBudget) {
        const error = new ActionError(overBudget, { code: 'invalid-input', phase: 'preflight' });
        await reportStop(deps, error);
        return stoppedResult(id, error);
    }
    const clock = deps.clock ?? systemClock;
    const audit = createAuditFile(config.auditLogPath, clock, deps.log, deps.redact);
    deps.setOutput('audit-log', config.auditLogPath);
    let outcome;
    try {
        const engine = await parts.assembleEngine(config, {
            log: deps.log,
            mask: secret => {
                maskSecret(deps, secret);
            },
            clock,
            sleep: deps.sleep ?? realSleep,
            audit,
            onRecoveryCiphertext: ciphertext => {
                deps.setOutput('recovery-ciphertext', ciphertext);
            },
            ...(options.clients ? { clients: options.clients } : {})
        });
        // A marker for `npm run bench`, which times the start-up until here (the AWS SDK loads above).
        deps.log.debug('token-rotation-action: engine assembled');
        outcome = await parts.runRotation(engine, parts.planFrom(config));
    }
    catch (error) {
        // The engine settles every step itself; reaching here means it never started.
        await reportStop(deps, error);
        return stoppedResult(id, error);
    }
    await report(deps, config, outcome, advice);
    await alert(deps, config, outcome, id, options.webhook);
    return resultOf(id, outcome);
}
/**
 * Opens, comments on or closes the alert issue, and POSTs to the webhook when one is given, for a
 * rotation counted in its record.
 */
async function alert(deps, config, outcome, id, webhook) {
    const failures = outcome.consecutiveFailures;
    if (!config.store || config.alertAfter === 0 || failures === undefined)
        return;
    // A run held back by its schedule says nothing new of the credential: no alert, no recovery.
    if (outcome.status === 'not-due' || outcome.status === 'not-in-window')
        return;
    const update = {
        failed: outcome.error !== undefined,
        failures,
        ...(outcome.previousFailures !== undefined
            ? { previousFailures: outcome.previousFailures }
            : {}),
        threshold: config.alertAfter,
        ...(outcome.error ? { reason: outcome.error.message } : {}),
        ...(config.runUrl ? { runUrl: config.runUrl } : {})
    };
    // The alert issue lives in the workflow's repository: only for a run that has a GitHub token.
    if (config.publish.token !== '') {
        const [{ createStoreClient }, { updateAlertIssue }] = await Promise.all([
            import('./store-client-BfHf7cVQ.js').then(function (n) { return n.b; }),
            import('./alert-issue-CbWJbPl8.js')
        ]);
        // A few sequential requests, none paced: the store's client, without the targets' throttling.
        const client = createStoreClient({
            token: config.publish.token,
            baseUrl: config.publish.apiUrl,
            log: deps.log
        });
        await updateAlertIssue(client, config.store.repository, { subject: config.store.subject, ...update }, deps.log, deps.redact);
    }
    if (webhook) {
        const { sendWebhookAlert } = await import('./webhook-Y7-iXcpk.js');
        await sendWebhookAlert(webhook, { credential: id, ...update }, { log: deps.log, sleep: deps.sleep ?? realSleep, redact: deps.redact });
    }
}
async function logPlan(log, config, parts, advice) {
    const publish = config.publish;
    const targets = targetsFromConfig(publish);
    await log.group(publish.dryRun ? 'Plan (dry run: nothing is written)' : 'Plan', () => {
        const names = secretNames(config).replace(/`/g, '');
        if (parts.isPlainPublish(config)) {
            log.info(`Publish: ${names} to ${count(plannedWrites(config), 'target')}, the value given.`);
        }
        else {
            log.info(`Mode ${config.mode}, issuer ${config.issuer}.`);
        }
        for (const line of parts.describeParts(config))
            log.info(line);
        if (config.mode !== 'verify') {
            if (publish.secretName !== '') {
                log.info(`Secret ${publish.secretName} (${publish.secretType}) to ${count(targets.length, 'target')}:`);
                for (const target of targets)
                    log.info(`  - ${describeTarget(target)}`);
            }
            for (const mapping of config.fieldMappings) {
                log.info(`Secret ${mapping.name} (${publish.secretType}) from field ${mapping.field}, to ${count(targets.length, 'target')}.`);
            }
            log.info(`Pacing: at most ${publish.maxConcurrency} requests at once, writes at least ${publish.writeIntervalMs} ms apart.`);
        }
        if (config.healthCheck) {
            const url = new URL(config.healthCheck.url);
            log.info(`Health check: ${config.healthCheck.method} ${url.origin}${decodeURI(url.pathname)}.`);
        }
        for (const warning of config.warnings) {
            log.warning(`Input '${warning.input}': ${warning.message}`, {
                title: `Input '${warning.input}'`
            });
        }
        if (advice)
            log.notice(advice, { title: 'Cheaper plan available' });
        const pacing = pacingWarning(publish, plannedWrites(config));
        if (pacing)
            log.warning(pacing, { title: 'GitHub rate limits ahead' });
        return Promise.resolve();
    });
}
const HEADLINE = {
    rotated: 'Rotated',
    published: 'Published',
    'not-due': 'Rotation not due',
    'not-in-window': 'Rotation outside its allowed windows',
    verified: 'Verified',
    retired: 'Retired',
    'rolled-back': 'Rolled back',
    planned: 'Planned',
    failed: 'Failed'
};
async function report(deps, config, outcome, advice) {
    const { log } = deps;
    const t = totals(outcome.targets);
    deps.setOutput('status', outcome.status);
    deps.setOutput('rotated', String(outcome.rotated));
    deps.setOutput('version', outcome.version ?? '');
    deps.setOutput('expires-at', outcome.expiresAt?.toISOString() ?? '');
    if (!outcome.recoveryCiphertext)
        deps.setOutput('recovery-ciphertext', '');
    deps.setOutput('published', String(t.written));
    deps.setOutput('result', resultJson(outcome.targets));
    const name = secretNames(config);
    await writeSummary(deps, renderSummary({
        secretName: name,
        title: `${HEADLINE[outcome.status]} ${name}`,
        results: outcome.targets,
        dryRun: config.publish.dryRun,
        steps: outcome.steps,
        restored: outcome.restored,
        warnings: outcome.warnings,
        ...(outcome.error
            ? { failure: { step: outcome.error.phase, message: outcome.error.message } }
            : {}),
        ...(advice ? { notes: [advice] } : {}),
        history: resultOf('', outcome)
    }));
    if (outcome.error) {
        log.error(outcome.error.message, { title: `Token rotation failed at ${outcome.error.phase}` });
        deps.markFailed();
        return;
    }
    log.info(outcomeLine(config, outcome));
}
/** The secrets the run writes, for headlines: `API_TOKEN`, or each `secret-fields` name. */
function secretNames(config) {
    const names = [config.publish.secretName, ...config.fieldMappings.map(m => m.name)];
    return names
        .filter(name => name !== '')
        .map(name => `\`${name}\``)
        .join(', ');
}
function outcomeLine(config, outcome) {
    const t = totals(outcome.targets);
    const name = secretNames(config).replace(/`/g, '');
    switch (outcome.status) {
        case 'planned':
            return `Dry run: ${count(t.planned, 'target')} checked, nothing written.`;
        case 'rotated':
            return `Rotated: ${name} version ${outcome.version ?? ''} on ${count(t.written, 'target')}.`;
        case 'published':
            return `Published ${name} to ${count(t.written, 'target')} (${t.created} created, ${t.updated} updated).`;
        default:
            return `${HEADLINE[outcome.status]}.`;
    }
}
/** A run that stopped before writing: annotations naming each input, empty outputs, a summary. */
async function reportStop(deps, error) {
    if (error instanceof ConfigFileError) {
        // Annotations on the file's lines, where GitHub shows them; inline YAML has no file.
        const inline = error.source === 'the config input';
        for (const problem of error.problems) {
            deps.log.error(formatFileProblem(error.source, problem), {
                title: `Invalid configuration${problem.path === '' ? '' : `: ${problem.path}`}`,
                ...(inline ? {} : { file: error.source }),
                ...(!inline && problem.line !== undefined ? { startLine: problem.line } : {})
            });
        }
    }
    else if (error instanceof ConfigError) {
        for (const problem of error.problems) {
            deps.log.error(`Input '${problem.input}': ${problem.message}`, {
                title: `Invalid input '${problem.input}'`
            });
        }
    }
    else {
        deps.log.error(describeError(error), { title: 'Token rotation failed' });
    }
    deps.setOutput('status', 'failed');
    deps.setOutput('rotated', 'false');
    deps.setOutput('published', '0');
    deps.setOutput('result', '[]');
    deps.setOutput('results', '[]');
    await writeSummary(deps, renderSummary({ secretName: '', results: [], dryRun: false, error: describeError(error) }));
    deps.markFailed();
}
/** The summary is a report, not the work: failing to write it is a warning, never a lost result. */
async function writeSummary(deps, markdown) {
    try {
        await deps.writeSummary(markdown);
    }
    catch (error) {
        deps.log.warning(`Could not write the job summary: ${describeError(error)}`, {
            title: 'Job summary'
        });
    }
}
function describeTarget(target) {
    const scope = target.scope;
    if (scope.kind !== 'organization')
        return `${scope.kind} secret of ${scopeLabel(scope)}`;
    const access = target.access;
    const visibility = access?.visibility ?? 'kept from the existing secret (private if new)';
    const selected = access?.selectedRepositories
        ? `, ${count(access.selectedRepositories.length, 'selected repository', 'selected repositories')}`
        : '';
    return `organization secret of ${scope.org} (visibility ${visibility}${selected})`;
}
/**
 * Masks a secret; `deps.mask` registers each of its lines too (the runner matches masks line by
 * line, ending a line at CR LF, LF and a lone CR) and every encoding it can take on the wire.
 */
function maskSecret(deps, secret) {
    if (secret !== '')
        deps.mask(secret);
}

export { secretsPath as a, run as r, scopeLabel as s, writePermission as w };
