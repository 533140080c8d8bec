import { describe, expect, test } from '@jest/globals'
import type { StepName, StepOutcome } from '../../src/engine/outcome.js'
import type { ErrorCode, Phase } from '../../src/errors.js'
import {
  LOCK_TTL_MS,
  TARGETS,
  World,
  detailOf,
  fp,
  stepsOf,
  type PlanChanges,
  type WorldOptions
} from '../support/engine-world.js'

/**
 * A failure at every step of a rotation: what the world holds afterwards (the store's token, the
 * record, the targets' values, the issuer's grant), what was undone, and what was reported.
 */

/** `old`: what the world held before the run; `new`: what this run minted. */
type Which = 'old' | 'new'

interface Row {
  name: string
  world?: WorldOptions
  arrange?: (world: World) => void | Promise<void>
  plan?: PlanChanges
  /** Undefined: the run succeeds despite the fault. */
  error?: { code: ErrorCode; phase: Phase; says?: string[] }
  steps: [StepName, StepOutcome][]
  store: Which
  record: { current: Which; pending?: Which; minting?: boolean; untouched?: boolean }
  targets: Which | Record<(typeof TARGETS)[number], Which>
  /** The refresh token the run was given can still be exchanged. */
  inputLive: boolean
  familyAlive: boolean
  /** The issuer issued a new refresh token during the run (received or not). */
  minted: boolean
  restored?: number
  warning?: string
  more?: (world: World) => void
}

const START: [StepName, StepOutcome][] = [
  ['preflight', 'ok'],
  ['mint', 'ok'],
  ['persist', 'ok'],
  ['publish', 'ok']
]
const ALL_OK: [StepName, StepOutcome][] = [
  ...START,
  ['verify', 'ok'],
  ['promote', 'ok'],
  ['retire', 'skipped']
]

const rows: Row[] = [
  {
    name: 'lock: another live run holds it',
    arrange: async world => {
      await world.s.acquire('run 0 attempt 1', LOCK_TTL_MS)
    },
    error: { code: 'locked', phase: 'preflight', says: ['run 0 attempt 1'] },
    steps: [['preflight', 'failed']],
    store: 'old',
    record: { current: 'old', untouched: true },
    targets: 'old',
    inputLive: true,
    familyAlive: true,
    minted: false
  },
  {
    name: 'lock: the store cannot be reached',
    arrange: world => {
      world.s.failLock()
    },
    error: { code: 'internal', phase: 'preflight', says: ['lock: HTTP 503'] },
    steps: [['preflight', 'failed']],
    store: 'old',
    record: { current: 'old', untouched: true },
    targets: 'old',
    inputLive: true,
    familyAlive: true,
    minted: false,
    more: world => {
      expect(world.s.lockHolder()).toBeUndefined()
    }
  },
  {
    name: 'readState',
    arrange: world => {
      world.s.failReadState()
    },
    error: { code: 'internal', phase: 'preflight', says: ['readState'] },
    steps: [['preflight', 'failed']],
    store: 'old',
    record: { current: 'old', untouched: true },
    targets: 'old',
    inputLive: true,
    familyAlive: true,
    minted: false,
    more: world => {
      expect(world.s.lockHolder()).toBeUndefined()
    }
  },
  {
    name: 'targets preflight: one target cannot be written',
    arrange: world => {
      world.targets.failPreflightOf('acme/api')
    },
    error: { code: 'github-rejected', phase: 'preflight', says: ['1 target of 2', 'nothing was'] },
    steps: [['preflight', 'failed']],
    store: 'old',
    record: { current: 'old' },
    targets: 'old',
    inputLive: true,
    familyAlive: true,
    minted: false
  },
  {
    name: 'store.check',
    arrange: world => {
      world.s.failCheck()
    },
    error: { code: 'internal', phase: 'preflight', says: ['check'] },
    steps: [['preflight', 'failed']],
    store: 'old',
    record: { current: 'old' },
    targets: 'old',
    inputLive: true,
    familyAlive: true,
    minted: false
  },
  {
    name: 'the write-ahead record before mint',
    arrange: world => {
      world.s.failWriteStateAt(1)
    },
    error: { code: 'internal', phase: 'mint', says: ['writeState'] },
    steps: [
      ['preflight', 'ok'],
      ['mint', 'failed']
    ],
    store: 'old',
    record: { current: 'old' },
    targets: 'old',
    inputLive: true,
    familyAlive: true,
    minted: false,
    more: world => {
      expect(world.issuer.requests).toBe(0)
    }
  },
  {
    name: 'mint: invalid_grant (the token was used elsewhere) → reauthorization-needed',
    arrange: async world => {
      await world.issuer.mint(world.initial.refreshToken)
    },
    error: { code: 'reauthorization-needed', phase: 'mint', says: ['invalid_grant'] },
    steps: [
      ['preflight', 'ok'],
      ['mint', 'failed']
    ],
    store: 'old',
    record: { current: 'old', minting: false },
    targets: 'old',
    inputLive: false,
    familyAlive: false,
    minted: false
  },
  {
    name: 'mint: issuer-unreachable (before consuming)',
    arrange: world => {
      world.issuer.failNextMint('unreachable')
    },
    error: { code: 'issuer-unreachable', phase: 'mint' },
    steps: [
      ['preflight', 'ok'],
      ['mint', 'failed']
    ],
    store: 'old',
    record: { current: 'old', minting: false },
    targets: 'old',
    inputLive: true,
    familyAlive: true,
    minted: false
  },
  {
    name: 'mint: issuer-rejected (answered, nothing consumed)',
    arrange: world => {
      world.issuer.failNextMint('rejected')
    },
    error: { code: 'issuer-rejected', phase: 'mint' },
    steps: [
      ['preflight', 'ok'],
      ['mint', 'failed']
    ],
    store: 'old',
    record: { current: 'old', minting: false },
    targets: 'old',
    inputLive: true,
    familyAlive: true,
    minted: false
  },
  {
    name: 'mint: issuer-outcome-unknown (consumed, answer lost) keeps the minting mark',
    arrange: world => {
      world.issuer.failNextMint('outcome-unknown')
    },
    error: { code: 'issuer-outcome-unknown', phase: 'mint' },
    steps: [
      ['preflight', 'ok'],
      ['mint', 'failed']
    ],
    store: 'old',
    record: { current: 'old', minting: true },
    targets: 'old',
    inputLive: false,
    familyAlive: true,
    minted: true,
    more: world => {
      expect(world.s.record?.minting).toMatchObject({
        from: fp(world.initial.refreshToken),
        run: 'run 1 attempt 1'
      })
    }
  },
  {
    name: 'seal for recovery: a warning, the rotation goes on',
    arrange: world => {
      world.recovery?.failSealing()
    },
    steps: ALL_OK,
    store: 'new',
    record: { current: 'new' },
    targets: 'new',
    inputLive: false,
    familyAlive: true,
    minted: true,
    warning: 'Could not seal the new refresh token for recovery',
    more: world => {
      expect(world.runs[0]?.outcome.recoveryCiphertext).toBeUndefined()
    }
  },
  {
    name: 'the pending record before persist: a warning, the token is persisted anyway',
    arrange: world => {
      world.s.failWriteStateAt(2)
    },
    steps: ALL_OK,
    store: 'new',
    record: { current: 'new' },
    targets: 'new',
    inputLive: false,
    familyAlive: true,
    minted: true,
    warning: 'Could not update the rotation record'
  },
  {
    name: 'persist fails once, in a store that does not retry: the engine does not retry either',
    arrange: world => {
      world.s.failPersist(1)
    },
    error: { code: 'persist-failed', phase: 'persist', says: ['recovery ciphertext'] },
    steps: [
      ['preflight', 'ok'],
      ['mint', 'ok'],
      ['persist', 'failed']
    ],
    store: 'old',
    record: { current: 'old', pending: 'new' },
    targets: 'old',
    inputLive: false,
    familyAlive: true,
    minted: true
  },
  {
    name: 'persist fails once, in a store that retries (as the GitHub store does): rotated',
    arrange: world => {
      world.s.persistAttempts = 5
      world.s.failPersist(1)
    },
    steps: ALL_OK,
    store: 'new',
    record: { current: 'new' },
    targets: 'new',
    inputLive: false,
    familyAlive: true,
    minted: true,
    more: world => {
      expect(world.sleeper.waits).toEqual([2000])
    }
  },
  {
    name: 'persist always fails: the new token is kept in the recovery ciphertext',
    arrange: world => {
      world.s.persistAttempts = 5
      world.s.failPersist()
    },
    error: { code: 'persist-failed', phase: 'persist', says: ['recovery ciphertext', 'consumed'] },
    steps: [
      ['preflight', 'ok'],
      ['mint', 'ok'],
      ['persist', 'failed']
    ],
    store: 'old',
    record: { current: 'old', pending: 'new' },
    targets: 'old',
    inputLive: false,
    familyAlive: true,
    minted: true,
    more: world => {
      const ciphertext = world.runs[0]?.outcome.recoveryCiphertext ?? ''
      expect(world.recovery?.open(ciphertext)).toBe(world.issuer.lastRefreshToken())
      expect(world.s.record?.pending?.recoverable).toBe(true)
    }
  },
  {
    name: 'publish: one target rejects the write (partial success is failure)',
    arrange: world => {
      world.targets.failPublishTo('acme/api')
    },
    error: { code: 'github-rejected', phase: 'publish', says: ['1 of 2 targets failed'] },
    steps: [
      ['preflight', 'ok'],
      ['mint', 'ok'],
      ['persist', 'ok'],
      ['publish', 'failed'],
      ['verify', 'ok'],
      ['promote', 'ok'],
      ['retire', 'skipped']
    ],
    store: 'new',
    record: { current: 'new' },
    targets: { 'acme/app': 'new', 'acme/api': 'old' },
    inputLive: false,
    familyAlive: true,
    minted: true,
    more: world => {
      const outcome = world.runs[0]?.outcome
      expect(outcome?.targets.map(t => t.status)).toEqual(['updated', 'failed'])
      expect(outcome?.rotated).toBe(false)
    }
  },
  {
    name: 'health check fails, previous-value given: targets put back, new token kept pending',
    arrange: world => {
      const old = world.initial.accessToken
      if (world.health) world.health.refuse = value => value !== old
    },
    error: { code: 'health-check-failed', phase: 'verify', says: ['HTTP 401'] },
    steps: [...START, ['verify', 'failed'], ['rollback', 'ok']],
    store: 'new',
    record: { current: 'old', pending: 'new' },
    targets: 'old',
    inputLive: false,
    familyAlive: true,
    minted: true,
    restored: 2,
    more: world => {
      expect(detailOf(world.runs[0]?.outcome ?? fail(), 'rollback')).toBe(
        '2 targets of 2 put back to the previous value'
      )
    }
  },
  {
    name: 'health check fails for the previous value too (the endpoint is down): the new value stays',
    arrange: world => {
      if (world.health) world.health.down = true
    },
    error: { code: 'health-check-failed', phase: 'verify', says: ['HTTP 503'] },
    steps: [...START, ['verify', 'failed'], ['rollback', 'skipped']],
    store: 'new',
    record: { current: 'old', pending: 'new' },
    targets: 'new',
    inputLive: false,
    familyAlive: true,
    minted: true
  },
  {
    name: 'health check fails, no previous-value: the targets keep the new value',
    arrange: world => {
      if (world.health) world.health.down = true
    },
    plan: { previousValue: undefined },
    error: { code: 'health-check-failed', phase: 'verify' },
    steps: [...START, ['verify', 'failed'], ['rollback', 'skipped']],
    store: 'new',
    record: { current: 'old', pending: 'new' },
    targets: 'new',
    inputLive: false,
    familyAlive: true,
    minted: true,
    restored: 0
  },
  {
    name: 'the promote write: the new token stays pending for the next run to resume',
    arrange: world => {
      world.s.failWriteStateAt(3)
    },
    error: { code: 'internal', phase: 'promote', says: ['writeState'] },
    steps: [...START, ['verify', 'ok'], ['promote', 'failed']],
    store: 'new',
    record: { current: 'old', pending: 'new' },
    targets: 'new',
    inputLive: false,
    familyAlive: true,
    minted: true
  },
  {
    name: 'revocation of the previous value (revoke-previous, grace 0)',
    arrange: world => {
      world.issuer.failRevocations()
    },
    plan: { revokePrevious: true, gracePeriodMs: 0 },
    error: { code: 'issuer-unreachable', phase: 'retire' },
    steps: [...START, ['verify', 'ok'], ['promote', 'ok'], ['retire', 'failed']],
    store: 'new',
    record: { current: 'new' },
    targets: 'new',
    inputLive: false,
    familyAlive: true,
    minted: true,
    more: world => {
      expect(world.issuer.accessTokenLive(world.initial.accessToken)).toBe(true)
      expect(world.issuer.revocations).toEqual([])
    }
  }
]

describe('a failure at every step', () => {
  test.each(rows.map(row => [row.name, row] as const))('%s', async (_name, row) => {
    const world = new World(row.world)
    await row.arrange?.(world)
    const { refreshToken: r0, accessToken: a0 } = world.initial
    const before = world.snapshot()

    const { outcome, audit } = await world.run(row.plan ? { plan: row.plan } : {})

    const fresh = world.issuer.issued.slice(before.issued)
    const r1 = fresh.filter(v => v.startsWith('rt_')).at(-1)
    const a1 = fresh.filter(v => v.startsWith('at_')).at(-1)
    const refresh = (which: Which) => (which === 'old' ? r0 : r1)
    const access = (which: Which) => (which === 'old' ? a0 : a1)

    // What was reported.
    expect(stepsOf(outcome)).toEqual(row.steps)
    if (row.error) {
      expect(outcome.status).toBe('failed')
      expect(outcome.rotated).toBe(false)
      expect({ code: outcome.error?.code, phase: outcome.error?.phase }).toEqual({
        code: row.error.code,
        phase: row.error.phase
      })
      for (const part of row.error.says ?? []) expect(outcome.error?.message).toContain(part)
      expect(outcome.steps.some(s => s.outcome === 'failed')).toBe(true)
      expect(audit.events.at(-1)).toMatchObject({
        event: 'run-finished',
        status: 'failed',
        code: row.error.code
      })
    } else {
      expect(outcome.error).toBeUndefined()
      expect(outcome.status).toBe('rotated')
    }
    if (row.warning) expect(outcome.warnings.join('\n')).toContain(row.warning)
    expect(outcome.restored).toHaveLength(row.restored ?? 0)

    // What the world holds.
    expect(fresh.length > 0).toBe(row.minted)
    expect(world.s.secret).toBe(refresh(row.store))
    const held = row.targets
    const which = (target: (typeof TARGETS)[number]) =>
      typeof held === 'string' ? held : held[target]
    expect(world.targets.values()).toEqual(
      Object.fromEntries(TARGETS.map(target => [target, access(which(target))]))
    )
    const record = world.s.record
    if (row.record.untouched) {
      expect(record).toEqual(before.record)
      expect(world.s.recordWrites).toHaveLength(before.recordWrites)
    } else {
      expect(record?.runs[0]?.id).toBe('run 1 attempt 1')
      expect(record?.consecutiveFailures).toBe(row.error ? 1 : 0)
    }
    expect(record?.current?.fingerprint).toBe(fp(refresh(row.record.current) ?? ''))
    expect(record?.pending?.fingerprint).toBe(
      row.record.pending ? fp(refresh(row.record.pending) ?? '') : undefined
    )
    expect(record?.minting !== undefined).toBe(row.record.minting ?? false)
    expect(world.issuer.refreshTokenLive(r0)).toBe(row.inputLive)
    expect(world.issuer.grantAlive(r0)).toBe(row.familyAlive)
    if (row.store === 'new') expect(world.issuer.refreshTokenLive(world.s.secret)).toBe(true)
    if (row.record.pending && r1) expect(world.issuer.refreshTokenLive(r1)).toBe(true)
    // The run let go of its lock (unless another run holds it).
    if (row.name.startsWith('lock: another')) expect(world.s.lockHolder()).toBe('run 0 attempt 1')
    else expect(world.s.lockHolder()).toBeUndefined()
    row.more?.(world)
  })
})

function fail(): never {
  throw new Error('no run')
}
