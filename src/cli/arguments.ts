import { parseArgs } from 'node:util'
import {
  INPUT_DEFAULTS,
  SECRET_INPUTS,
  isSecretInput,
  type InputName,
  type InputReader
} from '../config/inputs.js'

/** The one place the `recover` command reads its private key: never a flag. */
export const RECOVERY_PRIVATE_KEY_ENV = 'TOKEN_ROTATION_RECOVERY_PRIVATE_KEY'

/** Runs the engine, as the action does. `publish` is the name earlier versions used. */
export type RunCommand = 'rotate' | 'publish'

/** A run of the engine, as the command line asks for it. */
export interface RunInvocation {
  command: RunCommand
  /** Reads each input from its flag, else the environment; secrets from the environment only. */
  readInput: InputReader
  /** Where to write the job summary (Markdown), if anywhere. */
  summaryFile?: string
  /** Read the value from standard input. */
  valueFromStdin: boolean
}

/** Opening a recovery ciphertext. */
export interface RecoverInvocation {
  command: 'recover'
  /** From `--ciphertext`; absent: read standard input. */
  ciphertext?: string
  /** From {@link RECOVERY_PRIVATE_KEY_ENV}; '' when unset. */
  privateKey: string
}

/** What the command line asks for. */
export type CliInvocation =
  RunInvocation | RecoverInvocation | { command: 'recovery-keygen' } | { command: 'help' }

const COMMANDS = ['rotate', 'publish', 'recover', 'recovery-keygen', 'help'] as const
type Command = (typeof COMMANDS)[number]

const RUN_FLAGS = ['value-stdin', 'summary']
const RECOVER_FLAGS = ['ciphertext']

/** Input flags: every input but the secrets. */
function inputFlags(): InputName[] {
  return (Object.keys(INPUT_DEFAULTS) as InputName[]).filter(name => !isSecretInput(name))
}

/** The environment variable(s) a secret input is read from, for the usage text. */
function secretSource(name: keyof typeof SECRET_INPUTS): string {
  return name === 'github-token' ? 'GITHUB_TOKEN (or GH_TOKEN)' : SECRET_INPUTS[name]
}

/** The usage text: the commands, where each secret comes from, and every flag. */
export function usage(): string {
  const column = (left: string, right: string) => `  ${left.padEnd(36)} ${right}`
  const secrets = (Object.keys(SECRET_INPUTS) as Array<keyof typeof SECRET_INPUTS>).map(name =>
    column(secretSource(name), name === 'value' ? 'value (or pass --value-stdin)' : name)
  )
  const flags = inputFlags().map(
    name => `  --${name}${INPUT_DEFAULTS[name] ? ` (default ${INPUT_DEFAULTS[name]})` : ''}`
  )
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
  ].join('\n')
}

/**
 * Parses `token-rotation <command> [flags]`. Each input is read from its flag, else from
 * `INPUT_<NAME>` as on a runner; each secret input only from its environment variable
 * (`SECRET_INPUTS`; the token from GITHUB_TOKEN, else GH_TOKEN).
 * @throws TypeError naming an unknown flag or command, never quoting an argument
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>
): CliInvocation {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    'value-stdin': { type: 'boolean' },
    summary: { type: 'string' },
    ciphertext: { type: 'string' },
    help: { type: 'boolean' }
  }
  for (const name of inputFlags()) {
    options[name] = { type: name === 'dry-run' ? 'boolean' : 'string' }
  }
  // `--no-dry-run` overrides INPUT_DRY-RUN=true; parseArgs never echoes a flag's value in errors.
  const { values, positionals } = parseArgs({
    args: [...argv],
    options,
    allowPositionals: true,
    allowNegative: true,
    strict: true
  })
  const [given, ...extra] = positionals
  const command = values.help === true ? 'help' : COMMANDS.find(name => name === given)
  if (command === 'help') return { command }
  // Never quote the arguments: a token pasted as a bare argument would land in the CI log.
  const known = `the commands are ${COMMANDS.join(', ')}`
  if (given === undefined) throw new TypeError(`no command given; ${known}`)
  if (command === undefined) throw new TypeError(`unknown command; ${known}`)
  if (extra.length > 0) {
    throw new TypeError(
      `${extra.length} unexpected argument(s) after ${command}; every input is a --flag, and secrets come from the environment`
    )
  }
  checkFlagsApply(command, Object.keys(values))
  const flag = (name: string): string | undefined => {
    const value = values[name]
    return typeof value === 'boolean' ? String(value) : value
  }
  if (command === 'recovery-keygen') return { command }
  if (command === 'recover') {
    const ciphertext = flag('ciphertext')
    return {
      command,
      privateKey: env[RECOVERY_PRIVATE_KEY_ENV] ?? '',
      ...(ciphertext === undefined ? {} : { ciphertext })
    }
  }
  // An unset CI variable often arrives as an empty string: empty counts as absent throughout.
  const readInput: InputReader = name => {
    if (name === 'github-token') return env.GITHUB_TOKEN || env.GH_TOKEN || ''
    if (isSecretInput(name)) return env[SECRET_INPUTS[name]] || ''
    // The runner's form keeps the hyphen (INPUT_SECRET-NAME); shells and GitLab allow only
    // underscores, so INPUT_SECRET_NAME is read too.
    const upper = name.toUpperCase()
    return flag(name) || env[`INPUT_${upper}`] || env[`INPUT_${upper.replace(/-/g, '_')}`] || ''
  }
  const summary = flag('summary')
  return {
    command,
    readInput,
    valueFromStdin: values['value-stdin'] === true,
    ...(summary ? { summaryFile: summary } : {})
  }
}

/** Refuses a flag of another command, rather than ignoring it in silence. */
function checkFlagsApply(command: Command, given: readonly string[]): void {
  const allowed =
    command === 'recover' ? RECOVER_FLAGS : command === 'recovery-keygen' ? [] : RUN_FLAGS
  const runOnly = command === 'rotate' || command === 'publish'
  const inputs: readonly string[] = inputFlags()
  for (const name of given) {
    if (name === 'help' || allowed.includes(name) || (runOnly && inputs.includes(name))) continue
    throw new TypeError(`--${name} does not apply to ${command}; see --help`)
  }
}

/**
 * `printf 'tok\n' | ...` and most minting scripts end their output with a newline that is not part
 * of the secret; like the shell's `$(...)`, drop one (and only one).
 */
export function dropFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '')
}
