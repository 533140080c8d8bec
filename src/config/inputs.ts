/**
 * The action's inputs as the code knows them. action.yml is the public contract; a test checks that
 * every name and default here matches it, so the two cannot drift.
 */
export const INPUT_DEFAULTS = {
  'github-token': '',
  'secret-name': '',
  value: '',
  repositories: '',
  environment: '',
  org: '',
  visibility: '',
  'selected-repositories': '',
  'secret-type': 'actions',
  'max-concurrency': '10',
  'write-interval': '1s',
  'dry-run': 'false'
} as const satisfies Record<string, string>

export type InputName = keyof typeof INPUT_DEFAULTS

export type RawInputs = Record<InputName, string>

/** Reads one raw input by its action.yml name; returns '' when it is not set. */
export type InputReader = (name: InputName) => string

/**
 * Reads every input once, trimming whitespace except for `value` (a secret is taken byte for byte)
 * and applying action.yml's defaults, which the runner applies but the CLI and tests do not.
 */
export function readInputs(read: InputReader): RawInputs {
  const raw = {} as RawInputs
  for (const name of Object.keys(INPUT_DEFAULTS) as InputName[]) {
    const given = name === 'value' ? read(name) : read(name).trim()
    raw[name] = given === '' ? INPUT_DEFAULTS[name] : given
  }
  return raw
}
