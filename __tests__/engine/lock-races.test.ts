import { describe, expect, test } from '@jest/globals'
import { assess } from '../../src/engine/assess.js'
import { emptyState } from '../../src/engine/state.js'
import { LOCK_TTL_MS, World, fp, stepsOf, type RunResult } from '../support/engine-world.js'

/**
 * The engine's half of "one writer": a run re-checks its lease right before it mints, and a
 * minting mark whose run's lease has not ended is never read as a run that stopped. Each
 * interleaving is placed exactly: another actor moves right after a given record write lands.
 */

const FIRST = 'run 1 attempt 1'

/** Runs `second` right after the first run's minting mark lands, with its lock deleted first. */
function deleteLockAfterMark(world: World, second: () => Promise<RunResult>): () => RunResult {
  let result: RunResult | undefined
  world.s.afterWrite = async state => {
    if (!state.minting) return
    world.s.dropLock()
    result = await second()
  }
  return () => {
    if (!result) throw new Error('the second run never started')
    return result
  }
}

describe('a minting mark of a run whose lease has not ended', () => {
  test('is "busy", not "stopped while minting", until the lease ends on the lock clock', () => {
    const state = {
      ...emptyState(),
      current: { fingerprint: fp('a'), since: '2026-03-01T11:00:00.000Z' },
      minting: {
        from: fp('a'),
        startedAt: '2026-03-01T12:00:00.000Z',
        run: FIRST,
        recoverable: false,
        lease: { holder: FIRST, endsBy: '2026-03-01T12:10:00.000Z' }
      }
    }
    const at = (time: string) => assess(state, fp('a'), new Date(time))
    expect(at('2026-03-01T12:09:59.000Z')).toEqual({
      kind: 'busy',
      run: FIRST,
      until: '2026-03-01T12:10:00.000Z',
      doing: 'minting'
    })
    expect(at('2026-03-01T12:10:00.000Z')).toEqual({ kind: 'uncertain', run: FIRST })
    // Whatever the input, even a token the record does not know.
    expect(assess(state, fp('f'), new Date('2026-03-01T12:05:00.000Z')).kind).toBe('busy')
  })
})

describe('a pending version of a run whose lease has not ended', () => {
  test('the next run neither resumes nor mints from it while that run still publishes', async () => {
    const world = new World()
    let next: RunResult | undefined
    // The hook lasts one write: it re-arms itself until the pending mark lands.
    const onWrite = async (state: { pending?: unknown }): Promise<void> => {
      if (!state.pending) {
        world.s.afterWrite = onWrite
        return
      }
      // The first run has minted and marked its version pending; its lock disappears now.
      world.s.dropLock()
      next = await world.run()
    }
    world.s.afterWrite = onWrite
    const { outcome: first } = await world.run()
    if (!next) throw new Error('the second run never started')
    expect(world.issuer.requests).toBe(1)
    expect(next.outcome.error?.code).toBe('locked')
    expect(next.outcome.error?.message).toMatch(/run 1 attempt 1 marked .*may still be promoting/)
    expect(stepsOf(next.outcome)).toEqual([['preflight', 'failed']])
    expect(first.error).toBeUndefined()
  })

  test('is resumed at once once its run has ended, without waiting for the lease', () => {
    const state = {
      ...emptyState(),
      current: { fingerprint: fp('a'), since: '2026-03-01T11:00:00.000Z' },
      pending: {
        fingerprint: fp('b'),
        mintedAt: '2026-03-01T12:00:00.000Z',
        run: FIRST,
        recoverable: false,
        lease: { holder: FIRST, endsBy: '2026-03-01T12:10:00.000Z' }
      }
    }
    expect(assess(state, fp('b'), new Date('2026-03-01T12:05:00.000Z')).kind).toBe('busy')
    state.pending.lease.endsBy = '2026-03-01T12:04:00.000Z'
    expect(assess(state, fp('b'), new Date('2026-03-01T12:05:00.000Z'))).toEqual({
      kind: 'resume',
      run: FIRST
    })
  })
})

describe('mode retire under a live minting mark', () => {
  test('is refused before it writes the record (it would erase the marks of the run minting)', async () => {
    const world = new World()
    let retire: RunResult | undefined
    world.s.afterWrite = async state => {
      if (!state.minting) return
      world.s.dropLock()
      const writes = world.s.recordWrites.length
      retire = await world.run({ plan: { mode: 'retire' } })
      expect(world.s.recordWrites.length).toBe(writes)
    }
    await world.run()
    if (!retire) throw new Error('the retire run never started')
    expect(retire.outcome.error?.code).toBe('locked')
    expect(retire.outcome.error?.message).toMatch(/run 1 attempt 1 marked .*may still be minting/)
  })
})

describe('the lock deleted under a live run between its minting mark and its mint', () => {
  test('the next run finds the mark alive and writes nothing; the first finds its lock gone; nobody mints', async () => {
    const world = new World()
    const r0 = world.initial.refreshToken
    const second = deleteLockAfterMark(world, () => world.run())

    const { outcome: first } = await world.run()
    const { outcome: next } = second()

    expect(world.issuer.requests).toBe(0)
    expect(world.issuer.refreshTokenLive(r0)).toBe(true)
    expect(next.error?.code).toBe('locked')
    expect(next.error?.message).toMatch(/run 1 attempt 1 marked .*may still be minting/)
    expect(stepsOf(next)).toEqual([['preflight', 'failed']])
    expect(first.error?.code).toBe('locked')
    expect(first.error?.phase).toBe('mint')
    expect(first.error?.message).toMatch(
      /^Refused to mint: the lock was deleted by someone else\. Nothing was minted, and this run writes nothing more/
    )
    // Only the first run's mark was written: neither run counted itself in the record.
    expect(world.s.recordWrites).toHaveLength(1)
    expect(world.s.record?.minting).toMatchObject({ run: FIRST, from: fp(r0) })
  })

  test('once the lease has ended, the mark is read as an interrupted mint, as the message said', async () => {
    const world = new World({ recovery: false })
    deleteLockAfterMark(world, () => world.run())
    await world.run()
    world.clock.advance(LOCK_TTL_MS + 1)

    const { outcome } = await world.run()

    // Never presented, so the one attempt rotates.
    expect(outcome.status).toBe('rotated')
    expect(world.issuer.requests).toBe(1)
  })

  test('a run that gets the lock after the lease ended makes the one attempt; the first is refused: one mint', async () => {
    const world = new World({ recovery: false })
    // The second run starts after the first's lease ended on the lock's clock.
    const second = deleteLockAfterMark(world, () => {
      world.clock.advance(LOCK_TTL_MS + 1)
      return world.run()
    })

    const { outcome: first } = await world.run()

    expect(first.error?.message).toMatch(/^Refused to mint: the lock was deleted by someone else/)
    expect(second().outcome.status).toBe('rotated')
    expect(world.issuer.requests).toBe(1)
    expect(world.issuer.grantAlive(world.s.secret)).toBe(true)
    expect(world.issuer.refreshTokenLive(world.s.secret)).toBe(true)
  })
})

describe('the lease re-checked right before minting', () => {
  test('too little of it left: refused before the mint, the mark taken back, the failure counted', async () => {
    const world = new World()
    const before = world.s.record

    // Ten minutes of lease cannot cover a mint of two minutes and its margin, once 8 have passed.
    world.s.afterWrite = () => {
      world.clock.advance(8 * 60_000)
      return Promise.resolve()
    }
    const { outcome } = await world.run()

    expect(world.issuer.requests).toBe(0)
    expect(outcome.error?.code).toBe('locked')
    expect(outcome.error?.message).toMatch(
      /^Refused to mint: the lease has \d+ ms left\. Nothing was minted\.$/
    )
    expect(world.s.record?.minting).toBeUndefined()
    expect(world.s.record?.current).toEqual(before?.current)
    expect(world.s.record?.consecutiveFailures).toBe(1)
    expect(world.s.lockHolder()).toBeUndefined()
  })
})

describe('the lease re-checked right before minting covers what follows the mint', () => {
  test('refused when the lease covers the mint but not the pending mark and the persist after it', async () => {
    const world = new World()
    // Five minutes are left: enough for a mint of two minutes and a minute's margin, not for the
    // pending mark's write (a minute) and the persist (persist-timeout, two minutes) as well.
    world.s.afterWrite = () => {
      world.clock.advance(5 * 60_000)
      return Promise.resolve()
    }
    const { outcome } = await world.run()

    expect(world.issuer.requests).toBe(0)
    expect(outcome.error?.message).toMatch(/^Refused to mint: the lease has \d+ ms left\./)
    expect(world.issuer.grantAlive(world.s.secret)).toBe(true)
  })
})

describe('a lease that ends during the run', () => {
  test('the run writes the record no more once its lease may be over; the next run resumes from it', async () => {
    const world = new World()
    // The lease runs out after the pending mark: during publish and verify (a slow health check).
    world.s.afterWrite = () => {
      world.s.afterWrite = () => {
        world.clock.advance(LOCK_TTL_MS)
        return Promise.resolve()
      }
      return Promise.resolve()
    }

    const { outcome } = await world.run()

    expect(outcome.error?.code).toBe('locked')
    expect(outcome.error?.phase).toBe('promote')
    expect(outcome.error?.message).toMatch(/lease on the lock .* has ended or is about to/)
    // The mark and the pending mark only: no promotion, no run counted over a successor's record.
    expect(world.s.recordWrites).toHaveLength(2)
    expect(world.s.record?.pending?.fingerprint).toBe(fp(world.s.secret))
    expect(world.issuer.requests).toBe(1)

    world.clock.advance(LOCK_TTL_MS)
    const { outcome: next } = await world.run()
    expect(next.status).toBe('rotated')
    expect(stepsOf(next)[1]).toEqual(['promote', 'ok'])
    expect(world.issuer.grantAlive(world.s.secret)).toBe(true)
  })
})
