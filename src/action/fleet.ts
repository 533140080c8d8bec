import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { ActionConfig, ActionContext } from '../config/rotation-config.js'
import { inFileWords, loadConfigFile, type FileCredential } from '../config/file/load.js'
import { keyPathOf, RUN_WIDE_INPUTS } from '../config/file/keys.js'
import { INPUT_DEFAULTS, type InputName, type RawInputs } from '../config/inputs.js'
import { parseList } from '../config/lists.js'
import { parseDuration } from '../duration.js'
import { hasSchedule, scheduleOf, whenDue } from '../engine/due.js'
import {
  ActionError,
  ConfigError,
  ConfigFileError,
  describeError,
  type FileProblem
} from '../errors.js'
import type { ClientCache } from '../providers/provider.js'
import { createClientCache } from './clients.js'
import type { CredentialOptions, RunDeps, RunParts } from '../main.js'
import { resultsJson, resultsTable, type CredentialResult } from '../report/results.js'
import type { WebhookTarget } from '../report/webhook.js'
import { realSleep, systemClock } from './system.js'
import { allowedWindows } from '../schedule/windows.js'

/** What the fleet takes from the entry: the run of one credential, and the report of a stop. */
export interface FleetCallbacks {
  context: ActionContext
  runCredential(
    deps: RunDeps,
    config: ActionConfig,
    parts: RunParts,
    options: CredentialOptions
  ): Promise<CredentialResult>
  reportStop(deps: RunDeps, error: unknown): Promise<void>
}

/** One credential ready to run: its validated configuration. */
interface Prepared {
  id: string
  config: ActionConfig
  webhook?: WebhookTarget
}

/**
 * A run of the credentials of a configuration file (input `config`): the file is read and every
 * credential validated before any request, then each runs in isolation (its own lock, record,
 * health check and alerts), one after the other, sharing one GitHub client so that one limiter
 * paces every write. One that fails never stops the others; the step fails if any failed. The job
 * summary opens with one table of all credentials, then each credential's report.
 * @throws ConfigError or ConfigFileError, before any request, naming every problem
 */
export async function runFleet(
  deps: RunDeps,
  raw: RawInputs,
  parts: RunParts,
  callbacks: FleetCallbacks
): Promise<void> {
  const prepared = await prepare(deps, raw, parts, callbacks.context)
  if (raw.mode === 'plan') {
    await plan(deps, raw, parts, prepared)
    return
  }
  refuseOverBudget(parts, prepared)
  const clients = createClientCache()
  const results: CredentialResult[] = []
  const sections: string[] = []
  let outputs = new Map<string, string>()
  try {
    for (const [index, credential] of prepared.entries()) {
      deps.log.info(
        `Credential ${credential.id} (${String(index + 1)} of ${String(prepared.length)})`
      )
      const own = capture(deps)
      const result = await callbacks.runCredential(own.deps, credential.config, parts, {
        id: credential.id,
        clients,
        ...(credential.webhook ? { webhook: credential.webhook } : {})
      })
      results.push(result)
      sections.push(...own.summary)
      outputs = own.outputs
    }
  } finally {
    await clients.close()
  }
  await deps
    .writeSummary([resultsTable(results), ...sections].join('\n'))
    .catch((error: unknown) => {
      deps.log.warning(`Could not write the job summary: ${String(error)}`)
    })
  // With one credential the outputs of the flat inputs are set too, as a single run sets them.
  if (prepared.length === 1) for (const [name, value] of outputs) deps.setOutput(name, value)
  deps.setOutput('results', resultsJson(results))
  const failed = results.filter(r => r.status === 'failed').map(r => r.credential)
  if (failed.length > 0) {
    deps.log.error(
      `${String(failed.length)} of ${String(results.length)} credentials failed: ${failed.join(', ')}. The others ran to their end; see each one's report above.`,
      { title: 'Token rotation failed' }
    )
    deps.markFailed()
  }
}

/**
 * Reads and checks the file and every credential it runs, turning a flat input's problem back
 * into the file's key path and line: all problems at once, before any request.
 */
async function prepare(
  deps: RunDeps,
  raw: RawInputs,
  parts: RunParts,
  context: ActionContext
): Promise<Prepared[]> {
  const beside = flatInputsBesideConfig(deps)
  if (beside.length > 0) throw new ConfigError(beside)
  const { text, source } = await readSource(raw.config, deps)
  const wanted = parseList(raw.credentials)
  const file = loadConfigFile(text, source, secretEnvironment(deps.env, raw.secrets), wanted)
  for (const credential of file.credentials) {
    for (const secret of credential.secrets) deps.mask(secret)
  }
  const unknown = wanted.filter(id => !file.credentials.some(c => c.id === id))
  if (unknown.length > 0) {
    throw new ConfigError([
      {
        input: 'credentials',
        message: `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in ${source}, which has ${file.credentials.map(c => c.id).join(', ')}`
      }
    ])
  }
  const selected =
    wanted.length === 0 ? file.credentials : file.credentials.filter(c => wanted.includes(c.id))
  const runWide = Object.fromEntries(RUN_WIDE_INPUTS.map(name => [name, raw[name]]))
  // A plan reads each credential as the rotation it plans.
  if (raw.mode === 'plan') runWide.mode = 'rotate'
  const problems: CredentialProblem[] = []
  const prepared: Prepared[] = []
  for (const credential of selected) {
    const inputs: RawInputs = { ...INPUT_DEFAULTS, ...runWide, ...credential.inputs }
    try {
      const config = parts.parseActionConfig(inputs, context, credential.file)
      prepared.push({
        id: credential.id,
        // The windows have no flat input: the file gives them to the configuration directly.
        config: credential.windows
          ? { ...config, windows: allowedWindows(credential.windows) }
          : config,
        ...(credential.webhook ? { webhook: credential.webhook } : {})
      })
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      for (const problem of error.problems) {
        const input = problem.input as InputName
        problems.push({
          id: credential.id,
          problem: RUN_WIDE_INPUTS.includes(input)
            ? { path: '', message: `Input '${input}': ${problem.message}` }
            : { ...credential.locate(input), message: inFileWords(problem.message) }
        })
      }
    }
  }
  problems.push(...sharedRecords(prepared, selected))
  if (problems.length > 0) {
    throw new ConfigFileError(
      source,
      eachOnce(
        problems,
        selected.map(c => c.id)
      )
    )
  }
  return prepared
}

/**
 * Credentials that would keep their rotation records in one place: each would take the other's
 * versions for its own, and revoke the value the other just published. A plan reads every
 * credential, so a matrix never starts with two of them in different jobs.
 */
function sharedRecords(
  prepared: readonly Prepared[],
  credentials: readonly FileCredential[]
): CredentialProblem[] {
  const owners = new Map<string, string>()
  const problems: CredentialProblem[] = []
  for (const { id, config } of prepared) {
    const record = config.store?.record
    if (!record) continue
    const owner = owners.get(record.where)
    if (owner === undefined) {
      owners.set(record.where, id)
      continue
    }
    const at = credentials.find(credential => credential.id === id)?.locate(record.key)
    problems.push({
      id,
      problem: {
        ...(at ?? { path: `credentials.${id}` }),
        message: `keeps its rotation record where credential ${owner} keeps its own (${record.where}): each would take the other's versions for its own; give this one a record of its own`
      }
    })
  }
  return problems
}

/** A problem found while checking one credential. */
interface CredentialProblem {
  id: string
  problem: FileProblem
}

/**
 * Each problem once. A key of `defaults` and a run-wide input are read, and found wrong, for every
 * credential: one line at that key, which names the credentials it is wrong for unless it is
 * wrong for all of them (a default may suit some credentials and not others).
 */
function eachOnce(found: readonly CredentialProblem[], ids: readonly string[]): FileProblem[] {
  const byText = new Map<string, { problem: FileProblem; ids: string[] }>()
  for (const { id, problem } of found) {
    const text = `${problem.path}\n${problem.message}`
    const seen = byText.get(text)
    if (seen) seen.ids.push(id)
    else byText.set(text, { problem, ids: [id] })
  }
  return [...byText.values()].map(({ problem, ids: wrongFor }) => {
    const sharedKey = problem.path === '' || problem.path.startsWith('defaults.')
    if (!sharedKey || wrongFor.length === ids.length) return problem
    const which = `${wrongFor.length === 1 ? 'credential' : 'credentials'} ${wrongFor.join(', ')}`
    return { ...problem, message: `${problem.message} (for ${which})` }
  })
}

/**
 * `mode: plan`: runs nothing. Reads each credential's record to tell which are due, splits those
 * over `shards` matrix jobs, and multiplies each job's write-interval by the number of jobs: jobs
 * on different runners share no limiter, so dividing GitHub's write budget among them is the
 * coordination that needs no server.
 */
async function plan(
  deps: RunDeps,
  raw: RawInputs,
  parts: RunParts,
  prepared: readonly Prepared[]
): Promise<void> {
  const shards = Number(raw.shards)
  if (!Number.isInteger(shards) || shards < 1 || shards > 256) {
    throw new ConfigError([{ input: 'shards', message: 'must be a whole number from 1 to 256' }])
  }
  const clock = deps.clock ?? systemClock
  const rows: PlanRow[] = []
  const clients = createClientCache()
  try {
    for (const credential of prepared) {
      rows.push(await dueRow(deps, parts, credential, clock.now(), clients))
    }
  } finally {
    await clients.close()
  }
  const due = rows.filter(row => row.due).map(row => row.id)
  // The jobs of the matrix write with the one token: each job within the budget is not enough,
  // their sum must be too, or GitHub refuses the later jobs' writes halfway through.
  refuseOverBudget(
    parts,
    prepared.filter(credential => due.includes(credential.id)),
    " The matrix's jobs share the one token's budget, whatever the number of shards."
  )
  const groups = Array.from({ length: Math.min(shards, due.length) }, (_, shard) =>
    due.filter((_, index) => index % shards === shard)
  )
  // The run-wide write-interval, already checked with every credential's configuration.
  const intervalMs = (parseDuration(raw['write-interval']) ?? 0) * Math.max(1, groups.length)
  const matrix = {
    include: groups.map(ids => ({
      credentials: ids.join(','),
      'write-interval': `${String(intervalMs)}ms`
    }))
  }
  deps.setOutput('planned', rows.map(row => row.id).join(','))
  deps.setOutput('due', due.join(','))
  deps.setOutput('matrix', JSON.stringify(matrix))
  deps.setOutput('results', '[]')
  deps.log.info(
    `Plan: ${String(due.length)} of ${String(rows.length)} credentials due, in ${String(groups.length)} matrix job${groups.length === 1 ? '' : 's'}, each writing at most once every ${String(intervalMs)} ms.`
  )
  for (const row of rows) deps.log.info(`  - ${row.id}: ${row.note}`)
  await deps.writeSummary(planTable(rows, groups)).catch((error: unknown) => {
    deps.log.warning(`Could not write the job summary: ${String(error)}`)
  })
}

/**
 * Refuses, before any write, credentials that together write more secrets than the token's hourly
 * budget: GitHub would refuse the rest halfway through.
 */
function refuseOverBudget(parts: RunParts, credentials: readonly Prepared[], why = ''): void {
  const refusal = parts.refusalOf(credentials.map(credential => credential.config))
  if (refusal) {
    throw new ActionError(`${refusal}${why}`, { code: 'invalid-input', phase: 'preflight' })
  }
}

/** One credential in the plan. */
interface PlanRow {
  id: string
  due: boolean
  note: string
}

/**
 * Whether a credential is due, by the engine's own rule ({@link whenDue}) from its record: one
 * read of the store for a credential with a schedule; every other credential is due at each run.
 */
async function dueRow(
  deps: RunDeps,
  parts: RunParts,
  credential: Prepared,
  now: Date,
  clients: ClientCache
): Promise<PlanRow> {
  const { id, config } = credential
  const schedule = scheduleOf(parts.planFrom(config))
  if (!hasSchedule(schedule)) return { id, due: true, note: 'due (no schedule: runs each time)' }
  try {
    const engine = await parts.assembleEngine(config, {
      clients,
      log: deps.log,
      mask: secret => {
        deps.mask(secret)
      },
      clock: deps.clock ?? systemClock,
      sleep: deps.sleep ?? realSleep,
      ...(deps.idToken ? { idToken: deps.idToken } : {}),
      audit: { record: () => undefined },
      onRecoveryCiphertext: () => undefined
    })
    const state = await engine.store?.readState()
    const decision = whenDue(state, schedule, now)
    if (decision.due) {
      return {
        id,
        due: true,
        note: state?.rotatedAt ? `due (last rotated ${state.rotatedAt})` : 'due (never rotated)'
      }
    }
    const at = decision.rotatesAt?.toISOString()
    if (decision.why === 'not-in-window') {
      return {
        id,
        due: false,
        note: at
          ? `due, not in an allowed window; next window opens at ${at}`
          : 'due, but no allowed window opens again'
      }
    }
    const next = decision.next
    const by = next.by === 'expiry' ? ', before its expiry' : ''
    return {
      id,
      due: false,
      note:
        at === undefined
          ? `not due until ${next.at.toISOString()}${by}, and no allowed window opens after it`
          : at === next.at.toISOString()
            ? `not due until ${at}${by}`
            : `not due until ${next.at.toISOString()}${by}; rotated in the window opening at ${at}`
    }
  } catch (error) {
    // Its own job will say what is wrong, in full: the plan runs it rather than hide it.
    deps.log.warning(
      `Could not read the record of ${id}, so it is planned as due: ${describeError(error)}`
    )
    return { id, due: true, note: 'due (its record could not be read)' }
  }
}

function planTable(rows: readonly PlanRow[], groups: readonly string[][]): string {
  const shardOf = (id: string): string => {
    const shard = groups.findIndex(ids => ids.includes(id))
    return shard === -1 ? '' : String(shard + 1)
  }
  return [
    `### 📝 Token rotation plan: ${String(groups.flat().length)} of ${String(rows.length)} credentials due`,
    '',
    '| Credential | Due | Matrix job |',
    '| --- | --- | --- |',
    ...rows.map(row => `| \`${row.id}\` | ${row.note} | ${shardOf(row.id)} |`),
    ''
  ].join('\n')
}

/**
 * Where `{ env: NAME }` is read: the step's environment, else the `secrets` input (a reusable
 * workflow's `toJSON(secrets)`, which it cannot map name by name).
 */
function secretEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  secrets: string
): Readonly<Record<string, string | undefined>> {
  if (secrets.trim() === '') return env
  let parsed: unknown
  try {
    parsed = JSON.parse(secrets)
  } catch {
    parsed = undefined
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    // Never quote it: it is all secrets.
    throw new ConfigError([
      { input: 'secrets', message: 'is not a JSON object; pass toJSON(secrets)' }
    ])
  }
  const fromInput = Object.fromEntries(
    Object.entries(parsed).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string'
    )
  )
  const set = Object.entries(env).filter(([, value]) => value !== undefined && value !== '')
  return { ...fromInput, ...Object.fromEntries(set) }
}

/**
 * The file's text: inline YAML when the input has more than one line, else a path, relative to
 * the workspace for the action and to the current directory for the CLI.
 */
async function readSource(
  input: string,
  deps: Pick<RunDeps, 'env' | 'workingDirectory'>
): Promise<{ text: string; source: string }> {
  if (input.includes('\n')) return { text: input, source: 'the config input' }
  const command = deps.workingDirectory !== undefined
  const path = resolve(deps.workingDirectory ?? deps.env.GITHUB_WORKSPACE ?? process.cwd(), input)
  try {
    return { text: await readFile(path, 'utf8'), source: input }
  } catch (error) {
    // Each entry's own remedy: a command line has no checkout step to forget.
    const remedy = command
      ? 'A relative path is read from the current directory: run the command where the path starts, or give an absolute path.'
      : 'A path is relative to the workspace: check out the repository first (actions/checkout), or give the YAML itself.'
    throw new ConfigError([
      {
        input: 'config',
        message: `cannot read ${input} (${path}): ${error instanceof Error && 'code' in error ? String(error.code) : String(error)}. ${remedy}`
      }
    ])
  }
}

/** Inputs of one credential set next to `config`: the file says those, so they are refused. */
function flatInputsBesideConfig(deps: RunDeps): { input: string; message: string }[] {
  return (Object.keys(INPUT_DEFAULTS) as InputName[])
    .filter(name => !RUN_WIDE_INPUTS.includes(name))
    .filter(name => {
      const given = deps.readInput(name).trim()
      // The runner passes action.yml's defaults as if given: only another value was set.
      return given !== '' && given !== INPUT_DEFAULTS[name]
    })
    .map(name => {
      const key = keyPathOf(name)
      return {
        input: name,
        message: `is set next to config, which describes each credential: ${key ? `set ${key} in the file` : 'remove it'}`
      }
    })
}

/** A credential's own view of the run: its outputs and summary kept for the fleet's report. */
function capture(deps: RunDeps): {
  deps: RunDeps
  outputs: Map<string, string>
  summary: string[]
} {
  const outputs = new Map<string, string>()
  const summary: string[] = []
  return {
    outputs,
    summary,
    deps: {
      ...deps,
      setOutput: (name, value) => {
        outputs.set(name, value)
      },
      writeSummary: markdown => {
        summary.push(markdown)
        return Promise.resolve()
      },
      // The fleet fails the step once every credential has run.
      markFailed: () => undefined
    }
  }
}
