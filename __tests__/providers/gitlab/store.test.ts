// The gitlab-variable store and its lock against the local GitLab server: the credential in a
// masked, hidden variable, the record (fingerprints and times) in a second one, the one-writer lock
// in a third created only if absent, its lease judged on GitLab's clock (the Date header). Each
// case checks what the server holds and what each lease says right before it would mint.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { Lease, LeaseCheck, Lock, Store } from '../../../src/engine/ports.js'
import { emptyState, type RotationState } from '../../../src/engine/state.js'
import { ActionError } from '../../../src/errors.js'
import { createGitLabLock } from '../../../src/providers/gitlab/lock.js'
import { createGitLabStore } from '../../../src/providers/gitlab/store.js'
import { OwnerVariables } from '../../../src/providers/gitlab/variables.js'
import { MemoryLogger } from '../../support/memory-logger.js'
import { GROUP, PROJECT, startWorld, type GitLabWorld } from './world.js'

const VARIABLE = 'PARTNER_REFRESH_TOKEN'
const STATE = `${VARIABLE}_STATE`
const LOCK = `${STATE}_LOCK`
const VARIABLES = `/api/v4/projects/${encodeURIComponent(PROJECT)}/variables`
const LOCK_PATH = `${VARIABLES}/${LOCK}`
const MINUTE = 60_000
const TTL = 10 * MINUTE
/** What the engine asks before an OAuth2 mint: 3 x 30 s, the backoff and a minute. */
const MINT_NEEDS = 3 * 30_000 + 5_000 + MINUTE
const REFRESH = 'refresh-token-0123456789abcdef'

let world: GitLabWorld
let log: MemoryLogger

beforeEach(async () => {
  world = await startWorld()
  log = new MemoryLogger()
})
afterEach(async () => {
  await world.gitlab.close()
})

interface Run {
  store: Store
  lock: Lock
}

/** One run's store and lock, as the action wires them: one set of variables for both. */
function run(owner: 'project' | 'group' = 'project', persistTimeoutMs = 20_000): Run {
  const path = owner === 'project' ? PROJECT : GROUP
  const variables = new OwnerVariables(
    world.client(world.admin.token),
    { kind: owner, path },
    'store.token'
  )
  return {
    store: createGitLabStore({
      variables,
      variable: VARIABLE,
      stateVariable: STATE,
      protected: true,
      persistTimeoutMs,
      requestTimeoutMs: 1_000,
      log,
      clock: { now: () => new Date() },
      sleep: () => Promise.resolve()
    }),
    lock: createGitLabLock({ variables, name: LOCK, log })
  }
}

function held(name = LOCK): Record<string, unknown> | undefined {
  const variable = world.gitlab.variable('project', PROJECT, name)
  return variable === undefined
    ? undefined
    : (JSON.parse(variable.value) as Record<string, unknown>)
}

/** A lock of a run that died, whose lease ended `ago` ms ago by GitLab's clock. */
function seedDeadLock(ago: number, generation = 1, name = LOCK): void {
  const expiresAt = new Date(serverNow() - ago).toISOString()
  world.gitlab.seedVariable('project', PROJECT, {
    key: name,
    value: JSON.stringify({ owner: 'run 7 attempt 1', token: 'dead', generation, expiresAt })
  })
}

/** The GitLab server's clock, in ms. */
function serverNow(): number {
  return world.gitlab.clock.now().getTime()
}

function warnings(): string {
  return log.lines
    .filter(line => line.level === 'warning')
    .map(line => line.message)
    .join('\n')
}

async function failure(call: Promise<unknown>): Promise<ActionError> {
  try {
    await call
  } catch (error) {
    if (error instanceof ActionError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

/** What each lease says right before a mint: at most one may say held. */
async function checks(leases: Lease[]): Promise<LeaseCheck[]> {
  return Promise.all(leases.map(lease => lease.confirm(MINT_NEEDS)))
}

function fulfilled<T>(outcomes: PromiseSettledResult<T>[]): T[] {
  return outcomes.flatMap(o => (o.status === 'fulfilled' ? [o.value] : []))
}

function aState(): RotationState {
  return {
    ...emptyState(),
    current: { fingerprint: '0123456789abcdef', since: '2026-01-01T00:00:00.000Z' }
  }
}

describe('the credential', () => {
  it('is created masked, hidden, raw and protected by the preflight check, and never read back', async () => {
    const { store } = run()
    expect(store.description).toBe(`variable ${VARIABLE} of project ${PROJECT}`)
    await store.check(REFRESH)
    expect(world.gitlab.variable('project', PROJECT, VARIABLE)).toMatchObject({
      value: REFRESH,
      masked: true,
      hidden: true,
      raw: true,
      protected: true,
      environmentScope: '*'
    })
  })

  it('is replaced by persist, keeping the settings of a variable made by hand', async () => {
    world.gitlab.seedVariable('project', PROJECT, {
      key: VARIABLE,
      value: REFRESH,
      masked: true,
      protected: false
    })
    const { store } = run()
    await store.check(REFRESH)
    await store.persist('refresh-token-next-0123456789')
    expect(world.gitlab.variable('project', PROJECT, VARIABLE)).toMatchObject({
      value: 'refresh-token-next-0123456789',
      masked: true,
      hidden: false,
      protected: false
    })
  })

  it('refuses in preflight a variable that is not masked: the token would show in job logs', async () => {
    world.gitlab.seedVariable('project', PROJECT, { key: VARIABLE, value: REFRESH })
    const error = await failure(run().store.check(REFRESH))
    expect(error.code).toBe('invalid-input')
    expect(error.message).toMatch(/is not masked.*Delete it/)
    expect(error.message).not.toContain(REFRESH)
    expect(world.gitlab.variable('project', PROJECT, VARIABLE)?.value).toBe(REFRESH)
  })

  it('refuses in preflight a credential GitLab cannot mask, without quoting it', async () => {
    const error = await failure(run().store.check('short'))
    expect(error.message).toMatch(/cannot mask.*5 characters/)
    expect(world.gitlab.variable('project', PROJECT, VARIABLE)).toBeUndefined()
  })

  it('tries again when GitLab fails, and counts a create whose answer was lost as written', async () => {
    world.gitlab.faults.add({ method: 'POST', path: VARIABLES, drop: 'after', times: 1 })
    world.gitlab.faults.add({
      method: 'PUT',
      path: `${VARIABLES}/${VARIABLE}`,
      status: 503,
      times: 1
    })
    await run().store.persist(REFRESH)
    expect(world.gitlab.variable('project', PROJECT, VARIABLE)).toMatchObject({
      value: REFRESH,
      hidden: true
    })
    expect(warnings()).not.toContain(REFRESH)
  })

  it('stops at once when the token may not write variables, in the persist phase', async () => {
    world.gitlab.addUser('dev')
    world.gitlab.addMember('dev', 'project', PROJECT, 'developer')
    const dev = world.gitlab.seedPersonalToken('dev', { name: 'dev', scopes: ['api'] })
    const variables = new OwnerVariables(
      world.client(dev.token),
      { kind: 'project', path: PROJECT },
      'store.token'
    )
    const store = createGitLabStore({
      variables,
      variable: VARIABLE,
      stateVariable: STATE,
      protected: true,
      log,
      clock: { now: () => new Date() },
      sleep: () => Promise.resolve()
    })
    const error = await failure(store.persist(REFRESH))
    expect([error.code, error.phase]).toEqual(['gitlab-forbidden', 'persist'])
    expect(error.message).toMatch(/Maintainer role in project acme\/app \(store\.token\)/)
  })

  it('lives in a group as well', async () => {
    await run('group').store.check(REFRESH)
    expect(world.gitlab.variable('group', GROUP, VARIABLE)).toMatchObject({ hidden: true })
  })
})

describe('the record', () => {
  it('is undefined before the first rotation, then created readable and read back', async () => {
    const { store } = run()
    expect(await store.readState()).toBeUndefined()
    await store.writeState(aState())
    expect(world.gitlab.variable('project', PROJECT, STATE)).toMatchObject({
      masked: false,
      hidden: false
    })
    expect(await store.readState()).toEqual(aState())
    const next = { ...aState(), consecutiveFailures: 2 }
    await store.writeState(next)
    expect(await run().store.readState()).toEqual(next)
  })

  it('never writes a value into the variable, even one handed in by mistake', async () => {
    const state = { ...aState(), value: REFRESH } as RotationState
    await run().store.writeState(state)
    expect(world.gitlab.variable('project', PROJECT, STATE)?.value).not.toContain(REFRESH)
  })

  it('says how to start afresh when the variable holds something else', async () => {
    world.gitlab.seedVariable('project', PROJECT, { key: STATE, value: 'not json' })
    const error = await failure(run().store.readState())
    expect(error.code).toBe('state-invalid')
    expect(error.message).toMatch(/not JSON.*delete it/)
  })

  it('gives up a write at once when its signal aborts (the lease is ending)', async () => {
    const controller = new AbortController()
    controller.abort(Object.assign(new Error('the lease ends'), { name: 'AbortError' }))
    const error = await failure(run().store.writeState(aState(), { signal: controller.signal }))
    expect(error.message).toMatch(/the lease ends/)
    expect(world.gitlab.variable('project', PROJECT, STATE)).toBeUndefined()
  })
})

describe('the lock', () => {
  it('is taken with one create, holds no secret, and ends on GitLab clock', async () => {
    const lease = await run().lock.acquire('run 1 attempt 1', TTL)
    const value = held()
    expect(value).toMatchObject({ owner: 'run 1 attempt 1', generation: 1 })
    const expiresAt = Date.parse(String(value?.expiresAt))
    const now = serverNow()
    expect(expiresAt).toBeGreaterThan(now + TTL - MINUTE)
    expect(expiresAt).toBeLessThanOrEqual(now + TTL + 5_000)
    expect(lease.endsBy().getTime()).toBe(expiresAt)
    expect((await lease.confirm(MINT_NEEDS)).held).toBe(true)
  })

  it('refuses a second run while the first holds it, naming the holder and its expiry', async () => {
    await run().lock.acquire('run 1 attempt 1', TTL)
    const error = await failure(run().lock.acquire('run 2 attempt 1', TTL))
    expect(error.code).toBe('locked')
    expect(error.message).toMatch(
      /Another rotation holds the lock .*_LOCK of project acme\/app: run 1 attempt 1; its lease ends at .* by GitLab's clock/
    )
  })

  it("judges expiry on GitLab's clock, whatever the runner's says", async () => {
    await run().lock.acquire('run 1 attempt 1', TTL)
    world.gitlab.clock.advance(9 * MINUTE)
    expect((await failure(run().lock.acquire('run 2 attempt 1', TTL))).code).toBe('locked')
    world.gitlab.clock.advance(2 * MINUTE)
    const lease = await run().lock.acquire('run 3 attempt 1', TTL)
    expect(lease.holder).toBe('run 3 attempt 1 (lock generation 2)')
  })

  it('is released at the end only if still this run, and can be taken again', async () => {
    const { lock } = run()
    const lease = await lock.acquire('run 1 attempt 1', TTL)
    await lease.release()
    expect(held()).toBeUndefined()
    await run().lock.acquire('run 2 attempt 1', TTL)
    // The first run's lease no longer names the lock: a second release leaves it alone.
    await lease.release()
    expect(held()).toMatchObject({ owner: 'run 2 attempt 1' })
    expect(warnings()).toMatch(/already gone|Left the lock/)
  })

  it('lets exactly one of three runs starting at once take it', async () => {
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map(n => run().lock.acquire(`run ${n}`, TTL))
    )
    const leases = fulfilled(outcomes)
    expect(leases).toHaveLength(1)
    expect((await checks(leases)).filter(check => check.held)).toHaveLength(1)
  })

  it('counts a create whose answer was lost as its own', async () => {
    world.gitlab.faults.add({ method: 'POST', path: VARIABLES, drop: 'after', times: 1 })
    const lease = await run().lock.acquire('run 1 attempt 1', TTL)
    expect(held()).toMatchObject({ owner: 'run 1 attempt 1', generation: 1 })
    expect((await lease.confirm(MINT_NEEDS)).held).toBe(true)
  })

  it('is taken over by exactly one of three runs once expired, never deleted, and the claim is cleaned', async () => {
    seedDeadLock(MINUTE)
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map(n => run().lock.acquire(`run ${n}`, TTL))
    )
    const leases = fulfilled(outcomes)
    expect(leases).toHaveLength(1)
    expect(held()).toMatchObject({ generation: 2, owner: leases[0]?.holder.split(' (')[0] })
    expect((await checks(leases)).filter(check => check.held)).toHaveLength(1)
    expect(world.gitlab.log.count({ method: 'DELETE', path: LOCK_PATH })).toBe(0)
    expect(warnings()).toMatch(/Took over the lock .*run 7 attempt 1.*by GitLab's clock/)
    await leases[0]?.release()
    expect(world.gitlab.variables('project', PROJECT).map(v => v.key)).toEqual([])
  })

  it('waits for a claim that is young: another run is taking the lock over now', async () => {
    seedDeadLock(MINUTE)
    world.gitlab.seedVariable('project', PROJECT, {
      key: `${LOCK}_2`,
      value: JSON.stringify({
        owner: 'run 8',
        token: 'other',
        generation: 2,
        expiresAt: new Date(serverNow() + TTL).toISOString()
      })
    })
    const error = await failure(run().lock.acquire('run 9', TTL))
    expect(error.message).toMatch(/another run, run 8, is taking it over at this moment/)
    expect(held()).toMatchObject({ owner: 'run 7 attempt 1' })
  })

  it('skips the claim of a run that stopped between its claim and its write, once that claim is old', async () => {
    seedDeadLock(MINUTE)
    world.gitlab.seedVariable('project', PROJECT, {
      key: `${LOCK}_2`,
      value: JSON.stringify({
        owner: 'run 8',
        token: 'other',
        generation: 2,
        expiresAt: new Date(serverNow() - 1000).toISOString()
      })
    })
    const lease = await run().lock.acquire('run 9', TTL)
    expect(lease.holder).toBe('run 9 (lock generation 3)')
    expect(held()).toMatchObject({ owner: 'run 9', generation: 3 })
  })

  it('takes over a lock whose value it cannot read', async () => {
    world.gitlab.seedVariable('project', PROJECT, { key: LOCK, value: 'garbage' })
    const lease = await run().lock.acquire('run 1', TTL)
    expect(lease.holder).toBe('run 1 (lock generation 1)')
    expect(warnings()).toMatch(/not a lock this action wrote/)
  })

  it('says so before a mint when the lock was deleted by someone else, and when it was then taken', async () => {
    const lease = await run().lock.acquire('run 1', TTL)
    await fetch(
      `${world.gitlab.apiUrl}/projects/${encodeURIComponent(PROJECT)}/variables/${LOCK}`,
      {
        method: 'DELETE',
        headers: { 'private-token': world.admin.token }
      }
    )
    expect(await lease.confirm(MINT_NEEDS)).toMatchObject({
      held: false,
      owned: false,
      reason: expect.stringMatching(/was deleted by someone else/) as unknown
    })
    await run().lock.acquire('run 2', TTL)
    expect(await lease.confirm(MINT_NEEDS)).toMatchObject({
      held: false,
      reason: expect.stringMatching(/now held by run 2/) as unknown
    })
  })

  it('refuses before a mint when too little of the lease is left, and is then left to expire', async () => {
    const lease = await run().lock.acquire('run 1', 2 * MINUTE)
    expect(await lease.confirm(MINT_NEEDS)).toMatchObject({
      held: false,
      owned: true,
      reason: expect.stringMatching(/has only \d+ s left.*raise lock-expires-after/) as unknown
    })
    world.gitlab.clock.advance(90_000)
    await lease.release()
    expect(held()).toMatchObject({ owner: 'run 1' })
    expect(warnings()).toMatch(/to expire on its own/)
  })

  it('a release whose DELETE answer is lost is never sent again (it could delete a newer lock)', async () => {
    const lease = await run().lock.acquire('run 1', TTL)
    world.gitlab.faults.add({ method: 'DELETE', path: LOCK_PATH, drop: 'after', times: 1 })
    await lease.release()
    expect(held()).toBeUndefined()
    expect(world.gitlab.log.count({ method: 'DELETE', path: LOCK_PATH })).toBe(1)
    expect(warnings()).toMatch(/lease ends on its own/)
  })

  it('aborts a write under the lease once too little of it is left', async () => {
    const lease = await run().lock.acquire('run 1', 2 * MINUTE)
    const signal = lease.deadline(MINUTE)
    expect(signal.aborted).toBe(false)
    // Past the edge by more than GitLab's Date can blur (it is cut to the second): the lease's
    // own bounds are conservative both ways, so exactly a minute may leave it a hair over.
    world.gitlab.clock.advance(MINUTE + 2_000)
    await lease.confirm(0)
    expect(lease.deadline(MINUTE).aborted).toBe(true)
  })
})
