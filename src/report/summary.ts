import type { StepOutcome, StepRecord } from '../engine/outcome.js'
import { count } from '../wording.js'
import { totals, type TargetResult, type TargetStatus } from './result.js'
import { runsCell, type CredentialResult } from './results.js'

const STEP_OUTCOME: Record<StepOutcome, string> = {
  ok: '✅ ok',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
  planned: '📝 planned'
}

const OUTCOME: Record<TargetStatus, string> = {
  created: '✅ created',
  updated: '✅ updated',
  planned: '📝 planned',
  failed: '❌ failed'
}

/**
 * A target still `planned` when a real run ends was never written (the run stopped before it
 * published): "planned" would read as if the run meant to write it later.
 */
function outcomeLabel(status: TargetStatus, dryRun: boolean): string {
  return status === 'planned' && !dryRun ? '⏸️ not written' : OUTCOME[status]
}

/** What the summary reports besides the targets. */
export interface SummaryInput {
  secretName: string
  results: readonly TargetResult[]
  dryRun: boolean
  /** The headline after the outcome mark; default "Publish secret `NAME`". */
  title?: string
  /** A run that stopped before any target (invalid inputs): the reason. */
  error?: string
  /** A run that failed after it started writing: the step and the reason. */
  failure?: { step: string; message: string }
  /** The rotation's steps, in order, with outcome and timing. */
  steps?: readonly StepRecord[]
  /** Targets put back to the previous value after a failed check. */
  restored?: readonly TargetResult[]
  warnings?: readonly string[]
  /** Advice worth a reader's attention, such as a cheaper plan. */
  notes?: readonly string[]
  /** When the credential is next due, and how its recent runs went. */
  history?: Pick<CredentialResult, 'nextDue' | 'successRate' | 'runsKept' | 'consecutiveFailures'>
}

/**
 * The job summary as Markdown: a headline, one row per target with its outcome, and totals.
 * Holds no value: only names, outcomes and error messages that are safe to print.
 */
export function renderSummary(input: SummaryInput): string {
  const t = totals(input.results)
  const failed = input.error !== undefined || input.failure !== undefined || t.failed > 0
  const mode = input.dryRun ? ' (dry run)' : ''
  const title = input.title ?? `Publish secret \`${input.secretName || '(invalid)'}\``
  const lines = [`### ${failed ? '❌' : '✅'} ${title}${mode}`, '']
  if (input.error !== undefined) {
    lines.push(`**Nothing was written.** ${cell(input.error)}`, '')
  }
  if (input.failure !== undefined) {
    lines.push(`**Failed at ${input.failure.step}.** ${cell(input.failure.message)}`, '')
  }
  if (input.steps && input.steps.length > 0) {
    lines.push('| Step | Outcome | Time | Details |', '| --- | --- | --- | --- |')
    for (const step of input.steps) {
      lines.push(
        `| ${step.step} | ${STEP_OUTCOME[step.outcome]} | ${seconds(step.durationMs)} | ${cell(step.detail)} |`
      )
    }
    lines.push('')
  }
  if (input.results.length > 0) {
    lines.push('| Scope | Target | Secret | Outcome | Details |', '| --- | --- | --- | --- | --- |')
    for (const r of input.results) {
      const scope = r.type === 'dependabot' ? `${r.scope} (Dependabot)` : r.scope
      lines.push(
        `| ${scope} | ${cell(r.target)} | \`${r.name}\` | ${outcomeLabel(r.status, input.dryRun)} | ${cell(r.error ?? r.detail ?? '')} |`
      )
    }
    lines.push('')
    const parts = input.dryRun
      ? [`${t.planned} planned`]
      : [`${t.created} created`, `${t.updated} updated`]
    if (!input.dryRun && t.planned > 0) parts.push(`${t.planned} not written`)
    if (t.failed > 0) parts.push(`${t.failed} failed`)
    lines.push(`**${count(input.results.length, 'target')}:** ${parts.join(', ')}.`, '')
  }
  if (input.restored && input.restored.length > 0) {
    lines.push('**Put back to previous-value after the failed check:**', '')
    for (const r of input.restored) {
      lines.push(
        `- ${cell(r.target)} \`${r.name}\`: ${r.status === 'failed' ? `❌ ${cell(r.error ?? '')}` : '✅ restored'}`
      )
    }
    lines.push('')
  }
  const history = input.history && historyLine(input.history)
  if (history) lines.push(history, '')
  for (const warning of input.warnings ?? []) lines.push(`> [!WARNING]`, `> ${cell(warning)}`, '')
  for (const note of input.notes ?? []) lines.push(`> [!TIP]`, `> ${cell(note)}`, '')
  return lines.join('\n')
}

/** `**Next due:** … · **Recent runs:** 90% of 10 ok`, or undefined when there is neither. */
function historyLine(history: NonNullable<SummaryInput['history']>): string | undefined {
  const runs = runsCell(history)
  const parts = [
    ...(history.nextDue ? [`**Next due:** ${history.nextDue}`] : []),
    ...(runs !== '' ? [`**Recent runs:** ${runs}`] : [])
  ]
  return parts.length > 0 ? `${parts.join(' · ')}.` : undefined
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}
