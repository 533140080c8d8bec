import { describe, expect, test } from '@jest/globals'
import {
  HOUR,
  LOCK_TTL_MS,
  World,
  detailOf,
  expectNoSecretLeaks,
  fp,
  stepsOf
} from '../support/engine-world.js'

/** The refresh and access token the last mint issued. */
function lastMinted(world: World): { refreshToken: string; accessToken: string } {
  const refreshToken = world.issuer.lastRefreshToken()
  const accessToken = world.issuer.lastAccessToken()
  if (refreshToken === undefined || accessToken === undefined) throw new Error('nothing minted')
  return { refreshToken, accessToken }
}

const FULL_ROTATION = [
  ['preflight', 'ok'],
  ['mint', 'ok'],
  ['persist', 'ok'],
  ['publish', 'ok'],
  ['verify', 'ok'],
  ['promote', 'ok'],
  ['retire', 'skipped']
]

describe('a rotation', () => {
  test('persists the new refresh token, publishes, verifies, promotes, in that order', async () => {
    const world = new World()
    const { refreshToken: r0, accessToken: a0 } = world.initial
    const before = world.s.record
    const now = world.clock.now().toISOString()

    const { outcome, audit } = await world.run()

    const { refreshToken: r1, accessToken: a1 } = lastMinted(world)
    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('rotated')
    expect(outcome.rotated).toBe(true)
    expect(outcome.version).toBe(fp(a1))
    expect(stepsOf(outcome)).toEqual(FULL_ROTATION)
    expect(outcome.warnings).toEqual([])
    expect(world.s.secret).toBe(r1)
    expect(world.targets.values()).toEqual(world.allTargets(a1))
    const record = world.s.record
    expect(record?.current).toEqual({ fingerprint: fp(r1), since: now })
    expect(record?.previous).toEqual(before?.current)
    expect(record?.previous?.fingerprint).toBe(fp(r0))
    expect(record?.pending).toBeUndefined()
    expect(record?.minting).toBeUndefined()
    expect(record?.rotatedAt).toBe(now)
    expect(record?.published?.fingerprint).toBe(fp(a1))
    expect(record?.consecutiveFailures).toBe(0)
    expect(record?.runs[0]).toEqual({
      id: 'run 1 attempt 1',
      at: now,
      mode: 'rotate',
      outcome: 'rotated'
    })
    // The issuer: only the new refresh token is live; the old access token was not revoked.
    expect(world.issuer.liveRefreshTokens()).toEqual([r1])
    expect(world.issuer.accessTokenLive(a0)).toBe(true)
    expect(world.s.lockHolder()).toBeUndefined()
    expect(audit.events.filter(e => e.event !== 'target').map(e => e.event)).toEqual([
      'run-started',
      ...FULL_ROTATION.map(() => 'step'),
      'run-finished'
    ])
    expect(audit.events.at(-1)).toMatchObject({ status: 'rotated' })
  })

  test('the first rotation (no record yet) records the new token as current', async () => {
    const world = new World({ record: 'none' })

    const { outcome } = await world.run()

    const { refreshToken: r1 } = lastMinted(world)
    expect(outcome.status).toBe('rotated')
    expect(detailOf(outcome, 'preflight')).toContain('first rotation')
    expect(world.s.secret).toBe(r1)
    expect(world.s.record?.current?.fingerprint).toBe(fp(r1))
    // The input became current at the write-ahead of mint, so it is the previous version now.
    expect(world.s.record?.previous?.fingerprint).toBe(fp(world.initial.refreshToken))
    expect(world.s.record?.pending).toBeUndefined()
  })

  test('a chain of 10 rotations, each run given what the store holds, all succeed', async () => {
    const world = new World()
    const seen: string[] = [world.s.secret]

    for (let i = 0; i < 10; i += 1) {
      world.clock.advance(HOUR)
      const { outcome } = await world.run()
      expect(outcome.error).toBeUndefined()
      expect(outcome.status).toBe('rotated')
      expect(world.s.record?.previous?.fingerprint).toBe(fp(seen.at(-1) ?? ''))
      seen.push(world.s.secret)
    }

    expect(new Set(seen).size).toBe(11)
    expect(world.issuer.liveRefreshTokens()).toEqual([world.s.secret])
    expect(world.issuer.grantAlive(world.s.secret)).toBe(true)
    expect(world.s.record?.current?.fingerprint).toBe(fp(world.s.secret))
    expect(world.s.record?.runs).toHaveLength(10)
    expect(world.s.record?.consecutiveFailures).toBe(0)
    expect(world.targets.values()).toEqual(world.allTargets(world.issuer.lastAccessToken()))
  })

  test('an issuer that answers without a new refresh token keeps the old one live', async () => {
    const world = new World()
    const { refreshToken: r0 } = world.initial
    world.issuer.failNextMint('no-rotation')

    const { outcome } = await world.run()

    const a1 = world.issuer.lastAccessToken()
    expect(outcome.status).toBe('rotated')
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['mint', 'ok'],
      ['persist', 'skipped'],
      ['publish', 'ok'],
      ['verify', 'ok'],
      ['promote', 'ok'],
      ['retire', 'skipped']
    ])
    expect(outcome.recoveryCiphertext).toBeUndefined()
    expect(world.s.secret).toBe(r0)
    expect(world.issuer.liveRefreshTokens()).toEqual([r0])
    expect(world.targets.values()).toEqual(world.allTargets(a1))
    expect(world.s.record?.current?.fingerprint).toBe(fp(r0))
    expect(world.s.record?.minting).toBeUndefined()
    expect(world.s.record?.rotatedAt).toBe(world.clock.now().toISOString())
  })
})

describe('the report', () => {
  // BUG (rule 6, "per-step, per-target result (job summary, outputs, audit record)"): outcome.ts
  // declares an audit event `target`, but rotation.ts never records one (nor does main.ts): the
  // audit file says which steps ran, not which targets got the value.
  test('the audit record holds a result per target', async () => {
    const world = new World()
    world.targets.failPublishTo('acme/api')

    const { audit } = await world.run()

    const targets = audit.events.filter(e => e.event === 'target')
    expect(targets.map(e => [e.target, e.status])).toEqual([
      ['acme/app', 'updated'],
      ['acme/api', 'failed']
    ])
  })
})

describe('one writer', () => {
  test('two runs at once: one takes the lock, the other fails with locked, the grant lives', async () => {
    const world = new World()
    const { refreshToken: r0, accessToken: a0 } = world.initial

    const [first, second] = await world.runTogether({}, {})

    const outcomes = [first?.outcome, second?.outcome]
    const won = outcomes.filter(o => o?.status === 'rotated')
    const lost = outcomes.filter(o => o?.error?.code === 'locked')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    expect(lost[0]?.status).toBe('failed')
    expect(lost[0]?.error?.phase).toBe('preflight')
    expect(lost[0] && stepsOf(lost[0])).toEqual([['preflight', 'failed']])
    const { refreshToken: r1, accessToken: a1 } = lastMinted(world)
    expect(r1).not.toBe(r0)
    expect(world.issuer.grantAlive(r1)).toBe(true)
    expect(world.issuer.liveRefreshTokens()).toEqual([r1])
    expect(world.s.secret).toBe(r1)
    expect(world.targets.values()).toEqual(world.allTargets(a1))
    expect(world.issuer.accessTokenLive(a0)).toBe(true)
    // The run that lost wrote nothing: the record knows one run.
    expect(world.s.record?.runs.map(r => r.outcome)).toEqual(['rotated'])
  })

  test('a lock left by a dead run refuses until it expires', async () => {
    const world = new World()
    await world.s.acquire('run 0 attempt 1', LOCK_TTL_MS)

    const refused = await world.run()
    world.clock.advance(LOCK_TTL_MS + 1)
    const after = await world.run()

    expect(refused.outcome.error?.code).toBe('locked')
    expect(refused.outcome.error?.message).toContain('run 0 attempt 1')
    expect(after.outcome.status).toBe('rotated')
  })
})

describe('rotate-if-older-than', () => {
  test('not due: status not-due, nothing minted, nothing published', async () => {
    const world = new World()
    const { refreshToken: r0, accessToken: a0 } = world.initial
    const before = world.snapshot()

    const { outcome } = await world.run({ plan: { rotateIfOlderThanMs: 60 * 24 * HOUR } })

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('not-due')
    expect(outcome.rotated).toBe(false)
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['mint', 'skipped'],
      ['retire', 'skipped']
    ])
    expect(detailOf(outcome, 'mint')).toContain('next due at')
    expect(world.issuer.issued).toHaveLength(before.issued)
    expect(world.issuer.requests).toBe(before.requests)
    expect(world.s.secret).toBe(r0)
    expect(world.targets.values()).toEqual(world.allTargets(a0))
    expect(world.s.record?.current).toEqual(before.record?.current)
    expect(world.s.record?.rotatedAt).toBe(before.record?.rotatedAt)
    // A run held back did nothing: the record's history (the success rate's) is left as it was.
    expect(world.s.record?.runs.map(run => run.outcome)).not.toContain('not-due')
  })

  test('an expiring published value is due whatever the interval says', async () => {
    const world = new World()
    const daily = { plan: { rotateIfOlderThanMs: 24 * HOUR } }
    await world.run()
    // Ten minutes before the access token expires: well inside the day, inside the margin.
    world.clock.advance(world.issuer.accessTokenTtlMs - 10 * 60 * 1000)

    const { outcome } = await world.run(daily)

    expect(outcome.status).toBe('rotated')
    expect(stepsOf(outcome)).toEqual(FULL_ROTATION)
  })

  test('after a failed run the next one is due: a target that was not written is retried', async () => {
    const world = new World()
    const daily = { plan: { rotateIfOlderThanMs: 24 * HOUR } }
    world.targets.failPublishTo('acme/api')
    const failed = await world.run(daily)
    expect(failed.outcome.error?.code).toBe('github-rejected')
    world.targets.healPublish()
    world.clock.advance(HOUR)

    const { outcome } = await world.run(daily)

    expect(outcome.status).toBe('rotated')
  })

  test('due: rotates', async () => {
    const world = new World()

    const { outcome } = await world.run({ plan: { rotateIfOlderThanMs: 7 * 24 * HOUR } })

    expect(outcome.status).toBe('rotated')
    expect(stepsOf(outcome)).toEqual(FULL_ROTATION)
    expect(world.s.secret).toBe(world.issuer.lastRefreshToken())
  })
})

describe('mode verify', () => {
  test('only checks previous-value: nothing locked, read, minted or written', async () => {
    const world = new World()
    const { accessToken: a0 } = world.initial
    const before = world.snapshot()

    const { outcome } = await world.run({ plan: { mode: 'verify' } })

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('verified')
    expect(stepsOf(outcome)).toEqual([['verify', 'ok']])
    expect(world.health?.probed).toEqual([a0])
    expect(world.snapshot()).toEqual(before)
    expect(world.s.lockOwners).toEqual([])
  })

  test('a previous-value that fails its check fails the run', async () => {
    const world = new World()
    const { accessToken } = world.initial
    await world.issuer.revoke({ by: 'value', value: accessToken, fingerprint: fp(accessToken) })
    const before = world.snapshot()

    const { outcome } = await world.run({ plan: { mode: 'verify' } })

    expect(outcome.status).toBe('failed')
    expect(outcome.error?.code).toBe('health-check-failed')
    expect(outcome.error?.phase).toBe('verify')
    expect(stepsOf(outcome)).toEqual([['verify', 'failed']])
    expect(world.snapshot()).toEqual(before)
  })
})

describe('dry run', () => {
  test('plans the rotation and writes nothing anywhere', async () => {
    const world = new World()
    const before = world.snapshot()

    const { outcome } = await world.run({ plan: { dryRun: true } })

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('planned')
    expect(outcome.rotated).toBe(false)
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['mint', 'planned']
    ])
    expect(detailOf(outcome, 'mint')).toBe(
      'would mint with oauth2, persist, publish, verify and promote'
    )
    expect(world.snapshot()).toEqual(before)
    expect(world.s.lockOwners).toEqual([])
  })

  test('of a rotation that is not due says it would skip it', async () => {
    const world = new World()
    const before = world.snapshot()

    const { outcome } = await world.run({
      plan: { dryRun: true, rotateIfOlderThanMs: 60 * 24 * HOUR }
    })

    expect(outcome.status).toBe('planned')
    expect(detailOf(outcome, 'mint')).toContain('would skip the rotation: not due')
    expect(world.snapshot()).toEqual(before)
  })

  // BUG: #planOnly assesses plan.input against the record in every mode; mode retire needs no
  // refresh token (config requires it for rotate only), so its dry run fails with stale-input.
  test('of mode retire needs no refresh token', async () => {
    const world = new World()
    const before = world.snapshot()

    const { outcome } = await world.run({ plan: { dryRun: true, mode: 'retire', input: '' } })

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('planned')
    expect(detailOf(outcome, 'mint')).toBe('would retire 0 due values')
    expect(world.snapshot()).toEqual(before)
  })
})

describe('the leak check', () => {
  test('catches a secret in a log line', async () => {
    const world = new World()
    const run = await world.run({ plan: { mode: 'verify' } })
    run.log.info(`probing with ${world.initial.accessToken}`)

    expect(() => {
      expectNoSecretLeaks(world)
    }).toThrow()
  })

  test('catches a base64-encoded secret in the record', async () => {
    const world = new World()
    await world.run()
    const encoded = Buffer.from(world.s.secret).toString('base64')
    world.s.recordWrites.push(JSON.stringify({ note: encoded }))

    expect(() => {
      expectNoSecretLeaks(world)
    }).toThrow()
  })
})
