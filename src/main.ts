import type { ActionConfig, ActionContext, PartsReport } from './config/rotation-config.js'
import { realSleep, systemClock } from './action/system.js'
import {
  SECRET_INPUTS,
  readInputs,
  type InputReader,
  type RawInputs,
  type SecretInputName
} from './config/inputs.js'
import type { RunOutcome, RunStatus } from './engine/outcome.js'
import type { Clock, Sleep } from './engine/ports.js'
import {
  ActionError,
  ConfigError,
  ConfigFileError,
  describeError,
  formatFileProblem
} from './errors.js'
import { createClientCache } from './action/clients.js'
import type { ClientCache } from './providers/provider.js'
import type { Logger } from './logger.js'
import { createAuditFile } from './report/audit-log.js'
import { resultJson, totals } from './report/result.js'
import { resultOf, resultsJson, stoppedResult, type CredentialResult } from './report/results.js'
import type { WebhookTarget } from './report/webhook.js'
import { renderSummary } from './report/summary.js'
import { count } from './wording.js'
import { detectCi, type CiIdentity } from './ci/identity.js'

/**
 * The modules a run needs once it has started: validation (zod), the engine and its parts
 * (Octokit, oauth4webapi). Loaded as run() begins rather than at start-up, so the entry is small
 * and the first line of the log comes at once; what the first requests do not need (libsodium,
 * undici) the parts load later still, while those requests are in flight.
 */
async function loadParts() {
  const [config, health, assemble, rotation, registry] = await Promise.all([
    import('./config/rotation-config.js'),
    import('./config/health-config.js'),
    import('./action/assemble.js'),
    import('./engine/rotation.js'),
    import('./providers/index.js')
  ])
  return {
    parseActionConfig: config.parseActionConfig,
    reportParts: config.reportParts,
    refusalOf: config.refusalOf,
    isPlainPublish: config.isPlainPublish,
    describeHealthCheck: health.describeHealthCheck,
    assembleEngine: assemble.assembleEngine,
    planFrom: assemble.planFrom,
    runRotation: rotation.runRotation,
    /** Every provider, for the roles the run plays after the engine (alerts). */
    providers: registry.PROVIDERS
  }
}

/** The modules loaded as the run begins. */
export type RunParts = Awaited<ReturnType<typeof loadParts>>

/** Everything a run touches outside itself; `run()` wires the real ones when given none. */
export interface RunDeps {
  readInput: InputReader
  /**
   * The environment: the CI's variables (GITHUB_*, CI_*, RUNNER_TEMP) and the secrets a
   * configuration file names.
   */
  env: Readonly<Record<string, string | undefined>>
  /** The run's identity; absent: detected from `env` ({@link detectCi}). */
  ci?: CiIdentity
  log: Logger
  /**
   * Registers a value the runner must mask in every log line from now on, and the redactor must
   * remove, in every encoding, from everything the run stores or publishes.
   */
  mask(secret: string): void
  /** Removes every registered secret, in any encoding, from text bound for a file or an issue. */
  redact: (text: string) => string
  setOutput(name: string, value: string): void
  writeSummary(markdown: string): Promise<void>
  /** Marks the step failed (exit code 1). The reason was already reported as an annotation. */
  markFailed(): void
  /** Defaults to the system clock. */
  clock?: Clock
  /** Defaults to a real wait. */
  sleep?: Sleep
  /**
   * The workflow's OpenID Connect token for an audience (GitHub Actions: `core.getIDToken`, with
   * the job's `id-token: write`); absent where the run has none.
   */
  idToken?: (audience: string) => Promise<string>
  /**
   * Where a relative `config` path is read from, when not from the workspace: the CLI's current
   * directory, as any command reads a path. Absent (the action): GITHUB_WORKSPACE, where
   * actions/checkout puts the repository.
   */
  workingDirectory?: string
}

/**
 * One run of the action: read and validate every input, run the rotation (or publication,
 * verification, retirement) to its end, then report (outputs, job summary, annotations, audit
 * log). Never throws: every failure ends as an `::error::` annotation naming the input or step,
 * and a failed step.
 * @param given the collaborators; without them (as `src/index.ts` and `@github/local-action` call
 *   it), the real ones: @actions/core and `process.env`, read at this call, never at import.
 */
export async function run(given?: RunDeps): Promise<void> {
  const deps = given ?? (await import('./action/core-deps.js')).coreDeps(process.env)
  deps.log.debug('token-rotation-action: run started')
  const loading = loadParts()
  // Awaited below; a run stopped by its inputs before that must not die of an unhandled rejection.
  loading.catch(() => undefined)
  let config: ActionConfig
  let parts: RunParts
  let raw: RawInputs
  try {
    raw = readInputs(deps.readInput)
    // Mask before anything else can print: a secret is a secret from the moment it is read.
    for (const name of Object.keys(SECRET_INPUTS) as SecretInputName[]) maskSecret(deps, raw[name])
    parts = await loading
    if (raw.config !== '') {
      const { runFleet } = await import('./action/fleet.js')
      await runFleet(deps, raw, parts, {
        context: runnerContext(deps),
        runCredential,
        reportStop
      })
      return
    }
    config = parts.parseActionConfig(raw, runnerContext(deps))
  } catch (error) {
    await reportStop(deps, error)
    return
  }
  const clients = createClientCache()
  try {
    const result = await runCredential(deps, config, parts, { clients })
    deps.setOutput('results', resultsJson([result]))
  } finally {
    await clients.close()
  }
}

/**
 * What the environment tells about the run, for the configuration: the run's identity from its CI
 * (GitHub Actions, GitLab CI, or a local run), and GitHub's repository and API, which the GitHub
 * provider reads wherever the run is (a GitLab job that publishes to GitHub names them).
 */
export function runnerContext(deps: RunDeps): ActionContext {
  return {
    repository: deps.env.GITHUB_REPOSITORY,
    apiUrl: deps.env.GITHUB_API_URL,
    ci: deps.ci ?? detectCi(deps.env, process.pid)
  }
}

/**
 * Where a command of the run (a command health check) runs: the CLI's current directory, else the
 * workspace, where actions/checkout puts the repository.
 */
function workspaceOf(deps: RunDeps): { workspace?: string } {
  const workspace = deps.workingDirectory ?? deps.env.GITHUB_WORKSPACE
  return workspace ? { workspace } : {}
}

/** What one credential's run shares with the others of its run. */
export interface CredentialOptions {
  /** Its id in the configuration file; `default` for the flat inputs. */
  id?: string
  /** The clients of the whole run: one limiter paces every write of every credential. */
  clients: ClientCache
  /** Where its alerts are POSTed besides the issue. */
  webhook?: WebhookTarget
}

/**
 * One credential, from its validated configuration to its report: plan, budget, the engine, then
 * outputs, summary and alerts. Never throws: a failure is reported and comes back as the result.
 */
async function runCredential(
  deps: RunDeps,
  config: ActionConfig,
  parts: RunParts,
  options: CredentialOptions
): Promise<CredentialResult> {
  const id = options.id ?? 'default'
  const said = parts.reportParts(config)
  await logPlan(deps.log, config, parts, said)
  const overBudget = parts.refusalOf([config])
  if (overBudget) {
    const error = new ActionError(overBudget, { code: 'invalid-input', phase: 'preflight' })
    await reportStop(deps, error)
    return stoppedResult(id, error)
  }
  const clock = deps.clock ?? systemClock
  const audit = createAuditFile(config.auditLogPath, clock, deps.log, deps.redact)
  deps.setOutput('audit-log', config.auditLogPath)
  let outcome: RunOutcome
  try {
    const engine = await parts.assembleEngine(config, {
      log: deps.log,
      mask: secret => {
        maskSecret(deps, secret)
      },
      clock,
      sleep: deps.sleep ?? realSleep,
      audit,
      onRecoveryCiphertext: ciphertext => {
        deps.setOutput('recovery-ciphertext', ciphertext)
      },
      clients: options.clients,
      ...(deps.idToken ? { idToken: deps.idToken } : {}),
      redact: deps.redact,
      env: deps.env,
      ...workspaceOf(deps)
    })
    // A marker for `npm run bench`, which times the start-up until here (the AWS SDK loads above).
    deps.log.debug('token-rotation-action: engine assembled')
    outcome = await parts.runRotation(engine, parts.planFrom(config))
  } catch (error) {
    // The engine settles every step itself; reaching here means it never started.
    await reportStop(deps, error)
    return stoppedResult(id, error)
  }
  await report(deps, config, outcome, said)
  await alert(deps, config, parts, outcome, id, options.webhook)
  return resultOf(id, outcome)
}

/**
 * Alerts through every provider that alerts (GitHub: opens, comments on or closes the alert
 * issue), and POSTs to the webhook when one is given, for a rotation counted in its record.
 */
async function alert(
  deps: RunDeps,
  config: ActionConfig,
  parts: RunParts,
  outcome: RunOutcome,
  id: string,
  webhook: WebhookTarget | undefined
): Promise<void> {
  const failures = outcome.consecutiveFailures
  if (!config.store || config.alertAfter === 0 || failures === undefined) return
  // A run held back by its schedule says nothing new of the credential: no alert, no recovery.
  if (outcome.status === 'not-due' || outcome.status === 'not-in-window') return
  // A replaced value still in use after `alerts.after` runs is a failure to its users: something
  // holds a value that is due to be revoked.
  const inUse =
    outcome.inUse && outcome.inUse.deferrals >= config.alertAfter ? outcome.inUse : undefined
  const update = {
    failed: outcome.error !== undefined || inUse !== undefined,
    failures: inUse ? Math.max(failures, inUse.deferrals) : failures,
    ...(outcome.previousFailures !== undefined
      ? {
          // The runs that found the old value still in use alerted as failures do: once it is
          // revoked, their alert is closed as a recovery is.
          previousFailures: Math.max(outcome.previousFailures, outcome.inUseEnded ?? 0)
        }
      : {}),
    threshold: config.alertAfter,
    ...(outcome.error
      ? { reason: outcome.error.message }
      : inUse
        ? { reason: `${inUse.message} (${count(inUse.deferrals, 'run')} in a row)` }
        : {}),
    ...(config.runUrl ? { runUrl: config.runUrl } : {})
  }
  const alert = { subject: config.store.subject, ...update }
  for (const provider of parts.providers) {
    await provider.alert?.(config, alert, { log: deps.log, redact: deps.redact })
  }
  if (webhook) {
    const { sendWebhookAlert } = await import('./report/webhook.js')
    await sendWebhookAlert(
      webhook,
      { credential: id, ...update },
      { log: deps.log, sleep: deps.sleep ?? realSleep, redact: deps.redact }
    )
  }
}

async function logPlan(
  log: Logger,
  config: ActionConfig,
  parts: RunParts,
  said: PartsReport
): Promise<void> {
  await log.group(config.dryRun ? 'Plan (dry run: nothing is written)' : 'Plan', () => {
    if (parts.isPlainPublish(config)) {
      log.info(
        `Publish: ${said.names.join(', ')} to ${count(said.writes, 'target')}, the value given.`
      )
    } else {
      log.info(`Mode ${config.mode}, issuer ${config.issuer}.`)
    }
    for (const line of said.lines) log.info(line)
    if (config.healthCheck) {
      log.info(`Health check: ${parts.describeHealthCheck(config.healthCheck)}.`)
    }
    for (const warning of config.warnings) {
      log.warning(`Input '${warning.input}': ${warning.message}`, {
        title: `Input '${warning.input}'`
      })
    }
    for (const notice of said.notices) log.notice(notice.message, { title: notice.title })
    for (const warning of said.warnings) log.warning(warning.message, { title: warning.title })
    return Promise.resolve()
  })
}

const HEADLINE: Record<RunStatus, string> = {
  rotated: 'Rotated',
  published: 'Published',
  'not-due': 'Rotation not due',
  'not-in-window': 'Rotation outside its allowed windows',
  verified: 'Verified',
  retired: 'Retired',
  'rolled-back': 'Rolled back',
  planned: 'Planned',
  failed: 'Failed'
}

async function report(
  deps: RunDeps,
  config: ActionConfig,
  outcome: RunOutcome,
  said: PartsReport
): Promise<void> {
  const { log } = deps
  const t = totals(outcome.targets)
  deps.setOutput('status', outcome.status)
  deps.setOutput('rotated', String(outcome.rotated))
  deps.setOutput('version', outcome.version ?? '')
  deps.setOutput('expires-at', outcome.expiresAt?.toISOString() ?? '')
  if (!outcome.recoveryCiphertext) deps.setOutput('recovery-ciphertext', '')
  deps.setOutput('published', String(t.written))
  deps.setOutput('result', resultJson(outcome.targets))
  const name = secretNames(said)
  await writeSummary(
    deps,
    renderSummary({
      secretName: name,
      title: name === '' ? HEADLINE[outcome.status] : `${HEADLINE[outcome.status]} ${name}`,
      results: outcome.targets,
      dryRun: config.dryRun,
      steps: outcome.steps,
      restored: outcome.restored,
      warnings: outcome.warnings,
      ...(outcome.error
        ? { failure: { step: outcome.error.phase, message: outcome.error.message } }
        : {}),
      ...(said.notices.length > 0 ? { notes: said.notices.map(n => n.message) } : {}),
      history: resultOf('', outcome)
    })
  )
  if (outcome.error) {
    log.error(outcome.error.message, { title: `Token rotation failed at ${outcome.error.phase}` })
    deps.markFailed()
    return
  }
  log.info(outcomeLine(said, outcome))
}

/** The secrets the run writes, for headlines: `API_TOKEN`, or each `secret-fields` name. */
function secretNames(said: PartsReport): string {
  return said.names.map(name => `\`${name}\``).join(', ')
}

function outcomeLine(said: PartsReport, outcome: RunOutcome): string {
  const t = totals(outcome.targets)
  const name = said.names.join(', ')
  switch (outcome.status) {
    case 'planned':
      return `Dry run: ${count(t.planned, 'target')} checked, nothing written.`
    case 'rotated':
      return `Rotated: ${name} version ${outcome.version ?? ''} on ${count(t.written, 'target')}.`
    case 'published':
      return `Published ${name} to ${count(t.written, 'target')} (${t.created} created, ${t.updated} updated).`
    default:
      return `${HEADLINE[outcome.status]}.`
  }
}

/** A run that stopped before writing: annotations naming each input, empty outputs, a summary. */
async function reportStop(deps: RunDeps, error: unknown): Promise<void> {
  if (error instanceof ConfigFileError) {
    // Annotations on the file's lines, where GitHub shows them; inline YAML has no file.
    const inline = error.source === 'the config input'
    for (const problem of error.problems) {
      deps.log.error(formatFileProblem(error.source, problem), {
        title: `Invalid configuration${problem.path === '' ? '' : `: ${problem.path}`}`,
        ...(inline ? {} : { file: error.source }),
        ...(!inline && problem.line !== undefined ? { startLine: problem.line } : {})
      })
    }
  } else if (error instanceof ConfigError) {
    for (const problem of error.problems) {
      deps.log.error(`Input '${problem.input}': ${problem.message}`, {
        title: `Invalid input '${problem.input}'`
      })
    }
  } else {
    deps.log.error(describeError(error), { title: 'Token rotation failed' })
  }
  deps.setOutput('status', 'failed')
  deps.setOutput('rotated', 'false')
  deps.setOutput('published', '0')
  deps.setOutput('result', '[]')
  deps.setOutput('results', '[]')
  await writeSummary(
    deps,
    renderSummary({ secretName: '', results: [], dryRun: false, error: describeError(error) })
  )
  deps.markFailed()
}

/** The summary is a report, not the work: failing to write it is a warning, never a lost result. */
async function writeSummary(deps: RunDeps, markdown: string): Promise<void> {
  try {
    await deps.writeSummary(markdown)
  } catch (error) {
    deps.log.warning(`Could not write the job summary: ${describeError(error)}`, {
      title: 'Job summary'
    })
  }
}

/**
 * Masks a secret; `deps.mask` registers each of its lines too (the runner matches masks line by
 * line, ending a line at CR LF, LF and a lone CR) and every encoding it can take on the wire.
 */
function maskSecret(deps: RunDeps, secret: string): void {
  if (secret !== '') deps.mask(secret)
}
