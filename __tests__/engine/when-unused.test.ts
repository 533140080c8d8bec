import { randomBytes } from 'node:crypto'
import { describe, expect, test } from '@jest/globals'
import { fingerprint } from '../../src/engine/fingerprint.js'
import type { RotationPlan } from '../../src/engine/plan.js'
import type {
  HealthCheck,
  HealthResult,
  Issuer,
  LastUse,
  Minted,
  Retired
} from '../../src/engine/ports.js'
import { judgeUse } from '../../src/engine/retirements.js'
import { runRotation } from '../../src/engine/rotation.js'
import { emptyState } from '../../src/engine/state.js'
import { ActionError } from '../../src/errors.js'
import {
  MemoryAudit,
  MemoryClock,
  MemorySleep,
  MemoryStore,
  MemoryTargets,
  Runner
} from '../support/engine-ports.js'
import { HOUR, LOCK_TTL_MS, TARGETS, detailOf } from '../support/engine-world.js'
import { MemoryLogger } from '../support/memory-logger.js'

/**
 * `retire.when-unused-for`: a due revocation by handle waits while the issuer reports the old
 * value still in use, judged on the issuer's clock only, and says so each run.
 */

const MINUTE = 60_000
const GRACE_MS = 15 * MINUTE
const QUIET_MS = HOUR

interface Key {
  value: string
  revoked: boolean
  lastUsedAt?: Date
}

/** A key API that records each key's last use on its own clock, as GitLab's `last_used_at`. */
class UsedKeys implements Issuer {
  readonly kind = 'keys'
  readonly revokes = 'handle'
  readonly #keys = new Map<string, Key>()
  /** The API's clock: it need not agree with the runner's. */
  readonly clock: MemoryClock
  readonly #runner: Runner
  /** Reading a key's use fails as a 503 would. */
  unreadable = false

  constructor(clock: MemoryClock, runner: Runner) {
    this.clock = clock
    this.#runner = runner
  }

  issue(): { value: string; handle: string } {
    const handle = `key-${String(this.#keys.size)}`
    const value = `sk_${randomBytes(12).toString('base64url')}`
    this.#keys.set(handle, { value, revoked: false })
    return { value, handle }
  }

  mint(current: string): Promise<Minted> {
    return this.#runner.call('mint', () => {
      const { value, handle } = this.issue()
      return { value, next: current, rotated: false, handle }
    })
  }

  revoke(retired: Retired): Promise<void> {
    return this.#runner.call('revoke', () => {
      if (retired.by !== 'handle') throw new Error('by handle only')
      const key = this.#keys.get(retired.handle)
      if (key) key.revoked = true
    })
  }

  lastUsed(handle: string): Promise<LastUse> {
    if (this.unreadable) {
      return Promise.reject(
        new ActionError('The key API answered 503.', {
          code: 'issuer-unreachable',
          phase: 'retire'
        })
      )
    }
    const key = this.#keys.get(handle)
    const now = this.clock.now()
    return Promise.resolve(
      key?.lastUsedAt && !key.revoked ? { lastUsedAt: key.lastUsedAt, now } : { now }
    )
  }

  /** Someone uses the key with `value` now (the API's clock). */
  use(value: string): void {
    const key = [...this.#keys.values()].find(k => k.value === value)
    if (key) key.lastUsedAt = this.clock.now()
  }

  live(value: string): boolean {
    return [...this.#keys.values()].some(k => k.value === value && !k.revoked)
  }
}

class LiveCheck implements HealthCheck {
  readonly description = 'GET https://keys.example.test/whoami'
  constructor(readonly keys: UsedKeys) {}
  check(value: string): Promise<HealthResult> {
    const ok = this.keys.live(value)
    return Promise.resolve({ ok, attempts: 1, detail: ok ? 'HTTP 200' : 'HTTP 401' })
  }
}

/** One credential, its first key published long ago, rotated with a grace and a quiet time. */
class World {
  readonly clock = new MemoryClock()
  readonly sleeper = new MemorySleep(this.clock)
  readonly runner = new Runner()
  readonly keys: UsedKeys
  readonly store: MemoryStore
  readonly targets: MemoryTargets
  readonly first: { value: string; handle: string }
  #runs = 0

  constructor(options: { issuerAheadMs?: number } = {}) {
    const issuerClock = new MemoryClock(this.clock.now().getTime() + (options.issuerAheadMs ?? 0))
    this.keys = new UsedKeys(issuerClock, this.runner)
    this.first = this.keys.issue()
    this.store = new MemoryStore('admin-credential', this.clock, this.sleeper.sleep, this.runner)
    this.targets = new MemoryTargets(TARGETS, this.first.value, this.runner)
    const since = new Date(this.clock.now().getTime() - 30 * 24 * HOUR).toISOString()
    this.store.setRecord({
      ...emptyState(),
      current: { fingerprint: fingerprint('admin-credential'), since },
      published: {
        fingerprint: fingerprint(this.first.value),
        at: since,
        handle: this.first.handle
      },
      rotatedAt: since
    })
  }

  /** Both clocks move on together. */
  advance(ms: number): void {
    this.clock.advance(ms)
    this.keys.clock.advance(ms)
  }

  async run(changes: Partial<RotationPlan> = {}) {
    this.#runs += 1
    const log = new MemoryLogger()
    this.runner.reset()
    const outcome = await runRotation(
      {
        issuer: this.keys,
        store: this.store,
        lock: this.store,
        targets: this.targets,
        healthCheck: new LiveCheck(this.keys),
        clock: this.clock,
        sleep: this.sleeper.sleep,
        log,
        audit: new MemoryAudit()
      },
      {
        mode: 'rotate',
        dryRun: false,
        runId: `run ${String(this.#runs)} attempt 1`,
        input: 'admin-credential',
        revokePrevious: true,
        gracePeriodMs: GRACE_MS,
        retireWhenUnusedForMs: QUIET_MS,
        lockTtlMs: LOCK_TTL_MS,
        ...changes
      }
    )
    return { outcome, log }
  }
}

describe('retire.when-unused-for', () => {
  test('counts the runs in a row that found the old value in use, and says when it is revoked', async () => {
    const world = new World()
    await world.run()
    const deferrals: (number | undefined)[] = []
    for (let run = 0; run < 3; run += 1) {
      // A consumer keeps using the old key: each run finds it in use again.
      world.advance(20 * MINUTE)
      world.keys.use(world.first.value)
      const { outcome } = await world.run({ mode: 'retire' })
      deferrals.push(outcome.inUse?.deferrals)
      expect(outcome.inUse?.message).toContain('(handle key-0) waits: it was last used at')
    }
    expect(deferrals).toEqual([1, 2, 3])
    expect(world.store.record?.retirements.map(r => r.deferrals)).toEqual([3])

    // Left alone for an hour: revoked, and the run says it ended three runs of it.
    world.advance(QUIET_MS + MINUTE)
    const { outcome } = await world.run({ mode: 'retire' })
    expect(world.keys.live(world.first.value)).toBe(false)
    expect(outcome.inUse).toBeUndefined()
    expect(outcome.inUseEnded).toBe(3)
  })

  test('waits while the old value is in use, says so, and revokes it once it went quiet', async () => {
    const world = new World()
    const rotated = await world.run()
    expect(rotated.outcome.status).toBe('rotated')
    // A consumer still uses the old key a little after the rotation.
    world.advance(5 * MINUTE)
    world.keys.use(world.first.value)

    world.advance(20 * MINUTE)
    const early = await world.run({ mode: 'retire' })
    expect(early.outcome.status).toBe('retired')
    expect(early.outcome.error).toBeUndefined()
    expect(detailOf(early.outcome, 'retire')).toBe('1 revocation deferred: still in use')
    expect(early.outcome.warnings).toEqual([
      expect.stringMatching(/waits: it was last used at .*revoked once unused for 60m/)
    ])
    expect(world.keys.live(world.first.value)).toBe(true)
    expect(world.store.record?.retirements.map(r => r.handle)).toEqual([world.first.handle])

    // An hour after its last use, on the API's clock: revoked.
    world.advance(45 * MINUTE)
    const late = await world.run({ mode: 'retire' })
    expect(detailOf(late.outcome, 'retire')).toMatch(/^revoked .*key-0/)
    expect(world.keys.live(world.first.value)).toBe(false)
    expect(world.store.record?.retirements).toEqual([])
  })

  test('says louder when the old value is still in use past the grace period and the quiet time', async () => {
    const world = new World()
    await world.run()
    world.advance(2 * HOUR)
    world.keys.use(world.first.value)
    const run = await world.run({ mode: 'retire' })
    expect(run.outcome.warnings).toEqual([
      expect.stringMatching(/is still in use: .*Find what still uses it/)
    ])
    expect(world.keys.live(world.first.value)).toBe(true)
  })

  test("judges on the issuer's clock, not the runner's", async () => {
    // The runner's clock is 2 hours ahead of the API's: by the runner, the old key has been quiet
    // long enough; by the API, it was used 30 minutes ago.
    const world = new World({ issuerAheadMs: -2 * HOUR })
    await world.run()
    world.advance(30 * MINUTE)
    world.keys.use(world.first.value)
    world.advance(30 * MINUTE)
    world.clock.advance(2 * HOUR)
    await world.run({ mode: 'retire' })
    expect(world.keys.live(world.first.value)).toBe(true)
  })

  test('keeps the revocation when the last use cannot be read', async () => {
    const world = new World()
    await world.run()
    world.advance(3 * HOUR)
    world.keys.unreadable = true
    const run = await world.run({ mode: 'retire' })
    expect(run.outcome.warnings).toEqual([expect.stringMatching(/could not be read .*503/)])
    expect(world.keys.live(world.first.value)).toBe(true)
    world.keys.unreadable = false
    await world.run({ mode: 'retire' })
    expect(world.keys.live(world.first.value)).toBe(false)
  })

  test('judgeUse: never used, or quiet long enough, is revoked', () => {
    const now = new Date('2026-03-01T12:00:00Z')
    expect(judgeUse({ now }, QUIET_MS, 0, 0)).toEqual({ revoke: true })
    expect(
      judgeUse({ lastUsedAt: new Date(now.getTime() - QUIET_MS), now }, QUIET_MS, 0, 0)
    ).toEqual({
      revoke: true
    })
    expect(
      judgeUse({ lastUsedAt: new Date(now.getTime() - MINUTE), now }, QUIET_MS, 0, 0)
    ).toMatchObject({
      revoke: false,
      quietAt: new Date(now.getTime() - MINUTE + QUIET_MS)
    })
  })
})
