#!/usr/bin/env node
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { S as SECRET_INPUTS, I as INPUT_DEFAULTS, i as isSecretInput, o as openRecovery, g as generateRecoveryKeyPair, r as run } from './chunks/main-B9khYFy3.js';
import { appendFile } from 'node:fs/promises';
import { A as ActionError, d as describeError } from './chunks/fingerprint-B6gmnTa9.js';
import 'node:timers/promises';
import 'node:crypto';
import 'node:assert';
import 'node:net';
import 'node:http';
import 'node:stream';
import 'node:buffer';
import 'node:querystring';
import 'node:events';
import 'node:diagnostics_channel';
import 'node:tls';
import 'node:zlib';
import 'node:perf_hooks';
import 'node:util/types';
import 'node:worker_threads';
import 'node:url';
import 'node:async_hooks';
import 'node:console';
import 'node:dns';
import 'string_decoder';
import 'node:os';
import 'node:path';
import 'node:fs';

/** The one place the `recover` command reads its private key: never a flag. */
const RECOVERY_PRIVATE_KEY_ENV = 'TOKEN_ROTATION_RECOVERY_PRIVATE_KEY';
const COMMANDS = ['rotate', 'publish', 'recover', 'recovery-keygen', 'help'];
const RUN_FLAGS = ['value-stdin', 'summary'];
const RECOVER_FLAGS = ['ciphertext'];
/** Input flags: every input but the secrets. */
function inputFlags() {
    return Object.keys(INPUT_DEFAULTS).filter(name => !isSecretInput(name));
}
/** The environment variable(s) a secret input is read from, for the usage text. */
function secretSource(name) {
    return name === 'github-token' ? 'GITHUB_TOKEN (or GH_TOKEN)' : SECRET_INPUTS[name];
}
/** The usage text: the commands, where each secret comes from, and every flag. */
function usage() {
    const column = (left, right) => `  ${left.padEnd(36)} ${right}`;
    const secrets = Object.keys(SECRET_INPUTS).map(name => column(secretSource(name), name === 'value' ? 'value (or pass --value-stdin)' : name));
    const flags = inputFlags().map(name => `  --${name}${INPUT_DEFAULTS[name] ? ` (default ${INPUT_DEFAULTS[name]})` : ''}`);
    return [
        'Usage: token-rotation <command> [flags]',
        '',
        'The same engine as the GitHub Action, from any CI or a laptop.',
        '',
        'Commands:',
        column('rotate', 'rotate and publish, exactly as the action does'),
        column('publish', 'the same run, under the name earlier versions used'),
        column('recover', 'open a recovery ciphertext and print the value'),
        column('recovery-keygen', 'print a new key pair for recovery-public-key'),
        column('help', 'this text'),
        '',
        'Secrets come from the environment, never from flags (environment variable, input):',
        ...secrets,
        column(RECOVERY_PRIVATE_KEY_ENV, 'recover: the private key from recovery-keygen'),
        '',
        'Flags of rotate and publish (each can also be set as INPUT_<NAME>, with - or _ in the name):',
        ...flags,
        '  --no-dry-run                 override INPUT_DRY-RUN',
        '  --value-stdin                read the value from standard input (one trailing newline is dropped)',
        '  --summary FILE               write the Markdown summary to FILE',
        '',
        'Flags of recover:',
        '  --ciphertext BASE64          the recovery ciphertext (default: read from standard input)',
        '',
        'GITHUB_REPOSITORY is the default repository; GITHUB_API_URL the API (default https://api.github.com).',
        'rotate and publish print the outputs as JSON on standard output; recover prints the value alone',
        '(with no trailing newline when piped). Exit status 1 when an input, a target or the recovery',
        'failed, 2 for a bad command line.'
    ].join('\n');
}
/**
 * Parses `token-rotation <command> [flags]`. Each input is read from its flag, else from
 * `INPUT_<NAME>` as on a runner; each secret input only from its environment variable
 * (`SECRET_INPUTS`; the token from GITHUB_TOKEN, else GH_TOKEN).
 * @throws TypeError naming an unknown flag or command, never quoting an argument
 */
function parseCommandLine(argv, env) {
    const options = {
        'value-stdin': { type: 'boolean' },
        summary: { type: 'string' },
        ciphertext: { type: 'string' },
        help: { type: 'boolean' }
    };
    for (const name of inputFlags()) {
        options[name] = { type: name === 'dry-run' ? 'boolean' : 'string' };
    }
    // `--no-dry-run` overrides INPUT_DRY-RUN=true; parseArgs never echoes a flag's value in errors.
    const { values, positionals } = parseArgs({
        args: [...argv],
        options,
        allowPositionals: true,
        allowNegative: true,
        strict: true
    });
    const [given, ...extra] = positionals;
    const command = values.help === true ? 'help' : COMMANDS.find(name => name === given);
    if (command === 'help')
        return { command };
    // Never quote the arguments: a token pasted as a bare argument would land in the CI log.
    const known = `the commands are ${COMMANDS.join(', ')}`;
    if (given === undefined)
        throw new TypeError(`no command given; ${known}`);
    if (command === undefined)
        throw new TypeError(`unknown command; ${known}`);
    if (extra.length > 0) {
        throw new TypeError(`${extra.length} unexpected argument(s) after ${command}; every input is a --flag, and secrets come from the environment`);
    }
    checkFlagsApply(command, Object.keys(values));
    const flag = (name) => {
        const value = values[name];
        return typeof value === 'boolean' ? String(value) : value;
    };
    if (command === 'recovery-keygen')
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
    return {
        command,
        readInput,
        valueFromStdin: values['value-stdin'] === true,
        ...(summary ? { summaryFile: summary } : {})
    };
}
/** Refuses a flag of another command, rather than ignoring it in silence. */
function checkFlagsApply(command, given) {
    const allowed = command === 'recover' ? RECOVER_FLAGS : command === 'recovery-keygen' ? [] : RUN_FLAGS;
    const runOnly = command === 'rotate' || command === 'publish';
    const inputs = inputFlags();
    for (const name of given) {
        if (name === 'help' || allowed.includes(name) || (runOnly && inputs.includes(name)))
            continue;
        throw new TypeError(`--${name} does not apply to ${command}; see --help`);
    }
}
/**
 * `printf 'tok\n' | ...` and most minting scripts end their output with a newline that is not part
 * of the secret; like the shell's `$(...)`, drop one (and only one).
 */
function dropFinalNewline(text) {
    return text.replace(/\r?\n$/, '');
}

/**
 * The collaborators of a run in a terminal or another CI: the log goes to standard error as plain
 * lines, the outputs are collected for one JSON document on standard output, and the summary goes
 * to a file when one is named. Masking has no meaning here: nothing the run prints holds a secret.
 */
function consoleDeps(options) {
    const outputs = {};
    let failed = false;
    const { write } = options;
    const debug = options.env.RUNNER_DEBUG === '1' || options.env.TOKEN_ROTATION_DEBUG === '1';
    // Annotation titles repeat what the messages already name (the input or the target): a
    // terminal gets the message alone.
    const titled = (level) => (message) => {
        write(`${level}: ${message}`);
    };
    return {
        readInput: options.readInput,
        env: options.env,
        outputs,
        failed: () => failed,
        log: {
            debug: message => {
                if (debug)
                    write(`debug: ${message}`);
            },
            info: message => {
                write(message);
            },
            notice: titled('notice'),
            warning: titled('warning'),
            error: titled('error'),
            group: async (name, fn) => {
                write(`== ${name}`);
                return fn();
            }
        },
        mask: () => undefined,
        setOutput: (name, value) => {
            outputs[name] = value;
        },
        writeSummary: async (markdown) => {
            if (options.summaryFile)
                await appendFile(options.summaryFile, `${markdown}\n`);
        },
        markFailed: () => {
            failed = true;
        }
    };
}

/**
 * The run's outputs as one JSON document for standard output, typed as a script wants them:
 * `published` a number, `rotated` a boolean, `result` the per-target array, every other output a
 * string, left out when empty. No output holds a secret (the recovery ciphertext is sealed).
 */
function outputsJson(outputs) {
    const { published = '0', result = '[]', rotated, ...others } = outputs;
    const document = {
        published: Number(published),
        result: JSON.parse(result)
    };
    if (rotated !== undefined)
        document.rotated = rotated === 'true';
    for (const [name, value] of Object.entries(others)) {
        if (value !== '')
            document[name] = value;
    }
    return `${JSON.stringify(document, null, 2)}\n`;
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

// The command-line entry (`dist/cli.js`): the same run() as the action, for other CI systems and
// local use, and the recovery commands. Like src/index.ts, the only module here with side effects.
const write = (line) => process.stderr.write(`${line}\n`);
const out = (chunk) => process.stdout.write(chunk);
try {
    const invocation = parseCommandLine(process.argv.slice(2), process.env);
    switch (invocation.command) {
        case 'help':
            write(usage());
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
catch (error) {
    write(`error: ${describeError(error)}\n\n${usage()}`);
    process.exitCode = 2;
}
/** `rotate` and `publish`: run() with console collaborators; the outputs as JSON on stdout. */
async function runEngine(invocation) {
    const stdinValue = invocation.valueFromStdin
        ? dropFinalNewline(await text(process.stdin))
        : undefined;
    const deps = consoleDeps({
        readInput: name => name === 'value' && stdinValue !== undefined ? stdinValue : invocation.readInput(name),
        env: process.env,
        write,
        ...(invocation.summaryFile ? { summaryFile: invocation.summaryFile } : {})
    });
    await run(deps);
    out(outputsJson(deps.outputs));
    return deps.failed() ? 1 : 0;
}
