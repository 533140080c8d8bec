// What every part of `npm run sandbox` shares: the secrets it knows (masked in all it prints), the
// checks (one line each; a failed one fails the sandbox), how a run is shown, and a workspace with
// a configuration file for runs of the bundled action.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { leaks, type ActionRun } from '../../test-servers/action-runner.js'

/** The GitHub token every local GitHub server of the sandbox accepts. */
export const TOKEN = 'sandbox-token'

/** Every secret value the sandbox knows: masked in everything it prints. */
export const secrets = new Set<string>([TOKEN])
/** The checks that failed, for the last line. */
export const failures: string[] = []

export const MINUTE = 60_000

/** Loaded with `node --import`: the run's clock ahead by SKEWED_CLOCK_MS, as a later job's. */
const SKEWED_CLOCK = fileURLToPath(new URL('../../test-servers/skewed-clock.mjs', import.meta.url))

/** The environment of a run whose clock is `ms` ahead: a job started that much later. */
export function later(ms: number): Record<string, string> {
  return { NODE_OPTIONS: `--import=${SKEWED_CLOCK}`, SKEWED_CLOCK_MS: String(ms) }
}

/** `PATH` with this Node.js first, as a workflow step finds `node`. */
export const NODE_ON_PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`

/** Remembers values to mask (empty ones are ignored). */
export function remember(...values: ReadonlyArray<string | undefined>): void {
  for (const value of values) if (value) secrets.add(value)
}

export function check(ok: boolean, what: string): void {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${what}`)
  if (!ok) failures.push(what)
}

/** One check that no known secret shows anywhere the run printed or wrote. */
export function checkNoLeaks(
  runs: readonly ActionRun[],
  what = 'no secret value in what the run printed or wrote'
): void {
  const found = runs.flatMap(run => [...secrets].flatMap(secret => leaks(run, secret)))
  check(
    found.length === 0,
    `${what}${found.length ? ` (found in ${[...new Set(found)].join(', ')})` : ''}`
  )
}

/** What the runner would show: masks registered, every known secret value replaced by ***. */
export function masked(text: string): string {
  let out = text
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  for (const secret of secrets) if (secret) out = out.split(secret).join('***')
  return out
}

export function prettyJson(text: string): string {
  try {
    return masked(JSON.stringify(JSON.parse(text), null, 2))
  } catch {
    return masked(text)
  }
}

/** A part of the sandbox: a banner, and what it starts. */
export function section(title: string, peers: string): void {
  const rule = '#'.repeat(100)
  console.log(`\n${rule}\n# ${title}\n${rule}\n${peers}\n`)
}

/**
 * A run as the runner shows it: the log, the exit code and outputs, the job summary. `brief`
 * leaves out the outputs and the summary (a later run of a part whose first run showed them).
 */
export function show(title: string, run: ActionRun, options: { brief?: boolean } = {}): void {
  const rule = '='.repeat(100)
  console.log(`${rule}\n${title}\n${rule}`)
  console.log(
    '--- log (what the runner prints; ::add-mask:: lines left out, ::commands:: become annotations) ---'
  )
  process.stdout.write(masked(run.stdout))
  if (run.stderr) process.stdout.write(`--- stderr ---\n${masked(run.stderr)}`)
  if (options.brief) {
    console.log(`--- exit code ${run.exitCode}; results: ${outcomes(run)} ---`)
  } else {
    console.log(`--- exit code ${run.exitCode}; outputs ---`)
    for (const [name, value] of Object.entries(run.outputs))
      console.log(`${name}: ${masked(value)}`)
    console.log('--- job summary ---')
    console.log(masked(run.summary))
  }
}

export function checksFollow(): void {
  console.log('--- checks ---')
}

/** A job's working directory (`GITHUB_WORKSPACE`, `CI_PROJECT_DIR`) with the files given. */
export interface Workspace {
  readonly dir: string
  write(name: string, text: string): Promise<void>
  remove(): Promise<void>
}

export async function makeWorkspace(prefix: string): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), `sandbox-${prefix}-`))
  return {
    dir,
    write: (name, text) => writeFile(join(dir, name), text),
    remove: () => rm(dir, { recursive: true, force: true })
  }
}

/** The statuses of the `results` output, one per credential. */
export function statuses(run: ActionRun): string[] {
  try {
    return (JSON.parse(run.outputs.results ?? '[]') as Array<{ status?: string }>).map(
      result => result.status ?? '?'
    )
  } catch {
    return []
  }
}

/** `app-db rotated, partner-api rotated`: each credential's status, from the `results` output. */
export function outcomes(run: ActionRun): string {
  try {
    const results = JSON.parse(run.outputs.results ?? '[]') as Array<{
      credential?: string
      status?: string
    }>
    return results.map(r => `${r.credential ?? '?'} ${r.status ?? '?'}`).join(', ') || '(none)'
  } catch {
    return '(unreadable)'
  }
}

/** A text field of a KV version as the local Vault holds it ('' when absent or not text). */
export function kvField(
  version: { data: Record<string, unknown> | null } | undefined,
  name: string
): string {
  const value = version?.data?.[name]
  return typeof value === 'string' ? value : ''
}
