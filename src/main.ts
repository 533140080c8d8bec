import { readInputs, type InputReader } from './config/inputs.js'
import { parsePublishConfig, type PublishConfig } from './config/publish-config.js'
import { ConfigError, describeError } from './errors.js'
import { createGitHubClient } from './github/client.js'
import { SecretPublisher } from './github/publisher.js'
import { scopeLabel } from './github/scopes.js'
import { orgSecretSuggestion, pacingWarning } from './github/plan-advice.js'
import { targetsFromConfig, type SecretTarget } from './github/targets.js'
import type { Logger } from './logger.js'
import { resultJson, totals, type TargetResult } from './report/result.js'
import { renderSummary } from './report/summary.js'
import { count } from './report/wording.js'

/** Everything a run touches outside itself; `src/index.ts` wires the real ones. */
export interface RunDeps {
  readInput: InputReader
  /** The runner's environment (GITHUB_REPOSITORY, GITHUB_API_URL). */
  env: Readonly<Record<string, string | undefined>>
  log: Logger
  /** Registers a value the runner must mask in every log line from now on. */
  mask(secret: string): void
  setOutput(name: string, value: string): void
  writeSummary(markdown: string): Promise<void>
  /** Marks the step failed (exit code 1). The reason was already reported as an annotation. */
  markFailed(): void
}

/**
 * One run of the action: read and validate every input, publish the value to every target, then
 * report (outputs, job summary, annotations). Never throws: every failure ends as an `::error::`
 * annotation naming the input or target, and a failed step.
 */
export async function run(deps: RunDeps): Promise<void> {
  deps.log.debug('token-rotation-action: run started')
  let config: PublishConfig
  try {
    const raw = readInputs(deps.readInput)
    // Mask before anything else can print: the value is a secret from the moment it is read.
    maskSecret(deps, raw.value)
    maskSecret(deps, raw['github-token'])
    config = parsePublishConfig(raw, {
      repository: deps.env.GITHUB_REPOSITORY,
      apiUrl: deps.env.GITHUB_API_URL
    })
  } catch (error) {
    await reportStop(deps, error)
    return
  }
  const advice = orgSecretSuggestion(config)
  let results: TargetResult[]
  try {
    results = await publish(deps, config, advice)
  } catch (error) {
    // The publisher settles every target itself; reaching here means it never started writing.
    await reportStop(deps, error)
    return
  }
  await report(deps, config, results, advice)
}

async function publish(
  deps: RunDeps,
  config: PublishConfig,
  advice: string | undefined
): Promise<TargetResult[]> {
  const { log } = deps
  const targets = targetsFromConfig(config)
  await log.group(config.dryRun ? 'Plan (dry run: nothing is written)' : 'Plan', () => {
    log.info(
      `Secret ${config.secretName} (${config.secretType}) to ${count(targets.length, 'target')}:`
    )
    for (const target of targets) log.info(`  - ${describeTarget(target)}`)
    log.info(
      `Pacing: at most ${config.maxConcurrency} requests at once, writes at least ${config.writeIntervalMs} ms apart.`
    )
    if (advice) log.notice(advice, { title: 'Cheaper plan available' })
    const pacing = pacingWarning(config, targets.length)
    if (pacing) log.warning(pacing, { title: 'GitHub rate limits ahead' })
    return Promise.resolve()
  })
  const client = createGitHubClient({
    token: config.token,
    baseUrl: config.apiUrl,
    maxConcurrency: config.maxConcurrency,
    writeIntervalMs: config.writeIntervalMs,
    log
  })
  const publisher = new SecretPublisher(client, log)
  return config.dryRun
    ? log.group('Check targets', () => publisher.preflight(targets))
    : log.group('Publish', () => publisher.publish(targets, config.value))
}

async function report(
  deps: RunDeps,
  config: PublishConfig,
  results: TargetResult[],
  advice: string | undefined
): Promise<void> {
  const { log } = deps
  const t = totals(results)
  deps.setOutput('published', String(t.written))
  deps.setOutput('result', resultJson(results))
  await writeSummary(
    deps,
    renderSummary({
      secretName: config.secretName,
      results,
      dryRun: config.dryRun,
      ...(advice ? { notes: [advice] } : {})
    })
  )
  if (t.failed > 0) {
    log.error(
      `${t.failed} of ${count(results.length, 'target')} failed and ${t.written} written; see the errors above and the job summary.`,
      { title: 'Publishing failed' }
    )
    deps.markFailed()
  } else if (config.dryRun) {
    log.info(`Dry run: ${count(t.planned, 'target')} checked, nothing written.`)
  } else {
    log.info(
      `Published ${config.secretName} to ${count(t.written, 'target')} (${t.created} created, ${t.updated} updated).`
    )
  }
}

/** A run that stopped before writing: annotations naming each input, empty outputs, a summary. */
async function reportStop(deps: RunDeps, error: unknown): Promise<void> {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) {
      deps.log.error(`Input '${problem.input}': ${problem.message}`, {
        title: `Invalid input '${problem.input}'`
      })
    }
  } else {
    deps.log.error(describeError(error), { title: 'Token rotation failed' })
  }
  deps.setOutput('published', '0')
  deps.setOutput('result', '[]')
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

function describeTarget(target: SecretTarget): string {
  const scope = target.scope
  if (scope.kind !== 'organization') return `${scope.kind} secret of ${scopeLabel(scope)}`
  const access = target.access
  const visibility = access?.visibility ?? 'kept from the existing secret (private if new)'
  const selected = access?.selectedRepositories
    ? `, ${count(access.selectedRepositories.length, 'selected repository', 'selected repositories')}`
    : ''
  return `organization secret of ${scope.org} (visibility ${visibility}${selected})`
}

/**
 * Masks a secret, and each of its lines: the runner matches masks line by line, so a multi-line
 * value registered only whole would leak line by line.
 */
function maskSecret(deps: RunDeps, secret: string): void {
  if (secret === '') return
  deps.mask(secret)
  for (const line of secret.split(/\r?\n/)) {
    if (line.trim() !== '' && line !== secret) deps.mask(line)
  }
}
