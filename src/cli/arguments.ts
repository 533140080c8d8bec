import { parseArgs } from 'node:util'
import { INPUT_DEFAULTS, type InputName, type InputReader } from '../config/inputs.js'

/** Inputs that hold secrets: never taken from the command line, where `ps` and shell history show them. */
const SECRET_INPUTS: readonly InputName[] = ['value', 'github-token']

/** What the command line asks for. */
export interface CliInvocation {
  command: 'publish' | 'help'
  /** Reads each input from its flag, else the environment. */
  readInput: InputReader
  /** Where to write the job summary (Markdown), if anywhere. */
  summaryFile?: string
  /** Read the value from standard input. */
  valueFromStdin: boolean
}

/** The usage text, listing every flag. */
export function usage(): string {
  const flags = (Object.keys(INPUT_DEFAULTS) as InputName[])
    .filter(name => !SECRET_INPUTS.includes(name))
    .map(name => `  --${name}${INPUT_DEFAULTS[name] ? ` (default ${INPUT_DEFAULTS[name]})` : ''}`)
  return [
    'Usage: token-rotation publish [flags]',
    '',
    'Publishes a value as GitHub secrets, exactly as the GitHub Action does, from any CI or a laptop.',
    '',
    'Secrets come from the environment, never from flags:',
    '  GITHUB_TOKEN (or GH_TOKEN)   a token that can write the secrets',
    '  TOKEN_ROTATION_VALUE         the value to publish (or pass --value-stdin)',
    '',
    'Flags (each can also be set as INPUT_<NAME>, with - or _ in the name):',
    ...flags,
    '  --no-dry-run                 override INPUT_DRY-RUN',
    '  --value-stdin                read the value from standard input (one trailing newline is dropped)',
    '  --summary FILE               write the Markdown summary to FILE',
    '',
    'GITHUB_REPOSITORY is the default repository; GITHUB_API_URL the API (default https://api.github.com).',
    'Prints the outputs as JSON on standard output; exits 1 when an input or a target failed,',
    '2 for a bad command line.'
  ].join('\n')
}

/**
 * Parses `token-rotation <command> [flags]`. Each input is read from its flag, else from
 * `INPUT_<NAME>` as on a runner; the token from GITHUB_TOKEN or GH_TOKEN; the value from
 * TOKEN_ROTATION_VALUE (or standard input, read by the caller).
 * @throws TypeError naming an unknown flag or command
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>
): CliInvocation {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    'value-stdin': { type: 'boolean' },
    summary: { type: 'string' },
    help: { type: 'boolean' }
  }
  for (const name of Object.keys(INPUT_DEFAULTS) as InputName[]) {
    if (!SECRET_INPUTS.includes(name))
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
  const [command, ...extra] = positionals
  if (values.help === true || command === 'help') {
    return { command: 'help', readInput: () => '', valueFromStdin: false }
  }
  // Never quote the arguments: a token pasted as a bare argument would land in the CI log.
  if (command === undefined) throw new TypeError('no command given; the command is publish')
  if (command !== 'publish') throw new TypeError('unknown command; the command is publish')
  if (extra.length > 0) {
    throw new TypeError(
      `${extra.length} unexpected argument(s) after publish; every input is a --flag, and secrets come from the environment`
    )
  }
  const flag = (name: string): string | undefined => {
    const value = values[name]
    return typeof value === 'boolean' ? String(value) : value
  }
  // An unset CI variable often arrives as an empty string: empty counts as absent throughout.
  const readInput: InputReader = name => {
    if (name === 'github-token') return env.GITHUB_TOKEN || env.GH_TOKEN || ''
    if (name === 'value') return env.TOKEN_ROTATION_VALUE || ''
    // The runner's form keeps the hyphen (INPUT_SECRET-NAME); shells and GitLab allow only
    // underscores, so INPUT_SECRET_NAME is read too.
    const upper = name.toUpperCase()
    return flag(name) || env[`INPUT_${upper}`] || env[`INPUT_${upper.replace(/-/g, '_')}`] || ''
  }
  const summary = flag('summary')
  return {
    command: 'publish',
    readInput,
    valueFromStdin: values['value-stdin'] === true,
    ...(summary ? { summaryFile: summary } : {})
  }
}

/**
 * `printf 'tok\n' | ...` and most minting scripts end their output with a newline that is not part
 * of the secret; like the shell's `$(...)`, drop one (and only one).
 */
export function dropFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '')
}
