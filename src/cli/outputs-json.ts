import { parseList } from '../config/lists.js'

/** Outputs that hold JSON: a script gets them as values, not as strings to parse again. */
const JSON_OUTPUTS = ['results', 'matrix']

/**
 * The outputs of one credential's run, which a run of a configuration file sets only when the
 * file runs one credential: its `results` and totals say the same for any number of them.
 */
const CREDENTIAL_OUTPUTS = ['status', 'rotated', 'version', 'expires-at', 'published', 'result']

/** What the totals read of an entry of the `results` output (src/report/results.ts). */
interface ResultEntry {
  status: string
  published: number
  failed: number
}

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
export function outputsJson(
  outputs: Readonly<Record<string, string>>,
  options: { configFile?: boolean } = {}
): string {
  const document: Record<string, unknown> = options.configFile
    ? fileDocument(outputs)
    : credentialDocument(outputs)
  return `${JSON.stringify(document, null, 2)}\n`
}

function credentialDocument(outputs: Readonly<Record<string, string>>): Record<string, unknown> {
  const { published = '0', result = '[]', rotated, ...others } = outputs
  const document: Record<string, unknown> = {
    published: Number(published),
    result: JSON.parse(result) as unknown
  }
  if (rotated !== undefined) document.rotated = rotated === 'true'
  return { ...document, ...rest(others) }
}

function fileDocument(outputs: Readonly<Record<string, string>>): Record<string, unknown> {
  const results = JSON.parse(outputs.results ?? '[]') as ResultEntry[]
  const credentials: Record<string, number> =
    outputs.planned === undefined
      ? byStatus(results)
      : {
          total: parseList(outputs.planned).length,
          due: parseList(outputs.due ?? '').length
        }
  const sum = (key: 'published' | 'failed') => results.reduce((n, r) => n + r[key], 0)
  const others = Object.fromEntries(
    Object.entries(outputs).filter(([name]) => !CREDENTIAL_OUTPUTS.includes(name))
  )
  return {
    ...rest(others),
    results,
    credentials,
    targets: { written: sum('published'), failed: sum('failed') }
  }
}

/** How many credentials ended with each status, and their `total`. */
function byStatus(results: readonly ResultEntry[]): Record<string, number> {
  const credentials: Record<string, number> = { total: results.length }
  for (const { status } of results) credentials[status] = (credentials[status] ?? 0) + 1
  return credentials
}

/** Every output as it is (JSON ones parsed), empty ones left out. */
function rest(outputs: Readonly<Record<string, string>>): Record<string, unknown> {
  const document: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(outputs)) {
    if (value === '') continue
    document[name] = JSON_OUTPUTS.includes(name) ? (JSON.parse(value) as unknown) : value
  }
  return document
}
