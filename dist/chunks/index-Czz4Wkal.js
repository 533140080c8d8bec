import { p as parseDuration, D as DURATION_HINT, f as formatDuration } from './duration-Cyz5SPp-.js';
import { C as ConfigError, A as ActionError } from './errors-DDD4RsHd.js';
import { c as count, o as orList } from './wording-CXsTWj4t.js';
import { i as isLoopbackHost } from './loopback-CdUp0z11.js';
import { p as parseList } from './lists-D2x1VrPX.js';
import { s as string, N as NEVER, f as strictObject, r as record, u as unknown, d as _enum, g as discriminatedUnion, l as literal } from './schemas-D3_i4Iqf.js';
import { X509Certificate, createPrivateKey } from 'node:crypto';

/**
 * GitHub's documented rules for secrets and repository names, checked before any request so that a
 * bad input fails in preflight instead of on the tenth repository.
 * @see https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions#naming-your-secrets
 */
/** Largest secret value GitHub stores: 48 KB. */
const MAX_SECRET_BYTES = 48 * 1024;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
/** Why a secret name is invalid, or undefined when it is valid. */
function secretNameProblem(name) {
    if (name.length === 0)
        return 'is empty; give the name of the secret to write';
    if (!SECRET_NAME.test(name)) {
        return `'${name}' is not a valid secret name: use only letters, digits and underscores, not starting with a digit`;
    }
    if (/^GITHUB_/i.test(name)) {
        return `'${name}' starts with GITHUB_, which GitHub reserves; choose another name`;
    }
    return undefined;
}
/** Why a secret value cannot be stored, or undefined when it can. Never quotes the value. */
function secretValueProblem(value) {
    if (value.length === 0)
        return 'is empty; GitHub does not store empty secrets';
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_SECRET_BYTES) {
        return `is ${bytes} bytes; GitHub stores at most ${MAX_SECRET_BYTES} bytes (48 KB) per secret`;
    }
    return undefined;
}
/** Parses `owner/repo`, or returns undefined when the text is not a repository name. */
function parseRepository(text) {
    const parts = text.split('/');
    if (parts.length !== 2)
        return undefined;
    const [owner, repo] = parts;
    if (!OWNER.test(owner) || !REPO.test(repo) || repo === '.' || repo === '..')
        return undefined;
    return { owner, repo };
}
/** Whether an organization or user login is well formed. */
function isValidLogin(login) {
    return OWNER.test(login);
}
/** `owner/repo`, as GitHub writes it. */
function repositoryName(ref) {
    return `${ref.owner}/${ref.repo}`;
}

const ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;
const NAME = /^[\w/+=.@-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** The field the OAuth2 refresh token is kept in when `store-field` is not set. */
const DEFAULT_REFRESH_TOKEN_FIELD = 'refresh_token';
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

/** The kind of both roles AWS plays: `issuer: aws-secrets-manager`, `store: aws-secrets-manager`. */
const AWS_KIND = 'aws-secrets-manager';
/** Secrets Manager is the store whenever `store-secret-id` is set, and for the AWS issuer. */
function defaultAwsStore(raw, issuer) {
    return raw['store-secret-id'] !== '' || issuer === AWS_KIND ? AWS_KIND : undefined;
}
/**
 * The AWS part of a credential: the secret, whether the value is read from it (a sync, or what
 * the rotation Lambda made) or the refresh token kept in it, and the store with its record.
 */
function configureAws(draft) {
    const { raw, issuer, mode, add } = draft;
    if (draft.store !== AWS_KIND) {
        if (issuer !== AWS_KIND && raw.store !== '' && raw['store-secret-id'] !== '') {
            add('store-secret-id', `applies to store: ${AWS_KIND}; remove it, or remove store: ${raw.store}`);
        }
        if (issuer === AWS_KIND) {
            add('store', `must be ${AWS_KIND} with issuer: ${AWS_KIND} (AWS keeps the versions)`);
        }
        return;
    }
    // The issuer exchanges what it is given: the secret keeps it (a refresh token) in a field.
    const keepsInput = draft.issues?.consumesInput === true;
    const secret = parseAwsSecretConfig(raw, keepsInput ? DEFAULT_REFRESH_TOKEN_FIELD : undefined, add);
    if (!keepsInput)
        readValue(draft, secret);
    if (issuer === AWS_KIND)
        draft.issuerWaitMs = secret?.rotationTimeoutMs ?? 0;
    if (!secret)
        return;
    draft.slices.aws = { secret };
    const versioned = keepsInput || issuer === AWS_KIND || mode === 'rollback';
    if (!versioned)
        return;
    draft.keepsRecord = true;
    if (keepsInput && raw['refresh-token-secret'] !== '') {
        add('refresh-token-secret', 'applies to the GitHub store; with store-secret-id the refresh token lives in AWS');
    }
    const repository = draft.context.repository
        ? parseRepository(draft.context.repository)
        : undefined;
    if (!repository) {
        add('store-secret-id', 'needs GITHUB_REPOSITORY: the one-writer lock is a variable of the repository running the workflow');
        return;
    }
    const base = awsLockBase(raw, secret.secretId);
    const why = secretNameProblem(base);
    if (why)
        add('state-variable', why.replace(/secret/g, 'variable'));
    draft.storeConfig = {
        kind: AWS_KIND,
        repository,
        lockVariable: `${base}_LOCK`,
        subject: secret.secretId,
        record: {
            where: `AWS Secrets Manager secret ${secret.secretId}${secret.region ? ` in ${secret.region}` : ''}`,
            key: 'store-secret-id'
        }
    };
    draft.slices.aws.versions = keepsInput ? 'action' : 'rotation-lambda';
}
/**
 * The value comes from AWS whole (a JSON document, or one string): the value it replaced is
 * AWSPREVIOUS, and the one to verify AWSCURRENT; an input could only disagree.
 */
function readValue(draft, secret) {
    const { raw, add } = draft;
    draft.valueInput = 'store-secret-id';
    if (draft.issues?.given)
        draft.valueFrom = 'store';
    draft.document = secret?.field !== undefined ? { field: secret.field } : {};
    if (raw['previous-value'] !== '') {
        add('previous-value', 'is read from store-secret-id (AWSPREVIOUS after a rotation, AWSCURRENT for mode verify); remove it');
    }
    if (raw['health-check-url'] !== '' && raw['secret-fields'] !== '' && raw['store-field'] === '') {
        add('store-field', 'is required with health-check-url and secret-fields: the check sends one field of the JSON secret, never the whole document');
    }
    if (raw['recovery-public-key'] !== '') {
        add('recovery-public-key', 'applies to issuer: oauth2 (it seals a new refresh token); AWS keeps the versions of this secret');
    }
}
/** The plan's line about the secret. */
function describeAws(config) {
    const aws = config.slices.aws;
    if (!aws)
        return {};
    const { secret } = aws;
    const where = `AWS Secrets Manager secret ${secret.secretId}${secret.region ? ` in ${secret.region}` : ''}`;
    const field = secret.field ? `, field ${secret.field}` : '';
    return {
        lines: [
            aws.versions === 'action'
                ? `Refresh token in ${where}${field}; versions staged as AWSPENDING and promoted to AWSCURRENT.`
                : `Value read from ${where}${field}${config.issuer === AWS_KIND ? ', rotated by its rotation Lambda' : ''}.`
        ]
    };
}

// The descriptor only: the SDK loads with ./wiring.js, when a credential names this provider.
/** AWS Secrets Manager: a secret's versions as a store, its rotation Lambda as an issuer. */
const awsProvider = {
    name: 'aws',
    issuers: { [AWS_KIND]: { consumesInput: false } },
    stores: { [AWS_KIND]: { keepsVersions: true, readsLive: true } },
    keys: [
        { group: 'issuer', key: 'rotation-timeout', input: 'rotation-timeout', type: 'text' },
        { group: 'store', key: 'secret-id', input: 'store-secret-id', type: 'text' },
        { group: 'store', key: 'region', input: 'aws-region', type: 'text' },
        { group: 'store', key: 'field', input: 'store-field', type: 'text' }
    ],
    only: {
        role: 'store: aws-secrets-manager',
        inputs: ['aws-region', 'store-field', 'rotation-timeout'],
        hint: 'set store-secret-id, or remove it'
    },
    docs: 'docs/providers/aws.md',
    defaultStore: defaultAwsStore,
    configure: configureAws,
    describe: describeAws,
    assemble: async (config, deps) => {
        if (!config.slices.aws)
            return {};
        const { assembleAws } = await import('./wiring-DpEzzSUU.js').then(function (n) { return n.aV; });
        return assembleAws(config, deps);
    }
};

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

const BOOLEAN_TRUE = ['true', 'True', 'TRUE'];
const BOOLEAN_FALSE = ['false', 'False', 'FALSE'];
const MAX_ENVIRONMENT_NAME = 255;
function problem$1(ctx, input, message) {
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
            problem$1(ctx, input, `'${item}' is not a repository; write it as owner/repo`);
    }
    return dedupe(refs, ref => repositoryName(ref).toLowerCase());
};
const booleanInput = (input) => (raw, ctx) => {
    if (BOOLEAN_TRUE.includes(raw))
        return true;
    if (BOOLEAN_FALSE.includes(raw))
        return false;
    return problem$1(ctx, input, `'${raw}' is not a boolean; use true or false`);
};
const durationInput = (input) => (raw, ctx) => {
    const ms = parseDuration(raw);
    return ms ?? problem$1(ctx, input, `'${raw}' is not a duration; use ${DURATION_HINT}`);
};
/** One schema per input: each turns the raw text into its typed value, or names what is wrong. */
const fields$1 = {
    'github-token': string().transform((raw, ctx) => {
        if (raw === '') {
            return problem$1(ctx, 'github-token', 'is required: pass a token that can write secrets (a fine-grained PAT with "Secrets: write", or a GitHub App token); the default GITHUB_TOKEN cannot write secrets');
        }
        return raw;
    }),
    'secret-name': string().transform((raw, ctx) => {
        const why = secretNameProblem(raw);
        return why ? problem$1(ctx, 'secret-name', why) : raw;
    }),
    value: string().transform((raw, ctx) => {
        const why = secretValueProblem(raw);
        return why ? problem$1(ctx, 'value', why) : raw;
    }),
    repositories: string().transform(repositoryList('repositories')),
    environment: string().transform((raw, ctx) => {
        // GitHub compares environment names case-insensitively: `Prod` and `prod` are one environment.
        const names = dedupe(parseList(raw), name => name.toLowerCase());
        for (const name of names) {
            if (name.length > MAX_ENVIRONMENT_NAME) {
                problem$1(ctx, 'environment', `an environment name is at most ${MAX_ENVIRONMENT_NAME} characters`);
            }
        }
        return names;
    }),
    org: string().transform((raw, ctx) => {
        if (raw !== '' && !isValidLogin(raw)) {
            return problem$1(ctx, 'org', `'${raw}' is not an organization login (letters, digits and hyphens)`);
        }
        return raw;
    }),
    visibility: string().transform((raw, ctx) => {
        if (raw === '')
            return undefined;
        if (raw === 'all' || raw === 'private' || raw === 'selected')
            return raw;
        return problem$1(ctx, 'visibility', `'${raw}' is not a visibility; use all, private or selected`);
    }),
    'selected-repositories': string().transform(repositoryList('selected-repositories')),
    'secret-type': string().transform((raw, ctx) => {
        if (raw === 'actions' || raw === 'dependabot')
            return raw;
        return problem$1(ctx, 'secret-type', `'${raw}' is not a secret type; use actions or dependabot`);
    }),
    'max-concurrency': string().transform((raw, ctx) => {
        const n = Number(raw);
        if (!/^\d+$/.test(raw) || n < 1 || n > 100) {
            return problem$1(ctx, 'max-concurrency', `'${raw}' is not a whole number from 1 to 100 (GitHub allows at most 100 concurrent requests)`);
        }
        return n;
    }),
    'write-interval': string().transform(durationInput('write-interval')),
    'dry-run': string().transform(booleanInput('dry-run'))
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
    for (const name of Object.keys(fields$1)) {
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
        if (name === 'github-token' && options.tokenOptional && raw['github-token'] === '') {
            values['github-token'] = '';
            continue;
        }
        if (name === 'secret-name' && options.nameOptional && raw['secret-name'] === '') {
            values['secret-name'] = '';
            continue;
        }
        const result = fields$1[name].safeParse(raw[name]);
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
    // Without a token GitHub plays no part (the caller allowed that): no default target either,
    // so a run outside GitHub Actions (GitLab CI) needs no GITHUB_REPOSITORY.
    const noPart = options.tokenOptional === true && inputs['github-token'] === '';
    if (repositories.length === 0 && inputs.org === '' && !noPart) {
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

/** The kind of the GitHub store. */
const GITHUB_STORE = 'github';
/** The GitHub store of a refresh token: the secret the issuer's consumed credential is kept in. */
function configureGitHub(draft) {
    if (draft.store !== GITHUB_STORE)
        return;
    // The GitHub store keeps what the issuer consumes: the refresh token it exchanges each time.
    if (draft.issues?.consumesInput)
        storeConfig(draft);
    // An issuer that revokes what it minted by handle needs the handles from one run to the next:
    // a record without a secret, since it exchanges nothing that would have to be persisted. GitHub
    // keeps it where GitHub plays a part: a published secret, or a store or record asked for.
    else if (draft.issues?.revokes === 'handle' &&
        draft.issues.given !== true &&
        wantsRecord(draft)) {
        recordConfig(draft);
    }
}
function wantsRecord({ raw }) {
    return raw['secret-name'] !== '' || raw['state-variable'] !== '' || raw.store === GITHUB_STORE;
}
/**
 * GitHub's secret targets: the value is minted, given, or read from the store, as the other
 * providers found. Where GitHub plays no part, neither github-token nor secret-name is needed.
 */
function configureGitHubTargets(draft) {
    const { raw, issuer, mode } = draft;
    draft.fieldMappings = parseFieldMappings(raw, draft.add);
    if (draft.fieldMappings.length > 0 && !draft.document) {
        draft.add('secret-fields', 'applies to a value that is a JSON document read from its store (a sync, or a secret its store rotates, as with AWS Secrets Manager); this value is minted or given whole: publish it with secret-name, or read the document from its store');
    }
    const mintedBy = draft.issues?.given || draft.valueInput ? undefined : issuer;
    // GitHub writes no secret in mode verify, nor for a credential that publishes to other targets
    // only; it keeps nothing when no record or lock is GitHub's (a store that is not GitHub's may
    // still keep its lock in a GitHub variable). Without either, it plays no part.
    const keepsHere = draft.storeConfig?.lockVariable !== undefined ||
        (draft.keepsRecord === true && draft.storeConfig === undefined);
    const writesSecrets = mode !== 'verify' && (raw['secret-name'] !== '' || draft.fieldMappings.length > 0);
    const writesNone = !writesSecrets && (mode === 'verify' || draft.file.targets.length > 0);
    const noPart = writesNone && !keepsHere;
    try {
        draft.publish = parsePublishConfig(raw, draft.context, {
            ...(mintedBy ? { mintedBy } : {}),
            ...(draft.valueInput ? { valueFrom: draft.valueInput } : {}),
            nameOptional: draft.fieldMappings.length > 0 || writesNone,
            valueOptional: mode !== 'rotate',
            tokenOptional: noPart
        });
    }
    catch (error) {
        if (!(error instanceof ConfigError))
            throw error;
        draft.report(error.problems);
    }
    // The workflow's repository: the home of the alert issue, whatever the store.
    const workflow = draft.context.repository ? parseRepository(draft.context.repository) : undefined;
    if (workflow)
        draft.slices.github = { ...draft.slices.github, repository: workflow };
    // A replaced value waits for its revocation in a secret named after the published one.
    const grace = parseDuration(raw['grace-period']) ?? 0;
    if (raw['revoke-previous'].toLowerCase() === 'true' &&
        grace > 0 &&
        draft.issues?.revokes === 'value' &&
        raw['secret-name'] === '') {
        draft.add('revoke-previous', 'with a grace-period keeps the replaced value in a GitHub secret named after secret-name until it is revoked: set secret-name, or grace-period: 0');
    }
    const own = draft.slices.github?.store;
    const repository = draft.storeConfig?.repository;
    if (own?.secretName !== undefined &&
        repository &&
        overwrites(draft.publish, repository, own.secretName)) {
        draft.add('refresh-token-secret', `is the same secret as secret-name in ${draft.context.repository ?? ''}: the access token would overwrite the refresh token; use two names`);
    }
}
function storeConfig(draft) {
    const { raw, context, add } = draft;
    draft.keepsRecord = true;
    const secretName = raw['refresh-token-secret'];
    if (secretName === '') {
        add('refresh-token-secret', `is required with issuer: ${draft.issuer ?? ''}: the repository secret the rotated refresh token is written back to (the one refresh-token reads)`);
        return;
    }
    const why = secretNameProblem(secretName);
    if (why) {
        add('refresh-token-secret', why);
        return;
    }
    const stateVariable = raw['state-variable'] || `${secretName}_STATE`;
    const stateWhy = secretNameProblem(stateVariable);
    if (stateWhy)
        add('state-variable', stateWhy.replace(/secret/g, 'variable'));
    const repository = context.repository ? parseRepository(context.repository) : undefined;
    if (!repository) {
        add('refresh-token-secret', 'needs GITHUB_REPOSITORY: the refresh token lives in a secret of the repository running the workflow');
        return;
    }
    draft.slices.github = {
        ...draft.slices.github,
        store: { secretName: secretName.toUpperCase(), stateVariable: stateVariable.toUpperCase() }
    };
    draft.storeConfig = {
        kind: GITHUB_STORE,
        repository,
        subject: secretName.toUpperCase(),
        lockVariable: `${stateVariable.toUpperCase()}_LOCK`,
        record: {
            where: `variable ${stateVariable.toUpperCase()} of ${repository.owner}/${repository.repo}`,
            key: 'state-variable'
        }
    };
}
/**
 * The record of an issuer that revokes by handle: a variable named after the published secret
 * (or `state-variable`), with its lock beside it. No secret: nothing is persisted.
 */
function recordConfig(draft) {
    const { raw, context, add } = draft;
    draft.keepsRecord = true;
    if (raw['refresh-token-secret'] !== '') {
        add('refresh-token-secret', `applies to an issuer that exchanges its credential; issuer: ${draft.issuer ?? ''} keeps only a record (the ids of the values it minted) in a variable: remove it, and set state-variable to name that variable`);
    }
    const published = raw['secret-name'].toUpperCase();
    const stateVariable = (raw['state-variable'] || (published === '' ? '' : `${published}_STATE`)).toUpperCase();
    if (stateVariable === '') {
        add('state-variable', `is required with issuer: ${draft.issuer ?? ''} when no GitHub secret is published: the repository variable that keeps the rotation record (the ids of the values to revoke)`);
        return;
    }
    const why = secretNameProblem(stateVariable);
    if (why) {
        add('state-variable', why.replace(/secret/g, 'variable'));
        return;
    }
    const repository = context.repository ? parseRepository(context.repository) : undefined;
    if (!repository) {
        add('state-variable', 'needs GITHUB_REPOSITORY: the rotation record is a variable of the repository running the workflow');
        return;
    }
    draft.slices.github = { ...draft.slices.github, store: { stateVariable } };
    draft.storeConfig = {
        kind: GITHUB_STORE,
        repository,
        subject: published === '' ? stateVariable : published,
        lockVariable: `${stateVariable}_LOCK`,
        record: {
            where: `variable ${stateVariable} of ${repository.owner}/${repository.repo}`,
            key: 'state-variable'
        }
    };
}
/** Whether the published secret is the store's own: the access token would replace the refresh token. */
function overwrites(publish, repository, secretName) {
    const same = publish?.repositories.some(ref => ref.owner.toLowerCase() === repository.owner.toLowerCase() &&
        ref.repo.toLowerCase() === repository.repo.toLowerCase());
    return (same === true &&
        publish?.environments.length === 0 &&
        publish.secretName.toUpperCase() === secretName.toUpperCase());
}
/** The plan's lines about the GitHub store and the lock, the targets, and GitHub's advice. */
function describeGitHub(config) {
    const store = config.store;
    const repository = store?.repository ? `${store.repository.owner}/${store.repository.repo}` : '';
    const own = config.slices.github?.store;
    const publish = config.publish;
    const writes = plannedWrites(config);
    const targets = publish.token === '' ? [] : targetsFromConfig(publish);
    const lines = [
        ...(store && own
            ? [
                own.secretName !== undefined
                    ? `Refresh token in secret ${own.secretName} of ${repository}; record in variable ${own.stateVariable}.`
                    : `Record (the ids of the values to revoke, never a value) in variable ${own.stateVariable} of ${repository}.`
            ]
            : []),
        ...(store?.lockVariable !== undefined
            ? [`One-writer lock: variable ${store.lockVariable} of ${repository}.`]
            : [])
    ];
    const targetLines = [];
    if (config.mode !== 'verify' && writes > 0) {
        if (publish.secretName !== '') {
            targetLines.push(`Secret ${publish.secretName} (${publish.secretType}) to ${count(targets.length, 'target')}:`, ...targets.map(target => `  - ${describeTarget$1(target)}`));
        }
        for (const mapping of config.fieldMappings) {
            targetLines.push(`Secret ${mapping.name} (${publish.secretType}) from field ${mapping.field}, to ${count(targets.length, 'target')}.`);
        }
        targetLines.push(`Pacing: at most ${publish.maxConcurrency} requests at once, writes at least ${publish.writeIntervalMs} ms apart.`);
    }
    const cheaper = writes > 0 ? orgSecretSuggestion(publish) : undefined;
    const pacing = pacingWarning(publish, writes);
    return {
        lines,
        targetLines,
        names: [publish.secretName, ...config.fieldMappings.map(m => m.name)].filter(n => n !== ''),
        writes,
        ...(cheaper ? { notices: [{ title: 'Cheaper plan available', message: cheaper }] } : {}),
        ...(pacing ? { warnings: [{ title: 'GitHub rate limits ahead', message: pacing }] } : {})
    };
}
/**
 * Credentials that together write more secrets than the token's hourly budget: GitHub would
 * refuse the rest halfway through. The credentials of a run share its one token.
 */
function refuseGitHub(configs) {
    const writes = configs.reduce((sum, config) => sum + plannedWrites(config), 0);
    const first = configs[0];
    return first && hourlyBudgetRefusal(first.publish, writes);
}
function describeTarget$1(target) {
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
 * GitHub: repository, environment, organization and Dependabot secrets as targets; a repository
 * secret as a store, with its record and its lock in repository variables.
 */
const githubProvider = {
    name: 'github',
    stores: { [GITHUB_STORE]: { keepsVersions: false, readsLive: false } },
    target: {
        key: 'github',
        keys: [
            { group: '', key: 'secret', input: 'secret-name', type: 'text' },
            { group: '', key: 'field', input: 'secret-fields', type: 'text' },
            { group: '', key: 'repositories', input: 'repositories', type: 'list' },
            { group: '', key: 'environments', input: 'environment', type: 'list' },
            { group: '', key: 'org', input: 'org', type: 'text' },
            {
                group: '',
                key: 'visibility',
                input: 'visibility',
                type: 'text',
                values: ['all', 'private', 'selected']
            },
            { group: '', key: 'selected-repositories', input: 'selected-repositories', type: 'list' },
            {
                group: '',
                key: 'type',
                input: 'secret-type',
                type: 'text',
                values: ['actions', 'dependabot']
            }
        ]
    },
    keys: [
        { group: 'store', key: 'secret', input: 'refresh-token-secret', type: 'text' },
        { group: 'store', key: 'state-variable', input: 'state-variable', type: 'text' }
    ],
    docs: 'docs/providers/github.md',
    configure: configureGitHub,
    configureTargets: configureGitHubTargets,
    describe: describeGitHub,
    refuse: refuseGitHub,
    alert: async (config, alert, deps) => {
        if (config.publish.token === '')
            return;
        const { alertOnGitHub } = await import('./alert-MlL_inE5.js');
        await alertOnGitHub(config, alert, deps);
    },
    // Octokit loads only for a credential GitHub plays a part in (a token says so).
    assemble: async (config, deps) => config.publish.token === '' ? {} : (await import('./parts-QxQKGI5q.js')).assembleGitHub(config, deps)
};

/**
 * The issuer's TLS keys, shared by every issuer that calls an HTTP API (OAuth2, GitLab tokens, a
 * key API): one set of objects, so the file's table lists each key once, with every provider
 * that reads it. They stand for the flat inputs `ca-certificate`, `client-certificate` and
 * `client-key`.
 */
const ISSUER_TLS_KEYS = [
    { group: 'issuer', key: 'client-certificate', input: 'client-certificate', type: 'text' },
    { group: 'issuer', key: 'client-key', input: 'client-key', type: 'secret' },
    { group: 'issuer', key: 'ca-certificate', input: 'ca-certificate', type: 'text' }
];
/** The flat inputs of {@link ISSUER_TLS_KEYS}. */
const ISSUER_TLS_INPUTS = [
    'client-certificate',
    'client-key',
    'ca-certificate'
];
/** The TLS keys of a connection written in the file only: a store's or a target's. */
function fileTlsKeys(group) {
    return [
        { group, key: 'ca-certificate', type: 'text' },
        { group, key: 'client-certificate', type: 'text' },
        { group, key: 'client-key', type: 'secret' }
    ];
}
const CERTIFICATE_BLOCK$1 = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
/** A PEM bundle of certificates, each parsed; their blocks joined, anything between dropped. */
function checkCertificates(raw) {
    const blocks = raw.match(CERTIFICATE_BLOCK$1) ?? [];
    if (blocks.length === 0) {
        return { problem: 'is not a PEM certificate (-----BEGIN CERTIFICATE----- ...)' };
    }
    for (const [index, block] of blocks.entries()) {
        try {
            new X509Certificate(block);
        }
        catch {
            const which = blocks.length > 1 ? `certificate ${index + 1} of ${blocks.length}` : 'it';
            return { problem: `is not a valid PEM certificate: ${which} does not parse` };
        }
    }
    return { value: blocks.join('\n') };
}
/** An unencrypted PEM private key, parsed without ever echoing it. */
function checkPrivateKey(raw) {
    // OpenSSL 3 reports a missing passphrase as an interrupted operation; the PEM says it plainly.
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(raw)) {
        return {
            problem: 'is an encrypted private key; pass it unencrypted (PKCS#8 or PKCS#1 PEM) from a secret'
        };
    }
    try {
        return { value: { pem: raw, key: createPrivateKey({ key: raw, format: 'pem' }) } };
    }
    catch {
        return { problem: 'is not a PEM private key (-----BEGIN PRIVATE KEY----- ...)' };
    }
}
/**
 * Why a client key does not fit its certificate (their public keys differ), or undefined. The
 * first certificate of the bundle is the client's own; any others are its chain.
 */
function keyMismatch(certificatePem, key) {
    return new X509Certificate(certificatePem).checkPrivateKey(key)
        ? undefined
        : 'does not belong to client-certificate (their public keys differ); pass the key the certificate was issued for';
}
/** The pair rule: mutual TLS needs both halves. */
const PAIR_PROBLEMS = {
    'client-key': 'is required with client-certificate: the private key of that certificate',
    'client-certificate': 'is required with client-key: the certificate of that private key'
};
/**
 * The TLS settings of one connection from its three texts (undefined or '' when not given), checked
 * as the OAuth2 inputs are: PEM certificates that parse, an unencrypted key, both halves of a
 * client certificate, and a key that fits it. Each problem names its setting through `add`.
 */
function parseTls(given, add) {
    const text = (key) => {
        const value = given(key);
        return value === '' ? undefined : value;
    };
    const tls = {};
    const ca = text('ca-certificate');
    if (ca !== undefined) {
        const checked = checkCertificates(ca);
        if ('problem' in checked)
            add('ca-certificate', checked.problem);
        else
            tls.caCertificate = checked.value;
    }
    const certificateText = text('client-certificate');
    const keyText = text('client-key');
    if (certificateText !== undefined && keyText === undefined) {
        add('client-key', PAIR_PROBLEMS['client-key']);
    }
    if (keyText !== undefined && certificateText === undefined) {
        add('client-certificate', PAIR_PROBLEMS['client-certificate']);
    }
    const certificate = certificateText === undefined ? undefined : checkCertificates(certificateText);
    if (certificate && 'problem' in certificate)
        add('client-certificate', certificate.problem);
    const key = keyText === undefined ? undefined : checkPrivateKey(keyText);
    if (key && 'problem' in key)
        add('client-key', key.problem);
    if (certificate && 'value' in certificate && key && 'value' in key) {
        const mismatch = keyMismatch(certificate.value, key.value.key);
        if (mismatch)
            add('client-key', mismatch);
        else
            tls.clientCertificate = { certificatePem: certificate.value, keyPem: key.value.pem };
    }
    return tls;
}
/**
 * The keys a transport's advice names for a connection whose TLS keys sit under `prefix`:
 * `issuer.` gives `issuer.ca-certificate` and `issuer.client-certificate and issuer.client-key`.
 */
function tlsKeysAt(prefix) {
    return {
        ca: `${prefix}ca-certificate`,
        client: `${prefix}client-certificate and ${prefix}client-key`
    };
}

/** The groups of a credential whose keys are objects; `publish` is a list, described apart. */
const CREDENTIAL_GROUPS = [
    'issuer',
    'store',
    'health-check',
    'schedule',
    'retire',
    'alerts'
];
/** The file slice of a run of flat inputs. */
const NO_FILE = Object.freeze({
    keys: Object.freeze({}),
    sections: Object.freeze({}),
    objects: Object.freeze({}),
    targets: Object.freeze([])
});

/**
 * GitLab's rules for CI/CD variables and access tokens, checked before any request so that a
 * value GitLab would refuse is refused before anything is minted.
 * @see https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable
 * @see https://docs.gitlab.com/api/project_level_variables/
 */
/** A variable's key: letters, digits and `_`, at most 255 characters. */
const KEY = /^[A-Za-z0-9_]{1,255}$/;
/**
 * A masked, expanded variable's value: at least 8 characters of the Base64 alphabet (both URL-safe
 * and standard) and `@ : . ~` (GitLab's `Ci::Maskable::REGEX`), on one line.
 */
const MASKED_EXPANDED = /^[a-zA-Z0-9_+=/@:.~-]{8,}$/;
/** A masked, raw variable's value: at least 8 characters, none of them whitespace. */
const MASKED_RAW = /^[^ \t\r\n\f\v]{8,}$/;
/** The values of a variable's `variable_type`. */
const VARIABLE_TYPES = ['env_var', 'file'];
/** Why `key` cannot be a variable's key, or undefined when it can. */
function variableKeyProblem(key) {
    if (KEY.test(key))
        return undefined;
    return key.length > 255
        ? 'is longer than the 255 characters GitLab allows for a variable key'
        : `'${key}' is not a variable key GitLab accepts: use letters, digits and _ only`;
}
/**
 * Why GitLab cannot mask `value` (never quoting it), or undefined when it can.
 * @param raw the variable is not expanded: any character but whitespace may be masked
 */
function maskProblem(value, raw) {
    if ((raw ? MASKED_RAW : MASKED_EXPANDED).test(value))
        return undefined;
    if (value.length < 8)
        return `the value has ${String(value.length)} characters; GitLab masks values of 8 or more`;
    if (/[\r\n]/.test(value))
        return 'the value spans several lines; GitLab masks one line only';
    if (/\s/.test(value))
        return 'the value holds whitespace, which GitLab cannot mask';
    return 'the value holds characters GitLab cannot mask in an expanded variable (only letters, digits and + / = _ - @ : . ~); set raw: true to mask any character but whitespace';
}
/**
 * What a GitLab access token looks like (`glpat-` and the Base64 URL-safe alphabet): a value of
 * this form meets the masking rules, so a masked target of a GitLab token is checked in preflight.
 */
const TOKEN_FORM = 'glpat-0123456789abcdefghij';
/** `YYYY-MM-DD` (UTC) `days` after `now`: how GitLab writes a token's `expires_at`. */
function expiryDate(now, days) {
    const shifted = new Date(now.getTime());
    shifted.setUTCDate(shifted.getUTCDate() + days);
    return shifted.toISOString().slice(0, 10);
}
/** The instant a token whose `expires_at` is `date` stops working: 00:00 UTC of that date. */
function expiryInstant(date) {
    const at = Date.parse(`${date}T00:00:00Z`);
    return Number.isNaN(at) ? undefined : new Date(at);
}

/** The issuer kind: a GitLab personal, project or group access token. */
const GITLAB_TOKEN = 'gitlab-token';
/** The store kind: CI/CD variables of a GitLab project. */
const GITLAB_VARIABLE = 'gitlab-variable';
/** The key of a `publish` entry that writes a GitLab CI/CD variable. */
const GITLAB_TARGET = 'gitlab';
/** How a token is renewed. */
const STRATEGIES = ['create-then-revoke', 'rotate'];
const DAY_MS = 86_400_000;
const DEFAULT_EXPIRES_IN_DAYS = 30;
/** A key path of this provider's issuer, for messages: `issuer.token-name`. */
function issuerKey(key) {
    return `issuer.${key}`;
}
/** The issuer's and the store's settings of one credential. */
function configureGitLab(draft) {
    if (draft.issuer === GITLAB_TOKEN)
        configureIssuer(draft);
    if (draft.store === GITLAB_VARIABLE) {
        configureStore(draft);
        // With the store playing, the registry no longer refuses the issuer's file-only keys.
        if (draft.issuer !== GITLAB_TOKEN)
            refuseIssuerKeys(draft);
    }
}
/** The token issuer's keys, given to another issuer. */
function refuseIssuerKeys(draft) {
    for (const key of ISSUER_ONLY_KEYS) {
        if (Object.hasOwn(draft.file.keys, issuerKey(key))) {
            draft.report([
                {
                    input: issuerKey(key),
                    message: `applies to issuer: ${GITLAB_TOKEN} only; set issuer.kind: ${GITLAB_TOKEN}, or remove it`
                }
            ]);
        }
    }
}
/** The token issuer's keys that only the configuration file has. */
const ISSUER_ONLY_KEYS = [
    'url',
    'project',
    'group',
    'personal',
    'token-name',
    'strategy',
    'expires-in'
];
/**
 * The store in CI/CD variables: the credential the issuer exchanges in a masked, hidden variable,
 * the record and the lock beside it. Written in the configuration file only (a flat run has no
 * inputs for it); it needs nothing of GitHub's.
 */
function configureStore(draft) {
    const keys = draft.file.keys;
    const key = (name) => {
        const value = keys[`store.${name}`];
        return value === undefined || value === '' ? undefined : value;
    };
    const problem = (name, message) => {
        draft.report([{ input: `store.${name}`, message }]);
    };
    draft.keepsRecord = true;
    if (draft.issues && !draft.issues.consumesInput) {
        draft.add('store', `${GITLAB_VARIABLE} keeps a credential the issuer exchanges (an OAuth2 refresh token, a GitLab token it rotates); issuer ${draft.issuer ?? ''} exchanges none: use store: github for the record of what it minted`);
        return;
    }
    if (draft.file === NO_FILE) {
        draft.add('store', `${GITLAB_VARIABLE} is set in a configuration file (store: { kind: ${GITLAB_VARIABLE}, url, token, project, variable }): it has no flat inputs`);
        return;
    }
    const url = instanceUrl(key('url'), message => {
        problem('url', message);
    });
    const token = key('token');
    if (token === undefined) {
        problem('token', 'is required: { env: NAME } of a GitLab token with the api scope and the Maintainer role, which writes the variables');
    }
    const owner = ownerOf({ project: key('project'), group: key('group'), personal: false }, false, message => {
        problem('project', message);
    });
    const variable = key('variable');
    if (variable === undefined) {
        problem('variable', 'is required: the CI/CD variable that holds the refresh token');
    }
    else {
        const why = variableKeyProblem(variable);
        if (why)
            problem('variable', why);
    }
    const tls = tlsOf(key, problem);
    const stateVariable = draft.raw['state-variable'] || (variable ? `${variable}_STATE` : '');
    const stateWhy = stateVariable === '' ? undefined : variableKeyProblem(`${stateVariable}_LOCK`);
    if (stateWhy)
        problem('state-variable', stateWhy);
    const protectedKey = key('protected');
    if (url === undefined ||
        token === undefined ||
        owner === undefined ||
        owner.kind === 'personal' ||
        variable === undefined ||
        stateWhy !== undefined)
        return;
    draft.slices.gitlab = {
        ...draft.slices.gitlab,
        store: {
            url,
            token,
            owner,
            variable,
            stateVariable,
            lockVariable: `${stateVariable}_LOCK`,
            protected: protectedKey !== 'false',
            ...tls
        }
    };
    draft.storeConfig = {
        kind: GITLAB_VARIABLE,
        subject: variable,
        // GitLab finds a project or group whatever the case of its path; a variable's key is exact.
        record: {
            where: `variable ${stateVariable} of ${owner.kind} ${owner.path.toLowerCase()} at ${url}`,
            key: 'state-variable'
        }
    };
}
function configureIssuer(draft) {
    const keys = draft.file.keys;
    const problem = (key, message) => {
        draft.report([{ input: issuerKey(key), message }]);
    };
    const url = instanceUrl(keys[issuerKey('url')], message => {
        problem('url', message);
    });
    const owner = ownerOf({
        project: keys[issuerKey('project')],
        group: keys[issuerKey('group')],
        personal: keys[issuerKey('personal')] === 'true'
    }, true, message => {
        problem('project', message);
    });
    const tokenName = keys[issuerKey('token-name')] ?? '';
    if (tokenName === '') {
        problem('token-name', `is required with issuer.kind: ${GITLAB_TOKEN}: the name of the token to renew (it is found by name, since a rotated token gets a new id)`);
    }
    // The issuer's TLS keys are the flat inputs OAuth2 has too: they are read from there.
    const tls = tlsOf(name => draft.raw[name], draft.add);
    const strategy = (keys[issuerKey('strategy')] ?? 'create-then-revoke');
    let expiresInDays = DEFAULT_EXPIRES_IN_DAYS;
    const expiresIn = keys[issuerKey('expires-in')];
    if (expiresIn !== undefined) {
        const ms = parseDuration(expiresIn);
        if (ms === undefined)
            problem('expires-in', `'${expiresIn}' is not a duration; use ${DURATION_HINT}`);
        else if (ms < DAY_MS) {
            problem('expires-in', 'must be at least 1d: GitLab gives a token an expiry date, not a time');
        }
        else
            expiresInDays = Math.ceil(ms / DAY_MS);
    }
    const { raw, mode } = draft;
    if (strategy === 'rotate') {
        // GitLab revokes the old token the moment it answers a rotate: between that answer and the
        // store's write, the new token exists only in the runner's memory. The ciphertext in the log
        // is its only other copy, so a rotation without one could lose the only working token.
        if (mode === 'rotate' && raw['recovery-public-key'] === '') {
            draft.add('recovery-public-key', `is required with issuer.strategy: rotate: GitLab revokes the old token at once, so the new one is sealed to this key the moment it arrives (its only other copy if the runner dies before the store is written). Make a key pair with token-rotation recovery-keygen, or use strategy: create-then-revoke`);
        }
        if (raw['revoke-previous'].toLowerCase() === 'true') {
            draft.add('revoke-previous', 'does not apply to issuer.strategy: rotate: GitLab revokes the old token itself as it rotates; remove it, or use strategy: create-then-revoke');
        }
    }
    else if (raw['recovery-public-key'] !== '') {
        draft.add('recovery-public-key', 'applies to issuer.strategy: rotate; with create-then-revoke the admin token is never consumed, and a new token is published only after it was kept: remove it');
    }
    if (url === undefined || owner === undefined || tokenName === '')
        return;
    draft.slices.gitlab = {
        ...draft.slices.gitlab,
        issuer: { url, owner, tokenName, strategy, expiresInDays, ...tls }
    };
}
/**
 * GitLab's CI/CD variable targets: one per `publish: - gitlab:` entry, each checked against
 * GitLab's rules before anything is minted.
 */
function configureGitLabTargets(draft) {
    const entries = draft.file.targets.filter(target => target.key === GITLAB_TARGET);
    if (entries.length === 0)
        return;
    const targets = [];
    for (const { index, entry } of entries) {
        const at = (key) => `publish[${String(index)}].${GITLAB_TARGET}.${key}`;
        const problem = (key, message) => {
            draft.report([{ input: at(key), message }]);
        };
        const text = (key) => {
            const value = entry[key];
            return typeof value === 'string' && value !== '' ? value : undefined;
        };
        const flag = (key) => {
            const value = entry[key];
            return typeof value === 'boolean' ? value : undefined;
        };
        const url = instanceUrl(text('url'), message => {
            problem('url', message);
        });
        const token = text('token');
        if (token === undefined) {
            problem('token', 'is required: { env: NAME } of a GitLab token with the api scope and the Maintainer role');
        }
        const owner = ownerOf({ project: text('project'), group: text('group'), personal: false }, false, message => {
            problem('project', message);
        });
        const variable = text('variable');
        if (variable === undefined)
            problem('variable', 'is required: the CI/CD variable to write');
        else {
            const why = variableKeyProblem(variable);
            if (why)
                problem('variable', why);
        }
        const tls = tlsOf(text, problem);
        const settings = {
            masked: flag('masked'),
            hidden: flag('hidden'),
            protected: flag('protected'),
            raw: flag('raw')
        };
        if (settings.hidden === true && settings.masked === false) {
            problem('hidden', 'needs masked: GitLab hides only masked variables; remove masked: false');
        }
        const type = text('type');
        if (type !== undefined && !VARIABLE_TYPES.includes(type)) {
            problem('type', `'${type}' is not a variable type; use env_var or file`);
        }
        // A value known before anything is minted is checked now: a given value, or the form of a
        // GitLab token.
        const masked = settings.masked ?? settings.hidden ?? true;
        const known = knownValue(draft);
        if (masked && known !== undefined) {
            const why = maskProblem(known.value, settings.raw ?? false);
            if (why) {
                problem(settings.masked === undefined ? 'variable' : 'masked', `GitLab cannot mask ${known.what}: ${why}. Set masked: false, or publish a value GitLab can mask`);
            }
        }
        if (url === undefined ||
            token === undefined ||
            owner?.kind === 'personal' ||
            owner === undefined ||
            variable === undefined)
            continue;
        targets.push({
            url,
            token,
            owner,
            variable,
            environmentScope: text('environment-scope') ?? '*',
            ...definedOnly(settings),
            ...(type !== undefined ? { type } : {}),
            ...tls,
            index
        });
    }
    draft.slices.gitlab = { ...draft.slices.gitlab, targets };
}
/** The value the targets get, when it is known before anything is minted. */
function knownValue(draft) {
    if (draft.issuer === GITLAB_TOKEN)
        return { value: TOKEN_FORM, what: 'a GitLab token' };
    if (draft.issues?.given && draft.valueFrom === 'issuer' && draft.raw.value !== '') {
        return { value: draft.raw.value, what: 'the value' };
    }
    return undefined;
}
function definedOnly(settings) {
    return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}
/**
 * A connection's TLS settings from its three keys, checked; `{ tls }` only when one is set, so a
 * connection without them stays as it was.
 */
function tlsOf(text, problem) {
    const tls = parseTls(text, problem);
    return Object.keys(tls).length > 0 ? { tls } : {};
}
/** The instance's URL: https, or http to this machine only (local servers). */
function instanceUrl(text, problem) {
    if (text === undefined || text === '') {
        problem('is required: the GitLab instance, such as https://gitlab.com');
        return undefined;
    }
    let url;
    try {
        url = new URL(text);
    }
    catch {
        problem("is not a URL; use the instance's address, such as https://gitlab.com");
        return undefined;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
        problem('must be an https URL: a token sent over plain http travels in clear text');
        return undefined;
    }
    if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
        problem('must be the instance address alone, without credentials, query or fragment');
        return undefined;
    }
    return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/api\/v4$/, '')}`;
}
/** Exactly one of project, group and (for tokens) personal. */
function ownerOf(given, personalAllowed, problem) {
    const set = [given.project, given.group, given.personal ? 'personal' : undefined].filter(value => value !== undefined && value !== '');
    const choices = personalAllowed ? 'project, group or personal: true' : 'project or group';
    if (set.length !== 1) {
        problem(set.length === 0
            ? `names no owner: set one of ${choices} (a path such as acme/app, or a numeric id)`
            : `names more than one owner: set only one of ${choices}`);
        return undefined;
    }
    if (given.project)
        return { kind: 'project', path: given.project };
    if (given.group)
        return { kind: 'group', path: given.group };
    return { kind: 'personal' };
}
/** `acme/app`, `group acme`, or `the token's user`. */
function ownerLabel(owner) {
    if (owner.kind === 'personal')
        return "the token's user";
    return owner.kind === 'project' ? owner.path : `group ${owner.path}`;
}
/** The plan's lines about the token and the variables. */
function describeGitLab(config) {
    const own = config.slices.gitlab;
    if (!own)
        return {};
    const lines = [];
    const issuer = own.issuer;
    if (issuer) {
        const kind = issuer.owner.kind === 'personal' ? 'personal' : issuer.owner.kind;
        lines.push(`GitLab ${kind} access token ${issuer.tokenName} of ${ownerLabel(issuer.owner)} at ${issuer.url}: ${issuer.strategy === 'rotate' ? 'rotated by GitLab (the old one dies at once)' : 'a new one created, the old one revoked by id after the grace period'}; new tokens expire in ${count(issuer.expiresInDays, 'day')}.`);
    }
    const store = own.store;
    if (store) {
        lines.push(`Refresh token in the masked, hidden variable ${store.variable} of ${store.owner.kind} ${store.owner.path} at ${store.url}; record in variable ${store.stateVariable}; one-writer lock: variable ${store.lockVariable}.`);
    }
    const targets = own.targets ?? [];
    const targetLines = targets.length === 0 || config.mode === 'verify'
        ? []
        : [
            `GitLab CI/CD variables (${count(targets.length, 'target')}):`,
            ...targets.map(target => `  - ${describeTarget(target)}`)
        ];
    return {
        lines,
        targetLines,
        names: targets.map(target => target.variable),
        writes: 0
    };
}
function describeTarget(target) {
    const flags = ['masked', 'hidden', 'protected', 'raw']
        .filter(flag => target[flag] === true)
        .join(', ');
    return `${target.variable} of ${target.owner.kind} ${target.owner.path} (${target.environmentScope === '*' ? 'all environments' : target.environmentScope})${flags ? `, ${flags}` : ''}`;
}

/**
 * How stale GitLab's `last_used_at` may be: it is written at most once every 10 minutes (in
 * current GitLab versions; once a day in older ones), so a use within that time may not show yet.
 */
const LAST_USE_RESOLUTION_MS = 10 * 60_000;
const issuerKeys = [
    { group: 'issuer', key: 'url', type: 'text' },
    { group: 'issuer', key: 'project', type: 'text' },
    { group: 'issuer', key: 'group', type: 'text' },
    { group: 'issuer', key: 'personal', type: 'flag' },
    { group: 'issuer', key: 'token-name', type: 'text' },
    { group: 'issuer', key: 'strategy', type: 'text', values: STRATEGIES },
    // The token the issuer works with is what the engine exchanges: the refresh-token input.
    { group: 'issuer', key: 'token', input: 'refresh-token', type: 'secret' },
    { group: 'issuer', key: 'expires-in', type: 'text' },
    // A self-managed instance behind a private CA, or one that asks for a client certificate.
    ...ISSUER_TLS_KEYS
];
const storeKeys = [
    { group: 'store', key: 'url', type: 'text' },
    { group: 'store', key: 'token', type: 'secret' },
    { group: 'store', key: 'project', type: 'text' },
    { group: 'store', key: 'group', type: 'text' },
    { group: 'store', key: 'variable', type: 'text' },
    { group: 'store', key: 'protected', type: 'flag' },
    ...fileTlsKeys('store')
];
/**
 * GitLab: personal, project and group access tokens as an issuer (`gitlab-token`), CI/CD
 * variables of a project or group as a store (`gitlab-variable`: the credential, its record and
 * its lock), and as targets (`publish: - gitlab:`).
 */
const gitlabProvider = {
    name: 'gitlab',
    issuers: {
        [GITLAB_TOKEN]: {
            consumesInput: true,
            revokes: 'handle',
            reportsLastUse: { resolutionMs: LAST_USE_RESOLUTION_MS }
        }
    },
    // A hidden variable's value is never shown again: the job's environment carries it (the
    // refresh-token input), as a workflow's secret does for the GitHub store.
    stores: { [GITLAB_VARIABLE]: { keepsVersions: false, readsLive: false } },
    target: {
        key: GITLAB_TARGET,
        keys: [
            { group: '', key: 'url', type: 'text' },
            { group: '', key: 'token', type: 'secret' },
            { group: '', key: 'project', type: 'text' },
            { group: '', key: 'group', type: 'text' },
            { group: '', key: 'variable', type: 'text' },
            { group: '', key: 'environment-scope', type: 'text' },
            { group: '', key: 'masked', type: 'flag' },
            { group: '', key: 'hidden', type: 'flag' },
            { group: '', key: 'protected', type: 'flag' },
            { group: '', key: 'raw', type: 'flag' },
            { group: '', key: 'type', type: 'text', values: VARIABLE_TYPES },
            ...fileTlsKeys('')
        ]
    },
    keys: [...issuerKeys, ...storeKeys],
    only: {
        role: `issuer: ${GITLAB_TOKEN}`,
        // The token it renews is the input the engine exchanges, kept where the store says.
        inputs: ['refresh-token', 'refresh-token-secret', ...ISSUER_TLS_INPUTS],
        hint: `set issuer.kind: ${GITLAB_TOKEN}, or remove it`
    },
    docs: 'docs/providers/gitlab.md',
    configure: configureGitLab,
    configureTargets: configureGitLabTargets,
    describe: describeGitLab,
    // Its client loads only for a credential GitLab plays a part in.
    assemble: async (config, deps) => config.slices.gitlab ? (await import('./parts-l1IlV3O2.js')).assembleGitLab(config, deps) : {}
};

/**
 * JSON pointers (RFC 6901) into an API's answer: where the new key's value and id are.
 *
 * One departure from the RFC, for the list's `items`: a lone `/` names the whole answer (as `''`
 * does), since an answer that is a list is far more common than a member named by the empty string.
 * @see https://www.rfc-editor.org/rfc/rfc6901
 */
/** Why `pointer` is not a JSON pointer, or undefined when it is one. */
function pointerProblem(pointer) {
    if (pointer === '' || pointer.startsWith('/')) {
        return /~(?![01])/.test(pointer)
            ? 'is not a JSON pointer: ~ must be written ~0, and / inside a name ~1 (RFC 6901)'
            : undefined;
    }
    return `is not a JSON pointer: it starts with / (/key, /data/0/id), or is empty for the whole answer`;
}
/** The tokens of a valid pointer, unescaped. */
function tokens(pointer) {
    if (pointer === '' || pointer === '/')
        return [];
    return pointer
        .slice(1)
        .split('/')
        .map(token => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}
/** The value `pointer` names in `document`. */
function readPointer(document, pointer) {
    let at = document;
    for (const token of tokens(pointer)) {
        if (Array.isArray(at)) {
            if (!/^(0|[1-9]\d*)$/.test(token))
                return { found: false };
            const index = Number(token);
            if (index >= at.length)
                return { found: false };
            at = at[index];
        }
        else if (typeof at === 'object' && at !== null && Object.hasOwn(at, token)) {
            at = at[token];
        }
        else {
            return { found: false };
        }
    }
    return { found: true, value: at };
}
/**
 * A value found by pointer as text: a non-empty string, or a number (an id is often one), else
 * undefined.
 */
function textAt(document, pointer) {
    const found = readPointer(document, pointer);
    if (!found.found)
        return undefined;
    const { value } = found;
    if (typeof value === 'string' && value !== '')
        return value;
    if (typeof value === 'number' && Number.isFinite(value))
        return String(value);
    return undefined;
}
/** The names of an answer's top-level fields, for a message: never their values. */
function fieldNames(document) {
    if (Array.isArray(document))
        return `a list of ${String(document.length)}`;
    if (typeof document !== 'object' || document === null)
        return `not a JSON object`;
    const names = Object.keys(document).slice(0, 12);
    return names.length === 0 ? 'an empty object' : `fields ${names.join(', ')}`;
}

/**
 * The placeholders of the request templates, where each may appear, and how a template becomes a
 * request. A template is checked when the configuration is read (every placeholder known, in a
 * request that has it); it is filled only when its request is sent.
 */
/** Every placeholder, with what it stands for (the docs' table says the same). */
const PLACEHOLDERS = {
    admin: 'the credential that calls the API: issuer.admin, or the current key without it',
    id: 'the id of the key being revoked',
    'old-id': 'the id of the key the new one replaces (empty on the first rotation)',
    now: 'the time the request is sent (ISO 8601, UTC)',
    nonce: 'a random token, new for each create request: names the key so a lost answer can find it',
    credential: 'the credential id in the configuration file (empty for flat inputs)'
};
const ALLOWED = {
    create: ['admin', 'old-id', 'now', 'nonce', 'credential'],
    revoke: ['admin', 'id', 'now', 'credential'],
    list: ['admin', 'now', 'credential']
};
const PLACEHOLDER = /<([A-Za-z][A-Za-z0-9_-]*)>/g;
/** The placeholders a text uses, in order. */
function placeholdersIn(text) {
    return [...text.matchAll(PLACEHOLDER)].map(match => match[1] ?? '');
}
/** Why `name` may not appear in this part of a `kind` request, or undefined when it may. */
function placeholderProblem(name, kind, part) {
    const allowed = ALLOWED[kind];
    const list = allowed.map(p => `<${p}>`).join(', ');
    if (!Object.hasOwn(PLACEHOLDERS, name)) {
        return `<${name}> is not a placeholder; ${kind} may use ${list}`;
    }
    if (!allowed.includes(name)) {
        return `<${name}> has no value in ${kind}; ${kind} may use ${list}`;
    }
    if (name === 'admin' && part === 'url') {
        return '<admin> may not be in a URL (URLs are logged and kept by proxies): send it in a header or the body';
    }
    return undefined;
}
function fill(text, values, encode) {
    return text.replace(PLACEHOLDER, (whole, name) => Object.hasOwn(PLACEHOLDERS, name) ? encode(values[name] ?? '') : whole);
}
/** A URL template filled: each value percent-encoded, so an id cannot change the path. */
function fillUrl(template, values) {
    return fill(template, values, encodeURIComponent);
}
/** A header or body text filled as it is. */
function fillText(template, values) {
    return fill(template, values, value => value);
}
/** A JSON body template filled: every string in it, at any depth; keys are left as they are. */
function fillBody(template, values) {
    if (typeof template === 'string')
        return fillText(template, values);
    if (Array.isArray(template))
        return template.map(item => fillBody(item, values));
    if (typeof template === 'object' && template !== null) {
        return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, fillBody(value, values)]));
    }
    return template;
}
/** Whether a request template uses `name` anywhere. */
function uses(template, name) {
    const texts = [
        template.url,
        ...Object.values(template.headers ?? {}),
        ...stringsIn(template.body)
    ];
    return texts.some(text => placeholdersIn(text).includes(name));
}
/** Every string of a JSON value, with its path. */
function stringsWithPaths(value, path = []) {
    if (typeof value === 'string')
        return [{ text: value, path }];
    if (Array.isArray(value))
        return value.flatMap((item, i) => stringsWithPaths(item, [...path, i]));
    if (typeof value === 'object' && value !== null) {
        return Object.entries(value).flatMap(([key, item]) => stringsWithPaths(item, [...path, key]));
    }
    return [];
}
function stringsIn(value) {
    return stringsWithPaths(value).map(entry => entry.text);
}

// The shapes of `issuer.create`, `issuer.revoke` and `issuer.list`. Their refinements name the
// key that is wrong (zod's path) and never quote a header or a body: only URLs and placeholders,
// which hold no secret (<admin> is refused in a URL).
/** The methods a request template may use. */
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const pointer = string().superRefine((text, ctx) => {
    const problem = pointerProblem(text);
    if (problem)
        ctx.addIssue({ code: 'custom', message: problem });
});
/** The keys every request template has. */
const requestShape = {
    method: _enum(METHODS).optional(),
    url: string(),
    headers: record(string(), string()).optional(),
    /** A JSON object; its strings may hold placeholders. */
    body: record(string(), unknown()).optional()
};
/** Checks what zod's shapes cannot: the URL, header names and every placeholder, each where it is. */
function checkRequest(kind) {
    return (request, ctx) => {
        const at = (path, message) => {
            ctx.addIssue({ code: 'custom', path, message });
        };
        for (const name of placeholdersIn(request.url)) {
            const problem = placeholderProblem(name, kind, 'url');
            if (problem)
                at(['url'], problem);
        }
        const urlProblem = endpointProblem(request.url);
        if (urlProblem)
            at(['url'], urlProblem);
        for (const [name, value] of Object.entries(request.headers ?? {})) {
            if (!HEADER_NAME.test(name))
                at(['headers', name], 'is not an HTTP header name');
            if (/[\r\n]/.test(value))
                at(['headers', name], 'holds a line break, which no header may');
            for (const placeholder of placeholdersIn(value)) {
                const problem = placeholderProblem(placeholder, kind, 'header');
                if (problem)
                    at(['headers', name], problem);
            }
        }
        for (const { text, path } of stringsWithPaths(request.body)) {
            for (const placeholder of placeholdersIn(text)) {
                const problem = placeholderProblem(placeholder, kind, 'body');
                if (problem)
                    at(['body', ...path], problem);
            }
        }
    };
}
/**
 * Why a URL template cannot be sent, or undefined: its placeholders filled with a sample id, it
 * must be an https URL (plain http only to a loopback test server) without credentials.
 */
function endpointProblem(template) {
    const url = URL.parse(fillUrl(template, { id: '1', 'old-id': '1', now: 'x', credential: 'x' }));
    if (url === null)
        return 'is not a URL';
    const shown = `${url.origin}${url.pathname}`;
    if (url.username !== '' || url.password !== '') {
        return 'must not hold credentials: send them in a header with <admin>';
    }
    if (url.hash !== '')
        return `'${shown}' must not have a #fragment`;
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        return `'${shown}' is not https: the keys would travel in clear text (plain http is accepted only for loopback test servers: 127.0.0.1, ::1, localhost)`;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
        return `'${shown}' is not an https URL`;
    return undefined;
}
/** `issuer.create`: the request that creates a key, and where its value and id are in the answer. */
const createSchema = strictObject({
    ...requestShape,
    /** The new key's value in the answer (a JSON pointer). */
    value: pointer,
    /** The new key's id in the answer (a JSON pointer): what revokes it later. */
    id: pointer
})
    .superRefine(checkRequest('create'));
/** `issuer.revoke`: the request that deletes a key by its id (`<id>`). */
const revokeSchema = strictObject(requestShape).superRefine(checkRequest('revoke'));
/**
 * `issuer.list`: the request that lists keys, and where each key's id and name are, so that a key
 * whose create answer was lost can be found by the run's `<nonce>` in its name.
 */
const listSchema = strictObject({
    ...requestShape,
    /** The list in the answer (a JSON pointer); absent, `''` or `/`: the answer itself. */
    items: pointer.optional(),
    id: pointer,
    name: pointer
})
    .superRefine(checkRequest('list'));

/** The kind of the create-and-revoke issuer. */
const HTTP_KIND = 'http';
/** Each request template, under its key path. */
const TEMPLATES = {
    'issuer.create': createSchema,
    'issuer.revoke': revokeSchema,
    'issuer.list': listSchema
};
/** A template as the file gave it, checked again for its type (the loader checked its shape). */
function template(draft, path, schema) {
    const given = draft.file.objects[path];
    if (given === undefined)
        return undefined;
    const parsed = schema.safeParse(given);
    if (parsed.success)
        return parsed.data;
    draft.report(parsed.error.issues.map(issue => ({
        input: [path, ...issue.path.map(String)].join('.'),
        message: issue.message
    })));
    return undefined;
}
/**
 * The key API of a credential that names `issuer.kind: http`: its requests, the credential that
 * calls them, and the rules between them. Every problem names its key path.
 */
function configureHttp(draft) {
    if (draft.issuer !== HTTP_KIND)
        return;
    const { raw } = draft;
    const create = template(draft, 'issuer.create', TEMPLATES['issuer.create']);
    const revoke = template(draft, 'issuer.revoke', TEMPLATES['issuer.revoke']);
    const list = template(draft, 'issuer.list', TEMPLATES['issuer.list']);
    const problem = (input, message) => {
        draft.report([{ input, message }]);
    };
    if (draft.file.objects['issuer.create'] === undefined) {
        problem('issuer.create', `is required with issuer.kind: ${HTTP_KIND}: the request that creates a key (url, headers, body) and where the answer has its value and id (value: /key, id: /id); write it in a configuration file`);
    }
    const admin = draft.file.keys['issuer.admin'];
    if (admin !== undefined && /[\r\n]/.test(admin)) {
        problem('issuer.admin', 'holds a line break, which an HTTP header cannot carry: store the credential without it');
    }
    const needsAdmin = [create, revoke, list].some(t => t !== undefined && uses(t, 'admin'));
    if (needsAdmin &&
        admin === undefined &&
        raw['previous-value'] === '' &&
        draft.mode !== 'verify') {
        problem('issuer.admin', 'is required where a request uses <admin>: the credential allowed to create and delete keys ({ env: NAME }); or set previous-value to the key the targets hold now, and each key creates its successor');
    }
    if (raw['revoke-previous'].toLowerCase() === 'true' &&
        draft.file.objects['issuer.revoke'] === undefined) {
        problem('issuer.revoke', 'is required with revoke-previous: the request that deletes a key by its id (url: https://…/<id>)');
    }
    if (list && create && !uses(create, 'nonce')) {
        problem('issuer.list', 'finds the key a lost answer created by the run-unique <nonce> in its name: put <nonce> in the name create sends (name: ci-key-<nonce>), or remove list');
    }
    // The issuer's TLS keys are the flat inputs OAuth2 and GitLab have too: read from there.
    const tls = parseTls(name => raw[name], draft.add);
    if (!create)
        return;
    draft.slices.http = {
        create,
        ...(revoke ? { revoke } : {}),
        ...(list ? { list } : {}),
        ...(admin !== undefined ? { admin } : {}),
        ...(Object.keys(tls).length > 0 ? { tls } : {}),
        credential: draft.file.credential ?? ''
    };
}
/** A request template for the plan: its method and URL, placeholders as written. */
function describeRequest(request, method) {
    // Without its query: one written as `?api_key=…` would print a key in the plan.
    const [path = '', query] = request.url.split(/[?#]/, 2);
    return `${request.method ?? method} ${path}${query === undefined ? '' : ' (query not shown)'}`;
}
/** The plan's lines about the key API. */
function describeHttp(config) {
    const http = config.slices.http;
    if (!http)
        return {};
    const caller = http.admin !== undefined ? 'issuer.admin' : 'the current key (previous-value)';
    return {
        lines: [
            `Key created with ${describeRequest(http.create, 'POST')} as ${caller}${http.revoke
                ? `; replaced keys deleted by id with ${describeRequest(http.revoke, 'DELETE')}`
                : '; replaced keys are not deleted (no issuer.revoke)'}.`,
            ...(http.list
                ? [`A lost create answer is looked up with ${describeRequest(http.list, 'GET')}.`]
                : [])
        ]
    };
}

/**
 * Any API that creates keys and deletes them by id (Capgo's `/apikey`): request templates in the
 * configuration file, the new key's value and id read by JSON pointer, deletion by the id the
 * record keeps.
 */
const httpProvider = {
    name: 'http',
    issuers: { [HTTP_KIND]: { consumesInput: false, revokes: 'handle' } },
    keys: [
        { group: 'issuer', key: 'admin', type: 'secret' },
        { group: 'issuer', key: 'create', type: 'object', schema: createSchema },
        { group: 'issuer', key: 'revoke', type: 'object', schema: revokeSchema },
        { group: 'issuer', key: 'list', type: 'object', schema: listSchema },
        // An API behind a private CA, or one that asks for a client certificate.
        ...ISSUER_TLS_KEYS
    ],
    only: {
        role: `issuer: ${HTTP_KIND}`,
        inputs: [...ISSUER_TLS_INPUTS],
        hint: `set issuer.kind: ${HTTP_KIND}, or remove it`
    },
    docs: 'docs/providers/http.md',
    configure: configureHttp,
    describe: describeHttp,
    // The requests' client loads only for a credential this provider issues.
    assemble: async (config, deps) => config.slices.http ? (await import('./parts-B1Y-Zqu2.js')).assembleHttp(config, deps) : {}
};

/** How the client authenticates at the token and revocation endpoints. */
const CLIENT_AUTH_METHODS = [
    'client_secret_basic',
    'client_secret_post',
    'none',
    'private_key_jwt',
    'tls_client_auth'
];
/** A request that takes longer than this is abandoned (and, for a refresh, never replayed). */
const OAUTH2_TIMEOUT_MS = 30_000;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
function problem(ctx, message) {
    ctx.addIssue({ code: 'custom', message });
    return NEVER;
}
const endpoint = (required) => (raw, ctx) => {
    if (raw === '') {
        return required
            ? problem(ctx, 'is required with issuer: oauth2: the token endpoint of the OAuth2 server (https)')
            : undefined;
    }
    const url = URL.parse(raw);
    // Not quoted: a URL that does not parse may still hold a password in its user part.
    if (url === null)
        return problem(ctx, 'is not a URL');
    if (url.username !== '' || url.password !== '') {
        return problem(ctx, 'must not hold credentials; pass them as client-id and client-secret (from a secret)');
    }
    const shown = `${url.origin}${url.pathname}`;
    if (url.hash !== '')
        return problem(ctx, `'${shown}' must not have a #fragment`);
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        return problem(ctx, `'${shown}' is not https: the refresh token and the client's credentials would travel in clear text (plain http is accepted only for loopback test servers: 127.0.0.1, ::1, localhost)`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        return problem(ctx, `'${shown}' is not an https URL`);
    }
    return url.href;
};
/** A zod transform from a shared check: its value, or its problem as the input's issue. */
const checked = (check) => (raw, ctx) => {
    if (raw === '')
        return undefined;
    const result = check(raw);
    return 'problem' in result ? problem(ctx, result.problem) : result.value;
};
const certificates = checked(checkCertificates);
/** A private key input, parsed without ever echoing it. */
const privateKey = checked(checkPrivateKey);
/** One schema per input: each turns the raw text into its typed value, or says what is wrong. */
const fields = {
    'token-url': string().transform(endpoint(true)),
    'revocation-url': string().transform(endpoint(false)),
    'client-id': string().transform((raw, ctx) => {
        if (raw === '') {
            return problem(ctx, 'is required with issuer: oauth2: the client identifier registered with the OAuth2 server');
        }
        return raw;
    }),
    'client-secret': string(),
    'client-auth': string().transform((raw, ctx) => {
        const method = CLIENT_AUTH_METHODS.find(candidate => candidate === raw);
        return (method ??
            problem(ctx, `'${raw}' is not a client authentication method; use ${listOfMethods()}`));
    }),
    'client-private-key': string().transform(privateKey),
    scope: string().transform((raw, ctx) => {
        const scopes = raw.split(/\s+/).filter(scope => scope !== '');
        if (scopes.length === 0)
            return undefined;
        const bad = scopes.find(scope => !SCOPE_TOKEN.test(scope));
        if (bad !== undefined) {
            return problem(ctx, `'${bad}' is not a scope: scopes are separated by spaces and hold no quotes or backslashes`);
        }
        return scopes.join(' ');
    }),
    'client-certificate': string().transform(certificates),
    'client-key': string().transform(privateKey),
    'ca-certificate': string().transform(certificates)
};
function listOfMethods() {
    return orList(CLIENT_AUTH_METHODS);
}
/** The JWS algorithm for a client assertion key, or why the key cannot sign one. */
function assertionAlgorithm(key) {
    const details = key.asymmetricKeyDetails;
    switch (key.asymmetricKeyType) {
        case 'rsa':
            return (details?.modulusLength ?? 0) >= 2048
                ? { algorithm: 'RS256' }
                : {
                    problem: 'is an RSA key shorter than 2048 bits, which servers refuse; use a longer key'
                };
        case 'ec':
            if (details?.namedCurve === 'prime256v1')
                return { algorithm: 'ES256' };
            if (details?.namedCurve === 'secp384r1')
                return { algorithm: 'ES384' };
            break;
        case 'ed25519':
            return { algorithm: 'EdDSA' };
    }
    return {
        problem: 'cannot sign a client assertion here; use an RSA (2048 bits or more), EC P-256, EC P-384 or Ed25519 key'
    };
}
/**
 * Rules between inputs: the credentials each authentication method needs, and nothing it would
 * silently ignore (a secret set for the wrong method usually means client-auth is wrong).
 */
function clientAuthentication(inputs, secret, add) {
    const method = inputs['client-auth'];
    if (method === undefined)
        return undefined;
    const privateKey = inputs['client-private-key'];
    const usesSecret = method === 'client_secret_basic' || method === 'client_secret_post';
    if (!usesSecret && secret !== '') {
        add('client-secret', `is set but client-auth is ${method}, which does not use it; remove it, or set client-auth to client_secret_basic or client_secret_post`);
    }
    if (method !== 'private_key_jwt' && privateKey !== undefined) {
        add('client-private-key', `is set but client-auth is ${method}; set client-auth to private_key_jwt, or remove it`);
    }
    switch (method) {
        case 'client_secret_basic':
        case 'client_secret_post':
            if (secret === '') {
                add('client-secret', `is required with client-auth ${method}; pass the client secret from a secret, or set client-auth to the method the client is registered with`);
                return undefined;
            }
            return { method, clientSecret: secret };
        case 'private_key_jwt': {
            if (privateKey === undefined) {
                add('client-private-key', 'is required with client-auth private_key_jwt: the PEM private key whose public key the client registered');
                return undefined;
            }
            const choice = assertionAlgorithm(privateKey.key);
            if ('problem' in choice) {
                add('client-private-key', choice.problem);
                return undefined;
            }
            return { method, privateKeyPem: privateKey.pem, algorithm: choice.algorithm };
        }
        case 'none':
        case 'tls_client_auth':
            return { method };
    }
}
function tlsSettings(inputs, raw, add) {
    const tls = {};
    if (inputs['ca-certificate'] !== undefined)
        tls.caCertificate = inputs['ca-certificate'];
    const certificateGiven = raw['client-certificate'] !== '';
    const keyGiven = raw['client-key'] !== '';
    if (certificateGiven && !keyGiven) {
        add('client-key', PAIR_PROBLEMS['client-key']);
    }
    if (keyGiven && !certificateGiven) {
        add('client-certificate', PAIR_PROBLEMS['client-certificate']);
    }
    const certificate = inputs['client-certificate'];
    const key = inputs['client-key'];
    if (certificate !== undefined && key !== undefined) {
        const mismatch = keyMismatch(certificate, key.key);
        if (mismatch)
            add('client-key', mismatch);
        tls.clientCertificate = { certificatePem: certificate, keyPem: key.pem };
    }
    if (inputs['client-auth'] === 'tls_client_auth') {
        if (!certificateGiven && !keyGiven) {
            add('client-certificate', 'is required with client-auth tls_client_auth (RFC 8705): the certificate the server knows the client by, with client-key');
        }
        if (inputs['token-url']?.startsWith('http:') === true) {
            add('client-auth', 'tls_client_auth needs an https token-url: the client certificate is presented in the TLS handshake');
        }
    }
    return tls;
}
/**
 * Validates the OAuth2 inputs at once, without any network call, and returns the typed
 * configuration. Every problem names its input and says what would be valid.
 */
function parseOAuth2Config(raw) {
    const problems = [];
    const add = (input, message) => {
        problems.push({ input, message });
    };
    const inputs = {};
    for (const name of Object.keys(fields)) {
        const result = fields[name].safeParse(raw[name]);
        if (result.success)
            Object.assign(inputs, { [name]: result.data });
        else
            for (const issue of result.error.issues)
                add(name, issue.message);
    }
    const clientAuth = clientAuthentication(inputs, raw['client-secret'], add);
    const tls = tlsSettings(inputs, raw, add);
    const tokenUrl = inputs['token-url'];
    const clientId = inputs['client-id'];
    if (problems.length > 0 ||
        clientAuth === undefined ||
        tokenUrl === undefined ||
        clientId === undefined) {
        return { problems };
    }
    const config = {
        tokenUrl,
        clientId,
        clientAuth,
        tls,
        timeoutMs: OAUTH2_TIMEOUT_MS
    };
    if (inputs['revocation-url'] !== undefined)
        config.revocationUrl = inputs['revocation-url'];
    if (inputs.scope !== undefined)
        config.scope = inputs.scope;
    return { config, problems };
}

/** The kind of the OAuth2 issuer. */
const OAUTH2_KIND = 'oauth2';
/** The OAuth2 issuer of a credential that names it: its client, and whether it can revoke. */
function configureOAuth2(draft) {
    if (draft.issuer !== OAUTH2_KIND)
        return;
    const parsed = parseOAuth2Config(draft.raw);
    draft.report(parsed.problems);
    if (parsed.config)
        draft.slices.oauth2 = parsed.config;
    // RFC 7009 revocation is optional for a server: without its endpoint nothing is revoked.
    if (draft.raw['revoke-previous'].toLowerCase() === 'true' && draft.raw['revocation-url'] === '') {
        draft.add('revoke-previous', 'needs revocation-url with issuer: oauth2: where to revoke');
    }
}

/** OAuth2: a refresh-token grant (RFC 6749 §6) mints; RFC 7009 revokes. */
const oauth2Provider = {
    name: 'oauth2',
    issuers: { [OAUTH2_KIND]: { consumesInput: true, revokes: 'value' } },
    keys: [
        { group: 'issuer', key: 'token-url', input: 'token-url', type: 'text' },
        { group: 'issuer', key: 'client-id', input: 'client-id', type: 'text' },
        { group: 'issuer', key: 'client-secret', input: 'client-secret', type: 'secret' },
        {
            group: 'issuer',
            key: 'client-auth',
            input: 'client-auth',
            type: 'text',
            values: CLIENT_AUTH_METHODS
        },
        { group: 'issuer', key: 'client-private-key', input: 'client-private-key', type: 'secret' },
        { group: 'issuer', key: 'scope', input: 'scope', type: 'text' },
        { group: 'issuer', key: 'revocation-url', input: 'revocation-url', type: 'text' },
        ...ISSUER_TLS_KEYS,
        { group: 'issuer', key: 'refresh-token', input: 'refresh-token', type: 'secret' },
        { group: 'retire', key: 'retiring-value', input: 'retiring-value', type: 'secret' }
    ],
    only: {
        role: 'issuer: oauth2',
        inputs: [
            'token-url',
            'client-id',
            'client-secret',
            'client-private-key',
            'revocation-url',
            ...ISSUER_TLS_INPUTS,
            'refresh-token',
            'refresh-token-secret',
            'retiring-value'
        ],
        hint: 'set issuer, or remove it'
    },
    docs: 'docs/providers/oauth2.md',
    configure: configureOAuth2,
    // oauth4webapi loads only for a credential this provider issues.
    assemble: async (config, deps) => config.slices.oauth2 ? (await import('./parts-B-eKafmS.js')).assembleOAuth2(config, deps) : {}
};

/**
 * `issuer: none`: nothing is minted; the value given as an input is published as it is (the value
 * was already masked when the inputs were read).
 */
function createStaticIssuer(value) {
    return {
        kind: 'none',
        source: "the 'value' input",
        given: true,
        mint: () => Promise.resolve({ value, next: '', rotated: false })
    };
}

/** A value given as it is (`issuer: none`): published, never minted, read or persisted. */
const staticProvider = {
    name: 'static',
    issuers: { none: { consumesInput: false, given: true } },
    keys: [{ group: 'issuer', key: 'value', input: 'value', type: 'secret' }],
    docs: 'docs/providers/static.md',
    // The value given is the issuer, unless the store reads the value (a sync): the store's provider
    // then gives the reader.
    assemble: config => Promise.resolve(config.issuer === 'none' && config.valueFrom === 'issuer'
        ? { issuer: createStaticIssuer(config.publish.value) }
        : {})
};

/** An environment variable's name, as POSIX shells accept it. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What a secret-valued key takes: the name of the environment variable that holds the secret. */
const secretReference = strictObject({
    env: string()
        .regex(ENV_NAME, 'an environment variable name: letters, digits and _, not first a digit')
}, {
    // A missing one is worded as every missing key is: "is required".
    error: issue => issue.input === undefined
        ? undefined
        : 'a secret must be { env: NAME }: secrets are never written in the file'
});

/** Every login method, as `auth.method` takes them. */
const AUTH_METHODS = ['jwt', 'approle', 'token'];
/** A request to Vault that takes longer than this is abandoned. */
const VAULT_TIMEOUT_MS = 30_000;
/**
 * The `vault:` section of a credential (or an entry of `connections.vault`), as the file is
 * written: every secret `{ env: NAME }`. Checks shapes only; {@link parseConnection} checks values.
 */
function vaultSectionSchema(secret = secretReference) {
    const mount = string().min(1).optional();
    return strictObject({
        address: string().min(1),
        namespace: string().min(1).optional(),
        'ca-certificate': string().min(1).optional(),
        'client-certificate': string().min(1).optional(),
        'client-key': secret.optional(),
        auth: discriminatedUnion('method', [
            strictObject({
                method: literal('jwt'),
                role: string().min(1),
                mount,
                audience: string().min(1).optional(),
                /** A token the CI put in an environment variable (GitLab `id_tokens`). */
                jwt: secret.optional()
            }),
            strictObject({
                method: literal('approle'),
                'role-id': string().min(1),
                'secret-id': secret,
                mount
            }),
            strictObject({ method: literal('token'), token: secret })
        ])
    });
}
/** The section once the loader has read its secrets: strings where the file has `{ env }`. */
const resolvedSection = vaultSectionSchema(string());
/** The flat input of each setting, as hashicorp/vault-action names its inputs, with `vault-`. */
const FLAT_INPUTS = {
    address: 'vault-url',
    namespace: 'vault-namespace',
    'ca-certificate': 'vault-ca-certificate',
    'client-certificate': 'vault-client-certificate',
    'client-key': 'vault-client-key',
    'auth.method': 'vault-method',
    'auth.role': 'vault-role',
    'auth.mount': 'vault-path',
    'auth.audience': 'vault-jwt-audience',
    'auth.jwt': 'vault-jwt-token',
    'auth.role-id': 'vault-role-id',
    'auth.secret-id': 'vault-secret-id',
    'auth.token': 'vault-token'
};
/** The connection's settings from the flat inputs; undefined when `vault-url` is not set. */
function settingsFromInputs(raw) {
    if (raw['vault-url'] === '')
        return undefined;
    const given = (value) => (value === '' ? undefined : value);
    return {
        address: raw['vault-url'],
        namespace: given(raw['vault-namespace']),
        caCertificate: given(raw['vault-ca-certificate']),
        clientCertificate: given(raw['vault-client-certificate']),
        clientKey: given(raw['vault-client-key']),
        method: raw['vault-method'],
        role: given(raw['vault-role']),
        mount: given(raw['vault-path']),
        audience: given(raw['vault-jwt-audience']),
        jwt: given(raw['vault-jwt-token']),
        roleId: given(raw['vault-role-id']),
        secretId: given(raw['vault-secret-id']),
        token: given(raw['vault-token'])
    };
}
/**
 * The connection's settings from the file's section (its secrets already read); undefined when it
 * does not have the section's shape, which the file's schema reported already.
 */
function settingsFromSection(section) {
    const parsed = resolvedSection.safeParse(section);
    if (!parsed.success)
        return undefined;
    const s = parsed.data;
    const auth = s.auth;
    return {
        address: s.address,
        namespace: s.namespace,
        caCertificate: s['ca-certificate'],
        clientCertificate: s['client-certificate'],
        clientKey: s['client-key'],
        method: auth.method,
        ...(auth.method === 'jwt'
            ? {
                role: auth.role,
                mount: auth.mount,
                audience: auth.audience,
                jwt: auth.jwt
            }
            : auth.method === 'approle'
                ? {
                    roleId: auth['role-id'],
                    secretId: auth['secret-id'],
                    mount: auth.mount
                }
                : { token: auth.token })
    };
}
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
const NAMESPACE = /^[A-Za-z0-9_.\-/]+$/;
const MOUNT = /^[A-Za-z0-9_.\-/]+$/;
/**
 * Checks a connection's settings: the address (https, or http on loopback only), the namespace,
 * TLS material, and the login method with what it needs. Every problem names its setting (`add`
 * maps it to the input or key path) and says what to do; values of secrets are never quoted.
 */
function parseConnection(settings, add) {
    const before = { count: 0 };
    const problem = (key, message) => {
        before.count += 1;
        add(key, message);
    };
    const address = checkAddress(settings.address, problem);
    if (settings.namespace !== undefined && !NAMESPACE.test(settings.namespace)) {
        problem('namespace', 'is not a Vault namespace: letters, digits and _ . - /');
    }
    const tls = checkTls(settings, problem);
    const auth = checkAuth(settings, address, problem);
    if (before.count > 0 || address === undefined || auth === undefined)
        return undefined;
    return {
        endpoint: {
            address,
            ...(settings.namespace !== undefined ? { namespace: settings.namespace } : {}),
            tls
        },
        auth,
        timeoutMs: VAULT_TIMEOUT_MS
    };
}
function checkAddress(raw, add) {
    const url = URL.parse(raw);
    if (url === null) {
        add('address', "is not a URL; write Vault's address as https://vault.example.com:8200");
        return undefined;
    }
    if (url.username !== '' || url.password !== '') {
        add('address', 'must not hold credentials; log in with auth instead');
        return undefined;
    }
    const shown = `${url.origin}${url.pathname}`;
    if (url.search !== '' || url.hash !== '') {
        add('address', `'${shown}' must have no query or #fragment`);
        return undefined;
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        add('address', `'${shown}' is not https: Vault tokens and secrets would travel in clear text (plain http is accepted only for a loopback address: 127.0.0.1, ::1, localhost)`);
        return undefined;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        add('address', `'${shown}' is not an https URL`);
        return undefined;
    }
    if (/\/v1\/?$/.test(url.pathname)) {
        add('address', `'${shown}' ends with /v1: give Vault's address without it`);
        return undefined;
    }
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
function checkTls(settings, add) {
    const tls = {};
    const ca = settings.caCertificate;
    if (ca !== undefined) {
        const blocks = ca.match(CERTIFICATE_BLOCK) ?? [];
        if (blocks.length === 0) {
            add('ca-certificate', 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
        }
        for (const block of blocks) {
            try {
                new X509Certificate(block);
            }
            catch {
                add('ca-certificate', 'holds a PEM block that is not a valid certificate');
            }
        }
        tls.caCertificate = ca;
    }
    const certificate = settings.clientCertificate;
    const key = settings.clientKey;
    if ((certificate === undefined) !== (key === undefined)) {
        add(certificate === undefined ? 'client-certificate' : 'client-key', 'is required with its pair: mutual TLS needs client-certificate and client-key together');
        return tls;
    }
    if (certificate !== undefined && key !== undefined) {
        let valid = true;
        try {
            new X509Certificate(certificate);
        }
        catch {
            valid = false;
            add('client-certificate', 'is not a PEM certificate');
        }
        try {
            createPrivateKey(key);
        }
        catch {
            valid = false;
            add('client-key', 'is not a PEM private key (an encrypted key is not supported)');
        }
        if (valid)
            tls.clientCertificate = { certificatePem: certificate, keyPem: key };
    }
    return tls;
}
function checkAuth(settings, address, add) {
    const method = AUTH_METHODS.find(m => m === settings.method);
    const mount = (fallback) => {
        const given = settings.mount ?? fallback;
        if (!MOUNT.test(given) || given.startsWith('/') || given.includes('..')) {
            add('auth.mount', `'${given}' is not the path of an auth mount (such as jwt or approle)`);
            return undefined;
        }
        return given.replace(/\/+$/, '');
    };
    const extra = (key, value, why) => {
        if (value !== undefined)
            add(key, `applies to ${why}; remove it`);
    };
    switch (method) {
        case 'jwt': {
            extra('auth.role-id', settings.roleId, 'method approle');
            extra('auth.secret-id', settings.secretId, 'method approle');
            extra('auth.token', settings.token, 'method token');
            if (settings.role === undefined) {
                add('auth.role', 'is required with method jwt: the Vault JWT role the run logs in as');
                return undefined;
            }
            const at = mount('jwt');
            if (at === undefined)
                return undefined;
            return {
                method,
                role: settings.role,
                mount: at,
                // A role's bound_audiences must name it: Vault's own address is what most setups bind.
                audience: settings.audience ?? address ?? '',
                ...(settings.jwt !== undefined ? { jwt: settings.jwt } : {})
            };
        }
        case 'approle': {
            extra('auth.role', settings.role, 'method jwt');
            extra('auth.audience', settings.audience, 'method jwt');
            extra('auth.jwt', settings.jwt, 'method jwt');
            extra('auth.token', settings.token, 'method token');
            if (settings.roleId === undefined) {
                add('auth.role-id', 'is required with method approle: the role_id of the AppRole');
            }
            if (settings.secretId === undefined) {
                add('auth.secret-id', 'is required with method approle: the secret_id, from a secret (never written in the workflow)');
            }
            const at = mount('approle');
            if (settings.roleId === undefined || settings.secretId === undefined || at === undefined) {
                return undefined;
            }
            return { method, roleId: settings.roleId, secretId: settings.secretId, mount: at };
        }
        case 'token': {
            for (const key of [
                'auth.role',
                'auth.audience',
                'auth.jwt',
                'auth.role-id',
                'auth.secret-id',
                'auth.mount'
            ]) {
                const value = {
                    'auth.role': settings.role,
                    'auth.audience': settings.audience,
                    'auth.jwt': settings.jwt,
                    'auth.role-id': settings.roleId,
                    'auth.secret-id': settings.secretId,
                    'auth.mount': settings.mount
                }[key];
                extra(key, value, 'methods jwt and approle');
            }
            if (settings.token === undefined) {
                add('auth.token', 'is required with method token: a Vault token, from a secret');
                return undefined;
            }
            return { method, token: settings.token };
        }
        default:
            add('auth.method', `'${settings.method}' is not a login method; use jwt (the workflow's OIDC token, no stored secret), approle or token`);
            return undefined;
    }
}

/**
 * Vault answered with an error status. `errors` is Vault's own list (`{"errors":[…]}`), which may
 * quote what the request sent (a path, never a value this action sends in a body it logs): every
 * message built from it goes through the run's redactor like any peer's message.
 */
class VaultResponseError extends Error {
    name = 'VaultResponseError';
    status;
    errors;
    method;
    path;
    /** The answer's body: a read of a deleted KV version still carries its metadata. */
    body;
    constructor(request, status, errors, body) {
        super(`Vault answered ${status} to ${request.method} ${request.path}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`);
        this.status = status;
        this.errors = errors;
        this.method = request.method;
        this.path = request.path;
        Object.defineProperty(this, 'body', { value: body, enumerable: false });
    }
}
/**
 * No complete answer came. `reached` is false only when the request provably never reached Vault
 * (no connection was made, or the TLS handshake failed).
 */
class VaultTransportError extends Error {
    name = 'VaultTransportError';
    reached;
    detail;
    constructor(detail, reached, cause) {
        super(detail, { cause });
        this.detail = detail;
        this.reached = reached;
    }
}
const CONNECT_TIMEOUT_MS = 10_000;
const CONNECT_FAILURES = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found (DNS)',
    EAI_AGAIN: 'DNS lookup failed for now (EAI_AGAIN)',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out'
};
const UNTRUSTED_CERTIFICATE = new Set([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'CERT_UNTRUSTED',
    'ERR_TLS_CERT_ALTNAME_INVALID'
]);
function isTlsFailure(code) {
    return UNTRUSTED_CERTIFICATE.has(code) || code.startsWith('ERR_SSL_') || code === 'EPROTO';
}
/** The first error code in a chain of causes (undici wraps them). */
function errorCode(error, depth = 0) {
    if (typeof error !== 'object' || error === null || depth > 5)
        return undefined;
    const { code, cause, errors, name } = error;
    if (typeof code === 'string' && code !== '')
        return code;
    if (name === 'TimeoutError')
        return 'TimeoutError';
    if (name === 'AbortError')
        return 'AbortError';
    if (Array.isArray(errors)) {
        for (const inner of errors) {
            const found = errorCode(inner, depth + 1);
            if (found !== undefined)
                return found;
        }
    }
    return errorCode(cause, depth + 1);
}
function describeFailure(code, timeoutMs, tls) {
    if (code === undefined)
        return 'the request failed';
    const connect = CONNECT_FAILURES[code];
    if (connect !== undefined)
        return connect;
    if (UNTRUSTED_CERTIFICATE.has(code)) {
        return `TLS: Vault's certificate is not trusted (${code}); if Vault uses a private certificate authority, give its certificate as ca-certificate`;
    }
    if (isTlsFailure(code))
        return `TLS handshake failed (${code})`;
    switch (code) {
        case 'UND_ERR_SOCKET':
            return tls.clientCertificate
                ? 'the connection closed before the answer was complete'
                : 'the connection closed before the answer was complete; a listener that requires a client certificate closes the connection this way: if it does, set client-certificate and client-key';
        case 'ECONNRESET':
            return 'the connection was reset';
        case 'TimeoutError':
        case 'UND_ERR_HEADERS_TIMEOUT':
        case 'UND_ERR_BODY_TIMEOUT':
            return `no answer within ${Math.round(timeoutMs / 1000)} s`;
        case 'AbortError':
            return 'the request was abandoned';
        default:
            return `the request failed (${code})`;
    }
}
/** Vault's error list, from `{"errors":[…]}`. */
function errorsOf(body) {
    if (typeof body !== 'object' || body === null)
        return [];
    const errors = body.errors;
    return Array.isArray(errors) ? errors.filter((e) => typeof e === 'string') : [];
}
/**
 * The HTTP client of one Vault server: undici with TLS 1.2 at least, the configured CA and client
 * certificate, `X-Vault-Namespace`, and a deadline per request. undici loads with the first
 * request, so a run that names no Vault never pays for it.
 */
function createVaultHttp(endpoint, timeoutMs) {
    let loading;
    const load = () => (loading ??= import('./index-BPbuj0Mu.js').then(function (n) { return n.i; }).then(({ Agent }) => {
        const { tls } = endpoint;
        const agent = new Agent({
            connect: {
                minVersion: 'TLSv1.2',
                timeout: Math.min(CONNECT_TIMEOUT_MS, timeoutMs),
                ...(tls.caCertificate !== undefined ? { ca: tls.caCertificate } : {}),
                ...(tls.clientCertificate !== undefined
                    ? { cert: tls.clientCertificate.certificatePem, key: tls.clientCertificate.keyPem }
                    : {})
            },
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs
        });
        return agent;
    }));
    const base = endpoint.address.replace(/\/+$/, '');
    return {
        endpoint,
        async send(request) {
            const agent = await load();
            const url = new URL(`${base}/v1/${request.path.replace(/^\/+/, '')}`);
            for (const [key, value] of Object.entries(request.query ?? {})) {
                url.searchParams.set(key, value);
            }
            const headers = { accept: 'application/json' };
            if (request.token !== undefined)
                headers['x-vault-token'] = request.token;
            if (endpoint.namespace !== undefined)
                headers['x-vault-namespace'] = endpoint.namespace;
            if (request.body !== undefined)
                headers['content-type'] = 'application/json';
            const deadline = AbortSignal.timeout(timeoutMs);
            const sentAt = Date.now();
            let status;
            let text;
            let dateHeader;
            try {
                const answer = await agent.request({
                    origin: url.origin,
                    path: `${url.pathname}${url.search}`,
                    method: request.method,
                    headers,
                    ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
                    signal: request.signal ? AbortSignal.any([deadline, request.signal]) : deadline
                });
                status = answer.statusCode;
                const date = answer.headers.date;
                dateHeader = typeof date === 'string' ? date : undefined;
                // Read whole here: a connection lost halfway through the body is a transport error too.
                text = await answer.body.text();
            }
            catch (error) {
                const code = errorCode(error);
                const reached = !(code !== undefined && (CONNECT_FAILURES[code] !== undefined || isTlsFailure(code))) &&
                    code !== 'AbortError';
                const aborted = request.signal?.aborted === true && !deadline.aborted;
                throw new VaultTransportError(describeFailure(code, timeoutMs, endpoint.tls), 
                // An abort before the request left proves nothing was sent; after, it may have been.
                aborted ? true : reached, error);
            }
            const receivedAt = Date.now();
            let body;
            if (text.trim() !== '') {
                try {
                    body = JSON.parse(text);
                }
                catch {
                    // Not Vault's JSON (a proxy's page): the status says enough, the text is not kept.
                    body = undefined;
                }
            }
            if (status >= 400)
                throw new VaultResponseError(request, status, errorsOf(body), body);
            const date = dateHeader !== undefined ? new Date(dateHeader) : undefined;
            return {
                status,
                body,
                ...(date && !Number.isNaN(date.getTime()) ? { date } : {}),
                sentAt,
                receivedAt
            };
        },
        async close() {
            if (!loading)
                return;
            const agent = await loading;
            await agent.close();
        }
    };
}

/** Where the policies each mode needs are documented. */
const POLICIES_DOC = 'docs/providers/vault.md#policies';
/**
 * The codes Vault's failures are reported with, whichever role Vault plays (store, issuer, target,
 * lock): a script tells a login refused from a policy too short, a path that does not exist, a
 * write another writer beat, and a Vault that cannot answer now.
 */
const CODES = {
    /** The login was refused, or Vault no longer accepts the token (expired, revoked). */
    auth: 'vault-auth',
    /** The token's policy lacks a capability on a path (403 permission denied). */
    forbidden: 'vault-forbidden',
    /** Nothing at the path: no such mount, secret or role (404). */
    notFound: 'vault-not-found',
    /** Vault refused the request (400 and the like), or answered what the action cannot read. */
    rejected: 'vault-rejected',
    /** A check-and-set write lost to another writer (KV v2 `options.cas`, 400). */
    conflict: 'vault-conflict',
    /** No answer, or Vault cannot answer now (sealed, standby, 5xx, rate limited). */
    unavailable: 'vault-unavailable'
};
/** Vault answers these when it cannot serve now, not because of the request. */
const UNAVAILABLE = new Set([412, 429, 500, 502, 503, 504]);
/**
 * A failed request to Vault as an {@link ActionError} whose message names the path, what was being
 * done and what to do: the missing capability for a 403, the mount for a 404, Vault's own words
 * for a 400. Never quotes a request body.
 */
function vaultError(error, doing) {
    if (error instanceof ActionError)
        return error;
    const { phase, path, capability } = doing;
    if (error instanceof VaultTransportError) {
        return new ActionError(`Vault did not answer while ${doing.doing}: ${error.detail}.`, {
            code: CODES.unavailable,
            phase,
            retryable: !error.reached || doing.idempotent === true,
            cause: error
        });
    }
    if (error instanceof VaultResponseError) {
        const said = vaultSaid(error);
        if (error.status === 403) {
            const expired = isInvalidToken(error);
            return new ActionError(expired
                ? `Vault refused ${doing.doing} with 403${said}: the token has expired or been revoked.`
                : `Vault refused ${doing.doing} with 403${said}: the token's policy lacks \`${capability}\` on ${path}; see ${POLICIES_DOC}.`, { code: expired ? CODES.auth : CODES.forbidden, phase, cause: error });
        }
        if (error.status === 404) {
            return new ActionError(`Vault found nothing at ${path} while ${doing.doing} (404)${said}: check the mount and the path (a KV secret must be on a KV version 2 mount).`, { code: CODES.notFound, phase, cause: error });
        }
        if (isCasMismatch(error)) {
            return new ActionError(`Vault refused ${doing.doing}${said}: another writer wrote ${path} since this run read it, and check-and-set keeps that write. Make one workflow write it (a concurrency group) and run again.`, { code: CODES.conflict, phase, cause: error });
        }
        if (UNAVAILABLE.has(error.status)) {
            const sealed = error.errors.some(e => /sealed/i.test(e));
            return new ActionError(`Vault could not serve ${doing.doing} (${error.status})${said}${sealed ? ': Vault is sealed; unseal it and run again' : ''}.`, {
                code: CODES.unavailable,
                phase,
                retryable: doing.idempotent === true,
                cause: error
            });
        }
        return new ActionError(`Vault refused ${doing.doing} (${error.status})${said}.`, {
            code: CODES.rejected,
            phase,
            cause: error
        });
    }
    return new ActionError(`${doing.doing} failed: ${error instanceof Error ? error.message : 'unknown error'}`, { code: 'internal', phase, cause: error });
}
/** The code of a login refused or impossible, or of a token Vault no longer accepts. */
const LOGIN_REFUSED = CODES.auth;
/** The code of a capability the token's policy lacks. */
const VAULT_FORBIDDEN = CODES.forbidden;
/** The code of a request Vault refused, or an answer the action cannot read. */
const VAULT_REFUSED = CODES.rejected;
/** Vault's own words, on one line: ` (Vault: permission denied)`. */
function vaultSaid(error) {
    const said = error.errors
        .map(e => e
        .replace(/\d+ errors? occurred:/, '')
        .replace(/[\s*]+/g, ' ')
        .trim())
        .filter(e => e !== '');
    return said.length > 0 ? ` (Vault: ${said.join('; ')})` : '';
}
/** True when Vault refused the token itself (expired, revoked, unknown). */
function isInvalidToken(error) {
    return (error instanceof VaultResponseError &&
        error.status === 403 &&
        error.errors.some(e => /invalid token|token.*(expired|revoked)/i.test(e)));
}
/** True when Vault answered with a check-and-set mismatch (KV v2 `options.cas`). */
function isCasMismatch(error) {
    return (error instanceof VaultResponseError &&
        error.status === 400 &&
        error.errors.some(e => /check-and-set/i.test(e)));
}

/** A database static role's path: `<mount>/static-creds/<name>`. */
const STATIC_PATH = /(?:^|\/)static-creds\/[^/]+$/;
/** The fields of a static role's answer that say when, not what: left out of the value. */
const ROTATION_FIELDS = new Set([
    'last_vault_rotation',
    'rotation_period',
    'ttl',
    'rotation_schedule'
]);
/** The handle of a static role's password: public names only. */
const STATIC_HANDLE = /^static=(\S+) rotated=(\S*)$/;
/** Whether `path` reads a static role, whose one account Vault rotates by itself. */
function isStaticPath(path) {
    return STATIC_PATH.test(path);
}
/** Whether a recorded handle is a static role's (nothing to revoke: Vault rotated it away). */
function isStaticHandle(handle) {
    return STATIC_HANDLE.test(handle);
}
/**
 * Reads a static role's current password (`database/static-creds/<name>`). Nothing is minted:
 * Vault rotates the account's password on its own (its `rotation_period`, or `rotate-role`), so
 * the run publishes what Vault holds now, checks it and commits it, and the next run after
 * Vault's rotation publishes the new one. The value is the account (`username`, `password`, …)
 * without the rotation's times, so that one password is one value; it expires when Vault rotates
 * it next (`ttl`), which a schedule's `before-expiry` turns into the next due run. No lease, so the
 * run's own token reads it.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/databases#get-static-credentials
 */
async function readStaticRole(options) {
    const { session, path, mask, log, clock } = options;
    const answer = await session.call({ method: 'GET', path }, {
        phase: 'mint',
        doing: `reading the static role's credential ${path}`,
        path,
        capability: 'read',
        idempotent: true
    });
    const data = answer.body?.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        throw new ActionError(`Vault's answer for ${path} holds no data: is it a database static role?`, { code: VAULT_REFUSED, phase: 'mint' });
    }
    const fields = data;
    const account = Object.fromEntries(Object.entries(fields).filter(([key]) => !ROTATION_FIELDS.has(key)));
    for (const field of Object.values(account)) {
        if (typeof field === 'string' && field !== '')
            mask(field);
    }
    const value = JSON.stringify(account);
    mask(value);
    const rotated = typeof fields.last_vault_rotation === 'string' ? fields.last_vault_rotation : '';
    const ttl = typeof fields.ttl === 'number' ? fields.ttl : 0;
    const expiresAt = ttl > 0 ? new Date(clock.now().getTime() + ttl * 1000) : undefined;
    const when = [
        ...(rotated !== '' ? [`Vault rotated it at ${rotated}`] : []),
        ...(ttl > 0 ? [`next rotation in ${String(ttl)} s`] : [])
    ];
    log.info(`Read the static role's current credential from ${path}${when.length > 0 ? ` (${when.join('; ')})` : ''}.`);
    return {
        value,
        next: '',
        rotated: false,
        ...(expiresAt ? { expiresAt } : {}),
        handle: `static=${path} rotated=${rotated}`
    };
}

/** `store: vault-kv`. */
const VAULT_KV = 'vault-kv';
/** `issuer: vault-dynamic`. */
const VAULT_DYNAMIC = 'vault-dynamic';
/** The key of a `publish` entry that writes into Vault. */
const VAULT_TARGET = 'vault';
/** The field the refresh token is kept in when none is named. */
const DEFAULT_FIELD = 'refresh_token';
const KV_PATH = /^[A-Za-z0-9_.@=+\-/]+$/;
const TOKEN_ROLE = /^[A-Za-z0-9_.-]+$/;
/** The schema of a `publish` entry's `vault:` keys, as the file writes them. */
const targetEntrySchema = strictObject({
    mount: string().min(1).optional(),
    path: string().min(1),
    field: string().min(1).optional()
});
/** Vault's KV store is claimed for the dynamic issuer, whose record it keeps. */
function defaultVaultStore(raw, issuer) {
    return issuer === VAULT_DYNAMIC || raw['vault-kv-path'] !== '' ? VAULT_KV : undefined;
}
/**
 * The Vault parts of a credential: the connection (the file's `vault:` section, or the `vault-*`
 * inputs), the KV store with its record and lock, and the dynamic issuer.
 */
function configureVault(draft) {
    const store = draft.store === VAULT_KV;
    const issuer = draft.issuer === VAULT_DYNAMIC;
    if (!store && !issuer)
        return;
    const connection = connectionOf(draft);
    const { raw, add, report } = draft;
    // A flat run names its inputs; a file run its keys.
    const keyProblem = (key, input, message) => {
        if (draft.file === NO_FILE)
            add(input, message);
        else
            report([{ input: key, message }]);
    };
    let dynamic;
    if (issuer) {
        dynamic = dynamicSettings(draft, keyProblem);
        if (!store) {
            add('store', `must be ${VAULT_KV} with issuer: ${VAULT_DYNAMIC}: the leases to revoke are recorded in a KV secret's custom_metadata`);
        }
        if (draft.mode === 'rollback') {
            add('mode', `rollback does not apply to issuer: ${VAULT_DYNAMIC}: Vault issues a new credential each time; a replaced one is revoked, not restored`);
        }
        // The value is the lease's data, a JSON document: targets publish it by field.
        const field = draft.file.keys['issuer.field'];
        draft.document = field !== undefined ? { field } : {};
        if (raw['health-check-url'] !== '' && field === undefined) {
            report([
                {
                    input: 'issuer.field',
                    message: 'is required with an HTTP health check: the check sends one field of the credential (password, say), never the whole document'
                }
            ]);
        }
    }
    let kv;
    if (store) {
        const consumes = draft.issues?.consumesInput === true;
        if (!consumes && !issuer) {
            add('store', `${VAULT_KV} keeps a credential the issuer exchanges (issuer: oauth2) or the record of issuer: ${VAULT_DYNAMIC}; this issuer needs neither`);
        }
        kv = storeSettings(draft, dynamic, consumes, keyProblem);
    }
    if (!connection)
        return;
    draft.slices.vault = {
        ...draft.slices.vault,
        connection,
        ...(kv ? { store: kv } : {}),
        ...(dynamic ? { dynamic } : {})
    };
    if (kv) {
        draft.keepsRecord = true;
        draft.storeConfig = {
            kind: VAULT_KV,
            subject: `${kv.mount}/${kv.path}`,
            record: {
                where: `KV secret ${kv.mount}/${kv.path} of ${connection.endpoint.address}${connection.endpoint.namespace ? ` (namespace ${connection.endpoint.namespace})` : ''}`,
                key: 'store.path'
            }
        };
    }
}
/** The `publish: - vault: { … }` entries. */
function configureVaultTargets(draft) {
    const entries = draft.file.targets.filter(target => target.key === VAULT_TARGET);
    if (entries.length === 0)
        return;
    const connection = draft.slices.vault?.connection ?? connectionOf(draft);
    const targets = [];
    for (const { entry, index } of entries) {
        const parsed = targetEntrySchema.safeParse(entry);
        const at = `publish[${String(index)}].${VAULT_TARGET}`;
        if (!parsed.success)
            continue;
        const { mount = 'secret', path, field } = parsed.data;
        if (!KV_PATH.test(path) || path.startsWith('/') || path.includes('..')) {
            draft.report([{ input: `${at}.path`, message: `'${path}' is not a KV secret's path` }]);
            continue;
        }
        if (field === undefined && draft.document === undefined) {
            draft.report([
                {
                    input: `${at}.field`,
                    message: 'is required: the KV field the value is written to (value, access_token, ...)'
                }
            ]);
            continue;
        }
        targets.push({ mount, path, ...(field !== undefined ? { field } : {}) });
    }
    if (!connection)
        return;
    draft.slices.vault = { ...draft.slices.vault, connection, targets };
}
/** The connection from the file's section, else the flat inputs; problems named where they are. */
function connectionOf(draft) {
    const section = draft.file.sections[VAULT_TARGET];
    if (section !== undefined) {
        const settings = settingsFromSection(section);
        if (!settings)
            return undefined;
        return parseConnection(settings, (key, message) => {
            draft.report([{ input: `vault.${key}`, message }]);
        });
    }
    const settings = settingsFromInputs(draft.raw);
    if (!settings) {
        draft.add('vault-url', 'is required for Vault: its address (or, in the configuration file, a vault: section with address and auth)');
        return undefined;
    }
    return parseConnection(settings, (key, message) => {
        draft.add(FLAT_INPUTS[key], message);
    });
}
function storeSettings(draft, dynamic, consumes, problem) {
    const { raw } = draft;
    const mount = draft.file.keys['store.mount'] ?? raw['vault-kv-mount'];
    let path = draft.file.keys['store.path'] ?? raw['vault-kv-path'];
    if (path === '' && dynamic)
        path = `token-rotation/${dynamic.path}`;
    // Without its issuer's path the record's default path is unknown: that problem is said already.
    if (path === '' && draft.issuer === VAULT_DYNAMIC)
        return undefined;
    if (path === '') {
        problem('store.path', 'vault-kv-path', `is required with store: ${VAULT_KV}: the KV secret whose ${DEFAULT_FIELD} field holds the refresh token (ci/api, say)`);
        return undefined;
    }
    let ok = true;
    if (!KV_PATH.test(mount) || mount.startsWith('/') || mount.endsWith('/')) {
        problem('store.mount', 'vault-kv-mount', `'${mount}' is not the path of a KV version 2 mount`);
        ok = false;
    }
    if (!KV_PATH.test(path) || path.startsWith('/') || path.endsWith('/') || path.includes('..')) {
        problem('store.path', 'vault-kv-path', `'${path}' is not a KV secret's path (ci/api, say)`);
        ok = false;
    }
    const field = consumes ? raw['store-field'] || DEFAULT_FIELD : undefined;
    if (!consumes && raw['store-field'] !== '') {
        draft.add('store-field', `applies to a refresh token kept in ${VAULT_KV}; issuer: ${VAULT_DYNAMIC} keeps only its record there`);
    }
    if (!ok)
        return undefined;
    return { mount, path, ...(field !== undefined ? { field } : {}), lockPath: `${path}.lock` };
}
function dynamicSettings(draft, problem) {
    const { raw, file } = draft;
    const path = file.keys['issuer.path'] ?? raw['vault-creds-path'];
    if (path === '') {
        problem('issuer.path', 'vault-creds-path', `is required with issuer: ${VAULT_DYNAMIC}: the path that issues credentials with a lease (database/creds/app, say)`);
        return undefined;
    }
    if (!KV_PATH.test(path) || path.startsWith('/') || path.includes('..')) {
        problem('issuer.path', 'vault-creds-path', `'${path}' is not a Vault path`);
        return undefined;
    }
    const tokenRole = file.keys['issuer.token-role'];
    if (tokenRole !== undefined && !TOKEN_ROLE.test(tokenRole)) {
        draft.report([
            { input: 'issuer.token-role', message: `'${tokenRole}' is not a token role's name` }
        ]);
    }
    const tokenTtl = file.keys['issuer.token-ttl'];
    if (tokenTtl !== undefined && (parseDuration(tokenTtl) ?? 0) <= 0) {
        draft.report([
            {
                input: 'issuer.token-ttl',
                message: `'${tokenTtl}' is not a duration longer than 0; use ${DURATION_HINT}`
            }
        ]);
    }
    const policies = file.keys['issuer.token-policies'];
    const renewBefore = file.keys['issuer.renew-before'];
    const renewBeforeMs = renewBefore === undefined ? undefined : parseDuration(renewBefore);
    if (isStaticPath(path)) {
        const leaseKeys = {
            'issuer.renew-before': renewBefore,
            'issuer.token-role': tokenRole,
            'issuer.token-ttl': tokenTtl,
            'issuer.token-policies': policies
        };
        for (const [key, value] of Object.entries(leaseKeys)) {
            if (value === undefined)
                continue;
            draft.report([
                {
                    input: key,
                    message: `applies to a credential with a lease; ${path} is a static role, whose password Vault rotates by itself: remove it`
                }
            ]);
        }
    }
    if (renewBefore !== undefined && (renewBeforeMs ?? 0) <= 0) {
        draft.report([
            {
                input: 'issuer.renew-before',
                message: `'${renewBefore}' is not a duration longer than 0; use ${DURATION_HINT}`
            }
        ]);
    }
    return {
        path,
        ...(tokenRole !== undefined ? { tokenRole } : {}),
        ...(tokenTtl !== undefined
            ? { tokenTtl: `${String(Math.round((parseDuration(tokenTtl) ?? 0) / 1000))}s` }
            : {}),
        ...(policies !== undefined ? { tokenPolicies: parseList(policies) } : {}),
        ...(renewBeforeMs !== undefined && renewBeforeMs > 0 ? { renewBeforeMs } : {})
    };
}
/** The plan's lines about Vault. */
function describeVault(config) {
    const vault = config.slices.vault;
    if (!vault)
        return {};
    const { address, namespace } = vault.connection.endpoint;
    const at = `${address}${namespace !== undefined ? ` (namespace ${namespace})` : ''}`;
    const auth = vault.connection.auth;
    const login = auth.method === 'token'
        ? 'with the given token'
        : `with ${auth.method} at auth/${auth.mount}${auth.method === 'jwt' ? ` as role ${auth.role}` : ''}; its token is revoked when the run ends`;
    const lines = [`Vault at ${at}, logged in ${login}.`];
    const store = vault.store;
    if (vault.dynamic) {
        lines.push(isStaticPath(vault.dynamic.path)
            ? `Credential read from the static role ${vault.dynamic.path}: Vault rotates its password; each new one is published, checked and recorded.`
            : `Credential read from ${vault.dynamic.path}, each lease with a token of its own (${vault.dynamic.tokenRole !== undefined ? `token role ${vault.dynamic.tokenRole}` : 'an orphan'}); replaced leases revoked by lease id.`);
        if (vault.dynamic.renewBeforeMs !== undefined) {
            lines.push(`The published lease is renewed when it ends within ${formatDuration(vault.dynamic.renewBeforeMs)}.`);
        }
    }
    if (store) {
        lines.push(store.field !== undefined
            ? `Refresh token in KV secret ${store.mount}/${store.path}, field ${store.field}; new versions written with cas; record in its custom_metadata.`
            : `Record in the custom_metadata of KV secret ${store.mount}/${store.path}.`, `One-writer lock: KV secret ${store.mount}/${store.lockPath}.`);
    }
    const targets = vault.targets ?? [];
    return {
        lines,
        targetLines: targets.map(t => `Vault KV secret ${t.mount}/${t.path}${t.field !== undefined ? `, field ${t.field}` : ', every field of the value'}.`),
        names: targets.map(t => `${t.mount}/${t.path}`),
        writes: targets.length
    };
}

// The descriptor only: the client loads with ./wiring.js, when a credential names Vault.
/**
 * HashiCorp Vault: a KV version 2 secret as a store (versions with check-and-set, the record in
 * its custom_metadata, a lock of its own), dynamic secrets with leases as an issuer, and KV
 * secrets as targets. One login per run and connection, revoked when the run ends.
 */
const vaultProvider = {
    name: 'vault',
    issuers: { [VAULT_DYNAMIC]: { consumesInput: false, revokes: 'handle' } },
    stores: { [VAULT_KV]: { keepsVersions: true, readsLive: true } },
    target: {
        key: VAULT_TARGET,
        keys: [
            { group: '', key: 'mount', type: 'text' },
            { group: '', key: 'path', type: 'text' },
            { group: '', key: 'field', type: 'text' }
        ]
    },
    keys: [
        { group: 'issuer', key: 'path', type: 'text' },
        { group: 'issuer', key: 'token-role', type: 'text' },
        { group: 'issuer', key: 'token-ttl', type: 'text' },
        { group: 'issuer', key: 'token-policies', type: 'list' },
        { group: 'issuer', key: 'field', type: 'text' },
        { group: 'issuer', key: 'renew-before', type: 'text' },
        { group: 'store', key: 'mount', type: 'text' },
        { group: 'store', key: 'path', type: 'text' }
    ],
    sections: { vault: vaultSectionSchema() },
    only: {
        role: `a Vault store, issuer or target (store: ${VAULT_KV}, issuer: ${VAULT_DYNAMIC}, publish: - vault:)`,
        inputs: [
            'vault-url',
            'vault-namespace',
            'vault-method',
            'vault-role',
            'vault-path',
            'vault-jwt-audience',
            'vault-jwt-token',
            'vault-token',
            'vault-role-id',
            'vault-secret-id',
            'vault-ca-certificate',
            'vault-client-certificate',
            'vault-client-key',
            'vault-kv-mount',
            'vault-kv-path',
            'vault-creds-path',
            // store.field is AWS's key too: the field of a refresh token kept in KV.
            'store-field'
        ],
        hint: `set store: ${VAULT_KV} or issuer: ${VAULT_DYNAMIC}, or remove it`
    },
    docs: 'docs/providers/vault.md',
    defaultStore: defaultVaultStore,
    configure: configureVault,
    configureTargets: configureVaultTargets,
    describe: describeVault,
    assemble: async (config, deps) => {
        if (!config.slices.vault)
            return {};
        const { assembleVault } = await import('./wiring-BDCI6NZ6.js');
        return assembleVault(config, deps);
    }
};

/**
 * The registry: every provider, one line each. The configuration's schema, its rules, the docs'
 * tables and the kinds a credential may name are read from here.
 */
const PROVIDERS = [
    githubProvider,
    oauth2Provider,
    awsProvider,
    vaultProvider,
    gitlabProvider,
    httpProvider,
    staticProvider
];
/** The registry of `providers`: the action's is {@link REGISTRY}; tests may add to it. */
function createRegistry(providers) {
    const find = (kind, roles) => {
        for (const provider of providers) {
            const byKind = roles(provider) ?? {};
            // Own keys only: `toString` is no kind.
            if (kind !== undefined && Object.hasOwn(byKind, kind))
                return byKind[kind];
        }
        return undefined;
    };
    return {
        providers,
        issuerKinds: () => providers.flatMap(provider => Object.keys(provider.issuers ?? {})),
        storeKinds: () => providers.flatMap(provider => Object.keys(provider.stores ?? {})),
        issuerCapabilities: kind => find(kind, provider => provider.issuers),
        storeCapabilities: kind => find(kind, provider => provider.stores)
    };
}
/** The action's registry. */
const REGISTRY = createRegistry(PROVIDERS);
/** Every `issuer.kind` of the action's registry. */
function issuerKinds() {
    return REGISTRY.issuerKinds();
}
/** Every `store.kind` of the action's registry. */
function storeKinds() {
    return REGISTRY.storeKinds();
}
/** What the issuer of `kind` can do, in the action's registry. */
function issuerCapabilities(kind) {
    return REGISTRY.issuerCapabilities(kind);
}
/** What the store of `kind` can do, in the action's registry. */
function storeCapabilities(kind) {
    return REGISTRY.storeCapabilities(kind);
}

var index = /*#__PURE__*/Object.freeze({
    __proto__: null,
    PROVIDERS: PROVIDERS,
    REGISTRY: REGISTRY,
    createRegistry: createRegistry,
    issuerCapabilities: issuerCapabilities,
    issuerKinds: issuerKinds,
    storeCapabilities: storeCapabilities,
    storeKinds: storeKinds
});

export { writePermission as A, targetsFromConfig as B, CREDENTIAL_GROUPS as C, secretReference as D, AWS_KIND as E, index as F, GITLAB_TOKEN as G, HTTP_KIND as H, LOGIN_REFUSED as L, NO_FILE as N, POLICIES_DOC as P, REGISTRY as R, VaultResponseError as V, fillText as a, fillBody as b, textAt as c, fieldNames as d, readPointer as e, fillUrl as f, expiryDate as g, expiryInstant as h, issuerCapabilities as i, createVaultHttp as j, isInvalidToken as k, vaultSaid as l, maskProblem as m, isStaticPath as n, ownerLabel as o, readStaticRole as p, isStaticHandle as q, repositoryName as r, VAULT_REFUSED as s, tlsKeysAt as t, isCasMismatch as u, vaultError as v, VAULT_FORBIDDEN as w, VAULT_DYNAMIC as x, scopeLabel as y, secretsPath as z };
