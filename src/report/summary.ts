import { count } from './wording.js'
import { totals, type TargetResult, type TargetStatus } from './result.js'

const OUTCOME: Record<TargetStatus, string> = {
  created: '✅ created',
  updated: '✅ updated',
  planned: '📝 planned',
  failed: '❌ failed'
}

/** What the summary reports besides the targets. */
export interface SummaryInput {
  secretName: string
  results: readonly TargetResult[]
  dryRun: boolean
  /** A run that stopped before any target (invalid inputs): the reason. */
  error?: string
  /** Advice worth a reader's attention, such as a cheaper plan. */
  notes?: readonly string[]
}

/**
 * The job summary as Markdown: a headline, one row per target with its outcome, and totals.
 * Holds no value: only names, outcomes and error messages that are safe to print.
 */
export function renderSummary(input: SummaryInput): string {
  const t = totals(input.results)
  const failed = input.error !== undefined || t.failed > 0
  const mode = input.dryRun ? ' (dry run)' : ''
  const lines = [
    `### ${failed ? '❌' : '✅'} Publish secret \`${input.secretName || '(invalid)'}\`${mode}`,
    ''
  ]
  if (input.error !== undefined) {
    lines.push(`**Nothing was written.** ${cell(input.error)}`, '')
  }
  if (input.results.length > 0) {
    lines.push('| Scope | Target | Secret | Outcome | Details |', '| --- | --- | --- | --- | --- |')
    for (const r of input.results) {
      const scope = r.type === 'dependabot' ? `${r.scope} (Dependabot)` : r.scope
      lines.push(
        `| ${scope} | ${cell(r.target)} | \`${r.name}\` | ${OUTCOME[r.status]} | ${cell(r.error ?? r.detail ?? '')} |`
      )
    }
    lines.push('')
    const parts = input.dryRun
      ? [`${t.planned} planned`]
      : [`${t.created} created`, `${t.updated} updated`]
    if (t.failed > 0) parts.push(`${t.failed} failed`)
    lines.push(`**${count(input.results.length, 'target')}:** ${parts.join(', ')}.`, '')
  }
  for (const note of input.notes ?? []) lines.push(`> [!TIP]`, `> ${cell(note)}`, '')
  return lines.join('\n')
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}
