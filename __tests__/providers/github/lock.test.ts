// The one-writer lock against the local GitHub server, through every interleaving that broke it:
// several runs taking over one expired lock, slow and lost lock requests, a lock deleted or
// overwritten under its holder, and runners whose clocks are off by up to an hour. Each case
// checks what the server holds and what each run's lease says right before it would mint.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { Lease, LeaseCheck, Lock, Store } from '../../../src/engine/ports.js'
import { ActionError } from '../../../src/errors.js'
import { createGitHubClient } from '../../../src/providers/github/client.js'
import { createStoreClient } from '../../../src/providers/github/store-client.js'
import { emptyState } from '../../../src/engine/state.js'
import { createVariableLock } from '../../../src/providers/github/lock.js'
import { createGitHubStore, type GitHubStoreOptions } from '../../../src/providers/github/store.js'
import { RepositoryVariables } from '../../../src/providers/github/variables.js'
import { startGitHubServer, type GitHubServer } from '../../../test-servers/github/index.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const LOCK = 'OAUTH_REFRESH_TOKEN_STATE_LOCK'
const VARIABLES = '/repos/octo/app/actions/variables'
const LOCK_PATH = `${VARIABLES}/${LOCK}`
const MINUTE = 60_000
const TTL = 10 * MINUTE
/** What the engine asks before an OAuth2 mint: 3 x 30 s, the backoff and a minute. */
const MINT_NEEDS = 3 * 30_000 + 5_000 + MINUTE

let server: GitHubServer
let log: MemoryLogger

beforeEach(async () => {
  server = await startGitHubServer()
  server.addRepository('octo/app')
  log = new MemoryLogger()
})
afterEach(async () => {
  await server.close()
})

/**
 * One run's store, on a runner whose clock is `skewMs` off the real one.
 * @param requestTimeoutMs its client's request timeout
 */
function store(skewMs = 0, requestTimeoutMs = 2_000, retryBaseMs = 5): LockedStore {
  const client = createGitHubClient({
    token: 'test-token',
    baseUrl: server.url,
    maxConcurrency: 10,
    writeIntervalMs: 0,
    retryBaseMs,
    requestTimeoutMs,
    log
  })
  return lockedStore({
    client,
    repository: { owner: 'octo', repo: 'app' },
    secretName: 'OAUTH_REFRESH_TOKEN',
    stateVariable: 'OAUTH_REFRESH_TOKEN_STATE',
    log,
    clock: { now: () => new Date(Date.now() + skewMs) },
    sleep: () => Promise.resolve()
  })
}

/** The GitHub store with its lock, a variable of the same repository, as the action wires them. */
type LockedStore = Store & { lock: Lock['acquire'] }

function lockedStore(options: GitHubStoreOptions): LockedStore {
  const variables = new RepositoryVariables(options.client, options.repository, options.clock)
  const lock = createVariableLock({ variables, name: LOCK, log: options.log })
  return { ...createGitHubStore(options), lock: (owner, ttlMs) => lock.acquire(owner, ttlMs) }
}

interface LockValue {
  owner: string
  token: string
  generation: number
  ttlMs: number
}

function lockValue(name = LOCK): LockValue | undefined {
  const variable = server.getVariable('octo/app', name)
  return variable === undefined ? undefined : (JSON.parse(variable.value) as LockValue)
}

/** A lock of a run that died `ago` ms ago by GitHub's clock, with its lease of `ttl`. */
function seedDeadLock(ago: number, generation = 1, name = LOCK, ttl = TTL): void {
  const value = { owner: 'run 7 attempt 1', token: 'dead', generation, ttlMs: ttl }
  server.seedVariable(
    'octo/app',
    name,
    JSON.stringify(value),
    new Date(server.now().getTime() - ago)
  )
}

function requests(method: string, path: string): number {
  return server.requests.filter(r => r.method === method && r.path === path).length
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

function rejected<T>(outcomes: PromiseSettledResult<T>[]): unknown[] {
  return outcomes.flatMap(o => (o.status === 'rejected' ? [o.reason as unknown] : []))
}

describe("the test server keeps GitHub's clock", () => {
  it('sends a Date header on every answer and writes updated_at on its own clock', async () => {
    server.clockOffsetMs = -40 * MINUTE
    await store().lock('run 1 attempt 1', TTL)
    const answer = await fetch(`${server.url}${LOCK_PATH}`, {
      headers: { authorization: 'Bearer test-token' }
    })
    const body = (await answer.json()) as { updated_at: string; created_at: string }
    const date = Date.parse(answer.headers.get('date') ?? '')
    expect(Math.abs(date - (Date.now() - 40 * MINUTE))).toBeLessThan(5_000)
    expect(Math.abs(Date.parse(body.updated_at) - date)).toBeLessThan(5_000)
    expect(body.created_at).toBe(body.updated_at)
  })
})

describe('taking over an expired lock', () => {
  it('lets exactly one of three runs take it, never deletes it, and only the winner may mint', async () => {
    seedDeadLock(20 * MINUTE)
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map(n => store().lock(`run ${String(n)} attempt 1`, TTL))
    )
    const leases = fulfilled(outcomes)
    expect(leases).toHaveLength(1)
    for (const reason of rejected(outcomes)) expect(reason).toMatchObject({ code: 'locked' })
    expect(lockValue()).toMatchObject({ generation: 2, owner: leases[0]?.holder.split(' (')[0] })
    expect(requests('DELETE', LOCK_PATH)).toBe(0)
    expect((await checks(leases)).map(c => c.held)).toEqual([true])
    // The winner warns of the take-over it made, naming the dead run and the expiry.
    expect(log.text()).toMatch(
      /Took over the lock .*run 7 attempt 1.*ended at .* by GitHub's clock/
    )
  })

  it('while the winner is slow to write the lock, the others stop: it is being taken over', async () => {
    seedDeadLock(20 * MINUTE)
    // The winner's PATCH of the lock lands a second late.
    server.faults.add({ method: 'PATCH', path: LOCK_PATH, delayMs: 1_000, times: 1 })
    const first = store().lock('run 1 attempt 1', TTL)
    // The others start once the winner's PATCH has reached the server, and waits there.
    while (requests('PATCH', LOCK_PATH) === 0) await new Promise(resolve => setImmediate(resolve))
    const late = await Promise.allSettled([
      store().lock('run 2 attempt 1', TTL),
      store().lock('run 3 attempt 1', TTL)
    ])
    const lease = await first
    for (const reason of rejected(late)) {
      expect(reason).toMatchObject({ code: 'locked' })
      expect((reason as Error).message).toMatch(/run 1 attempt 1/)
    }
    expect(fulfilled(late)).toEqual([])
    expect((await checks([lease])).map(c => c.held)).toEqual([true])
  })

  it('counts its own claim and its own write when their answers were lost and sent again', async () => {
    seedDeadLock(20 * MINUTE)
    server.faults.add({ method: 'POST', path: VARIABLES, drop: 'after', times: 1 })
    server.faults.add({ method: 'PATCH', path: LOCK_PATH, drop: 'after', times: 1 })
    const lease = await store().lock('run 1 attempt 1', TTL)
    expect(lockValue()).toMatchObject({ owner: 'run 1 attempt 1', generation: 2 })
    expect((await checks([lease])).map(c => c.held)).toEqual([true])
  })

  it('a take-over write that could land after its claim expires is abandoned, not sent again: at most one run holds the lock', async () => {
    seedDeadLock(20 * MINUTE)
    // Run K's claim lasts 65 s, so its take-over must land within 5 s (a minute is kept as a
    // margin, and GitHub's clock is known to 2 s). GitHub fails its PATCH twice; the client
    // retries 1 s and then 4 s later.
    server.faults.add({ method: 'PATCH', path: LOCK_PATH, status: 502, times: 2 })
    const error = await failure(store(0, 2_000, 1_000).lock('run K attempt 1', 65_000))
    // The retries due after the deadline (5 s and 14 s in) were never sent; K holds nothing.
    expect(requests('PATCH', LOCK_PATH)).toBeLessThanOrEqual(2)
    expect(error.message).toMatch(/claim OAUTH_REFRESH_TOKEN_STATE_LOCK_2 .* would expire/)
    expect(lockValue()).toMatchObject({ token: 'dead', generation: 1 })
    // Once K's claim has expired by GitHub's clock, run N skips it and takes the lock alone.
    server.clockOffsetMs = 66_000
    const next = await store().lock('run N attempt 1', TTL)
    expect(lockValue()).toMatchObject({ owner: 'run N attempt 1', generation: 3 })
    const [n] = await checks([next])
    expect(n).toMatchObject({ held: true })
  })

  it('a take-over write held at GitHub past its claim is given up by the client at its deadline', async () => {
    seedDeadLock(20 * MINUTE)
    // Run K's take-over PATCH hangs at the server; K's claim lasts 64 s, so K gives the write up
    // within 4 s (a minute is kept as a margin for a request GitHub handles late).
    let land = (): void => undefined
    const landed = new Promise<void>(resolve => {
      land = resolve
    })
    server.faults.add({ method: 'PATCH', path: LOCK_PATH, holdUntil: landed, times: 1 })
    const error = await failure(store(0, 120_000).lock('run K attempt 1', 64_000))
    expect(error.message).toMatch(/would expire before the take-over could land/)
    expect(lockValue()).toMatchObject({ token: 'dead', generation: 1 })
    // By GitHub's clock K's claim is old now: run N skips it and takes generation 3.
    server.clockOffsetMs = 65_000
    await store().lock('run N attempt 1', TTL)
    expect(lockValue()).toMatchObject({ owner: 'run N attempt 1', generation: 3 })
    land()
  })

  it('skips the claim of a run that stopped between its claim and its write, once that claim is old', async () => {
    seedDeadLock(30 * MINUTE)
    seedDeadLock(20 * MINUTE, 2, `${LOCK}_2`)
    const lease = await store().lock('run 1 attempt 1', TTL)
    expect(lockValue()).toMatchObject({ owner: 'run 1 attempt 1', generation: 3 })
    // The older generations' claims can win nothing any more, and are cleaned up.
    expect(server.getVariable('octo/app', `${LOCK}_2`)).toBeUndefined()
    expect(server.getVariable('octo/app', `${LOCK}_3`)).toBeDefined()
    await lease.release()
    expect(server.getVariable('octo/app', LOCK)).toBeUndefined()
    expect(server.getVariable('octo/app', `${LOCK}_3`)).toBeUndefined()
  })

  it('waits for a claim that is young: another run is taking the lock over now', async () => {
    seedDeadLock(30 * MINUTE)
    seedDeadLock(5_000, 2, `${LOCK}_2`)
    const error = await failure(store().lock('run 1 attempt 1', TTL))
    expect(error.code).toBe('locked')
    expect(error.message).toMatch(/another run, run 7 attempt 1, is taking it over at this moment/)
    expect(lockValue()).toMatchObject({ generation: 1, token: 'dead' })
  })
})

describe('a lock under its live holder', () => {
  it('a release whose DELETE answer is lost never sends it again (it could delete a newer lock)', async () => {
    const lease = await store().lock('run 1 attempt 1', TTL)
    server.faults.add({ method: 'DELETE', path: LOCK_PATH, drop: 'after', times: 1 })
    await lease.release()
    // The DELETE landed, its answer did not: a second one could remove the next run's lock.
    expect(requests('DELETE', LOCK_PATH)).toBe(1)
    expect(server.getVariable('octo/app', LOCK)).toBeUndefined()
    await store().lock('run 2 attempt 1', TTL)
    expect(lockValue()).toMatchObject({ owner: 'run 2 attempt 1' })
  })

  it('a re-run (attempt 2) is refused while attempt 1 still holds the lock', async () => {
    await store().lock('run 9 attempt 1', TTL)
    const error = await failure(store().lock('run 9 attempt 2', TTL))
    expect(error.code).toBe('locked')
    expect(error.message).toMatch(/holds the lock .*run 9 attempt 1/)
  })

  it.each([
    ['the second runner 40 minutes ahead', 0, 40 * MINUTE, 0],
    ['the first runner 40 minutes behind', -40 * MINUTE, 0, 0],
    ['GitHub 40 minutes behind both runners', 0, 0, -40 * MINUTE],
    ['the second runner an hour ahead and GitHub an hour behind', 0, 60 * MINUTE, -60 * MINUTE]
  ])('is not taken over early with %s', async (_name, firstSkew, secondSkew, githubSkew) => {
    server.clockOffsetMs = githubSkew
    const first = await store(firstSkew).lock('run 1 attempt 1', TTL)
    const error = await failure(store(secondSkew).lock('run 2 attempt 1', TTL))
    expect(error.code).toBe('locked')
    expect((await checks([first])).map(c => c.held)).toEqual([true])
  })

  it('says so before a mint when the lock was deleted by someone else, and when it was then taken', async () => {
    const first = await store().lock('run 1 attempt 1', TTL)
    await fetch(`${server.url}${LOCK_PATH}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer test-token' }
    })
    expect(await first.confirm(MINT_NEEDS)).toEqual({
      held: false,
      owned: false,
      reason: expect.stringMatching(/was deleted by someone else while this run held it$/)
    })
    const second = await store().lock('run 2 attempt 1', TTL)
    const [a, b] = await checks([first, second])
    expect(a).toMatchObject({ held: false, owned: false })
    expect(a?.held === false && a.reason).toMatch(
      /deleted or overwritten by someone else .*now held by run 2/
    )
    expect(b?.held).toBe(true)
    await first.release()
    expect(lockValue()).toMatchObject({ owner: 'run 2 attempt 1' })
    expect(requests('DELETE', LOCK_PATH)).toBe(1)
    expect(log.text()).not.toMatch(/expired and was taken over/)
  })

  it('says "taken over after this run\'s lease ended" only when that is what happened', async () => {
    server.clockOffsetMs = 0
    const first = await store().lock('run 1 attempt 1', TTL)
    // Eleven minutes pass on GitHub's clock: the lease is over, and run 2 takes the lock over.
    server.clockOffsetMs = 11 * MINUTE
    const second = await store().lock('run 2 attempt 1', TTL)
    const [a, b] = await checks([first, second])
    expect(a?.held === false && a.reason).toMatch(
      /taken over by run 2 attempt 1 \(generation 2\).*after this run's lease ended/
    )
    expect(b?.held).toBe(true)
    await first.release()
    expect(lockValue()).toMatchObject({ owner: 'run 2 attempt 1' })
  })

  it('refuses before a mint when too little of the lease is left, and says how much', async () => {
    const lease = await store().lock('run 1 attempt 1', 2 * MINUTE)
    const check = await lease.confirm(MINT_NEEDS)
    expect(check).toMatchObject({ held: false, owned: true })
    expect(check.held ? '' : check.reason).toMatch(
      /lease on the lock .* has only \d+ s left .*a mint needs 155 s/
    )
  })

  it('is left to expire, not deleted, when too little of its lease is left for a delete to land in time', async () => {
    const lease = await store().lock('run 1 attempt 1', 30_000)
    await lease.release()
    expect(requests('DELETE', LOCK_PATH)).toBe(0)
    expect(lockValue()).toMatchObject({ owner: 'run 1 attempt 1' })
    expect(log.text()).toMatch(
      /to expire on its own .*could remove the lock of the run that takes it over/
    )
  })
})

describe('a write under the lease', () => {
  it('a record write that GitHub rate-limits past the lease is given up at the deadline, never sent again', async () => {
    // The client the action gives the store, which waits out rate limits of up to 5 minutes.
    const client = createStoreClient({ token: 'test-token', baseUrl: server.url, log })
    const runStore = lockedStore({
      client,
      repository: { owner: 'octo', repo: 'app' },
      secretName: 'OAUTH_REFRESH_TOKEN',
      stateVariable: 'OAUTH_REFRESH_TOKEN_STATE',
      log,
      clock: { now: () => new Date() },
      sleep: () => Promise.resolve()
    })
    // 66 s of lease, of which a write keeps the last 60 s unused: a few seconds to write in.
    const lease = await runStore.lock('run 1 attempt 1', 66_000)
    const record = `${VARIABLES}/OAUTH_REFRESH_TOKEN_STATE`
    server.faults.add({
      method: 'PATCH',
      path: record,
      status: 429,
      headers: { 'retry-after': '120' },
      times: 1
    })
    const error = await failure(
      runStore.writeState(emptyState(), { signal: lease.deadline(60_000) })
    )
    expect(error.code).toBe('locked')
    expect(error.message).toMatch(
      /was given up: this run's lease on the lock .* has less than 60 s left/
    )
    // GitHub asked for two minutes; the write was not sent again, and nothing else was written.
    expect(requests('PATCH', record)).toBe(1)
    expect(requests('POST', VARIABLES)).toBe(1)
    expect(server.getVariable('octo/app', 'OAUTH_REFRESH_TOKEN_STATE')).toBeUndefined()
  })
})
