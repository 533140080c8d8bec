// The races of races.test.ts with the refresh token in AWS Secrets Manager: its lock is a GitHub
// variable too, and its minting mark is a tag of the secret. Real rotating grant (oidc-provider),
// the AWS SDK against the local Secrets Manager server, dist/index.js as the runner runs it.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { generateRecoveryKeyPair, type RecoveryKeyPair } from '../../src/recovery/recovery-key.js'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import type { SecretsManagerServer } from '../../test-servers/aws/index.js'
import type { GitHubServer } from '../../test-servers/github/index.js'
import type { OAuth2Server } from '../../test-servers/oauth2/index.js'
import {
  SCENARIO_REPO as REPO,
  awsJobEnv,
  oauth2Inputs,
  secretPath,
  seedAwsRefreshToken,
  startAwsPeer,
  startOAuth2Peers,
  deleteVariable,
  type AwsPeer,
  type OAuth2Peers
} from '../support/scenario-world.js'

const SECRET_ID = 'prod/oauth'
const ACCESS_SECRET = 'API_ACCESS_TOKEN'
const LOCK_VARIABLE = 'TOKEN_ROTATION_PROD_OAUTH_LOCK'
const VARIABLES = `/repos/${REPO}/actions/variables`
const LOCK_PATH = `${VARIABLES}/${LOCK_VARIABLE}`
const MINUTE = 60_000

let peers: OAuth2Peers
let awsPeer: AwsPeer
let github: GitHubServer
let oauth: OAuth2Server
let aws: SecretsManagerServer
let keys: RecoveryKeyPair
let first: string
let secrets: Set<string>
let runNumber: number

beforeEach(async () => {
  peers = await startOAuth2Peers()
  ;({ github, oauth } = peers)
  awsPeer = await startAwsPeer()
  aws = awsPeer.aws
  keys = await generateRecoveryKeyPair()
  first = await seedAwsRefreshToken(oauth, awsPeer, SECRET_ID)
  secrets = new Set([first, 'test-token', oauth.clients.basic.clientSecret, keys.privateKey])
  runNumber = 100
})
afterEach(async () => {
  await awsPeer.close()
  await peers.close()
})

function liveToken(): string {
  const version = aws.stageOf(SECRET_ID, 'AWSCURRENT')
  return (
    (JSON.parse(version?.secretString ?? '{}') as { refresh_token?: string }).refresh_token ?? ''
  )
}

/** One OAuth2 rotation with the refresh token in AWS, as a scheduled job starts it. */
async function rotate(): Promise<ActionRun> {
  runNumber += 1
  const access = github.getSecret(secretPath(ACCESS_SECRET))?.value
  const result = await runAction({
    inputs: {
      ...oauth2Inputs(peers),
      'write-interval': '10ms',
      'store-secret-id': SECRET_ID,
      'secret-name': ACCESS_SECRET,
      'health-check-timeout': '3s',
      'recovery-public-key': keys.publicKey,
      'lock-expires-after': '10m',
      ...(access === undefined ? {} : { 'previous-value': access })
    },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: '1',
      ...awsJobEnv(awsPeer)
    }
  })
  for (const version of aws.getSecret(SECRET_ID)?.versions ?? []) {
    if (version.secretString !== undefined) secrets.add(version.secretString)
  }
  secrets.add(liveToken())
  if (access) secrets.add(access)
  return result
}

function expectNoLeaks(...runs: ActionRun[]): void {
  const all = [...secrets, ...github.receivedCiphertexts].filter(s => s !== '')
  for (const run of runs) expect(all.flatMap(secret => leaks(run, secret))).toEqual([])
}

async function expectGrantAlive(): Promise<void> {
  expect(await oauth.isGrantAlive(first)).toBe(true)
  const requests = oauth.tokenRequests
  const final = await rotate()
  expect([final.exitCode, final.errors]).toEqual([0, []])
  expect(oauth.tokenRequests).toBe(requests + 1)
  expect(await oauth.isRefreshTokenActive(liveToken())).toBe(true)
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise(resolve => setTimeout(resolve, 10))
}

describe('AWS store: runs racing for the lock', () => {
  it('three runs find a dead run lock expired, with slow lock requests: one takes it over and mints once', async () => {
    const dead = { owner: 'run 7 attempt 1', token: 'dead', generation: 1, ttlMs: 10 * MINUTE }
    github.seedVariable(
      REPO,
      LOCK_VARIABLE,
      JSON.stringify(dead),
      new Date(github.now().getTime() - 20 * MINUTE)
    )
    github.faults.add({ method: 'DELETE', path: LOCK_PATH, delayMs: 800, times: 1 })
    github.faults.add({ method: 'PATCH', path: LOCK_PATH, delayMs: 500, times: 1 })

    const runs = await Promise.all([rotate(), rotate(), rotate()])

    expect(oauth.tokenRequests).toBe(1)
    expect(runs.filter(run => run.exitCode === 0)).toHaveLength(1)
    for (const loser of runs.filter(run => run.exitCode !== 0)) {
      expect(loser.errors.join('\n')).toMatch(/lock/)
    }
    expectNoLeaks(...runs)
    await expectGrantAlive()
  })

  it('the lock deleted under a live run right before it mints: its minting tag keeps the next run off', async () => {
    const from = github.requests.length
    // The live run's re-check of the lock, after its minting mark (a tag of the secret), is slow.
    github.faults.add({ method: 'GET', path: LOCK_PATH, delayMs: 3_000, times: 1 })
    const live = rotate()
    await until(() =>
      github.requests.slice(from).some(r => r.method === 'GET' && r.path === LOCK_PATH)
    )
    await deleteVariable(github, LOCK_VARIABLE)
    const next = await rotate()
    const holder = await live

    expect(oauth.tokenRequests).toBe(0)
    expect(holder.errors.join('\n')).toMatch(
      /Refused to mint: the lock .* was deleted (or overwritten )?by someone else/
    )
    expect(next.errors.join('\n')).toMatch(/may still be minting.*Nothing was minted or written/)
    expect(aws.getSecret(SECRET_ID)?.tags['token-rotation:minting']).toMatch(/ until=\S+ run /)
    expect(await oauth.isRefreshTokenActive(first)).toBe(true)
    expectNoLeaks(holder, next)
  })
})
