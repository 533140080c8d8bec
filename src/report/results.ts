import type { RunOutcome, RunStatus } from '../engine/outcome.js'
import { describeError } from '../errors.js'
import { totals } from './result.js'

/** How one credential's run ended, as the `results` output names it. */
export type CredentialStatus = Exclude<RunStatus, 'not-due'> | 'skipped'

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
}

/** A credential's result from its run's outcome. */
export function resultOf(credential: string, outcome: RunOutcome): CredentialResult {
  const t = totals(outcome.targets)
  return {
    credential,
    status: outcome.status === 'not-due' ? 'skipped' : outcome.status,
    rotated: outcome.rotated,
    version: outcome.version ?? '',
    published: t.written,
    failed: t.failed,
    ...(outcome.error ? { error: outcome.error.message } : {}),
    ...(outcome.expiresAt ? { expiresAt: outcome.expiresAt.toISOString() } : {})
  }
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
      ...(r.error !== undefined ? { error: r.error } : {})
    }))
  )
}

const MARK: Record<CredentialStatus, string> = {
  rotated: '✅ rotated',
  published: '✅ published',
  skipped: '⏭️ skipped (not due)',
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
      `| \`${r.credential}\` | ${MARK[r.status]} | ${r.version === '' ? '' : `\`${r.version}\``} | ${String(r.published)} | ${String(r.failed)} | ${r.expiresAt ?? ''} |`
  )
  return [
    head,
    '',
    '| Credential | Status | Version | Targets written | Targets failed | Expires |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    ''
  ].join('\n')
}
