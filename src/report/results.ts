import type { RunOutcome, RunStatus } from '../engine/outcome.js'
import { describeError } from '../errors.js'
import { totals } from './result.js'

/** How one credential's run ended, as the `results` output names it. */
export type CredentialStatus = Exclude<RunStatus, SkipReason> | 'skipped'

/** Why a credential was skipped: not due yet, or due but outside its allowed windows. */
export type SkipReason = 'not-due' | 'not-in-window'

/** One entry of the `results` output: one credential run or skipped. Holds no value. */
export interface CredentialResult {
  credential: string
  status: CredentialStatus
  rotated: boolean
  /** The published value's fingerprint, when the run knows it. */
  version: string
  /** Targets written (created or updated). */
  published: number
  /** Targets that failed. */
  failed: number
  error?: string
  /** When the published value expires, if the issuer said. */
  expiresAt?: string
  /** Why it was skipped, for status `skipped`. */
  skipped?: SkipReason
  /** When it is next rotated under its schedule (expiry margin and windows included). */
  nextDue?: string
  /** The share of the runs its record keeps (this one included) that did not fail, 0 to 1. */
  successRate?: number
  /** How many of those runs there are. */
  runsKept?: number
  /** Failed runs in a row, this one included, when the run was counted in the record. */
  consecutiveFailures?: number
  /**
   * The new credential sealed to the recovery key, when the run minted one under a key. Each
   * credential keeps its own here: a run of many sets the single `recovery-ciphertext` output
   * once per credential, and a ciphertext only in the log is one a user may never find.
   */
  recoveryCiphertext?: string
}

/** A credential's result from its run's outcome. */
export function resultOf(credential: string, outcome: RunOutcome): CredentialResult {
  const t = totals(outcome.targets)
  const status = outcome.status
  const runs = outcome.recentRuns
  return {
    credential,
    status: status === 'not-due' || status === 'not-in-window' ? 'skipped' : status,
    rotated: outcome.rotated,
    version: outcome.version ?? '',
    published: t.written,
    failed: t.failed,
    ...(outcome.error ? { error: outcome.error.message } : {}),
    ...(outcome.expiresAt ? { expiresAt: outcome.expiresAt.toISOString() } : {}),
    ...(status === 'not-due' || status === 'not-in-window' ? { skipped: status } : {}),
    ...(outcome.nextDueAt ? { nextDue: outcome.nextDueAt.toISOString() } : {}),
    ...(runs && runs.kept > 0
      ? { successRate: successRate(runs.kept, runs.failed), runsKept: runs.kept }
      : {}),
    ...(outcome.consecutiveFailures !== undefined
      ? { consecutiveFailures: outcome.consecutiveFailures }
      : {}),
    ...(outcome.recoveryCiphertext ? { recoveryCiphertext: outcome.recoveryCiphertext } : {})
  }
}

/** The share of `kept` runs that did not fail, to two decimals (0.9, never 0.8999999). */
function successRate(kept: number, failed: number): number {
  return Math.round(((kept - failed) / kept) * 100) / 100
}

/** A credential whose run stopped before the engine started (its plan was refused). */
export function stoppedResult(credential: string, error: unknown): CredentialResult {
  return {
    credential,
    status: 'failed',
    rotated: false,
    version: '',
    published: 0,
    failed: 0,
    error: describeError(error)
  }
}

/** The `results` output: JSON, one entry per credential, in the order they ran. */
export function resultsJson(results: readonly CredentialResult[]): string {
  return JSON.stringify(
    results.map(r => ({
      credential: r.credential,
      status: r.status,
      rotated: r.rotated,
      version: r.version,
      published: r.published,
      failed: r.failed,
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.skipped !== undefined ? { reason: r.skipped } : {}),
      ...(r.nextDue !== undefined ? { next_due: r.nextDue } : {}),
      ...(r.successRate !== undefined ? { success_rate: r.successRate } : {}),
      ...(r.consecutiveFailures !== undefined
        ? { consecutive_failures: r.consecutiveFailures }
        : {}),
      ...(r.recoveryCiphertext !== undefined ? { recovery_ciphertext: r.recoveryCiphertext } : {})
    }))
  )
}

const SKIPPED: Record<SkipReason, string> = {
  'not-due': '⏭️ skipped (not due)',
  'not-in-window': '⏭️ skipped (not in an allowed window)'
}

const MARK: Record<CredentialStatus, string> = {
  rotated: '✅ rotated',
  published: '✅ published',
  skipped: SKIPPED['not-due'],
  verified: '✅ verified',
  retired: '✅ retired',
  'rolled-back': '↩️ rolled back',
  planned: '📝 planned',
  failed: '❌ failed'
}

/** The job summary's opening table: one row per credential. */
export function resultsTable(results: readonly CredentialResult[]): string {
  const failed = results.filter(r => r.status === 'failed').length
  const head = `### ${failed > 0 ? '❌' : '✅'} Token rotation: ${String(results.length)} credential${results.length === 1 ? '' : 's'}${failed > 0 ? `, ${String(failed)} failed` : ''}`
  const rows = results.map(
    r =>
      `| \`${r.credential}\` | ${r.skipped ? SKIPPED[r.skipped] : MARK[r.status]} | ${r.version === '' ? '' : `\`${r.version}\``} | ${String(r.published)} | ${String(r.failed)} | ${r.expiresAt ?? ''} | ${r.nextDue ?? ''} | ${runsCell(r)} |`
  )
  return [
    head,
    '',
    '| Credential | Status | Version | Targets written | Targets failed | Expires | Next due | Recent runs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    ''
  ].join('\n')
}

/**
 * How a credential's recent runs went: `90% of 10 ok`, and the failures in a row when there are
 * any (the number the alert counts); empty when its record keeps no run.
 */
export function runsCell(
  result: Pick<CredentialResult, 'successRate' | 'runsKept' | 'consecutiveFailures'>
): string {
  const { successRate: rate, runsKept: kept, consecutiveFailures: failures } = result
  const parts: string[] = []
  if (rate !== undefined && kept !== undefined) {
    parts.push(`${String(Math.round(rate * 100))}% of ${String(kept)} ok`)
  }
  if (failures !== undefined && failures > 0) parts.push(`${String(failures)} failed in a row`)
  return parts.join(', ')
}
