import { randomBytes } from 'node:crypto'
import * as z from 'zod'
import type { Lease, LeaseCheck, Lock } from '../../engine/ports.js'
import { ActionError, describeError } from '../../errors.js'
import { toGitHubError } from './request-errors.js'
import type { Logger } from '../../logger.js'
import { repositoryNotFound, VARIABLES_PERMISSION, type RepositoryVariables } from './variables.js'
import { abortIn, leaseDeadline, shortLeaseReason } from '../../engine/lease.js'

// The protocol and why each interleaving is safe: docs/adr/0005-one-writer-lock.md.

/**
 * The lock variable's value: who holds it, which holding (`token`), its generation and how long
 * its lease lasts from the variable's `updated_at`. Never a secret, and no time of the runner's.
 */
const recordSchema = z.object({
  owner: z.string(),
  token: z.string(),
  generation: z.number().int().min(0),
  ttlMs: z.number().int().min(0)
})

/** What versions before the generations wrote: times on the runner's clock. */
const legacySchema = z.object({
  owner: z.string(),
  acquiredAt: z.iso.datetime(),
  expiresAt: z.iso.datetime()
})

type LockRecord = z.infer<typeof recordSchema>

/** A lock (or a claim) as read from GitHub, with its expiry on GitHub's clock. */
interface Found {
  record: LockRecord
  updatedAt: Date
  expiresAt: Date
  /** False when the value is not a lock this action wrote. */
  readable: boolean
}

/** Longest a lock request may take to land, Octokit's retries included (4 x 10 s + 14 s). */
export const LOCK_REQUEST_BUDGET_MS = 60_000

/** Rounds of create, read and take-over before a run gives up on a lock that keeps changing. */
const MAX_ROUNDS = 3
/** Claims of abandoned take-overs skipped before giving up. */
const MAX_SKIPS = 5

/** What {@link acquireVariableLock} needs. */
export interface VariableLockOptions {
  variables: RepositoryVariables
  /** The lock variable's name. */
  name: string
  log: Logger
}

/**
 * The {@link Lock} port over a repository variable (see {@link acquireVariableLock}).
 * @param options the repository's variables and the lock variable's name
 */
export function createVariableLock(options: VariableLockOptions): Lock {
  return {
    description: `variable ${options.name} of ${options.variables.repository}`,
    acquire: (owner, ttlMs) => acquireVariableLock(options, owner, ttlMs)
  }
}

/**
 * Takes the one-writer lock, a repository variable, with the one atomic operation GitHub has for
 * variables: a create of an existing name answers 409.
 *
 * - Free: the create succeeds; this run holds generation 1.
 * - Held and its lease not over (its `updated_at` plus its `ttlMs`, against the `Date` of GitHub's
 *   answer: GitHub's clock, never the runner's): refused with code `locked`.
 * - Held and expired: the run must first create the claim variable `<name>_<g+1>`, which only one
 *   run can do; the claimant reads the lock again and, only if it is still the expired generation
 *   g, replaces it with its own record of generation g+1. A lock is never deleted to take it over.
 *
 * @param owner names this run, for the message another run gets
 * @throws ActionError `locked` when a live run holds the lock or another run is taking it over;
 *   `github-*` when GitHub refuses
 */
export async function acquireVariableLock(
  options: VariableLockOptions,
  owner: string,
  ttlMs: number
): Promise<Lease> {
  const { variables, name } = options
  const mine = { owner, token: randomBytes(8).toString('hex'), ttlMs }
  try {
    for (let round = 1; round <= MAX_ROUNDS; round += 1) {
      const fresh: LockRecord = { ...mine, generation: 1 }
      if (await variables.create(name, JSON.stringify(fresh))) {
        return new VariableLease(options, fresh, endsBy(options, ttlMs), endsAfter(options, ttlMs))
      }
      const held = await readLock(variables, name)
      // Released between the create and the read: create again.
      if (held === undefined) continue
      // This run's own create, sent again by the client after its answer was lost.
      if (held.record.token === mine.token)
        return new VariableLease(options, held.record, held.expiresAt, held.expiresAt)
      if (held.expiresAt > githubNow(options)) throw lockedError(held, options)
      const taken = await takeOver(options, held, mine)
      if (taken) return taken
    }
  } catch (error) {
    throw toGitHubError(error, {
      phase: 'preflight',
      doing: `taking the lock ${name} of ${variables.repository}`,
      permission: VARIABLES_PERMISSION,
      notFound: repositoryNotFound(variables.repository)
    })
  }
  throw new ActionError(
    `The lock ${name} of ${variables.repository} changed hands ${MAX_ROUNDS} times while this run was taking it: other runs are starting at the same time. Nothing was minted; run again once they have finished.`,
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
  options: VariableLockOptions,
  held: Found,
  mine: Omit<LockRecord, 'generation'>
): Promise<Lease | undefined> {
  const { variables, name, log } = options
  const skipped: number[] = []
  for (let generation = held.record.generation + 1; skipped.length <= MAX_SKIPS; generation += 1) {
    const claimName = claimOf(name, generation)
    const record: LockRecord = { ...mine, generation }
    let claimEnds: Date
    if (await variables.create(claimName, JSON.stringify(record))) {
      claimEnds = endsAfter(options, mine.ttlMs)
    } else {
      const claim = await readLock(variables, claimName)
      if (claim === undefined) return undefined
      if (claim.record.token !== mine.token) {
        if (claim.expiresAt > githubNow(options)) throw takingOverError(claim, held, options)
        skipped.push(generation)
        continue
      }
      // Otherwise the claim is this run's own create, whose answer was lost.
      claimEnds = claim.expiresAt
    }
    const again = await readLock(variables, name)
    const unchanged =
      again !== undefined &&
      again.record.token === held.record.token &&
      again.updatedAt.getTime() === held.updatedAt.getTime() &&
      again.expiresAt <= githubNow(options)
    // Once the claim has expired another run may skip it and take the lock: this write must not
    // land after that, or it would replace that run's lock.
    const beforeClaimEnds = abortIn(
      claimEnds.getTime() - latestGitHubNow(options).getTime() - LOCK_REQUEST_BUDGET_MS,
      `the claim ${claimName} of ${variables.repository} would expire before the take-over could land`
    )
    if (
      !unchanged ||
      !(await variables.update(name, JSON.stringify(record), { signal: beforeClaimEnds }))
    ) {
      // This generation never reached the lock, so no other run can depend on the claim.
      await variables.delete(claimName, { once: true }).catch(() => false)
      return undefined
    }
    const lease = new VariableLease(
      options,
      record,
      endsBy(options, mine.ttlMs),
      endsAfter(options, mine.ttlMs)
    )
    log.warning(
      held.readable
        ? `Took over the lock ${name} of ${variables.repository}: ${held.record.owner} took it at ${iso(held.updatedAt)} and its lease ended at ${iso(held.expiresAt)} by GitHub's clock, without a release (that run most likely died). This run holds generation ${generation}.`
        : `Took over the lock ${name} of ${variables.repository}: its value is not a lock this action wrote, and it was last written at ${iso(held.updatedAt)}.`
    )
    // Claims of older generations can no longer win anything: a run that claims one again finds
    // the lock at this generation and stops.
    for (const old of [held.record.generation, ...skipped]) {
      if (old >= 2) await variables.delete(claimOf(name, old), { once: true }).catch(() => false)
    }
    return lease
  }
  throw new ActionError(
    `The lock ${name} of ${variables.repository} has ${MAX_SKIPS} abandoned take-over claims (${claimOf(name, held.record.generation + 1)} and on): delete the variables ${name}_* and run again.`,
    { code: 'locked', phase: 'preflight' }
  )
}

/** The lock held by this run. */
class VariableLease implements Lease {
  readonly holder: string
  readonly #options: VariableLockOptions
  readonly #record: LockRecord
  #endsBy: Date
  /** The earliest this lease can end, on GitHub's clock. */
  #endsAfter: Date

  constructor(options: VariableLockOptions, record: LockRecord, endsBy: Date, endsAfter: Date) {
    this.#options = options
    this.#record = record
    this.#endsBy = endsBy
    this.#endsAfter = endsAfter
    this.holder = `${record.owner} (lock generation ${record.generation})`
  }

  endsBy(): Date {
    return this.#endsBy
  }

  now(): Date {
    return githubNow(this.#options)
  }

  leftMs(): number {
    return this.#endsAfter.getTime() - latestGitHubNow(this.#options).getTime()
  }

  deadline(marginMs: number): AbortSignal {
    const { variables, name } = this.#options
    return leaseDeadline(`the lock ${name} of ${variables.repository}`, this.leftMs(), marginMs)
  }

  async confirm(neededMs: number): Promise<LeaseCheck> {
    const { variables, name } = this.#options
    let found: Found | undefined
    try {
      found = await readLock(variables, name)
    } catch (error) {
      throw toGitHubError(error, {
        phase: 'mint',
        doing: `reading the lock ${name} of ${variables.repository} again before minting`,
        permission: VARIABLES_PERMISSION
      })
    }
    if (found === undefined) {
      return {
        held: false,
        owned: false,
        reason: `the lock ${name} of ${variables.repository} was deleted by someone else while this run held it`
      }
    }
    if (found.record.token !== this.#record.token) {
      return { held: false, owned: false, reason: this.#successor(found) }
    }
    this.#endsBy = found.expiresAt
    this.#endsAfter = found.expiresAt
    const leftMs = found.expiresAt.getTime() - latestGitHubNow(this.#options).getTime()
    if (leftMs < neededMs) {
      return {
        held: false,
        owned: true,
        reason: shortLeaseReason(
          `the lock ${name} of ${variables.repository}`,
          leftMs,
          neededMs,
          iso(found.expiresAt),
          "GitHub's"
        )
      }
    }
    return { held: true, endsAt: found.expiresAt, leftMs }
  }

  /**
   * Deletes the lock if it is still this run's and enough of the lease is left for the delete to
   * land before it ends: a delete that lands after a successor took the lock over would remove the
   * successor's. Otherwise the lock is left to expire. A failure is only a warning.
   */
  async release(): Promise<void> {
    const { variables, name, log } = this.#options
    try {
      const found = await readLock(variables, name)
      if (found === undefined) {
        log.warning(
          `The lock ${name} of ${variables.repository} was already gone at the end of this run: someone else deleted it while this run held it.`
        )
        return
      }
      if (found.record.token !== this.#record.token) {
        log.warning(
          `Left the lock ${name} of ${variables.repository} in place: ${this.#successor(found)}.`
        )
        return
      }
      const leftMs = found.expiresAt.getTime() - latestGitHubNow(this.#options).getTime()
      if (leftMs < LOCK_REQUEST_BUDGET_MS) {
        log.warning(
          `Left the lock ${name} of ${variables.repository} to expire on its own at ${iso(found.expiresAt)} (GitHub's clock): too little of this run's lease is left to delete it safely, since a delete that lands after the lease ends could remove the lock of the run that takes it over. Raise lock-expires-after.`
        )
        return
      }
      await variables.delete(name, { once: true })
      if (this.#record.generation >= 2) {
        await variables
          .delete(claimOf(name, this.#record.generation), { once: true })
          .catch(() => false)
      }
    } catch (error) {
      const reason = toGitHubError(error, {
        phase: 'report',
        doing: `releasing the lock ${name} of ${variables.repository}`,
        permission: VARIABLES_PERMISSION
      })
      log.warning(
        `${describeError(reason)} The lock's lease ends on its own at ${iso(this.#endsBy)} at the latest (GitHub's clock); until then other runs wait for it.`
      )
    }
  }

  /** What happened to this run's lock, given the lock another run holds now. */
  #successor(found: Found): string {
    const { variables, name } = this.#options
    const other = `${found.record.owner} (generation ${found.record.generation}) since ${iso(found.updatedAt)}`
    return found.record.generation > this.#record.generation
      ? `the lock ${name} of ${variables.repository} was taken over by ${other}, after this run's lease ended at ${iso(this.#endsBy)} by GitHub's clock`
      : `the lock ${name} of ${variables.repository} was deleted or overwritten by someone else while this run held it (an operator, or a request of another run that landed late), and is now held by ${other}`
  }
}

/** The claim variable that only the run taking the lock to `generation` can create. */
function claimOf(name: string, generation: number): string {
  return `${name}_${String(generation)}`
}

/** The latest end of a lease written just now: its `updated_at` is not later than GitHub's now. */
function endsBy(options: VariableLockOptions, ttlMs: number): Date {
  return new Date(latestGitHubNow(options).getTime() + ttlMs)
}

/** The earliest end of a lease written just now: its `updated_at` is not earlier than this. */
function endsAfter(options: VariableLockOptions, ttlMs: number): Date {
  const handled = options.variables.clock.handledNoEarlierThan()
  if (handled === undefined) throw noDateError(options)
  return new Date(handled.getTime() + ttlMs)
}

function githubNow(options: VariableLockOptions): Date {
  const now = options.variables.clock.earliest()
  if (now === undefined) throw noDateError(options)
  return now
}

function latestGitHubNow(options: VariableLockOptions): Date {
  const now = options.variables.clock.latest()
  if (now === undefined) throw noDateError(options)
  return now
}

function noDateError(options: VariableLockOptions): ActionError {
  return new ActionError(
    `GitHub's answers about the lock ${options.name} of ${options.variables.repository} carry no Date header, and a lock's expiry is judged on GitHub's clock only (runners' clocks disagree). Check the proxy between the runner and GitHub: it must pass the Date header.`,
    { code: 'github-rejected', phase: 'preflight' }
  )
}

async function readLock(variables: RepositoryVariables, name: string): Promise<Found | undefined> {
  const variable = await variables.read(name)
  if (variable === undefined) return undefined
  const record = parseLock(variable.value)
  const found = record ?? { owner: 'unknown', token: '', generation: 0, ttlMs: 0 }
  return {
    record: found,
    updatedAt: variable.updatedAt,
    expiresAt: new Date(variable.updatedAt.getTime() + found.ttlMs),
    readable: record !== undefined
  }
}

function parseLock(text: string): LockRecord | undefined {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  const parsed = recordSchema.safeParse(json)
  if (parsed.success) return parsed.data
  // An older version's lock: its time-to-live is what it meant, counted on GitHub's clock.
  const legacy = legacySchema.safeParse(json)
  if (!legacy.success) return undefined
  const { owner, acquiredAt, expiresAt } = legacy.data
  const ttlMs = Math.max(0, Date.parse(expiresAt) - Date.parse(acquiredAt))
  return { owner, token: `legacy ${acquiredAt}`, generation: 0, ttlMs }
}

function lockedError(held: Found, options: VariableLockOptions): ActionError {
  const { name, variables } = options
  return new ActionError(
    `Another rotation holds the lock ${name} of ${variables.repository}: ${held.record.owner}, since ${iso(held.updatedAt)}; its lease ends at ${iso(held.expiresAt)} by GitHub's clock. Wait for that run to finish and run again; once the lease has ended, the next run takes the lock over by itself. If that run is known to be dead, delete the repository variable ${name} (gh variable delete ${name} --repo ${variables.repository}) and run again.`,
    { code: 'locked', phase: 'preflight' }
  )
}

function takingOverError(claim: Found, held: Found, options: VariableLockOptions): ActionError {
  const { name, variables } = options
  return new ActionError(
    `The lock ${name} of ${variables.repository} expired at ${iso(held.expiresAt)} by GitHub's clock (${held.record.owner} held it), and another run, ${claim.record.owner}, is taking it over at this moment (it claimed generation ${claim.record.generation} at ${iso(claim.updatedAt)}). Nothing was minted; run again once that run has finished.`,
    { code: 'locked', phase: 'preflight' }
  )
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z')
}
