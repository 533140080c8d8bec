import { describe, expect, test } from '@jest/globals'
import { ActionError } from '../../src/errors.js'
import { versionToken } from '../../src/providers/aws/version-token.js'
import {
  HOUR,
  LOCK_TTL_MS,
  detailOf,
  fp,
  stepsOf,
  type RunResult
} from '../support/engine-world.js'
import {
  AWSCURRENT,
  AWSPENDING,
  AWSPREVIOUS,
  LeewayIssuer,
  VersionedWorld,
  expectNoVersionedLeaks,
  type MemoryRotationLambda
} from '../support/versioned-store.js'

/**
 * The engine over a store with real versions: the real AWS Secrets Manager store (and, for AWS's
 * rotation, the real rotation issuer) over an in-memory secret with Secrets Manager's semantics.
 * The store gives the live credential, the write-ahead state is its versions (AWSPENDING staged,
 * promoted by compare-and-swap), and a rollback moves AWSCURRENT back. Every `world.run()` checks
 * that no secret value reached a log line, step, audit event, warning, error or the secret's tags.
 *
 * Kill points are AWS calls (see portCall in ../support/versioned-store.ts): `persist` is the
 * PutSecretValue of AWSPENDING; `writeState` counts every label and tag write, one call each. In a
 * rotation: 1 tags the minting mark; 2 tags the pending mark and 3 untags the minting mark (the
 * pending record); 4 moves AWSCURRENT (the promotion), 5 removes AWSPENDING from it; then the
 * record's tags.
 */

const FULL_ROTATION = [
  ['preflight', 'ok'],
  ['mint', 'ok'],
  ['persist', 'ok'],
  ['publish', 'ok'],
  ['verify', 'ok'],
  ['promote', 'ok'],
  ['retire', 'skipped']
]

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`no ${what}`)
  return value
}

/** The recovery ciphertext a run printed, read back from its log as a user would. */
function ciphertextInLog(run: RunResult): string | undefined {
  const line = run.log.lines.find(l => l.message.startsWith('Recovery ciphertext'))
  return /: (sealed:\S+)$/.exec(line?.message ?? '')?.[1]
}

describe('a store with versions: the live credential comes from the store', () => {
  test('(1) a chain of rotations mints each time from the live version, never from the refresh-token input, even a stale one', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world
    const r0 = world.initial.refreshToken
    const seen = [r0]

    for (let i = 0; i < 5; i += 1) {
      world.clock.advance(HOUR)
      const live = must(secret.valueWith(AWSCURRENT), 'AWSCURRENT')
      const liveId = must(secret.versionWith(AWSCURRENT), 'AWSCURRENT')
      // The job's refresh-token input is the token of the consent: consumed since the first run.
      const { outcome } = await world.run({ plan: { input: r0 } })

      expect(outcome.error).toBeUndefined()
      expect(outcome.status).toBe('rotated')
      expect(stepsOf(outcome)).toEqual(FULL_ROTATION)
      expect(detailOf(outcome, 'preflight')).toMatch(
        /^read the live version from .*; nothing half done$/
      )
      const next = must(secret.valueWith(AWSCURRENT), 'AWSCURRENT')
      expect(next).toBe(issuer.lastRefreshToken())
      // Staged under the token derived from its value, promoted from the version read.
      expect(secret.versionWith(AWSCURRENT)).toBe(versionToken(secret.arn, next))
      expect(secret.versionWith(AWSPREVIOUS)).toBe(liveId)
      expect(secret.labelsOf(liveId)).toEqual([AWSPREVIOUS])
      expect(detailOf(outcome, 'promote')).toBe(`refresh token ${fp(next)} is current`)
      // The live token was exchanged (consumed); the grant lives on in the new one.
      expect(issuer.refreshTokenLive(live)).toBe(false)
      expect(issuer.grantAlive(next)).toBe(true)
      const published = issuer.lastAccessToken()
      expect(world.targets.values()).toEqual(world.allTargets(published))
      expect(secret.record.published?.fingerprint).toBe(fp(published ?? ''))
      seen.push(next)
    }

    expect(new Set(seen).size).toBe(6)
    // A stale input presented even once would have been a reuse that revoked the grant.
    expect(issuer.liveRefreshTokens()).toEqual([secret.valueWith(AWSCURRENT)])
    expect(secret.record.minting).toBeUndefined()
    expect(secret.record.consecutiveFailures).toBe(0)
    expect(secret.versionCount).toBe(6)
    expect(world.lock.holder()).toBeUndefined()
  })
})

describe('a store with versions: resuming a half-finished rotation', () => {
  test('(2) a run killed after persist (AWSPENDING staged, not promoted): the next run promotes it and mints from it', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world
    const v0 = must(secret.versionWith(AWSCURRENT), 'AWSCURRENT')

    const killed = await world.run({ kill: { call: 'persist', when: 'after' } })

    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    const v1 = versionToken(secret.arn, r1)
    expect(killed.outcome.status).toBe('failed')
    expect(secret.versionWith(AWSPENDING)).toBe(v1)
    expect(secret.versionWith(AWSCURRENT)).toBe(v0)
    expect(world.publishedValue()).toBe(world.initial.accessToken)
    expect(world.lock.holder()).toBe('run 1 attempt 1')
    world.clock.advance(LOCK_TTL_MS + 1)

    const { outcome } = await world.run()

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('rotated')
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['promote', 'ok'],
      ...FULL_ROTATION.slice(1)
    ])
    expect(detailOf(outcome, 'preflight')).toBe('resuming the rotation of run 1 attempt 1')
    const r2 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.valueWith(AWSCURRENT)).toBe(r2)
    expect(secret.versionWith(AWSPREVIOUS)).toBe(v1)
    // The consumed token of the consent was never presented again (a reuse revokes the grant);
    // the pending one was, once.
    expect(issuer.refreshTokenLive(r1)).toBe(false)
    expect(issuer.grantAlive(r2)).toBe(true)
    expect(issuer.liveRefreshTokens()).toEqual([r2])
    expect(world.targets.values()).toEqual(world.allTargets(issuer.lastAccessToken()))
  })

  test('a run killed after its promotion took effect (answer lost): the next run finds the new version current and rotates', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world

    // writeState 4: the UpdateSecretVersionStage that moves AWSCURRENT (see the top).
    await world.run({ kill: { call: 'writeState', when: 'after', nth: 4 } })

    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.valueWith(AWSCURRENT)).toBe(r1)
    // Killed before the UpdateSecretVersionStage that takes AWSPENDING off the promoted version.
    expect(secret.labelsOf(versionToken(secret.arn, r1))).toEqual([AWSCURRENT, AWSPENDING])
    world.clock.advance(LOCK_TTL_MS + 1)

    const { outcome } = await world.run()

    expect(outcome.status).toBe('rotated')
    expect(stepsOf(outcome)).toEqual(FULL_ROTATION)
    expect(secret.valueWith(AWSPREVIOUS)).toBe(r1)
    expect(issuer.grantAlive(r1)).toBe(true)
    expect(issuer.liveRefreshTokens()).toEqual([secret.valueWith(AWSCURRENT)])
  })
})

describe('(3) a run killed after mint, before persist: the minting mark in the tags', () => {
  test('with a recovery key, the next run is refused (resume-blocked) and presents nothing', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world
    const r0 = world.initial.refreshToken

    // The issuer rotated; the runner died before the answer arrived.
    await world.run({ kill: { call: 'mint', when: 'after' } })

    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.record.minting).toEqual({
      from: fp(r0),
      startedAt: expect.any(String),
      run: 'run 1 attempt 1',
      recoverable: true,
      // Until the end of its lease on the lock, the run may still be minting.
      lease: {
        holder: 'run 1 attempt 1',
        endsBy: new Date(world.clock.now().getTime() + LOCK_TTL_MS).toISOString()
      }
    })
    expect(secret.versionWith(AWSPENDING)).toBeUndefined()
    world.clock.advance(LOCK_TTL_MS + 1)

    const { outcome } = await world.run()

    expect(outcome.status).toBe('failed')
    expect(outcome.error?.code).toBe('resume-blocked')
    expect(outcome.error?.phase).toBe('preflight')
    expect(stepsOf(outcome)).toEqual([['preflight', 'failed']])
    expect(outcome.error?.message).toContain(
      'run 1 attempt 1 stopped while exchanging this refresh token'
    )
    // The store's own way to start afresh (an untag-resource of the minting and pending marks).
    expect(outcome.error?.message).toContain(must(world.clients.at(-1), 'store').resetHint)
    // r0 was not presented again: the grant, and the token the dead run received, live on.
    expect(issuer.refreshTokenLive(r1)).toBe(true)
    expect(issuer.grantAlive(r1)).toBe(true)
    expect(secret.valueWith(AWSCURRENT)).toBe(r0)
    expect(secret.record.minting?.from).toBe(fp(r0))
    expect(secret.record.consecutiveFailures).toBe(1)
    expect(secret.record.runs[0]?.outcome).toBe('failed:resume-blocked')
  })

  test('with a recovery key and the ciphertext logged: refused, then the token recovered into AWSCURRENT is rotated from', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world

    // writeState 2 is the pending token's record (its first write), after the ciphertext is logged.
    const killed = await world.run({ kill: { call: 'writeState', when: 'before', nth: 2 } })
    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    world.clock.advance(LOCK_TTL_MS + 1)

    const refused = await world.run()

    expect(refused.outcome.error?.code).toBe('resume-blocked')
    expect(refused.outcome.error?.message).toContain('Recovery ciphertext')
    expect(issuer.refreshTokenLive(r1)).toBe(true)

    // What the message says: open the ciphertext, store the token in the secret, run again.
    const recovered = world.recovery?.open(ciphertextInLog(killed) ?? '')
    expect(recovered).toBe(r1)
    secret.putByHand(r1)

    const { outcome } = await world.run()

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('rotated')
    const r2 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.valueWith(AWSCURRENT)).toBe(r2)
    expect(secret.valueWith(AWSPREVIOUS)).toBe(r1)
    expect(issuer.grantAlive(r2)).toBe(true)
    expect(secret.record.minting).toBeUndefined()
  })

  test('without a recovery key, the next run makes its one attempt; the consumed token is refused and re-authorization asked for', async () => {
    const world = new VersionedWorld({ recovery: false })
    const { secret, issuer } = world
    const r0 = world.initial.refreshToken

    await world.run({ kill: { call: 'mint', when: 'after' } })

    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.record.minting).toMatchObject({ from: fp(r0), recoverable: false })
    world.clock.advance(LOCK_TTL_MS + 1)

    const { outcome } = await world.run()

    expect(detailOf(outcome, 'preflight')).toBe(
      'run 1 attempt 1 stopped while minting: one attempt'
    )
    expect(outcome.status).toBe('failed')
    expect(outcome.error?.code).toBe('reauthorization-needed')
    expect(outcome.error?.phase).toBe('mint')
    expect(outcome.error?.message).toContain(
      'run 1 attempt 1 stopped while exchanging this refresh token'
    )
    expect(outcome.error?.message).toContain(must(world.clients.at(-1), 'store').resetHint)
    // The one attempt presented r0, which the dead run had consumed: the rotating server took it
    // as a reuse and revoked the grant (the table's accepted loss: the answer was never received).
    expect(issuer.grantAlive(r1)).toBe(false)
    expect(secret.valueWith(AWSCURRENT)).toBe(r0)
    expect(secret.versionWith(AWSPENDING)).toBeUndefined()
    // The question stays open for the person who re-authorizes.
    expect(secret.record.minting?.from).toBe(fp(r0))

    // What the message says: re-authorize, store the new refresh token, remove the marks.
    const fresh = issuer.authorize().refreshToken
    secret.putByHand(fresh)
    secret.untagByHand(['token-rotation:minting', 'token-rotation:pending'])
    world.clock.advance(HOUR)

    const after = await world.run()

    expect(after.outcome.error).toBeUndefined()
    expect(after.outcome.status).toBe('rotated')
    expect(issuer.refreshTokenLive(fresh)).toBe(false)
    expect(issuer.grantAlive(must(secret.valueWith(AWSCURRENT), 'AWSCURRENT'))).toBe(true)
  })

  test('without a recovery key, killed before the request reached the issuer: the one attempt rotates', async () => {
    const world = new VersionedWorld({ recovery: false })
    const { secret, issuer } = world

    await world.run({ kill: { call: 'mint', when: 'before' } })
    world.clock.advance(LOCK_TTL_MS + 1)

    const { outcome } = await world.run()

    expect(detailOf(outcome, 'preflight')).toBe(
      'run 1 attempt 1 stopped while minting: one attempt'
    )
    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('rotated')
    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.valueWith(AWSCURRENT)).toBe(r1)
    expect(issuer.grantAlive(r1)).toBe(true)
    expect(secret.record.minting).toBeUndefined()
  })
})

describe('a store with versions: a new token that never reached AWSPENDING (the pending mark)', () => {
  // The engine records `pending` (and drops the minting mark) in the writeState before
  // store.persist. Until 473c7e4 the AWS store kept `pending` only as the AWSPENDING label, so a
  // persist that failed (or a runner that died before PutSecretValue) left "current = X, nothing
  // pending, no minting mark": the next run presented the consumed X again and a rotating issuer
  // revoked the grant, the token sealed in the recovery ciphertext with it. The pending mark tag
  // now keeps DESIGN's row "current = X, pending = Y: do not reuse X".
  test('a persist that fails every retry: the next run is refused, and the recovered token stored by hand is rotated from', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world
    const r0 = world.initial.refreshToken
    world.failPersist()

    const failed = await world.run()

    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    expect(failed.outcome.error?.code).toBe('persist-failed')
    expect(secret.versionWith(AWSPENDING)).toBeUndefined()
    expect(secret.record.pending).toMatchObject({ fingerprint: fp(r1), recoverable: true })
    world.failPersist(0)
    world.clock.advance(HOUR)

    const refused = await world.run()

    expect(refused.outcome.error?.code).toBe('resume-blocked')
    expect(refused.outcome.error?.phase).toBe('preflight')
    expect(refused.outcome.error?.message).toContain('logged a recovery ciphertext')
    expect(stepsOf(refused.outcome)).toEqual([['preflight', 'failed']])
    // r0 was not presented again: the grant and r1 live on.
    expect(issuer.refreshTokenLive(r1)).toBe(true)
    expect(secret.valueWith(AWSCURRENT)).toBe(r0)

    // What the message says: open the ciphertext, store the token in the secret, run again.
    const recovered = world.recovery?.open(failed.outcome.recoveryCiphertext ?? '')
    expect(recovered).toBe(r1)
    secret.putByHand(r1)
    world.clock.advance(HOUR)

    const { outcome } = await world.run()

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('rotated')
    // The version stored by hand supersedes the pending mark (written when v0 was AWSCURRENT):
    // r1 is the current token, as if run 1 had finished, not a rotation to resume.
    expect(detailOf(outcome, 'preflight')).toMatch(
      /^read the live version from .*; nothing half done$/
    )
    expect(stepsOf(outcome)).toEqual(FULL_ROTATION)
    const r2 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.valueWith(AWSCURRENT)).toBe(r2)
    expect(secret.valueWith(AWSPREVIOUS)).toBe(r1)
    expect(issuer.refreshTokenLive(r1)).toBe(false)
    expect(issuer.grantAlive(r2)).toBe(true)
    expect(secret.record.pending).toBeUndefined()
  })

  test('a run killed right before the PutSecretValue of persist: the next run is refused and presents nothing', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world

    const killed = await world.run({ kill: { call: 'persist', when: 'before' } })
    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    expect(world.recovery?.open(ciphertextInLog(killed) ?? '')).toBe(r1)
    expect(secret.record.minting).toBeUndefined()
    world.clock.advance(LOCK_TTL_MS + 1)

    const { outcome } = await world.run()

    expect(outcome.error?.code).toBe('resume-blocked')
    expect(outcome.error?.message).toContain('run 1 attempt 1')
    expect(issuer.refreshTokenLive(r1)).toBe(true)
  })

  test('a resumed run that marked its new token and died before staging it: refused (the pending mark names the token it lost)', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world
    const health = must(world.health, 'health check')
    const a0 = world.initial.accessToken
    // Run 1 stages r1 and fails its check: r1 stays AWSPENDING.
    health.refuse = value => value !== a0
    await world.run()
    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    const v1 = versionToken(secret.arn, r1)
    expect(secret.versionWith(AWSPENDING)).toBe(v1)
    health.refuse = undefined
    world.clock.advance(HOUR)

    // Run 2 promotes r1, mints r2 from it, marks r2 pending and dies before staging it.
    await world.run({ kill: { call: 'persist', when: 'before' } })
    const r2 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.valueWith(AWSCURRENT)).toBe(r1)
    // The promotion took AWSPENDING off v1: nothing is staged, only the mark tells of r2.
    expect(secret.labelsOf(v1)).toEqual([AWSCURRENT])
    expect(secret.versionWith(AWSPENDING)).toBeUndefined()
    expect(secret.record.pending?.fingerprint).toBe(fp(r2))
    world.clock.advance(LOCK_TTL_MS + 1)

    const { outcome } = await world.run()

    expect(outcome.error?.code).toBe('resume-blocked')
    expect(issuer.refreshTokenLive(r2)).toBe(true)
    expect(issuer.grantAlive(r2)).toBe(true)
  })
})

describe('a token stored by hand after earlier rotations (what the recovery and re-authorization messages ask for)', () => {
  // Secrets Manager leaves AWSPENDING on a version that UpdateSecretVersionStage makes current. Once
  // a person stores a token with put-secret-value, that version is AWSPREVIOUS: had it kept
  // AWSPENDING, with its id this action's token and no pending mark, a run would take it as staged
  // and live, "resume" it over the hand-stored token and mint from a consumed one (the grant
  // revoked). The store removes AWSPENDING from the version it promotes, never takes a version
  // that carries AWSPREVIOUS as pending, and lets a version stored by hand supersede an older
  // staged one and the pending mark.
  test('the token recovered from a ciphertext is taken as current after earlier rotations', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world
    await world.run()
    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.labelsOf(must(secret.versionOf(r1), 'v1'))).toEqual([AWSCURRENT])
    world.clock.advance(HOUR)
    // Run 2 mints r2 from r1, logs its ciphertext and dies before its pending record.
    const killed = await world.run({ kill: { call: 'writeState', when: 'before', nth: 2 } })
    const r2 = must(issuer.lastRefreshToken(), 'minted token')
    world.clock.advance(LOCK_TTL_MS + 1)
    const refused = await world.run()
    expect(refused.outcome.error?.code).toBe('resume-blocked')
    expect(world.recovery?.open(ciphertextInLog(killed) ?? '')).toBe(r2)
    const v2 = secret.putByHand(r2)

    const { outcome } = await world.run()

    // r2 is current and minted from; r1 (AWSPREVIOUS, consumed) is neither resumed nor presented.
    expect(outcome.error).toBeUndefined()
    expect(detailOf(outcome, 'preflight')).not.toContain('resuming')
    expect(outcome.status).toBe('rotated')
    const r3 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.valueWith(AWSCURRENT)).toBe(r3)
    expect(secret.versionWith(AWSPREVIOUS)).toBe(v2)
    expect(issuer.refreshTokenLive(r2)).toBe(false)
    expect(issuer.grantAlive(r3)).toBe(true)
  })

  test('after a re-authorization, the new refresh token stored by hand is the one minted from', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world
    await world.run()
    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    // The user revokes the app's access: the next run is told to re-authorize.
    await issuer.revoke({ by: 'value', value: r1, fingerprint: fp(r1) })
    world.clock.advance(HOUR)
    const revoked = await world.run()
    expect(revoked.outcome.error?.code).toBe('reauthorization-needed')
    const fresh = issuer.authorize().refreshToken
    secret.putByHand(fresh)
    secret.untagByHand(['token-rotation:minting', 'token-rotation:pending'])
    world.clock.advance(HOUR)

    const { outcome } = await world.run()

    // Not r1's version (AWSPREVIOUS now): the fresh token was exchanged, and the grant lives on.
    expect(outcome.error?.code).toBeUndefined()
    expect(outcome.status).toBe('rotated')
    expect(issuer.refreshTokenLive(fresh)).toBe(false)
    expect(secret.valueWith(AWSPREVIOUS)).toBe(fresh)
    expect(issuer.grantAlive(must(secret.valueWith(AWSCURRENT), 'AWSCURRENT'))).toBe(true)
  })
})

describe('(4) two runs at once through a lock that both get', () => {
  // The second take overwrites the first run's lock, as a late request or an operator's delete
  // would: the first run's re-check before minting finds the lock is no longer its, and the
  // second finds the first's minting mark, whose lease has not ended. At most one mints.
  test('with a rotating issuer at most one run mints, and the grant stays alive', async () => {
    const world = new VersionedWorld({ exclusiveLock: false })
    const { secret, issuer } = world
    const r0 = world.initial.refreshToken

    const [a, b] = await world.runTogether({ runId: 'run A' }, { runId: 'run B' })
    const first = must(a, 'run A').outcome
    const second = must(b, 'run B').outcome

    expect(world.lock.owners).toEqual(['run A', 'run B'])
    expect(issuer.requests).toBeLessThanOrEqual(1)
    expect(issuer.grantAlive(r0)).toBe(true)
    expect(issuer.liveRefreshTokens()).toHaveLength(1)
    const refused = [first, second].filter(o => o.status === 'failed')
    expect(refused.length).toBeGreaterThanOrEqual(1)
    for (const o of refused) {
      expect(o.error?.code).toBe('locked')
      expect(o.error?.message).toMatch(/Nothing was minted/)
    }
    expect(secret.valueWith(AWSPENDING) ?? secret.valueWith(AWSCURRENT)).toBeDefined()
  })

  test('with an issuer that tolerates the reuse: still one mint, and nothing is left AWSPENDING', async () => {
    const world = new VersionedWorld({ exclusiveLock: false })
    const leeway = new LeewayIssuer(world.clock, world.runner, world.accepts)
    world.minter = leeway
    const r0 = leeway.authorize()
    world.secret.putByHand(r0)

    const results = await world.runTogether({ runId: 'run A' }, { runId: 'run B' })

    // The first refresh token, then one mint: a refresh and an access token.
    expect(leeway.issued).toHaveLength(3)
    expect(results.filter(r => r.outcome.error?.code === 'store-conflict')).toEqual([])
    expect(results.filter(r => r.outcome.error?.code === 'locked').length).toBeGreaterThanOrEqual(1)
    expect(leeway.grantAlive).toBe(true)
  })
})

describe('(4b) two runs resuming the same pending version through a lock both get', () => {
  test('one promotes and goes on; the other stops at the promotion, and the grant stays alive', async () => {
    const world = new VersionedWorld({ exclusiveLock: false })
    const { secret, issuer } = world
    const a0 = world.initial.accessToken
    const r0 = world.initial.refreshToken
    const health = must(world.health, 'health check')
    health.refuse = value => value !== a0
    await world.run()
    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.valueWith(AWSPENDING)).toBe(r1)
    health.refuse = undefined
    world.clock.advance(HOUR)
    const requestsBefore = issuer.requests

    const results = await world.runTogether({ runId: 'run A' }, { runId: 'run B' })

    // Both promote r1; the second finds AWSCURRENT already there and cannot tell its own lost
    // answer from the other run: it stops before minting. The first finds, right before minting,
    // that its lock was overwritten by the second's: it stops too. r1 is presented at most once.
    const outcomes = results.map(r => r.outcome)
    expect(issuer.requests - requestsBefore).toBeLessThanOrEqual(1)
    expect(outcomes.filter(o => o.status === 'rotated').length).toBeLessThanOrEqual(1)
    const stopped = outcomes.filter(o => o.status === 'failed')
    expect(stopped.map(o => o.error?.code).sort()).toEqual(
      stopped.length === 2 ? ['locked', 'store-conflict'] : ['store-conflict']
    )
    expect(issuer.refreshTokenLive(r1) || issuer.liveRefreshTokens().length === 1).toBe(true)
    expect(issuer.grantAlive(r0)).toBe(true)
  })
})

describe('(5) a failed health check', () => {
  test('restores the targets to previous-value, keeps the new token AWSPENDING, and the next run resumes from it', async () => {
    const world = new VersionedWorld()
    const { secret, issuer } = world
    const a0 = world.initial.accessToken
    const health = must(world.health, 'health check')
    const v0 = must(secret.versionWith(AWSCURRENT), 'AWSCURRENT')
    health.refuse = value => value !== a0

    const failed = await world.run()

    const r1 = must(issuer.lastRefreshToken(), 'minted token')
    const v1 = versionToken(secret.arn, r1)
    expect(failed.outcome.status).toBe('failed')
    expect(failed.outcome.error?.code).toBe('health-check-failed')
    expect(failed.outcome.error?.phase).toBe('verify')
    expect(stepsOf(failed.outcome)).toEqual([
      ...FULL_ROTATION.slice(0, 4),
      ['verify', 'failed'],
      ['rollback', 'ok']
    ])
    expect(world.targets.values()).toEqual(world.allTargets(a0))
    expect(failed.outcome.restored.map(r => r.status)).toEqual(['updated', 'updated'])
    expect(secret.versionWith(AWSPENDING)).toBe(v1)
    expect(secret.versionWith(AWSCURRENT)).toBe(v0)
    expect(issuer.refreshTokenLive(r1)).toBe(true)
    expect(secret.record.consecutiveFailures).toBe(1)
    expect(secret.record.published?.fingerprint).toBe(fp(a0))
    expect(secret.record.minting).toBeUndefined()

    health.refuse = undefined
    world.clock.advance(HOUR)
    const { outcome } = await world.run()

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('rotated')
    expect(detailOf(outcome, 'preflight')).toBe('resuming the rotation of run 1 attempt 1')
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['promote', 'ok'],
      ...FULL_ROTATION.slice(1)
    ])
    const r2 = must(issuer.lastRefreshToken(), 'minted token')
    expect(secret.valueWith(AWSCURRENT)).toBe(r2)
    expect(secret.versionWith(AWSPREVIOUS)).toBe(v1)
    expect(issuer.refreshTokenLive(r1)).toBe(false)
    expect(issuer.grantAlive(r2)).toBe(true)
    expect(secret.record.consecutiveFailures).toBe(0)
  })
})

describe('(6) an issuer that stores the version itself (AWS rotation: storedAs, previous, undo)', () => {
  // The real rotation issuer (RotateSecret, then a wait for AWSCURRENT) over the secret's Lambda.
  function rotationWorld(): { world: VersionedWorld; lambda: MemoryRotationLambda } {
    const world = new VersionedWorld({ owner: 'rotation-lambda' })
    return { world, lambda: world.lambda }
  }

  test('persist is skipped with the storedAs detail; promote records the version and leaves AWSCURRENT where the issuer put it', async () => {
    const { world, lambda } = rotationWorld()
    const { secret } = world
    const s0 = world.initial.accessToken
    const v0 = must(secret.versionWith(AWSCURRENT), 'AWSCURRENT')
    const now = world.clock.now().toISOString()

    const { outcome } = await world.run()

    const s1 = must(lambda.issued.at(-1), 'rotated value')
    const v1 = must(secret.versionOf(s1), 'the new version')
    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('rotated')
    expect(outcome.version).toBe(fp(s1))
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['mint', 'ok'],
      ['persist', 'skipped'],
      ['publish', 'ok'],
      ['verify', 'ok'],
      ['promote', 'ok'],
      ['retire', 'skipped']
    ])
    expect(detailOf(outcome, 'persist')).toBe(
      `AWS stored the new value as version ${v1} (AWSCURRENT) of secret prod/oauth`
    )
    expect(detailOf(outcome, 'promote')).toBe(`version ${fp(s1)} recorded as published`)
    // The labels are as the issuer left them: the store moved nothing and wrote no version.
    expect(secret.labelsOf(v1)).toEqual([AWSCURRENT])
    expect(secret.labelsOf(v0)).toEqual([AWSPREVIOUS])
    expect(secret.versionCount).toBe(2)
    expect(world.targets.values()).toEqual(world.allTargets(s1))
    expect(secret.record.published).toEqual({ fingerprint: fp(s1), at: now })
    expect(secret.record.rotatedAt).toBe(now)
    expect(secret.record.minting).toBeUndefined()
    expect(s0).not.toBe(s1)
  })

  test('a failing check undoes the rotation (AWSCURRENT back on the old version) and republishes previous', async () => {
    const { world, lambda } = rotationWorld()
    const { secret } = world
    const s0 = world.initial.accessToken
    const v0 = must(secret.versionWith(AWSCURRENT), 'AWSCURRENT')
    lambda.breakNext = true

    // No previous-value: what goes back is the issuer's `previous`.
    const { outcome } = await world.run({ plan: { previousValue: undefined } })

    const s1 = must(lambda.issued.at(-1), 'rotated value')
    const v1 = must(secret.versionOf(s1), 'the new version')
    expect(outcome.status).toBe('failed')
    expect(outcome.error?.code).toBe('health-check-failed')
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['mint', 'ok'],
      ['persist', 'skipped'],
      ['publish', 'ok'],
      ['verify', 'failed'],
      ['rollback', 'ok']
    ])
    expect(detailOf(outcome, 'rollback')).toBe('2 targets of 2 put back to the previous value')
    // The issuer's own state: AWSCURRENT is back on the version it replaced.
    expect(secret.versionWith(AWSCURRENT)).toBe(v0)
    expect(secret.labelsOf(v1)).toEqual([AWSPREVIOUS])
    expect(world.targets.values()).toEqual(world.allTargets(s0))
    expect(secret.record.published?.fingerprint).toBe(fp(s0))
    expect(secret.record.consecutiveFailures).toBe(1)
  })
})

describe('(7) mode rollback', () => {
  async function rotated(): Promise<{ world: VersionedWorld; s0: string; s1: string }> {
    const world = new VersionedWorld({ owner: 'rotation-lambda' })
    const { lambda } = world
    // The service behind the secret still takes the old value (as a rotation Lambda's alternating
    // users do), however old the OAuth2 server's access token is.
    world.accepts.add(world.initial.accessToken)
    const { outcome } = await world.run()
    expect(outcome.status).toBe('rotated')
    world.clock.advance(HOUR)
    return { world, s0: world.initial.accessToken, s1: must(lambda.issued.at(-1), 'rotated value') }
  }

  test('moves AWSCURRENT back, publishes and verifies the previous value: rolled-back', async () => {
    const { world, s0, s1 } = await rotated()
    const { secret } = world
    const v0 = must(secret.versionOf(s0), 'v0')
    const v1 = must(secret.versionOf(s1), 'v1')

    const { outcome } = await world.run({ plan: { mode: 'rollback' } })

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('rolled-back')
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['rollback', 'ok'],
      ['publish', 'ok'],
      ['verify', 'ok']
    ])
    expect(detailOf(outcome, 'rollback')).toBe(
      'the previous version of AWS Secrets Manager secret prod/oauth is current again'
    )
    expect(outcome.version).toBe(fp(s0))
    expect(secret.versionWith(AWSCURRENT)).toBe(v0)
    expect(secret.versionWith(AWSPREVIOUS)).toBe(v1)
    expect(world.targets.values()).toEqual(world.allTargets(s0))
  })

  test('a previous value that fails its health check: refused before anything moves', async () => {
    const { world, s0 } = await rotated()
    const { secret } = world
    const health = must(world.health, 'health check')
    health.refuse = value => value === s0
    const current = secret.versionWith(AWSCURRENT)
    const before = world.targets.values()

    const { outcome } = await world.run({ plan: { mode: 'rollback' } })

    expect(outcome.status).toBe('failed')
    expect(outcome.error?.code).toBe('health-check-failed')
    expect(outcome.error?.message).toContain('nothing was moved or published')
    expect(stepsOf(outcome)).toEqual([['preflight', 'failed']])
    expect(secret.versionWith(AWSCURRENT)).toBe(current)
    expect(world.targets.values()).toEqual(before)
  })

  test('a secret without AWSPREVIOUS: refused at preflight and nothing is published', async () => {
    const world = new VersionedWorld({ owner: 'rotation-lambda' })
    const before = world.targets.values()

    const { outcome } = await world.run({ plan: { mode: 'rollback' } })

    expect(outcome.status).toBe('failed')
    expect(outcome.error?.code).toBe('aws-rejected')
    expect(stepsOf(outcome)).toEqual([['preflight', 'failed']])
    expect(world.targets.values()).toEqual(before)
  })

  test('two rollbacks at once through a lock that both get: AWSCURRENT moves back once, and both publish that value', async () => {
    const world = new VersionedWorld({ owner: 'rotation-lambda', exclusiveLock: false })
    world.accepts.add(world.initial.accessToken)
    await world.run()
    world.clock.advance(HOUR)
    const s0 = world.initial.accessToken
    const v1 = must(world.secret.versionWith(AWSCURRENT), 'AWSCURRENT')

    const results = await world.runTogether(
      { runId: 'run A', mode: 'rollback' },
      { runId: 'run B', mode: 'rollback' }
    )

    // The second move finds AWSCURRENT already where it wanted it: done, not a conflict.
    expect(results.map(r => r.outcome.status)).toEqual(['rolled-back', 'rolled-back'])
    // Moved back once, not twice: v1 is AWSPREVIOUS, the old value is current and published.
    expect(world.secret.valueWith(AWSCURRENT)).toBe(s0)
    expect(world.secret.versionWith(AWSPREVIOUS)).toBe(v1)
    expect(world.targets.values()).toEqual(world.allTargets(s0))
  })
})

describe('(8) no secret value in logs, steps, audit, warnings, errors or tags', () => {
  test('the leak check covers the secret tags: a value written there is caught', async () => {
    const world = new VersionedWorld()
    await world.run()
    expectNoVersionedLeaks(world)

    world.secret.tagByHand({ 'token-rotation:note': world.initial.refreshToken })

    expect(() => {
      expectNoVersionedLeaks(world)
    }).toThrow()
  })
})

describe('the in-memory secret answers as AwsSecret does (the errors of src/providers/aws/errors.ts)', () => {
  async function failure(call: Promise<unknown>): Promise<ActionError> {
    const error = await call.then(
      () => undefined,
      (thrown: unknown) => thrown
    )
    if (!(error instanceof ActionError)) throw new Error('expected an ActionError')
    return error
  }

  test('a lost compare-and-swap, a token in use, an unknown stage, an HTTP 500', async () => {
    const world = new VersionedWorld({ owner: 'rotation-lambda' })
    const { secret } = world
    const v0 = must(secret.versionWith(AWSCURRENT), 'AWSCURRENT')
    const v1 = secret.putByHand('pw_by_hand')

    // AWSCURRENT moved to v1 (by hand): a move that names v0 as its holder is refused.
    const lost = await failure(secret.moveStage(AWSCURRENT, v0, v0, 'promote'))
    expect(lost.code).toBe('aws-rejected')
    expect(lost.message).toContain('InvalidParameterException')
    expect(lost.message).toContain(`Moving AWSCURRENT to version ${v0} of secret prod/oauth failed`)

    const inUse = await failure(secret.rotate(v1, 'mint'))
    expect(inUse.code).toBe('aws-rejected')
    expect(inUse.message).toContain('ResourceExistsException')

    const noStage = await failure(secret.read({ stage: 'AWSPENDING' }, 'mint'))
    expect(noStage.code).toBe('aws-not-found')

    world.failPersist(1)
    const down = await failure(
      secret.put('pw_new', versionToken(secret.arn, 'x'), [AWSPENDING], 'persist')
    )
    expect(down.code).toBe('aws-unavailable')
    expect(down.retryable).toBe(true)
    expect(secret.versionWith(AWSPENDING)).toBeUndefined()
  })
})
