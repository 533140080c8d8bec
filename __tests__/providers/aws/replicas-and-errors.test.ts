// The AWS parts around the store and the issuers: the wait for a secret's replicas (against the
// local Secrets Manager server, on a fake clock), what every SDK failure becomes (real SDK errors
// from the local server, a closed port and a client without a region), and the targets and health
// check of one JSON field of the value (against the local GitHub server).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  SecretsManagerClient,
  SecretsManagerServiceException,
  type SecretsManagerClientConfig
} from '@aws-sdk/client-secrets-manager'
import { toAwsError } from '../../../src/providers/aws/errors.js'
import { waitForReplicas } from '../../../src/providers/aws/replicas.js'
import { AwsSecret } from '../../../src/providers/aws/secret.js'
import type { HealthCheck, HealthResult, Sleep } from '../../../src/engine/ports.js'
import { ActionError } from '../../../src/errors.js'
import { createGitHubClient } from '../../../src/providers/github/client.js'
import { fieldHealthCheck } from '../../../src/document/document-fields.js'
import { fieldTargets } from '../../../src/providers/github/field-targets.js'
import { SecretPublisher } from '../../../src/providers/github/publisher.js'
import type { SecretTarget } from '../../../src/providers/github/targets.js'
import {
  startSecretsManagerServer,
  type ReplicaSeed,
  type SecretsManagerServer,
  type SecretsManagerServerOptions
} from '../../../test-servers/aws/index.js'
import { startGitHubServer, type GitHubServer } from '../../../test-servers/github/index.js'
import { MemoryClock } from '../../support/engine-ports.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const SECRET_ID = 'prod/db'
const VALUE = JSON.stringify({ username: 'svc-db', password: 'pw-4c1e9a7b', port: 5432 })
/** What a PutSecretValue sends: it must never come back in a message. */
const SENT_VALUE = 'sent-value-d2a8f61c0b'

let log: MemoryLogger
let clients: SecretsManagerClient[]

beforeEach(() => {
  log = new MemoryLogger()
  clients = []
})
afterEach(() => {
  for (const client of clients) client.destroy()
})

function sdkClient(
  server: SecretsManagerServer,
  overrides: Partial<SecretsManagerClientConfig> = {}
): SecretsManagerClient {
  const client = new SecretsManagerClient({
    endpoint: server.url,
    region: server.region,
    credentials: server.credentials,
    ...overrides
  })
  clients.push(client)
  return client
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

/** An HTTP probe stand-in that passes and keeps the value it was given. */
class RecordingCheck implements HealthCheck {
  readonly description = 'https://api.example.com/health'
  seen: string | undefined
  constructor(
    private readonly result: HealthResult = { ok: true, attempts: 1, detail: 'HTTP 200' }
  ) {}
  check(value: string): Promise<HealthResult> {
    this.seen = value
    return Promise.resolve(this.result)
  }
}

describe('waitForReplicas', () => {
  let server: SecretsManagerServer
  let clock: MemoryClock

  async function start(
    replicas: ReplicaSeed[],
    options: SecretsManagerServerOptions = {}
  ): Promise<AwsSecret> {
    server = await startSecretsManagerServer(options)
    server.seedSecret(SECRET_ID, { secretString: VALUE, replicas })
    return new AwsSecret(sdkClient(server), SECRET_ID, () => undefined)
  }

  beforeEach(() => {
    clock = new MemoryClock()
  })
  afterEach(async () => {
    await server.close()
  })

  /** A sleep that moves the fake clock, then lets `during` change the peer. */
  function sleepThen(during: () => void = () => undefined): Sleep {
    return ms => {
      clock.advance(ms)
      during()
      return Promise.resolve()
    }
  }

  it('waits while a replica is InProgress, then runs the probe once it is InSync', async () => {
    const secret = await start([
      { region: 'eu-west-1', status: 'InProgress' },
      { region: 'ap-south-1', status: 'InSync' }
    ])
    const probe = new RecordingCheck()
    const check = waitForReplicas(secret, probe, {
      timeoutMs: 60_000,
      clock,
      sleep: sleepThen(),
      log
    })

    const result = await check.check(VALUE)

    expect(result.ok).toBe(true)
    expect(result.detail).toBe('replicas in sync (eu-west-1, ap-south-1); HTTP 200')
    expect(probe.seen).toBe(VALUE)
    expect(check.description).toBe(probe.description)
    expect(server.getSecret(SECRET_ID)?.replicas.map(r => r.status)).toEqual(['InSync', 'InSync'])
    expect(log.text()).toContain('Waiting for replicas to be in sync: eu-west-1 InProgress')
  })

  it('passes at once without replicas, and without a probe', async () => {
    const secret = await start([])
    const check = waitForReplicas(secret, undefined, {
      timeoutMs: 60_000,
      clock,
      sleep: sleepThen(),
      log
    })
    expect(check.description).toBe(`the replicas of secret ${SECRET_ID}`)
    expect(await check.check(VALUE)).toEqual({ ok: true, attempts: 1, detail: '' })
  })

  it('fails on a Failed replica with its region and AWS’s message, without probing', async () => {
    const secret = await start([
      { region: 'eu-west-1', status: 'InSync' },
      { region: 'eu-central-1', status: 'Failed' }
    ])
    const probe = new RecordingCheck()
    const result = await waitForReplicas(secret, probe, {
      timeoutMs: 60_000,
      clock,
      sleep: sleepThen(),
      log
    }).check(VALUE)

    expect(result.ok).toBe(false)
    expect(result.detail).toBe(
      `replica eu-central-1 Failed (Replication failed: Secret name ${SECRET_ID} already exists in region eu-central-1.)`
    )
    expect(probe.seen).toBeUndefined()
  })

  it('fails when a replica fails while it waits', async () => {
    const secret = await start([{ region: 'eu-west-1', status: 'InProgress' }], {
      replicaSyncAfterDescribes: 1000
    })
    const result = await waitForReplicas(secret, undefined, {
      timeoutMs: 60_000,
      clock,
      sleep: sleepThen(() => {
        server.setReplicaStatus(SECRET_ID, 'eu-west-1', 'Failed', 'KMS key not found in eu-west-1')
      }),
      log
    }).check(VALUE)
    expect(result).toMatchObject({
      ok: false,
      detail: 'replica eu-west-1 Failed (KMS key not found in eu-west-1)'
    })
  })

  it('gives up at the timeout, naming the regions still behind', async () => {
    const secret = await start(
      [
        { region: 'eu-west-1', status: 'InProgress' },
        { region: 'us-west-2', status: 'InSync' }
      ],
      { replicaSyncAfterDescribes: 1000 }
    )
    const started = clock.now().getTime()
    const probe = new RecordingCheck()

    const result = await waitForReplicas(secret, probe, {
      timeoutMs: 30_000,
      clock,
      sleep: sleepThen(),
      log
    }).check(VALUE)

    expect(result.ok).toBe(false)
    expect(result.detail).toBe('replicas not in sync within 30 s: eu-west-1 InProgress')
    expect(clock.now().getTime() - started).toBeLessThanOrEqual(30_000)
    expect(probe.seen).toBeUndefined()
    expect(server.getSecret(SECRET_ID)?.replicas[0]?.status).toBe('InProgress')
  })
})

type Middleware = Parameters<SecretsManagerClient['middlewareStack']['addRelativeTo']>[0]
interface SignedArgs {
  request: { headers: Record<string, string> }
}

/** Changes a request's headers after the SDK signed it (the SDK itself always signs well). */
function afterSigning(
  client: SecretsManagerClient,
  change: (headers: Record<string, string>) => void
): void {
  const middleware = (next: (args: SignedArgs) => Promise<unknown>) => (args: SignedArgs) => {
    change(args.request.headers)
    return next(args)
  }
  client.middlewareStack.addRelativeTo(middleware as unknown as Middleware, {
    relation: 'after',
    toMiddleware: 'httpSigningMiddleware',
    name: 'afterSigning'
  })
}

describe('toAwsError', () => {
  let server: SecretsManagerServer

  beforeEach(async () => {
    server = await startSecretsManagerServer()
    server.seedSecret(SECRET_ID, { secretString: VALUE })
  })
  afterEach(async () => {
    await server.close()
  })

  /** Nothing of the request may reach a message: not the value sent, nor the credentials. */
  function expectNoRequest(error: ActionError): void {
    for (const text of [error.message, JSON.stringify(error)]) {
      expect(text).not.toContain(SENT_VALUE)
      expect(text).not.toContain(server.credentials.secretAccessKey)
      expect(text).not.toContain('AWS4-HMAC-SHA256')
      expect(text).not.toContain('Signature=')
      expect(text).not.toContain('pw-4c1e9a7b')
    }
  }

  function put(secret: AwsSecret): Promise<void> {
    return secret.put(SENT_VALUE, '11111111-2222-4333-8444-555555555555', ['AWSCURRENT'], 'persist')
  }

  it('AccessDeniedException: aws-forbidden, naming the IAM action to grant', async () => {
    server.faults.add({
      kind: 'error',
      operation: 'PutSecretValue',
      status: 400,
      errorType: 'AccessDeniedException',
      message: 'User: arn:aws:sts::123456789012:assumed-role/ci/gh is not authorized'
    })
    const error = await failure(put(new AwsSecret(sdkClient(server), SECRET_ID, () => undefined)))
    expect(error).toMatchObject({ code: 'aws-forbidden', phase: 'persist', retryable: false })
    expect(error.message).toContain('secretsmanager:PutSecretValue')
    expect(error.message).toContain(`of secret ${SECRET_ID}`)
    expect(error.message).toContain('is not authorized')
    expectNoRequest(error)
  })

  it('ResourceNotFoundException: aws-not-found, naming store-secret-id and aws-region', async () => {
    const secret = new AwsSecret(sdkClient(server), 'prod/nope', () => undefined)
    const error = await failure(secret.read({ stage: 'AWSCURRENT' }, 'preflight'))
    expect(error).toMatchObject({ code: 'aws-not-found', phase: 'preflight', retryable: false })
    expect(error.message).toContain('Reading AWSCURRENT of secret prod/nope failed')
    expect(error.message).toContain("'store-secret-id'")
    expect(error.message).toContain("'aws-region'")
    expectNoRequest(error)
  })

  it('ThrottlingException and 5xx: aws-unavailable, retryable', async () => {
    server.faults.add({ kind: 'throttle', operation: 'PutSecretValue', times: 1 })
    server.faults.add({ kind: 'error', operation: 'PutSecretValue', status: 500, times: 1 })
    const secret = new AwsSecret(sdkClient(server, { maxAttempts: 1 }), SECRET_ID, () => undefined)

    const throttled = await failure(put(secret))
    expect(throttled).toMatchObject({ code: 'aws-unavailable', retryable: true })
    expect(throttled.message).toContain('ThrottlingException')
    expect(throttled.message).toContain('run again later')
    expectNoRequest(throttled)

    const broken = await failure(put(secret))
    expect(broken).toMatchObject({ code: 'aws-unavailable', retryable: true })
    expect(broken.message).toContain('HTTP 500')
    expectNoRequest(broken)
  })

  it('UnrecognizedClientException: aws-auth, saying how to configure credentials', async () => {
    const client = sdkClient(server, {
      credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: SENT_VALUE }
    })
    const error = await failure(
      new AwsSecret(client, SECRET_ID, () => undefined).describe('preflight')
    )
    expect(error).toMatchObject({ code: 'aws-auth', retryable: false })
    expect(error.message).toContain('UnrecognizedClientException')
    expect(error.message).toContain('aws-actions/configure-aws-credentials')
    expectNoRequest(error)
  })

  it('a connection refused: aws-unavailable, retryable', async () => {
    const closed = await startSecretsManagerServer()
    const url = closed.url
    await closed.close()
    const client = sdkClient(server, { endpoint: url, maxAttempts: 1 })
    const error = await failure(put(new AwsSecret(client, SECRET_ID, () => undefined)))
    expect(error).toMatchObject({ code: 'aws-unavailable', retryable: true })
    expect(error.message).toContain('ECONNREFUSED')
    expect(error.message).toContain(
      `Writing version 11111111-2222-4333-8444-555555555555 of secret ${SECRET_ID}`
    )
    expectNoRequest(error)
  })

  describe('with nothing configured in the environment', () => {
    const saved: Record<string, string | undefined> = {}
    const HERMETIC: Record<string, string | undefined> = {
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_PROFILE: undefined,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONFIG_FILE: '/nonexistent/aws/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials',
      AWS_EC2_METADATA_DISABLED: 'true'
    }
    beforeEach(() => {
      for (const [name, value] of Object.entries(HERMETIC)) {
        saved[name] = process.env[name]
        if (value === undefined) Reflect.deleteProperty(process.env, name)
        else process.env[name] = value
      }
    })
    afterEach(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) Reflect.deleteProperty(process.env, name)
        else process.env[name] = value
      }
    })

    it('a missing region: aws-rejected, naming the aws-region input', async () => {
      const client = new SecretsManagerClient({
        endpoint: server.url,
        credentials: server.credentials,
        maxAttempts: 1
      })
      clients.push(client)
      const error = await failure(
        new AwsSecret(client, SECRET_ID, () => undefined).describe('preflight')
      )
      expect(error.code).toBe('aws-rejected')
      expect(error.message).toContain('Region is missing')
      expect(error.message).toContain("'aws-region'")
      expectNoRequest(error)
    })

    it('no credentials at all: aws-auth', async () => {
      const client = new SecretsManagerClient({
        endpoint: server.url,
        region: server.region,
        maxAttempts: 1
      })
      clients.push(client)
      const error = await failure(
        new AwsSecret(client, SECRET_ID, () => undefined).describe('preflight')
      )
      expect(error.code).toBe('aws-auth')
      expect(error.message).toContain('configure-aws-credentials')
    })
  })

  it('keeps an ActionError as it is, and never quotes a thrown non-error', () => {
    const context = {
      operation: 'GetSecretValue',
      phase: 'mint' as const,
      doing: 'reading AWSCURRENT'
    }
    const original = new ActionError('already explained', {
      code: 'rotation-failed',
      phase: 'mint'
    })
    expect(toAwsError(original, context)).toBe(original)
    const odd = toAwsError(SENT_VALUE, context)
    expect(odd.code).toBe('internal')
    expect(odd.message).not.toContain(SENT_VALUE)
  })

  it('keeps only the name, status, request id and operation of the SDK error as its cause', async () => {
    server.faults.add({
      kind: 'error',
      operation: 'PutSecretValue',
      status: 400,
      errorType: 'AccessDeniedException'
    })
    const error = await failure(put(new AwsSecret(sdkClient(server), SECRET_ID, () => undefined)))
    expect(error.cause).toEqual({
      name: 'AccessDeniedException',
      status: 400,
      requestId: expect.any(String),
      operation: 'PutSecretValue'
    })
    expect(Object.keys(error)).not.toContain('cause')
  })

  // Secrets Manager speaks AWS JSON 1.1: its authentication errors end in Exception.
  it('MissingAuthenticationTokenException: aws-auth', async () => {
    const client = sdkClient(server, { maxAttempts: 1 })
    afterSigning(client, headers => {
      Reflect.deleteProperty(headers, 'authorization')
    })
    const error = await failure(
      new AwsSecret(client, SECRET_ID, () => undefined).describe('preflight')
    )
    expect(error.message).toContain('MissingAuthenticationTokenException')
    expect(error.code).toBe('aws-auth')
  })

  // AWS quotes the Authorization header in this error's message: it never reaches ours.
  it('IncompleteSignatureException: aws-auth, and the Authorization header is not quoted', async () => {
    const client = sdkClient(server, { maxAttempts: 1 })
    afterSigning(client, headers => {
      headers.authorization = (headers.authorization ?? '').replace(/SignedHeaders=[^,]*, /, '')
    })
    const error = await failure(
      new AwsSecret(client, SECRET_ID, () => undefined).describe('preflight')
    )
    expect(error.message).toContain('IncompleteSignatureException')
    expect(error.message).not.toContain(server.credentials.accessKeyId)
    expectNoRequest(error)
    expect(error.code).toBe('aws-auth')
  })

  it('DecryptionFailure: aws-forbidden, naming kms:Decrypt', () => {
    const sdkError = new SecretsManagerServiceException({
      name: 'DecryptionFailure',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'req-1' },
      message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key."
    })
    const error = toAwsError(sdkError, {
      operation: 'GetSecretValue',
      phase: 'preflight',
      doing: `reading AWSCURRENT of secret ${SECRET_ID}`
    })
    expect(error.code).toBe('aws-forbidden')
    expect(error.message).toContain('kms:Decrypt')
    expect(error.message).toContain('request id req-1')
  })
})

describe('fieldTargets and fieldHealthCheck', () => {
  let github: GitHubServer

  beforeEach(async () => {
    github = await startGitHubServer()
    github.addRepository('octo/app')
    github.addRepository('octo/api')
  })
  afterEach(async () => {
    await github.close()
  })

  function publisher(): SecretPublisher {
    const client = createGitHubClient({
      token: 'test-token',
      baseUrl: github.url,
      maxConcurrency: 10,
      writeIntervalMs: 0,
      retryBaseMs: 5,
      log
    })
    return new SecretPublisher(client, log)
  }

  const target = (repo: string, name: string): SecretTarget => ({
    scope: { kind: 'repository', type: 'actions', repository: { owner: 'octo', repo } },
    name
  })
  const stored = (repo: string, name: string) =>
    github.getSecret(`repos/octo/${repo}/actions/secrets/${name}`)?.value

  it('writes each group its field, or the whole value, to every target of the group', async () => {
    const targets = fieldTargets(publisher(), [
      { targets: [target('app', 'DB_SECRET')] },
      { targets: [target('app', 'DB_USER'), target('api', 'DB_USER')], field: 'username' },
      { targets: [target('app', 'DB_PASSWORD')], field: 'password' },
      { targets: [target('app', 'DB_PORT')], field: 'port' }
    ])

    const results = await targets.publish(VALUE)

    expect(results.map(r => [r.target, r.name, r.status])).toEqual([
      ['octo/app', 'DB_SECRET', 'created'],
      ['octo/app', 'DB_USER', 'created'],
      ['octo/api', 'DB_USER', 'created'],
      ['octo/app', 'DB_PASSWORD', 'created'],
      ['octo/app', 'DB_PORT', 'created']
    ])
    expect(stored('app', 'DB_SECRET')).toBe(VALUE)
    expect(stored('app', 'DB_USER')).toBe('svc-db')
    expect(stored('api', 'DB_USER')).toBe('svc-db')
    expect(stored('app', 'DB_PASSWORD')).toBe('pw-4c1e9a7b')
    expect(stored('app', 'DB_PORT')).toBe('5432')
  })

  it('fails only the targets of a missing field, naming the field and never the value', async () => {
    const targets = fieldTargets(publisher(), [
      { targets: [target('app', 'DB_PASSWORD')], field: 'password' },
      { targets: [target('app', 'DB_TOKEN'), target('api', 'DB_TOKEN')], field: 'token' }
    ])

    const results = await targets.publish(VALUE)

    expect(results.map(r => [r.target, r.name, r.status])).toEqual([
      ['octo/app', 'DB_PASSWORD', 'created'],
      ['octo/app', 'DB_TOKEN', 'failed'],
      ['octo/api', 'DB_TOKEN', 'failed']
    ])
    for (const result of results.filter(r => r.status === 'failed')) {
      expect(result.error).toContain("'token'")
      for (const secret of [VALUE, 'svc-db', 'pw-4c1e9a7b']) {
        expect(result.error).not.toContain(secret)
      }
    }
    expect(stored('app', 'DB_PASSWORD')).toBe('pw-4c1e9a7b')
    expect(stored('app', 'DB_TOKEN')).toBeUndefined()
    expect(stored('api', 'DB_TOKEN')).toBeUndefined()
  })

  it('takes a value that is not a JSON object whole only where the group says so', async () => {
    const targets = fieldTargets(publisher(), [
      { targets: [target('app', 'API_KEY')], field: 'api_key', plainWhole: true },
      { targets: [target('app', 'API_USER')], field: 'user' }
    ])

    const results = await targets.publish('plain-key-0e3b')

    expect(results.map(r => [r.name, r.status])).toEqual([
      ['API_KEY', 'created'],
      ['API_USER', 'failed']
    ])
    expect(stored('app', 'API_KEY')).toBe('plain-key-0e3b')
    expect(results[1]?.error).not.toContain('plain-key-0e3b')
  })

  it('checks every target of every group in preflight, writing nothing', async () => {
    const targets = fieldTargets(publisher(), [
      { targets: [target('app', 'DB_USER')], field: 'username' },
      { targets: [target('gone', 'DB_PASSWORD')], field: 'password' }
    ])

    const results = await targets.preflight()

    expect(results.map(r => [r.target, r.status])).toEqual([
      ['octo/app', 'planned'],
      ['octo/gone', 'failed']
    ])
    expect(stored('app', 'DB_USER')).toBeUndefined()
  })

  it('checks one field of the value, the whole of a plain value, and fails a missing field', async () => {
    const probe = new RecordingCheck()

    // Without a field, a plain value is checked whole and a JSON document is never sent.
    const whole = fieldHealthCheck(probe, undefined)
    await whole.check('plain-key-77aa')
    expect(probe.seen).toBe('plain-key-77aa')
    probe.seen = undefined
    expect(await whole.check(VALUE)).toEqual({
      ok: false,
      attempts: 0,
      detail: 'the value is a JSON document: set store-field to the field the health check sends'
    })
    expect(probe.seen).toBeUndefined()
    expect(await fieldHealthCheck(probe, 'password').check('{"password": "x",}')).toMatchObject({
      ok: false
    })
    expect(probe.seen).toBeUndefined()

    const password = fieldHealthCheck(probe, 'password')
    expect(password.description).toBe(probe.description)
    expect(await password.check(VALUE)).toEqual({ ok: true, attempts: 1, detail: 'HTTP 200' })
    expect(probe.seen).toBe('pw-4c1e9a7b')

    await password.check('plain-key-0e3b')
    expect(probe.seen).toBe('plain-key-0e3b')

    probe.seen = undefined
    const missing = await fieldHealthCheck(probe, 'token').check(VALUE)
    expect(missing).toEqual({
      ok: false,
      attempts: 0,
      detail: "the value has no string field 'token'"
    })
    expect(probe.seen).toBeUndefined()
  })
})
