import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parse } from 'yaml'
import { parseList } from '../config/lists.js'

/**
 * How many credentials a plan of a configuration file read: those named in `credentials`, else
 * every credential of the file, as the run selects them (src/action/fleet.ts). The plan's outputs
 * name only the due ones (`due`, `matrix`), so the total is counted from the file the plan read:
 * inline YAML when `config` has more than one line, else a path from `workingDirectory`.
 *
 * Call it once the plan is done: the file was read and checked then, so every credential named in
 * `credentials` is in it. Undefined when the file cannot be read again.
 */
export async function plannedCredentials(
  config: string,
  credentials: string,
  workingDirectory: string
): Promise<number | undefined> {
  try {
    const text = config.includes('\n')
      ? config
      : await readFile(resolve(workingDirectory, config), 'utf8')
    const file = parse(text) as { credentials?: unknown } | null
    const all = file?.credentials
    if (typeof all !== 'object' || all === null) return undefined
    const wanted = parseList(credentials)
    const ids = Object.keys(all)
    return wanted.length === 0 ? ids.length : ids.filter(id => wanted.includes(id)).length
  } catch {
    return undefined
  }
}
