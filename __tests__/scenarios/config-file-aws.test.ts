// Issue 10's fleet through the bundled dist/index.js: one configuration file of every kind of
// credential (OAuth2 with the GitHub store, OAuth2 with the AWS store, a sync from AWS, a plain
// publish) in one run, with one more credential whose issuer refuses it. Every assertion reads
// what the local peers hold at the end: oidc-provider's grants and tokens, the Secrets Manager
// server's versions, labels and tags, the GitHub server's opened secrets and variables.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import {
  AWS_ROLE_SESSION as SESSION,
  SCENARIO_REPO as REPO,
  awsJobEnv,
  secretPath,
  seedAwsRefreshToken,
  seedRefreshTokenSecret,
  startAwsPeer,
  startOAuth2Peers,
  type AwsPeer,
  type OAuth2Peers
} from '../support/scenario-world.js'

/** Where the refresh token of `analytics-api` lives: rotated, its versions moved by the action. */
const ANALYTICS_SECRET = 'prod/analytics-oauth'
/** Where the refresh token of `broken` lives: its issuer refuses the client, so nothing moves. */
const BROKEN_SECRET = 'prod/broken-oauth'
/** What `db-sync` publishes: a JSON document, one field per GitHub secret. */
const DB_SECRET = 'prod/db'
const DB_USER = 'db-user-analytics'
const DB_PASSWORD = 'db-password-5c81e2'
const PLAIN_VALUE = 'plain-value-3e9b40'

let peers: OAuth2Peers
let awsPeer: AwsPeer
let workspace: string

beforeEach(async () => {
  peers = await startOAuth2Peers()
  awsPeer = await startAwsPeer()
  workspace = await mkdtemp(join(tmpdir(), 'workspace-'))
})
afterEach(async () => {
  await awsPeer.close()
  await peers.close()
  await rm(workspace, { recursive: true, force: true })
})

function secretValue(name: string): string | undefined {
  return peers.github.getSecret(secretPath(name))?.value
}

/** The refresh token in the version of `secretId` that carries `label`. */
function awsToken(secretId: string, label: string): string | undefined {
  const text = awsPeer.aws.stageOf(secretId, label)?.secretString
  return text === undefined
    ? undefined
    : (JSON.parse(text) as { refresh_token: string }).refresh_token
}

/** Each version of `secretId`, oldest first, by its labels. */
function labels(secretId: string): string[][] {
  return (awsPeer.aws.getSecret(secretId)?.versions ?? []).map(v => [...v.stages].sort())
}

/**
 * Five credentials: the four kinds of issue 10, and `broken` second, so that the ones after a
 * failure are seen to run to their end too.
 */
function fleetFile(): string {
  const { oauth, gate } = peers
  const check = `health-check: { url: ${gate.url}, timeout: 3s }`
  const issuer = (secret: string) => `
    issuer:
      kind: oauth2
      token-url: ${oauth.tokenUrl}
      client-id: ${oauth.clients.basic.clientId}
      client-secret: { env: ${secret} }`
  return `version: 1
defaults:
  retire: { grace-period: 15m }
credentials:
  partner-api:${issuer('PARTNER_CLIENT_SECRET')}
      refresh-token: { env: PARTNER_REFRESH_TOKEN }
    store: { kind: github, secret: PARTNER_REFRESH_TOKEN, lock-expires-after: 10m }
    publish:
      - github: { secret: PARTNER_TOKEN, repositories: [${REPO}] }
    ${check}
  broken:${issuer('BROKEN_CLIENT_SECRET')}
    store: { kind: aws-secrets-manager, secret-id: ${BROKEN_SECRET}, lock-expires-after: 10m }
    publish:
      - github: { secret: BROKEN_TOKEN, repositories: [${REPO}] }
    ${check}
  analytics-api:${issuer('PARTNER_CLIENT_SECRET')}
    store: { kind: aws-secrets-manager, secret-id: ${ANALYTICS_SECRET}, lock-expires-after: 10m }
    publish:
      - github: { secret: ANALYTICS_TOKEN, repositories: [${REPO}] }
    ${check}
  db-sync:
    issuer: { kind: none }
    store: { kind: aws-secrets-manager, secret-id: ${DB_SECRET}, field: password }
    ${check}
    publish:
      - github: { secret: DB_USER, field: username, repositories: [${REPO}] }
      - github: { secret: DB_PASSWORD, field: password, repositories: [${REPO}] }
  plain:
    issuer: { kind: none, value: { env: PLAIN_VALUE } }
    publish:
      - github: { secret: PLAIN_SECRET, repositories: [${REPO}] }
`
}

interface Result {
  credential: string
  status: string
  rotated: boolean
  version: string
  published: number
  failed: number
  error?: string
}

function results(action: ActionRun): Result[] {
  return JSON.parse(action.outputs.results ?? '[]') as Result[]
}

describe('a configuration file of every kind of credential, in one run', () => {
  it('rotates, syncs and publishes each in isolation while one issuer fails; the step fails', async () => {
    const { oauth, github, gate } = peers
    const { aws } = awsPeer
    const partnerFirst = await seedRefreshTokenSecret(peers, 'PARTNER_REFRESH_TOKEN')
    const analyticsFirst = await seedAwsRefreshToken(oauth, awsPeer, ANALYTICS_SECRET)
    const brokenFirst = await seedAwsRefreshToken(oauth, awsPeer, BROKEN_SECRET)
    aws.seedSecret(DB_SECRET, {
      secretString: JSON.stringify({ username: DB_USER, password: DB_PASSWORD })
    })
    // The sync's check sends the password; the gate knows it, as the database would.
    gate.accept = authorization => authorization === `Bearer ${DB_PASSWORD}`
    await writeFile(join(workspace, 'rotation.yml'), fleetFile())

    const action = await runAction({
      inputs: { 'github-token': 'test-token', 'write-interval': '10ms', config: 'rotation.yml' },
      env: {
        ...awsJobEnv(awsPeer),
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: REPO,
        GITHUB_RUN_ID: '301',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_WORKSPACE: workspace,
        PARTNER_CLIENT_SECRET: oauth.clients.basic.clientSecret,
        PARTNER_REFRESH_TOKEN: partnerFirst,
        BROKEN_CLIENT_SECRET: 'not-the-client-secret',
        PLAIN_VALUE
      }
    })

    // The step fails because one credential failed; every other one ran to its end.
    expect(action.exitCode).toBe(1)
    expect(results(action)).toEqual([
      expect.objectContaining({ credential: 'partner-api', status: 'rotated', published: 1 }),
      expect.objectContaining({ credential: 'broken', status: 'failed', rotated: false }),
      expect.objectContaining({ credential: 'analytics-api', status: 'rotated', published: 1 }),
      expect.objectContaining({ credential: 'db-sync', status: 'published', published: 2 }),
      expect.objectContaining({ credential: 'plain', status: 'published', published: 1 })
    ])
    expect(results(action).map(r => r.failed)).toEqual([0, 0, 0, 0, 0])
    expect(results(action)[1]).toMatchObject({
      published: 0,
      error: expect.stringMatching(/invalid_client|client/i)
    })
    expect(action.errors.join('\n')).toMatch(/1 of 5 credentials failed: broken\./)
    expect(action.summary).toMatch(/Token rotation: 5 credentials, 1 failed/)

    // partner-api: the GitHub store holds the new refresh token; the old one is spent, the grant
    // lives, the published access token works.
    const partnerNow = secretValue('PARTNER_REFRESH_TOKEN') ?? ''
    expect(partnerNow).not.toBe(partnerFirst)
    expect(await oauth.isRefreshTokenActive(partnerNow)).toBe(true)
    expect(await oauth.isRefreshTokenActive(partnerFirst)).toBe(false)
    expect(await oauth.isGrantAlive(partnerFirst)).toBe(true)
    expect(await oauth.isAccessTokenActive(secretValue('PARTNER_TOKEN') ?? '')).toBe(true)
    expect(github.getVariable(REPO, 'PARTNER_REFRESH_TOKEN_STATE')?.value).toMatch(
      /"rotatedAt":"\d{4}-/
    )

    // analytics-api: a second version, promoted; the first is AWSPREVIOUS and spent; the other
    // field of the document kept; the record in the secret's tags, nothing pending.
    expect(labels(ANALYTICS_SECRET)).toEqual([['AWSPREVIOUS'], ['AWSCURRENT']])
    expect(awsToken(ANALYTICS_SECRET, 'AWSPREVIOUS')).toBe(analyticsFirst)
    const analyticsNow = awsToken(ANALYTICS_SECRET, 'AWSCURRENT') ?? ''
    expect(await oauth.isRefreshTokenActive(analyticsNow)).toBe(true)
    expect(await oauth.isRefreshTokenActive(analyticsFirst)).toBe(false)
    expect(await oauth.isGrantAlive(analyticsFirst)).toBe(true)
    expect(await oauth.isAccessTokenActive(secretValue('ANALYTICS_TOKEN') ?? '')).toBe(true)
    expect(
      JSON.parse(aws.stageOf(ANALYTICS_SECRET, 'AWSCURRENT')?.secretString ?? '{}')
    ).toMatchObject({ client: 'reporting' })
    const analyticsTags = aws.getSecret(ANALYTICS_SECRET)?.tags ?? {}
    expect(analyticsTags).toMatchObject({
      'token-rotation:rotated-at': expect.stringMatching(/^\d{4}-/),
      'token-rotation:published': expect.stringMatching(
        new RegExp(`^${results(action)[2]?.version ?? '-'} `)
      )
    })
    for (const tag of ['pending', 'minting', 'failures']) {
      expect(analyticsTags[`token-rotation:${tag}`]).toBeUndefined()
    }

    // broken: its issuer refused the client before any exchange, so its refresh token is
    // untouched and still good; nothing staged or published; the failure counted in its record.
    expect(labels(BROKEN_SECRET)).toEqual([['AWSCURRENT']])
    expect(awsToken(BROKEN_SECRET, 'AWSCURRENT')).toBe(brokenFirst)
    expect(await oauth.isRefreshTokenActive(brokenFirst)).toBe(true)
    expect(aws.getSecret(BROKEN_SECRET)?.tags).toMatchObject({ 'token-rotation:failures': '1' })
    expect(secretValue('BROKEN_TOKEN')).toBeUndefined()

    // db-sync: each field under its own name, read from AWSCURRENT, which a sync never changes.
    expect([secretValue('DB_USER'), secretValue('DB_PASSWORD')]).toEqual([DB_USER, DB_PASSWORD])
    expect(labels(DB_SECRET)).toEqual([['AWSCURRENT']])
    expect(aws.getSecret(DB_SECRET)?.tags).toEqual({})

    // plain: the value given, published as it is.
    expect(secretValue('PLAIN_SECRET')).toBe(PLAIN_VALUE)

    // Every lock released, the failed credential's too.
    for (const lock of [
      'PARTNER_REFRESH_TOKEN_STATE_LOCK',
      'TOKEN_ROTATION_PROD_ANALYTICS_OAUTH_LOCK',
      'TOKEN_ROTATION_PROD_BROKEN_OAUTH_LOCK'
    ]) {
      expect(github.getVariable(REPO, lock)).toBeUndefined()
    }
    // The secrets written on GitHub: every target but the failed credential's.
    const written = github.requests
      .filter(r => r.method === 'PUT' && r.path.includes('/actions/secrets/'))
      .map(r => r.path.split('/').pop())
    expect([...new Set(written)].sort()).toEqual(
      [
        'DB_PASSWORD',
        'DB_USER',
        'PARTNER_REFRESH_TOKEN',
        'PARTNER_TOKEN',
        'PLAIN_SECRET',
        'ANALYTICS_TOKEN'
      ].sort()
    )

    const secrets = [
      partnerFirst,
      partnerNow,
      analyticsFirst,
      analyticsNow,
      brokenFirst,
      DB_PASSWORD,
      PLAIN_VALUE,
      oauth.clients.basic.clientSecret,
      SESSION.secretAccessKey,
      SESSION.sessionToken ?? '',
      secretValue('PARTNER_TOKEN') ?? '',
      secretValue('ANALYTICS_TOKEN') ?? '',
      ...github.receivedCiphertexts
    ].filter(secret => secret !== '')
    expect(secrets.flatMap(secret => leaks(action, secret))).toEqual([])
  })
})
