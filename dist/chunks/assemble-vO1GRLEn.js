import { f as fieldHealthCheck } from './document-fields-Cgg7T9zY.js';
import { A as ActionError } from './errors-DDD4RsHd.js';
import { spawn } from 'node:child_process';
import { describeHealthCheck, isExpectedStatus } from './health-config-BEeKN_v2.js';
import { v as valueShape } from './secret-document-CqJ-VHjJ.js';
import { f as formatDuration } from './duration-Cyz5SPp-.js';
import { r as redactSecrets, R as REDACTED } from './redaction-Cn2Yd9gW.js';
import { b as backoffMs } from './backoff-CUn3El8i.js';
import { b as buildProbeRequest, s as sendProbe } from './probe-Cnn4D1pO.js';
import { R as REGISTRY } from './index-Czz4Wkal.js';
import { s as sealForRecovery } from './recovery-box-ByX4f6xu.js';
import { l as loadSodium } from './sodium-DPz47DmG.js';
import './loopback-CdUp0z11.js';
import './inputs-Ck9cEsRc.js';
import './lists-D2x1VrPX.js';
import './wording-CXsTWj4t.js';
import './schemas-D3_i4Iqf.js';
import 'node:crypto';
import './recovery-key-CcEw-7rF.js';

/** 1 s, 2 s, 4 s ... at most 15 s between attempts. */
const HEALTH_BACKOFF = { firstMs: 1_000, longestMs: 15_000 };
/**
 * The retries of every health check: calls `attempt` until it passes or `timeoutMs` (on the Clock)
 * has passed, waiting 1 s, 2 s, 4 s ... (at most 15 s) between attempts. Every failure is retried,
 * since a new credential can take a while to reach every server of its issuer. The last wait ends
 * at the deadline, so the last attempt starts at the deadline at the latest; how long an attempt
 * may take is the attempt's own business.
 * @param attempt one try; gets what is left of the timeout (zero or less for an attempt that
 *   starts at the deadline)
 */
async function retryUntilHealthy(attempt, options) {
    const { clock, sleep, log } = options;
    const now = () => clock.now().getTime();
    const deadline = now() + options.timeoutMs;
    for (let attempts = 1;; attempts++) {
        const outcome = await attempt(deadline - now());
        if (outcome.ok)
            return { ok: true, attempts, detail: outcome.detail };
        const left = deadline - now();
        if (left <= 0) {
            log.debug(`Health check attempt ${attempts}: ${outcome.detail}; giving up`);
            return { ok: false, attempts, detail: outcome.detail };
        }
        const wait = Math.min(backoffMs(attempts, HEALTH_BACKOFF), left);
        log.debug(`Health check attempt ${attempts}: ${outcome.detail}; next in ${wait} ms`);
        await sleep(wait);
    }
}

/** The variable that holds the value under test. */
const VALUE_VARIABLE = 'TOKEN_ROTATION_VALUE';
const VARIABLE_PREFIX = 'TOKEN_ROTATION_';
/**
 * What a run of the command gets at least, even when the timeout is (nearly) spent: the last
 * attempt starts at the deadline at the latest, and, like an HTTP attempt, may take this long.
 */
const LAST_ATTEMPT_MS = 10_000;
/** How much of stderr is kept: enough for its last line, never the whole output. */
const STDERR_TAIL_BYTES = 4_096;
/** The longest quote of stderr in a detail. */
const MAX_QUOTE = 200;
/**
 * A run of this many characters of a secret in a line means the line quotes part of it (a prefix,
 * a line of a multi-line value): the line is not quoted, even redacted.
 */
const FRAGMENT = 8;
/** How long to wait, after the command exited, for the rest of its stderr. */
const STDERR_GRACE_MS = 1_000;
/**
 * Variables of the runner's environment the command does not inherit. `INPUT_*` hold the action's
 * inputs (the GitHub token, the refresh token, client secrets), `TOKEN_ROTATION_*` the CLI's
 * secrets and would pass for fields the value does not have, and the runtime and OIDC request
 * tokens are given to actions, not to a workflow's `run:` steps, which this runs like.
 */
function inherits(name) {
    const upper = name.toUpperCase();
    return !(upper.startsWith('INPUT_') ||
        upper.startsWith(VARIABLE_PREFIX) ||
        upper === 'ACTIONS_RUNTIME_TOKEN' ||
        upper === 'ACTIONS_ID_TOKEN_REQUEST_TOKEN' ||
        upper === 'ACTIONS_ID_TOKEN_REQUEST_URL');
}
/**
 * Whether a variable of the runner's environment holds a secret of the run (the admin token a
 * configuration reads with `{ env: GITLAB_TOKEN }`, a Vault token): the command does not get it.
 * A tool it runs (`glab`, `vault`) would pick it up and pass the check with it, whatever the new
 * value is worth, and the old value would be retired on that word.
 */
function holdsSecret(text, redact) {
    return redact !== undefined && text !== '' && redact(text) !== text;
}
/**
 * The variable that holds a field of a JSON value: `username` is `TOKEN_ROTATION_USERNAME`,
 * `api-key` is `TOKEN_ROTATION_API_KEY`.
 */
function fieldVariable(field) {
    return `${VARIABLE_PREFIX}${field.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
/**
 * `TOKEN_ROTATION_VALUE` and, for a JSON object, one variable per top-level field (strings as
 * they are, anything else JSON-encoded).
 */
function commandVariables(value) {
    const env = {};
    const masks = [value];
    const leaves = [];
    const clashes = [];
    const shape = valueShape(value);
    if (shape.kind === 'object') {
        const byVariable = new Map();
        for (const field of Object.keys(shape.object)) {
            if (field === '')
                continue;
            const variable = fieldVariable(field);
            byVariable.set(variable, [...(byVariable.get(variable) ?? []), field]);
        }
        for (const [variable, fields] of byVariable) {
            const [field] = fields;
            if (fields.length > 1 || variable === VALUE_VARIABLE || field === undefined) {
                clashes.push({ variable, fields });
                continue;
            }
            const found = shape.object[field];
            const text = typeof found === 'string' ? found : JSON.stringify(found);
            env[variable] = text;
            // Numbers, booleans and null are not masked: masking "1" or "true" would blank the log.
            if (typeof found === 'object' && found !== null)
                masks.push(text);
        }
        for (const leaf of stringsIn(shape.object)) {
            leaves.push(leaf);
            masks.push(leaf);
        }
    }
    else {
        leaves.push(value);
    }
    env[VALUE_VARIABLE] = value;
    const withNul = Object.keys(env).find(name => env[name]?.includes('\0'));
    return {
        env,
        masks: masks.filter(text => text !== ''),
        leaves: leaves.filter(text => text !== ''),
        clashes,
        ...(withNul !== undefined ? { withNul } : {})
    };
}
/** Every string in a parsed JSON value, however deep. */
function stringsIn(node) {
    if (typeof node === 'string')
        return [node];
    if (Array.isArray(node))
        return node.flatMap(stringsIn);
    if (node !== null && typeof node === 'object')
        return Object.values(node).flatMap(stringsIn);
    return [];
}
/**
 * The command health check: runs the command line through the platform shell (`/bin/sh`, or
 * `cmd.exe` on Windows), as a workflow's `run:` step runs a line, in the workspace, with the
 * runner's environment (less the action's own inputs and tokens) plus the value in
 * `TOKEN_ROTATION_VALUE` and, for a JSON object, each top-level field in `TOKEN_ROTATION_<FIELD>`.
 * Exit 0 means the value works. It is retried like the HTTP check ({@link retryUntilHealthy});
 * each run is killed, with everything it started, once what is left of the timeout has passed
 * (the last one gets at least 10 s, or the whole timeout when that is shorter). Its output is
 * never printed: a failure's detail is `exit 3`, `killed after 10s` or `not found`, with at most
 * the last line of stderr, redacted, and none when the line may hold part of a secret.
 */
function createCommandHealthCheck(config, deps) {
    const masked = new Set();
    const mask = (secret) => {
        if (masked.has(secret))
            return;
        masked.add(secret);
        deps.mask(secret);
    };
    const floorMs = config.timeoutMs > 0 ? Math.min(LAST_ATTEMPT_MS, config.timeoutMs) : LAST_ATTEMPT_MS;
    return {
        description: describeHealthCheck(config),
        takesDocument: true,
        async check(value) {
            const variables = commandVariables(value);
            // Every field is a secret of its own: masked before any process could print it.
            for (const secret of variables.masks)
                mask(secret);
            for (const clash of variables.clashes) {
                deps.log.warning(`Health check: ${clash.fields.map(f => `field '${f}'`).join(' and ')} of the value would set ${clash.variable}${clash.variable === VALUE_VARIABLE ? ', which holds the whole value' : ''}; the command gets no such field.`);
            }
            if (variables.withNul !== undefined) {
                return {
                    ok: false,
                    attempts: 0,
                    detail: `${variables.withNul} would hold a NUL character, which no environment variable can hold`
                };
            }
            const env = {};
            for (const [name, text] of Object.entries(deps.env ?? process.env)) {
                if (text !== undefined && inherits(name) && !holdsSecret(text, deps.redact))
                    env[name] = text;
            }
            Object.assign(env, variables.env);
            const cwd = deps.cwd ?? process.cwd();
            const quote = (line) => quoteLine(line, variables, deps.redact);
            return retryUntilHealthy(async (leftMs) => {
                const limitMs = Math.max(leftMs, floorMs);
                return judge(await runOnce(config.command, { env, cwd, limitMs }), quote);
            }, { timeoutMs: config.timeoutMs, clock: deps.clock, sleep: deps.sleep, log: deps.log });
        }
    };
}
function judge(run, quote) {
    const windows = process.platform === 'win32';
    const withStderr = (detail, line) => {
        const quoted = line === undefined ? undefined : quote(line);
        return quoted === undefined ? detail : `${detail} (stderr: ${quoted})`;
    };
    switch (run.kind) {
        case 'not-started':
            return {
                ok: false,
                detail: run.code === 'ENOENT'
                    ? 'not found'
                    : `could not be started${run.code === undefined ? '' : ` (${run.code})`}`
            };
        case 'killed':
            return {
                ok: false,
                detail: withStderr(`killed after ${formatDuration(run.afterMs)}`, run.stderr)
            };
        case 'signal':
            return { ok: false, detail: withStderr(`killed by ${run.signal}`, run.stderr) };
        case 'exit':
            if (run.code === 0)
                return { ok: true, detail: 'exit 0' };
            // The shell's own codes: its message only repeats the command line.
            if ((!windows && run.code === 127) || (windows && run.code === 9009)) {
                return { ok: false, detail: 'not found' };
            }
            if (!windows && run.code === 126)
                return { ok: false, detail: 'not executable' };
            return { ok: false, detail: withStderr(`exit ${run.code}`, run.stderr) };
    }
}
/**
 * A line of stderr fit for a detail, or undefined when unsure: the run's redactor is not at hand,
 * the line holds control characters (besides colour codes), or a run of {@link FRAGMENT}
 * characters of a secret survives the redaction (a prefix, a part of a value).
 */
function quoteLine(line, variables, redact) {
    if (!redact)
        return undefined;
    // ANSI escape sequences (colours, cursor moves) go; any other control character is a doubt.
    // eslint-disable-next-line no-control-regex -- the escape character is what it finds
    const colours = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
    const plain = line.replace(colours, '').replace(/\t/g, ' ').trim();
    if (plain === '' || /[\p{Cc}\p{Cf}]/u.test(plain))
        return undefined;
    // This check's own secrets first: the run's redactor knows them too, once they are masked.
    const local = redactSecrets(plain, [...variables.masks]);
    if (holdsFragment(local, variables.leaves))
        return undefined;
    const clean = redact(local);
    return clean.length > MAX_QUOTE ? `${clean.slice(0, MAX_QUOTE - 1)}…` : clean;
}
/** True when `text` holds {@link FRAGMENT} characters in a row of one of `secrets`. */
function holdsFragment(text, secrets) {
    for (let start = 0; start + FRAGMENT <= text.length; start++) {
        const window = text.slice(start, start + FRAGMENT);
        if (window.includes(REDACTED))
            continue;
        if (secrets.some(secret => secret.includes(window)))
            return true;
    }
    return false;
}
/** Runs the command once; never rejects, and never keeps a process of it running past its end. */
function runOnce(command, options) {
    const windows = process.platform === 'win32';
    return new Promise(resolve => {
        let child;
        try {
            child = spawn(command, {
                shell: true,
                cwd: options.cwd,
                env: options.env,
                stdio: ['ignore', 'ignore', 'pipe'],
                // Its own process group, so that a kill reaches whatever it started too.
                detached: !windows,
                windowsHide: true
            });
        }
        catch (error) {
            // The error's message may quote the environment, and so the value: only its code is kept.
            resolve({ kind: 'not-started', ...codeOf(error) });
            return;
        }
        const tail = stderrTail();
        child.stderr?.on('data', (chunk) => {
            tail.push(chunk);
        });
        let killed = false;
        let settled = false;
        const timer = setTimeout(() => {
            killed = true;
            killGroup(child);
        }, options.limitMs);
        const settle = (run) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            resolve(run);
        };
        child.on('error', error => {
            if (child.pid === undefined)
                settle({ kind: 'not-started', ...codeOf(error) });
        });
        child.on('exit', (code, signal) => {
            clearTimeout(timer);
            // A job it left behind holds the value in its environment: it ends with the check.
            killGroup(child);
            const end = () => {
                const stderr = tail.lastLine();
                const last = stderr === undefined ? {} : { stderr };
                if (killed)
                    settle({ kind: 'killed', afterMs: options.limitMs, ...last });
                else if (code !== null)
                    settle({ kind: 'exit', code, ...last });
                else
                    settle({ kind: 'signal', signal: signal ?? 'a signal', ...last });
            };
            const stream = child.stderr;
            if (!stream || stream.closed) {
                end();
                return;
            }
            // The rest of stderr may still be in flight; a process that escaped the group may hold it
            // open for good.
            const grace = setTimeout(() => {
                stream.destroy();
                end();
            }, STDERR_GRACE_MS);
            stream.once('close', () => {
                clearTimeout(grace);
                end();
            });
        });
    });
}
/** Kills the command's process group (its process tree on Windows); gone already is fine. */
function killGroup(child) {
    const pid = child.pid;
    if (pid === undefined)
        return;
    try {
        if (process.platform === 'win32') {
            spawn('taskkill', ['/pid', String(pid), '/T', '/F'], {
                stdio: 'ignore',
                windowsHide: true
            }).on('error', () => undefined);
        }
        else {
            process.kill(-pid, 'SIGKILL');
        }
    }
    catch {
        // ESRCH: nothing of it is left.
    }
}
/** The last {@link STDERR_TAIL_BYTES} of stderr, and its last complete line. */
function stderrTail() {
    let tail = Buffer.alloc(0);
    let cut = false;
    return {
        push(chunk) {
            tail = Buffer.concat([tail, chunk]);
            if (tail.length > STDERR_TAIL_BYTES) {
                tail = tail.subarray(tail.length - STDERR_TAIL_BYTES);
                cut = true;
            }
        },
        /** Undefined when stderr is empty, or when its last line began before the kept tail. */
        lastLine() {
            const lines = tail.toString('utf8').split(/\r\n|\n|\r/);
            for (let index = lines.length - 1; index >= 0; index--) {
                const line = lines[index] ?? '';
                if (line.trim() === '')
                    continue;
                return index === 0 && cut ? undefined : line;
            }
            return undefined;
        }
    };
}
/** The error's code, when it is one (`ENOENT`): never its message. */
function codeOf(error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? { code } : {};
}

const ATTEMPT_TIMEOUT_MS = 10_000;
/**
 * The HTTP health check: probes the configured URL with the value until it answers an expected
 * status or `timeoutMs` (on the Clock) has passed, with the retries of every health check
 * ({@link retryUntilHealthy}). 401 and 403 are retried too, since a new credential can take a
 * while to reach every server of the issuer. The last attempt starts at the deadline at the latest
 * and takes at most its own deadline (10 s) beyond it.
 */
function createHttpHealthCheck(config, deps) {
    const fetcher = deps.fetch ?? globalThis.fetch;
    const attemptTimeoutMs = deps.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
    return {
        description: describeHealthCheck(config),
        async check(value) {
            const request = buildProbeRequest(config, value);
            if (!request) {
                return {
                    ok: false,
                    attempts: 0,
                    detail: 'the value cannot be sent in a header: it holds a line break, a control character or a character beyond Latin-1'
                };
            }
            return retryUntilHealthy(async () => {
                const outcome = await sendProbe(request, fetcher, attemptTimeoutMs);
                const ok = outcome.status !== undefined && isExpectedStatus(outcome.status, config.expect);
                return { ok, detail: outcome.detail };
            }, { timeoutMs: config.timeoutMs, clock: deps.clock, sleep: deps.sleep, log: deps.log });
        }
    };
}

/**
 * Every provider's targets as one: each is checked and written in turn, and the results are
 * listed together. None for a credential that publishes nothing (its value lives in its store).
 */
function allTargets(targets) {
    const each = async (act) => {
        const results = [];
        for (const target of targets)
            results.push(...(await act(target)));
        return results;
    };
    return {
        preflight: () => each(t => t.preflight()),
        publish: value => each(t => t.publish(value))
    };
}
/**
 * Builds the engine's parts for a validated configuration: every provider of the registry builds
 * the parts it plays in this credential, loading its SDK only then, and the parts are put
 * together here. Which provider plays which role the configuration's rules settled.
 */
async function assembleEngine(config, deps) {
    const { log, clock, sleep } = deps;
    const healthCheck = config.healthCheck
        ? buildHealthCheck(config, config.healthCheck, deps)
        : undefined;
    const partDeps = {
        log,
        mask: secret => {
            deps.mask(secret);
        },
        clock,
        sleep,
        clients: deps.clients,
        ...(deps.idToken ? { idToken: deps.idToken } : {}),
        ...(healthCheck ? { healthCheck } : {})
    };
    const registry = deps.registry ?? REGISTRY;
    const built = await Promise.all(registry.providers.map(provider => provider.assemble(config, partDeps)));
    const first = (role) => built.find(parts => parts[role] !== undefined)?.[role];
    const issuer = first('reader') ?? first('issuer');
    const store = first('store');
    const lock = first('lock');
    // The configuration's rules and the parts must agree: a store without its lock, or a record
    // asked for and no store, would run without the one-writer rule or lose what it minted.
    const revokes = registry.issuerCapabilities(config.issuer)?.revokes;
    const missing = !issuer
        ? `issuer ${config.issuer}`
        : config.store && !store
            ? `store ${config.store.kind}`
            : store && !lock
                ? `the lock of store ${config.store?.kind ?? ''}`
                : revokes !== undefined && (issuer.revokes ?? 'value') !== revokes
                    ? `issuer ${config.issuer} revoking by ${revokes}, as its capabilities say`
                    : undefined;
    if (!issuer || missing) {
        throw new ActionError(`No provider builds ${missing ?? ''}: this is a bug; please report it.`, {
            code: 'internal',
            phase: 'preflight'
        });
    }
    const check = first('healthCheck') ?? healthCheck;
    const keepRetiring = first('keepRetiring');
    if (config.mode !== 'verify')
        loadSodium().catch(() => undefined);
    const recoveryKey = config.recoveryPublicKey;
    return {
        issuer,
        // Passed as built: the engine refuses a store without a lock.
        ...(store ? { store } : {}),
        ...(lock ? { lock } : {}),
        targets: allTargets(built.flatMap(parts => (parts.targets ? [parts.targets] : []))),
        ...(check ? { healthCheck: check } : {}),
        ...(recoveryKey
            ? { sealForRecovery: (value) => sealForRecovery(value, recoveryKey) }
            : {}),
        onRecoveryCiphertext: ciphertext => {
            deps.onRecoveryCiphertext(ciphertext);
        },
        ...(keepRetiring ? { keepRetiring } : {}),
        clock,
        sleep,
        log,
        audit: deps.audit
    };
}
/** The configured health check: an HTTP probe, or a command run on this machine. */
function buildHealthCheck(config, health, deps) {
    const { log, clock, sleep } = deps;
    if (health.kind === 'command') {
        // The command runs here and gets the value whole, each field in its own variable.
        return createCommandHealthCheck(health, {
            log,
            clock,
            sleep,
            mask: secret => {
                deps.mask(secret);
            },
            ...(deps.redact ? { redact: deps.redact } : {}),
            ...(deps.env ? { env: deps.env } : {}),
            ...(deps.workspace !== undefined ? { cwd: deps.workspace } : {})
        });
    }
    const http = createHttpHealthCheck(health, { sleep, clock, log });
    // A document read from a store may hold fields no probe was meant to get: it sends one.
    return config.document ? fieldHealthCheck(http, config.document.field) : http;
}
/** The engine's orders from the configuration. */
function planFrom(config) {
    return {
        mode: config.mode,
        dryRun: config.dryRun,
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
        ...(config.retireWhenUnusedForMs !== undefined
            ? { retireWhenUnusedForMs: config.retireWhenUnusedForMs }
            : {}),
        lockTtlMs: config.store?.lockTtlMs ?? 0
    };
}

export { assembleEngine, planFrom };
