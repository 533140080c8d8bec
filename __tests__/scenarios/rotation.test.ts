// Rotations of a real rotating OAuth2 grant (oidc-provider) through the bundled dist/index.js, with
// the local GitHub server as the store and the target. Each case checks the peers' state: which
// refresh token is live, whether the grant survived, what the secrets and the record hold.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { generateRecoveryKeyPair, type RecoveryKeyPair } from '../../src/recovery/recovery-key.js'
import { openRecovery } from '../../src/recovery/recovery-box.js'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import type { GitHubServer } from '../../test-servers/github/index.js'
import type { HealthGate } from '../../test-servers/health-gate.js'
import { until } from '../support/until.js'
import type { OAuth2Server } from '../../test-servers/oauth2/index.js'
import {
  SCENARIO_REPO as REPO,
  oauth2Inputs,
  secretPath,
  seedRefreshTokenSecret,
  startOAuth2Peers,
  deleteVariable,
  variablePath,
  type OAuth2Peers
} from '../support/scenario-world.js'

const REFRESH_SECRET = 'OAUTH_REFRESH_TOKEN'
const ACCESS_SECRET = 'API_ACCESS_TOKEN'
const STATE_VARIABLE = `${REFRESH_SECRET}_STATE`

let peers: OAuth2Peers
let github: GitHubServer
let oauth: OAuth2Server
let gate: HealthGate
let keys: RecoveryKeyPair
/** Every secret value the test has seen: none may appear in any run's output. */
let secrets: Set<string>
let runNumber: number

beforeEach(async () => {
  peers = await startOAuth2Peers()
  ;({ github, oauth, gate } = peers)
  keys = await generateRecoveryKeyPair()
  const first = await seedRefreshTokenSecret(peers, REFRESH_SECRET)
  secrets = new Set([first, 'test-token', oauth.clients.basic.clientSecret, keys.privateKey])
  runNumber = 100
})
afterEach(async () => {
  await peers.close()
})

/** What the job's `${{ secrets.NAME }}` would read now. */
function secretValue(name: string): string | undefined {
  return github.getSecret(secretPath(name))?.value
}

/** One run of the action as a scheduled job would start it: with the secrets as they are now. */
async function rotate(
  inputs: Record<string, string> = {},
  options: { killWhen?: () => boolean; attempt?: number } = {}
): Promise<ActionRun> {
  // A re-run of the same workflow run keeps its id and counts up its attempt.
  if ((options.attempt ?? 1) === 1) runNumber += 1
  const refresh = secretValue(REFRESH_SECRET) ?? ''
  const access = secretValue(ACCESS_SECRET)
  const run = await runAction({
    inputs: {
      ...oauth2Inputs(peers),
      'refresh-token': refresh,
      'refresh-token-secret': REFRESH_SECRET,
      'secret-name': ACCESS_SECRET,
      'health-check-timeout': '3s',
      'recovery-public-key': keys.publicKey,
      'lock-expires-after': '10m',
      'write-interval': '10ms',
      ...(access === undefined ? {} : { 'previous-value': access }),
      ...inputs
    },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: String(options.attempt ?? 1)
    },
    ...(options.killWhen ? { killWhen: options.killWhen } : {})
  })
  for (const value of [secretValue(REFRESH_SECRET), secretValue(ACCESS_SECRET)]) {
    if (value !== undefined) secrets.add(value)
  }
  return run
}

function expectNoLeaks(run: ActionRun): void {
  const all = [...secrets, ...github.receivedCiphertexts]
  expect(all.flatMap(secret => leaks(run, secret))).toEqual([])
}

function record(): Record<string, unknown> {
  const variable = github.getVariable(REPO, STATE_VARIABLE)
  return variable ? (JSON.parse(variable.value) as Record<string, unknown>) : {}
}

function recoveryCiphertext(run: ActionRun): string {
  const match = /Recovery ciphertext[^:]*: ([A-Za-z0-9+/=]+)/.exec(run.stdout)
  if (!match?.[1]) throw new Error('the run logged no recovery ciphertext')
  return match[1]
}

/** Requests that started after `from` to the state variable with `method`. */
function stateWrites(from: number): number {
  return github.requests
    .slice(from)
    .filter(r => r.method === 'PATCH' && r.path === variablePath(STATE_VARIABLE)).length
}

describe('OAuth2 rotation through dist/index.js', () => {
  it('rotates ten times in a row: each access token works, each old refresh token is dead', async () => {
    const first = secretValue(REFRESH_SECRET) ?? ''
    const used: string[] = []
    for (let i = 0; i < 10; i++) {
      const before = secretValue(REFRESH_SECRET) ?? ''
      const run = await rotate()
      expect([run.exitCode, run.errors]).toEqual([0, []])
      expect(run.outputs.rotated).toBe('true')
      expect(run.outputs.status).toBe('rotated')
      used.push(before)
      const access = secretValue(ACCESS_SECRET) ?? ''
      expect(await oauth.isAccessTokenActive(access)).toBe(true)
      expect(run.outputs['recovery-ciphertext']).toMatch(/^[A-Za-z0-9+/]+=*$/)
      expectNoLeaks(run)
    }
    for (const old of used) expect(await oauth.isRefreshTokenActive(old)).toBe(false)
    expect(await oauth.isRefreshTokenActive(secretValue(REFRESH_SECRET) ?? '')).toBe(true)
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expect(record()).toMatchObject({ consecutiveFailures: 0 })
  })

  it('writes an audit log of every step and a summary table, with no value in either', async () => {
    const run = await rotate()
    expect(run.exitCode).toBe(0)
    const events = run.audit
      .trim()
      .split('\n')
      .map(line => JSON.parse(line) as { event: string; step?: string; outcome?: string })
    expect(events.filter(e => e.event === 'step').map(e => `${e.step}:${e.outcome}`)).toEqual([
      'preflight:ok',
      'mint:ok',
      'persist:ok',
      'publish:ok',
      'verify:ok',
      'promote:ok',
      'retire:skipped'
    ])
    expect(run.summary).toMatch(/\| mint \| ✅ ok \|/)
    expect(run.summary).toMatch(/\| repository \| octo\/app \| `API_ACCESS_TOKEN` \| ✅ created \|/)
    expectNoLeaks(run)
  })

  it('refuses a stale refresh token without touching the OAuth2 server or any secret', async () => {
    const stale = secretValue(REFRESH_SECRET) ?? ''
    expect((await rotate()).exitCode).toBe(0)
    const live = secretValue(REFRESH_SECRET)
    const access = secretValue(ACCESS_SECRET)
    const state = record()
    const tokenRequests = oauth.tokenRequests
    const run = await rotate({ 'refresh-token': stale })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(/refresh-token input is stale/)
    expect(oauth.tokenRequests).toBe(tokenRequests)
    expect([secretValue(REFRESH_SECRET), secretValue(ACCESS_SECRET)]).toEqual([live, access])
    expect(record()).toEqual(state)
    expect(await oauth.isRefreshTokenActive(live ?? '')).toBe(true)
    expectNoLeaks(run)
  })

  it('lets one of two runs started together rotate, and the grant stays alive', async () => {
    const first = secretValue(REFRESH_SECRET) ?? ''
    // The first run to reach its health check waits there until the other has read the lock it
    // could not take (the winner reads it once before minting): the two runs overlap however the
    // machine schedules them.
    const lockReads = () =>
      github.requests.filter(r => r.method === 'GET' && r.path.endsWith('_LOCK')).length
    gate.before = () => until(() => lockReads() >= 2)
    const [a, b] = await Promise.all([rotate(), rotate()])
    const codes = [a.exitCode, b.exitCode].sort()
    expect(codes).toEqual([0, 1])
    const loser = a.exitCode === 1 ? a : b
    expect(loser.errors.join('\n')).toMatch(/lock|stale/i)
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expect(await oauth.isAccessTokenActive(secretValue(ACCESS_SECRET) ?? '')).toBe(true)
    expectNoLeaks(a)
    expectNoLeaks(b)
  })

  it('puts previous-value back on the targets when the new token fails its health check', async () => {
    expect((await rotate()).exitCode).toBe(0)
    const previous = secretValue(ACCESS_SECRET)
    // The API refuses the new token only: the old one still works, so it is put back.
    gate.reject = authorization => authorization !== `Bearer ${previous ?? ''}`
    const run = await rotate()
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(/Health check failed/)
    expect(secretValue(ACCESS_SECRET)).toBe(previous)
    // The new refresh token is the only live one: kept, and the next run resumes from it.
    const kept = secretValue(REFRESH_SECRET) ?? ''
    expect(await oauth.isRefreshTokenActive(kept)).toBe(true)
    expectNoLeaks(run)
    gate.reject = undefined
    const rerun = await rotate()
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(await oauth.isAccessTokenActive(secretValue(ACCESS_SECRET) ?? '')).toBe(true)
    expectNoLeaks(rerun)
  })

  it('yields a recovery ciphertext that opens to the live token when the refresh token cannot be written', async () => {
    const first = secretValue(REFRESH_SECRET) ?? ''
    // The pre-flight re-seal passes; the write of the new token is refused from then on.
    github.faults.add({
      method: 'PUT',
      path: `/${secretPath(REFRESH_SECRET)}`,
      status: 403,
      skip: 1
    })
    const run = await rotate()
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(/could not be written.*recovery ciphertext/s)
    const recovered = await openRecovery(run.outputs['recovery-ciphertext'] ?? '', keys.privateKey)
    secrets.add(recovered)
    expect(await oauth.isRefreshTokenActive(recovered)).toBe(true)
    expect(secretValue(REFRESH_SECRET)).toBe(first)
    expectNoLeaks(run)
    // The operator stores the recovered token; the next run resumes from it.
    github.faults.clear()
    github.seedSecret(secretPath(REFRESH_SECRET), recovered)
    const rerun = await rotate()
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expectNoLeaks(rerun)
  })
})

describe('modes', () => {
  const writes = (from: number) =>
    github.requests.slice(from).filter(r => r.method !== 'GET').length

  it('verify: checks the current token, mints and writes nothing, and fails when it does not work', async () => {
    expect((await rotate()).exitCode).toBe(0)
    const tokenRequests = oauth.tokenRequests
    const from = github.requests.length
    const ok = await rotate({ mode: 'verify' })
    expect([ok.exitCode, ok.outputs.status, ok.outputs.rotated]).toEqual([0, 'verified', 'false'])
    expect(writes(from)).toBe(0)
    expect(oauth.tokenRequests).toBe(tokenRequests)
    gate.answer = 401
    const bad = await rotate({ mode: 'verify' })
    expect(bad.exitCode).toBe(1)
    expect(bad.errors.join('\n')).toMatch(/Health check failed: .*HTTP 401/)
    expectNoLeaks(ok)
    expectNoLeaks(bad)
  })

  it('dry run: plans the rotation without minting or writing', async () => {
    const from = github.requests.length
    const run = await rotate({ 'dry-run': 'true' })
    expect([run.exitCode, run.outputs.status]).toEqual([0, 'planned'])
    expect(run.summary).toMatch(/\| mint \| 📝 planned \|/)
    expect(writes(from)).toBe(0)
    expect(oauth.tokenRequests).toBe(0)
    expectNoLeaks(run)
  })

  it('rotate-if-older-than: a second run the same day rotates nothing', async () => {
    expect((await rotate({ 'rotate-if-older-than': '24h' })).exitCode).toBe(0)
    const tokenRequests = oauth.tokenRequests
    const from = github.requests.length
    const run = await rotate({ 'rotate-if-older-than': '24h' })
    expect([run.exitCode, run.outputs.status, run.outputs.rotated]).toEqual([0, 'not-due', 'false'])
    expect(oauth.tokenRequests).toBe(tokenRequests)
    // Nothing due, no secret written: only the lock and the record's list of runs.
    expect(github.requests.slice(from).filter(r => r.method === 'PUT')).toEqual([])
    expectNoLeaks(run)
  })

  it('revoke-previous: after revoking the old access token the new one is checked again, and a revoked grant is reported', async () => {
    expect((await rotate()).exitCode).toBe(0)
    // oidc-provider, as RFC 7009 allows, drops the whole grant with the revoked access token: the
    // re-check after the revocation is what tells the user at once.
    const run = await rotate({
      'revocation-url': oauth.revocationUrl,
      'revoke-previous': 'true',
      'grace-period': '0'
    })
    expect(oauth.revocationRequests).toBe(1)
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(/revoked the whole grant/)
    expectNoLeaks(run)
  })
})

describe('alerts', () => {
  it('opens an issue after alert-after failures in a row, comments on the next, closes it on success', async () => {
    const failing = { 'alert-after': '2', 'health-check-timeout': '1s' }
    gate.answer = 503
    const first = await rotate(failing)
    expect(first.exitCode).toBe(1)
    expect(github.getIssues(REPO)).toEqual([])
    await rotate(failing)
    expect(github.getIssues(REPO)).toMatchObject([
      {
        title: `Token rotation failing: ${REFRESH_SECRET}`,
        state: 'open',
        labels: ['token-rotation']
      }
    ])
    const third = await rotate(failing)
    expect(github.getIssues(REPO)[0]?.comments).toEqual([
      expect.stringMatching(/^Failed 3 times in a row: Health check failed/)
    ])
    gate.answer = undefined
    const fixed = await rotate({ 'alert-after': '2' })
    expect([fixed.exitCode, fixed.errors]).toEqual([0, []])
    expect(github.getIssues(REPO)[0]?.state).toBe('closed')
    for (const run of [first, third, fixed]) expectNoLeaks(run)
    const issue = github.getIssues(REPO)[0]
    const text = [issue?.body ?? '', ...(issue?.comments ?? [])].join('\n')
    expect([...secrets].filter(secret => text.includes(secret))).toEqual([])
  })
})

describe('a run killed after each step, then rerun', () => {
  /**
   * Kills the first run at `stop`, then re-runs it as GitHub's "Re-run jobs" does (same run id,
   * next attempt), after deleting the dead run's lock as its message says to: the lock cannot
   * tell a dead run from a live one, so it is never taken over before it expires.
   */
  async function killThenRerun(stop: () => boolean, options: { leaseOver?: boolean } = {}) {
    const killed = await rotate({}, { killWhen: stop })
    expect(killed.killed).toBe(true)
    expectNoLeaks(killed)
    github.faults.clear()
    oauth.faults.clear()
    gate.hold = false
    const locked = await rotate({}, { attempt: 2 })
    expect(locked.errors.join('\n')).toMatch(/Another rotation holds the lock .*gh variable delete/)
    expect(await deleteVariable(github, `${STATE_VARIABLE}_LOCK`)).toBe(204)
    // Deleting the lock does not prove the run dead: its marks wait for its lease to end. Eleven
    // minutes later by GitHub's clock the killed run's lease of ten minutes is over.
    if (options.leaseOver ?? true) github.clockOffsetMs = 11 * 60_000
    const rerun = await rotate({}, { attempt: 3 })
    expectNoLeaks(rerun)
    return { killed, rerun }
  }

  it('while minting: refuses to guess, then tries once when told the answer never arrived', async () => {
    oauth.faults.add({ endpoint: 'token', kind: 'delay-response', delayMs: 60_000 })
    const { killed, rerun: early } = await killThenRerun(() => oauth.tokenRequests > 0, {
      leaseOver: false
    })
    // The killed run never received the answer, so its log has no recovery ciphertext.
    expect(killed.stdout).not.toMatch(/Recovery ciphertext/)
    // Deleting the lock does not prove the run dead: until its lease ends it may still be minting.
    expect(early.exitCode).toBe(1)
    expect(early.errors.join('\n')).toMatch(/may still be minting.*Nothing was minted or written/)
    // Eleven minutes later by GitHub's clock, the killed run's lease of ten minutes is over.
    github.clockOffsetMs = 11 * 60_000
    const rerun = await rotate({}, { attempt: 4 })
    expectNoLeaks(rerun)
    expect(rerun.exitCode).toBe(1)
    expect(rerun.errors.join('\n')).toMatch(/stopped while exchanging this refresh token/)
    expect(oauth.tokenRequests).toBe(1)
    // Following the message: delete the record, and the next run tries the token once.
    expect(await deleteVariable(github, STATE_VARIABLE)).toBe(204)
    const third = await rotate()
    expect(third.exitCode).toBe(1)
    expect(third.errors.join('\n')).toMatch(/Re-authorization needed/)
    expectNoLeaks(third)
  })

  it('after minting, before persisting: refuses to reuse, and the ciphertext completes it', async () => {
    const first = secretValue(REFRESH_SECRET) ?? ''
    github.faults.add({
      method: 'PUT',
      path: `/${secretPath(REFRESH_SECRET)}`,
      delayMs: 60_000,
      skip: 1
    })
    const puts = () =>
      github.requests.filter(r => r.method === 'PUT' && r.path === `/${secretPath(REFRESH_SECRET)}`)
        .length
    const { killed, rerun } = await killThenRerun(() => puts() >= 2)
    expect(rerun.exitCode).toBe(1)
    expect(rerun.errors.join('\n')).toMatch(/recovery ciphertext/)
    expect(await oauth.isGrantAlive(first)).toBe(true)
    const recovered = await openRecovery(recoveryCiphertext(killed), keys.privateKey)
    secrets.add(recovered)
    github.seedSecret(secretPath(REFRESH_SECRET), recovered)
    const third = await rotate()
    expect([third.exitCode, third.errors]).toEqual([0, []])
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expectNoLeaks(third)
  })

  it('after persisting, before publishing: the rerun resumes without a reuse', async () => {
    const first = secretValue(REFRESH_SECRET) ?? ''
    github.faults.add({ method: 'PUT', path: `/${secretPath(ACCESS_SECRET)}`, delayMs: 60_000 })
    const { rerun } = await killThenRerun(() =>
      github.requests.some(r => r.method === 'PUT' && r.path === `/${secretPath(ACCESS_SECRET)}`)
    )
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(rerun.stdout).toMatch(/resumed the rotation of run/)
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expect(await oauth.isAccessTokenActive(secretValue(ACCESS_SECRET) ?? '')).toBe(true)
  })

  it('after publishing, before verifying: the rerun resumes without a reuse', async () => {
    const first = secretValue(REFRESH_SECRET) ?? ''
    gate.hold = true
    const { rerun } = await killThenRerun(() => gate.requests > 0)
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expect(await oauth.isAccessTokenActive(secretValue(ACCESS_SECRET) ?? '')).toBe(true)
  })

  it('after verifying, before promoting: the rerun resumes without a reuse', async () => {
    const first = secretValue(REFRESH_SECRET) ?? ''
    let from = Number.POSITIVE_INFINITY
    gate.onAnswer = () => {
      from = github.requests.length
      github.faults.add({ method: 'PATCH', path: variablePath(STATE_VARIABLE), delayMs: 60_000 })
    }
    const { rerun } = await killThenRerun(() => stateWrites(from) > 0)
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(await oauth.isGrantAlive(first)).toBe(true)
  })

  it('after promoting: the rerun rotates as usual', async () => {
    const first = secretValue(REFRESH_SECRET) ?? ''
    let from = Number.POSITIVE_INFINITY
    // The promotion writes the run's outcome with it; the next request releases the lock.
    const lock = variablePath(`${STATE_VARIABLE}_LOCK`)
    gate.onAnswer = () => {
      from = github.requests.length
      github.faults.add({ path: lock, delayMs: 60_000 })
    }
    const { rerun } = await killThenRerun(
      () => stateWrites(from) > 0 && github.requests.slice(from).some(r => r.path === lock)
    )
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expect(record()).toMatchObject({ consecutiveFailures: 0 })
  })
})

describe('persist-timeout', () => {
  it('gives up writing the new refresh token within the budget, with the ciphertext and nothing half-written', async () => {
    const first = secretValue(REFRESH_SECRET) ?? ''
    const path = `/${secretPath(REFRESH_SECRET)}`
    // The preflight check writes the secret once; every write after it fails.
    github.faults.add({ method: 'PUT', path, status: 503, skip: 1 })
    const run = await rotate({ 'persist-timeout': '12s' })
    expect(run.exitCode).toBe(1)
    // 12 s with 10 s kept for each attempt's request: one attempt, a 2 s wait, and a last attempt.
    expect(run.errors.join('\n')).toMatch(
      /within persist-timeout \(12s\): 2 attempts in [\d.]+s.*The old one is consumed.*recovery ciphertext/
    )
    expect(github.requests.filter(r => r.method === 'PUT' && r.path === path)).toHaveLength(3)
    // Nothing half-written: the secret holds the old token, the record names the new one pending.
    expect(secretValue(REFRESH_SECRET)).toBe(first)
    expect(secretValue(ACCESS_SECRET)).toBeUndefined()
    expect(record()).toMatchObject({ pending: { run: expect.stringContaining('run ') } })
    const ciphertext = run.outputs['recovery-ciphertext'] ?? ''
    expect(ciphertext).toMatch(/^[A-Za-z0-9+/]+=*$/)
    const recovered = await openRecovery(ciphertext, keys.privateKey)
    secrets.add(recovered)
    expect(await oauth.isRefreshTokenActive(recovered)).toBe(true)
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expectNoLeaks(run)
  })
})
