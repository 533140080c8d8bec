// AWS Secrets Manager through the bundled dist/index.js, with the real AWS SDK talking to the
// local Secrets Manager server (AWS JSON 1.1, SigV4 verified) through
// AWS_ENDPOINT_URL_SECRETS_MANAGER, a real rotating OAuth2 grant (oidc-provider), and the local
// GitHub server as the target and the lock's home. Each case checks the peers' state: which
// version carries which label, which refresh token is live, whether the grant survived.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { randomUUID } from 'node:crypto'
import { generateRecoveryKeyPair, type RecoveryKeyPair } from '../../src/recovery/recovery-key.js'
import { fingerprint } from '../../src/engine/fingerprint.js'
import { openRecovery } from '../../src/recovery/recovery-box.js'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import type { SecretsManagerServer } from '../../test-servers/aws/index.js'
import { until } from '../support/until.js'
import type { GitHubServer } from '../../test-servers/github/index.js'
import type { HealthGate } from '../../test-servers/health-gate.js'
import type { OAuth2Server } from '../../test-servers/oauth2/index.js'
import {
  AWS_ROLE_SESSION as SESSION,
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

let peers: OAuth2Peers
let awsPeer: AwsPeer
let github: GitHubServer
let oauth: OAuth2Server
let aws: SecretsManagerServer
let gate: HealthGate
let keys: RecoveryKeyPair
let home: string
/** Every secret value the test has seen: none may appear in any run's output. */
let secrets: Set<string>
let runNumber: number

beforeEach(async () => {
  peers = await startOAuth2Peers()
  ;({ github, oauth, gate } = peers)
  awsPeer = await startAwsPeer()
  ;({ aws, home } = awsPeer)
  keys = await generateRecoveryKeyPair()
  const first = await seedAwsRefreshToken(oauth, awsPeer, SECRET_ID)
  secrets = new Set([
    first,
    'test-token',
    oauth.clients.basic.clientSecret,
    keys.privateKey,
    SESSION.secretAccessKey,
    SESSION.sessionToken ?? ''
  ])
  runNumber = 100
})
afterEach(async () => {
  await awsPeer.close()
  await peers.close()
})

/** The refresh token a version holds. */
function tokenOf(label: string): string | undefined {
  const version = aws.stageOf(SECRET_ID, label)
  if (!version) return undefined
  return (JSON.parse(version.secretString) as { refresh_token: string }).refresh_token
}

function secretValue(name: string): string | undefined {
  return github.getSecret(secretPath(name))?.value
}

async function run(
  inputs: Record<string, string>,
  options: { killWhen?: () => boolean; attempt?: number; env?: Record<string, string> } = {}
): Promise<ActionRun> {
  if ((options.attempt ?? 1) === 1) runNumber += 1
  const result = await runAction({
    inputs: { 'github-token': 'test-token', 'write-interval': '10ms', ...inputs },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: String(options.attempt ?? 1),
      ...(options.env ?? awsJobEnv(awsPeer))
    },
    ...(options.killWhen ? { killWhen: options.killWhen } : {})
  })
  for (const version of aws.getSecret(SECRET_ID)?.versions ?? []) {
    if (version.secretString !== undefined) secrets.add(version.secretString)
    const token = tokenIn(version.secretString)
    if (token) secrets.add(token)
  }
  const access = secretValue(ACCESS_SECRET)
  if (access) secrets.add(access)
  return result
}

function tokenIn(text: string | undefined): string | undefined {
  try {
    return (JSON.parse(text ?? '') as { refresh_token?: string }).refresh_token
  } catch {
    return undefined
  }
}

/** One OAuth2 rotation with the refresh token in AWS, as a scheduled job starts it. */
function rotate(
  inputs: Record<string, string> = {},
  options: { killWhen?: () => boolean; attempt?: number } = {}
): Promise<ActionRun> {
  const access = secretValue(ACCESS_SECRET)
  return run(
    {
      ...oauth2Inputs(peers),
      'store-secret-id': SECRET_ID,
      'secret-name': ACCESS_SECRET,
      'health-check-timeout': '3s',
      'recovery-public-key': keys.publicKey,
      'lock-expires-after': '10m',
      ...(access === undefined ? {} : { 'previous-value': access }),
      ...inputs
    },
    options
  )
}

function expectNoLeaks(result: ActionRun): void {
  const all = [...secrets, ...github.receivedCiphertexts].filter(s => s !== '')
  expect(all.flatMap(secret => leaks(result, secret))).toEqual([])
  // The record in the secret's tags holds fingerprints and times only.
  const tags = Object.values(aws.getSecret(SECRET_ID)?.tags ?? {}).join('\n')
  expect(all.filter(secret => tags.includes(secret))).toEqual([])
}

/** Another writer (an operator, another workflow) puts a version with the AWS SDK. */
async function putVersion(secretId: string, value: string, stages: string[]): Promise<void> {
  const client = new SecretsManagerClient({
    endpoint: aws.url,
    region: aws.region,
    credentials: SESSION
  })
  await client.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      SecretString: value,
      ClientRequestToken: randomUUID(),
      VersionStages: stages
    })
  )
  client.destroy()
}

/** The position of the last request of `operation`, -1 if none. */
const lastIndexOf = (operation: string) =>
  aws.requests.findLastIndex(r => r.operation === operation)

const calls = (operation: string) => aws.requests.filter(r => r.operation === operation).length

describe('OAuth2 with the refresh token in AWS Secrets Manager', () => {
  it('rotates five times in a row: AWSCURRENT always the live token, AWSPREVIOUS the one before', async () => {
    const first = tokenOf('AWSCURRENT') ?? ''
    const used: string[] = []
    for (let i = 0; i < 5; i++) {
      const before = tokenOf('AWSCURRENT') ?? ''
      const result = await rotate()
      expect([result.exitCode, result.errors]).toEqual([0, []])
      expect([result.outputs.status, result.outputs.rotated]).toEqual(['rotated', 'true'])
      used.push(before)
      expect(tokenOf('AWSPREVIOUS')).toBe(before)
      expect(await oauth.isRefreshTokenActive(tokenOf('AWSCURRENT') ?? '')).toBe(true)
      expect(await oauth.isAccessTokenActive(secretValue(ACCESS_SECRET) ?? '')).toBe(true)
      expectNoLeaks(result)
    }
    for (const old of used) expect(await oauth.isRefreshTokenActive(old)).toBe(false)
    expect(await oauth.isGrantAlive(first)).toBe(true)
    // The other fields of the document are kept; the lock is released; the record is in tags.
    const current: unknown = JSON.parse(aws.stageOf(SECRET_ID, 'AWSCURRENT')?.secretString ?? '{}')
    expect(current).toMatchObject({ client: 'reporting' })
    expect(github.getVariable(REPO, LOCK_VARIABLE)).toBeUndefined()
    expect(aws.getSecret(SECRET_ID)?.tags).toMatchObject({
      'token-rotation:rotated-at': expect.stringMatching(/^\d{4}-/)
    })
    // No refresh-token input and no GitHub store: nothing was written to the repository's secrets
    // but the access token.
    expect(github.getSecret(secretPath('OAUTH_REFRESH_TOKEN'))).toBeUndefined()
  })

  it('puts previous-value back when the new token fails its check; the next run resumes from AWSPENDING', async () => {
    const first = tokenOf('AWSCURRENT') ?? ''
    expect((await rotate()).exitCode).toBe(0)
    const previous = secretValue(ACCESS_SECRET)
    const current = tokenOf('AWSCURRENT') ?? ''
    gate.reject = authorization => authorization !== `Bearer ${previous ?? ''}`
    const failed = await rotate()
    expect(failed.exitCode).toBe(1)
    expect(failed.errors.join('\n')).toMatch(/Health check failed/)
    expect(secretValue(ACCESS_SECRET)).toBe(previous)
    // Not promoted: AWSCURRENT still the consumed token, AWSPENDING the live one.
    expect(tokenOf('AWSCURRENT')).toBe(current)
    const pending = tokenOf('AWSPENDING') ?? ''
    expect(await oauth.isRefreshTokenActive(pending)).toBe(true)
    expectNoLeaks(failed)
    gate.reject = undefined
    const rerun = await rotate()
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(rerun.stdout).toMatch(/resumed the rotation/)
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expect(tokenOf('AWSPREVIOUS')).toBe(pending)
    expectNoLeaks(rerun)
  })

  it('lets exactly one of two runs started together promote, and the grant stays alive', async () => {
    const first = tokenOf('AWSCURRENT') ?? ''
    // The first run to reach its health check waits there until the other has asked for the
    // lock: the two runs overlap however the machine schedules them.
    const lockCreates = () =>
      github.requests.filter(r => r.method === 'POST' && r.path.endsWith('/actions/variables'))
        .length
    gate.before = () => until(() => lockCreates() >= 2)
    const [a, b] = await Promise.all([rotate(), rotate()])
    expect([a.exitCode, b.exitCode].sort()).toEqual([0, 1])
    const loser = a.exitCode === 1 ? a : b
    expect(loser.errors.join('\n')).toMatch(/Another rotation holds the lock/)
    const promotions = aws.requests.filter(
      r =>
        r.operation === 'UpdateSecretVersionStage' &&
        (r.body as { VersionStage?: string }).VersionStage === 'AWSCURRENT'
    )
    expect(promotions).toHaveLength(1)
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expect(await oauth.isRefreshTokenActive(tokenOf('AWSCURRENT') ?? '')).toBe(true)
    expectNoLeaks(a)
    expectNoLeaks(b)
  })

  it('stops at the compare-and-swap when another writer moved AWSCURRENT during the run', async () => {
    // Another writer (a second workflow outside the concurrency group, without the lock) stages
    // and promotes its own version while this run checks its token.
    const outsider = JSON.stringify({ client: 'reporting', refresh_token: 'outsider-token' })
    secrets.add(outsider)
    secrets.add('outsider-token')
    gate.before = () => putVersion(SECRET_ID, outsider, ['AWSCURRENT'])
    const result = await rotate()
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(/another writer changed the secret/)
    // Its own version stays staged, never made current over the other writer's.
    expect(tokenOf('AWSCURRENT')).toBe('outsider-token')
    expect(await oauth.isRefreshTokenActive(tokenOf('AWSPENDING') ?? '')).toBe(true)
    expectNoLeaks(result)
  })

  it('survives throttling and 5xx answers from Secrets Manager (the SDK retries them)', async () => {
    aws.faults.add({ kind: 'throttle', operation: 'PutSecretValue', times: 2 })
    aws.faults.add({ kind: 'error', status: 503, operation: 'UpdateSecretVersionStage' })
    const result = await rotate()
    expect([result.exitCode, result.errors]).toEqual([0, []])
    expect(await oauth.isRefreshTokenActive(tokenOf('AWSCURRENT') ?? '')).toBe(true)
    expectNoLeaks(result)
  })

  it('stages the same version again when the answer to PutSecretValue was lost', async () => {
    aws.faults.add({ kind: 'drop-after-processing', operation: 'PutSecretValue' })
    const before = aws.getSecret(SECRET_ID)?.versions.length ?? 0
    const result = await rotate()
    expect([result.exitCode, result.errors]).toEqual([0, []])
    // One new version, not two: the retry carried the same ClientRequestToken.
    expect(aws.getSecret(SECRET_ID)?.versions.length).toBe(before + 1)
    expectNoLeaks(result)
  })
})

describe('a run killed after each step, then rerun', () => {
  /** Kills the first run at `stop`, deletes its lock as its message says, and runs again. */
  async function killThenRerun(stop: () => boolean) {
    const killed = await rotate({}, { killWhen: stop })
    expect(killed.killed).toBe(true)
    expectNoLeaks(killed)
    aws.faults.clear()
    oauth.faults.clear()
    github.faults.clear()
    gate.hold = false
    const locked = await rotate({}, { attempt: 2 })
    expect(locked.errors.join('\n')).toMatch(/Another rotation holds the lock .*gh variable delete/)
    expect(await deleteVariable(github, LOCK_VARIABLE)).toBe(204)
    const rerun = await rotate({}, { attempt: 3 })
    expectNoLeaks(rerun)
    return { killed, rerun }
  }

  it('while minting: refuses to guess, then tries once when told the answer never arrived', async () => {
    oauth.faults.add({ endpoint: 'token', kind: 'delay-response', delayMs: 60_000 })
    const { rerun: early } = await killThenRerun(() => oauth.tokenRequests > 0)
    // Deleting the lock does not prove the run dead: until its lease ends it may still be minting.
    expect(early.errors.join('\n')).toMatch(/may still be minting.*Nothing was minted or written/)
    // Eleven minutes later by GitHub's clock, the killed run's lease of ten minutes is over.
    github.clockOffsetMs = 11 * 60_000
    const rerun = await rotate({}, { attempt: 4 })
    expectNoLeaks(rerun)
    expect(rerun.exitCode).toBe(1)
    expect(rerun.errors.join('\n')).toMatch(/stopped while exchanging this refresh token/)
    expect(rerun.errors.join('\n')).toMatch(/untag-resource/)
    expect(oauth.tokenRequests).toBe(1)
  })

  it('after minting, before persisting: refuses to reuse, and the ciphertext completes it', async () => {
    const first = tokenOf('AWSCURRENT') ?? ''
    // The token answer is slowed down so that the new version's write can be made to hang
    // while the preflight's idempotent PutSecretValue has already passed.
    oauth.faults.add({ endpoint: 'token', kind: 'delay-response', delayMs: 500 })
    let armed = false
    const { killed, rerun } = await killThenRerun(() => {
      if (!armed && oauth.tokenRequests > 0) {
        armed = true
        aws.faults.add({ kind: 'delay', operation: 'PutSecretValue', delayMs: 60_000 })
      }
      return armed && calls('PutSecretValue') >= 2
    })
    expect(rerun.exitCode).toBe(1)
    expect(rerun.errors.join('\n')).toMatch(/logged a recovery ciphertext/)
    expect(await oauth.isGrantAlive(first)).toBe(true)
    const match = /Recovery ciphertext[^:]*: ([A-Za-z0-9+/=]+)/.exec(killed.stdout)
    const recovered = await openRecovery(match?.[1] ?? '', keys.privateKey)
    secrets.add(recovered)
    // The operator stores it as the README says: put-secret-value keeping the JSON shape.
    await putVersion(SECRET_ID, JSON.stringify({ client: 'reporting', refresh_token: recovered }), [
      'AWSCURRENT'
    ])
    const third = await rotate()
    expect([third.exitCode, third.errors]).toEqual([0, []])
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expectNoLeaks(third)
  })

  it('after persisting, before publishing: the rerun resumes from AWSPENDING without a reuse', async () => {
    const first = tokenOf('AWSCURRENT') ?? ''
    github.faults.add({ method: 'PUT', path: `/${secretPath(ACCESS_SECRET)}`, delayMs: 60_000 })
    const { rerun } = await killThenRerun(() =>
      github.requests.some(r => r.method === 'PUT' && r.path === `/${secretPath(ACCESS_SECRET)}`)
    )
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(rerun.stdout).toMatch(/resumed the rotation/)
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expect(await oauth.isAccessTokenActive(secretValue(ACCESS_SECRET) ?? '')).toBe(true)
  })

  it('after publishing, before verifying: the rerun resumes without a reuse', async () => {
    const first = tokenOf('AWSCURRENT') ?? ''
    gate.hold = true
    const { rerun } = await killThenRerun(() => gate.requests > 0)
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(await oauth.isGrantAlive(first)).toBe(true)
    expect(await oauth.isAccessTokenActive(secretValue(ACCESS_SECRET) ?? '')).toBe(true)
  })

  it('after verifying, before promoting: the rerun resumes without a reuse', async () => {
    const first = tokenOf('AWSCURRENT') ?? ''
    gate.onAnswer = () => {
      aws.faults.add({ kind: 'delay', operation: 'UpdateSecretVersionStage', delayMs: 60_000 })
    }
    const { rerun } = await killThenRerun(() => calls('UpdateSecretVersionStage') > 0)
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(await oauth.isGrantAlive(first)).toBe(true)
  })

  it('after promoting: the rerun rotates as usual', async () => {
    const first = tokenOf('AWSCURRENT') ?? ''
    gate.onAnswer = () => {
      aws.faults.add({ kind: 'delay', operation: 'TagResource', delayMs: 60_000 })
    }
    // Killed at the first record write after the promotion.
    const { rerun } = await killThenRerun(() => {
      const promoted = lastIndexOf('UpdateSecretVersionStage')
      return promoted >= 0 && lastIndexOf('TagResource') > promoted
    })
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(await oauth.isGrantAlive(first)).toBe(true)
    // AWSPENDING, if left at all, is on the current version: nothing is half done.
    const pending = aws.stageOf(SECRET_ID, 'AWSPENDING')?.versionId
    expect([undefined, aws.stageOf(SECRET_ID, 'AWSCURRENT')?.versionId]).toContain(pending)
  })
})

describe('AWS rotates the secret with its rotation Lambda', () => {
  const LAMBDA_SECRET = 'prod/api-key'
  let generation: number

  beforeEach(() => {
    generation = 1
    aws.seedSecret(LAMBDA_SECRET, {
      secretString: 'api-key-1',
      rotation: {
        next: () => `api-key-${String((generation += 1))}`,
        outcome: 'succeed'
      }
    })
    secrets.add('api-key-1')
  })

  function lambdaRun(inputs: Record<string, string> = {}): Promise<ActionRun> {
    return run({
      issuer: 'aws-secrets-manager',
      'store-secret-id': LAMBDA_SECRET,
      'secret-name': 'API_KEY',
      'health-check-url': gate.url,
      'health-check-timeout': '3s',
      ...inputs
    })
  }

  const current = () => aws.stageOf(LAMBDA_SECRET, 'AWSCURRENT')?.secretString

  it('calls RotateSecret, waits for AWSCURRENT to move, publishes and checks the new value', async () => {
    gate.answer = 200
    const result = await lambdaRun()
    secrets.add(current() ?? '')
    expect([result.exitCode, result.errors]).toEqual([0, []])
    expect(current()).toBe('api-key-2')
    expect(secretValue('API_KEY')).toBe('api-key-2')
    expect(result.stdout).toMatch(/AWS stored the new value as version/)
    expectNoLeaks(result)
  })

  it('moves AWSCURRENT back and restores the targets when the new value fails its check', async () => {
    gate.answer = 200
    expect((await lambdaRun()).exitCode).toBe(0)
    gate.answer = undefined
    gate.reject = authorization => authorization === 'Bearer api-key-3'
    gate.accept = () => true
    secrets.add('api-key-3')
    const result = await lambdaRun()
    expect(result.exitCode).toBe(1)
    expect(current()).toBe('api-key-2')
    expect(aws.stageOf(LAMBDA_SECRET, 'AWSPREVIOUS')?.secretString).toBe('api-key-3')
    expect(secretValue('API_KEY')).toBe('api-key-2')
    // The outputs name what the targets hold at the end: the value put back.
    expect(result.outputs.version).toBe(fingerprint('api-key-2'))
    expectNoLeaks(result)
    // The next rotation starts from the version it moved back to, with a token of its own.
    gate.reject = undefined
    secrets.add('api-key-4')
    const next = await lambdaRun()
    expect([next.exitCode, next.errors]).toEqual([0, []])
    expect([current(), secretValue('API_KEY')]).toEqual(['api-key-4', 'api-key-4'])
    expectNoLeaks(next)
  })

  it('refuses a secret-fields field AWSCURRENT lacks before anything is rotated', async () => {
    aws.seedSecret('prod/db-login', {
      secretString: JSON.stringify({ username: 'app', password: 'db-pw-1' }),
      rotation: {
        next: () => JSON.stringify({ username: 'app', password: 'db-pw-2' }),
        outcome: 'succeed'
      }
    })
    secrets.add('db-pw-1')
    const result = await run({
      issuer: 'aws-secrets-manager',
      'store-secret-id': 'prod/db-login',
      'secret-fields': 'DB_PASSWORD=pasword'
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      /has no field 'pasword' \(its fields: username, password\).*Nothing was rotated/
    )
    expect(calls('RotateSecret')).toBe(0)
    expectNoLeaks(result)
  })

  it('refuses to rotate a JSON secret whose health check has no store-field', async () => {
    aws.seedSecret('prod/api-login', {
      secretString: JSON.stringify({ user: 'app', key: 'api-key-a1' }),
      rotation: {
        next: () => JSON.stringify({ user: 'app', key: 'api-key-a2' }),
        outcome: 'succeed'
      }
    })
    secrets.add('api-key-a1')
    const result = await run({
      issuer: 'aws-secrets-manager',
      'store-secret-id': 'prod/api-login',
      'secret-name': 'API_LOGIN',
      'health-check-url': gate.url
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(/is a JSON document: set store-field/)
    expect(calls('RotateSecret')).toBe(0)
    expect(gate.requests).toBe(0)
    expectNoLeaks(result)
  })

  it('reports a stranded AWSPENDING and publishes nothing', async () => {
    await putVersion(LAMBDA_SECRET, 'half-made', ['AWSPENDING'])
    secrets.add('half-made')
    // A rotation the action did not start is waited for, up to rotation-timeout.
    const result = await lambdaRun({ 'rotation-timeout': '2s' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      /AWSPENDING .* is stranded .* after 2 s .*update-secret-version-stage/
    )
    expect(calls('RotateSecret')).toBe(0)
    expect(secretValue('API_KEY')).toBeUndefined()
    expectNoLeaks(result)
  })

  it('rollback mode moves AWSCURRENT back to AWSPREVIOUS and publishes it again', async () => {
    gate.answer = 200
    expect((await lambdaRun()).exitCode).toBe(0)
    expect(secretValue('API_KEY')).toBe('api-key-2')
    const result = await lambdaRun({ mode: 'rollback' })
    expect([result.exitCode, result.errors]).toEqual([0, []])
    expect(result.outputs.status).toBe('rolled-back')
    // The record follows: no warning about it, and the published version is the restored one.
    expect(result.stdout).not.toMatch(/::warning/)
    expect(aws.getSecret(LAMBDA_SECRET)?.tags['token-rotation:published']).toMatch(
      new RegExp(`^${result.outputs.version ?? '-'} `)
    )
    expect(current()).toBe('api-key-1')
    expect(secretValue('API_KEY')).toBe('api-key-1')
    expectNoLeaks(result)
  })
})

describe('sync: issuer none publishes AWSCURRENT', () => {
  const DB_SECRET = 'prod/db'

  it('writes each JSON field to its own secret, and waits for replicas before the check', async () => {
    aws.seedSecret(DB_SECRET, {
      secretString: JSON.stringify({ username: 'reporting', password: 'db-password-1' }),
      replicas: [{ region: 'eu-west-1', status: 'InProgress' }]
    })
    secrets.add('db-password-1')
    gate.answer = 200
    const result = await run({
      'store-secret-id': DB_SECRET,
      'secret-fields': 'DB_USER=username, DB_PASSWORD=password',
      'health-check-url': gate.url,
      'store-field': 'password'
    })
    expect([result.exitCode, result.errors]).toEqual([0, []])
    expect(secretValue('DB_USER')).toBe('reporting')
    expect(secretValue('DB_PASSWORD')).toBe('db-password-1')
    expect(result.stdout).toMatch(/replicas in sync \(eu-west-1\)/)
    expect(result.outputs.status).toBe('published')
    expectNoLeaks(result)
  })

  it('verify mode checks the value AWSCURRENT holds, writing nothing', async () => {
    aws.seedSecret(DB_SECRET, { secretString: 'plain-value-4' })
    secrets.add('plain-value-4')
    gate.accept = authorization => authorization === 'Bearer plain-value-4'
    gate.reject = () => false
    const result = await run({
      'store-secret-id': DB_SECRET,
      'secret-name': 'PLAIN',
      mode: 'verify',
      'health-check-url': gate.url
    })
    expect([result.exitCode, result.errors]).toEqual([0, []])
    expect(result.outputs.status).toBe('verified')
    expect(secretValue('PLAIN')).toBeUndefined()
    expectNoLeaks(result)
  })

  it('verify mode needs no github-token when GitHub plays no part: nothing is sent to GitHub', async () => {
    aws.seedSecret(DB_SECRET, { secretString: 'plain-value-5' })
    secrets.add('plain-value-5')
    gate.accept = authorization => authorization === 'Bearer plain-value-5'
    gate.reject = () => false
    const before = github.requests.length
    const result = await run({
      'github-token': '',
      'store-secret-id': DB_SECRET,
      mode: 'verify',
      'health-check-url': gate.url
    })
    expect([result.exitCode, result.errors]).toEqual([0, []])
    expect(result.outputs.status).toBe('verified')
    expect(github.requests.length).toBe(before)
    expectNoLeaks(result)
  })

  it('fails the check when a replica failed, naming the region', async () => {
    aws.seedSecret(DB_SECRET, {
      secretString: 'plain-value-1',
      replicas: [{ region: 'eu-west-1', status: 'Failed' }]
    })
    secrets.add('plain-value-1')
    const result = await run({ 'store-secret-id': DB_SECRET, 'secret-name': 'PLAIN' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(/replica eu-west-1 Failed/)
    expectNoLeaks(result)
  })

  it('assumes the role through the SDK default chain (web identity, as GitHub OIDC provides)', async () => {
    aws.seedSecret(DB_SECRET, { secretString: 'plain-value-2' })
    secrets.add('plain-value-2')
    const tokenFile = join(home, 'web-identity-token')
    await writeFile(tokenFile, 'github-oidc-jwt-for-tests')
    const env = {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      AWS_ENDPOINT_URL_STS: aws.stsUrl,
      AWS_REGION: aws.region,
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/token-rotation',
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true'
    }
    const result = await run({ 'store-secret-id': DB_SECRET, 'secret-name': 'PLAIN' }, { env })
    expect([result.exitCode, result.errors]).toEqual([0, []])
    expect(secretValue('PLAIN')).toBe('plain-value-2')
    expect(aws.issuedCredentials.map(c => c.roleArn)).toEqual([env.AWS_ROLE_ARN])
    for (const issued of aws.issuedCredentials) {
      secrets.add(issued.secretAccessKey)
      secrets.add(issued.sessionToken)
    }
    expectNoLeaks(result)
  })

  it('says how to configure credentials when there are none', async () => {
    aws.seedSecret(DB_SECRET, { secretString: 'plain-value-3' })
    const env = {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      AWS_REGION: aws.region,
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true'
    }
    const result = await run({ 'store-secret-id': DB_SECRET, 'secret-name': 'PLAIN' }, { env })
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(/configure-aws-credentials with role-to-assume/)
    expect(secretValue('PLAIN')).toBeUndefined()
  })
})
