import { DEFAULT_PERSIST_TIMEOUT_MS, persistWithRetries } from '../../engine/persist-retries.js'
import type { Clock, Sleep, Store, WriteOptions } from '../../engine/ports.js'
import { rotationStateSchema, type RotationState } from '../../engine/state.js'
import { ActionError, type Phase } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { maskProblem } from './rules.js'
import type { OwnerVariables } from './variables.js'

/** What the GitLab store runs on. */
export interface GitLabStoreOptions {
  variables: OwnerVariables
  /** The variable that holds the credential (masked and hidden). */
  variable: string
  /** The variable that holds the write-ahead record. */
  stateVariable: string
  /** Whether the credential's variable is created protected (exposed to protected refs only). */
  protected: boolean
  /** How long {@link Store.persist} may take in all, retries included (default 2m). */
  persistTimeoutMs?: number
  /** The client's request timeout: the longest one persist attempt takes. */
  requestTimeoutMs?: number
  log: Logger
  clock: Clock
  sleep: Sleep
}

/** Largest record written: well within what GitLab keeps in a variable, and what a job can take. */
export const MAX_RECORD_BYTES = 48 * 1024

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/**
 * The store in GitLab CI/CD variables of a project or group: the credential (an OAuth2 refresh
 * token) in a masked, hidden variable, the write-ahead record (fingerprints and times, never a
 * value) in a second one, `<variable>_STATE`; the one-writer lock is a third
 * ({@link createGitLabLock}). The record is the GitHub store's, in the same format, so DESIGN.md's
 * write-ahead table holds as it is.
 *
 * A hidden variable's value is never shown again, not even to the API: the run gets the credential
 * from the job's environment (GitLab exposes the variable to the job), as the GitHub store gets its
 * secret from the workflow.
 *
 * Requests per call, when nothing fails: `readState` 1, `writeState` 1 (2 for the first record),
 * `check` 1 (2 for a variable still to create), `persist` 1.
 * @see https://docs.gitlab.com/ci/variables/#hide-a-cicd-variable
 */
export function createGitLabStore(options: GitLabStoreOptions): Store {
  const { variables, variable, stateVariable, log } = options
  const timeoutMs = options.persistTimeoutMs ?? DEFAULT_PERSIST_TIMEOUT_MS
  const where = `variable ${variable} of ${variables.label}`
  return {
    kind: 'gitlab-variable',
    description: where,
    resetHint: `delete the rotation record, the variable ${stateVariable} of ${variables.label} (Settings > CI/CD > Variables, or glab variable delete ${stateVariable})`,
    readState: () => readState(options),
    writeState: (next, write) => writeState(options, next, write),
    check: async current => {
      const found = await variables.read(variable, 'preflight')
      if (found !== undefined && !found.masked) {
        throw new ActionError(
          `The ${where} is not masked: the refresh token it holds would show in job logs. Delete it (the store creates it masked and hidden, with the value this run is given), or mark it masked in GitLab, then run again.`,
          { code: 'invalid-input', phase: 'preflight' }
        )
      }
      await writeValue(options, current, 'preflight', found !== undefined)
    },
    persistTimeoutMs: timeoutMs,
    persist: value =>
      persistWithRetries({
        // One request per attempt: the loop retries within the budget, the client does not.
        write: () => writeValue(options, value, 'persist', true),
        where,
        timeoutMs,
        attemptMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        clock: options.clock,
        sleep: options.sleep,
        log
      })
  }
}

/**
 * Writes the credential: an update, or a create (masked and hidden) when the variable does not
 * exist. Idempotent: every attempt writes the same value.
 */
async function writeValue(
  options: GitLabStoreOptions,
  value: string,
  phase: Phase,
  exists: boolean
): Promise<void> {
  const { variables, variable } = options
  // Never expanded (raw): any character but whitespace can be masked, and GitLab refuses others.
  const why = maskProblem(value, true)
  if (why) {
    throw new ActionError(
      `GitLab cannot mask the ${phase === 'persist' ? 'new ' : ''}credential for the variable ${variable} of ${variables.label}: ${why}. A hidden variable must be masked, so it was not written.`,
      { code: phase === 'persist' ? 'persist-failed' : 'invalid-input', phase }
    )
  }
  if (exists && (await variables.update(variable, value, phase, { once: true }))) return
  const settings = { hidden: true, protected: options.protected }
  if (await variables.create(variable, value, settings, phase)) return
  // Created meanwhile (or by an earlier attempt whose answer was lost): update it.
  if (await variables.update(variable, value, phase, { once: true })) return
  throw new ActionError(
    `Writing the variable ${variable} of ${variables.label} failed: it was created and deleted again while this run wrote it. Check what else writes that variable, then run again.`,
    { code: 'gitlab-rejected', phase, retryable: true }
  )
}

async function readState(options: GitLabStoreOptions): Promise<RotationState | undefined> {
  const { variables, stateVariable } = options
  const found = await variables.read(stateVariable, 'preflight')
  if (found === undefined) return undefined
  if (found.value === null) throw invalid(options, 'it is hidden, so its value cannot be read')
  let json: unknown
  try {
    json = JSON.parse(found.value)
  } catch {
    throw invalid(options, 'it is not JSON')
  }
  const parsed = rotationStateSchema.safeParse(json)
  if (parsed.success) return parsed.data
  const fields = [...new Set(parsed.error.issues.map(issue => issue.path.join('.') || '(all)'))]
  throw invalid(options, `missing or invalid: ${fields.join(', ')}`)
}

/**
 * Replaces the record: an update, or a create when it does not exist yet (readable: it holds no
 * value). A create that loses a race with another writer's create falls back to an update.
 */
async function writeState(
  options: GitLabStoreOptions,
  state: RotationState,
  write: WriteOptions = {}
): Promise<void> {
  const { variables, stateVariable } = options
  // Parsing drops any field the schema does not know, so nothing but fingerprints and times is
  // written, and never a record the next run would refuse to read.
  const parsed = rotationStateSchema.safeParse(state)
  if (!parsed.success) {
    throw new ActionError(
      `The rotation record to write to variable ${stateVariable} of ${variables.label} is not valid (${parsed.error.issues.map(issue => issue.path.join('.')).join(', ')}); nothing was written.`,
      { code: 'internal', phase: 'persist' }
    )
  }
  const text = JSON.stringify(parsed.data)
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > MAX_RECORD_BYTES) {
    throw new ActionError(
      `The rotation record is ${bytes} bytes, more than the ${MAX_RECORD_BYTES} bytes this store writes to a variable; variable ${stateVariable} of ${variables.label} was left as it was.`,
      { code: 'state-invalid', phase: 'persist' }
    )
  }
  const send = write.signal ? { signal: write.signal } : {}
  if (await variables.update(stateVariable, text, 'persist', send)) return
  if (await variables.create(stateVariable, text, PLAIN, 'persist', send)) return
  if (await variables.update(stateVariable, text, 'persist', send)) return
  throw new ActionError(
    `Writing the rotation record to variable ${stateVariable} of ${variables.label} failed: the variable was created and deleted again while this run wrote it. Check what else writes that variable, then run again.`,
    { code: 'gitlab-rejected', phase: 'persist' }
  )
}

/** The record's variable: readable (it holds no secret), and available to every branch's jobs. */
const PLAIN = { hidden: false, protected: false }

function invalid(options: GitLabStoreOptions, reason: string): ActionError {
  const { variables, stateVariable } = options
  return new ActionError(
    `The variable ${stateVariable} of ${variables.label} does not hold a rotation record this action can read (${reason}). Fix its value, or delete it: the next run then treats the refresh token it is given as a first rotation, with nothing to resume and no check for a stale input.`,
    { code: 'state-invalid', phase: 'preflight' }
  )
}
