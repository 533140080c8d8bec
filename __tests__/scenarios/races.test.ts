// Two and three runs of the bundled dist/index.js racing for one credential: a real rotating grant
// (oidc-provider revokes it on any reuse of a refresh token) and the local GitHub server as the
// store, with its lock requests slowed or their answers lost, its lock deleted under a live run,
// re-runs, and runners whose clocks are off by up to an hour. In every case at most one run mints
// (the OAuth2 server counts the token requests it received) and the grant stays alive: a final
// rotation with the refresh token the secret holds succeeds.
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { generateRecoveryKeyPair, type RecoveryKeyPair } from '../../src/recovery/recovery-key.js'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import type { GitHubServer } from '../../test-servers/github/index.js'
import type { HealthGate } from '../../test-servers/health-gate.js'
import type { OAuth2Server } from '../../test-servers/oauth2/index.js'
import {
  SCENARIO_REPO as REPO,
  oauth2Inputs,
  secretPath,
  seedRefreshTokenSecret,
  startOAuth2Peers,
  deleteVariable,
  type OAuth2Peers
} from '../support/scenario-world.js'

const REFRESH_SECRET = 'OAUTH_REFRESH_TOKEN'
const ACCESS_SECRET = 'API_ACCESS_TOKEN'
const STATE_VARIABLE = `${REFRESH_SECRET}_STATE`
const LOCK_VARIABLE = `${STATE_VARIABLE}_LOCK`
const VARIABLES = `/repos/${REPO}/actions/variables`
const LOCK_PATH = `${VARIABLES}/${LOCK_VARIABLE}`
const MINUTE = 60_000
const SKEWED_CLOCK = fileURLToPath(new URL('../../test-servers/skewed-clock.mjs', import.meta.url))

let peers: OAuth2Peers
let github: GitHubServer
let oauth: OAuth2Server
let gate: HealthGate
let keys: RecoveryKeyPair
let first: string
let runNumber: number
let secrets: Set<string>

beforeEach(async () => {
  peers = await startOAuth2Peers()
  ;({ github, oauth, gate } = peers)
  keys = await generateRecoveryKeyPair()
  first = await seedRefreshTokenSecret(peers, REFRESH_SECRET)
  secrets = new Set([first, 'test-token', oauth.clients.basic.clientSecret, keys.privateKey])
  runNumber = 100
})
afterEach(async () => {
  await peers.close()
})

function secretValue(name: string): string | undefined {
  return github.getSecret(secretPath(name))?.value
}

interface RunOptions {
  /** A re-run of the last run: same run id, this attempt. */
  attempt?: number
  /** How far this run's runner clock is off, in ms. */
  skewMs?: number
}

/** One run as a scheduled job starts it: with the secrets as they are now. */
async function rotate(options: RunOptions = {}): Promise<ActionRun> {
  if ((options.attempt ?? 1) === 1) runNumber += 1
  const access = secretValue(ACCESS_SECRET)
  const run = await runAction({
    inputs: {
      ...oauth2Inputs(peers),
      'refresh-token': secretValue(REFRESH_SECRET) ?? '',
      'refresh-token-secret': REFRESH_SECRET,
      'secret-name': ACCESS_SECRET,
      'health-check-timeout': '3s',
      'recovery-public-key': keys.publicKey,
      'lock-expires-after': '10m',
      'write-interval': '10ms',
      ...(access === undefined ? {} : { 'previous-value': access })
    },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: String(options.attempt ?? 1),
      ...(options.skewMs === undefined
        ? {}
        : { NODE_OPTIONS: `--import=${SKEWED_CLOCK}`, SKEWED_CLOCK_MS: String(options.skewMs) })
    }
  })
  for (const value of [secretValue(REFRESH_SECRET), secretValue(ACCESS_SECRET)]) {
    if (value !== undefined) secrets.add(value)
  }
  return run
}

function expectNoLeaks(...runs: ActionRun[]): void {
  const all = [...secrets, ...github.receivedCiphertexts]
  for (const run of runs) expect(all.flatMap(secret => leaks(run, secret))).toEqual([])
}

/**
 * The grant is alive: the refresh token in the secret is live, and one more rotation with it
 * succeeds (a real refresh at the token endpoint).
 */
async function expectGrantAlive(): Promise<void> {
  expect(await oauth.isGrantAlive(first)).toBe(true)
  expect(await oauth.isRefreshTokenActive(secretValue(REFRESH_SECRET) ?? '')).toBe(true)
  const requests = oauth.tokenRequests
  const final = await rotate()
  expect([final.exitCode, final.errors]).toEqual([0, []])
  expect(oauth.tokenRequests).toBe(requests + 1)
  expect(await oauth.isGrantAlive(first)).toBe(true)
  expectNoLeaks(final)
}

/** A lock left by a run that died `ago` ms ago by GitHub's clock, with a lease of ten minutes. */
function seedDeadLock(ago: number): void {
  const value = { owner: 'run 7 attempt 1', token: 'dead', generation: 1, ttlMs: 10 * MINUTE }
  github.seedVariable(
    REPO,
    LOCK_VARIABLE,
    JSON.stringify(value),
    new Date(github.now().getTime() - ago)
  )
}

/** Resolves once `condition` holds; the servers move on their own, so this polls. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise(resolve => setTimeout(resolve, 10))
}

describe('runs that find the lock of a dead run expired', () => {
  it('three at once, with lock requests slow and answers lost: one takes it over and mints once', async () => {
    seedDeadLock(20 * MINUTE)
    // What broke the delete-and-create take-over: a slow DELETE landing after another run's
    // create. This one is never sent now; the PATCH that takes the lock over is slow once, and one
    // create (of the lock or of a claim) loses its answer and is sent again by the client.
    github.faults.add({ method: 'DELETE', path: LOCK_PATH, delayMs: 800, times: 1 })
    github.faults.add({ method: 'PATCH', path: LOCK_PATH, delayMs: 500, times: 1 })
    github.faults.add({ method: 'POST', path: VARIABLES, drop: 'after', times: 1 })

    const runs = await Promise.all([rotate(), rotate(), rotate()])

    expect(oauth.tokenRequests).toBe(1)
    const winners = runs.filter(run => run.exitCode === 0)
    expect(winners).toHaveLength(1)
    const winner = winners[0]
    expect(winner?.stdout).toMatch(/Took over the lock .*run 7 attempt 1.* by GitHub's clock/)
    for (const loser of runs.filter(run => run.exitCode !== 0)) {
      expect(loser.errors.join('\n')).toMatch(/lock/)
      expect(loser.summary).not.toMatch(/\| mint \| ✅/)
    }
    for (const run of runs) expect(run.stdout).not.toMatch(/expired and was taken over/)
    expectNoLeaks(...runs)
    await expectGrantAlive()
  })
})

describe('a second run while the first is still rotating', () => {
  // The second run starts while the first waits for its health check, after it minted.
  it.each([
    ['a re-run (attempt 2) of the same run on a runner 40 minutes ahead', 2, 40 * MINUTE, 0],
    ['another run whose runner clock is 40 minutes ahead', 1, 40 * MINUTE, 0],
    ['another run whose runner clock is an hour ahead', 1, 60 * MINUTE, 0],
    ["another run, GitHub's clock 40 minutes behind both runners", 1, 0, -40 * MINUTE]
  ])('%s: is refused, and the first finishes alone', async (_name, attempt, skewMs, githubMs) => {
    github.clockOffsetMs = githubMs
    let second: ActionRun | undefined
    gate.before = async () => {
      second = await rotate({ attempt, skewMs })
    }
    const firstRun = await rotate()
    expect([firstRun.exitCode, firstRun.errors]).toEqual([0, []])
    expect(firstRun.stdout).not.toMatch(/taken over|Left the lock|Took over/)
    expect(second?.exitCode).toBe(1)
    expect(second?.errors.join('\n')).toMatch(
      new RegExp(
        `Another rotation holds the lock .*run ${String(runNumber - (attempt === 2 ? 0 : 1))} attempt 1`
      )
    )
    expect(oauth.tokenRequests).toBe(1)
    expectNoLeaks(firstRun, ...(second ? [second] : []))
    await expectGrantAlive()
  })
})

describe('the lock deleted under a live run right before it mints', () => {
  it('neither run mints: the holder finds its lock gone, the next run finds its minting mark alive', async () => {
    expect((await rotate()).exitCode).toBe(0)
    const before = oauth.tokenRequests
    // The live run's re-check of the lock, after its minting mark, is slow to land.
    github.faults.add({ method: 'GET', path: LOCK_PATH, delayMs: 3_000, times: 1 })
    const from = github.requests.length
    const live = rotate()
    await until(() =>
      github.requests.slice(from).some(r => r.method === 'GET' && r.path === LOCK_PATH)
    )
    // Someone deletes the lock ("gh variable delete"), and another run starts.
    await deleteVariable(github, LOCK_VARIABLE)
    const next = await rotate()
    const holder = await live

    expect(oauth.tokenRequests).toBe(before)
    expect(holder.exitCode).toBe(1)
    expect(holder.errors.join('\n')).toMatch(
      /Refused to mint: the lock .* was deleted (or overwritten )?by someone else.*Nothing was minted/
    )
    expect(next.exitCode).toBe(1)
    expect(next.errors.join('\n')).toMatch(/may still be minting.*Nothing was minted or written/)
    expectNoLeaks(holder, next)
    // The holder's mark stays until its lease ends; then, as its message says, a run reads it as
    // an interrupted mint. The refresh token was never presented: the record is reset and the
    // next run rotates from it.
    github.clockOffsetMs = 11 * MINUTE
    const after = await rotate()
    expect(after.errors.join('\n')).toMatch(/stopped while exchanging this refresh token/)
    await deleteVariable(github, STATE_VARIABLE)
    await expectGrantAlive()
  })
})
