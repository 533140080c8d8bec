import { RUNS_KEPT, runFailed, type RotationState } from '../../engine/state.js'

/**
 * The parts of the rotation record that are not versions, kept as tags of the secret itself:
 * Secrets Manager's staging labels already say which version is current, previous and pending.
 * Tags hold fingerprints, times and run names, never a value; AWS limits a tag value to 256
 * characters of letters, digits, spaces and `_ . : / = + - @`.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/managing-secrets_tagging.html
 */

export const TAG_PREFIX = 'token-rotation:'

const KEYS = {
  minting: `${TAG_PREFIX}minting`,
  pending: `${TAG_PREFIX}pending`,
  consumed: `${TAG_PREFIX}consumed`,
  published: `${TAG_PREFIX}published`,
  rotatedAt: `${TAG_PREFIX}rotated-at`,
  failures: `${TAG_PREFIX}failures`,
  retirements: `${TAG_PREFIX}retirements`,
  lastRun: `${TAG_PREFIX}last-run`,
  outcomes: `${TAG_PREFIX}outcomes`
} as const

const MAX_TAG_VALUE = 256
/** Prefixes the end of the minting run's lease in the minting mark. */
const UNTIL = 'until='
/** Fingerprints (16 characters and a space) that fit in one tag value. */
const CONSUMED_KEPT = 15
const FINGERPRINT = /^[0-9a-f]{16}$/
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
/**
 * The kept runs, newest first, one character each in the `outcomes` tag: a tag cannot hold ten
 * runs in full, and their success rate needs only whether each failed.
 */
const RUN_OK = '+'
const RUN_FAILED = '-'

/** The record's tag-held parts. */
export type TaggedRecord = Pick<
  RotationState,
  | 'minting'
  | 'pending'
  | 'history'
  | 'published'
  | 'rotatedAt'
  | 'consecutiveFailures'
  | 'retirements'
  | 'runs'
>

/**
 * The tags that hold `record`; a part that is absent has no tag.
 * @param from fingerprint of the credential the pending one was minted from (consumed by it)
 */
export function recordTags(record: TaggedRecord, from?: string): Record<string, string> {
  const tags: Record<string, string> = {}
  const { minting, pending, published, rotatedAt, retirements, runs } = record
  if (minting) {
    const mark = minting.recoverable ? 'recoverable' : 'plain'
    // Until when the run may still be minting (its lease on the lock), before the run's name.
    const until = minting.lease ? ` ${UNTIL}${minting.lease.endsBy}` : ''
    tags[KEYS.minting] = fit(`${minting.from} ${minting.startedAt} ${mark}${until} ${minting.run}`)
  }
  if (pending) {
    // Written before the new version is staged: if the run dies in between, the next one knows
    // that the version in AWSCURRENT was consumed and must not be used again.
    const mark = pending.recoverable ? 'recoverable' : 'plain'
    tags[KEYS.pending] = fit(
      `${pending.fingerprint} ${pending.mintedAt} ${mark} ${from ?? '-'} ${pending.run}`
    )
  }
  if (published) {
    tags[KEYS.published] = [published.fingerprint, published.at, published.expiresAt]
      .filter(part => part !== undefined)
      .join(' ')
  }
  if (record.history && record.history.length > 0) {
    // The newest consumed credentials that fit: one written back later is refused, not reused.
    tags[KEYS.consumed] = record.history.slice(0, CONSUMED_KEPT).join(' ')
  }
  if (rotatedAt) tags[KEYS.rotatedAt] = rotatedAt
  if (record.consecutiveFailures > 0) tags[KEYS.failures] = String(record.consecutiveFailures)
  if (retirements.length > 0) {
    // The newest retirements that fit; an older one dropped here expires on its own.
    let text = ''
    for (const r of retirements) {
      const entry = [r.fingerprint, r.dueAt, r.expiresAt].filter(p => p !== undefined).join('/')
      const next = text === '' ? entry : `${text} ${entry}`
      if (next.length > MAX_TAG_VALUE) break
      text = next
    }
    tags[KEYS.retirements] = text
  }
  const last = runs[0]
  if (last?.at !== undefined) {
    const outcome = last.outcome.replace(/ /g, '')
    tags[KEYS.lastRun] = fit(`${last.at} ${last.mode ?? ''} ${outcome} ${last.id ?? ''}`)
  }
  if (runs.length > 0) {
    tags[KEYS.outcomes] = runs.map(run => (runFailed(run) ? RUN_FAILED : RUN_OK)).join('')
  }
  return tags
}

/** Reads the record's tag-held parts back; a tag this action did not write is ignored. */
export function readRecordTags(tags: Readonly<Record<string, string>>): TaggedRecord {
  const record: TaggedRecord = { consecutiveFailures: 0, retirements: [], runs: [] }
  const minting = tags[KEYS.minting]?.split(' ')
  if (minting && minting.length >= 4) {
    const [from = '', startedAt = '', mark, ...rest] = minting
    // A mark written before leases were recorded has the run's name right after the mark.
    const endsBy = rest[0]?.startsWith(UNTIL) ? rest[0].slice(UNTIL.length) : undefined
    const run = (endsBy === undefined ? rest : rest.slice(1)).join(' ')
    if (FINGERPRINT.test(from) && TIME.test(startedAt)) {
      record.minting = {
        from,
        startedAt,
        run,
        recoverable: mark === 'recoverable',
        ...(endsBy !== undefined && TIME.test(endsBy) ? { lease: { holder: run, endsBy } } : {})
      }
    }
  }
  const pending = tags[KEYS.pending]?.split(' ')
  if (pending && pending.length >= 5) {
    const [fingerprint = '', mintedAt = '', mark, , ...run] = pending
    if (FINGERPRINT.test(fingerprint) && TIME.test(mintedAt)) {
      record.pending = {
        fingerprint,
        mintedAt,
        run: run.join(' '),
        recoverable: mark === 'recoverable'
      }
    }
  }
  const published = tags[KEYS.published]?.split(' ')
  if (published) {
    const [fingerprint = '', at = '', expiresAt] = published
    if (FINGERPRINT.test(fingerprint) && TIME.test(at)) {
      record.published = {
        fingerprint,
        at,
        ...(expiresAt && TIME.test(expiresAt) ? { expiresAt } : {})
      }
    }
  }
  const consumed = (tags[KEYS.consumed] ?? '').split(' ').filter(f => FINGERPRINT.test(f))
  // What a marked run minted from is consumed, whatever became of the mark.
  const from = pendingFrom(tags)
  const history = from !== undefined ? withConsumed(consumed, from) : consumed
  if (history.length > 0) record.history = history
  const rotatedAt = tags[KEYS.rotatedAt]
  if (rotatedAt && TIME.test(rotatedAt)) record.rotatedAt = rotatedAt
  const failures = Number(tags[KEYS.failures] ?? '0')
  if (Number.isInteger(failures) && failures > 0) record.consecutiveFailures = failures
  for (const entry of (tags[KEYS.retirements] ?? '').split(' ')) {
    const [fingerprint = '', dueAt = '', expiresAt] = entry.split('/')
    if (FINGERPRINT.test(fingerprint) && TIME.test(dueAt)) {
      record.retirements.push({
        fingerprint,
        dueAt,
        ...(expiresAt && TIME.test(expiresAt) ? { expiresAt } : {})
      })
    }
  }
  const last = tags[KEYS.lastRun]?.split(' ')
  if (last && last.length >= 4) {
    const [at = '', mode = '', outcome = '', ...id] = last
    // An outcome such as "failed: locked" was written with its colon and no space.
    if (TIME.test(at)) record.runs.push({ at, mode, outcome, id: id.join(' ') })
  }
  // The runs before the newest, as their outcome alone; the first character is the newest run,
  // which last-run holds in full (or, without it, a compact run like the others).
  const outcomes = (tags[KEYS.outcomes] ?? '').match(/[+-]/g) ?? []
  for (const mark of outcomes.slice(record.runs.length, RUNS_KEPT)) {
    record.runs.push({ outcome: mark === RUN_FAILED ? 'failed' : 'ok' })
  }
  return record
}

/** Fingerprint of the credential the marked one was minted from, if the mark names it. */
export function pendingFrom(tags: Readonly<Record<string, string>>): string | undefined {
  const from = tags[KEYS.pending]?.split(' ')[3]
  return from !== undefined && FINGERPRINT.test(from) ? from : undefined
}

/** `history` with `fingerprint` first, once. */
export function withConsumed(
  history: readonly string[] | undefined,
  fingerprint: string
): string[] {
  return [fingerprint, ...(history ?? []).filter(f => f !== fingerprint)]
}

/** Every tag key this action writes. */
export const RECORD_TAG_KEYS: readonly string[] = Object.values(KEYS)

/** Keeps a tag value within AWS's characters and length. */
function fit(text: string): string {
  return text.replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, '_').slice(0, MAX_TAG_VALUE)
}
