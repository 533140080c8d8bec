import type { TargetResult, TargetStatus } from '../engine/ports.js'

export type { TargetResult, TargetStatus }

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
