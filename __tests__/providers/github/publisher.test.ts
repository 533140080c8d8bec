import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createGitHubClient } from '../../../src/providers/github/client.js'
import { SecretPublisher } from '../../../src/providers/github/publisher.js'
import type { SecretTarget } from '../../../src/providers/github/targets.js'
import { startGitHubServer, type GitHubServer } from '../../../test-servers/github/index.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const VALUE = 'pub-value-7f3a9c'

let server: GitHubServer
let log: MemoryLogger

beforeEach(async () => {
  server = await startGitHubServer()
  log = new MemoryLogger()
})
afterEach(async () => {
  await server.close()
})

function publisher(
  options: {
    maxConcurrency?: number
    writeIntervalMs?: number
    requestTimeoutMs?: number
    maxRateLimitWaitSeconds?: number
  } = {}
): SecretPublisher {
  const client = createGitHubClient({
    token: 'test-token',
    baseUrl: server.url,
    maxConcurrency: options.maxConcurrency ?? 10,
    writeIntervalMs: options.writeIntervalMs ?? 0,
    retryBaseMs: 5,
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.maxRateLimitWaitSeconds
      ? { maxRateLimitWaitSeconds: options.maxRateLimitWaitSeconds }
      : {}),
    log
  })
  return new SecretPublisher(client, log)
}

const repoTarget = (owner: string, repo: string): SecretTarget => ({
  scope: { kind: 'repository', type: 'actions', repository: { owner, repo } },
  name: 'API_TOKEN'
})

describe('SecretPublisher against the local GitHub server', () => {
  it('creates, then updates, a repository secret sealed with that repository key', async () => {
    server.addRepository('octo/app')
    const [first] = await publisher().publish([repoTarget('octo', 'app')], VALUE)
    expect(first).toMatchObject({
      scope: 'repository',
      target: 'octo/app',
      name: 'API_TOKEN',
      status: 'created'
    })
    const [second] = await publisher().publish([repoTarget('octo', 'app')], 'next-value')
    expect(second?.status).toBe('updated')
    expect(server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')?.value).toBe('next-value')
  })

  it('fetches each scope key once per run', async () => {
    server.addRepository('octo/app')
    const p = publisher()
    await p.publish([repoTarget('octo', 'app')], 'one')
    await p.publish([repoTarget('octo', 'app')], 'two')
    const keyReads = server.requests.filter(r => r.path.endsWith('/public-key'))
    expect(keyReads).toHaveLength(1)
  })

  it('writes environment secrets with the environment key, URL-encoding the name', async () => {
    server.addRepository('octo/app', { environments: ['prod eu', 'staging/1'] })
    const results = await publisher().publish(
      ['prod eu', 'staging/1'].map(environment => ({
        scope: {
          kind: 'environment',
          type: 'actions',
          repository: { owner: 'octo', repo: 'app' },
          environment
        },
        name: 'API_TOKEN'
      })),
      VALUE
    )
    expect(results.map(r => [r.target, r.status])).toEqual([
      ['octo/app (prod eu)', 'created'],
      ['octo/app (staging/1)', 'created']
    ])
    expect(server.getSecret('repos/octo/app/environments/prod%20eu/secrets/API_TOKEN')?.value).toBe(
      VALUE
    )
    expect(
      server.getSecret('repos/octo/app/environments/staging%2F1/secrets/API_TOKEN')?.value
    ).toBe(VALUE)
  })

  it('names a missing environment and still writes the other targets', async () => {
    server.addRepository('octo/app', { environments: ['prod'] })
    server.addRepository('octo/lib')
    const results = await publisher().publish(
      [
        {
          scope: {
            kind: 'environment',
            type: 'actions',
            repository: { owner: 'octo', repo: 'app' },
            environment: 'prdo'
          },
          name: 'API_TOKEN'
        },
        repoTarget('octo', 'lib')
      ],
      VALUE
    )
    expect(results[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        /Environment 'prdo' does not exist in octo\/app.*'environment' input/
      )
    })
    expect(results[1]?.status).toBe('created')
  })

  it('seals again with a fresh key when GitHub refuses a stale key_id', async () => {
    server.addRepository('octo/app')
    const p = publisher()
    await p.publish([repoTarget('octo', 'app')], 'one')
    server.rotatePublicKey('repos/octo/app/actions/secrets')
    const [result] = await p.publish([repoTarget('octo', 'app')], 'two')
    expect(result?.status).toBe('updated')
    expect(server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')?.value).toBe('two')
    expect(server.requests.filter(r => r.path.endsWith('/public-key'))).toHaveLength(2)
  })

  it('keeps an existing org secret visibility and repository list unless asked to change them', async () => {
    const a = server.addRepository('octo/a')
    const b = server.addRepository('octo/b')
    server.addRepository('octo/c')
    server.seedSecret('orgs/octo/actions/secrets/API_TOKEN', 'old', {
      visibility: 'selected',
      selectedRepositoryIds: [a.id, b.id]
    })
    const target: SecretTarget = {
      scope: { kind: 'organization', type: 'actions', org: 'octo' },
      name: 'API_TOKEN',
      access: {}
    }
    const [kept] = await publisher().publish([target], VALUE)
    expect(kept).toMatchObject({
      status: 'updated',
      detail: 'existing secret, visibility selected, 2 repositories'
    })
    expect(server.getSecret('orgs/octo/actions/secrets/API_TOKEN')).toMatchObject({
      value: VALUE,
      visibility: 'selected',
      selectedRepositoryIds: [a.id, b.id]
    })
  })

  it('resolves selected repositories to ids, one by one for a few and by listing the org for many', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => server.addRepository(`octo/r${i}`).id)
    for (const count of [2, 8]) {
      const selected = Array.from({ length: count }, (_, i) => ({ owner: 'octo', repo: `R${i}` }))
      const [result] = await publisher().publish(
        [
          {
            scope: { kind: 'organization', type: 'actions', org: 'octo' },
            name: 'API_TOKEN',
            access: { visibility: 'selected', selectedRepositories: selected }
          }
        ],
        VALUE
      )
      expect(result?.status).not.toBe('failed')
      expect(
        server.getSecret('orgs/octo/actions/secrets/API_TOKEN')?.selectedRepositoryIds
      ).toEqual(ids.slice(0, count))
    }
    expect(server.requests.filter(r => r.path === '/orgs/octo/repos')).toHaveLength(1)
  })

  it('refuses to share an org secret with nobody', async () => {
    server.addRepository('octo/a')
    const [result] = await publisher().publish(
      [
        {
          scope: { kind: 'organization', type: 'actions', org: 'octo' },
          name: 'API_TOKEN',
          access: { visibility: 'selected' }
        }
      ],
      VALUE
    )
    expect(result).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        /'selected-repositories'.*visibility selected but no repositories/
      )
    })
    expect(server.requests.filter(r => r.method === 'PUT')).toEqual([])
  })

  it('names selected repositories that do not exist', async () => {
    server.addRepository('octo/a')
    const [result] = await publisher().publish(
      [
        {
          scope: { kind: 'organization', type: 'actions', org: 'octo' },
          name: 'API_TOKEN',
          access: {
            selectedRepositories: [
              { owner: 'octo', repo: 'a' },
              { owner: 'octo', repo: 'gone' }
            ],
            visibility: 'selected'
          }
        }
      ],
      VALUE
    )
    expect(result).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/'selected-repositories': octo\/gone not found in octo/)
    })
    expect(server.getSecret('orgs/octo/actions/secrets/API_TOKEN')).toBeUndefined()
  })

  it('writes Dependabot secrets with the Dependabot key', async () => {
    server.addRepository('octo/app')
    const [result] = await publisher().publish(
      [
        {
          scope: {
            kind: 'repository',
            type: 'dependabot',
            repository: { owner: 'octo', repo: 'app' }
          },
          name: 'NPM_TOKEN'
        }
      ],
      VALUE
    )
    expect(result).toMatchObject({ type: 'dependabot', status: 'created' })
    expect(server.getSecret('repos/octo/app/dependabot/secrets/NPM_TOKEN')?.value).toBe(VALUE)
    expect(server.getSecret('repos/octo/app/actions/secrets/NPM_TOKEN')).toBeUndefined()
  })

  it('retries 5xx and dropped connections, and gives up on a target that keeps failing', async () => {
    for (const name of ['a', 'b', 'c']) server.addRepository(`octo/${name}`)
    server.faults.add({
      method: 'PUT',
      path: '/repos/octo/a/actions/secrets/API_TOKEN',
      status: 502,
      times: 2
    })
    server.faults.add({
      method: 'PUT',
      path: '/repos/octo/b/actions/secrets/API_TOKEN',
      drop: 'before',
      times: 1
    })
    server.faults.add({
      method: 'PUT',
      path: '/repos/octo/c/actions/secrets/API_TOKEN',
      status: 503
    })
    const results = await publisher().publish(
      [repoTarget('octo', 'a'), repoTarget('octo', 'b'), repoTarget('octo', 'c')],
      VALUE
    )
    expect(results.map(r => r.status)).toEqual(['created', 'created', 'failed'])
    expect(results[2]?.error).toMatch(
      /Writing API_TOKEN to octo\/c failed: GitHub answered 503.*run again later/
    )
    // one try and three retries, then it gives up
    expect(
      server.requests.filter(r => r.path === '/repos/octo/c/actions/secrets/API_TOKEN')
    ).toHaveLength(4)
  })

  it('gives up waiting for an answer that never comes, and retries', async () => {
    server.addRepository('octo/app')
    server.faults.add({ method: 'PUT', delayMs: 2000, times: 1 })
    const [result] = await publisher({ requestTimeoutMs: 300 }).publish(
      [repoTarget('octo', 'app')],
      VALUE
    )
    expect(result?.status).not.toBe('failed')
    expect(server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')?.value).toBe(VALUE)
    expect(server.requests.filter(r => r.method === 'PUT').length).toBeGreaterThanOrEqual(2)
  })

  it('honors retry-after on a bare 429, as a proxy or GitHub Enterprise Server may send it', async () => {
    server.addRepository('octo/app')
    server.faults.add({
      method: 'PUT',
      status: 429,
      headers: { 'retry-after': '1' },
      body: { message: 'Too Many Requests' },
      times: 1
    })
    const [result] = await publisher().publish([repoTarget('octo', 'app')], VALUE)
    expect(result?.status).toBe('created')
    const puts = server.requests.filter(r => r.method === 'PUT')
    expect(puts.map(r => r.status)).toEqual([429, 201])
    expect(server.earlyRetries).toBe(0)
    expect(log.text()).toMatch(/retry PUT \/repos\/octo\/app\/actions\/secrets\/API_TOKEN after 1s/)
  })

  it.each([
    [
      'a bare 429',
      { status: 429, headers: { 'retry-after': '0' }, body: { message: 'Too Many Requests' } }
    ],
    ['a secondary rate limit', { secondaryRateLimit: true, headers: { 'retry-after': '1' } }],
    [
      'a RATE_LIMITED error',
      {
        status: 403,
        headers: { 'retry-after': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)) },
        body: { message: 'Forbidden', errors: [{ type: 'RATE_LIMITED' }] }
      }
    ]
  ])('retries %s three times, by one plugin only, then gives up', async (_, fault) => {
    server.addRepository('octo/app')
    server.faults.add({ method: 'PUT', ...fault })
    const [result] = await publisher().publish([repoTarget('octo', 'app')], VALUE)
    expect(result?.status).toBe('failed')
    expect(server.requests.filter(r => r.method === 'PUT')).toHaveLength(4)
  })

  it('bounds the total wait of one request, however often GitHub asks', async () => {
    server.addRepository('octo/app')
    server.faults.add({ method: 'PUT', status: 429, headers: { 'retry-after': '1' } })
    const [result] = await publisher({ maxRateLimitWaitSeconds: 1 }).publish(
      [repoTarget('octo', 'app')],
      VALUE
    )
    expect(result?.status).toBe('failed')
    expect(server.requests.filter(r => r.method === 'PUT')).toHaveLength(2)
  })

  it('waits for x-ratelimit-reset when the primary rate limit is spent', async () => {
    server.addRepository('octo/app')
    const reset = Math.ceil(Date.now() / 1000) + 1
    server.faults.add({
      method: 'PUT',
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: { message: 'API rate limit exceeded for installation.' },
      times: 1
    })
    const [result] = await publisher().publish([repoTarget('octo', 'app')], VALUE)
    expect(result?.status).toBe('created')
    const puts = server.requests.filter(r => r.method === 'PUT')
    expect(puts.map(r => r.status)).toEqual([403, 201])
    expect(server.earlyRetries).toBe(0)
  })

  it('gives up on a rate limit that asks for longer than it will wait', async () => {
    server.addRepository('octo/app')
    server.faults.add({
      method: 'PUT',
      secondaryRateLimit: true,
      headers: { 'retry-after': '3600' }
    })
    const [result] = await publisher().publish([repoTarget('octo', 'app')], VALUE)
    expect(result).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        /403: You have exceeded a secondary rate limit.*raise 'write-interval'/
      )
    })
    expect(server.requests.filter(r => r.method === 'PUT')).toHaveLength(1)
  })

  it('reports the fields of a validation error, and writes once when the key did not change', async () => {
    server.addRepository('octo/app')
    server.faults.add({
      method: 'PUT',
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [{ resource: 'Secret', field: 'visibility', code: 'invalid' }]
      }
    })
    const [result] = await publisher().publish([repoTarget('octo', 'app')], VALUE)
    expect(result?.error).toMatch(/422: Validation Failed \(field visibility, code invalid\)/)
    expect(server.requests.filter(r => r.path.endsWith('/public-key'))).toHaveLength(2)
    expect(server.requests.filter(r => r.method === 'PUT')).toHaveLength(1)
  })

  it('honors retry-after on a secondary rate limit', async () => {
    server.addRepository('octo/app')
    server.faults.add({
      method: 'PUT',
      secondaryRateLimit: true,
      headers: { 'retry-after': '1' },
      times: 1
    })
    const [result] = await publisher().publish([repoTarget('octo', 'app')], VALUE)
    expect(result?.status).toBe('created')
    const puts = server.requests.filter(r => r.method === 'PUT')
    expect(puts.map(r => r.status)).toEqual([403, 201])
    // retry-after is a protocol rule: the server counts a retry that comes before it ran out
    expect(server.earlyRetries).toBe(0)
  })

  it('paces writes by the write interval and bounds requests in flight', async () => {
    await server.close()
    // The server counts writes that arrive less than 100 ms apart; the client spaces them 200 ms.
    server = await startGitHubServer({ writeSpacingMs: 100 })
    const names = Array.from({ length: 6 }, (_, i) => `r${i}`)
    for (const name of names) server.addRepository(`octo/${name}`)
    const results = await publisher({ maxConcurrency: 2, writeIntervalMs: 200 }).publish(
      names.map(n => repoTarget('octo', n)),
      VALUE
    )
    expect(results.every(r => r.status === 'created')).toBe(true)
    expect(server.requests.filter(r => r.method === 'PUT')).toHaveLength(6)
    // On a loaded machine one write may reach the server late and the next on time, so a single
    // gap proves little; five intervals between the first and the last arrival, as the server
    // recorded them, cannot come from anything but pacing (less one interval of that slack).
    const arrivals = server.requests.filter(r => r.method === 'PUT').map(r => r.startedAt)
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThanOrEqual(4 * 200)
    expect(server.crowdedWrites).toBeLessThanOrEqual(1)
    expect(server.maxInFlight).toBeLessThanOrEqual(2)
  })

  it('lets the server see crowded writes when no interval is set (the check above has teeth)', async () => {
    await server.close()
    server = await startGitHubServer({ writeSpacingMs: 100 })
    const names = Array.from({ length: 4 }, (_, i) => `r${i}`)
    for (const name of names) server.addRepository(`octo/${name}`)
    await publisher({ writeIntervalMs: 0 }).publish(
      names.map(n => repoTarget('octo', n)),
      VALUE
    )
    expect(server.crowdedWrites).toBeGreaterThan(0)
  })

  it('counts retried requests against max-concurrency', async () => {
    const names = Array.from({ length: 24 }, (_, i) => `r${i}`)
    for (const name of names) server.addRepository(`octo/${name}`)
    // Every request is slow, so the retries after the rate limit (1 s on) overlap the others.
    server.faults.add({ delayMs: 300 })
    server.faults.add({
      method: 'GET',
      secondaryRateLimit: true,
      headers: { 'retry-after': '1' },
      times: 3
    })
    const results = await publisher({ maxConcurrency: 3 }).preflight(
      names.map(n => repoTarget('octo', n))
    )
    expect(results.every(r => r.status === 'planned')).toBe(true)
    expect(server.requests).toHaveLength(27)
    expect(server.maxInFlight).toBe(3)
    expect(server.earlyRetries).toBe(0)
  })

  it('stops sending when GitHub asks to wait longer than the run waits, and says when to run again', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `r${i}`)
    for (const name of names) server.addRepository(`octo/${name}`)
    const p = publisher({ maxConcurrency: 1 })
    const targets = names.map(n => repoTarget('octo', n))
    expect((await p.preflight(targets)).every(r => r.status === 'planned')).toBe(true)
    server.faults.add({
      method: 'PUT',
      secondaryRateLimit: true,
      headers: { 'retry-after': '3600' },
      skip: 2,
      times: 1
    })
    const results = await p.publish(targets, VALUE)
    expect(results.map(r => r.status)).toEqual([
      'created',
      'created',
      'failed',
      'failed',
      'failed',
      'failed'
    ])
    expect(results[2]?.error).toMatch(/403: You have exceeded a secondary rate limit/)
    for (const unsent of results.slice(3)) {
      expect(unsent.error).toMatch(
        /^not sent: GitHub asked to wait until \d\d:\d\d:\d\dZ; run again after it\.$/
      )
    }
    // Nothing reached GitHub after the refusal.
    const refused = server.requests.findIndex(r => r.status === 403)
    expect(server.requests.slice(refused + 1)).toEqual([])
    expect(server.requests.filter(r => r.method === 'PUT')).toHaveLength(3)
    expect(log.text()).toMatch(/sending nothing more until \d\d:\d\d:\d\dZ/)
  })

  it('reads nothing again when publishing after a preflight', async () => {
    server.addRepository('octo/a')
    server.addRepository('octo/b')
    server.seedSecret('orgs/octo/actions/secrets/API_TOKEN', 'old', { visibility: 'all' })
    const targets: SecretTarget[] = [
      repoTarget('octo', 'a'),
      {
        scope: { kind: 'organization', type: 'actions', org: 'octo' },
        name: 'API_TOKEN',
        access: {}
      }
    ]
    const p = publisher()
    expect((await p.preflight(targets)).map(r => r.status)).toEqual(['planned', 'planned'])
    const reads = server.requests.length
    expect((await p.publish(targets, VALUE)).map(r => r.status)).toEqual(['created', 'updated'])
    expect(server.requests.slice(reads).map(r => r.method)).toEqual(['PUT', 'PUT'])
  })

  it('plans a dry run from reads only', async () => {
    server.addRepository('octo/app')
    const [result] = await publisher().preflight([repoTarget('octo', 'app')])
    expect(result?.status).toBe('planned')
    expect(server.requests.every(r => r.method === 'GET')).toBe(true)
    expect(server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')).toBeUndefined()
  })

  it('explains a token that cannot write secrets, as the default GITHUB_TOKEN cannot', async () => {
    await server.close()
    server = await startGitHubServer({ tokens: { 'test-token': { secrets: 'read' } } })
    server.addRepository('octo/app')
    const [result] = await publisher().publish([repoTarget('octo', 'app')], VALUE)
    expect(result?.error).toMatch(
      /403: Resource not accessible by integration.*It needs repository "Secrets: write".*default GITHUB_TOKEN can never write secrets/
    )
  })

  it('never puts the value or the sealed box in a result or a log line', async () => {
    server.addRepository('octo/app')
    server.faults.add({ method: 'PUT', status: 422, body: { message: 'Validation Failed' } })
    const results = await publisher().publish([repoTarget('octo', 'app')], VALUE)
    const text = JSON.stringify(results) + log.text()
    expect(text).not.toContain(VALUE)
    expect(text).not.toMatch(/encrypted_value|[A-Za-z0-9+/]{60,}={0,2}/)
  })
})
