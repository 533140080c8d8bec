/**
 * The local AWS Secrets Manager server, driven by the real `@aws-sdk/client-secrets-manager`: its
 * serialization, SigV4 signing, retries and error classes are the SDK's own. Each test starts its
 * own server.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RotateSecretCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
  SecretsManagerServiceException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand
} from '@aws-sdk/client-secrets-manager'
import {
  type SecretsManagerServer,
  type SecretsManagerServerOptions,
  startSecretsManagerServer
} from '../../test-servers/aws/index.js'

const servers: SecretsManagerServer[] = []
const clients: SecretsManagerClient[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy()
  await Promise.all(servers.splice(0).map(server => server.close()))
})

async function start(options?: SecretsManagerServerOptions): Promise<SecretsManagerServer> {
  const server = await startSecretsManagerServer(options)
  servers.push(server)
  return server
}

function clientFor(
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

/** A ClientRequestToken / version id of the usual UUID shape, easy to recognise. */
function token(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
}

/** The SDK error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<SecretsManagerServiceException> {
  try {
    await promise
  } catch (error: unknown) {
    if (error instanceof SecretsManagerServiceException) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

/** Any rejection, SDK error or network error. */
async function anyRejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error: unknown) {
    if (error instanceof Error) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

function stagesOf(server: SecretsManagerServer, name: string): Record<string, string[]> {
  const secret = server.getSecret(name)
  if (secret === undefined) throw new Error(`no secret ${name}`)
  return Object.fromEntries(secret.versions.map(version => [version.versionId, version.stages]))
}

function replicaStatus(output: DescribeSecretCommandOutput, region: string): string | undefined {
  return output.ReplicationStatus?.find(replica => replica.Region === region)?.Status
}

interface RawReply {
  status: number
  headers: Record<string, string>
  text: string
  json: Record<string, unknown>
}

/** Sends bytes to the server as they are: no SDK in between. */
async function raw(
  url: string,
  headers: Record<string, string>,
  body: string | Uint8Array
): Promise<RawReply> {
  return new Promise<RawReply>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        const flat: Record<string, string> = {}
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(',') : value
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: flat,
          text,
          json: JSON.parse(text) as Record<string, unknown>
        })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * A client whose transport is a plain node:http call that keeps every raw answer: the SDK still
 * builds, signs and parses, and the test can read the answers as they were on the wire.
 */
function tappedClient(server: SecretsManagerServer): {
  client: SecretsManagerClient
  replies: RawReply[]
} {
  const replies: RawReply[] = []
  const client = clientFor(server, {
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: {
        method: string
        protocol: string
        hostname: string
        port?: number
        path: string
        headers: Record<string, string>
        body?: unknown
      }) => {
        const port = request.port === undefined ? '' : `:${request.port}`
        const reply = await raw(
          `${request.protocol}//${request.hostname}${port}${request.path}`,
          request.headers,
          typeof request.body === 'string' || request.body instanceof Uint8Array ? request.body : ''
        )
        replies.push(reply)
        return {
          response: {
            statusCode: reply.status,
            headers: reply.headers,
            body: Readable.from([Buffer.from(reply.text)])
          }
        }
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({})
    }
  })
  return { client, replies }
}

describe('wire protocol', () => {
  it('answers AWS JSON 1.1 with a request id, epoch-second dates and typed errors', async () => {
    const server = await start()
    server.seedSecret('app/token', { secretString: 'v1' })

    const { client, replies } = tappedClient(server)
    const output = await client.send(new DescribeSecretCommand({ SecretId: 'app/token' }))
    expect(output.CreatedDate).toBeInstanceOf(Date)
    const [described] = replies
    if (described === undefined) throw new Error('no answer')
    expect(described.status).toBe(200)
    expect(described.headers['content-type']).toBe('application/x-amz-json-1.1')
    expect(described.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/)
    expect(typeof described.json.CreatedDate).toBe('number')
    expect(typeof described.json.LastChangedDate).toBe('number')
    expect(described.json.Name).toBe('app/token')
    expect(described.json.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:app\/token-[A-Za-z0-9]{6}$/
    )

    await rejection(client.send(new DescribeSecretCommand({ SecretId: 'nope' })))
    const missing = replies[1]
    if (missing === undefined) throw new Error('no answer')
    expect(missing.status).toBe(400)
    expect(missing.headers['x-amzn-errortype']).toBe('ResourceNotFoundException')
    expect(missing.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/)
    expect(missing.json).toEqual({
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret."
    })

    const unsigned = await raw(
      server.url,
      {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.DescribeSecret'
      },
      JSON.stringify({ SecretId: 'app/token' })
    )
    expect(unsigned.status).toBe(400)
    expect(unsigned.json.__type).toBe('MissingAuthenticationTokenException')
    expect(unsigned.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException')
  })

  it('records operation, secret id, body, region and key of every request', async () => {
    const server = await start()
    server.seedSecret('app/token', { secretString: 'v1' })
    await clientFor(server).send(new GetSecretValueCommand({ SecretId: 'app/token' }))
    expect(server.requests).toHaveLength(1)
    const [recorded] = server.requests
    expect(recorded).toMatchObject({
      operation: 'GetSecretValue',
      secretId: 'app/token',
      body: { SecretId: 'app/token' },
      region: 'us-east-1',
      accessKeyId: server.credentials.accessKeyId,
      status: 200
    })
    expect(typeof recorded?.time).toBe('number')
  })

  it('is reachable through AWS_ENDPOINT_URL_SECRETS_MANAGER, with no endpoint option', async () => {
    const server = await start()
    server.seedSecret('env/secret', { secretString: 'from-env' })
    const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = server.url
    try {
      const client = new SecretsManagerClient({
        region: server.region,
        credentials: server.credentials
      })
      clients.push(client)
      const value = await client.send(new GetSecretValueCommand({ SecretId: 'env/secret' }))
      expect(value.SecretString).toBe('from-env')
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved
    }
    expect(server.requests.map(request => request.operation)).toEqual(['GetSecretValue'])
  })
})

describe('CreateSecret and GetSecretValue', () => {
  it('creates a secret and reads it back by name and by ARN', async () => {
    const server = await start()
    const client = clientFor(server)
    const created = await client.send(
      new CreateSecretCommand({
        Name: 'svc/refresh-token',
        SecretString: 'r1',
        ClientRequestToken: token(1),
        Tags: [{ Key: 'owner', Value: 'platform' }]
      })
    )
    expect(created.VersionId).toBe(token(1))
    expect(created.Name).toBe('svc/refresh-token')

    const byName = await client.send(new GetSecretValueCommand({ SecretId: 'svc/refresh-token' }))
    expect(byName).toMatchObject({
      SecretString: 'r1',
      VersionId: token(1),
      VersionStages: ['AWSCURRENT'],
      ARN: created.ARN
    })
    expect(byName.CreatedDate).toBeInstanceOf(Date)

    const byArn = await client.send(new GetSecretValueCommand({ SecretId: created.ARN }))
    expect(byArn.SecretString).toBe('r1')

    const described = await client.send(new DescribeSecretCommand({ SecretId: created.ARN }))
    expect(described.Tags).toEqual([{ Key: 'owner', Value: 'platform' }])
    expect(described.VersionIdsToStages).toEqual({ [token(1)]: ['AWSCURRENT'] })
    expect(described.RotationEnabled).toBe(false)
  })

  it('refuses an existing name with ResourceExistsException, but ignores a retried create', async () => {
    const server = await start()
    server.seedSecret('taken', { secretString: 'v1', versionId: token(1) })
    const client = clientFor(server)

    const exists = await rejection(
      client.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'other' }))
    )
    expect(exists).toBeInstanceOf(ResourceExistsException)
    expect(exists.message).toBe('The operation failed because the secret taken already exists.')

    const retried = await client.send(
      new CreateSecretCommand({ Name: 'taken', SecretString: 'v1', ClientRequestToken: token(1) })
    )
    expect(retried.VersionId).toBe(token(1))
    expect(server.getSecret('taken')?.versions).toHaveLength(1)
  })

  it('answers ResourceNotFoundException for an unknown secret, version or stage', async () => {
    const server = await start()
    server.seedSecret('known', { secretString: 'v1', versionId: token(1) })
    const client = clientFor(server)

    const secret = await rejection(client.send(new GetSecretValueCommand({ SecretId: 'unknown' })))
    expect(secret).toBeInstanceOf(ResourceNotFoundException)
    expect(secret.message).toBe("Secrets Manager can't find the specified secret.")

    const version = await rejection(
      client.send(new GetSecretValueCommand({ SecretId: 'known', VersionId: token(9) }))
    )
    expect(version).toBeInstanceOf(ResourceNotFoundException)
    expect(version.message).toBe(
      `Secrets Manager can't find the specified secret value for VersionId: ${token(9)}`
    )

    const stage = await rejection(
      client.send(new GetSecretValueCommand({ SecretId: 'known', VersionStage: 'AWSPENDING' }))
    )
    expect(stage).toBeInstanceOf(ResourceNotFoundException)
    expect(stage.message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSPENDING"
    )

    const mismatch = await rejection(
      client.send(
        new GetSecretValueCommand({
          SecretId: 'known',
          VersionId: token(1),
          VersionStage: 'AWSPREVIOUS'
        })
      )
    )
    expect(mismatch).toBeInstanceOf(InvalidRequestException)
  })
})

describe('PutSecretValue', () => {
  it('is idempotent: the same token and value create nothing and change nothing', async () => {
    const server = await start()
    server.seedSecret('svc/token', { secretString: 'v1', versionId: token(1) })
    const client = clientFor(server)
    const put = (): Promise<unknown> =>
      client.send(
        new PutSecretValueCommand({
          SecretId: 'svc/token',
          SecretString: 'v2',
          ClientRequestToken: token(2),
          VersionStages: ['AWSPENDING']
        })
      )

    await put()
    const before = server.getSecret('svc/token')
    const again = (await put()) as { VersionId?: string; VersionStages?: string[] }
    expect(again.VersionId).toBe(token(2))
    expect(again.VersionStages).toEqual(['AWSPENDING'])
    expect(server.getSecret('svc/token')).toEqual(before)
    expect(stagesOf(server, 'svc/token')).toEqual({
      [token(1)]: ['AWSCURRENT'],
      [token(2)]: ['AWSPENDING']
    })
  })

  it('refuses the same token with another value with ResourceExistsException', async () => {
    const server = await start()
    server.seedSecret('svc/token', { secretString: 'v1', versionId: token(1) })
    const client = clientFor(server)
    await client.send(
      new PutSecretValueCommand({
        SecretId: 'svc/token',
        SecretString: 'v2',
        ClientRequestToken: token(2)
      })
    )
    const before = server.getSecret('svc/token')

    const error = await rejection(
      client.send(
        new PutSecretValueCommand({
          SecretId: 'svc/token',
          SecretString: 'something else',
          ClientRequestToken: token(2)
        })
      )
    )
    expect(error).toBeInstanceOf(ResourceExistsException)
    expect(error.message).toBe(
      `You can't use ClientRequestToken ${token(2)} because that value is already in use for a version of secret ${before?.arn ?? ''}.`
    )
    expect(server.getSecret('svc/token')).toEqual(before)
  })

  it('takes the token as version id and refuses tokens outside 32 to 64 characters', async () => {
    const server = await start()
    server.seedSecret('svc/token', { secretString: 'v1' })
    const client = clientFor(server)
    for (const bad of ['x'.repeat(31), 'x'.repeat(65)]) {
      const error = await rejection(
        client.send(
          new PutSecretValueCommand({
            SecretId: 'svc/token',
            SecretString: 'v2',
            ClientRequestToken: bad
          })
        )
      )
      expect(error).toBeInstanceOf(InvalidParameterException)
      expect(error.message).toBe('ClientRequestToken must be 32-64 characters long.')
    }
    const ok = await client.send(
      new PutSecretValueCommand({
        SecretId: 'svc/token',
        SecretString: 'v2',
        ClientRequestToken: 'y'.repeat(32)
      })
    )
    expect(ok.VersionId).toBe('y'.repeat(32))
    expect(server.getSecret('svc/token')?.versions).toHaveLength(2)
  })

  it('moves labels: each on one version, AWSPREVIOUS following AWSCURRENT', async () => {
    const server = await start()
    server.seedSecret('svc/token', { secretString: 'v1', versionId: token(1) })
    const client = clientFor(server)
    const put = (n: number, stages?: string[]): Promise<unknown> =>
      client.send(
        new PutSecretValueCommand({
          SecretId: 'svc/token',
          SecretString: `v${n}`,
          ClientRequestToken: token(n),
          ...(stages === undefined ? {} : { VersionStages: stages })
        })
      )

    await put(2, ['AWSPENDING'])
    await put(3, ['AWSPENDING'])
    expect(stagesOf(server, 'svc/token')).toEqual({
      [token(1)]: ['AWSCURRENT'],
      [token(2)]: [],
      [token(3)]: ['AWSPENDING']
    })

    await put(4)
    expect(stagesOf(server, 'svc/token')).toEqual({
      [token(1)]: ['AWSPREVIOUS'],
      [token(2)]: [],
      [token(3)]: ['AWSPENDING'],
      [token(4)]: ['AWSCURRENT']
    })
    await put(5)
    expect(server.stageOf('svc/token', 'AWSCURRENT')).toEqual({
      versionId: token(5),
      secretString: 'v5'
    })
    expect(server.stageOf('svc/token', 'AWSPREVIOUS')?.versionId).toBe(token(4))
    expect(stagesOf(server, 'svc/token')[token(1)]).toEqual([])

    const listed = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'svc/token' }))
    expect(listed.Versions?.map(version => version.VersionId).sort()).toEqual(
      [token(3), token(4), token(5)].sort()
    )
    const all = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: 'svc/token', IncludeDeprecated: true })
    )
    expect(all.Versions).toHaveLength(5)
    expect(all.Versions?.find(version => version.VersionId === token(2))?.VersionStages).toEqual([])
    expect(all.Versions?.[0]?.CreatedDate).toBeInstanceOf(Date)
  })
})

describe('UpdateSecretVersionStage', () => {
  async function withPending(): Promise<{
    server: SecretsManagerServer
    client: SecretsManagerClient
  }> {
    const server = await start()
    server.seedSecret('svc/token', { secretString: 'v1', versionId: token(1) })
    const client = clientFor(server)
    await client.send(
      new PutSecretValueCommand({
        SecretId: 'svc/token',
        SecretString: 'v2',
        ClientRequestToken: token(2),
        VersionStages: ['AWSPENDING']
      })
    )
    return { server, client }
  }

  it('refuses to move a label without naming, or misnaming, the version it leaves', async () => {
    const { server, client } = await withPending()
    const before = server.getSecret('svc/token')

    const empty = await rejection(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'svc/token',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token(2)
        })
      )
    )
    expect(empty).toBeInstanceOf(InvalidParameterException)
    expect(empty.name).toBe('InvalidParameterException')
    expect(empty.message).toBe(
      `The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version ${token(1)}, so you must explicitly reference that version in RemoveFromVersionId.`
    )

    for (const wrong of [token(2), token(7)]) {
      const mismatch = await rejection(
        client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: 'svc/token',
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: token(2),
            RemoveFromVersionId: wrong
          })
        )
      )
      expect(mismatch).toBeInstanceOf(InvalidParameterException)
    }
    expect(server.getSecret('svc/token')).toEqual(before)
  })

  it('moves AWSCURRENT when the right version is named, and AWSPREVIOUS follows', async () => {
    const { server, client } = await withPending()
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'svc/token',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token(2),
        RemoveFromVersionId: token(1)
      })
    )
    expect(stagesOf(server, 'svc/token')).toEqual({
      [token(1)]: ['AWSPREVIOUS'],
      [token(2)]: ['AWSPENDING', 'AWSCURRENT']
    })

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'svc/token',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: token(2)
      })
    )
    expect(stagesOf(server, 'svc/token')[token(2)]).toEqual(['AWSCURRENT'])

    // Rolling back: AWSCURRENT returns to the version that held AWSPREVIOUS.
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'svc/token',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token(1),
        RemoveFromVersionId: token(2)
      })
    )
    expect(stagesOf(server, 'svc/token')).toEqual({
      [token(1)]: ['AWSCURRENT'],
      [token(2)]: ['AWSPREVIOUS']
    })
    const value = await client.send(new GetSecretValueCommand({ SecretId: 'svc/token' }))
    expect(value.SecretString).toBe('v1')
  })

  it('removes a label with RemoveFromVersionId alone, but never AWSCURRENT', async () => {
    const { server, client } = await withPending()
    const current = await rejection(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'svc/token',
          VersionStage: 'AWSCURRENT',
          RemoveFromVersionId: token(1)
        })
      )
    )
    expect(current).toBeInstanceOf(InvalidParameterException)

    const notThere = await rejection(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'svc/token',
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: token(1)
        })
      )
    )
    expect(notThere).toBeInstanceOf(InvalidParameterException)

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'svc/token',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: token(2)
      })
    )
    expect(stagesOf(server, 'svc/token')).toEqual({
      [token(1)]: ['AWSCURRENT'],
      [token(2)]: []
    })
  })
})

describe('RotateSecret', () => {
  it('runs the simulated Lambda: AWSPENDING first, AWSCURRENT after two polls', async () => {
    const server = await start()
    server.seedSecret('db/password', {
      secretString: 'p1',
      versionId: token(1),
      rotation: { next: previous => `${previous}+1`, outcome: 'succeed' }
    })
    const client = clientFor(server)

    const rotated = await client.send(
      new RotateSecretCommand({ SecretId: 'db/password', ClientRequestToken: token(2) })
    )
    expect(rotated.VersionId).toBe(token(2))
    expect(server.getSecret('db/password')?.rotationInFlight).toBe(token(2))

    const pending = await client.send(
      new GetSecretValueCommand({ SecretId: 'db/password', VersionStage: 'AWSPENDING' })
    )
    expect(pending).toMatchObject({ SecretString: 'p1+1', VersionId: token(2) })
    const first = await client.send(new DescribeSecretCommand({ SecretId: 'db/password' }))
    expect(first.VersionIdsToStages).toEqual({
      [token(1)]: ['AWSCURRENT'],
      [token(2)]: ['AWSPENDING']
    })
    expect(first.LastRotatedDate).toBeUndefined()
    expect(first.RotationEnabled).toBe(true)
    expect(first.RotationLambdaARN).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:/)

    const done = await client.send(new DescribeSecretCommand({ SecretId: 'db/password' }))
    expect(done.VersionIdsToStages).toEqual({
      [token(1)]: ['AWSPREVIOUS'],
      [token(2)]: ['AWSCURRENT']
    })
    expect(done.LastRotatedDate).toBeInstanceOf(Date)
    const value = await client.send(new GetSecretValueCommand({ SecretId: 'db/password' }))
    expect(value.SecretString).toBe('p1+1')
  })

  it('refuses a new rotation while AWSPENDING is stranded, until it is resolved', async () => {
    const server = await start()
    server.seedSecret('db/password', {
      secretString: 'p1',
      versionId: token(1),
      rotation: { next: previous => `${previous}+1`, outcome: 'strand' }
    })
    const client = clientFor(server)
    await client.send(
      new RotateSecretCommand({ SecretId: 'db/password', ClientRequestToken: token(2) })
    )
    for (let i = 0; i < 5; i += 1) {
      await client.send(new DescribeSecretCommand({ SecretId: 'db/password' }))
    }
    expect(server.stageOf('db/password', 'AWSPENDING')?.versionId).toBe(token(2))

    const refused = await rejection(
      client.send(
        new RotateSecretCommand({ SecretId: 'db/password', ClientRequestToken: token(3) })
      )
    )
    expect(refused).toBeInstanceOf(InvalidRequestException)
    expect(refused.message).toBe(
      "A previous rotation isn't complete. That rotation will be reattempted."
    )
    // A retry of the same rotation is answered again, not refused.
    const retried = await client.send(
      new RotateSecretCommand({ SecretId: 'db/password', ClientRequestToken: token(2) })
    )
    expect(retried.VersionId).toBe(token(2))

    // Resume: promote the pending version, then clear AWSPENDING.
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'db/password',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token(2),
        RemoveFromVersionId: token(1)
      })
    )
    // AWSPENDING on the same version as AWSCURRENT does not block.
    const allowed = await client.send(
      new RotateSecretCommand({ SecretId: 'db/password', ClientRequestToken: token(3) })
    )
    expect(allowed.VersionId).toBe(token(3))
    expect(server.stageOf('db/password', 'AWSPENDING')).toEqual({
      versionId: token(3),
      secretString: 'p1+1+1'
    })
  })

  it('on failure removes AWSPENDING again and leaves AWSCURRENT where it was', async () => {
    const server = await start()
    server.seedSecret('db/password', {
      secretString: 'p1',
      versionId: token(1),
      rotation: { next: () => 'never used', outcome: 'fail', completeAfterDescribes: 1 }
    })
    const client = clientFor(server)
    await client.send(
      new RotateSecretCommand({ SecretId: 'db/password', ClientRequestToken: token(2) })
    )
    const during = await client.send(new DescribeSecretCommand({ SecretId: 'db/password' }))
    expect(during.VersionIdsToStages?.[token(2)]).toEqual(['AWSPENDING'])

    const after = await client.send(new DescribeSecretCommand({ SecretId: 'db/password' }))
    expect(after.VersionIdsToStages).toEqual({ [token(1)]: ['AWSCURRENT'] })
    expect(after.LastRotatedDate).toBeUndefined()
    const versions = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: 'db/password', IncludeDeprecated: true })
    )
    expect(
      versions.Versions?.find(version => version.VersionId === token(2))?.VersionStages
    ).toEqual([])
    const again = await client.send(
      new RotateSecretCommand({ SecretId: 'db/password', ClientRequestToken: token(3) })
    )
    expect(again.VersionId).toBe(token(3))
  })

  it('refuses a secret with no rotation Lambda', async () => {
    const server = await start()
    server.seedSecret('plain', { secretString: 'v1' })
    const error = await rejection(
      clientFor(server).send(new RotateSecretCommand({ SecretId: 'plain' }))
    )
    expect(error).toBeInstanceOf(InvalidRequestException)
    expect(error.message).toBe('No Lambda rotation function ARN is associated with this secret.')
    expect(server.getSecret('plain')?.versions).toHaveLength(1)
  })

  it('finishes at once with completeAfterDescribes 0', async () => {
    const server = await start()
    server.seedSecret('quick', {
      secretString: 'a',
      versionId: token(1),
      rotation: { next: () => 'b', outcome: 'succeed', completeAfterDescribes: 0 }
    })
    await clientFor(server).send(
      new RotateSecretCommand({ SecretId: 'quick', ClientRequestToken: token(2) })
    )
    expect(stagesOf(server, 'quick')).toEqual({
      [token(1)]: ['AWSPREVIOUS'],
      [token(2)]: ['AWSCURRENT']
    })
    expect(server.getSecret('quick')?.lastRotatedDate).toBeInstanceOf(Date)
  })
})

describe('replication', () => {
  it('reports replicas InProgress after each write and InSync after a DescribeSecret', async () => {
    const server = await start()
    server.seedSecret('replicated', {
      secretString: 'v1',
      versionId: token(1),
      replicas: [{ region: 'us-west-2' }, { region: 'eu-west-1', status: 'Failed' }]
    })
    const client = clientFor(server)
    const describe = (): Promise<DescribeSecretCommandOutput> =>
      client.send(new DescribeSecretCommand({ SecretId: 'replicated' }))

    const initial = await describe()
    expect(initial.PrimaryRegion).toBe('us-east-1')
    expect(replicaStatus(initial, 'us-west-2')).toBe('InSync')
    expect(initial.ReplicationStatus?.find(replica => replica.Region === 'eu-west-1')).toEqual({
      Region: 'eu-west-1',
      KmsKeyId: 'alias/aws/secretsmanager',
      Status: 'Failed',
      StatusMessage:
        'Replication failed: Secret name replicated already exists in region eu-west-1.'
    })

    await client.send(
      new PutSecretValueCommand({
        SecretId: 'replicated',
        SecretString: 'v2',
        ClientRequestToken: token(2)
      })
    )
    const writing = await describe()
    expect(replicaStatus(writing, 'us-west-2')).toBe('InProgress')
    expect(replicaStatus(writing, 'eu-west-1')).toBe('Failed')
    const synced = await describe()
    expect(replicaStatus(synced, 'us-west-2')).toBe('InSync')
    expect(replicaStatus(synced, 'eu-west-1')).toBe('Failed')

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'replicated',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token(1),
        RemoveFromVersionId: token(2)
      })
    )
    expect(replicaStatus(await describe(), 'us-west-2')).toBe('InProgress')

    server.setReplicaStatus('replicated', 'eu-west-1', 'InSync')
    const repaired = await describe()
    expect(replicaStatus(repaired, 'eu-west-1')).toBe('InSync')
    expect(replicaStatus(repaired, 'us-west-2')).toBe('InSync')
  })

  it('waits the configured number of DescribeSecret calls, also after a rotation', async () => {
    const server = await start({ replicaSyncAfterDescribes: 3 })
    server.seedSecret('replicated', {
      secretString: 'v1',
      replicas: [{ region: 'ap-southeast-2' }],
      rotation: { next: () => 'v2', outcome: 'succeed', completeAfterDescribes: 0 }
    })
    const client = clientFor(server)
    await client.send(new RotateSecretCommand({ SecretId: 'replicated' }))
    const statuses: (string | undefined)[] = []
    for (let i = 0; i < 4; i += 1) {
      statuses.push(
        replicaStatus(
          await client.send(new DescribeSecretCommand({ SecretId: 'replicated' })),
          'ap-southeast-2'
        )
      )
    }
    expect(statuses).toEqual(['InProgress', 'InProgress', 'InProgress', 'InSync'])
  })

  it('starts replicas asked for by CreateSecret InProgress', async () => {
    const server = await start()
    const client = clientFor(server)
    const created = await client.send(
      new CreateSecretCommand({
        Name: 'new',
        SecretString: 'v1',
        AddReplicaRegions: [{ Region: 'eu-central-1' }]
      })
    )
    expect(created.ReplicationStatus?.[0]?.Status).toBe('InProgress')
    await client.send(new DescribeSecretCommand({ SecretId: 'new' }))
    expect(server.getSecret('new')?.replicas).toEqual([
      { region: 'eu-central-1', status: 'InSync', statusMessage: 'Replication succeeded' }
    ])
  })
})

describe('tags', () => {
  it('adds and removes tags within AWS limits', async () => {
    const server = await start()
    server.seedSecret('tagged', { secretString: 'v1', tags: { team: 'a' } })
    const client = clientFor(server)
    const longest = { Key: 'k'.repeat(128), Value: 'v'.repeat(256) }
    await client.send(
      new TagResourceCommand({
        SecretId: 'tagged',
        Tags: [
          longest,
          { Key: 'a b_.:/=+-@9', Value: 'émoji-free ünïcode 1' },
          { Key: 'team', Value: 'b' }
        ]
      })
    )
    expect(server.getSecret('tagged')?.tags).toEqual({
      team: 'b',
      [longest.Key]: longest.Value,
      'a b_.:/=+-@9': 'émoji-free ünïcode 1'
    })
    await client.send(new UntagResourceCommand({ SecretId: 'tagged', TagKeys: ['team'] }))
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'tagged' }))
    expect(described.Tags?.map(tag => tag.Key)).toEqual([longest.Key, 'a b_.:/=+-@9'])
  })

  it('refuses keys over 128, values over 256 and other characters with ValidationException', async () => {
    const server = await start()
    server.seedSecret('tagged', { secretString: 'v1' })
    const client = clientFor(server)
    const cases = [
      { Key: 'k'.repeat(129), Value: 'v' },
      { Key: 'k', Value: 'v'.repeat(257) },
      { Key: 'bad#key', Value: 'v' },
      { Key: 'k', Value: 'bad*value' },
      { Key: '', Value: 'v' }
    ]
    for (const tag of cases) {
      const error = await rejection(
        client.send(new TagResourceCommand({ SecretId: 'tagged', Tags: [tag] }))
      )
      expect(error.name).toBe('ValidationException')
      expect(error.$metadata.httpStatusCode).toBe(400)
    }
    const long = await rejection(
      client.send(new TagResourceCommand({ SecretId: 'tagged', Tags: [cases[0] ?? { Key: '' }] }))
    )
    expect(long.message).toBe(
      `1 validation error detected: Value '${'k'.repeat(129)}' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128`
    )
    const untag = await rejection(
      client.send(new UntagResourceCommand({ SecretId: 'tagged', TagKeys: ['k'.repeat(129)] }))
    )
    expect(untag.name).toBe('ValidationException')
    expect(server.getSecret('tagged')?.tags).toEqual({})
  })

  it('allows at most 50 tags on a secret', async () => {
    const server = await start()
    server.seedSecret('tagged', { secretString: 'v1' })
    // The SDK retries LimitExceededException as throttling: one attempt is enough here.
    const client = clientFor(server, { maxAttempts: 1 })
    const tags = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }))
    await client.send(new TagResourceCommand({ SecretId: 'tagged', Tags: tags }))
    const error = await rejection(
      client.send(
        new TagResourceCommand({ SecretId: 'tagged', Tags: [{ Key: 'one-more', Value: 'v' }] })
      )
    )
    expect(error.name).toBe('LimitExceededException')
  })
})

describe('authentication', () => {
  it('refuses a wrong signature with InvalidSignatureException', async () => {
    const server = await start()
    server.seedSecret('s', { secretString: 'v1' })
    const client = clientFor(server, {
      credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: 'wrong' }
    })
    const error = await rejection(client.send(new GetSecretValueCommand({ SecretId: 's' })))
    expect(error.name).toBe('InvalidSignatureException')
    expect(error.message).toMatch(/^The request signature we calculated does not match/)
    expect(server.requests.every(request => request.status === 400)).toBe(true)
  })

  it('refuses an unknown access key with UnrecognizedClientException', async () => {
    const server = await start()
    const client = clientFor(server, {
      credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'whatever' }
    })
    const error = await rejection(client.send(new DescribeSecretCommand({ SecretId: 's' })))
    expect(error.name).toBe('UnrecognizedClientException')
    expect(error.message).toBe('The security token included in the request is invalid.')
    expect(server.requests[0]?.accessKeyId).toBe('AKIAUNKNOWN000000000')
  })

  it('requires the session token configured for a key', async () => {
    // The SDK writes into the credentials object it is given: each client gets its own copy.
    const key = (): { accessKeyId: string; secretAccessKey: string; sessionToken: string } => ({
      accessKeyId: 'ASIATEMPORARY0000001',
      secretAccessKey: 'temporary-secret',
      sessionToken: 'the-session-token'
    })
    const server = await start({ credentials: [key()] })
    server.seedSecret('s', { secretString: 'v1' })

    const withoutToken = await rejection(
      clientFor(server, {
        credentials: { accessKeyId: key().accessKeyId, secretAccessKey: key().secretAccessKey }
      }).send(new GetSecretValueCommand({ SecretId: 's' }))
    )
    expect(withoutToken.name).toBe('UnrecognizedClientException')
    const wrongToken = await rejection(
      clientFor(server, { credentials: { ...key(), sessionToken: 'another' } }).send(
        new GetSecretValueCommand({ SecretId: 's' })
      )
    )
    expect(wrongToken.name).toBe('UnrecognizedClientException')

    const value = await clientFor(server, { credentials: key() }).send(
      new GetSecretValueCommand({ SecretId: 's' })
    )
    expect(value.SecretString).toBe('v1')
    expect(server.credentials).toEqual(key())
  })

  it('records the region of the credential scope and refuses another region', async () => {
    const server = await start({ region: 'eu-west-3' })
    server.seedSecret('s', { secretString: 'v1' })
    await clientFor(server).send(new GetSecretValueCommand({ SecretId: 's' }))
    const error = await rejection(
      clientFor(server, { region: 'us-west-2' }).send(new GetSecretValueCommand({ SecretId: 's' }))
    )
    expect(error.name).toBe('InvalidSignatureException')
    expect(error.message).toBe("Credential should be scoped to a valid region, not 'us-west-2'. ")
    expect(server.requests.map(request => request.region)).toContain('eu-west-3')
    expect(server.requests.map(request => request.region)).toContain('us-west-2')
  })

  it('stops accepting a removed key and accepts an added one', async () => {
    const server = await start()
    server.seedSecret('s', { secretString: 'v1' })
    const extra = { accessKeyId: 'AKIAEXTRA00000000001', secretAccessKey: 'extra-secret' }
    server.addCredentials(extra)
    const client = clientFor(server, { credentials: extra })
    expect((await client.send(new GetSecretValueCommand({ SecretId: 's' }))).SecretString).toBe(
      'v1'
    )
    server.removeCredentials(extra.accessKeyId)
    const error = await rejection(client.send(new GetSecretValueCommand({ SecretId: 's' })))
    expect(error.name).toBe('UnrecognizedClientException')
  })
})

describe('faults', () => {
  it('throttles once; the SDK retries and succeeds', async () => {
    const server = await start()
    server.seedSecret('s', { secretString: 'v1' })
    const fault = server.faults.add({ kind: 'throttle', operation: 'GetSecretValue' })
    const value = await clientFor(server).send(new GetSecretValueCommand({ SecretId: 's' }))
    expect(value.SecretString).toBe('v1')
    expect(value.$metadata.attempts).toBe(2)
    expect(fault.hits).toBe(1)
    expect(server.requests.map(request => [request.status, request.errorType])).toEqual([
      [400, 'ThrottlingException'],
      [200, undefined]
    ])
  })

  it('answers 500 InternalServiceError; the SDK retries a write with the same token', async () => {
    const server = await start()
    server.seedSecret('s', { secretString: 'v1', versionId: token(1) })
    server.faults.add({ kind: 'error', operation: 'PutSecretValue', times: 2 })
    const put = await clientFor(server).send(
      new PutSecretValueCommand({ SecretId: 's', SecretString: 'v2', ClientRequestToken: token(2) })
    )
    expect(put.$metadata.attempts).toBe(3)
    expect(stagesOf(server, 's')).toEqual({
      [token(1)]: ['AWSPREVIOUS'],
      [token(2)]: ['AWSCURRENT']
    })

    server.faults.add({
      kind: 'error',
      operation: 'GetSecretValue',
      times: 5,
      status: 503,
      errorType: 'ServiceUnavailable'
    })
    const error = await rejection(
      clientFor(server).send(new GetSecretValueCommand({ SecretId: 's' }))
    )
    expect(error.name).toBe('ServiceUnavailable')
    expect(error.$metadata.httpStatusCode).toBe(503)
  })

  it('drops a connection before processing: nothing happens', async () => {
    const server = await start()
    server.seedSecret('s', { secretString: 'v1', versionId: token(1) })
    server.faults.add({ kind: 'drop', operation: 'PutSecretValue' })
    const error = await anyRejection(
      clientFor(server, { maxAttempts: 1 }).send(
        new PutSecretValueCommand({
          SecretId: 's',
          SecretString: 'v2',
          ClientRequestToken: token(2)
        })
      )
    )
    expect(error).not.toBeInstanceOf(SecretsManagerServiceException)
    expect(server.requests[0]?.dropped).toBe('before')
    expect(server.getSecret('s')?.versions).toHaveLength(1)

    // With its retries, the SDK gets through the next time.
    server.faults.add({ kind: 'drop', operation: 'DescribeSecret' })
    const described = await clientFor(server).send(new DescribeSecretCommand({ SecretId: 's' }))
    expect(described.$metadata.attempts).toBe(2)
  })

  it('drops the answer after processing: the change is applied all the same', async () => {
    const server = await start()
    server.seedSecret('s', { secretString: 'v1', versionId: token(1) })
    server.faults.add({ kind: 'drop-after-processing', operation: 'PutSecretValue', secretId: 's' })
    await anyRejection(
      clientFor(server, { maxAttempts: 1 }).send(
        new PutSecretValueCommand({
          SecretId: 's',
          SecretString: 'v2',
          ClientRequestToken: token(2)
        })
      )
    )
    expect(server.requests[0]?.dropped).toBe('after')
    expect(server.stageOf('s', 'AWSCURRENT')).toEqual({ versionId: token(2), secretString: 'v2' })

    // The SDK's own retry repeats the token: the second attempt is ignored, not applied twice.
    server.faults.add({ kind: 'drop-after-processing', operation: 'PutSecretValue' })
    const put = await clientFor(server).send(
      new PutSecretValueCommand({ SecretId: 's', SecretString: 'v3', ClientRequestToken: token(3) })
    )
    expect(put.$metadata.attempts).toBe(2)
    expect(put.VersionId).toBe(token(3))
    expect(stagesOf(server, 's')).toEqual({
      [token(1)]: [],
      [token(2)]: ['AWSPREVIOUS'],
      [token(3)]: ['AWSCURRENT']
    })
  })

  it('matches faults by operation and secret, delays, and can be removed', async () => {
    const server = await start()
    server.seedSecret('a', { secretString: 'A' })
    const b = server.seedSecret('b', { secretString: 'B' })
    const client = clientFor(server, { maxAttempts: 1 })
    const fault = server.faults.add({ kind: 'error', secretId: 'b', times: 10 })
    server.faults.add({ kind: 'delay', delayMs: 20, operation: 'GetSecretValue' })

    expect((await client.send(new GetSecretValueCommand({ SecretId: 'a' }))).SecretString).toBe('A')
    const error = await rejection(client.send(new GetSecretValueCommand({ SecretId: b.arn })))
    expect(error.name).toBe('InternalServiceError')
    expect(fault.hits).toBe(1)
    fault.remove()
    expect((await client.send(new GetSecretValueCommand({ SecretId: b.arn }))).SecretString).toBe(
      'B'
    )
    expect(fault.hits).toBe(1)
  })
})

describe('STS AssumeRoleWithWebIdentity', () => {
  const ENV_NAMES = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_ROLE_ARN',
    'AWS_ROLE_SESSION_NAME',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ENDPOINT_URL_STS',
    'AWS_REGION',
    'AWS_CONFIG_FILE',
    'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_EC2_METADATA_DISABLED'
  ] as const

  async function withWebIdentityEnv<T>(
    server: SecretsManagerServer,
    jwt: string,
    body: () => Promise<T>
  ): Promise<T> {
    const saved = new Map(ENV_NAMES.map(name => [name, process.env[name]]))
    const dir = await mkdtemp(join(tmpdir(), 'sts-'))
    try {
      for (const name of ENV_NAMES) Reflect.deleteProperty(process.env, name)
      const tokenFile = join(dir, 'token')
      await writeFile(tokenFile, jwt)
      process.env.AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/rotation'
      process.env.AWS_ROLE_SESSION_NAME = 'github-actions'
      process.env.AWS_WEB_IDENTITY_TOKEN_FILE = tokenFile
      process.env.AWS_ENDPOINT_URL_STS = server.stsUrl
      process.env.AWS_REGION = server.region
      process.env.AWS_CONFIG_FILE = join(dir, 'config')
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials')
      process.env.AWS_EC2_METADATA_DISABLED = 'true'
      return await body()
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) Reflect.deleteProperty(process.env, name)
        else process.env[name] = value
      }
      await rm(dir, { recursive: true, force: true })
    }
  }

  const jwt = [
    Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url'),
    Buffer.from(JSON.stringify({ sub: 'repo:octo/app:ref:refs/heads/main' })).toString('base64url'),
    'signature'
  ].join('.')

  it('lets the default credential chain assume a role; the endpoint accepts its credentials', async () => {
    const server = await start({ sts: { tokens: [jwt] } })
    server.seedSecret('oidc/secret', { secretString: 'via-oidc' })
    const value = await withWebIdentityEnv(server, jwt, async () => {
      const client = new SecretsManagerClient({ endpoint: server.url })
      clients.push(client)
      return client.send(new GetSecretValueCommand({ SecretId: 'oidc/secret' }))
    })
    expect(value.SecretString).toBe('via-oidc')
    const [issued] = server.issuedCredentials
    expect(issued?.accessKeyId).toMatch(/^ASIA/)
    expect(issued?.roleArn).toBe('arn:aws:iam::123456789012:role/rotation')
    expect(server.requests.map(request => request.operation)).toEqual([
      'AssumeRoleWithWebIdentity',
      'GetSecretValue'
    ])
    expect(server.requests[1]?.accessKeyId).toBe(issued?.accessKeyId)
  })

  it('refuses a token it does not know with AccessDenied', async () => {
    const server = await start({ sts: { tokens: ['another.token.value'] } })
    server.seedSecret('oidc/secret', { secretString: 'via-oidc' })
    const error = await withWebIdentityEnv(server, jwt, () => {
      const client = new SecretsManagerClient({ endpoint: server.url })
      clients.push(client)
      return anyRejection(client.send(new GetSecretValueCommand({ SecretId: 'oidc/secret' })))
    })
    expect(error.message).toMatch(/Not authorized to perform sts:AssumeRoleWithWebIdentity/)
    expect(server.issuedCredentials).toHaveLength(0)
    expect(server.requests.some(request => request.operation === 'GetSecretValue')).toBe(false)
  })
})
