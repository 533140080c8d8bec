// The store's client skips the throttling plugin's queues; these cases check that it still waits
// out what GitHub asks and retries what fails for a moment, against the local GitHub server.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createStoreClient } from '../../../src/providers/github/store-client.js'
import { startGitHubServer, type GitHubServer } from '../../../test-servers/github/index.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const REPO = 'octo/app'
const PATH = `/repos/${REPO}/actions/variables/RECORD`

let github: GitHubServer
let log: MemoryLogger

beforeEach(async () => {
  github = await startGitHubServer()
  github.addRepository(REPO)
  github.seedVariable(REPO, 'RECORD', 'old')
  log = new MemoryLogger()
})
afterEach(async () => {
  await github.close()
})

function client(maxRateLimitWaitSeconds?: number) {
  return createStoreClient({
    token: 'test-token',
    baseUrl: github.url,
    log,
    retryBaseMs: 1,
    ...(maxRateLimitWaitSeconds === undefined ? {} : { maxRateLimitWaitSeconds })
  })
}

function update(value: string) {
  return client().request('PATCH /repos/{owner}/{repo}/actions/variables/{name}', {
    owner: 'octo',
    repo: 'app',
    name: 'RECORD',
    value
  })
}

const patches = () => github.requests.filter(r => r.method === 'PATCH' && r.path === PATH)

describe('createStoreClient', () => {
  it('waits out a secondary rate limit as retry-after says, then writes', async () => {
    github.faults.add({
      method: 'PATCH',
      path: PATH,
      secondaryRateLimit: true,
      headers: { 'retry-after': '0' },
      times: 1
    })
    await update('new')
    expect(patches().map(r => r.status)).toEqual([403, 204])
    expect(github.getVariable(REPO, 'RECORD')?.value).toBe('new')
    expect(log.lines.some(l => /secondary|rate limit/i.test(l.message))).toBe(true)
  })

  it('waits for x-ratelimit-reset when the primary limit is spent', async () => {
    github.faults.add({
      method: 'PATCH',
      path: PATH,
      status: 429,
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) - 1)
      },
      times: 1
    })
    await update('new')
    expect(patches().map(r => r.status)).toEqual([429, 204])
  })

  it('gives up at once when GitHub asks for a longer wait than the run accepts', async () => {
    github.faults.add({
      method: 'PATCH',
      path: PATH,
      secondaryRateLimit: true,
      headers: { 'retry-after': '3600' }
    })
    await expect(
      client(60).request('PATCH /repos/{owner}/{repo}/actions/variables/{name}', {
        owner: 'octo',
        repo: 'app',
        name: 'RECORD',
        value: 'new'
      })
    ).rejects.toMatchObject({ status: 403 })
    expect(patches()).toHaveLength(1)
    expect(log.lines.some(l => l.level === 'warning' && /not retrying/.test(l.message))).toBe(true)
  })

  it('retries a 5xx, and passes a 404 on without retrying', async () => {
    github.faults.add({ method: 'PATCH', path: PATH, status: 502, times: 1 })
    await update('new')
    expect(patches().map(r => r.status)).toEqual([502, 204])
    await expect(
      client().request('GET /repos/{owner}/{repo}/actions/variables/{name}', {
        owner: 'octo',
        repo: 'app',
        name: 'MISSING'
      })
    ).rejects.toMatchObject({ status: 404 })
    expect(github.requests.filter(r => r.path.endsWith('/MISSING'))).toHaveLength(1)
  })
})
