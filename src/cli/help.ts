import { INPUT_DEFAULTS, SECRET_INPUTS, type SecretInputName } from '../config/inputs.js'
import { RECOVERY_PRIVATE_KEY_ENV, inputFlags, secretSource } from './arguments.js'

/** What the help text takes from outside the code, read once at build time (rollup.config.js). */
export interface CliMetadata {
  /** package.json's version. */
  version: string
  /** Each input's description in action.yml, by input name. */
  inputDescriptions: Readonly<Record<string, string>>
}

/** The command's name, as package.json's `bin` installs it. */
export const COMMAND_NAME = 'token-rotation'

/** Help lines fit a terminal 100 columns wide. */
const LINE_MAX = 100
const FLAG_COLUMN = 26

/** Where the first clause of a flat description ends: a `:` or `;`, or a full stop ending a sentence. */
function clauseEnd(flat: string, from = 0): number {
  let depth = 0
  let inCode = false
  for (let i = from; i < flat.length; i++) {
    const char = flat[i]
    if (char === '`') inCode = !inCode
    if (inCode) continue
    if (char === '(') depth += 1
    if (char === ')') depth = Math.max(0, depth - 1)
    if (depth > 0) continue
    const next = flat[i + 1]
    if ((char === ':' || char === ';') && next === ' ') return i
    const sentenceEnds = next === undefined || /^ [A-Z`]/.test(flat.slice(i + 1, i + 3))
    if (char === '.' && sentenceEnds && !/\b(e\.g|i\.e)$/.test(flat.slice(0, i))) return i
  }
  return flat.length
}

/**
 * The first clause of an action.yml description, on one line of at most `max` characters: up to
 * the first full stop, colon or semicolon outside code and parentheses, shortened at a word if
 * still long.
 */
export function flagSummary(description: string, max = LINE_MAX - FLAG_COLUMN - 3): string {
  const flat = description.replace(/\s+/g, ' ').trim()
  const first = clauseEnd(flat)
  // "For a JSON secret: the field that ..." says what the flag is only after its colon.
  const qualifier = /^(For|With) /.test(flat) && flat[first] === ':'
  const clause = flat.slice(0, qualifier ? clauseEnd(flat, first + 1) : first)
  if (clause.length <= max) return clause
  const cut = clause.slice(0, max - 1)
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max / 2))}…`
}

/** `message` as one line for standard error, pointing to the help. */
export function usageErrorLine(message: string): string {
  return `${COMMAND_NAME}: ${message}. Run '${COMMAND_NAME} --help' for usage.`
}

/** The help text: the commands, where each secret comes from, and every flag with its meaning. */
export function usage(metadata: CliMetadata): string {
  const column = (left: string, right: string, width = 36) => `  ${left.padEnd(width)} ${right}`
  const flag = (left: string, right: string) => column(left, right, FLAG_COLUMN)
  const secrets = (Object.keys(SECRET_INPUTS) as SecretInputName[]).map(name =>
    column(secretSource(name), name === 'value' ? 'value (or pass --value-stdin)' : name)
  )
  const flags = inputFlags().map(name => {
    const fallback = INPUT_DEFAULTS[name] ? ` (default ${INPUT_DEFAULTS[name]})` : ''
    const room = LINE_MAX - FLAG_COLUMN - 3 - fallback.length
    return flag(
      `--${name}`,
      `${flagSummary(metadata.inputDescriptions[name] ?? '', room)}${fallback}`
    )
  })
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
    flag(
      '--report-dir DIR',
      'Write summary.md and junit.xml to DIR (or TOKEN_ROTATION_REPORT_DIR;'
    ),
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
  ].join('\n')
}
