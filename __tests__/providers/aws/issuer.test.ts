// The AWS issuers against the local Secrets Manager server, through the real AWS SDK: the rotation
// issuer starts the secret's (simulated) rotation Lambda with RotateSecret and waits for it on a
// fake clock; the value issuer of a sync reads AWSCURRENT and AWSPREVIOUS. Each test checks what
// the server holds afterwards, and which operations it was asked for.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { AwsSecret } from '../../../src/providers/aws/secret.js'
import type { Issuer, Minted } from '../../../src/engine/ports.js'
import { ActionError } from '../../../src/errors.js'
import { createAwsValueIssuer } from '../../../src/providers/aws/secret-value.js'
import { createAwsRotationIssuer } from '../../../src/providers/aws/issuer.js'
import {
  startSecretsManagerServer,
  type RotationOutcome,
  type SecretsManagerServer
} from '../../../test-servers/aws/index.js'
import { MemoryClock, MemorySleep } from '../../support/engine-ports.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const SECRET_ID = 'prod/api-key'
const FIRST = 'api-key-1-6f0d2c'
const MINUTE = 60_000

let server: SecretsManagerServer
let clients: SecretsManagerClient[]
let log: MemoryLogger
let masked: Set<string>
let clock: MemoryClock
/** How many values the simulated rotation Lambda has made. */
let generation: number

beforeEach(async () => {
  server = await startSecretsManagerServer()
  clients = []
  log = new MemoryLogger()
  masked = new Set()
  clock = new MemoryClock()
  generation = 1
})
afterEach(async () => {
  for (const client of clients) client.destroy()
  await server.close()
})

/** The value the Lambda makes next. */
const valueNo = (n: number) => `api-key-${String(n)}-6f0d2c`

/** The secret, with a rotation Lambda that ends as `outcome` after `polls` reads of the secret. */
function seedRotating(outcome: RotationOutcome, polls?: number): void {
  server.seedSecret(SECRET_ID, {
    secretString: FIRST,
    rotation: {
      next: () => valueNo((generation += 1)),
      outcome,
      ...(polls === undefined ? {} : { completeAfterDescribes: polls })
    }
  })
}

function awsSecret(secretId = SECRET_ID): AwsSecret {
  const client = new SecretsManagerClient({
    endpoint: server.url,
    region: server.region,
    credentials: server.credentials
  })
  clients.push(client)
  return new AwsSecret(client, secretId, value => {
    masked.add(value)
  })
}

/** One run's rotation issuer; its sleep moves the fake clock instead of waiting. */
function rotationIssuer(timeoutMs = 10 * MINUTE): Issuer {
  return createAwsRotationIssuer({
    secret: awsSecret(),
    timeoutMs,
    clock,
    sleep: new MemorySleep(clock).sleep,
    log
  })
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

const versionAt = (label: string) => server.stageOf(SECRET_ID, label)

/** How many requests of `operation` the server was sent. */
const sent = (operation: string) => server.requests.filter(r => r.operation === operation).length

async function putByHand(value: string, stages: string[]): Promise<string> {
  const id = randomUUID()
  const client = new SecretsManagerClient({
    endpoint: server.url,
    region: server.region,
    credentials: server.credentials
  })
  clients.push(client)
  await client.send(
    new PutSecretValueCommand({
      SecretId: SECRET_ID,
      SecretString: value,
      ClientRequestToken: id,
      VersionStages: stages
    })
  )
  return id
}

describe('createAwsRotationIssuer', () => {
  it('rotates: the value is the new AWSCURRENT, previous what it was given, storedAs its version', async () => {
    seedRotating('succeed')
    const firstId = versionAt('AWSCURRENT')?.versionId

    const minted = await rotationIssuer().mint(FIRST)

    const current = versionAt('AWSCURRENT')
    expect(current?.secretString).toBe(valueNo(2))
    expect(minted).toEqual({
      value: valueNo(2),
      next: valueNo(2),
      rotated: false,
      previous: FIRST,
      storedAs: expect.stringContaining(`version ${current?.versionId ?? '?'} (AWSCURRENT)`)
    })
    expect(minted.storedAs).toContain(SECRET_ID)
    expect(versionAt('AWSPREVIOUS')?.versionId).toBe(firstId)
    expect(versionAt('AWSPENDING')).toBeUndefined()
    expect(masked).toContain(valueNo(2))
  })

  it('rotates when the Lambda finished before RotateSecret answered', async () => {
    seedRotating('succeed', 0)
    expect((await rotationIssuer().mint(FIRST)).value).toBe(valueNo(2))
  })

  it('fails with rotation-failed when the Lambda gave up, AWSCURRENT unmoved', async () => {
    seedRotating('fail')
    const firstId = versionAt('AWSCURRENT')?.versionId

    const error = await failure(rotationIssuer().mint(FIRST))

    expect(error.code).toBe('rotation-failed')
    expect(error.phase).toBe('mint')
    expect(error.message).toContain('CloudWatch')
    expect(error.message).not.toContain(valueNo(2))
    expect(versionAt('AWSCURRENT')?.versionId).toBe(firstId)
    expect(versionAt('AWSPENDING')).toBeUndefined()
  })

  it('starts a fresh rotation after a failed one, whose version still holds the first token', async () => {
    seedRotating('fail')
    expect((await failure(rotationIssuer().mint(FIRST))).code).toBe('rotation-failed')

    // The failed version is deprecated (no label) but keeps its id: a second RotateSecret with
    // the same token would be refused as ResourceExistsException.
    const error = await failure(rotationIssuer().mint(FIRST))

    expect(error.code).toBe('rotation-failed')
    expect(generation).toBe(3)
    expect(server.getSecret(SECRET_ID)?.versions).toHaveLength(3)
  })

  it('fails with rotation-pending once rotation-timeout is over when the Lambda strands', async () => {
    seedRotating('strand')
    const started = clock.now().getTime()

    const error = await failure(rotationIssuer(2 * MINUTE).mint(FIRST))

    expect(error.code).toBe('rotation-pending')
    expect(error.message).toContain('after 120 s (rotation-timeout)')
    expect(error.message).toContain('update-secret-version-stage')
    // It waited on the fake clock, up to the timeout and not beyond.
    expect(clock.now().getTime() - started).toBeGreaterThan(MINUTE)
    expect(clock.now().getTime() - started).toBeLessThanOrEqual(2 * MINUTE)
    const stranded = versionAt('AWSPENDING')
    expect(error.message).toContain(stranded?.versionId ?? '?')
    expect(versionAt('AWSCURRENT')?.secretString).toBe(FIRST)
  })

  it('waits for an AWSPENDING it did not start, reports it stranded, and never calls RotateSecret', async () => {
    seedRotating('succeed')
    const stranded = await putByHand('half-made-9a8b7c', ['AWSPENDING'])

    const error = await failure(rotationIssuer().mint(FIRST))

    expect(error.code).toBe('rotation-pending')
    expect(error.message).toContain(`stranded on version ${stranded} after`)
    expect(error.message).not.toContain('half-made-9a8b7c')
    expect(sent('RotateSecret')).toBe(0)
    expect(versionAt('AWSCURRENT')?.secretString).toBe(FIRST)
  })

  it('waits for the rotation an earlier run started instead of starting another', async () => {
    // The Lambda takes longer than the first run waits: that run gives up with it in flight.
    seedRotating('succeed', 8)
    const early = await failure(rotationIssuer(3_000).mint(FIRST))
    expect(early.code).toBe('rotation-pending')
    const inFlight = versionAt('AWSPENDING')?.versionId
    expect(server.getSecret(SECRET_ID)?.rotationInFlight).toBe(inFlight)

    const minted = await rotationIssuer().mint(FIRST)

    expect(minted.value).toBe(valueNo(2))
    expect(versionAt('AWSCURRENT')?.versionId).toBe(inFlight)
    expect(sent('RotateSecret')).toBe(1)
    expect(generation).toBe(2)
  })

  it('refuses when the secret has no rotation Lambda', async () => {
    server.seedSecret(SECRET_ID, { secretString: FIRST })

    const error = await failure(rotationIssuer().mint(FIRST))

    expect(error.code).toBe('aws-rejected')
    expect(error.message).toContain('has no rotation Lambda')
    expect(error.message).toContain('issuer: none')
    expect(sent('RotateSecret')).toBe(0)
  })

  it('undoes a rotation: AWSCURRENT back on the old version, the new one AWSPREVIOUS', async () => {
    seedRotating('succeed')
    const firstId = versionAt('AWSCURRENT')?.versionId
    const issuer = rotationIssuer()
    const minted: Minted = await issuer.mint(FIRST)
    const newId = versionAt('AWSCURRENT')?.versionId

    await issuer.undo?.(minted)

    expect(versionAt('AWSCURRENT')?.versionId).toBe(firstId)
    expect(versionAt('AWSCURRENT')?.secretString).toBe(FIRST)
    expect(versionAt('AWSPREVIOUS')?.versionId).toBe(newId)
  })

  it('rotates again from the version it moved back to, as a new version', async () => {
    seedRotating('succeed')
    const issuer = rotationIssuer()
    const undone = await issuer.mint(FIRST)
    await issuer.undo?.(undone)

    const minted = await rotationIssuer().mint(FIRST)

    expect(minted.value).toBe(valueNo(3))
    expect(versionAt('AWSCURRENT')?.secretString).toBe(valueNo(3))
    expect(versionAt('AWSPREVIOUS')?.secretString).toBe(FIRST)
  })

  it('has nothing to undo before it minted', async () => {
    seedRotating('succeed')
    await rotationIssuer().undo?.({ value: '', next: '', rotated: false })
    expect(sent('UpdateSecretVersionStage')).toBe(0)
  })
})

describe('createAwsValueIssuer', () => {
  it('reads AWSCURRENT as the value and AWSPREVIOUS as what a failed check puts back', async () => {
    server.seedSecret(SECRET_ID, {
      secretString: JSON.stringify({ user: 'svc', password: 'pw-1' })
    })
    const currentId = await putByHand(JSON.stringify({ user: 'svc', password: 'pw-2' }), [
      'AWSCURRENT'
    ])

    const issuer = createAwsValueIssuer(awsSecret())
    const minted = await issuer.mint('')

    expect(issuer.kind).toBe('none')
    expect(issuer.source).toBe(`AWSCURRENT of AWS Secrets Manager secret ${SECRET_ID}`)
    expect(minted).toEqual({
      value: JSON.stringify({ user: 'svc', password: 'pw-2' }),
      next: '',
      rotated: false,
      previous: JSON.stringify({ user: 'svc', password: 'pw-1' }),
      storedAs: `read from AWSCURRENT (version ${currentId}) of secret ${SECRET_ID}`
    })
    for (const value of ['pw-1', 'pw-2', 'svc', minted.value, minted.previous ?? '?']) {
      expect(masked).toContain(value)
    }
    // A sync writes nothing.
    expect(sent('PutSecretValue')).toBe(1)
    expect(sent('UpdateSecretVersionStage')).toBe(0)
  })

  it('has no previous before the secret changed for the first time', async () => {
    server.seedSecret(SECRET_ID, { secretString: FIRST })
    const minted = await createAwsValueIssuer(awsSecret()).mint('')
    expect(minted.value).toBe(FIRST)
    expect(minted).not.toHaveProperty('previous')
  })

  it('names store-secret-id when the secret does not exist', async () => {
    const error = await failure(createAwsValueIssuer(awsSecret('prod/missing')).mint(''))
    expect(error.code).toBe('aws-not-found')
    expect(error.message).toContain("'store-secret-id'")
  })
})
