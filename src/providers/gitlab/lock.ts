import { randomBytes } from 'node:crypto'
import * as z from 'zod'
import type { Lease, LeaseCheck, Lock } from '../../engine/ports.js'
import { ActionError, describeError, type Phase } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { isLostAnswer, type OwnerVariables } from './variables.js'
import { abortIn, leaseDeadline, shortLeaseReason } from '../../engine/lease.js'

// The protocol is the GitHub variable lock's (docs/adr/0005-one-writer-lock.md), with the lease's
// end written into the value: GitLab's variables carry no time of their own.

/**
 * The lock variable's value: who holds it, which holding (`token`), its generation, and when its
 * lease ends on GitLab's clock. Never a secret, and no time of the runner's.
 */
const recordSchema = z.object({
  owner: z.string(),
  token: z.string(),
  generation: z.number().int().min(0),
  expiresAt: z.iso.datetime()
})

type LockRecord = z.infer<typeof recordSchema>

/** A lock (or a claim) as read from GitLab. */
interface Found {
  record: LockRecord
  expiresAt: Date
  /** The value as read: a take-over replaces only the exact holding it read. */
  text: string
  /** False when the value is not a lock this action wrote (it counts as expired). */
  readable: boolean
}

/**
 * Longest a lock request may take to land: the client's attempts (30 s each) and its backoff. A
 * write under the lease is abandoned once less than this is left of what it is written under.
 */
export const LOCK_REQUEST_BUDGET_MS = 60_000

/** Rounds of read, create and take-over before a run gives up on a lock that keeps changing. */
const MAX_ROUNDS = 3
/** Claims of abandoned take-overs skipped before giving up. */
const MAX_SKIPS = 5

/** What {@link createGitLabLock} needs. */
export interface GitLabLockOptions {
  variables: OwnerVariables
  /** The lock variable's key. */
  name: string
  log: Logger
}

/**
 * The {@link Lock} port over a GitLab CI/CD variable, with the one atomic operation GitLab has for
 * variables: a create of an existing key answers 400 `has already been taken`.
 *
 * - Free: the create succeeds; this run holds generation 1, until `expiresAt`: GitLab's clock (the
 *   `Date` of its answers, never the runner's) when the create was sent, plus the lease.
 * - Held and its lease not over (judged on the earliest GitLab's clock can read now): `locked`.
 * - Held and expired: the run must first create the claim variable `<name>_<g+1>`, which only one
 *   run can do; the claimant reads the lock again and, only if it still holds the expired
 *   holding it read, replaces it with its own record of generation g+1. A lock is never deleted
 *   to take it over.
 */
export function createGitLabLock(options: GitLabLockOptions): Lock {
  return {
    description: `variable ${options.name} of ${options.variables.label}`,
    acquire: (owner, ttlMs) => acquire(options, owner, ttlMs)
  }
}

async function acquire(options: GitLabLockOptions, owner: string, ttlMs: number): Promise<Lease> {
  const { variables, name } = options
  const mine = { owner, token: randomBytes(8).toString('hex') }
  for (let round = 1; round <= MAX_ROUNDS; round += 1) {
    let held = await readLock(options, name, 'preflight')
    if (held === undefined) {
      const fresh: LockRecord = { ...mine, generation: 1, expiresAt: expiry(options, ttlMs) }
      const created = await tryCreate(options, name, fresh)
      if (created) return new GitLabLease(options, fresh)
      // Taken between the read and the create, or the create's answer was lost: read again.
      held = await readLock(options, name, 'preflight')
      if (held === undefined) continue
    }
    // This run's own create, whose answer was lost.
    if (held.record.token === mine.token) return new GitLabLease(options, held.record)
    if (held.expiresAt > gitlabNow(options)) throw lockedError(held, options)
    const taken = await takeOver(options, held, mine, ttlMs)
    if (taken) return taken
  }
  throw new ActionError(
    `The lock ${name} of ${variables.label} changed hands ${MAX_ROUNDS} times while this run was taking it: other runs are starting at the same time. Nothing was minted; run again once they have finished.`,
    { code: 'locked', phase: 'preflight' }
  )
}

/**
 * Takes over `held`, whose lease is over. Only the run that creates the claim of the next
 * generation may write that generation into the lock; a claim left by a run that stopped between
 * its claim and its write is skipped once its own lease is over.
 * @returns the lease, or undefined when the lock changed meanwhile (the caller starts again)
 */
async function takeOver(
  options: GitLabLockOptions,
  held: Found,
  mine: Pick<LockRecord, 'owner' | 'token'>,
  ttlMs: number
): Promise<Lease | undefined> {
  const { variables, name, log } = options
  const skipped: number[] = []
  for (let generation = held.record.generation + 1; skipped.length <= MAX_SKIPS; generation += 1) {
    const claimName = claimOf(name, generation)
    const claim: LockRecord = { ...mine, generation, expiresAt: expiry(options, ttlMs) }
    let claimEnds: Date
    if (await tryCreate(options, claimName, claim)) {
      claimEnds = new Date(claim.expiresAt)
    } else {
      const found = await readLock(options, claimName, 'preflight')
      if (found === undefined) return undefined
      if (found.record.token !== mine.token) {
        if (found.expiresAt > gitlabNow(options)) throw takingOverError(found, held, options)
        skipped.push(generation)
        continue
      }
      // Otherwise the claim is this run's own create, whose answer was lost.
      claimEnds = found.expiresAt
    }
    const again = await readLock(options, name, 'preflight')
    const unchanged =
      again !== undefined && again.text === held.text && again.expiresAt <= gitlabNow(options)
    // Once the claim has expired another run may skip it and take the lock: this write must not
    // land after that, or it would replace that run's lock.
    const beforeClaimEnds = abortIn(
      claimEnds.getTime() - latestGitLabNow(options).getTime() - LOCK_REQUEST_BUDGET_MS,
      `the claim ${claimName} of ${variables.label} would expire before the take-over could land`
    )
    const record: LockRecord = { ...mine, generation, expiresAt: expiry(options, ttlMs) }
    if (
      !unchanged ||
      !(await variables.update(name, JSON.stringify(record), 'preflight', {
        signal: beforeClaimEnds,
        once: true
      }))
    ) {
      // This generation never reached the lock, so no other run can depend on the claim.
      await variables.delete(claimName, 'preflight', { once: true }).catch(() => false)
      return undefined
    }
    const lease = new GitLabLease(options, record)
    log.warning(
      held.readable
        ? `Took over the lock ${name} of ${variables.label}: ${held.record.owner} held it and its lease ended at ${iso(held.expiresAt)} by GitLab's clock, without a release (that run most likely died). This run holds generation ${generation}.`
        : `Took over the lock ${name} of ${variables.label}: its value is not a lock this action wrote.`
    )
    // Claims of older generations can no longer win anything: a run that claims one again finds
    // the lock at this generation and stops.
    for (const old of [held.record.generation, ...skipped]) {
      if (old >= 2) {
        await variables.delete(claimOf(name, old), 'preflight', { once: true }).catch(() => false)
      }
    }
    return lease
  }
  throw new ActionError(
    `The lock ${name} of ${variables.label} has ${MAX_SKIPS} abandoned take-over claims (${claimOf(name, held.record.generation + 1)} and on): delete the variables ${name}_* and run again.`,
    { code: 'locked', phase: 'preflight' }
  )
}

/** The lock held by this run. */
class GitLabLease implements Lease {
  readonly holder: string
  readonly #options: GitLabLockOptions
  readonly #record: LockRecord
  readonly #endsAt: Date

  constructor(options: GitLabLockOptions, record: LockRecord) {
    this.#options = options
    this.#record = record
    this.#endsAt = new Date(record.expiresAt)
    this.holder = `${record.owner} (lock generation ${record.generation})`
  }

  endsBy(): Date {
    return this.#endsAt
  }

  now(): Date {
    return gitlabNow(this.#options)
  }

  leftMs(): number {
    return this.#endsAt.getTime() - latestGitLabNow(this.#options).getTime()
  }

  deadline(marginMs: number): AbortSignal {
    const { variables, name } = this.#options
    return leaseDeadline(`the lock ${name} of ${variables.label}`, this.leftMs(), marginMs)
  }

  async confirm(neededMs: number): Promise<LeaseCheck> {
    const { variables, name } = this.#options
    const found = await readLock(this.#options, name, 'mint')
    if (found === undefined) {
      return {
        held: false,
        owned: false,
        reason: `the lock ${name} of ${variables.label} was deleted by someone else while this run held it`
      }
    }
    if (found.record.token !== this.#record.token) {
      return { held: false, owned: false, reason: this.#successor(found) }
    }
    const leftMs = this.leftMs()
    if (leftMs < neededMs) {
      return {
        held: false,
        owned: true,
        reason: shortLeaseReason(
          `the lock ${name} of ${variables.label}`,
          leftMs,
          neededMs,
          iso(this.#endsAt),
          "GitLab's"
        )
      }
    }
    return { held: true, endsAt: this.#endsAt, leftMs }
  }

  /**
   * Deletes the lock if it is still this run's and enough of the lease is left for the delete to
   * land before it ends: a delete that lands after a successor took the lock over would remove the
   * successor's. Otherwise the lock is left to expire. A failure is only a warning.
   */
  async release(): Promise<void> {
    const { variables, name, log } = this.#options
    try {
      const found = await readLock(this.#options, name, 'report')
      if (found === undefined) {
        log.warning(
          `The lock ${name} of ${variables.label} was already gone at the end of this run: someone else deleted it while this run held it.`
        )
        return
      }
      if (found.record.token !== this.#record.token) {
        log.warning(
          `Left the lock ${name} of ${variables.label} in place: ${this.#successor(found)}.`
        )
        return
      }
      if (this.leftMs() < LOCK_REQUEST_BUDGET_MS) {
        log.warning(
          `Left the lock ${name} of ${variables.label} to expire on its own at ${iso(this.#endsAt)} (GitLab's clock): too little of this run's lease is left to delete it safely, since a delete that lands after the lease ends could remove the lock of the run that takes it over. Raise lock-expires-after.`
        )
        return
      }
      await variables.delete(name, 'report', { once: true })
      if (this.#record.generation >= 2) {
        await variables
          .delete(claimOf(name, this.#record.generation), 'report', { once: true })
          .catch(() => false)
      }
    } catch (error) {
      log.warning(
        `${describeError(error)} The lock's lease ends on its own at ${iso(this.#endsAt)} (GitLab's clock); until then other runs wait for it.`
      )
    }
  }

  /** What happened to this run's lock, given the lock another run holds now. */
  #successor(found: Found): string {
    const { variables, name } = this.#options
    const other = `${found.record.owner} (generation ${found.record.generation}) until ${iso(found.expiresAt)}`
    return found.record.generation > this.#record.generation
      ? `the lock ${name} of ${variables.label} was taken over by ${other}, after this run's lease ended at ${iso(this.#endsAt)} by GitLab's clock`
      : `the lock ${name} of ${variables.label} was deleted or overwritten by someone else while this run held it (an operator, or a request of another run that landed late), and is now held by ${other}`
  }
}

/**
 * Creates `name` holding `record`: true when created, false when it exists or when the create's
 * answer was lost (it may have landed: the caller reads it and recognises its own token).
 */
async function tryCreate(
  options: GitLabLockOptions,
  name: string,
  record: LockRecord
): Promise<boolean> {
  try {
    return await options.variables.create(name, JSON.stringify(record), PLAIN, 'preflight')
  } catch (error) {
    if (isLostAnswer(error)) return false
    throw error
  }
}

/** A lock's variable: readable (it holds no secret), and available to every branch's jobs. */
const PLAIN = { hidden: false, protected: false }

/** The claim variable that only the run taking the lock to `generation` can create. */
function claimOf(name: string, generation: number): string {
  return `${name}_${String(generation)}`
}

/**
 * The end of a lease written now: GitLab's time now at the latest, plus the lease. A create that
 * lands later only shortens the lease, which its holder measures from this same end.
 */
function expiry(options: GitLabLockOptions, ttlMs: number): string {
  return new Date(latestGitLabNow(options).getTime() + ttlMs).toISOString()
}

function gitlabNow(options: GitLabLockOptions): Date {
  const now = options.variables.clock.earliest()
  if (now === undefined) throw noDateError(options)
  return now
}

function latestGitLabNow(options: GitLabLockOptions): Date {
  const now = options.variables.clock.latest()
  if (now === undefined) throw noDateError(options)
  return now
}

function noDateError(options: GitLabLockOptions): ActionError {
  return new ActionError(
    `GitLab's answers about the lock ${options.name} of ${options.variables.label} carry no Date header, and a lock's expiry is judged on GitLab's clock only (runners' clocks disagree). Check the proxy between the runner and GitLab: it must pass the Date header.`,
    { code: 'gitlab-rejected', phase: 'preflight' }
  )
}

async function readLock(
  options: GitLabLockOptions,
  name: string,
  phase: Phase
): Promise<Found | undefined> {
  const variable = await options.variables.read(name, phase)
  if (variable === undefined) return undefined
  const text = variable.value ?? ''
  const record = parseLock(text)
  if (record === undefined) {
    // Not a lock this action wrote (or a hidden one, whose value GitLab never shows): expired.
    return {
      record: { owner: 'unknown', token: '', generation: 0, expiresAt: new Date(0).toISOString() },
      expiresAt: new Date(0),
      text,
      readable: false
    }
  }
  return { record, expiresAt: new Date(record.expiresAt), text, readable: true }
}

function parseLock(text: string): LockRecord | undefined {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  const parsed = recordSchema.safeParse(json)
  return parsed.success ? parsed.data : undefined
}

function lockedError(held: Found, options: GitLabLockOptions): ActionError {
  const { name, variables } = options
  return new ActionError(
    `Another rotation holds the lock ${name} of ${variables.label}: ${held.record.owner}; its lease ends at ${iso(held.expiresAt)} by GitLab's clock. Wait for that run to finish and run again; once the lease has ended, the next run takes the lock over by itself. If that run is known to be dead, delete the variable ${name} of ${variables.label} (Settings > CI/CD > Variables, or glab variable delete ${name}) and run again.`,
    { code: 'locked', phase: 'preflight' }
  )
}

function takingOverError(claim: Found, held: Found, options: GitLabLockOptions): ActionError {
  const { name, variables } = options
  return new ActionError(
    `The lock ${name} of ${variables.label} expired at ${iso(held.expiresAt)} by GitLab's clock (${held.record.owner} held it), and another run, ${claim.record.owner}, is taking it over at this moment (it claimed generation ${claim.record.generation}). Nothing was minted; run again once that run has finished.`,
    { code: 'locked', phase: 'preflight' }
  )
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
