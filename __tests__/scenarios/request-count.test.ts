// What one rotation costs in requests, as the local GitHub server counted them: the public key read
// once for the store and the target, alongside the record's read; the promotion and the run in one
// record write; no alert-issue lookup when there is nothing to open, comment on or close.
import { setTimeout as delay } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { runAction, type ActionRun } from '../../test-servers/action-runner.js'
import type { GitHubServer, RecordedRequest } from '../../test-servers/github/index.js'
import type { HealthGate } from '../../test-servers/health-gate.js'
import type { OAuth2Server } from '../../test-servers/oauth2/index.js'
import {
  SCENARIO_REPO as REPO,
  oauth2Inputs,
  secretPath,
  seedRefreshTokenSecret,
  startOAuth2Peers,
  type OAuth2Peers
} from '../support/scenario-world.js'
import { until } from '../support/until.js'

const REFRESH_SECRET = 'OAUTH_REFRESH_TOKEN'
const ACCESS_SECRET = 'API_ACCESS_TOKEN'
const STATE_VARIABLE = `${REFRESH_SECRET}_STATE`
const LOCK_VARIABLE = `${STATE_VARIABLE}_LOCK`

let peers: OAuth2Peers
let github: GitHubServer
let oauth: OAuth2Server
let gate: HealthGate
let runNumber: number

beforeEach(async () => {
  peers = await startOAuth2Peers()
  ;({ github, oauth, gate } = peers)
  await seedRefreshTokenSecret(peers, REFRESH_SECRET)
  runNumber = 100
})
afterEach(async () => {
  await peers.close()
})

/** One scheduled run, with the secrets as they are now; returns the run and its requests. */
async function rotate(
  inputs: Record<string, string> = {}
): Promise<{ run: ActionRun; requests: RecordedRequest[] }> {
  runNumber += 1
  const from = github.requests.length
  const access = github.getSecret(secretPath(ACCESS_SECRET))?.value
  const run = await runAction({
    inputs: {
      ...oauth2Inputs(peers),
      'refresh-token': github.getSecret(secretPath(REFRESH_SECRET))?.value ?? '',
      'refresh-token-secret': REFRESH_SECRET,
      'secret-name': ACCESS_SECRET,
      'health-check-timeout': '1s',
      'write-interval': '0',
      ...(access === undefined ? {} : { 'previous-value': access }),
      ...inputs
    },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: '1'
    }
  })
  return { run, requests: github.requests.slice(from) }
}

/** A request named by what it touches: `record PATCH`, `refresh secret PUT`, `public key GET`. */
function kind(r: RecordedRequest): string {
  if (r.path.endsWith('/secrets/public-key')) return `public key ${r.method}`
  if (r.path === `/${secretPath(REFRESH_SECRET)}`) return `refresh secret ${r.method}`
  if (r.path === `/${secretPath(ACCESS_SECRET)}`) return `target secret ${r.method}`
  if (r.path.endsWith(`/variables/${LOCK_VARIABLE}`)) return `lock ${r.method}`
  if (r.path.endsWith(`/variables/${STATE_VARIABLE}`)) return `record ${r.method}`
  if (r.path.endsWith('/actions/variables')) return `variable ${r.method}`
  if (r.path.includes('/issues')) return `alert issue ${r.method}`
  return `${r.method} ${r.path}`
}

/** The kinds in arrival order, without the lock's own reads (how the lock is kept is its business). */
function sequence(requests: readonly RecordedRequest[]): string[] {
  return requests.map(kind).filter(k => k !== 'lock GET')
}

describe('requests of one rotation, as the GitHub server counted them', () => {
  it('reads the public key once, writes the promotion and the run in one PATCH, and skips the alert lookup after a success', async () => {
    const first = await rotate()
    expect([first.run.exitCode, first.run.errors]).toEqual([0, []])
    const { run, requests } = await rotate()
    expect([run.exitCode, run.errors]).toEqual([0, []])
    expect(oauth.tokenRequests).toBe(2)
    const kinds = sequence(requests)
    // The record and the key are read together; which arrives first is the scheduler's choice.
    expect(kinds.slice(1, 3).sort()).toEqual(['public key GET', 'record GET'])
    expect([kinds[0], ...kinds.slice(3)]).toEqual([
      'variable POST', // the lock
      'refresh secret PUT', // the check: the store can be written before anything is consumed
      'record PATCH', // minting
      'record PATCH', // pending
      'refresh secret PUT', // persist
      'target secret PUT', // publish
      'record PATCH', // promoted, with this run in its history
      'lock DELETE'
    ])
    const record = JSON.parse(github.getVariable(REPO, STATE_VARIABLE)?.value ?? '{}') as {
      consecutiveFailures: number
      runs: { id: string; outcome: string }[]
    }
    expect(record.consecutiveFailures).toBe(0)
    expect(record.runs.map(r => r.outcome)).toEqual(['rotated', 'rotated'])
  })

  it('sends the public key request while the record read is still in flight', async () => {
    await rotate()
    // The record read is held at the server until the key request arrives (or, when the key is
    // read only after the record, for ten seconds): a loaded machine cannot reorder the two.
    const from = github.requests.length
    const keyArrived = until(() =>
      github.requests.slice(from).some(r => kind(r) === 'public key GET')
    )
    github.faults.add({
      method: 'GET',
      path: `/repos/${REPO}/actions/variables/${STATE_VARIABLE}`,
      holdUntil: Promise.race([keyArrived, delay(10_000, undefined, { ref: false })]),
      times: 1
    })
    const { run, requests } = await rotate()
    expect(run.exitCode).toBe(0)
    const record = requests.find(r => kind(r) === 'record GET')
    const key = requests.find(r => kind(r) === 'public key GET')
    expect(key?.startedAt).toBeLessThan(record?.endedAt ?? 0)
  })

  it('looks up the alert issue only when the record says a run failed, or names no earlier run', async () => {
    const lookups = (requests: readonly RecordedRequest[]) =>
      requests.filter(r => kind(r) === 'alert issue GET').length
    // A first run: a record deleted after failures (to start afresh) may have left an issue open.
    const first = await rotate({ 'alert-after': '2' })
    expect(first.run.exitCode).toBe(0)
    expect(lookups(first.requests)).toBe(1)
    // A failure below alert-after neither opens nor comments: nothing to look up.
    gate.answer = 503
    const failed = await rotate({ 'alert-after': '2' })
    expect(failed.run.exitCode).toBe(1)
    expect(lookups(failed.requests)).toBe(0)
    // The success after a failure closes what may be open, so it looks.
    gate.answer = undefined
    const fixed = await rotate({ 'alert-after': '2' })
    expect([fixed.run.exitCode, fixed.run.errors]).toEqual([0, []])
    expect(lookups(fixed.requests)).toBe(1)
    // And the success after that has nothing to close.
    const again = await rotate({ 'alert-after': '2' })
    expect(again.run.exitCode).toBe(0)
    expect(lookups(again.requests)).toBe(0)
  })

  it('writes the run again when it fails after the promotion, counted as a failure', async () => {
    await rotate()
    // oidc-provider drops the whole grant with the revoked access token (RFC 7009 allows it): the
    // retire step, after the promotion, fails its re-check.
    const { run, requests } = await rotate({
      'revocation-url': oauth.revocationUrl,
      'revoke-previous': 'true',
      'grace-period': '0'
    })
    expect(run.exitCode).toBe(1)
    const afterPublish = sequence(requests).slice(
      sequence(requests).indexOf('target secret PUT') + 1
    )
    expect(afterPublish.filter(k => k === 'record PATCH').length).toBeGreaterThanOrEqual(2)
    const record = JSON.parse(github.getVariable(REPO, STATE_VARIABLE)?.value ?? '{}') as {
      consecutiveFailures: number
      runs: { outcome: string }[]
    }
    expect(record.consecutiveFailures).toBe(1)
    expect(record.runs.map(r => r.outcome)).toEqual([expect.stringMatching(/^failed: /), 'rotated'])
  })
})
