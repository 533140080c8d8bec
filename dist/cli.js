#!/usr/bin/env node
import { resolve, join } from 'node:path';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { I as INPUT_DEFAULTS, i as isSecretInput, S as SECRET_INPUTS } from './chunks/inputs-Ck9cEsRc.js';
import { A as ActionError, d as describeError } from './chunks/errors-DDD4RsHd.js';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { s as safeLogger } from './chunks/logger-CEvuwfVS.js';
import { a as Redactor } from './chunks/redaction-Cn2Yd9gW.js';
import { p as parseList } from './chunks/lists-D2x1VrPX.js';
import { o as openRecovery } from './chunks/recovery-box-ByX4f6xu.js';
import { g as generateRecoveryKeyPair } from './chunks/recovery-key-CcEw-7rF.js';
import { d as detectCi } from './chunks/identity-C2FKYTys.js';
import { r as run } from './chunks/main-CAsI0DTo.js';
import './chunks/sodium-DPz47DmG.js';
import './chunks/results-D1YWpyhU.js';
import 'node:timers/promises';
import 'node:fs';
import './chunks/wording-CXsTWj4t.js';

const version = "0.1.0";
const inputDescriptions = {"github-token":"Token that can write secrets on every target: a fine-grained personal access token or a GitHub App installation token with repository \"Secrets: write\" (repository secrets), \"Environments: write\" (environment secrets), \"Dependabot secrets: write\" (Dependabot), organization \"Secrets: write\" (org secrets), or a classic PAT with `repo` (and `admin:org` for org secrets). A rotation (`issuer` other than none) also needs \"Variables: write\" on the repository running the workflow, for its record and lock. The default GITHUB_TOKEN cannot write secrets.","secret-name":"Name of the secret to write. Letters, digits and underscores; no leading digit; no `GITHUB_` prefix. GitHub stores names upper-case. May be empty when `secret-fields` names the secrets.","value":"The value to publish (at most 48 KB), with `issuer: none`; the other issuers mint it, and `value` must then be empty. Masked at once; never printed, not even sealed.","repositories":"Repositories to write to, as `owner/repo`, separated by newlines or commas. Default: the repository running the workflow, unless `org` is set (then only the organization secret is written).","environment":"One or more environment names (newlines or commas). The secret is written as an environment secret of each environment in each repository instead of a repository secret.","org":"Organization login. Writes an organization secret (in addition to `repositories`, when given).","visibility":"Which repositories of the organization can use the org secret: `all`, `private` or `selected`. Default: keep the existing secret's visibility; `selected` when `selected-repositories` is given; `private` for a new secret.","selected-repositories":"For `visibility: selected`: the repositories (`owner/repo` of `org`, newlines or commas) that may use the org secret. Default: keep the existing list.","secret-type":"`actions` for GitHub Actions secrets, or `dependabot` for Dependabot secrets (no environments).","max-concurrency":"Most requests in flight at once (1 to 100; GitHub allows at most 100 concurrent requests).","write-interval":"Minimum time between two writes (content-creating requests), as a number and a unit: `ms`, `s`, `m`, `h` or `d`, decimals allowed. GitHub asks for at least one second.","dry-run":"`true` to check every target (tokens, public keys, environments, repository ids) and print the plan without writing anything.","issuer":"Where the value comes from. `none` publishes `value` as it is (or, with `store-secret-id`, the secret's value in AWS Secrets Manager). `oauth2` exchanges the refresh token at `token-url` (an OAuth2 refresh-token grant), writes the rotated refresh token back to its store (`refresh-token-secret`, or `store-secret-id`) and publishes the new access token as `secret-name`. `aws-secrets-manager` has AWS rotate `store-secret-id` with its rotation Lambda and publishes the new value.","mode":"`rotate` mints, persists, publishes, verifies, then retires what is due. `verify` only runs the health check on `previous-value` (the value the targets hold now). `retire` only revokes replaced values whose grace period is over. `rollback` (AWS Secrets Manager with issuer `none` or `aws-secrets-manager`) moves `AWSCURRENT` back to `AWSPREVIOUS` and publishes it again. `plan` (with `config`) runs nothing: it sets the outputs `due` and `matrix` for a matrix job.","token-url":"OAuth2 token endpoint (https; plain http only on a loopback address).","client-id":"The OAuth2 client identifier registered with the server.","client-secret":"OAuth2 client secret, for `client_secret_basic` and `client_secret_post`. Pass it from a secret; masked at once.","client-auth":"How the client authenticates at the token endpoint: `client_secret_basic`, `client_secret_post`, `none` (a public client), `private_key_jwt` (with `client-private-key`) or `tls_client_auth` (RFC 8705, with `client-certificate` and `client-key`).","client-private-key":"PEM private key (RSA, EC P-256/P-384 or Ed25519) that signs the client assertion for `private_key_jwt`. Pass it from a secret.","scope":"Scope to ask for on refresh (space-separated). Default: the grant's own scope.","revocation-url":"OAuth2 revocation endpoint (RFC 7009), needed by `revoke-previous`.","client-certificate":"PEM client certificate for mutual TLS (with `client-key`).","client-key":"PEM private key of `client-certificate`. Pass it from a secret.","ca-certificate":"PEM certificate(s) of the certificate authority that signed the OAuth2 server's certificate, when it is not a public one. TLS 1.2 is the minimum in every case.","refresh-token":"The current refresh token, from the secret that holds it (pass the secret `OAUTH_REFRESH_TOKEN`, for example). Masked at once; compared by fingerprint with the rotation record, so a stale copy is refused before anything is touched.","refresh-token-secret":"Name of the repository secret (in the repository running the workflow) that holds the refresh token; the rotated one is written back to it before anything uses it.","state-variable":"Repository variable that holds the rotation record: fingerprints (never values), times, failures, retirements due, the last runs. Default: `<refresh-token-secret>_STATE`. A variable `<state-variable>_LOCK` is the one-writer lock while a run holds it. With `store-secret-id` the record is the secret's own versions and tags, and only the lock is a variable: `<state-variable>_LOCK`, by default `TOKEN_ROTATION_<secret name>_LOCK`.","lock-expires-after":"How long the one-writer lock is held at most, so a run that died cannot block rotation for ever. Longer than your longest run.","persist-timeout":"How long writing the new refresh token back to its store may take, retries included; then the run fails with the recovery ciphertext (at least `10s`).","store":"Where the credential lives between runs: `github` (a repository secret, `refresh-token-secret`) or `aws-secrets-manager` (`store-secret-id`). Default: `aws-secrets-manager` when `store-secret-id` is set, else `github`.","store-secret-id":"Name or ARN of the AWS Secrets Manager secret. With `issuer: oauth2` it holds the refresh token (read from `AWSCURRENT`, new ones staged as `AWSPENDING` and promoted after the health check). With `issuer: aws-secrets-manager` AWS rotates it with its rotation Lambda. With `issuer: none` its `AWSCURRENT` value is published as it is (a sync). AWS credentials come from the SDK's default chain: run aws-actions/configure-aws-credentials with `role-to-assume` first.","aws-region":"The secret's AWS region. Default: the SDK's own configuration (`AWS_REGION`, which aws-actions/configure-aws-credentials sets).","store-field":"For a JSON secret: the field that holds the credential. With `issuer: oauth2` the refresh token (default `refresh_token`; the other fields are kept); otherwise the field published as `secret-name` and health-checked (default: the whole value). A secret that is not a JSON object is taken whole.","secret-fields":"More secrets written from the JSON fields of a secret read from AWS, one `NAME=field` per line or comma: `DB_USER=username, DB_PASSWORD=password`. Each goes to the same targets as `secret-name`, which may then be left empty.","rotation-timeout":"With `issuer: aws-secrets-manager`: how long to wait for the rotation Lambda to move `AWSCURRENT` to the new version before reporting the rotation stranded.","vault-url":"HashiCorp Vault's address (https), for a Vault store, issuer or target. See docs/providers/vault.md.","vault-namespace":"Vault Enterprise or HCP namespace, sent as `X-Vault-Namespace`.","vault-method":"How the run logs in to Vault: `jwt` (the workflow's OIDC token, needs `id-token: write`), `approle` or `token`.","vault-role":"With `vault-method: jwt`, the Vault JWT role the run logs in as.","vault-path":"The mount of the Vault auth method. Default `jwt` or `approle`, as `vault-method` says.","vault-jwt-audience":"Audience of the OIDC token sent to Vault; the role's `bound_audiences` must name it. Default: `vault-url`.","vault-jwt-token":"Outside GitHub Actions, a JWT for the Vault login (GitLab `id_tokens`), from a secret.","vault-token":"With `vault-method: token`, a Vault token, from a secret. The run never revokes it.","vault-role-id":"With `vault-method: approle`, the AppRole's `role_id`.","vault-secret-id":"With `vault-method: approle`, the AppRole's `secret_id`, from a secret.","vault-ca-certificate":"PEM certificate of the authority that signed Vault's certificate, when it is private.","vault-client-certificate":"PEM client certificate, for a Vault listener that requires mutual TLS.","vault-client-key":"PEM private key of `vault-client-certificate`, from a secret.","vault-kv-mount":"The KV version 2 mount of `store: vault-kv`.","vault-kv-path":"With `store: vault-kv`, the KV secret's path: its `store-field` holds the refresh token, its custom_metadata the record.","vault-creds-path":"With `issuer: vault-dynamic`, the Vault path that issues credentials with a lease: `database/creds/app`.","recovery-public-key":"Base64 X25519 public key (`token-rotation recovery-keygen` makes a pair). The new refresh token sealed to it is logged the moment it is minted and set as the `recovery-ciphertext` output, so no run can lose it; only the private key opens it (`token-rotation recover`).","previous-value":"The value the targets hold now, e.g. the secret `API_TOKEN` itself: put back on every target when the new value fails its health check, checked by `mode: verify`, revoked by `revoke-previous`.","health-check-url":"URL probed with the new value before anything is retired (https; plain http only on a loopback address). Retried until `health-check-timeout` for propagation delay.","health-check-command":"Command run instead of a URL (as a `run:` step would), the value in `TOKEN_ROTATION_VALUE`; exit 0 passes.","health-check-method":"HTTP method of the health check.","health-check-header":"Header(s) of the health check, one `Name: value` per line; `<token>` is replaced by the value under test.","health-check-expect":"Status codes that pass: codes, classes and ranges separated by commas, e.g. `200`, `2xx`, `200-204`.","health-check-timeout":"How long the health check keeps retrying before it fails.","rotate-if-older-than":"Skip the rotation when the last one is more recent than this (e.g. `24h` on an hourly schedule); retirements that are due still run.","rotate-before-expiry":"Rotate once the published value expires within this (e.g. `1h`), whatever `rotate-if-older-than` says; set alone, the rotation waits for it. `15m` when only `rotate-if-older-than` is set. It reads the issuer's expiry (OAuth2 `expires_in`): without one, every run rotates.","revoke-previous":"`true` to revoke the replaced access token (RFC 7009 at `revocation-url`) once `grace-period` is over, after the new one passed its health check; the health check runs again after the revocation. Off by default: an access token expires on its own, and RFC 7009 lets a server drop the whole grant along with it.","grace-period":"How long the replaced value stays valid before `revoke-previous` revokes it. `0` revokes in the same run; otherwise it waits in the secret `<secret-name>_RETIRING` and the first run after it is due revokes it (pass it as `retiring-value`).","retire-when-unused-for":"With `revoke-previous`, for an issuer that reports a version's last use (a GitLab token's `last_used_at`): a due revocation waits until the replaced value has gone unused this long, judged on the issuer's clock, and each run says so while it is still in use. Default: revoke when due.","retiring-value":"The replaced value waiting for its revocation: the secret `<secret-name>_RETIRING`.","audit-log":"Path of the JSON-lines audit file (every lifecycle event, never a value). Default: a file in RUNNER_TEMP.","alert-after":"Failed rotations in a row after which an issue titled \"Token rotation failing: <refresh-token-secret>\" (label `token-rotation`) is opened in the repository running the workflow; each later failure comments on it, and the next success closes it. Needs \"Issues: write\" for `github-token`. `0` turns alerts off.","config":"A configuration file of many credentials: a path relative to the workspace, or the YAML itself. Its schema is config.schema.json; see docs/configuration-file.md. Next to it, only the run-wide inputs (github-token, write-interval, max-concurrency, mode, dry-run, audit-log, credentials) may be set.","credentials":"With `config`: the ids of the credentials to run (commas or newlines); by default every credential of the file.","shards":"With `mode: plan`: how many matrix jobs share the due credentials. Each job's write-interval is multiplied by the number of jobs, so the whole matrix stays within GitHub's write budget.","secrets":"With `config`, where a workflow cannot map each secret into `env` by name (a reusable workflow): a JSON object of secrets, `toJSON(secrets)`. Only the names the file refers to with `{ env: NAME }` are read from it; a variable of the step's environment comes first."};

/** The one place the `recover` command reads its private key: never a flag. */
const RECOVERY_PRIVATE_KEY_ENV = 'TOKEN_ROTATION_RECOVERY_PRIVATE_KEY';
const COMMANDS = ['rotate', 'publish', 'plan', 'recover', 'recovery-keygen', 'help'];
const RUN_FLAGS = ['value-stdin', 'summary', 'report-dir'];
const RECOVER_FLAGS = ['ciphertext'];
/** Input flags: every input but the secrets. */
function inputFlags() {
    return Object.keys(INPUT_DEFAULTS).filter(name => !isSecretInput(name));
}
/** The environment variable(s) a secret input is read from. */
function secretSource(name) {
    return name === 'github-token' ? 'GITHUB_TOKEN (or GH_TOKEN)' : SECRET_INPUTS[name];
}
/** Where the command reads an input: its environment variable(s) for a secret, else its flag. */
function inputSource(name) {
    if (isSecretInput(name))
        return `the environment variable ${secretSource(name)}, never from a flag`;
    return `--${name} or the environment variable INPUT_${name.toUpperCase().replace(/-/g, '_')}`;
}
/**
 * A command line that cannot be run. The message names the flag or the command and never quotes a
 * value or a stray argument: a token pasted into the command line would otherwise land in the log.
 */
function usageError(message) {
    return new ActionError(message, { code: 'invalid-input', phase: 'config' });
}
/** A flag name as typed, if it looks like one; anything else may be a pasted secret. */
function quotable(rawName) {
    return /^--?[a-z][a-z0-9-]{0,29}$/.test(rawName) ? rawName : undefined;
}
/** The flags a secret would have if it had one, and the environment variable it is read from. */
function secretFlags() {
    const flags = new Map(Object.keys(SECRET_INPUTS).map(name => [`--${name}`, secretSource(name)]));
    flags.set('--private-key', RECOVERY_PRIVATE_KEY_ENV);
    flags.set('--recovery-private-key', RECOVERY_PRIVATE_KEY_ENV);
    return flags;
}
/**
 * The first thing wrong with the flags, in words: read from parseArgs' tokens in its lenient mode,
 * so the message can name the flag and, for a secret's would-be flag, its environment variable.
 */
function flagProblem(argv, options) {
    const { tokens } = parseArgs({
        args: [...argv],
        options,
        allowPositionals: true,
        allowNegative: true,
        strict: false,
        tokens: true
    });
    for (const token of tokens) {
        if (token.kind !== 'option')
            continue;
        const spec = options[token.name];
        const negated = token.rawName.startsWith('--no-');
        if (spec === undefined || (negated && spec.type !== 'boolean')) {
            const variable = secretFlags().get(token.rawName);
            if (variable !== undefined) {
                return `${token.rawName} is not a flag, so that no process list or shell history shows the secret; set ${variable}`;
            }
            const name = quotable(token.rawName);
            return name === undefined ? 'unknown option (not repeated here)' : `unknown option ${name}`;
        }
        if (spec.type === 'string') {
            if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
                return `${token.rawName} needs a value (one that starts with - goes as ${token.rawName}=-...)`;
            }
        }
        else if (token.value !== undefined) {
            return `${token.rawName} takes no value`;
        }
    }
    return undefined;
}
/**
 * Parses `token-rotation <command> [flags]`. Each input is read from its flag, else from
 * `INPUT_<NAME>` as on a runner; each secret input only from its environment variable
 * (`SECRET_INPUTS`; the token from GITHUB_TOKEN, else GH_TOKEN).
 * @throws ActionError (`invalid-input`) naming the unknown flag or command in one line, never
 *   quoting a value or a stray argument
 */
function parseCommandLine(argv, env) {
    const options = {
        'value-stdin': { type: 'boolean' },
        summary: { type: 'string' },
        'report-dir': { type: 'string' },
        ciphertext: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' }
    };
    for (const name of inputFlags()) {
        options[name] = { type: name === 'dry-run' ? 'boolean' : 'string' };
    }
    const problem = flagProblem(argv, options);
    if (problem !== undefined)
        throw usageError(problem);
    // `--no-dry-run` overrides INPUT_DRY-RUN=true.
    const { values, positionals } = parseArgs({
        args: [...argv],
        options,
        allowPositionals: true,
        allowNegative: true,
        strict: true
    });
    const [given, ...extra] = positionals;
    if (values.help === true || given === 'help')
        return { command: 'help' };
    if (values.version === true)
        return { command: 'version' };
    const command = COMMANDS.find(name => name === given);
    // Never quote the arguments: a token pasted as a bare argument would land in the CI log.
    const known = `the commands are ${COMMANDS.join(', ')}`;
    if (given === undefined)
        throw usageError(`no command given; ${known}`);
    if (command === undefined)
        throw usageError(`unknown command; ${known}`);
    if (extra.length > 0) {
        throw usageError(`${extra.length} unexpected argument(s) after ${command}; every input is a --flag, and secrets come from the environment`);
    }
    checkFlagsApply(command, Object.keys(values));
    const flag = (name) => {
        const value = values[name];
        return typeof value === 'boolean' ? String(value) : value;
    };
    if (command === 'recovery-keygen' || command === 'help')
        return { command };
    if (command === 'recover') {
        const ciphertext = flag('ciphertext');
        return {
            command,
            privateKey: env[RECOVERY_PRIVATE_KEY_ENV] ?? '',
            ...(ciphertext === undefined ? {} : { ciphertext })
        };
    }
    // An unset CI variable often arrives as an empty string: empty counts as absent throughout.
    const readInput = name => {
        if (name === 'mode' && command === 'plan')
            return 'plan';
        if (name === 'github-token')
            return env.GITHUB_TOKEN || env.GH_TOKEN || '';
        if (isSecretInput(name))
            return env[SECRET_INPUTS[name]] || '';
        // The runner's form keeps the hyphen (INPUT_SECRET-NAME); shells and GitLab allow only
        // underscores, so INPUT_SECRET_NAME is read too.
        const upper = name.toUpperCase();
        return flag(name) || env[`INPUT_${upper}`] || env[`INPUT_${upper.replace(/-/g, '_')}`] || '';
    };
    const summary = flag('summary');
    const reportDir = flag('report-dir');
    return {
        command,
        readInput,
        valueFromStdin: values['value-stdin'] === true,
        ...(summary ? { summaryFile: summary } : {}),
        ...(reportDir ? { reportDir } : {})
    };
}
/** Refuses a flag of another command, rather than ignoring it in silence. */
function checkFlagsApply(command, given) {
    const allowed = command === 'recover' ? RECOVER_FLAGS : command === 'recovery-keygen' ? [] : RUN_FLAGS;
    const runOnly = command === 'rotate' || command === 'publish' || command === 'plan';
    const inputs = inputFlags();
    for (const name of given) {
        if (allowed.includes(name) || (runOnly && inputs.includes(name)))
            continue;
        throw usageError(`--${name} does not apply to ${command}`);
    }
}
/**
 * `printf 'tok\n' | ...` and most minting scripts end their output with a newline that is not part
 * of the secret; like the shell's `$(...)`, drop one (and only one).
 */
function dropFinalNewline(text) {
    return text.replace(/\r?\n$/, '');
}

/** The input an `Invalid input '<name>'` annotation (src/main.ts) is about. */
function invalidInput(title) {
    const name = /^Invalid input '([a-z-]+)'$/.exec(title ?? '')?.[1];
    return name !== undefined && Object.hasOwn(INPUT_DEFAULTS, name) ? name : undefined;
}
/**
 * The collaborators of a run in a terminal or another CI: the log goes to standard error as plain
 * lines, the outputs are collected for one JSON document on standard output, and the summary goes
 * to a file when one is named. No runner masks anything here: the redactor is the only mask, and
 * every line, output and the summary pass through it, escaped as the action's are.
 */
function consoleDeps(options) {
    const outputs = {};
    const summaries = [];
    const errors = [];
    let failed = false;
    const { write } = options;
    const redactor = new Redactor();
    const redact = (text) => redactor.redact(text);
    const debug = options.env.RUNNER_DEBUG === '1' || options.env.TOKEN_ROTATION_DEBUG === '1';
    // Annotation titles repeat what the messages already name (the input or the target): a
    // terminal gets the message alone.
    const titled = (level) => (message) => {
        write(`${level}: ${message}`);
    };
    return {
        readInput: options.readInput,
        env: options.env,
        ...(options.workingDirectory !== undefined
            ? { workingDirectory: options.workingDirectory }
            : {}),
        ...(options.ci ? { ci: options.ci } : {}),
        outputs,
        failed: () => failed,
        summaries,
        errors,
        log: safeLogger({
            debug: message => {
                if (debug)
                    write(`debug: ${message}`);
            },
            info: message => {
                write(message);
            },
            notice: titled('notice'),
            warning: titled('warning'),
            error: (message, properties) => {
                errors.push(message);
                const input = invalidInput(properties?.title);
                const source = input === undefined ? undefined : options.inputSource?.(input);
                // A terminal has no runner to explain where an input comes from: the error says it.
                write(source === undefined
                    ? `error: ${message}`
                    : `error: ${message.replace(/\.?$/, '.')} token-rotation reads ${input ?? ''} from ${source}.`);
            },
            group: async (name, fn) => {
                write(`== ${name}`);
                return fn();
            }
        }, redact, false),
        mask: secret => {
            redactor.add(secret);
        },
        redact,
        setOutput: (name, value) => {
            outputs[name] = redact(value);
        },
        writeSummary: async (markdown) => {
            summaries.push(redact(markdown));
            if (options.summaryFile)
                await appendFile(options.summaryFile, `${redact(markdown)}\n`);
        },
        markFailed: () => {
            failed = true;
        }
    };
}

/** The command's name, as package.json's `bin` installs it. */
const COMMAND_NAME = 'token-rotation';
/** Help lines fit a terminal 100 columns wide. */
const LINE_MAX = 100;
const FLAG_COLUMN = 26;
/** Where the first clause of a flat description ends: a `:` or `;`, or a full stop ending a sentence. */
function clauseEnd(flat, from = 0) {
    let depth = 0;
    let inCode = false;
    for (let i = from; i < flat.length; i++) {
        const char = flat[i];
        if (char === '`')
            inCode = !inCode;
        if (inCode)
            continue;
        if (char === '(')
            depth += 1;
        if (char === ')')
            depth = Math.max(0, depth - 1);
        if (depth > 0)
            continue;
        const next = flat[i + 1];
        if ((char === ':' || char === ';') && next === ' ')
            return i;
        const sentenceEnds = next === undefined || /^ [A-Z`]/.test(flat.slice(i + 1, i + 3));
        if (char === '.' && sentenceEnds && !/\b(e\.g|i\.e)$/.test(flat.slice(0, i)))
            return i;
    }
    return flat.length;
}
/**
 * The first clause of an action.yml description, on one line of at most `max` characters: up to
 * the first full stop, colon or semicolon outside code and parentheses, shortened at a word if
 * still long.
 */
function flagSummary(description, max = LINE_MAX - FLAG_COLUMN - 3) {
    const flat = description.replace(/\s+/g, ' ').trim();
    const first = clauseEnd(flat);
    // "For a JSON secret: the field that ..." says what the flag is only after its colon.
    const qualifier = /^(For|With) /.test(flat) && flat[first] === ':';
    const clause = flat.slice(0, qualifier ? clauseEnd(flat, first + 1) : first);
    if (clause.length <= max)
        return clause;
    const cut = clause.slice(0, max - 1);
    return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max / 2))}…`;
}
/** `message` as one line for standard error, pointing to the help. */
function usageErrorLine(message) {
    return `${COMMAND_NAME}: ${message}. Run '${COMMAND_NAME} --help' for usage.`;
}
/** The help text: the commands, where each secret comes from, and every flag with its meaning. */
function usage(metadata) {
    const column = (left, right, width = 36) => `  ${left.padEnd(width)} ${right}`;
    const flag = (left, right) => column(left, right, FLAG_COLUMN);
    const secrets = Object.keys(SECRET_INPUTS).map(name => column(secretSource(name), name === 'value' ? 'value (or pass --value-stdin)' : name));
    const flags = inputFlags().map(name => {
        const fallback = INPUT_DEFAULTS[name] ? ` (default ${INPUT_DEFAULTS[name]})` : '';
        const room = LINE_MAX - FLAG_COLUMN - 3 - fallback.length;
        return flag(`--${name}`, `${flagSummary(metadata.inputDescriptions[name] ?? '', room)}${fallback}`);
    });
    return [
        `Usage: ${COMMAND_NAME} <command> [flags]`,
        '',
        `The same engine as the GitHub Action, from any CI or a laptop (version ${metadata.version}).`,
        '',
        'Commands:',
        column('rotate', 'rotate and publish, exactly as the action does'),
        column('publish', 'the same run, under the name earlier versions used'),
        column('plan', 'with --config: list due credentials over --shards jobs'),
        column('recover', 'open a recovery ciphertext and print the value'),
        column('recovery-keygen', 'print a new key pair for recovery-public-key'),
        column('help', 'this text (also -h, --help)'),
        '',
        'Secrets come from the environment, never from flags (environment variable, input):',
        ...secrets,
        column(RECOVERY_PRIVATE_KEY_ENV, 'recover: the private key from recovery-keygen'),
        '',
        'Flags of rotate, publish and plan (each can also be set as INPUT_<NAME>, with - or _ in the name;',
        'the action.yml inputs of the same name, described in full in docs/inputs.md):',
        ...flags,
        flag('--no-dry-run', 'Override INPUT_DRY-RUN'),
        flag('--value-stdin', 'Read the value from standard input (one trailing newline is dropped)'),
        flag('--summary FILE', 'Write the Markdown summary to FILE'),
        flag('--report-dir DIR', 'Write summary.md and junit.xml to DIR (or TOKEN_ROTATION_REPORT_DIR;'),
        flag('', 'default in GitLab CI: token-rotation-report in CI_PROJECT_DIR)'),
        '',
        'Flags of recover:',
        flag('--ciphertext BASE64', 'The recovery ciphertext (default: read from standard input)'),
        '',
        'Other flags:',
        flag('-h, --help', 'Print this text'),
        flag('--version', 'Print the version'),
        '',
        'GITHUB_REPOSITORY is the default repository; GITHUB_API_URL the API',
        '(default https://api.github.com).',
        'rotate, publish and plan print the outputs as JSON on standard output and the log on stderr;',
        'recover prints the value alone (with no trailing newline when piped). Exit status 1 when an',
        'input, a target or the recovery failed, 2 for a bad command line.'
    ].join('\n');
}

/** Outputs that hold JSON: a script gets them as values, not as strings to parse again. */
const JSON_OUTPUTS = ['results', 'matrix'];
/**
 * The outputs of one credential's run, which a run of a configuration file sets only when the
 * file runs one credential: its `results` and totals say the same for any number of them.
 */
const CREDENTIAL_OUTPUTS = ['status', 'rotated', 'version', 'expires-at', 'published', 'result'];
/**
 * The run's outputs as one JSON document for standard output, typed as a script wants them:
 * `published` a number, `rotated` a boolean, `result` the per-target array, `results` the
 * per-credential array, `matrix` an object, every other output a string, left out when empty. No
 * output holds a secret (the recovery ciphertext is sealed).
 *
 * A run of a configuration file (`configFile`) prints, in place of one credential's outputs, each
 * credential's entry in `results` and the totals of those entries: `credentials`, how many ended
 * with each status (they add up to `total`), and `targets`, the targets written and failed of
 * all of them. Its shape is the same for one credential as for many.
 *
 * A plan of a file (its `planned` output: the ids it read) runs no credential, so its `results`
 * are empty: `credentials` gives the plan's figures instead, `total` the credentials it read and
 * `due` those in its `due` output (and so in `matrix`).
 */
function outputsJson(outputs, options = {}) {
    const document = options.configFile
        ? fileDocument(outputs)
        : credentialDocument(outputs);
    return `${JSON.stringify(document, null, 2)}\n`;
}
function credentialDocument(outputs) {
    const { published = '0', result = '[]', rotated, ...others } = outputs;
    const document = {
        published: Number(published),
        result: JSON.parse(result)
    };
    if (rotated !== undefined)
        document.rotated = rotated === 'true';
    return { ...document, ...rest(others) };
}
function fileDocument(outputs) {
    const results = JSON.parse(outputs.results ?? '[]');
    const credentials = outputs.planned === undefined
        ? byStatus(results)
        : {
            total: parseList(outputs.planned).length,
            due: parseList(outputs.due ?? '').length
        };
    const sum = (key) => results.reduce((n, r) => n + r[key], 0);
    const others = Object.fromEntries(Object.entries(outputs).filter(([name]) => !CREDENTIAL_OUTPUTS.includes(name)));
    return {
        ...rest(others),
        results,
        credentials,
        targets: { written: sum('published'), failed: sum('failed') }
    };
}
/** How many credentials ended with each status, and their `total`. */
function byStatus(results) {
    const credentials = { total: results.length };
    for (const { status } of results)
        credentials[status] = (credentials[status] ?? 0) + 1;
    return credentials;
}
/** Every output as it is (JSON ones parsed), empty ones left out. */
function rest(outputs) {
    const document = {};
    for (const [name, value] of Object.entries(outputs)) {
        if (value === '')
            continue;
        document[name] = JSON_OUTPUTS.includes(name) ? JSON.parse(value) : value;
    }
    return document;
}

/**
 * `token-rotation recover`: opens a recovery ciphertext with the private key from the environment
 * and prints the value on standard output, which is the point of the command. Every other line
 * goes to standard error and never quotes the key or the ciphertext.
 * @returns the exit status: 0 when the value was printed, 1 otherwise
 */
async function recover(invocation, io) {
    if (invocation.privateKey.trim() === '') {
        io.err(`error: ${RECOVERY_PRIVATE_KEY_ENV} is not set. Set it to the private key that recovery-keygen printed with the recovery-public-key of the run (from your password manager, e.g. read -rs ${RECOVERY_PRIVATE_KEY_ENV} && export ${RECOVERY_PRIVATE_KEY_ENV}); it is never taken as a flag.`);
        return 1;
    }
    let ciphertext = invocation.ciphertext;
    if (ciphertext === undefined) {
        if (io.stdinIsTerminal)
            io.err('Paste the recovery ciphertext, then press Ctrl-D:');
        ciphertext = await io.readStdin();
    }
    let value;
    try {
        value = await openRecovery(fromLogLine(ciphertext), invocation.privateKey, RECOVERY_PRIVATE_KEY_ENV);
    }
    catch (error) {
        // openRecovery's messages never quote the key or the ciphertext; anything else is unexpected.
        const message = error instanceof ActionError ? error.message : `unexpected failure: ${describeError(error)}`;
        io.err(`error: ${message}`);
        return 1;
    }
    // A terminal gets a newline so the prompt does not run into the value; a pipe gets the bytes.
    io.out(io.stdoutIsTerminal ? `${value}\n` : value);
    io.err([
        'Recovered. This may be the only copy of the live credential: store it as the refresh-token secret',
        'now (the secret named by refresh-token-secret), then rerun the rotation. For example:',
        '  token-rotation recover < ciphertext.txt | gh secret set OAUTH_REFRESH_TOKEN --repo owner/repo',
        'Do not leave it in a file, the clipboard or shell history.'
    ].join('\n'));
    return 0;
}
/**
 * The ciphertext out of a whole log line pasted as is (`... recover): <base64>`, perhaps after the
 * runner's timestamp): what follows the last colon. Bare base64 is returned unchanged.
 */
function fromLogLine(text) {
    const logged = /:\s+([A-Za-z0-9+/]+={0,2})\s*$/.exec(text);
    return logged?.[1] ?? text;
}

/**
 * `token-rotation recovery-keygen`: prints a new key pair on standard output, each key on a
 * `name: key` line of its own followed by one line of advice.
 */
async function recoveryKeygen(out) {
    const pair = await generateRecoveryKeyPair();
    out([
        `recovery-public-key: ${pair.publicKey}`,
        '  Set it as the recovery-public-key input. It is not a secret: a variable or the workflow file will do.',
        `${RECOVERY_PRIVATE_KEY_ENV}: ${pair.privateKey}`,
        `  Keep it offline or in a password manager, never beside the ciphertexts in the repository's secrets; recover reads it from ${RECOVERY_PRIVATE_KEY_ENV}.`,
        ''
    ].join('\n'));
}

/**
 * The variables a GitLab job's `id_tokens:` may name for this tool: `TOKEN_ROTATION_ID_TOKEN`, or
 * several, one per audience, as `TOKEN_ROTATION_ID_TOKEN_<ANY>`.
 */
const ID_TOKEN_VARIABLE = 'TOKEN_ROTATION_ID_TOKEN';
/**
 * The job's OpenID Connect token for an audience, where the CI mints them ahead of the job: GitLab
 * puts each `id_tokens:` entry in a variable with a fixed `aud`, while GitHub Actions mints one on
 * request (`core.getIDToken`). This picks, among {@link ID_TOKEN_VARIABLE} and its `_<ANY>` kin,
 * the one whose `aud` claim holds the audience. The claim is read, not verified: it only chooses
 * among the job's own tokens, and the party that receives the token verifies it.
 * @param mask registers each token as a secret before anything can print it
 * @throws ActionError (`invalid-input`) naming the variable to declare, never quoting a token
 */
function idTokenFromEnvironment(env, mask) {
    return audience => {
        const names = Object.keys(env)
            .filter(name => name === ID_TOKEN_VARIABLE || name.startsWith(`${ID_TOKEN_VARIABLE}_`))
            .sort();
        const tokens = names.map(name => env[name]?.trim() ?? '').filter(token => token !== '');
        // Every one of the job's tokens is a bearer credential, the chosen one or not: all are masked
        // before any is used.
        for (const token of tokens)
            mask(token);
        const token = tokens.find(candidate => audiencesOf(candidate).includes(audience));
        if (token !== undefined)
            return Promise.resolve(token);
        const found = names.length === 0
            ? `the job has no ${ID_TOKEN_VARIABLE} variable`
            : `none of ${names.join(', ')} has that aud claim`;
        return Promise.reject(new ActionError(`No OpenID Connect token for the audience ${audience}: ${found}. Declare one in the job: id_tokens: { ${ID_TOKEN_VARIABLE}: { aud: ${audience} } } (GitLab CI), or several as ${ID_TOKEN_VARIABLE}_<NAME>.`, { code: 'invalid-input', phase: 'preflight' }));
    };
}
/** The `aud` claim of a JWT (a string or a list), or none when the token cannot be read. */
function audiencesOf(token) {
    const payload = token.split('.')[1];
    if (payload === undefined)
        return [];
    try {
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        if (typeof claims !== 'object' || claims === null || !('aud' in claims))
            return [];
        const aud = claims.aud;
        if (typeof aud === 'string')
            return [aud];
        return Array.isArray(aud) ? aud.filter((item) => typeof item === 'string') : [];
    }
    catch {
        return [];
    }
}
/** Whether the environment holds an ID token variable of this tool's. */
function hasIdTokenVariable(env) {
    return Object.keys(env).some(name => name === ID_TOKEN_VARIABLE || name.startsWith(`${ID_TOKEN_VARIABLE}_`));
}

/** The suite name GitLab shows each case under (its `classname`). */
const JUNIT_SUITE = 'token-rotation';
const SKIPPED = {
    'not-due': 'not due',
    'not-in-window': 'due, but outside its allowed windows'
};
/**
 * The run as a JUnit XML report, one test case per credential: passed, failed with its reason, or
 * skipped when it was not due. GitLab shows it in the pipeline's Tests tab and in merge requests
 * (`artifacts: reports: junit:`): the suite is the `classname`, the case its `name`, a failure's
 * text its element's content. Every text is redacted before it is escaped.
 * @see https://docs.gitlab.com/ci/testing/unit_test_reports/
 */
function renderJUnit(input) {
    const text = (value) => escapeXml(input.redact(value));
    const cases = input.results.map(result => testCase(result, text));
    if (input.results.length === 0 && input.stopped !== undefined) {
        const reason = `The run stopped before any credential ran: ${input.stopped.join(' ')}`;
        cases.push(`    <testcase classname="${JUNIT_SUITE}" name="run">\n` +
            `      <failure message="${text(firstLine(reason))}" type="stopped">${text(reason)}</failure>\n` +
            `    </testcase>`);
    }
    const failures = input.results.filter(r => r.status === 'failed').length +
        (input.results.length === 0 && input.stopped !== undefined ? 1 : 0);
    const skipped = input.results.filter(r => r.status === 'skipped').length;
    const counts = `tests="${String(cases.length)}" failures="${String(failures)}" errors="0" skipped="${String(skipped)}" time="${seconds(input.durationMs)}"`;
    const properties = [
        `      <property name="run" value="${text(input.runName)}"/>`,
        ...(input.runUrl ? [`      <property name="run_url" value="${text(input.runUrl)}"/>`] : [])
    ];
    return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        `<testsuites name="${JUNIT_SUITE}" ${counts}>`,
        `  <testsuite name="${JUNIT_SUITE}" ${counts} timestamp="${input.startedAt.toISOString()}">`,
        '    <properties>',
        ...properties,
        '    </properties>',
        ...cases,
        '  </testsuite>',
        '</testsuites>',
        ''
    ].join('\n');
}
function testCase(result, text) {
    const open = `    <testcase classname="${JUNIT_SUITE}" name="${text(result.credential)}">`;
    if (result.status === 'failed') {
        const reason = result.error ?? 'failed (see the log)';
        return [
            open,
            `      <failure message="${text(firstLine(reason))}" type="failed">${text(reason)}</failure>`,
            '    </testcase>'
        ].join('\n');
    }
    if (result.status === 'skipped') {
        const why = SKIPPED[result.reason ?? 'not-due'] ?? 'skipped';
        const next = result.next_due ? `; next due ${result.next_due}` : '';
        return [
            open,
            `      <skipped message="${text(why)}">${text(`${why}${next}`)}</skipped>`,
            '    </testcase>'
        ].join('\n');
    }
    const parts = [
        result.status,
        ...(result.version ? [`version ${result.version}`] : []),
        `${String(result.published ?? 0)} target(s) written`
    ];
    return [open, `      <system-out>${text(parts.join(', '))}</system-out>`, '    </testcase>'].join('\n');
}
function firstLine(text) {
    return text.split(/\r?\n/)[0] ?? '';
}
function seconds(ms) {
    return (Math.max(0, ms) / 1000).toFixed(3);
}
/**
 * Text safe in an XML attribute or element: the five entities escaped, and the characters XML 1.0
 * cannot hold at all (C0 controls other than tab, newline and return) dropped.
 */
function escapeXml(text) {
    return (text
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&apos;')
        // eslint-disable-next-line no-control-regex -- matching the controls XML forbids is the point
        .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, ''));
}

/** The environment variable that names the report folder when no `--report-dir` does. */
const REPORT_DIR_ENV = 'TOKEN_ROTATION_REPORT_DIR';
/** The files of the report folder. */
const REPORT_FILES = { summary: 'summary.md', junit: 'junit.xml' };
/**
 * Where the report files go: `--report-dir`, else {@link REPORT_DIR_ENV}, else the CI's own place
 * (`token-rotation-report` in a GitLab job's project directory); none elsewhere. A relative path is
 * the current directory's, as for every path of the command line.
 */
function reportDirectory(flag, env, ci, cwd) {
    const chosen = flag || env[REPORT_DIR_ENV]?.trim() || ci.reportDir;
    return chosen ? resolve(cwd, chosen) : undefined;
}
/**
 * Writes the report folder: `summary.md`, the job summary the action writes, closed by a link to
 * the run, and, for a run of credentials, `junit.xml`, one test case per credential for GitLab's
 * `artifacts: reports: junit:`. Both are redacted again as a whole, in case a value reached them
 * some other way.
 * @returns the paths written
 */
async function writeReportFiles(dir, report, options) {
    const { ci, redact } = options;
    await mkdir(dir, { recursive: true });
    const link = ci.runUrl ? `[${ci.runName}](${ci.runUrl})` : ci.runName;
    const markdown = [...report.summary, '---', '', `Run: ${link}.`, ''].join('\n');
    const summaryPath = join(dir, REPORT_FILES.summary);
    await writeFile(summaryPath, redact(markdown));
    if (!options.junit)
        return [summaryPath];
    const results = parseResults(report.results);
    const xml = renderJUnit({
        results,
        ...(report.failed && results.length === 0 ? { stopped: report.errors } : {}),
        runName: ci.runName,
        ...(ci.runUrl ? { runUrl: ci.runUrl } : {}),
        startedAt: report.startedAt,
        durationMs: report.durationMs,
        redact
    });
    const junitPath = join(dir, REPORT_FILES.junit);
    await writeFile(junitPath, redact(xml));
    return [summaryPath, junitPath];
}
/** The `results` output's entries; none when the run set it to nothing readable. */
function parseResults(text) {
    if (text === undefined || text === '')
        return [];
    try {
        const parsed = JSON.parse(text);
        return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
    }
    catch {
        return [];
    }
}
function isEntry(value) {
    return (typeof value === 'object' &&
        value !== null &&
        'credential' in value &&
        typeof value.credential === 'string' &&
        'status' in value &&
        typeof value.status === 'string');
}

// The command-line entry (`dist/cli.js`): the same run() as the action, for other CI systems and
// local use, and the recovery commands. Like src/index.ts, the only module here with side effects.
const write = (line) => process.stderr.write(`${line}\n`);
const out = (chunk) => process.stdout.write(chunk);
let invocation;
try {
    invocation = parseCommandLine(process.argv.slice(2), process.env);
}
catch (error) {
    // One line: the help is one flag away, and 3 KB of it would bury the one thing that was wrong.
    write(usageErrorLine(describeError(error)));
    process.exitCode = 2;
}
try {
    await dispatch(invocation);
}
catch (error) {
    write(`error: ${describeError(error)}`);
    process.exitCode = 1;
}
/** Runs what the command line asks for; nothing after a usage error. */
async function dispatch(invocation) {
    if (invocation === undefined)
        return;
    switch (invocation.command) {
        case 'help':
            out(`${usage({ version, inputDescriptions })}\n`);
            break;
        case 'version':
            out(`${version}\n`);
            break;
        case 'recovery-keygen':
            await recoveryKeygen(out);
            break;
        case 'recover':
            process.exitCode = await recover(invocation, {
                readStdin: () => text(process.stdin),
                out,
                err: write,
                stdoutIsTerminal: process.stdout.isTTY,
                stdinIsTerminal: process.stdin.isTTY
            });
            break;
        default:
            process.exitCode = await runEngine(invocation);
    }
}
/**
 * `rotate`, `publish` and `plan`: run() with console collaborators; the outputs as JSON on stdout,
 * and the report folder when one is named or the CI has its place (a GitLab job's artifacts).
 */
async function runEngine(invocation) {
    const startedAt = new Date();
    const stdinValue = invocation.valueFromStdin
        ? dropFinalNewline(await text(process.stdin))
        : undefined;
    // Detected once: the lock, the record and the alerts name the run as its report does.
    const ci = detectCi(process.env, process.pid);
    const reportDir = reportDirectory(invocation.reportDir, process.env, ci, process.cwd());
    const readInput = (name) => {
        if (name === 'value' && stdinValue !== undefined)
            return stdinValue;
        const given = invocation.readInput(name);
        // The audit trail goes with the report, where the CI keeps it, unless a path was given.
        if (name === 'audit-log' && given === '' && reportDir !== undefined) {
            return join(reportDir, 'audit.jsonl');
        }
        return given;
    };
    const base = consoleDeps({
        readInput,
        env: process.env,
        write,
        inputSource,
        // A path on a command line is the current directory's, in a GitHub job (GITHUB_WORKSPACE set,
        // perhaps a step's working-directory) as anywhere else.
        workingDirectory: process.cwd(),
        ci,
        ...(invocation.summaryFile ? { summaryFile: invocation.summaryFile } : {})
    });
    // GitLab mints a job's ID tokens ahead, one variable per audience (`id_tokens:`).
    const deps = ci.kind === 'gitlab-ci' || hasIdTokenVariable(process.env)
        ? {
            ...base,
            idToken: idTokenFromEnvironment(process.env, secret => {
                base.mask(secret);
            })
        }
        : base;
    try {
        await run(deps);
    }
    catch (error) {
        // run() reports its own failures; an unforeseen one goes through the run's logger, which
        // redacts every secret the run has seen, like the action's last guard.
        deps.log.error(`token-rotation stopped unexpectedly: ${describeError(error)}`);
        deps.markFailed();
    }
    // A configuration file's run reports per credential, whatever it ran or how it stopped.
    const config = invocation.readInput('config').trim();
    out(outputsJson(deps.outputs, { configFile: config !== '' }));
    if (reportDir !== undefined) {
        try {
            const written = await writeReportFiles(reportDir, {
                summary: deps.summaries,
                results: deps.outputs.results,
                errors: deps.errors,
                failed: deps.failed(),
                startedAt,
                durationMs: Date.now() - startedAt.getTime()
            }, { ci, junit: invocation.command !== 'plan', redact: deps.redact });
            write(`Report: ${written.join(', ')}`);
        }
        catch (error) {
            // The report tells of the work; a folder that cannot be written never undoes the work.
            deps.log.warning(`Could not write the report to ${reportDir}: ${describeError(error)}`);
        }
    }
    return deps.failed() ? 1 : 0;
}
