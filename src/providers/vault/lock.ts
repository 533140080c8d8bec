import { randomBytes } from 'node:crypto'
import * as z from 'zod'
import type { Lease, LeaseCheck, Lock } from '../../engine/ports.js'
import { ActionError, describeError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { isCasMismatch } from './errors.js'
import type { VaultAnswer } from './http.js'
import type { KvV2 } from './kv.js'
import { leaseDeadline, shortLeaseReason } from '../../engine/lease.js'

/**
 * What the lock secret's newest version holds: who holds it and for how long from the version's
 * `created_time` (Vault's clock), or that it was released. Never a secret.
 */
const lockSchema = z.object({
  owner: z.string(),
  token: z.string(),
  ttlMs: z.number().int().min(0),
  released: z.boolean().optional()
})

type LockData = z.infer<typeof lockSchema>

/** Rounds of read and write before a run gives up on a lock that keeps changing. */
const MAX_ROUNDS = 3

/**
 * Vault's clock as the runner knows it: bounds on Vault's time minus the runner's, narrowed by
 * every answer (its `Date`, cut to the second) and every write (its `created_time`, which Vault
 * took between the request leaving and its answer arriving). Runners' clocks disagree; a lock's
 * times are Vault's.
 */
export class VaultClock {
  #low = Number.NEGATIVE_INFINITY
  #high = Number.POSITIVE_INFINITY

  /** Learns from an answer's `Date`. */
  observe(answer: VaultAnswer): void {
    if (answer.date === undefined) return
    const date = answer.date.getTime()
    this.#narrow(date - answer.receivedAt, date + 1000 - answer.sentAt)
  }

  /** Learns from a write Vault stamped `created` while `answer` was under way. */
  observeWrite(created: Date, answer: VaultAnswer): void {
    const at = created.getTime()
    this.#narrow(at - answer.receivedAt, at - answer.sentAt)
  }

  /** The earliest Vault's clock can read now; undefined before any answer. */
  earliest(): Date | undefined {
    return Number.isFinite(this.#low) ? new Date(Date.now() + this.#low) : undefined
  }

  /** The latest Vault's clock can read now; undefined before any answer. */
  latest(): Date | undefined {
    return Number.isFinite(this.#high) ? new Date(Date.now() + this.#high) : undefined
  }

  #narrow(low: number, high: number): void {
    this.#low = Math.max(this.#low, low)
    this.#high = Math.min(this.#high, high)
    // Answers that disagree (a Date header off by more than its second): trust the newest.
    if (this.#low > this.#high) [this.#low, this.#high] = [low, high]
  }
}

/** What the KV lock needs. */
export interface KvLockOptions {
  kv: KvV2
  /** The lock secret's path on the mount. */
  path: string
  clock: VaultClock
  log: Logger
  /** Told when this run takes the lock (true) and when it lets it go (false). */
  onHeld?: (held: boolean) => void
}

/**
 * The one-writer lock of a Vault store: a KV v2 secret of its own, taken with check-and-set.
 *
 * - Free (no secret: `cas: 0`; or its newest version says `released`, or was deleted): the run
 *   writes its holding with `cas` set to the version it read. Only one run can write the next
 *   version; the other gets 400 and reads again.
 * - Held, its lease not over (the version's `created_time` plus its `ttlMs`, judged on Vault's
 *   clock): refused with code `locked`.
 * - Held and expired: taken over the same way, with `cas` set to the expired version.
 *
 * The release writes a `released` version with `cas` set to the run's own version: it can never
 * replace a successor's holding, however late it lands.
 */
export function createKvLock(options: KvLockOptions): Lock {
  return {
    description: `Vault KV secret ${options.kv.name(options.path)}`,
    acquire: (owner, ttlMs) => acquireKvLock(options, owner, ttlMs)
  }
}

async function acquireKvLock(options: KvLockOptions, owner: string, ttlMs: number): Promise<Lease> {
  const { kv, path, clock, log } = options
  const mine: LockData = { owner, token: randomBytes(8).toString('hex'), ttlMs }
  for (let round = 1; round <= MAX_ROUNDS; round += 1) {
    const read = await kv.read(path, 'preflight')
    if (read.answer) clock.observe(read.answer)
    let cas = read.found ? read.latest.version : read.currentVersion
    let takenOver: string | undefined
    if (read.found) {
      const held = parseLock(read.latest.data)
      if (held?.token === mine.token) {
        // This run's own write, whose answer was lost.
        options.onHeld?.(true)
        return new KvLease(options, mine, read.latest.version, read.latest.createdTime)
      }
      if (held?.released !== true) {
        const expiresAt = new Date(read.latest.createdTime.getTime() + (held?.ttlMs ?? 0))
        const now = clock.earliest()
        if (now === undefined || expiresAt > now) {
          throw lockedError(options, held, read.latest.createdTime, expiresAt)
        }
        takenOver = held
          ? `Took over the lock ${kv.name(path)}: ${held.owner} took it at ${iso(read.latest.createdTime)} and its lease ended at ${iso(expiresAt)} by Vault's clock, without a release (that run most likely died).`
          : `Took over the lock ${kv.name(path)}: its newest version is not a lock this action wrote, and it was written at ${iso(read.latest.createdTime)}.`
      }
      cas = read.latest.version
    }
    try {
      const written = await kv.write(path, { ...mine }, cas, 'preflight', {
        doing: `taking the lock ${kv.name(path)}`
      })
      clock.observeWrite(written.createdTime, written.answer)
      if (takenOver !== undefined) log.warning(takenOver)
      options.onHeld?.(true)
      return new KvLease(options, mine, written.version, written.createdTime)
    } catch (error) {
      const cause = error instanceof ActionError ? error.cause : error
      // Another run wrote the lock between this run's read and write: read again.
      if (isCasMismatch(cause)) continue
      throw error
    }
  }
  throw new ActionError(
    `The lock ${kv.name(path)} changed hands ${MAX_ROUNDS} times while this run was taking it: other runs are starting at the same time. Nothing was minted; run again once they have finished.`,
    { code: 'locked', phase: 'preflight' }
  )
}

/** The lock held by this run: version `version` of the lock secret. */
class KvLease implements Lease {
  readonly holder: string
  readonly #options: KvLockOptions
  readonly #mine: LockData
  readonly #version: number
  readonly #endsAt: Date

  constructor(options: KvLockOptions, mine: LockData, version: number, createdTime: Date) {
    this.#options = options
    this.#mine = mine
    this.#version = version
    this.#endsAt = new Date(createdTime.getTime() + mine.ttlMs)
    this.holder = `${mine.owner} (lock version ${version})`
  }

  endsBy(): Date {
    return this.#endsAt
  }

  now(): Date {
    return this.#options.clock.earliest() ?? new Date(0)
  }

  leftMs(): number {
    const latest = this.#options.clock.latest()
    return latest === undefined ? 0 : this.#endsAt.getTime() - latest.getTime()
  }

  deadline(marginMs: number): AbortSignal {
    const { kv, path } = this.#options
    return leaseDeadline(`the lock ${kv.name(path)}`, this.leftMs(), marginMs)
  }

  async confirm(neededMs: number): Promise<LeaseCheck> {
    const { kv, path, clock } = this.#options
    const read = await kv.read(path, 'mint')
    if (read.answer) clock.observe(read.answer)
    if (!read.found) {
      return {
        held: false,
        owned: false,
        reason: `the lock ${kv.name(path)} was deleted by someone else while this run held it`
      }
    }
    const held = parseLock(read.latest.data)
    if (read.latest.version !== this.#version || held?.token !== this.#mine.token) {
      return {
        held: false,
        owned: false,
        reason: `the lock ${kv.name(path)} was written by someone else while this run held it (it is at version ${read.latest.version}${held ? `, held by ${held.owner}` : ''}; this run holds version ${this.#version})`
      }
    }
    const leftMs = this.leftMs()
    if (leftMs < neededMs) {
      return {
        held: false,
        owned: true,
        reason: shortLeaseReason(
          `the lock ${kv.name(path)}`,
          leftMs,
          neededMs,
          iso(this.#endsAt),
          "Vault's"
        )
      }
    }
    return { held: true, endsAt: this.#endsAt, leftMs }
  }

  /**
   * Writes a released version with `cas` set to this run's own: if another run wrote the lock
   * since, Vault refuses, and that run's holding stays. A failure is only a warning.
   */
  async release(): Promise<void> {
    const { kv, path, log, onHeld } = this.#options
    onHeld?.(false)
    try {
      await kv.write(path, { ...this.#mine, released: true }, this.#version, 'report', {
        doing: `releasing the lock ${kv.name(path)}`
      })
    } catch (error) {
      const cause = error instanceof ActionError ? error.cause : error
      log.warning(
        isCasMismatch(cause)
          ? `Left the lock ${kv.name(path)} as it is: someone else wrote it after this run took it (version ${this.#version}).`
          : `${describeError(error)} The lock's lease ends on its own at ${iso(this.#endsAt)} (Vault's clock); until then other runs wait for it.`
      )
    }
  }
}

function parseLock(data: Record<string, unknown>): LockData | undefined {
  const parsed = lockSchema.safeParse(data)
  return parsed.success ? parsed.data : undefined
}

function lockedError(
  options: KvLockOptions,
  held: LockData | undefined,
  since: Date,
  expiresAt: Date
): ActionError {
  const { kv, path } = options
  return new ActionError(
    `Another rotation holds the lock ${kv.name(path)}: ${held?.owner ?? 'an unknown writer'}, since ${iso(since)}; its lease ends at ${iso(expiresAt)} by Vault's clock. Wait for that run to finish and run again; once the lease has ended, the next run takes the lock over by itself. If that run is known to be dead, release the lock by hand (vault kv delete -mount=${kv.mount} ${path}) and run again.`,
    { code: 'locked', phase: 'preflight' }
  )
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z')
}
