import { parseArgs } from 'node:util'
import {
  INPUT_DEFAULTS,
  SECRET_INPUTS,
  isSecretInput,
  type InputName,
  type InputReader,
  type SecretInputName
} from '../config/inputs.js'
import { ActionError } from '../errors.js'

/** The one place the `recover` command reads its private key: never a flag. */
export const RECOVERY_PRIVATE_KEY_ENV = 'TOKEN_ROTATION_RECOVERY_PRIVATE_KEY'

/**
 * Runs the engine, as the action does. `publish` is the name earlier versions used; `plan` is
 * `--mode plan`: with `--config`, which credentials are due, split over `--shards` jobs.
 */
export type RunCommand = 'rotate' | 'publish' | 'plan'

/** A run of the engine, as the command line asks for it. */
export interface RunInvocation {
  command: RunCommand
  /** Reads each input from its flag, else the environment; secrets from the environment only. */
  readInput: InputReader
  /** Where to write the job summary (Markdown), if anywhere. */
  summaryFile?: string
  /** `--report-dir`: the folder of the report files (summary.md, junit.xml). */
  reportDir?: string
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
  | RunInvocation
  | RecoverInvocation
  | { command: 'recovery-keygen' }
  | { command: 'help' }
  | { command: 'version' }

const COMMANDS = ['rotate', 'publish', 'plan', 'recover', 'recovery-keygen', 'help'] as const
type Command = (typeof COMMANDS)[number]

const RUN_FLAGS = ['value-stdin', 'summary', 'report-dir']
const RECOVER_FLAGS = ['ciphertext']

/** Input flags: every input but the secrets. */
export function inputFlags(): InputName[] {
  return (Object.keys(INPUT_DEFAULTS) as InputName[]).filter(name => !isSecretInput(name))
}

/** The environment variable(s) a secret input is read from. */
export function secretSource(name: SecretInputName): string {
  return name === 'github-token' ? 'GITHUB_TOKEN (or GH_TOKEN)' : SECRET_INPUTS[name]
}

/** Where the command reads an input: its environment variable(s) for a secret, else its flag. */
export function inputSource(name: InputName): string {
  if (isSecretInput(name))
    return `the environment variable ${secretSource(name)}, never from a flag`
  return `--${name} or the environment variable INPUT_${name.toUpperCase().replace(/-/g, '_')}`
}

/**
 * A command line that cannot be run. The message names the flag or the command and never quotes a
 * value or a stray argument: a token pasted into the command line would otherwise land in the log.
 */
function usageError(message: string): ActionError {
  return new ActionError(message, { code: 'invalid-input', phase: 'config' })
}

/** A flag name as typed, if it looks like one; anything else may be a pasted secret. */
function quotable(rawName: string): string | undefined {
  return /^--?[a-z][a-z0-9-]{0,29}$/.test(rawName) ? rawName : undefined
}

/** The flags a secret would have if it had one, and the environment variable it is read from. */
function secretFlags(): Map<string, string> {
  const flags = new Map<string, string>(
    (Object.keys(SECRET_INPUTS) as SecretInputName[]).map(name => [`--${name}`, secretSource(name)])
  )
  flags.set('--private-key', RECOVERY_PRIVATE_KEY_ENV)
  flags.set('--recovery-private-key', RECOVERY_PRIVATE_KEY_ENV)
  return flags
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>

/**
 * The first thing wrong with the flags, in words: read from parseArgs' tokens in its lenient mode,
 * so the message can name the flag and, for a secret's would-be flag, its environment variable.
 */
function flagProblem(argv: readonly string[], options: OptionSpec): string | undefined {
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    allowPositionals: true,
    allowNegative: true,
    strict: false,
    tokens: true
  })
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const spec = options[token.name]
    const negated = token.rawName.startsWith('--no-')
    if (spec === undefined || (negated && spec.type !== 'boolean')) {
      const variable = secretFlags().get(token.rawName)
      if (variable !== undefined) {
        return `${token.rawName} is not a flag, so that no process list or shell history shows the secret; set ${variable}`
      }
      const name = quotable(token.rawName)
      return name === undefined ? 'unknown option (not repeated here)' : `unknown option ${name}`
    }
    if (spec.type === 'string') {
      if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
        return `${token.rawName} needs a value (one that starts with - goes as ${token.rawName}=-...)`
      }
    } else if (token.value !== undefined) {
      return `${token.rawName} takes no value`
    }
  }
  return undefined
}

/**
 * Parses `token-rotation <command> [flags]`. Each input is read from its flag, else from
 * `INPUT_<NAME>` as on a runner; each secret input only from its environment variable
 * (`SECRET_INPUTS`; the token from GITHUB_TOKEN, else GH_TOKEN).
 * @throws ActionError (`invalid-input`) naming the unknown flag or command in one line, never
 *   quoting a value or a stray argument
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>
): CliInvocation {
  const options: OptionSpec = {
    'value-stdin': { type: 'boolean' },
    summary: { type: 'string' },
    'report-dir': { type: 'string' },
    ciphertext: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' }
  }
  for (const name of inputFlags()) {
    options[name] = { type: name === 'dry-run' ? 'boolean' : 'string' }
  }
  const problem = flagProblem(argv, options)
  if (problem !== undefined) throw usageError(problem)
  // `--no-dry-run` overrides INPUT_DRY-RUN=true.
  const { values, positionals } = parseArgs({
    args: [...argv],
    options,
    allowPositionals: true,
    allowNegative: true,
    strict: true
  })
  const [given, ...extra] = positionals
  if (values.help === true || given === 'help') return { command: 'help' }
  if (values.version === true) return { command: 'version' }
  const command = COMMANDS.find(name => name === given)
  // Never quote the arguments: a token pasted as a bare argument would land in the CI log.
  const known = `the commands are ${COMMANDS.join(', ')}`
  if (given === undefined) throw usageError(`no command given; ${known}`)
  if (command === undefined) throw usageError(`unknown command; ${known}`)
  if (extra.length > 0) {
    throw usageError(
      `${extra.length} unexpected argument(s) after ${command}; every input is a --flag, and secrets come from the environment`
    )
  }
  checkFlagsApply(command, Object.keys(values))
  const flag = (name: string): string | undefined => {
    const value = values[name]
    return typeof value === 'boolean' ? String(value) : value
  }
  if (command === 'recovery-keygen' || command === 'help') return { command }
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
    if (name === 'mode' && command === 'plan') return 'plan'
    if (name === 'github-token') return env.GITHUB_TOKEN || env.GH_TOKEN || ''
    if (isSecretInput(name)) return env[SECRET_INPUTS[name]] || ''
    // The runner's form keeps the hyphen (INPUT_SECRET-NAME); shells and GitLab allow only
    // underscores, so INPUT_SECRET_NAME is read too.
    const upper = name.toUpperCase()
    return flag(name) || env[`INPUT_${upper}`] || env[`INPUT_${upper.replace(/-/g, '_')}`] || ''
  }
  const summary = flag('summary')
  const reportDir = flag('report-dir')
  return {
    command,
    readInput,
    valueFromStdin: values['value-stdin'] === true,
    ...(summary ? { summaryFile: summary } : {}),
    ...(reportDir ? { reportDir } : {})
  }
}

/** Refuses a flag of another command, rather than ignoring it in silence. */
function checkFlagsApply(command: Command, given: readonly string[]): void {
  const allowed =
    command === 'recover' ? RECOVER_FLAGS : command === 'recovery-keygen' ? [] : RUN_FLAGS
  const runOnly = command === 'rotate' || command === 'publish' || command === 'plan'
  const inputs: readonly string[] = inputFlags()
  for (const name of given) {
    if (allowed.includes(name) || (runOnly && inputs.includes(name))) continue
    throw usageError(`--${name} does not apply to ${command}`)
  }
}

/**
 * `printf 'tok\n' | ...` and most minting scripts end their output with a newline that is not part
 * of the secret; like the shell's `$(...)`, drop one (and only one).
 */
export function dropFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '')
}
