import { randomBytes } from 'node:crypto'
import { describe, expect, test } from '@jest/globals'
import { fingerprint } from '../../src/engine/fingerprint.js'
import type { RunOutcome } from '../../src/engine/outcome.js'
import type { RotationPlan } from '../../src/engine/plan.js'
import type { HealthCheck, HealthResult, Issuer, Minted, Retired } from '../../src/engine/ports.js'
import { runRotation } from '../../src/engine/rotation.js'
import { emptyState, rotationStateSchema, type RotationState } from '../../src/engine/state.js'
import { ActionError } from '../../src/errors.js'
import {
  MemoryAudit,
  MemoryClock,
  MemorySleep,
  MemoryStore,
  MemoryTargets,
  Runner,
  type KillPoint
} from '../support/engine-ports.js'
import { HOUR, LOCK_TTL_MS, TARGETS, World, detailOf, stepsOf } from '../support/engine-world.js'
import { MemoryLogger } from '../support/memory-logger.js'

/**
 * Revocation by handle (Minted.handle): an issuer that names each value it mints with a public
 * id (a lease, token or key id) and revokes by that id. The record keeps the id, never the value,
 * so a deferred revocation needs nothing from the workflow.
 */

const fp = fingerprint
const GRACE_MS = 15 * 60 * 1000

interface Key {
  value: string
  revoked: boolean
}

/**
 * A create-and-revoke key API: each mint creates a key (`sk_…`) named `key-<n>`, and a
 * revocation takes only that name. With `rotates`, minting also replaces the credential it is
 * given (it dies, like a self-rotating GitLab token); without, the credential stays (a Vault token
 * asking for dynamic secrets).
 */
class KeyIssuer implements Issuer {
  readonly kind = 'keys'
  readonly revokes = 'handle'
  /** Every secret this API ever issued (credentials and keys), for leak checks. */
  readonly issued: string[] = []
  /** Every revocation asked, as it was asked. */
  readonly revocations: Retired[] = []
  /** The handle it returns is the key itself: an API's mistake the engine must not record. */
  handleIsValue = false
  /** Revocations fail as a 503 would, until cleared. */
  revokeFails = false
  /** Mints from no credential of the run's (an admin key of its own, a Vault token it holds). */
  takesNoCredential = false
  readonly #rotates: boolean
  #nextKey: string | undefined
  readonly #keys = new Map<string, Key>()
  readonly #credentials = new Map<string, { spent: boolean }>()
  readonly #runner: Runner

  constructor(runner: Runner, options: { rotates: boolean }) {
    this.#runner = runner
    this.#rotates = options.rotates
  }

  /** The credential to mint with, and a first key made by hand. */
  authorize(): { credential: string; key: { value: string; handle: string } } {
    return { credential: this.#issueCredential(), key: this.#issueKey() }
  }

  mint(current: string): Promise<Minted> {
    return this.#runner.call('mint', () => {
      if (this.takesNoCredential) {
        const key = this.#issueKey()
        return { value: key.value, next: '', rotated: false, handle: key.handle }
      }
      const credential = this.#credentials.get(current)
      if (credential === undefined || credential.spent) {
        throw new ActionError('The key API refused the credential (401).', {
          code: 'reauthorization-needed',
          phase: 'mint'
        })
      }
      const key = this.#issueKey()
      if (this.#rotates) credential.spent = true
      const next = this.#rotates ? this.#issueCredential() : current
      return {
        value: key.value,
        next,
        rotated: this.#rotates,
        handle: this.handleIsValue ? key.value : key.handle
      }
    })
  }

  revoke(retired: Retired): Promise<void> {
    return this.#runner.call('revoke', () => {
      if (this.revokeFails) {
        throw new ActionError('The key API answered 503.', {
          code: 'issuer-unreachable',
          phase: 'retire'
        })
      }
      this.revocations.push(structuredClone(retired))
      if (retired.by !== 'handle') throw new Error('this API revokes a key by its id only')
      // An unknown or already revoked key counts as revoked: revocation is idempotent.
      const key = this.#keys.get(retired.handle)
      if (key) key.revoked = true
    })
  }

  /** The handles revocation was asked for, in order. */
  revokedHandles(): string[] {
    return this.revocations.map(r => (r.by === 'handle' ? r.handle : `value of ${r.fingerprint}`))
  }

  /** The value the next key will have. */
  nextKeyValue(): string {
    this.#nextKey ??= `sk_${randomBytes(18).toString('base64url')}`
    return this.#nextKey
  }

  keyLive(value: string): boolean {
    return [...this.#keys.values()].some(key => key.value === value && !key.revoked)
  }

  #issueCredential(): string {
    const value = `cred_${randomBytes(18).toString('base64url')}`
    this.#credentials.set(value, { spent: false })
    this.issued.push(value)
    return value
  }

  #issueKey(): { value: string; handle: string } {
    const handle = `key-${String(this.#keys.size)}`
    const value = this.nextKeyValue()
    this.#nextKey = undefined
    this.#keys.set(handle, { value, revoked: false })
    this.issued.push(value)
    return { value, handle }
  }
}

/** The API behind the keys: accepts a live key. */
class KeyHealthCheck implements HealthCheck {
  readonly description = 'GET https://keys.example.test/whoami'
  readonly probed: string[] = []
  /** Keys the API refuses although they are live (a key created without its scope). */
  readonly refused = new Set<string>()
  readonly #issuer: KeyIssuer
  readonly #runner: Runner

  constructor(issuer: KeyIssuer, runner: Runner) {
    this.#issuer = issuer
    this.#runner = runner
  }

  check(value: string): Promise<HealthResult> {
    return this.#runner.call('health', () => {
      this.probed.push(value)
      const ok = this.#issuer.keyLive(value) && !this.refused.has(value)
      return { ok, attempts: ok ? 1 : 3, detail: ok ? 'HTTP 200' : 'HTTP 401' }
    })
  }
}

interface KeyRun {
  outcome: RunOutcome
  log: MemoryLogger
  audit: MemoryAudit
}

/**
 * One credential rotated through the key API: the store holds the credential and the record, the
 * targets hold the key. No retiring secret and no retiring-value: runs are given only the store's
 * credential, as a workflow that revokes by handle gives them.
 */
class KeyWorld {
  readonly clock = new MemoryClock()
  readonly sleeper = new MemorySleep(this.clock)
  readonly runner = new Runner()
  readonly issuer: KeyIssuer
  readonly store: MemoryStore
  readonly targets: MemoryTargets
  readonly health: KeyHealthCheck
  readonly initial: { credential: string; key: { value: string; handle: string } }
  readonly runs: KeyRun[] = []
  #runs = 0

  /** @param record the record at the start: an earlier rotation's, with or without its handle */
  constructor(options: { rotates: boolean; record?: 'handles' | 'legacy' }) {
    this.issuer = new KeyIssuer(this.runner, options)
    this.health = new KeyHealthCheck(this.issuer, this.runner)
    this.initial = this.issuer.authorize()
    const { credential, key } = this.initial
    this.store = new MemoryStore(credential, this.clock, this.sleeper.sleep, this.runner)
    this.targets = new MemoryTargets(TARGETS, key.value, this.runner)
    const since = new Date(this.clock.now().getTime() - 30 * 24 * HOUR).toISOString()
    const published = { fingerprint: fp(key.value), at: since }
    this.store.setRecord({
      ...emptyState(),
      current: { fingerprint: fp(credential), since },
      published: options.record === 'legacy' ? published : { ...published, handle: key.handle },
      rotatedAt: since
    })
  }

  /** The value the targets hold now. */
  published(): string | undefined {
    return this.targets.valueOf(TARGETS[0])
  }

  async run(changes: Partial<RotationPlan> = {}, kill?: KillPoint): Promise<KeyRun> {
    this.#runs += 1
    const plan: RotationPlan = {
      mode: 'rotate',
      dryRun: false,
      runId: `run ${String(this.#runs)} attempt 1`,
      input: this.store.secret,
      revokePrevious: true,
      gracePeriodMs: GRACE_MS,
      lockTtlMs: LOCK_TTL_MS,
      ...changes
    }
    this.runner.reset(kill)
    const log = new MemoryLogger()
    const audit = new MemoryAudit()
    const outcome = await runRotation(
      {
        issuer: this.issuer,
        store: this.store,
        lock: this.store,
        targets: this.targets,
        healthCheck: this.health,
        clock: this.clock,
        sleep: this.sleeper.sleep,
        log,
        audit
      },
      plan
    )
    const run = { outcome, log, audit }
    this.runs.push(run)
    expectNoValueLeaks(this)
    return run
  }

  /** A run after the dead run's lock (and its marks' lease) expired. */
  rerun(changes: Partial<RotationPlan> = {}, kill?: KillPoint): Promise<KeyRun> {
    this.clock.advance(LOCK_TTL_MS + 1)
    return this.run(changes, kill)
  }

  get record(): RotationState | undefined {
    return this.store.record
  }
}

/**
 * Rule 5 for handles: no value the key API issued appears in any record written (the serialized
 * JSON, searched as text), log line, step, warning, error or audit event.
 */
function expectNoValueLeaks(world: KeyWorld): void {
  const texts = [
    ...world.store.recordWrites,
    ...world.runs.flatMap(({ outcome, log, audit }) => [
      log.text(),
      JSON.stringify(outcome.steps),
      outcome.warnings.join('\n'),
      outcome.error?.message ?? '',
      JSON.stringify(audit.events)
    ])
  ]
  const leaks = world.issuer.issued.filter(value => texts.some(text => text.includes(value)))
  expect(leaks).toEqual([])
}

describe('revoke-previous by handle', () => {
  test('a deferred retirement is revoked by its handle in a later run, with no retiring value', async () => {
    const world = new KeyWorld({ rotates: false })
    const k0 = world.initial.key.value
    const now = world.clock.now().getTime()

    const first = await world.run()
    const k1 = world.published() ?? ''

    expect(first.outcome.status).toBe('rotated')
    expect(detailOf(first.outcome, 'mint')).toBe(`new version ${fp(k1)} (handle key-1)`)
    expect(stepsOf(first.outcome).at(-1)).toEqual(['retire', 'skipped'])
    expect(world.record?.published).toMatchObject({ fingerprint: fp(k1), handle: 'key-1' })
    expect(world.record?.retirements).toEqual([
      { fingerprint: fp(k0), handle: 'key-0', dueAt: new Date(now + GRACE_MS).toISOString() }
    ])
    expect(world.issuer.revocations).toEqual([])
    expect(world.issuer.keyLive(k0)).toBe(true)

    world.clock.advance(GRACE_MS)
    const later = await world.run({ mode: 'retire', input: '' })

    expect(later.outcome.error).toBeUndefined()
    expect(later.outcome.status).toBe('retired')
    expect(stepsOf(later.outcome)).toEqual([
      ['preflight', 'ok'],
      ['retire', 'ok']
    ])
    expect(detailOf(later.outcome, 'retire')).toBe(`revoked ${fp(k0)} (handle key-0)`)
    expect(world.issuer.revocations).toEqual([
      { by: 'handle', handle: 'key-0', fingerprint: fp(k0) }
    ])
    expect(world.issuer.keyLive(k0)).toBe(false)
    expect(world.issuer.keyLive(k1)).toBe(true)
    expect(world.record?.retirements).toEqual([])
    expect(later.outcome.warnings).toEqual([])
  })

  test('a rotation after the grace period revokes the due one by handle, then records the next', async () => {
    const world = new KeyWorld({ rotates: true })
    const k0 = world.initial.key.value
    await world.run()
    const k1 = world.published() ?? ''
    world.clock.advance(GRACE_MS + 1000)

    const { outcome } = await world.run()
    const k2 = world.published() ?? ''

    expect(outcome.status).toBe('rotated')
    expect(detailOf(outcome, 'retire')).toBe(
      `revoked ${fp(k0)} (handle key-0); the current value still passes its health check`
    )
    expect(world.issuer.revokedHandles()).toEqual(['key-0'])
    expect(world.record?.retirements.map(r => [r.fingerprint, r.handle])).toEqual([
      [fp(k1), 'key-1']
    ])
    expect(world.issuer.keyLive(k1)).toBe(true)
    expect(world.issuer.keyLive(k2)).toBe(true)
  })

  test('with grace 0 the replaced value is revoked by handle right after promote', async () => {
    const world = new KeyWorld({ rotates: false })
    const k0 = world.initial.key.value

    const { outcome } = await world.run({ gracePeriodMs: 0 })
    const k1 = world.published() ?? ''

    expect(outcome.status).toBe('rotated')
    expect(stepsOf(outcome).slice(-2)).toEqual([
      ['promote', 'ok'],
      ['retire', 'ok']
    ])
    expect(detailOf(outcome, 'retire')).toBe(
      `revoked ${fp(k0)} (handle key-0); the current value still passes its health check`
    )
    expect(world.issuer.revocations).toEqual([
      { by: 'handle', handle: 'key-0', fingerprint: fp(k0) }
    ])
    expect(world.issuer.keyLive(k0)).toBe(false)
    // Verified, then checked again after the revocation.
    expect(world.health.probed).toEqual([k1, k1])
    expect(world.record?.retirements).toEqual([])
  })

  test('a revocation by handle that fails stays recorded and is done by the next run', async () => {
    const world = new KeyWorld({ rotates: false })
    const k0 = world.initial.key.value
    world.issuer.revokeFails = true

    const failed = await world.run({ gracePeriodMs: 0 })
    const kept = world.record?.retirements
    world.issuer.revokeFails = false
    const next = await world.run({ mode: 'retire', input: '' })

    expect(failed.outcome.status).toBe('failed')
    expect(failed.outcome.error?.phase).toBe('retire')
    expect(kept?.map(r => r.handle)).toEqual(['key-0'])
    expect(next.outcome.status).toBe('retired')
    expect(world.issuer.revokedHandles()).toEqual(['key-0'])
    expect(world.issuer.keyLive(k0)).toBe(false)
    expect(world.record?.retirements).toEqual([])
  })

  test('a target that kept the replaced value keeps it named until a rotation every target took', async () => {
    const world = new KeyWorld({ rotates: false })
    const k0 = world.initial.key.value
    world.targets.failPublishTo('acme/api')

    const partial = await world.run()
    const k1 = world.published() ?? ''

    expect(partial.outcome.error?.code).toBe('github-rejected')
    expect(world.targets.valueOf('acme/api')).toBe(k0)
    expect(world.record?.retirements).toEqual([])
    expect(world.record?.unretired).toEqual([{ fingerprint: fp(k0), handle: 'key-0' }])

    world.targets.healPublish()
    const healed = await world.run()
    world.clock.advance(GRACE_MS)
    await world.run({ mode: 'retire', input: '' })

    expect(healed.outcome.status).toBe('rotated')
    expect(world.record?.unretired).toBeUndefined()
    expect(world.issuer.revokedHandles()).toEqual(['key-1', 'key-0'])
    expect(world.issuer.keyLive(k1)).toBe(false)
    expect(world.issuer.keyLive(world.published() ?? '')).toBe(true)
  })
})

describe('a run that stops after minting', () => {
  test('a minted value that fails its check stays named, and the next rotation retires it', async () => {
    const world = new KeyWorld({ rotates: false })
    const k0 = world.initial.key.value
    const k1 = world.issuer.nextKeyValue()
    world.health.refused.add(k1)

    const failed = await world.run()

    expect(failed.outcome.error?.code).toBe('health-check-failed')
    expect(world.record?.published).toMatchObject({ fingerprint: fp(k0), handle: 'key-0' })
    expect(world.record?.unretired).toEqual([{ fingerprint: fp(k1), handle: 'key-1' }])

    await world.run()
    world.clock.advance(GRACE_MS)
    await world.run({ mode: 'retire', input: '' })

    expect(world.issuer.revokedHandles()).toEqual(['key-0', 'key-1'])
    expect(world.issuer.keyLive(k1)).toBe(false)
    expect(world.issuer.keyLive(world.published() ?? '')).toBe(true)
  })

  test.each(['persist', 'publish'] as const)(
    'killed after %s: the pending mark keeps the handle, and the run that resumes retires it later',
    async call => {
      const world = new KeyWorld({ rotates: true })
      const k0 = world.initial.key.value

      await world.run({}, { call, when: 'after' })
      const c1 = world.store.secret
      const pending = world.record?.pending

      expect(c1).not.toBe(world.initial.credential)
      expect(pending?.fingerprint).toBe(fp(c1))
      expect(pending?.minted?.handle).toBe('key-1')
      const k1Fingerprint = pending?.minted?.fingerprint

      const resumed = await world.rerun()
      const k2 = world.published() ?? ''

      expect(resumed.outcome.status).toBe('rotated')
      expect(detailOf(resumed.outcome, 'preflight')).toBe(
        'resuming the rotation of run 1 attempt 1'
      )
      expect(world.record?.pending).toBeUndefined()
      expect(world.record?.unretired).toBeUndefined()
      expect(world.record?.published).toMatchObject({ fingerprint: fp(k2), handle: 'key-2' })
      expect(world.record?.retirements.map(r => [r.fingerprint, r.handle])).toEqual([
        [fp(k0), 'key-0'],
        [k1Fingerprint, 'key-1']
      ])

      world.clock.advance(GRACE_MS)
      const retired = await world.run({ mode: 'retire', input: '' })

      expect(retired.outcome.status).toBe('retired')
      expect(world.issuer.revokedHandles()).toEqual(['key-0', 'key-1'])
      expect(world.issuer.keyLive(k0)).toBe(false)
      expect(world.issuer.keyLive(k2)).toBe(true)
      expect(world.record?.retirements).toEqual([])
    }
  )

  test('a resumed rotation that stops again before its mint keeps the handle in the record', async () => {
    const world = new KeyWorld({ rotates: true })
    const k0 = world.initial.key.value
    await world.run({}, { call: 'persist', when: 'after' })
    const k1Fingerprint = world.record?.pending?.minted?.fingerprint

    await world.rerun({}, { call: 'mint', when: 'before' })

    expect(world.record?.pending).toBeUndefined()
    expect(world.record?.unretired).toEqual([{ fingerprint: k1Fingerprint, handle: 'key-1' }])

    const third = await world.rerun()
    world.clock.advance(GRACE_MS)
    await world.run({ mode: 'retire', input: '' })

    expect(third.outcome.status).toBe('rotated')
    expect(world.issuer.revokedHandles()).toEqual(['key-0', 'key-1'])
    expect(world.issuer.keyLive(k0)).toBe(false)
    expect(world.issuer.keyLive(world.published() ?? '')).toBe(true)
  })
})

describe('a record written before handles', () => {
  const legacy = {
    schema: 1,
    current: { fingerprint: '0123456789abcdef', since: '2026-02-01T00:00:00.000Z' },
    published: { fingerprint: 'fedcba9876543210', at: '2026-02-01T00:00:00.000Z' },
    pending: {
      fingerprint: '00112233445566aa',
      mintedAt: '2026-02-01T00:00:00.000Z',
      run: 'run 7 attempt 1',
      recoverable: false
    },
    rotatedAt: '2026-02-01T00:00:00.000Z',
    consecutiveFailures: 0,
    retirements: [{ fingerprint: 'aabbccddeeff0011', dueAt: '2026-02-01T00:15:00.000Z' }],
    runs: [{ id: 'run 7 attempt 1', outcome: 'rotated' }]
  }

  test('still parses, with no handle anywhere', () => {
    const parsed = rotationStateSchema.parse(JSON.parse(JSON.stringify(legacy)))

    expect(parsed).toEqual(legacy)
    expect(JSON.stringify(parsed)).not.toContain('handle')
  })

  test('rotates: the replaced value without a handle is said to expire on its own, the new one is named', async () => {
    const world = new KeyWorld({ rotates: true, record: 'legacy' })
    const k0 = world.initial.key.value
    // A due retirement recorded before handles were: nothing can revoke it by handle.
    world.store.setRecord({
      ...(world.record ?? emptyState()),
      retirements: [{ fingerprint: 'aabbccddeeff0011', dueAt: '2026-02-01T00:15:00.000Z' }]
    })

    const first = await world.run()
    const k1 = world.published() ?? ''

    expect(first.outcome.status).toBe('rotated')
    expect(first.outcome.error).toBeUndefined()
    expect(first.outcome.warnings).toEqual([
      `The replaced value ${fp(k0)} has no recorded handle (it was published before its handle was recorded), and keys revokes by handle: it is not revoked, and expires on its own.`,
      'The revocation of aabbccddeeff0011 is due, but no handle was recorded for it and keys revokes by handle: it cannot be revoked, and is dropped from the record; it expires on its own.'
    ])
    expect(world.record?.published).toMatchObject({ fingerprint: fp(k1), handle: 'key-1' })
    expect(world.record?.retirements).toEqual([])
    expect(world.issuer.revocations).toEqual([])

    // From here on, every replaced value is named.
    await world.run()
    world.clock.advance(GRACE_MS)
    await world.run({ mode: 'retire', input: '' })

    expect(world.issuer.revokedHandles()).toEqual(['key-1'])
    expect(world.issuer.keyLive(k0)).toBe(true)
  })
})

test('the record keeps handles, and never a value', async () => {
  const world = new KeyWorld({ rotates: true })
  await world.run({}, { call: 'publish', when: 'after' })
  await world.rerun()
  await world.run({ gracePeriodMs: 0 })

  const writes = world.store.recordWrites.join('\n')
  for (const handle of ['key-0', 'key-1', 'key-2', 'key-3']) expect(writes).toContain(handle)
  expect(world.issuer.issued.length).toBeGreaterThan(4)
  for (const value of world.issuer.issued) expect(writes).not.toContain(value)
})

test('an issuer that takes no credential is reported in its own words, not a refresh token', async () => {
  const world = new KeyWorld({ rotates: false })
  world.issuer.takesNoCredential = true
  world.store.setRecord({ ...(world.store.record ?? emptyState()), current: undefined })

  const { outcome } = await world.run({ input: '' })
  const k1 = world.published() ?? ''

  expect(outcome.status).toBe('rotated')
  expect(detailOf(outcome, 'persist')).toBe(
    'nothing to keep: the issuer mints from no credential of ours'
  )
  expect(detailOf(outcome, 'promote')).toBe(`version ${fp(k1)} (key-1) recorded as published`)
  expect(JSON.stringify(outcome.steps)).not.toContain('refresh token')
})

test('a handle that holds the value is not recorded, nor printed', async () => {
  const world = new KeyWorld({ rotates: false })
  world.issuer.handleIsValue = true

  const { outcome } = await world.run()
  const k1 = world.published() ?? ''

  expect(outcome.status).toBe('rotated')
  expect(detailOf(outcome, 'mint')).toBe(`new version ${fp(k1)}`)
  expect(outcome.warnings).toContain(
    'The issuer named the new version with a handle that holds its secret value: it is not recorded, so this version cannot be revoked by handle; it expires on its own.'
  )
  expect(world.record?.published).toEqual(
    expect.not.objectContaining({ handle: expect.anything() })
  )
  // The replaced value, named when it was published, is still retired by its handle.
  expect(world.record?.retirements.map(r => r.handle)).toEqual(['key-0'])
})

describe('an issuer that revokes by value', () => {
  test('is unchanged: the replaced value is kept for its revocation, and given back as a value', async () => {
    const world = new World({ retiring: true })
    const { accessToken: a0 } = world.initial
    const grace = { revokePrevious: true, gracePeriodMs: GRACE_MS }

    await world.run({ plan: grace })
    const recorded = world.s.record?.retirements
    world.clock.advance(GRACE_MS)
    const { outcome } = await world.run({ plan: { mode: 'retire' } })

    expect(world.retiring?.value).toBe(a0)
    expect(recorded).toEqual([{ fingerprint: fp(a0), dueAt: expect.any(String) }])
    expect(outcome.status).toBe('retired')
    expect(detailOf(outcome, 'retire')).toBe(
      `revoked ${fp(a0)}; the current value still passes its health check`
    )
    expect(world.issuer.revocations).toEqual([a0])
    expect(world.s.recordWrites.join('\n')).not.toMatch(/"(handle|unretired|minted)"/)
  })

  test('without the value, a due retirement waits even if the record names a handle', async () => {
    const world = new World()
    const { accessToken: a0 } = world.initial
    world.s.setRecord({
      ...(world.s.record ?? emptyState()),
      retirements: [{ fingerprint: fp(a0), handle: 'key-0', dueAt: '2026-03-01T11:00:00.000Z' }]
    })

    const { outcome } = await world.run({ plan: { mode: 'retire', retiringValue: undefined } })

    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['retire', 'skipped']
    ])
    expect(outcome.warnings.join('\n')).toContain('retiring-value does not hold it')
    expect(world.issuer.revocations).toEqual([])
    expect(world.s.record?.retirements.map(r => r.handle)).toEqual(['key-0'])
  })
})
