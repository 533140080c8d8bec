import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { a as ConfigError } from './errors-CCnUE5kW.js';
import { p as parseRepository, i as isValidLogin, s as secretValueProblem, a as secretNameProblem, r as repositoryName } from './rules-BKeWwZlR.js';
import { i as isSecretInput, I as INPUT_DEFAULTS } from './inputs-Bh3i-bWy.js';
import { p as parseDuration, D as DURATION_HINT } from './duration-Cyz5SPp-.js';
import { D as DEFAULT_PERSIST_TIMEOUT_MS } from './persist-retries-B2eAN27m.js';
import { p as parseHealthCheckConfig } from './health-config-BY0ig5cw.js';
import { i as issuerKinds, p as parseOAuth2Config, P as PROVIDERS, a as issuerCapabilities, s as storeCapabilities, b as storeKinds } from './index-CsUevNhN.js';
import { i as isLoopbackHost, p as parseList } from './lists-dtTonsQ1.js';
import { s as string, N as NEVER } from './schemas-CCjUw_cu.js';
import { p as parseRecoveryPublicKey } from './recovery-key-CkjYeg1p.js';
import { o as orList } from './wording-CXsTWj4t.js';
import './backoff-CUn3El8i.js';
import 'node:crypto';
import './sodium-DPz47DmG.js';

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
    'ca-certificate'
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

const BOOLEAN_TRUE = ['true', 'True', 'TRUE'];
const BOOLEAN_FALSE = ['false', 'False', 'FALSE'];
const MAX_ENVIRONMENT_NAME = 255;
function problem(ctx, input, message) {
    ctx.addIssue({ code: 'custom', path: [input], message });
    return NEVER;
}
const repositoryList = (input) => (raw, ctx) => {
    const refs = [];
    for (const item of parseList(raw)) {
        const ref = parseRepository(item);
        if (ref)
            refs.push(ref);
        else
            problem(ctx, input, `'${item}' is not a repository; write it as owner/repo`);
    }
    return dedupe(refs, ref => repositoryName(ref).toLowerCase());
};
const booleanInput$1 = (input) => (raw, ctx) => {
    if (BOOLEAN_TRUE.includes(raw))
        return true;
    if (BOOLEAN_FALSE.includes(raw))
        return false;
    return problem(ctx, input, `'${raw}' is not a boolean; use true or false`);
};
const durationInput = (input) => (raw, ctx) => {
    const ms = parseDuration(raw);
    return ms ?? problem(ctx, input, `'${raw}' is not a duration; use ${DURATION_HINT}`);
};
/** One schema per input: each turns the raw text into its typed value, or names what is wrong. */
const fields = {
    'github-token': string().transform((raw, ctx) => {
        if (raw === '') {
            return problem(ctx, 'github-token', 'is required: pass a token that can write secrets (a fine-grained PAT with "Secrets: write", or a GitHub App token); the default GITHUB_TOKEN cannot write secrets');
        }
        return raw;
    }),
    'secret-name': string().transform((raw, ctx) => {
        const why = secretNameProblem(raw);
        return why ? problem(ctx, 'secret-name', why) : raw;
    }),
    value: string().transform((raw, ctx) => {
        const why = secretValueProblem(raw);
        return why ? problem(ctx, 'value', why) : raw;
    }),
    repositories: string().transform(repositoryList('repositories')),
    environment: string().transform((raw, ctx) => {
        // GitHub compares environment names case-insensitively: `Prod` and `prod` are one environment.
        const names = dedupe(parseList(raw), name => name.toLowerCase());
        for (const name of names) {
            if (name.length > MAX_ENVIRONMENT_NAME) {
                problem(ctx, 'environment', `an environment name is at most ${MAX_ENVIRONMENT_NAME} characters`);
            }
        }
        return names;
    }),
    org: string().transform((raw, ctx) => {
        if (raw !== '' && !isValidLogin(raw)) {
            return problem(ctx, 'org', `'${raw}' is not an organization login (letters, digits and hyphens)`);
        }
        return raw;
    }),
    visibility: string().transform((raw, ctx) => {
        if (raw === '')
            return undefined;
        if (raw === 'all' || raw === 'private' || raw === 'selected')
            return raw;
        return problem(ctx, 'visibility', `'${raw}' is not a visibility; use all, private or selected`);
    }),
    'selected-repositories': string().transform(repositoryList('selected-repositories')),
    'secret-type': string().transform((raw, ctx) => {
        if (raw === 'actions' || raw === 'dependabot')
            return raw;
        return problem(ctx, 'secret-type', `'${raw}' is not a secret type; use actions or dependabot`);
    }),
    'max-concurrency': string().transform((raw, ctx) => {
        const n = Number(raw);
        if (!/^\d+$/.test(raw) || n < 1 || n > 100) {
            return problem(ctx, 'max-concurrency', `'${raw}' is not a whole number from 1 to 100 (GitHub allows at most 100 concurrent requests)`);
        }
        return n;
    }),
    'write-interval': string().transform(durationInput('write-interval')),
    'dry-run': string().transform(booleanInput$1('dry-run'))
};
/**
 * Rules between inputs. They run on whatever inputs parsed, so a run with several mistakes hears of
 * all of them at once.
 */
function crossInputProblems(inputs) {
    const problems = [];
    const add = (input, message) => problems.push({ input, message });
    const org = inputs.org;
    const selected = inputs['selected-repositories'] ?? [];
    const environments = inputs.environment ?? [];
    if (org === '') {
        if (inputs.visibility !== undefined) {
            add('visibility', 'applies to organization secrets only; set org as well, or remove it');
        }
        if (selected.length > 0) {
            add('selected-repositories', 'applies to organization secrets only; set org as well, or remove it');
        }
    }
    if (org) {
        if (selected.length > 0 &&
            inputs.visibility !== undefined &&
            inputs.visibility !== 'selected') {
            add('selected-repositories', `is given but visibility is '${inputs.visibility}'; set visibility to selected, or remove selected-repositories`);
        }
        for (const ref of selected) {
            if (ref.owner.toLowerCase() !== org.toLowerCase()) {
                add('selected-repositories', `'${repositoryName(ref)}' is not in organization '${org}'; an organization secret can only be shared with its own repositories`);
            }
        }
        if (environments.length > 0 && inputs.repositories?.length === 0) {
            add('environment', 'needs repositories: with org and no repositories only the organization secret is written; list the repositories whose environments get the secret');
        }
    }
    if (inputs['secret-type'] === 'dependabot' && environments.length > 0) {
        add('environment', 'Dependabot has no environment secrets; remove environment or use secret-type: actions');
    }
    return problems;
}
/**
 * Validates every input at once, before any network call, and returns the typed configuration.
 * @param raw the inputs as `readInputs` read them
 * @throws ConfigError listing every invalid input, each with what would be valid.
 */
function parsePublishConfig(raw, context, options = {}) {
    const problems = [];
    const apiUrl = checkApiUrl(context.apiUrl ?? 'https://api.github.com', problems);
    const values = {};
    for (const name of Object.keys(fields)) {
        if (name === 'value' && options.mintedBy) {
            if (raw.value !== '') {
                problems.push({
                    input: 'value',
                    message: `is minted by the ${options.mintedBy} issuer; remove value, or set issuer: none to publish it`
                });
            }
            continue;
        }
        if (name === 'value' && options.valueFrom) {
            if (raw.value !== '') {
                problems.push({
                    input: 'value',
                    message: `is read from ${options.valueFrom}; remove value, or remove ${options.valueFrom} to publish it`
                });
            }
            continue;
        }
        if (name === 'value' && options.valueOptional && raw.value === '')
            continue;
        if (name === 'secret-name' && options.nameOptional && raw['secret-name'] === '') {
            values['secret-name'] = '';
            continue;
        }
        const result = fields[name].safeParse(raw[name]);
        if (result.success)
            Object.assign(values, { [name]: result.data });
        else
            problems.push(...result.error.issues.map(issue => ({ input: name, message: issue.message })));
    }
    problems.push(...crossInputProblems(values));
    if (problems.length > 0)
        throw new ConfigError(problems);
    const inputs = values;
    let repositories = inputs.repositories;
    if (repositories.length === 0 && inputs.org === '') {
        const current = context.repository ? parseRepository(context.repository) : undefined;
        if (!current) {
            throw new ConfigError([
                {
                    input: 'repositories',
                    message: 'is empty and GITHUB_REPOSITORY is not set; list the repositories as owner/repo, or set org'
                }
            ]);
        }
        repositories = [current];
    }
    const config = {
        token: inputs['github-token'],
        apiUrl,
        secretName: inputs['secret-name'],
        value: options.mintedBy || options.valueFrom ? '' : (values.value ?? ''),
        secretType: inputs['secret-type'],
        repositories,
        environments: inputs.environment,
        maxConcurrency: inputs['max-concurrency'],
        writeIntervalMs: inputs['write-interval'],
        dryRun: inputs['dry-run']
    };
    if (inputs.org !== '') {
        const selected = inputs['selected-repositories'];
        const visibility = inputs.visibility ?? (selected.length > 0 ? 'selected' : undefined);
        config.org = {
            login: inputs.org,
            ...(visibility ? { visibility } : {}),
            ...(selected.length > 0 ? { selectedRepositories: selected } : {})
        };
    }
    return config;
}
/**
 * The API URL comes from the runner; a token must never travel in clear text, so plain http is
 * accepted only for loopback addresses (local test servers).
 */
function checkApiUrl(raw, problems) {
    let url;
    try {
        url = new URL(raw);
    }
    catch {
        problems.push({ input: 'GITHUB_API_URL', message: `'${raw}' is not a URL` });
        return raw;
    }
    const loopback = isLoopbackHost(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
        problems.push({
            input: 'GITHUB_API_URL',
            message: `'${raw}' is not https; the token would travel in clear text (plain http is accepted only for loopback test servers)`
        });
    }
    return raw.replace(/\/+$/, '');
}
function dedupe(items, key) {
    const seen = new Set();
    return items.filter(item => {
        const k = key(item);
        if (seen.has(k))
            return false;
        seen.add(k);
        return true;
    });
}

const STORES = ['github', 'aws-secrets-manager'];
const ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;
const NAME = /^[\w/+=.@-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** The field the OAuth2 refresh token is kept in when `store-field` is not set. */
const DEFAULT_REFRESH_TOKEN_FIELD = 'refresh_token';
/**
 * Which store the inputs pick: `store`, or, when it is empty, AWS Secrets Manager whenever
 * `store-secret-id` is set (and for the AWS issuer), else GitHub.
 */
function storeKind(raw, issuer, add) {
    if (raw.store === '') {
        return raw['store-secret-id'] !== '' || issuer === 'aws-secrets-manager'
            ? 'aws-secrets-manager'
            : 'github';
    }
    const kind = STORES.find(k => k === raw.store);
    if (!kind)
        add('store', `'${raw.store}' is not a store; use ${orList(STORES)}`);
    return kind;
}
/**
 * Validates the inputs of an AWS Secrets Manager secret.
 * @param defaultField the field the credential is kept in when `store-field` is empty
 */
function parseAwsSecretConfig(raw, defaultField, add) {
    const secretId = raw['store-secret-id'];
    if (secretId === '') {
        add('store-secret-id', 'is required with store: aws-secrets-manager: the name or ARN of the Secrets Manager secret');
        return undefined;
    }
    if (!ARN.test(secretId) && !NAME.test(secretId)) {
        add('store-secret-id', `'${secretId}' is neither a secret name (letters, digits and /_+=.@-) nor a Secrets Manager ARN`);
    }
    const region = raw['aws-region'];
    if (region !== '' && !REGION.test(region)) {
        add('aws-region', `'${region}' is not an AWS region; write it as e.g. us-east-1`);
    }
    const field = raw['store-field'] || defaultField;
    const timeout = parseDuration(raw['rotation-timeout']);
    if (timeout === undefined) {
        add('rotation-timeout', `'${raw['rotation-timeout']}' is not a duration; use ${DURATION_HINT}`);
    }
    else if (timeout <= 0) {
        add('rotation-timeout', 'must be longer than 0: the rotation Lambda needs time to finish');
    }
    return {
        secretId,
        ...(region !== '' ? { region } : {}),
        ...(field ? { field } : {}),
        rotationTimeoutMs: timeout ?? 0
    };
}
/**
 * Parses `secret-fields`: `NAME=field` entries, separated by commas or newlines.
 */
function parseFieldMappings(raw, add) {
    const mappings = [];
    const seen = new Set();
    for (const item of parseList(raw['secret-fields'])) {
        const match = /^([^=\s]+)\s*=\s*(\S.*)$/.exec(item);
        if (!match) {
            add('secret-fields', `'${item}' is not NAME=field (e.g. DB_PASSWORD=password)`);
            continue;
        }
        const [, name = '', field = ''] = match;
        const why = secretNameProblem(name);
        if (why) {
            add('secret-fields', `${name}: ${why}`);
            continue;
        }
        const key = name.toUpperCase();
        if (seen.has(key) || key === raw['secret-name'].toUpperCase()) {
            add('secret-fields', `${name} is written twice; give each secret one field`);
            continue;
        }
        seen.add(key);
        mappings.push({ name: key, field: field.trim() });
    }
    return mappings;
}
/**
 * The lock variable for a secret kept outside GitHub: `state-variable`, or a name made from the
 * secret's own (`prod/oauth` → `TOKEN_ROTATION_PROD_OAUTH`), with `_LOCK` appended.
 */
function awsLockBase(raw, secretId) {
    if (raw['state-variable'] !== '')
        return raw['state-variable'].toUpperCase();
    const name = secretId.startsWith('arn:') ? (secretId.split(':secret:')[1] ?? secretId) : secretId;
    const cleaned = name
        .replace(/-[A-Za-z0-9]{6}$/, secretId.startsWith('arn:') ? '' : '$&')
        .replace(/[^A-Za-z0-9]+/g, '_')
        .replace(/^_+|_+$/g, '')
        .toUpperCase();
    return `TOKEN_ROTATION_${cleaned}`.slice(0, 200);
}

/** An issuer kind some provider of the registry has. */
function isIssuerKind(kind) {
    return issuerKinds().includes(kind);
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
 * @throws ConfigError listing every invalid input, each with what would be valid
 */
function parseActionConfig(raw, context) {
    const problems = controlCharacterProblems(raw);
    const add = (input, message) => problems.push({ input, message });
    const issuer = isIssuerKind(raw.issuer) ? raw.issuer : undefined;
    if (!issuer) {
        add('issuer', `'${raw.issuer}' is not an issuer; use ${orList(issuerKinds())}`);
    }
    const mode = MODES.find(kind => kind === raw.mode);
    if (!mode) {
        add('mode', raw.mode === 'plan'
            ? 'plan needs config: it plans the credentials of a configuration file over a matrix'
            : `'${raw.mode}' is not a mode; use rotate, verify, retire, rollback, or plan with config`);
    }
    const kind = storeKind(raw, raw.issuer, add);
    const inAws = kind === 'aws-secrets-manager';
    const fieldMappings = parseFieldMappings(raw, add);
    let publish;
    try {
        publish = parsePublishConfig(raw, context, {
            ...(issuer === 'oauth2' ? { mintedBy: 'oauth2' } : {}),
            ...((inAws && issuer !== 'oauth2') || issuer === 'aws-secrets-manager'
                ? { valueFrom: 'store-secret-id' }
                : {}),
            nameOptional: fieldMappings.length > 0,
            valueOptional: mode !== 'rotate'
        });
    }
    catch (error) {
        if (!(error instanceof ConfigError))
            throw error;
        problems.push(...error.problems);
    }
    const health = parseHealthCheckConfig(raw);
    problems.push(...health.problems);
    let oauth2;
    if (issuer === 'oauth2') {
        const parsed = parseOAuth2Config(raw);
        problems.push(...parsed.problems);
        oauth2 = parsed.config;
    }
    const awsSecret = inAws
        ? parseAwsSecretConfig(raw, issuer === 'oauth2' ? DEFAULT_REFRESH_TOKEN_FIELD : undefined, add)
        : undefined;
    const store = storeFor(raw, context, { issuer, mode, kind, awsSecret, publish }, add);
    // Inputs of a provider's role that this credential does not give that provider.
    for (const provider of PROVIDERS) {
        const only = provider.only;
        const plays = (provider.issuers && issuer !== undefined && Object.hasOwn(provider.issuers, issuer)) ||
            (provider.stores && kind !== undefined && Object.hasOwn(provider.stores, kind));
        if (!only || plays)
            continue;
        for (const name of only.inputs) {
            if (raw[name] !== '' && raw[name] !== INPUT_DEFAULTS[name]) {
                add(name, `applies to ${only.role} only; ${only.hint}`);
            }
        }
    }
    if (fieldMappings.length > 0 && (!inAws || issuer === 'oauth2')) {
        add('secret-fields', 'applies to a JSON secret read from AWS Secrets Manager (issuer none or aws-secrets-manager with store-secret-id)');
    }
    if (issuer === 'aws-secrets-manager' && kind === 'github') {
        add('store', 'must be aws-secrets-manager with issuer: aws-secrets-manager (AWS keeps the versions)');
    }
    const issues = issuerCapabilities(issuer);
    const keeps = storeCapabilities(kind);
    if (mode === 'rollback' && (!keeps?.keepsVersions || issues?.consumesInput)) {
        add('mode', issues?.consumesInput
            ? `rollback does not apply to issuer: ${issuer ?? ''}: the previous version was already exchanged, and presenting it again revokes the grant`
            : `rollback needs store: ${orList(storeKinds().filter(k => storeCapabilities(k)?.keepsVersions))}, a store that keeps versions: it makes the previous version current again`);
    }
    // Without OAuth2 the value comes from AWS whole (a JSON document, or one string): the value it
    // replaced is AWSPREVIOUS, and the one to verify AWSCURRENT; an input could only disagree.
    const readFromAws = inAws && issuer !== 'oauth2';
    if (readFromAws && raw['previous-value'] !== '') {
        add('previous-value', 'is read from store-secret-id (AWSPREVIOUS after a rotation, AWSCURRENT for mode verify); remove it');
    }
    if (readFromAws && health.config && fieldMappings.length > 0 && raw['store-field'] === '') {
        add('store-field', 'is required with health-check-url and secret-fields: the check sends one field of the JSON secret, never the whole document');
    }
    if (readFromAws && raw['recovery-public-key'] !== '') {
        add('recovery-public-key', 'applies to issuer: oauth2 (it seals a new refresh token); AWS keeps the versions of this secret');
    }
    if (kind === 'github' &&
        issuer !== 'aws-secrets-manager' &&
        raw.store === 'github' &&
        raw['store-secret-id'] !== '') {
        add('store-secret-id', 'applies to store: aws-secrets-manager; remove it, or remove store: github');
    }
    if (mode === 'retire' && !issues?.revokes) {
        const revoking = issuerKinds().filter(k => issuerCapabilities(k)?.revokes);
        add('mode', `retire applies to an issuer that revokes (${orList(revoking)}): it revokes replaced values`);
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
    const rotationWaitMs = issuer === 'aws-secrets-manager' ? (awsSecret?.rotationTimeoutMs ?? 0) : 0;
    const lockFloorMs = 2 * (health.config?.timeoutMs ?? 0) + rotationWaitMs + (persistTimeoutMs ?? 0) + LOCK_MARGIN_MS;
    if (store && lockTtlMs !== undefined && lockTtlMs < lockFloorMs) {
        add('lock-expires-after', `must be at least ${String(Math.ceil(lockFloorMs / 60_000))}m (twice health-check-timeout${rotationWaitMs > 0 ? ', plus rotation-timeout' : ''}, plus persist-timeout, plus 5m for the mint and the rest of the run): a lock that expires while its run still works lets a second writer in`);
    }
    const rotateIfOlderThanMs = duration('rotate-if-older-than');
    const rotateBeforeExpiryMs = duration('rotate-before-expiry');
    const gracePeriodMs = duration('grace-period') ?? 0;
    const revokePrevious = booleanInput(raw, 'revoke-previous', add);
    for (const input of ['rotate-if-older-than', 'rotate-before-expiry']) {
        if (raw[input] !== '' && (!store || issuer === 'none')) {
            add(input, 'needs a rotation record; it applies to issuer: oauth2 or aws-secrets-manager');
        }
    }
    const previousValue = raw['previous-value'] === '' ? undefined : raw['previous-value'];
    const healthCheck = health.config;
    if (mode === 'verify') {
        if (!healthCheck)
            add('health-check-url', 'is required by mode: verify (it is the check)');
        if (previousValue === undefined && raw.value === '' && !readFromAws) {
            add('previous-value', 'is required by mode: verify: pass the value the targets hold now');
        }
    }
    if (revokePrevious) {
        if (issuer !== 'oauth2' || raw['revocation-url'] === '') {
            add('revoke-previous', 'needs issuer: oauth2 and revocation-url (where to revoke)');
        }
        if (!healthCheck) {
            add('revoke-previous', 'needs health-check-url: the old value is revoked only after the new one is proven to work');
        }
        if (mode === 'rotate' && previousValue === undefined) {
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
    return {
        issuer,
        mode,
        publish,
        ...(oauth2 ? { oauth2 } : {}),
        ...(store ? { store: { ...store, lockTtlMs: lockTtlMs ?? 0 } } : {}),
        ...(awsSecret ? { awsSecret } : {}),
        valueFrom: readFromAws && issuer === 'none' ? 'store' : 'issuer',
        ...(readFromAws ? { document: awsSecret?.field ? { field: awsSecret.field } : {} } : {}),
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
        ...(revokePrevious && gracePeriodMs > 0
            ? { retiringSecret: `${publish.secretName}_RETIRING` }
            : {}),
        ...(rotateIfOlderThanMs !== undefined ? { rotateIfOlderThanMs } : {}),
        ...(rotateBeforeExpiryMs !== undefined ? { rotateBeforeExpiryMs } : {}),
        revokePrevious,
        gracePeriodMs,
        persistTimeoutMs: persistTimeoutMs ?? DEFAULT_PERSIST_TIMEOUT_MS,
        auditLogPath: raw['audit-log'] || defaultAuditLogPath(context),
        runId: runName(context),
        alertAfter,
        ...(context.serverUrl && context.repository && context.runId
            ? { runUrl: `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}` }
            : {}),
        warnings: health.warnings
    };
}
/**
 * The store a run needs: the GitHub store for OAuth2 by default, AWS Secrets Manager when chosen;
 * none for a plain publication or a sync from AWS (which only reads), except to roll back.
 */
function storeFor(raw, context, choice, add) {
    const { issuer, mode, kind, awsSecret, publish } = choice;
    if (issuer === 'oauth2' && kind === 'github') {
        const found = storeConfig(raw, context, publish, add);
        return found ? { kind: 'github', ...found, subject: found.secretName } : undefined;
    }
    const versioned = issuer === 'oauth2' || issuer === 'aws-secrets-manager' || mode === 'rollback';
    if (kind !== 'aws-secrets-manager' || !awsSecret || !versioned) {
        if (raw['state-variable'] !== '') {
            add('state-variable', 'applies to a rotation with a store (issuer oauth2 or aws-secrets-manager); remove it');
        }
        return undefined;
    }
    if (issuer === 'oauth2' && raw['refresh-token-secret'] !== '') {
        add('refresh-token-secret', 'applies to the GitHub store; with store-secret-id the refresh token lives in AWS');
    }
    const repository = context.repository ? parseRepository(context.repository) : undefined;
    if (!repository) {
        add('store-secret-id', 'needs GITHUB_REPOSITORY: the one-writer lock is a variable of the repository running the workflow');
        return undefined;
    }
    const base = awsLockBase(raw, awsSecret.secretId);
    const why = secretNameProblem(base);
    if (why)
        add('state-variable', why.replace(/secret/g, 'variable'));
    return {
        kind: 'aws-secrets-manager',
        repository,
        lockVariable: `${base}_LOCK`,
        subject: awsSecret.secretId,
        versions: issuer === 'oauth2' ? 'action' : 'rotation-lambda'
    };
}
function storeConfig(raw, context, publish, add) {
    const secretName = raw['refresh-token-secret'];
    if (secretName === '') {
        add('refresh-token-secret', 'is required with issuer: oauth2: the repository secret the rotated refresh token is written back to (the one refresh-token reads)');
        return undefined;
    }
    const why = secretNameProblem(secretName);
    if (why) {
        add('refresh-token-secret', why);
        return undefined;
    }
    const stateVariable = raw['state-variable'] || `${secretName}_STATE`;
    const stateWhy = secretNameProblem(stateVariable);
    if (stateWhy)
        add('state-variable', stateWhy.replace(/secret/g, 'variable'));
    const repository = context.repository ? parseRepository(context.repository) : undefined;
    if (!repository) {
        add('refresh-token-secret', 'needs GITHUB_REPOSITORY: the refresh token lives in a secret of the repository running the workflow');
        return undefined;
    }
    const clash = publish?.repositories.some(ref => ref.owner.toLowerCase() === repository.owner.toLowerCase() &&
        ref.repo.toLowerCase() === repository.repo.toLowerCase());
    if (clash &&
        publish?.environments.length === 0 &&
        publish.secretName.toUpperCase() === secretName.toUpperCase()) {
        add('refresh-token-secret', `is the same secret as secret-name in ${context.repository ?? ''}: the access token would overwrite the refresh token; use two names`);
    }
    return {
        repository,
        secretName: secretName.toUpperCase(),
        stateVariable: stateVariable.toUpperCase(),
        lockVariable: `${stateVariable.toUpperCase()}_LOCK`
    };
}
function booleanInput(raw, input, add) {
    const text = raw[input].toLowerCase();
    if (text === 'true')
        return true;
    if (text !== 'false')
        add(input, `'${raw[input]}' is not a boolean; use true or false`);
    return false;
}
function defaultAuditLogPath(context) {
    const dir = context.runnerTemp || tmpdir();
    return join(dir, `token-rotation-audit-${context.runId ?? String(process.pid)}.jsonl`);
}
function runName(context) {
    if (!context.runId)
        return `local run ${String(process.pid)}`;
    return `run ${context.runId} attempt ${context.runAttempt ?? '1'}`;
}

export { parseActionConfig };
