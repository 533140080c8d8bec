import type { SecretType } from '../config/publish-config.js'
import type { ScopeKind } from '../github/scopes.js'

/** What happened to one target. */
export type TargetStatus = 'created' | 'updated' | 'failed' | 'planned'

/** One target's outcome: an entry of the `result` output and a row of the job summary. */
export interface TargetResult {
  scope: ScopeKind
  type: SecretType
  /** `owner/repo`, `owner/repo (environment)` or the organization. */
  target: string
  name: string
  status: TargetStatus
  /** Why it failed; safe to print, never holds a value. */
  error?: string
  /** For a plan: what a real run would do. */
  detail?: string
}

/** Counts by outcome. */
export interface ResultTotals {
  written: number
  created: number
  updated: number
  failed: number
  planned: number
}

/** Counts the results by outcome; `written` is created plus updated. */
export function totals(results: readonly TargetResult[]): ResultTotals {
  const count = (status: TargetStatus) => results.filter(r => r.status === status).length
  const created = count('created')
  const updated = count('updated')
  return {
    written: created + updated,
    created,
    updated,
    failed: count('failed'),
    planned: count('planned')
  }
}

/** The `result` output: one JSON object per target, in plan order. */
export function resultJson(results: readonly TargetResult[]): string {
  return JSON.stringify(
    results.map(({ scope, type, target, name, status, error }) => ({
      scope,
      type,
      target,
      name,
      status,
      ...(error === undefined ? {} : { error })
    }))
  )
}
