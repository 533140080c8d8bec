import { describe, expect, test } from '@jest/globals'
import { emptyState, type Retirement } from '../../src/engine/state.js'
import { HOUR, World, detailOf, fp, stepsOf } from '../support/engine-world.js'

/** revoke-previous (at once, or after the grace period) and mode retire. */

const GRACE_MS = 15 * 60 * 1000

/**
 * A world after a rotation with a grace period: the targets and the store hold what it minted
 * (same grant), the initial access token waits in the retiring secret, due a second ago.
 */
async function worldWithRetirement(retirement: Partial<Retirement> = {}): Promise<World> {
  const world = new World({ retiring: true })
  const { refreshToken: r0, accessToken: a0 } = world.initial
  const minted = await world.issuer.mint(r0)
  world.s.secret = minted.next
  await world.targets.publish(minted.value)
  if (world.retiring) world.retiring.value = a0
  const since = world.clock.now().toISOString()
  world.s.setRecord({
    ...(world.s.record ?? emptyState()),
    current: { fingerprint: fp(minted.next), since },
    previous: { fingerprint: fp(r0), since },
    retirements: [
      {
        fingerprint: fp(a0),
        dueAt: new Date(world.clock.now().getTime() - 1000).toISOString(),
        ...retirement
      }
    ]
  })
  return world
}

describe('revoke-previous', () => {
  test('with grace 0 revokes the previous value right after promote, then re-checks the new one', async () => {
    const world = new World()
    const { accessToken: a0 } = world.initial

    const { outcome } = await world.run({ plan: { revokePrevious: true, gracePeriodMs: 0 } })

    const a1 = world.issuer.lastAccessToken() ?? ''
    expect(outcome.status).toBe('rotated')
    expect(stepsOf(outcome).slice(-2)).toEqual([
      ['promote', 'ok'],
      ['retire', 'ok']
    ])
    expect(detailOf(outcome, 'retire')).toBe(
      `revoked ${fp(a0)}; the current value still passes its health check`
    )
    expect(world.issuer.revocations).toEqual([a0])
    expect(world.issuer.accessTokenLive(a0)).toBe(false)
    expect(world.issuer.accessTokenLive(a1)).toBe(true)
    // Verified, then re-checked after the revocation.
    expect(world.health?.probed).toEqual([a1, a1])
    expect(world.s.record?.retirements).toEqual([])
    expect(world.issuer.grantAlive(world.s.secret)).toBe(true)
  })

  test('with grace 0, a re-check that fails after the revocation (the issuer dropped the grant) is an error', async () => {
    const world = new World()
    world.issuer.revokeGrantWithAccessToken = true

    const { outcome } = await world.run({ plan: { revokePrevious: true, gracePeriodMs: 0 } })

    expect(outcome.status).toBe('failed')
    expect(outcome.error?.code).toBe('health-check-failed')
    expect(outcome.error?.phase).toBe('retire')
    expect(outcome.error?.message).toContain('revoked the whole grant')
    expect(stepsOf(outcome).at(-1)).toEqual(['retire', 'failed'])
    expect(world.issuer.grantAlive(world.s.secret)).toBe(false)
  })

  test('with a grace period keeps the previous value (retiring) and records its retirement for later', async () => {
    const world = new World({ retiring: true })
    const { accessToken: a0 } = world.initial
    const now = world.clock.now().getTime()

    const { outcome } = await world.run({ plan: { revokePrevious: true, gracePeriodMs: GRACE_MS } })

    expect(outcome.status).toBe('rotated')
    expect(stepsOf(outcome).at(-1)).toEqual(['retire', 'skipped'])
    expect(detailOf(outcome, 'retire')).toBe('nothing due')
    expect(world.retiring?.value).toBe(a0)
    expect(world.s.record?.retirements).toEqual([
      { fingerprint: fp(a0), dueAt: new Date(now + GRACE_MS).toISOString() }
    ])
    expect(world.issuer.revocations).toEqual([])
    expect(world.issuer.accessTokenLive(a0)).toBe(true)
  })

  test('with a grace period, then mode retire once it is over: the kept value is revoked', async () => {
    const world = new World({ retiring: true })
    const { accessToken: a0 } = world.initial
    await world.run({ plan: { revokePrevious: true, gracePeriodMs: GRACE_MS } })
    const a1 = world.issuer.lastAccessToken() ?? ''

    const early = await world.run({ plan: { mode: 'retire' } })
    world.clock.advance(GRACE_MS)
    const due = await world.run({ plan: { mode: 'retire' } })

    expect(early.outcome.status).toBe('retired')
    expect(stepsOf(early.outcome)).toEqual([
      ['preflight', 'ok'],
      ['retire', 'skipped']
    ])
    expect(due.outcome.status).toBe('retired')
    expect(stepsOf(due.outcome)).toEqual([
      ['preflight', 'ok'],
      ['retire', 'ok']
    ])
    expect(world.issuer.revocations).toEqual([a0])
    expect(world.issuer.accessTokenLive(a1)).toBe(true)
    expect(world.s.record?.retirements).toEqual([])
  })

  test('without a place to keep the replaced value (keepRetiring fails): a warning, no retirement recorded', async () => {
    const world = new World({ retiring: true })
    world.retiring?.failWrites()

    const { outcome } = await world.run({ plan: { revokePrevious: true, gracePeriodMs: GRACE_MS } })

    expect(outcome.status).toBe('rotated')
    expect(outcome.warnings.join('\n')).toContain('will not be revoked')
    expect(world.s.record?.retirements).toEqual([])
  })

  // BUG: rotation.ts #promote replaces the recorded retirements with the new one
  // (`state.retirements = [retiring]`) before #retire looks at them, so a retirement that is due
  // (and whose value this run was given as retiring-value) is dropped without being revoked and
  // without a warning, whenever a rotation with a grace period runs after the earlier grace ended.
  test('a rotation after the grace period revokes the due retirement before recording the next', async () => {
    const world = new World({ retiring: true })
    const { accessToken: a0 } = world.initial
    const grace = { revokePrevious: true, gracePeriodMs: GRACE_MS }
    await world.run({ plan: grace })
    const a1 = world.issuer.lastAccessToken() ?? ''
    world.clock.advance(GRACE_MS + 1000)

    const { outcome } = await world.run({ plan: grace })

    expect(outcome.status).toBe('rotated')
    expect(world.issuer.revocations).toEqual([a0])
    expect(world.retiring?.value).toBe(a1)
    expect(world.s.record?.retirements.map(r => r.fingerprint)).toEqual([fp(a1)])
  })

  // BUG: rotation.ts #rotate sets status `rotated` after a partly failed publish, and #retire
  // revokes previous-value at once when the grace is 0 and the status is `rotated`: the targets
  // the publish could not write still hold that value, and it is revoked under them (a lockout the
  // run itself announced: "they still hold the previous value").
  test('with grace 0 it does not revoke the previous value that a failed target still holds', async () => {
    const world = new World()
    const { accessToken: a0 } = world.initial
    world.targets.failPublishTo('acme/api')

    const { outcome } = await world.run({ plan: { revokePrevious: true, gracePeriodMs: 0 } })

    expect(outcome.error?.code).toBe('github-rejected')
    expect(world.targets.valueOf('acme/api')).toBe(a0)
    expect(world.issuer.revocations).toEqual([])
    expect(world.issuer.accessTokenLive(a0)).toBe(true)
  })
})

describe('mode retire', () => {
  test('revokes a due retirement when retiring-value matches, then re-checks the current value', async () => {
    const world = await worldWithRetirement()
    const { accessToken: a0 } = world.initial
    const a1 = world.publishedValue() ?? ''
    const secret = world.s.secret

    const { outcome } = await world.run({ plan: { mode: 'retire', input: '' } })

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('retired')
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['retire', 'ok']
    ])
    expect(detailOf(outcome, 'preflight')).toBe('1 retirement due')
    expect(detailOf(outcome, 'retire')).toBe(
      `revoked ${fp(a0)}; the current value still passes its health check`
    )
    expect(world.issuer.revocations).toEqual([a0])
    expect(world.health?.probed).toEqual([a1])
    expect(world.s.record?.retirements).toEqual([])
    expect(world.s.record?.runs[0]?.outcome).toBe('retired')
    // Nothing minted, the store's token untouched.
    expect(world.s.secret).toBe(secret)
    expect(world.issuer.refreshTokenLive(secret)).toBe(true)
  })

  test('a failing re-check after the revocation is an error', async () => {
    const world = await worldWithRetirement()
    world.issuer.revokeGrantWithAccessToken = true

    const { outcome } = await world.run({ plan: { mode: 'retire' } })

    expect(outcome.status).toBe('failed')
    expect(outcome.error?.code).toBe('health-check-failed')
    expect(outcome.error?.phase).toBe('retire')
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['retire', 'failed']
    ])
    expect(world.s.record?.consecutiveFailures).toBe(1)
  })

  test('a due retirement whose value retiring-value does not hold is kept, with a warning', async () => {
    const world = await worldWithRetirement()
    const before = world.s.record?.retirements

    const { outcome } = await world.run({ plan: { mode: 'retire', retiringValue: undefined } })

    expect(outcome.status).toBe('retired')
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['retire', 'skipped']
    ])
    expect(outcome.warnings.join('\n')).toContain('retiring-value does not hold it')
    expect(world.s.record?.retirements).toEqual(before)
    expect(world.issuer.revocations).toEqual([])
  })

  test('a retirement not yet due is kept and nothing is revoked', async () => {
    const world = await worldWithRetirement({
      dueAt: '2026-03-01T13:00:00.000Z' // the clock says 12:00
    })
    const before = world.s.record?.retirements

    const { outcome } = await world.run({ plan: { mode: 'retire' } })

    expect(outcome.status).toBe('retired')
    expect(detailOf(outcome, 'preflight')).toBe('0 retirements due')
    expect(world.s.record?.retirements).toEqual(before)
    expect(world.issuer.revocations).toEqual([])
  })

  test('a revocation that fails is an error and the retirement stays recorded', async () => {
    const world = await worldWithRetirement()
    world.issuer.failRevocations()
    const before = world.s.record?.retirements

    const { outcome } = await world.run({ plan: { mode: 'retire' } })

    expect(outcome.status).toBe('failed')
    expect(outcome.error?.code).toBe('issuer-unreachable')
    expect(outcome.error?.phase).toBe('retire')
    expect(world.s.record?.retirements).toEqual(before)
  })

  // BUG: rotation.ts #retire logs "Retirement of … dropped: it has expired on its own" but, when
  // nothing else is due, returns before `state.retirements = left` is saved: the record keeps the
  // retirement, and every later run logs the same "dropped" line again.
  test("a retirement past its value's expiry is dropped from the record", async () => {
    const world = await worldWithRetirement({
      expiresAt: '2026-03-01T11:00:00.000Z' // an hour ago
    })

    const { outcome, log } = await world.run({ plan: { mode: 'retire', retiringValue: undefined } })

    expect(outcome.status).toBe('retired')
    expect(log.text()).toContain('dropped: it has expired on its own')
    expect(world.s.record?.retirements).toEqual([])
  })

  test('needs a store', async () => {
    const world = new World({ store: false })

    const { outcome } = await world.run({ plan: { mode: 'retire' } })

    expect(outcome.error?.code).toBe('invalid-input')
    expect(stepsOf(outcome)).toEqual([['preflight', 'failed']])
  })
})

test('the grace period is measured from the promote', async () => {
  const world = new World({ retiring: true })
  world.clock.advance(HOUR)
  await world.run({ plan: { revokePrevious: true, gracePeriodMs: GRACE_MS } })

  const dueAt = world.s.record?.retirements[0]?.dueAt ?? ''
  expect(Date.parse(dueAt) - world.clock.now().getTime()).toBe(GRACE_MS)
})
