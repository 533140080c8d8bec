import { randomBytes } from 'node:crypto'
import { describe, expect, test } from '@jest/globals'
import { fingerprint } from '../../src/engine/fingerprint.js'
import type { RotationPlan } from '../../src/engine/plan.js'
import type { HealthCheck, HealthResult, Issuer, Minted, Retired } from '../../src/engine/ports.js'
import { runRotation } from '../../src/engine/rotation.js'
import type { RotationState } from '../../src/engine/state.js'
import {
  MemoryAudit,
  MemoryClock,
  MemorySleep,
  MemoryStore,
  MemoryTargets,
  Runner,
  type KillPoint
} from '../support/engine-ports.js'
import { LOCK_TTL_MS, TARGETS } from '../support/engine-world.js'
import { MemoryLogger } from '../support/memory-logger.js'

/**
 * Minted.replaces: an issuer that knows the handle of the version it replaces (the id of the token
 * it copied) names it, and the record takes it as the published version's handle when it has
 * none. So the version made by hand before the first rotation, which no record ever named, is
 * revoked by handle like every later one.
 */

const GRACE_MS = 15 * 60 * 1000

/**
 * A key API: each mint creates a key and names the newest live key it replaces. With `rotates`,
 * the credential it is given dies and a new one comes back (a refresh token); without, it stays.
 */
class KeyApi implements Issuer {
  readonly kind = 'keys'
  readonly revokes = 'handle'
  readonly keys = new Map<string, { value: string; live: boolean }>()
  readonly issued: string[] = []
  readonly #runner: Runner
  readonly #rotates: boolean
  #spent = new Set<string>()

  constructor(runner: Runner, rotates: boolean) {
    this.#runner = runner
    this.#rotates = rotates
  }

  /** A key made by hand, as before any rotation. */
  handMade(): { handle: string; value: string } {
    return this.#create()
  }

  mint(current: string): Promise<Minted> {
    return this.#runner.call('mint', () => {
      if (this.#spent.has(current)) throw new Error('a spent credential was presented again')
      const live = [...this.keys.entries()].filter(([, key]) => key.live)
      const replaces = live.at(-1)?.[0]
      const key = this.#create()
      if (this.#rotates) this.#spent.add(current)
      const next = this.#rotates ? `cred_${randomBytes(12).toString('base64url')}` : current
      if (this.#rotates) this.issued.push(next)
      return {
        value: key.value,
        next,
        rotated: this.#rotates,
        handle: key.handle,
        ...(replaces !== undefined ? { replaces } : {})
      }
    })
  }

  revoke(retired: Retired): Promise<void> {
    return this.#runner.call('revoke', () => {
      if (retired.by !== 'handle') throw new Error('by handle only')
      const key = this.keys.get(retired.handle)
      if (key) key.live = false
    })
  }

  live(value: string): boolean {
    return [...this.keys.values()].some(key => key.value === value && key.live)
  }

  #create(): { handle: string; value: string } {
    const handle = `key-${String(this.keys.size + 1)}`
    const value = `sk_${randomBytes(18).toString('base64url')}`
    this.keys.set(handle, { value, live: true })
    this.issued.push(value)
    return { handle, value }
  }
}

class World {
  readonly clock = new MemoryClock()
  readonly sleeper = new MemorySleep(this.clock)
  readonly runner = new Runner()
  readonly api: KeyApi
  readonly store: MemoryStore
  readonly targets: MemoryTargets
  readonly handMade: { handle: string; value: string }
  readonly logs: MemoryLogger[] = []
  #runs = 0

  constructor(rotates: boolean) {
    this.api = new KeyApi(this.runner, rotates)
    this.handMade = this.api.handMade()
    this.store = new MemoryStore(
      'cred_initial_credential',
      this.clock,
      this.sleeper.sleep,
      this.runner
    )
    this.targets = new MemoryTargets(TARGETS, this.handMade.value, this.runner)
  }

  async run(changes: Partial<RotationPlan> = {}, kill?: KillPoint) {
    this.#runs += 1
    this.runner.reset(kill)
    const log = new MemoryLogger()
    this.logs.push(log)
    const health: HealthCheck = {
      description: 'GET https://keys.example.test/whoami',
      check: (value: string): Promise<HealthResult> =>
        this.runner.call('health', () => {
          const ok = this.api.live(value)
          return { ok, attempts: 1, detail: ok ? 'HTTP 200' : 'HTTP 401' }
        })
    }
    return runRotation(
      {
        issuer: this.api,
        store: this.store,
        lock: this.store,
        targets: this.targets,
        healthCheck: health,
        clock: this.clock,
        sleep: this.sleeper.sleep,
        log,
        audit: new MemoryAudit()
      },
      {
        mode: 'rotate',
        dryRun: false,
        runId: `run ${String(this.#runs)} attempt 1`,
        input: this.store.secret,
        revokePrevious: true,
        gracePeriodMs: GRACE_MS,
        lockTtlMs: LOCK_TTL_MS,
        ...changes
      }
    )
  }

  get record(): RotationState | undefined {
    return this.store.record
  }

  /** No key or credential appears in any record written or any log line. */
  expectNoLeaks(): void {
    const texts = [...this.store.recordWrites, ...this.logs.map(log => log.text())].join('\n')
    expect(this.api.issued.filter(secret => texts.includes(secret))).toEqual([])
  }
}

describe('Minted.replaces', () => {
  test('the first rotation records the hand-made key by the handle the issuer names, and revokes it after the grace', async () => {
    const world = new World(false)
    const first = await world.run()
    expect(first.status).toBe('rotated')
    // No warning that the replaced value has no handle: the issuer named it.
    expect(first.warnings.join('\n')).not.toMatch(/no recorded handle/)
    expect(world.record?.retirements).toEqual([
      expect.objectContaining({ handle: world.handMade.handle })
    ])
    // Named by a stand-in: the run never knew the hand-made key's value.
    expect(JSON.stringify(world.record)).not.toContain(world.handMade.value)
    expect(world.api.live(world.handMade.value)).toBe(true)

    world.clock.advance(GRACE_MS + 1)
    await world.run({ rotateIfOlderThanMs: 24 * 60 * 60 * 1000 })
    expect(world.api.live(world.handMade.value)).toBe(false)
    expect(world.api.live(world.targets.valueOf(TARGETS[0]) ?? '')).toBe(true)
    world.expectNoLeaks()
  })

  test("names the hand-made key by its value's fingerprint when the run was given it", async () => {
    const world = new World(false)
    await world.run({ previousValue: world.handMade.value })
    expect(world.record?.retirements).toEqual([
      expect.objectContaining({
        fingerprint: fingerprint(world.handMade.value),
        handle: world.handMade.handle
      })
    ])
  })

  test('is ignored once the record names the published version: the record knows what was published', async () => {
    const world = new World(false)
    await world.run()
    const published = world.record?.published
    world.clock.advance(GRACE_MS + 1)
    // Someone makes another key of that name by hand: the issuer would name it as replaced.
    const stray = world.api.handMade()
    await world.run()
    const handles = (world.record?.retirements ?? []).map(r => r.handle)
    expect(handles).toContain(published?.handle)
    expect(handles).not.toContain(stray.handle)
    world.clock.advance(GRACE_MS + 1)
    await world.run({ rotateIfOlderThanMs: 24 * 60 * 60 * 1000 })
    expect(world.api.live(stray.value)).toBe(true)
  })

  test('survives a run killed after its persist: the resumed rotation still revokes the hand-made key', async () => {
    const world = new World(true)
    const killed = await world.run({}, { call: 'persist', when: 'after' })
    expect(killed.status).toBe('failed')
    expect(world.record?.pending?.replaces).toBe(world.handMade.handle)
    world.clock.advance(LOCK_TTL_MS + 1)
    const resumed = await world.run()
    expect(resumed.status).toBe('rotated')
    const handles = (world.record?.retirements ?? []).map(r => r.handle)
    expect(handles).toContain(world.handMade.handle)
    world.clock.advance(GRACE_MS + 1)
    await world.run({ rotateIfOlderThanMs: 24 * 60 * 60 * 1000 })
    expect(world.api.live(world.handMade.value)).toBe(false)
    world.expectNoLeaks()
  })

  test('a replaced handle that holds a secret is dropped, never recorded', async () => {
    const world = new World(false)
    const mint = world.api.mint.bind(world.api)
    world.api.mint = async current => {
      const minted = await mint(current)
      return { ...minted, replaces: `id ${minted.value}` }
    }
    const run = await world.run()
    expect(run.warnings.join('\n')).toMatch(/version it replaces with a handle that holds a secret/)
    expect(world.record?.retirements).toEqual([])
    world.expectNoLeaks()
  })
})
