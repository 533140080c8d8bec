import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { C as ConfigError } from './errors-DDD4RsHd.js';
import { i as isSecretInput, I as INPUT_DEFAULTS } from './inputs-Ck9cEsRc.js';
import { f as formatDuration, p as parseDuration, D as DURATION_HINT } from './duration-Cyz5SPp-.js';
import { D as DEFAULT_PERSIST_TIMEOUT_MS } from './persist-retries-B2StcHuD.js';
import { parseHealthCheckConfig } from './health-config-BEeKN_v2.js';
import { p as parseRecoveryPublicKey } from './recovery-key-CcEw-7rF.js';
import { N as NO_FILE, R as REGISTRY, i as issuerCapabilities } from './index-Czz4Wkal.js';
import { o as orList } from './wording-CXsTWj4t.js';
import { l as localIdentity } from './identity-C2FKYTys.js';
import './backoff-CUn3El8i.js';
import './loopback-CdUp0z11.js';
import './lists-D2x1VrPX.js';
import './sodium-DPz47DmG.js';
import './schemas-D3_i4Iqf.js';
import 'node:crypto';

/**
 * Inputs whose value may span lines: lists (one item a line), header lines and PEM documents.
 * Every other input is one line by nature: a name, a URL, a duration, a client id.
 */
const MULTI_LINE = new Set([
    'repositories',
    'environment',
    'selected-repositories',
    'secret-fields',
    'scope',
    'health-check-header',
    'health-check-expect',
    'client-certificate',
    'ca-certificate',
    // The configuration file given inline (`config: |`): YAML, whose lines it is.
    'config'
]);
/**
 * Refuses control characters in inputs that reach log lines, naming each input: a CR or LF there
 * starts a new log line, which the runner reads as a workflow command (a forged annotation or
 * output, or `stop-commands`, which would silence every later mask). Multi-line inputs may hold
 * line breaks (LF, or CR LF) and tabs, and nothing else. Secret inputs are never logged, and a
 * published value is taken byte for byte.
 */
function controlCharacterProblems(raw) {
    const problems = [];
    for (const [name, value] of Object.entries(raw)) {
        if (isSecretInput(name))
            continue;
        const text = MULTI_LINE.has(name) ? value.replace(/\r?\n|\t/g, '') : value;
        const found = /\p{Cc}/u.exec(text)?.[0];
        if (found === undefined)
            continue;
        const code = `U+${found.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
        problems.push({
            input: name,
            message: MULTI_LINE.has(name)
                ? `holds the control character ${code}; only line breaks (LF or CR LF) may separate its lines`
                : `holds the control character ${code}${found === '\n' || found === '\r' ? ' (a line break)' : ''}; it is one line of text, without line breaks or control characters`
        });
    }
    return problems;
}

/**
 * What a run needs besides its health checks, rotation wait and persist: the mint (OAuth2: three
 * attempts of 30 s), the pending mark's write, the minute every write under the lock leaves unused,
 * and the other requests. The engine refuses to mint with less than mint, write, persist and
 * margin left.
 */
const LOCK_MARGIN_MS = 5 * 60_000;
/** The shortest persist-timeout: one attempt may wait this long for GitHub's answer. */
const PERSIST_TIMEOUT_FLOOR_MS = 10_000;
const MODES = ['rotate', 'verify', 'retire', 'rollback'];
/**
 * Validates every input at once and returns the run's configuration.
 * @param file what a configuration file gives the credential beyond its flat inputs
 * @param registry the providers (the action's own unless a test adds one)
 * @throws ConfigError listing every invalid input, each with what would be valid
 */
function parseActionConfig(raw, context, file = NO_FILE, registry = REGISTRY) {
    const problems = controlCharacterProblems(raw);
    const add = (input, message) => problems.push({ input, message });
    const issuer = registry.issuerKinds().includes(raw.issuer) ? raw.issuer : undefined;
    if (!issuer) {
        add('issuer', `'${raw.issuer}' is not an issuer; use ${orList(registry.issuerKinds())}`);
    }
    const mode = MODES.find(kind => kind === raw.mode);
    if (!mode) {
        add('mode', raw.mode === 'plan'
            ? 'plan needs config: it plans the credentials of a configuration file over a matrix'
            : `'${raw.mode}' is not a mode; use rotate, verify, retire, rollback, or plan with config`);
    }
    const kind = storeKindOf(raw, registry, add);
    const health = parseHealthCheckConfig(raw);
    const issues = registry.issuerCapabilities(issuer);
    const draft = {
        raw,
        context,
        file,
        issuer,
        store: kind,
        issues,
        mode,
        add,
        report: found => problems.push(...found),
        slices: {},
        valueFrom: 'issuer',
        fieldMappings: [],
        issuerWaitMs: 0
    };
    for (const provider of registry.providers)
        provider.configure?.(draft);
    // Targets last: what they publish depends on where the others found the value.
    for (const provider of registry.providers)
        provider.configureTargets?.(draft);
    const { publish, fieldMappings } = draft;
    const store = draft.storeConfig;
    problems.push(...health.problems);
    if (!draft.keepsRecord && raw['state-variable'] !== '') {
        add('state-variable', `applies to a rotation with a store (issuer ${orList(recordedIssuers(registry))}); remove it`);
    }
    // Inputs and keys of a provider's role that this credential does not give that provider, unless
    // a provider that plays here declares them too (two stores may both have a `store.field`).
    const plays = (provider) => (provider.issuers !== undefined &&
        issuer !== undefined &&
        Object.hasOwn(provider.issuers, issuer)) ||
        (provider.stores !== undefined && kind !== undefined && Object.hasOwn(provider.stores, kind)) ||
        file.targets.some(target => target.key === provider.target?.key);
    const pathOf = (key) => (key.group === '' ? key.key : `${key.group}.${key.key}`);
    const playing = registry.providers.filter(plays);
    // What the playing providers name as their role's own: the inputs of their `only`, their keys
    // without a flat input, their sections.
    const claimed = new Set([
        ...playing.flatMap(provider => provider.only?.inputs ?? []),
        ...playing.flatMap(provider => provider.keys.filter(key => key.input === undefined).map(pathOf)),
        ...playing.flatMap(provider => Object.keys(provider.sections ?? {}))
    ]);
    // An input two providers' roles share (the refresh token) is refused once, by the first.
    const refusedInputs = new Set();
    for (const provider of registry.providers) {
        const only = provider.only;
        if (!only || plays(provider))
            continue;
        const refused = `applies to ${only.role} only; ${only.hint}`;
        for (const name of only.inputs) {
            if (claimed.has(name) || refusedInputs.has(name))
                continue;
            if (raw[name] !== '' && raw[name] !== INPUT_DEFAULTS[name]) {
                refusedInputs.add(name);
                add(name, refused);
            }
        }
        // Its keys that only the file has, and its sections, likewise.
        const fileOnly = provider.keys.filter(key => key.input === undefined).map(pathOf);
        for (const path of [...fileOnly, ...Object.keys(provider.sections ?? {})]) {
            if (claimed.has(path))
                continue;
            if (Object.hasOwn(file.keys, path) ||
                Object.hasOwn(file.objects, path) ||
                Object.hasOwn(file.sections, path)) {
                draft.report([{ input: path, message: refused }]);
            }
        }
    }
    const keeps = registry.storeCapabilities(kind);
    if (mode === 'rollback' && (!keeps?.keepsVersions || issues?.consumesInput)) {
        add('mode', issues?.consumesInput
            ? `rollback does not apply to issuer: ${issuer ?? ''}: the previous version was already exchanged, and presenting it again revokes the grant`
            : `rollback needs store: ${orList(registry.storeKinds().filter(k => registry.storeCapabilities(k)?.keepsVersions))}, a store that keeps versions: it makes the previous version current again`);
    }
    if (mode === 'retire' && !issues?.revokes) {
        add('mode', `retire applies to an issuer that revokes (${orList(revokingIssuers(registry))}): it revokes replaced values`);
    }
    // A credential the issuer consumes comes from the store when the run can read it there, else
    // from the input the workflow fills from its secret.
    if (issues?.consumesInput && keeps?.readsLive && raw['refresh-token'] !== '') {
        add('refresh-token', `is read from store: ${kind ?? ''} (its live version); remove it`);
    }
    if (issues?.consumesInput &&
        !keeps?.readsLive &&
        mode === 'rotate' &&
        raw['refresh-token'] === '') {
        add('refresh-token', 'is required to rotate: pass the secret that holds it, e.g. refresh-token: ${{ secrets.OAUTH_REFRESH_TOKEN }}');
    }
    let recoveryPublicKey;
    if (raw['recovery-public-key'] !== '') {
        const parsed = parseRecoveryPublicKey(raw['recovery-public-key']);
        if (parsed.ok)
            recoveryPublicKey = parsed.key;
        else
            problems.push(parsed.problem);
    }
    const duration = (input) => {
        if (raw[input] === '')
            return undefined;
        const ms = parseDuration(raw[input]);
        if (ms === undefined)
            add(input, `'${raw[input]}' is not a duration; use ${DURATION_HINT}`);
        return ms;
    };
    const lockTtlMs = duration('lock-expires-after');
    const persistTimeoutMs = duration('persist-timeout');
    if (persistTimeoutMs !== undefined && persistTimeoutMs < PERSIST_TIMEOUT_FLOOR_MS) {
        add('persist-timeout', `must be at least 10s: one attempt to write the new refresh token may wait that long for an answer`);
    }
    // A lock that expires while its run still works lets a second writer in: it must outlast the
    // health check plus the persist retries (persist-timeout) and the rest of the run.
    // Twice: a failed check probes previous-value too, a revocation checks the value again.
    // With AWS rotating, the wait for its rotation Lambda is part of the run too.
    const rotationWaitMs = draft.issuerWaitMs;
    const lockFloorMs = 2 * (health.config?.timeoutMs ?? 0) + rotationWaitMs + (persistTimeoutMs ?? 0) + LOCK_MARGIN_MS;
    if (store && lockTtlMs !== undefined && lockTtlMs < lockFloorMs) {
        add('lock-expires-after', `must be at least ${String(Math.ceil(lockFloorMs / 60_000))}m (twice health-check-timeout${rotationWaitMs > 0 ? ', plus rotation-timeout' : ''}, plus persist-timeout, plus 5m for the mint and the rest of the run): a lock that expires while its run still works lets a second writer in`);
    }
    const rotateIfOlderThanMs = duration('rotate-if-older-than');
    const rotateBeforeExpiryMs = duration('rotate-before-expiry');
    const gracePeriodMs = duration('grace-period') ?? 0;
    const revokePrevious = booleanInput(raw, 'revoke-previous', add);
    const retireWhenUnusedForMs = duration('retire-when-unused-for');
    if (retireWhenUnusedForMs !== undefined) {
        if (!issues?.reportsLastUse) {
            add('retire-when-unused-for', `needs an issuer that reports when a value was last used (${orList(registry.issuerKinds().filter(k => registry.issuerCapabilities(k)?.reportsLastUse))}); remove it`);
        }
        else if (!revokePrevious) {
            add('retire-when-unused-for', 'applies with revoke-previous: true: it delays that revocation');
        }
        else if (retireWhenUnusedForMs < issues.reportsLastUse.resolutionMs) {
            add('retire-when-unused-for', `must be ${formatDuration(issues.reportsLastUse.resolutionMs)} or longer: issuer ${issuer ?? ''} may not show a use more recent than that, so a shorter quiet time would revoke a value still in use`);
        }
    }
    for (const input of ['rotate-if-older-than', 'rotate-before-expiry']) {
        if (raw[input] !== '' && (!store || issues?.given)) {
            add(input, `needs a rotation record; it applies to issuer: ${orList(recordedIssuers(registry))}`);
        }
    }
    const previousValue = raw['previous-value'] === '' ? undefined : raw['previous-value'];
    const healthCheck = health.config;
    if (mode === 'verify') {
        if (!healthCheck) {
            add('health-check-url', 'or health-check-command is required by mode: verify (it is the check)');
        }
        if (previousValue === undefined && raw.value === '' && draft.valueInput === undefined) {
            add('previous-value', 'is required by mode: verify: pass the value the targets hold now');
        }
    }
    if (revokePrevious) {
        if (!issues?.revokes) {
            add('revoke-previous', `needs an issuer that revokes (${orList(revokingIssuers(registry))})`);
        }
        if (!healthCheck) {
            add('revoke-previous', 'needs a health check (health-check-url or health-check-command): the old value is revoked only after the new one is proven to work');
        }
        // An issuer that revokes by handle finds it in the record; one that revokes by value needs it.
        if (issues?.revokes === 'value' && mode === 'rotate' && previousValue === undefined) {
            add('previous-value', 'is required by revoke-previous: it is the value to revoke');
        }
    }
    const alertAfter = Number(raw['alert-after']);
    if (!/^\d+$/.test(raw['alert-after']) || alertAfter > 1000) {
        add('alert-after', `'${raw['alert-after']}' is not a whole number of runs; use 0 to turn alerts off`);
    }
    if (problems.length > 0 || !publish || !issuer || !mode)
        throw new ConfigError(problems);
    const retiringValue = raw['retiring-value'] === '' ? undefined : raw['retiring-value'];
    const ci = context.ci ?? localIdentity(process.pid);
    return {
        issuer,
        mode,
        dryRun: publish.dryRun,
        publish,
        ...(store ? { store: { ...store, lockTtlMs: lockTtlMs ?? 0 } } : {}),
        slices: draft.slices,
        valueFrom: draft.valueFrom,
        ...(draft.document ? { document: draft.document } : {}),
        fieldMappings,
        ...(healthCheck ? { healthCheck } : {}),
        refreshToken: raw['refresh-token'],
        ...(recoveryPublicKey ? { recoveryPublicKey } : {}),
        ...(previousValue !== undefined
            ? { previousValue }
            : mode === 'verify' && raw.value !== ''
                ? { previousValue: raw.value }
                : {}),
        ...(retiringValue !== undefined ? { retiringValue } : {}),
        ...(revokePrevious && gracePeriodMs > 0 && issues?.revokes === 'value'
            ? { retiringSecret: `${publish.secretName}_RETIRING` }
            : {}),
        ...(rotateIfOlderThanMs !== undefined ? { rotateIfOlderThanMs } : {}),
        ...(rotateBeforeExpiryMs !== undefined ? { rotateBeforeExpiryMs } : {}),
        revokePrevious,
        gracePeriodMs,
        ...(retireWhenUnusedForMs !== undefined ? { retireWhenUnusedForMs } : {}),
        persistTimeoutMs: persistTimeoutMs ?? DEFAULT_PERSIST_TIMEOUT_MS,
        auditLogPath: raw['audit-log'] || defaultAuditLogPath(ci),
        runId: ci.runName,
        alertAfter,
        ...(ci.runUrl ? { runUrl: ci.runUrl } : {}),
        warnings: health.warnings
    };
}
/**
 * The store the inputs pick: `store`, or, when it is empty, the one a provider claims for these
 * inputs (AWS Secrets Manager when `store-secret-id` is set), else the first store.
 */
function storeKindOf(raw, registry, add) {
    const kinds = registry.storeKinds();
    if (raw.store === '') {
        for (const provider of registry.providers) {
            const claimed = provider.defaultStore?.(raw, raw.issuer);
            if (claimed)
                return claimed;
        }
        return kinds[0];
    }
    if (!kinds.includes(raw.store))
        add('store', `'${raw.store}' is not a store; use ${orList(kinds)}`);
    return kinds.includes(raw.store) ? raw.store : undefined;
}
/** Issuers that revoke the values they replaced. */
function revokingIssuers(registry) {
    return registry.issuerKinds().filter(k => registry.issuerCapabilities(k)?.revokes);
}
/** Issuers that mint, and so keep a record of their rotations. */
function recordedIssuers(registry) {
    return registry.issuerKinds().filter(k => !registry.issuerCapabilities(k)?.given);
}
function booleanInput(raw, input, add) {
    const text = raw[input].toLowerCase();
    if (text === 'true')
        return true;
    if (text !== 'false')
        add(input, `'${raw[input]}' is not a boolean; use true or false`);
    return false;
}
function defaultAuditLogPath(ci) {
    return join(ci.tempDir ?? tmpdir(), `token-rotation-audit-${ci.runId}.jsonl`);
}
/** A run that publishes a value given as an input: nothing is minted, read or stored. */
function isPlainPublish(config) {
    return (issuerCapabilities(config.issuer)?.given === true &&
        config.valueFrom === 'issuer' &&
        !config.store &&
        config.mode === 'rotate');
}
/** What every provider says of its part in a credential, for the plan and the report. */
function reportParts(config, registry = REGISTRY) {
    const reports = registry.providers.map(provider => provider.describe?.(config) ?? {});
    return {
        lines: [
            ...reports.flatMap(report => report.lines ?? []),
            ...reports.flatMap(report => report.targetLines ?? [])
        ],
        names: reports.flatMap(report => report.names ?? []),
        writes: reports.reduce((sum, report) => sum + (report.writes ?? 0), 0),
        warnings: reports.flatMap(report => report.warnings ?? []),
        notices: reports.flatMap(report => report.notices ?? [])
    };
}
/**
 * Why credentials that share the run may not all run (more writes than an API allows them
 * together), or undefined: each provider judges its own API.
 */
function refusalOf(configs, registry = REGISTRY) {
    for (const provider of registry.providers) {
        const refusal = provider.refuse?.(configs);
        if (refusal)
            return refusal;
    }
    return undefined;
}

export { isPlainPublish, parseActionConfig, refusalOf, reportParts };
