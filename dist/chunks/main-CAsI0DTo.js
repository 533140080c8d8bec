import { t as totals, r as runsCell, a as resultsJson, s as stoppedResult, b as systemClock, c as realSleep, d as resultOf, e as createClientCache, f as resultJson } from './results-D1YWpyhU.js';
import { r as readInputs, S as SECRET_INPUTS } from './inputs-Ck9cEsRc.js';
import { d as describeError, a as ConfigFileError, f as formatFileProblem, C as ConfigError, A as ActionError } from './errors-DDD4RsHd.js';
import { mkdirSync, appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { c as count } from './wording-CXsTWj4t.js';
import { d as detectCi } from './identity-C2FKYTys.js';

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
    const [config, health, assemble, rotation, registry] = await Promise.all([
        import('./rotation-config-CguUqRQD.js'),
        import('./health-config-BEeKN_v2.js'),
        import('./assemble-vO1GRLEn.js'),
        import('./rotation-DIg8wna6.js'),
        import('./index-Czz4Wkal.js').then(function (n) { return n.F; })
    ]);
    return {
        parseActionConfig: config.parseActionConfig,
        reportParts: config.reportParts,
        refusalOf: config.refusalOf,
        isPlainPublish: config.isPlainPublish,
        describeHealthCheck: health.describeHealthCheck,
        assembleEngine: assemble.assembleEngine,
        planFrom: assemble.planFrom,
        runRotation: rotation.runRotation,
        /** Every provider, for the roles the run plays after the engine (alerts). */
        providers: registry.PROVIDERS
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
    const deps = given ?? (await import('./core-deps-CnTSVUwQ.js')).coreDeps(process.env);
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
            const { runFleet } = await import('./fleet-BdiDa0TY.js');
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
    const clients = createClientCache();
    try {
        const result = await runCredential(deps, config, parts, { clients });
        deps.setOutput('results', resultsJson([result]));
    }
    finally {
        await clients.close();
    }
}
/**
 * What the environment tells about the run, for the configuration: the run's identity from its CI
 * (GitHub Actions, GitLab CI, or a local run), and GitHub's repository and API, which the GitHub
 * provider reads wherever the run is (a GitLab job that publishes to GitHub names them).
 */
function runnerContext(deps) {
    return {
        repository: deps.env.GITHUB_REPOSITORY,
        apiUrl: deps.env.GITHUB_API_URL,
        ci: deps.ci ?? detectCi(deps.env, process.pid)
    };
}
/**
 * Where a command of the run (a command health check) runs: the CLI's current directory, else the
 * workspace, where actions/checkout puts the repository.
 */
function workspaceOf(deps) {
    const workspace = deps.workingDirectory ?? deps.env.GITHUB_WORKSPACE;
    return workspace ? { workspace } : {};
}
/**
 * One credential, from its validated configuration to its report: plan, budget, the engine, then
 * outputs, summary and alerts. Never throws: a failure is reported and comes back as the result.
 */
async function runCredential(deps, config, parts, options) {
    const id = options.id ?? 'default';
    const said = parts.reportParts(config);
    await logPlan(deps.log, config, parts, said);
    const overBudget = parts.refusalOf([config]);
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
            clients: options.clients,
            ...(deps.idToken ? { idToken: deps.idToken } : {}),
            redact: deps.redact,
            env: deps.env,
            ...workspaceOf(deps)
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
    await report(deps, config, outcome, said);
    await alert(deps, config, parts, outcome, id, options.webhook);
    return resultOf(id, outcome);
}
/**
 * Alerts through every provider that alerts (GitHub: opens, comments on or closes the alert
 * issue), and POSTs to the webhook when one is given, for a rotation counted in its record.
 */
async function alert(deps, config, parts, outcome, id, webhook) {
    const failures = outcome.consecutiveFailures;
    if (!config.store || config.alertAfter === 0 || failures === undefined)
        return;
    // A run held back by its schedule says nothing new of the credential: no alert, no recovery.
    if (outcome.status === 'not-due' || outcome.status === 'not-in-window')
        return;
    // A replaced value still in use after `alerts.after` runs is a failure to its users: something
    // holds a value that is due to be revoked.
    const inUse = outcome.inUse && outcome.inUse.deferrals >= config.alertAfter ? outcome.inUse : undefined;
    const update = {
        failed: outcome.error !== undefined || inUse !== undefined,
        failures: inUse ? Math.max(failures, inUse.deferrals) : failures,
        ...(outcome.previousFailures !== undefined
            ? {
                // The runs that found the old value still in use alerted as failures do: once it is
                // revoked, their alert is closed as a recovery is.
                previousFailures: Math.max(outcome.previousFailures, outcome.inUseEnded ?? 0)
            }
            : {}),
        threshold: config.alertAfter,
        ...(outcome.error
            ? { reason: outcome.error.message }
            : inUse
                ? { reason: `${inUse.message} (${count(inUse.deferrals, 'run')} in a row)` }
                : {}),
        ...(config.runUrl ? { runUrl: config.runUrl } : {})
    };
    const alert = { subject: config.store.subject, ...update };
    for (const provider of parts.providers) {
        await provider.alert?.(config, alert, { log: deps.log, redact: deps.redact });
    }
    if (webhook) {
        const { sendWebhookAlert } = await import('./webhook-CoLMBjuU.js');
        await sendWebhookAlert(webhook, { credential: id, ...update }, { log: deps.log, sleep: deps.sleep ?? realSleep, redact: deps.redact });
    }
}
async function logPlan(log, config, parts, said) {
    await log.group(config.dryRun ? 'Plan (dry run: nothing is written)' : 'Plan', () => {
        if (parts.isPlainPublish(config)) {
            log.info(`Publish: ${said.names.join(', ')} to ${count(said.writes, 'target')}, the value given.`);
        }
        else {
            log.info(`Mode ${config.mode}, issuer ${config.issuer}.`);
        }
        for (const line of said.lines)
            log.info(line);
        if (config.healthCheck) {
            log.info(`Health check: ${parts.describeHealthCheck(config.healthCheck)}.`);
        }
        for (const warning of config.warnings) {
            log.warning(`Input '${warning.input}': ${warning.message}`, {
                title: `Input '${warning.input}'`
            });
        }
        for (const notice of said.notices)
            log.notice(notice.message, { title: notice.title });
        for (const warning of said.warnings)
            log.warning(warning.message, { title: warning.title });
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
async function report(deps, config, outcome, said) {
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
    const name = secretNames(said);
    await writeSummary(deps, renderSummary({
        secretName: name,
        title: name === '' ? HEADLINE[outcome.status] : `${HEADLINE[outcome.status]} ${name}`,
        results: outcome.targets,
        dryRun: config.dryRun,
        steps: outcome.steps,
        restored: outcome.restored,
        warnings: outcome.warnings,
        ...(outcome.error
            ? { failure: { step: outcome.error.phase, message: outcome.error.message } }
            : {}),
        ...(said.notices.length > 0 ? { notes: said.notices.map(n => n.message) } : {}),
        history: resultOf('', outcome)
    }));
    if (outcome.error) {
        log.error(outcome.error.message, { title: `Token rotation failed at ${outcome.error.phase}` });
        deps.markFailed();
        return;
    }
    log.info(outcomeLine(said, outcome));
}
/** The secrets the run writes, for headlines: `API_TOKEN`, or each `secret-fields` name. */
function secretNames(said) {
    return said.names.map(name => `\`${name}\``).join(', ');
}
function outcomeLine(said, outcome) {
    const t = totals(outcome.targets);
    const name = said.names.join(', ');
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
/**
 * Masks a secret; `deps.mask` registers each of its lines too (the runner matches masks line by
 * line, ending a line at CR LF, LF and a lone CR) and every encoding it can take on the wire.
 */
function maskSecret(deps, secret) {
    if (secret !== '')
        deps.mask(secret);
}

export { run as r };
