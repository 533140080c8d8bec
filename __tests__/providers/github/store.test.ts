import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { Lock, Store } from '../../../src/engine/ports.js'
import { emptyState, type RotationState } from '../../../src/engine/state.js'
import { ActionError } from '../../../src/errors.js'
import { createGitHubClient } from '../../../src/providers/github/client.js'
import { createVariableLock } from '../../../src/providers/github/lock.js'
import { createGitHubStore } from '../../../src/providers/github/store.js'
import { RepositoryVariables } from '../../../src/providers/github/variables.js'
import { startGitHubServer, type GitHubServer } from '../../../test-servers/github/index.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const SECRET = 'OAUTH_REFRESH_TOKEN'
const STATE = 'OAUTH_REFRESH_TOKEN_STATE'
const LOCK = 'OAUTH_REFRESH_TOKEN_STATE_LOCK'
const SECRET_PATH = `repos/octo/app/actions/secrets/${SECRET}`
const PUT_PATH = `/${SECRET_PATH}`
const VARIABLES_PATH = '/repos/octo/app/actions/variables'
const TOKEN = 'rt-current-5b1f0c9e'
const NEXT = 'rt-next-a84d27c3'
const MINUTE = 60_000

let server: GitHubServer
let log: MemoryLogger
let now: Date
/** What the store asked to wait, in ms, instead of waiting. */
let waits: number[]

beforeEach(async () => {
  server = await startGitHubServer({
    tokens: {
      'test-token': { secrets: 'write', variables: 'write' },
      'read-secrets': { secrets: 'read', variables: 'write' }
    }
  })
  server.addRepository('octo/app')
  log = new MemoryLogger()
  now = new Date('2026-03-02T10:00:00.000Z')
  waits = []
})
afterEach(async () => {
  await server.close()
})

function store(
  options: {
    token?: string
    repo?: string
    persistTimeoutMs?: number
    requestTimeoutMs?: number
  } = {}
): Store & { lock: Lock['acquire'] } {
  const client = createGitHubClient({
    token: options.token ?? 'test-token',
    baseUrl: server.url,
    maxConcurrency: 10,
    writeIntervalMs: 0,
    retryBaseMs: 5,
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: options.requestTimeoutMs }),
    log
  })
  const repository = { owner: 'octo', repo: options.repo ?? 'app' }
  // The lock is its own port; the action puts it in the store's repository, as here.
  const variables = new RepositoryVariables(client, repository, { now: () => now })
  const lock = createVariableLock({ variables, name: LOCK, log })
  const created = createGitHubStore({
    client,
    repository,
    secretName: SECRET,
    stateVariable: STATE,
    log,
    clock: { now: () => now },
    // Time moves when the store waits, and only then.
    sleep: ms => {
      waits.push(ms)
      now = new Date(now.getTime() + ms)
      return Promise.resolve()
    },
    ...(options.persistTimeoutMs === undefined
      ? {}
      : { persistTimeoutMs: options.persistTimeoutMs }),
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: options.requestTimeoutMs })
  })
  return { ...created, lock: (owner, ttlMs) => lock.acquire(owner, ttlMs) }
}

/** The error a call fails with; fails the test when the call succeeds. */
async function failure(call: Promise<unknown>): Promise<ActionError> {
  try {
    await call
  } catch (error) {
    if (error instanceof ActionError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

function requests(method: string, path: string): number {
  return server.requests.filter(r => r.method === method && r.path === path).length
}

function lockValue(): unknown {
  const variable = server.getVariable('octo/app', LOCK)
  return variable === undefined ? undefined : JSON.parse(variable.value)
}

/**
 * A lock as an earlier version wrote it (times on its runner's clock), written at `at` by GitHub's
 * clock: its 30 minutes count from then.
 */
function seedLock(owner: string, at: Date = server.now()): void {
  server.seedVariable(
    'octo/app',
    LOCK,
    JSON.stringify({
      owner,
      acquiredAt: new Date(now.getTime() - 30 * MINUTE).toISOString(),
      expiresAt: now.toISOString()
    }),
    at
  )
}

const fp = (digit: string): string => digit.repeat(16)

function sampleState(): RotationState {
  return {
    ...emptyState(),
    current: { fingerprint: fp('a'), since: '2026-03-01T10:00:00.000Z' },
    previous: { fingerprint: fp('b'), since: '2026-02-01T10:00:00.000Z' },
    pending: { fingerprint: fp('c'), mintedAt: now.toISOString(), run: 'run-7', recoverable: true },
    published: { fingerprint: fp('d'), at: now.toISOString() },
    retirements: [{ fingerprint: fp('e'), dueAt: '2026-03-02T10:15:00.000Z' }],
    runs: [{ id: 'run-6', at: '2026-03-01T10:00:00.000Z', mode: 'rotate', outcome: 'rotated' }]
  }
}

describe('GitHub store', () => {
  it('describes where the refresh token lives', () => {
    const s = store()
    expect(s.kind).toBe('github')
    expect(s.description).toBe('secret OAUTH_REFRESH_TOKEN of octo/app')
  })

  it('refuses a lock variable that is also the record', () => {
    const client = createGitHubClient({
      token: 'test-token',
      baseUrl: server.url,
      maxConcurrency: 1,
      writeIntervalMs: 0,
      log
    })
    const options = {
      client,
      repository: { owner: 'octo', repo: 'app' },
      secretName: SECRET,
      log,
      clock: { now: () => now },
      sleep: () => Promise.resolve()
    }
    expect(() =>
      createGitHubStore({
        ...options,
        stateVariable: STATE,
        persistTimeoutMs: 0
      })
    ).toThrow(/persistTimeoutMs/)
  })
})

describe('lock', () => {
  it('is taken with one create and holds owner, generation and time-to-live, nothing secret', async () => {
    await store().lock('run-1', 30 * MINUTE)
    expect(lockValue()).toEqual({
      owner: 'run-1',
      token: expect.stringMatching(/^[0-9a-f]{16}$/),
      generation: 1,
      ttlMs: 30 * MINUTE
    })
    expect(server.requests.map(r => `${r.method} ${r.path}`)).toEqual([`POST ${VARIABLES_PATH}`])
  })

  it('refuses a second run while the first holds it, naming the holder and its expiry', async () => {
    await store().lock('https://github.com/octo/app/actions/runs/1', 30 * MINUTE)
    now = new Date(now.getTime() + 5 * MINUTE)
    const error = await failure(store().lock('run-2', 30 * MINUTE))
    expect(error).toMatchObject({ code: 'locked', phase: 'preflight' })
    expect(error.message).toContain('https://github.com/octo/app/actions/runs/1')
    const written = Date.parse(server.getVariable('octo/app', LOCK)?.updated_at ?? '')
    const ends = new Date(written + 30 * MINUTE).toISOString().replace('.000Z', 'Z')
    expect(error.message).toContain(`its lease ends at ${ends} by GitHub's clock`)
    expect(error.message).toContain(`delete the repository variable ${LOCK}`)
    expect(lockValue()).toMatchObject({ owner: 'https://github.com/octo/app/actions/runs/1' })
  })

  it('can be taken again once released', async () => {
    const lease = await store().lock('run-1', 30 * MINUTE)
    await lease.release()
    expect(server.getVariable('octo/app', LOCK)).toBeUndefined()
    await store().lock('run-2', 30 * MINUTE)
    expect(lockValue()).toMatchObject({ owner: 'run-2' })
  })

  it('takes over a lock past its expiry, and warns whose it was', async () => {
    seedLock('run-dead', new Date(server.now().getTime() - 31 * MINUTE))
    await store().lock('run-2', 30 * MINUTE)
    expect(lockValue()).toMatchObject({ owner: 'run-2' })
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'warning', message: expect.stringContaining('run-dead') })
    )
  })

  it('takes over a lock whose value it cannot read', async () => {
    server.seedVariable('octo/app', LOCK, 'held by someone')
    await store().lock('run-2', 30 * MINUTE)
    expect(lockValue()).toMatchObject({ owner: 'run-2' })
  })

  it('lets exactly one of two runs starting at once take it', async () => {
    const outcomes = await Promise.allSettled([
      store().lock('run-1', 30 * MINUTE),
      store().lock('run-2', 30 * MINUTE)
    ])
    const won = outcomes.filter(outcome => outcome.status === 'fulfilled')
    const lost = outcomes.filter(outcome => outcome.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    expect(lost[0]?.reason).toMatchObject({ code: 'locked' })
    const winner = outcomes[0].status === 'fulfilled' ? 'run-1' : 'run-2'
    expect(lockValue()).toMatchObject({ owner: winner })
  })

  it('counts a create whose answer was lost and that was sent again as its own', async () => {
    server.faults.add({ method: 'POST', path: VARIABLES_PATH, drop: 'after', times: 1 })
    await store().lock('run-1', 30 * MINUTE)
    expect(lockValue()).toMatchObject({ owner: 'run-1' })
  })

  it("does not release another run's lock", async () => {
    const lease = await store().lock('run-1', 30 * MINUTE)
    // run-1 outlived its lock, and run-2 took it over.
    seedLock('run-2')
    await lease.release()
    expect(lockValue()).toMatchObject({ owner: 'run-2' })
    expect(requests('DELETE', `${VARIABLES_PATH}/${LOCK}`)).toBe(0)
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'warning', message: expect.stringContaining('run-2') })
    )
  })

  it('only warns when it cannot release: the lock expires on its own', async () => {
    const lease = await store().lock('run-1', 30 * MINUTE)
    server.faults.add({ method: 'DELETE', status: 403 })
    await lease.release()
    expect(lockValue()).toMatchObject({ owner: 'run-1' })
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringContaining('ends on its own at')
      })
    )
  })

  it('names the repository when it is missing or hidden from the token', async () => {
    const error = await failure(store({ repo: 'gone' }).lock('run-1', 30 * MINUTE))
    expect(error).toMatchObject({ code: 'github-not-found', phase: 'preflight' })
    expect(error.message).toContain('octo/gone')
  })
})

describe('state', () => {
  it('is undefined before the first rotation', async () => {
    await expect(store().readState()).resolves.toBeUndefined()
  })

  it('creates the variable on the first write, then updates it in one request', async () => {
    const s = store()
    await s.writeState(sampleState())
    expect(requests('PATCH', `${VARIABLES_PATH}/${STATE}`)).toBe(1)
    expect(requests('POST', VARIABLES_PATH)).toBe(1)
    const next = { ...sampleState(), consecutiveFailures: 2 }
    await s.writeState(next)
    expect(requests('PATCH', `${VARIABLES_PATH}/${STATE}`)).toBe(2)
    expect(requests('POST', VARIABLES_PATH)).toBe(1)
    await expect(store().readState()).resolves.toEqual(next)
  })

  it('reads back what it wrote, as compact JSON', async () => {
    await store().writeState(sampleState())
    await expect(store().readState()).resolves.toEqual(sampleState())
    const stored = server.getVariable('octo/app', STATE)?.value ?? ''
    expect(stored).toBe(JSON.stringify(JSON.parse(stored)))
  })

  it('updates after losing a create race to another writer', async () => {
    server.seedVariable('octo/app', STATE, JSON.stringify(emptyState()))
    // Our PATCH sees no variable yet; by our create, another writer has made it.
    server.faults.add({ method: 'PATCH', status: 404, times: 1 })
    await store().writeState(sampleState())
    expect(requests('POST', VARIABLES_PATH)).toBe(1)
    await expect(store().readState()).resolves.toEqual(sampleState())
  })

  it.each([
    ['not JSON', '{current: a}', 'not JSON'],
    [
      'JSON of another shape',
      JSON.stringify({ schema: 2, runs: 'none' }),
      'missing or invalid: schema, consecutiveFailures, retirements, runs'
    ]
  ])('refuses a record that is %s, saying how to fix it', async (_what, value, detail) => {
    server.seedVariable('octo/app', STATE, value)
    const error = await failure(store().readState())
    expect(error).toMatchObject({ code: 'state-invalid', phase: 'preflight' })
    expect(error.message).toContain(`variable ${STATE} of octo/app`)
    expect(error.message).toContain(detail)
    expect(error.message).toContain(`gh variable delete ${STATE} --repo octo/app`)
    expect(error.message).toContain('first rotation')
  })

  it('never writes a value into the variable, even one handed in by mistake', async () => {
    const s = store()
    await s.check(TOKEN)
    await s.persist(NEXT)
    await s.writeState({ ...sampleState(), leaked: NEXT } as RotationState)
    const stored = server.getVariable('octo/app', STATE)?.value ?? ''
    expect(stored).not.toContain(TOKEN)
    expect(stored).not.toContain(NEXT)
    expect(server.getSecret(SECRET_PATH)?.value).toBe(NEXT)
    expect(log.text()).not.toContain(TOKEN)
    expect(log.text()).not.toContain(NEXT)
  })
})

describe('check', () => {
  it('re-seals the current refresh token to its own secret', async () => {
    server.seedSecret(SECRET_PATH, TOKEN)
    await store().check(TOKEN)
    expect(server.getSecret(SECRET_PATH)).toMatchObject({ value: TOKEN, writes: 1 })
    expect(server.openedValues).toEqual([TOKEN])
  })

  it('says which permission is missing when the token may not write secrets', async () => {
    const error = await failure(store({ token: 'read-secrets' }).check(TOKEN))
    expect(error).toMatchObject({ code: 'github-forbidden', phase: 'preflight' })
    expect(error.message).toContain(`Writing ${SECRET} to octo/app failed: GitHub answered 403`)
    expect(error.message).toContain('"Secrets: write"')
    expect(error.message).not.toContain(TOKEN)
  })

  it('names the repository when it is missing or hidden from the token', async () => {
    const error = await failure(store({ repo: 'gone' }).check(TOKEN))
    expect(error).toMatchObject({ code: 'github-not-found', phase: 'preflight' })
    expect(error.message).toContain('Repository octo/gone does not exist')
    expect(error.message).not.toContain("'repositories'")
  })
})

describe('persist', () => {
  const puts = (): number => requests('PUT', PUT_PATH)
  const spent = (): number => waits.reduce((sum, ms) => sum + ms, 0)

  it('writes the new refresh token', async () => {
    server.seedSecret(SECRET_PATH, TOKEN)
    await store().persist(NEXT)
    expect(server.getSecret(SECRET_PATH)).toMatchObject({ value: NEXT, writes: 1 })
    expect(waits).toEqual([])
  })

  it('tries again, after a wait, when GitHub fails; one request per attempt', async () => {
    server.faults.add({ method: 'PUT', path: PUT_PATH, status: 502, times: 2 })
    await store().persist(NEXT)
    expect(server.getSecret(SECRET_PATH)?.value).toBe(NEXT)
    expect(waits).toEqual([2000, 4000])
    expect(puts()).toBe(3)
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringContaining('attempt 2, 1m 58s of persist-timeout left')
      })
    )
  })

  it('gives up when persist-timeout is spent, starting no attempt that could not end within it', async () => {
    server.seedSecret(SECRET_PATH, TOKEN)
    server.faults.add({ method: 'PUT', path: PUT_PATH, status: 503 })
    const error = await failure(store().persist(NEXT))
    expect(error).toMatchObject({ code: 'persist-failed', phase: 'persist' })
    expect(error.message).toContain(
      `Secret ${SECRET} of octo/app could not be written within persist-timeout (2m): 7 attempts in 1m 50s`
    )
    expect(error.message).toContain('GitHub answered 503')
    // Backoff 2, 4, 8, 16, 32 s, then the last wait is cut so that the last attempt, which may
    // take its request's 10 s timeout, still ends within the budget of 2 minutes.
    expect(waits).toEqual([2000, 4000, 8000, 16000, 32000, 48000])
    expect(spent() + 10_000).toBeLessThanOrEqual(2 * MINUTE)
    expect(puts()).toBe(7)
    // Nothing half-written: the secret still holds the old value.
    expect(server.getSecret(SECRET_PATH)).toMatchObject({ value: TOKEN, writes: 0 })
    expect(error.message).not.toContain(NEXT)
    expect(log.text()).not.toContain(NEXT)
  })

  it('bounds the wait for a server that never answers by persist-timeout', async () => {
    server.seedSecret(SECRET_PATH, TOKEN)
    server.faults.add({ method: 'PUT', path: PUT_PATH, delayMs: 60_000 })
    const error = await failure(
      store({ persistTimeoutMs: 10_000, requestTimeoutMs: 100 }).persist(NEXT)
    )
    expect(error).toMatchObject({ code: 'persist-failed', phase: 'persist' })
    expect(error.message).toMatch(
      /within persist-timeout \(10s\): 4 attempts.*no answer within 0\.1 s/
    )
    // Each attempt counts its own timeout (0.1 s): the third wait is cut to 3.9 s.
    expect(waits).toEqual([2000, 4000, 3900])
    expect(spent() + 100).toBeLessThanOrEqual(10_000)
    expect(puts()).toBe(4)
    expect(server.getSecret(SECRET_PATH)).toMatchObject({ value: TOKEN, writes: 0 })
  })

  it('leaves a rate limit on the persist to its own loop, within the budget', async () => {
    server.faults.add({
      method: 'PUT',
      path: PUT_PATH,
      secondaryRateLimit: true,
      headers: { 'retry-after': '30' },
      times: 1
    })
    await store().persist(NEXT)
    expect(server.getSecret(SECRET_PATH)?.value).toBe(NEXT)
    expect(waits).toEqual([2000])
    expect(puts()).toBe(2)
  })

  it('stops at once when the token may not write the secret', async () => {
    const error = await failure(store({ token: 'read-secrets' }).persist(NEXT))
    expect(error).toMatchObject({ code: 'github-forbidden', phase: 'persist' })
    expect(error.message).toContain('"Secrets: write"')
    expect(requests('PUT', PUT_PATH)).toBe(1)
    expect(waits).toEqual([])
  })

  it('stops at once when the repository is missing, in the persist phase', async () => {
    const error = await failure(store({ repo: 'gone' }).persist(NEXT))
    expect(error).toMatchObject({ code: 'github-not-found', phase: 'persist' })
    expect(waits).toEqual([])
  })

  it('seals again with the new key when the key changed since check', async () => {
    const s = store()
    await s.check(TOKEN)
    server.rotatePublicKey('repos/octo/app/actions/secrets')
    await s.persist(NEXT)
    expect(server.getSecret(SECRET_PATH)?.value).toBe(NEXT)
    expect(requests('GET', `${PUT_PATH.replace(`/${SECRET}`, '')}/public-key`)).toBe(2)
    expect(waits).toEqual([])
  })
})
