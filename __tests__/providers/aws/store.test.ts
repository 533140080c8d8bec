// The AWS Secrets Manager store against the local Secrets Manager server, through the real AWS SDK
// (AWS JSON 1.1, SigV4): the secret's versions are the write-ahead state, the rest of the record
// lives in its tags. Each test checks what the server holds afterwards: which version carries
// which label, what each version's value is, which tags the secret has.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient
} from '@aws-sdk/client-secrets-manager'
import { AwsSecret } from '../../../src/providers/aws/secret.js'
import { fingerprint } from '../../../src/engine/fingerprint.js'
import { emptyState, runFailed, type RotationState } from '../../../src/engine/state.js'
import { ActionError } from '../../../src/errors.js'
import { readRecordTags, recordTags } from '../../../src/providers/aws/record-tags.js'
import type { VersionOwner } from '../../../src/providers/aws/config.js'
import { createAwsSecretsStore, type VersionedStore } from '../../../src/providers/aws/store.js'
import { versionToken } from '../../../src/providers/aws/version-token.js'
import {
  startSecretsManagerServer,
  type SecretsManagerServer
} from '../../../test-servers/aws/index.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const SECRET_ID = 'prod/oauth'
const FIELD = 'refresh_token'
const RT1 = 'rt-current-3f9a1c0b7e5d'
const RT2 = 'rt-next-8d2e4b6a1f0c'
const RT3 = 'rt-third-5c7a9e1b3d2f'
const HAND = 'rt-by-hand-0a1b2c3d4e5f'

/** The secret as an operator created it: the refresh token beside other fields. */
const DOCUMENT = {
  client: 'reporting-client',
  refresh_token: RT1,
  scopes: ['read', 'write'],
  limits: { perMinute: 60 }
}

let server: SecretsManagerServer
let clients: SecretsManagerClient[]
let log: MemoryLogger
/** Every value the store passed to the mask. */
let masked: Set<string>
/** What the store asked to wait, instead of waiting. */
let waits: number[]

beforeEach(async () => {
  server = await startSecretsManagerServer()
  server.seedSecret(SECRET_ID, {
    secretString: JSON.stringify(DOCUMENT),
    tags: { team: 'payments' }
  })
  clients = []
  log = new MemoryLogger()
  masked = new Set()
  waits = []
})
afterEach(async () => {
  for (const client of clients) client.destroy()
  await server.close()
})

function sdkClient(maxAttempts?: number): SecretsManagerClient {
  const client = new SecretsManagerClient({
    endpoint: server.url,
    region: server.region,
    credentials: server.credentials,
    ...(maxAttempts === undefined ? {} : { maxAttempts })
  })
  clients.push(client)
  return client
}

interface StoreOptions {
  /** Default: `refresh_token`; null for none. */
  field?: string | null
  owner?: VersionOwner
  /** The SDK's own attempts per request (default: the SDK's). */
  maxAttempts?: number
  persistAttempts?: number
  secretId?: string
}

/** One run's store: each run reads the secret afresh. */
function awsStore(options: StoreOptions = {}): VersionedStore {
  const field = options.field === undefined ? FIELD : options.field
  const secret = new AwsSecret(
    sdkClient(options.maxAttempts),
    options.secretId ?? SECRET_ID,
    value => {
      masked.add(value)
    }
  )
  return createAwsSecretsStore({
    secret,
    ...(field === null ? {} : { field }),
    owner: options.owner ?? 'action',
    log,
    // Time moves only when the store waits.
    clock: { now: () => new Date(Date.UTC(2026, 2, 2) + waits.reduce((sum, ms) => sum + ms, 0)) },
    sleep: ms => {
      waits.push(ms)
      return Promise.resolve()
    },
    ...(options.persistAttempts === undefined ? {} : { persistAttempts: options.persistAttempts })
  })
}

/** The record a store reads: the AWS store always has one (AWSCURRENT is its current). */
async function stateOf(store: VersionedStore): Promise<RotationState> {
  const state = await store.readState()
  if (!state) throw new Error('the AWS store read no record')
  return state
}

/** The error a call fails with; fails the test when the call succeeds. */
async function failure(call: Promise<unknown>): Promise<ActionError> {
  try {
    await call
  } catch (error) {
    if (error instanceof ActionError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

/** Each version the server holds: its labels and its value, oldest first. */
function versions(secretId = SECRET_ID): Array<{ id: string; stages: string[]; value: string }> {
  return (server.getSecret(secretId)?.versions ?? []).map(v => ({
    id: v.versionId,
    stages: v.stages,
    value: v.secretString ?? ''
  }))
}

/** The refresh token of the version holding `label`, or the whole value of a plain secret. */
function tokenAt(label: string, secretId = SECRET_ID): string | undefined {
  const version = server.stageOf(secretId, label)
  if (!version) return undefined
  try {
    return (JSON.parse(version.secretString) as { refresh_token: string }).refresh_token
  } catch {
    return version.secretString
  }
}

function arn(secretId = SECRET_ID): string {
  return server.getSecret(secretId)?.arn ?? ''
}

/** The version this action writes for `value`. */
function tokenFor(value: string, secretId = SECRET_ID): string {
  return versionToken(arn(secretId), value)
}

/** The document with another refresh token, as the store writes it. */
function documentWith(token: string): string {
  return JSON.stringify({ ...DOCUMENT, refresh_token: token })
}

/** Another writer (an operator, another workflow) puts a version with the SDK. */
async function putByHand(value: string, stages: string[]): Promise<string> {
  const id = randomUUID()
  await sdkClient().send(
    new PutSecretValueCommand({
      SecretId: SECRET_ID,
      SecretString: value,
      ClientRequestToken: id,
      VersionStages: stages
    })
  )
  return id
}

/** Operations that change the secret, as the server recorded them. */
function writes(): string[] {
  const changing = ['PutSecretValue', 'UpdateSecretVersionStage', 'TagResource', 'UntagResource']
  return server.requests.filter(r => changing.includes(r.operation)).map(r => r.operation)
}

const pendingMark = (
  token: string,
  run = 'run 12 attempt 1'
): NonNullable<RotationState['pending']> => ({
  fingerprint: fingerprint(token),
  mintedAt: '2026-03-02T10:00:00.000Z',
  run,
  recoverable: true
})

describe('readState and read', () => {
  it('refuses a value that starts like JSON and does not parse, never taking it whole', async () => {
    const broken = `{"client":"reporting","refresh_token":"${RT2}",}`
    await putByHand(broken, ['AWSCURRENT'])
    const error = await failure(awsStore().read())
    expect(error.code).toBe('aws-rejected')
    expect(error.message).toMatch(/not valid JSON/)
    expect(error.message).not.toContain(RT2)
  })

  it('reads current from AWSCURRENT and the rest of the record from its own tags', async () => {
    const record: RotationState = {
      ...emptyState(),
      published: { fingerprint: fingerprint('at-1'), at: '2026-03-01T09:00:00.000Z' },
      rotatedAt: '2026-03-01T09:00:00.000Z',
      consecutiveFailures: 2,
      retirements: [{ fingerprint: fingerprint('at-0'), dueAt: '2026-03-01T09:15:00.000Z' }],
      runs: [
        {
          id: 'run 11 attempt 1',
          at: '2026-03-01T09:00:00.000Z',
          mode: 'rotate',
          outcome: 'rotated'
        }
      ]
    }
    server.seedSecret('prod/tagged', {
      secretString: JSON.stringify(DOCUMENT),
      tags: { ...recordTags(record), team: 'payments' }
    })
    const since = server.getSecret('prod/tagged')?.versions[0]?.createdDate
    const state = await stateOf(awsStore({ secretId: 'prod/tagged' }))
    expect(state).toEqual({
      ...record,
      current: { fingerprint: fingerprint(RT1), since: expect.any(String) }
    })
    expect(Math.abs(Date.parse(state.current?.since ?? '') - (since?.getTime() ?? 0))).toBeLessThan(
      1000
    )
  })

  it('reads the credential from AWSCURRENT when nothing is staged', async () => {
    const store = awsStore()
    expect(await store.read()).toBe(RT1)
    expect((await stateOf(store)).pending).toBeUndefined()
  })

  it('gives the AWSPENDING credential this action staged, and reports it pending', async () => {
    await awsStore().persist(RT2)
    const stagedId = tokenFor(documentWith(RT2))

    const rerun = awsStore()
    expect(await rerun.read()).toBe(RT2)
    const state = await stateOf(rerun)
    expect(state.current?.fingerprint).toBe(fingerprint(RT1))
    expect(state.pending).toEqual({
      fingerprint: fingerprint(RT2),
      mintedAt: expect.any(String),
      run: `an earlier run (version ${stagedId})`,
      recoverable: false
    })
  })

  it('takes the pending details from the mark when it names the staged version', async () => {
    const first = awsStore()
    await first.writeState({ ...(await stateOf(first)), pending: pendingMark(RT2) })
    await first.persist(RT2)

    const state = await stateOf(awsStore())
    expect(state.pending).toEqual(pendingMark(RT2))
  })

  it('reads a plain string secret whole, even with a field configured', async () => {
    server.seedSecret('prod/plain', { secretString: RT1 })
    const store = awsStore({ secretId: 'prod/plain' })
    expect(await store.read()).toBe(RT1)
    expect((await stateOf(store)).current?.fingerprint).toBe(fingerprint(RT1))
  })

  it('refuses a JSON secret without the field, naming the fields and no value', async () => {
    server.seedSecret('prod/other', {
      secretString: JSON.stringify({ user: 'svc', password: RT1 })
    })
    const error = await failure(awsStore({ secretId: 'prod/other' }).readState())
    expect(error.code).toBe('aws-rejected')
    expect(error.message).toContain(`'${FIELD}'`)
    expect(error.message).toContain('user, password')
    expect(error.message).not.toContain(RT1)
    expect(error.message).not.toContain('svc')
  })

  it('says how to start when the secret has no AWSCURRENT version', async () => {
    await sdkClient().send(new CreateSecretCommand({ Name: 'prod/empty' }))
    const error = await failure(awsStore({ secretId: 'prod/empty' }).readState())
    expect(error.code).toBe('aws-rejected')
    expect(error.message).toContain('has no AWSCURRENT version')
    expect(error.message).toContain('put-secret-value --secret-id prod/empty')
  })

  it('names store-secret-id when the secret does not exist', async () => {
    const error = await failure(awsStore({ secretId: 'prod/missing' }).readState())
    expect(error.code).toBe('aws-not-found')
    expect(error.message).toContain('prod/missing')
    expect(error.message).toContain("'store-secret-id'")
  })

  it('refuses a binary secret, which it can neither read nor write', async () => {
    await sdkClient().send(
      new CreateSecretCommand({ Name: 'prod/binary', SecretBinary: Buffer.from(RT1) })
    )
    const error = await failure(stateOf(awsStore({ secretId: 'prod/binary' })))
    expect(error.code).toBe('aws-rejected')
    expect(error.message).toContain('SecretBinary')
  })

  it('warns when AWS rotation is also turned on for a secret this action rotates', async () => {
    server.seedSecret('prod/both', {
      secretString: JSON.stringify(DOCUMENT),
      rotation: { next: () => documentWith(HAND), outcome: 'succeed' }
    })
    await stateOf(awsStore({ secretId: 'prod/both' }))
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringContaining('cancel-rotate-secret --secret-id prod/both')
      })
    )
  })
})

describe('persist', () => {
  it('stages AWSPENDING as the version named by its deterministic token', async () => {
    await awsStore().persist(RT2)
    const value = documentWith(RT2)
    expect(versions()).toEqual([
      { id: expect.any(String), stages: ['AWSCURRENT'], value: JSON.stringify(DOCUMENT) },
      { id: tokenFor(value), stages: ['AWSPENDING'], value }
    ])
  })

  it('makes one version of the same value, however often and by whichever run', async () => {
    const store = awsStore()
    await store.persist(RT2)
    await store.persist(RT2)
    await awsStore().persist(RT2)
    expect(versions().filter(v => v.value === documentWith(RT2))).toHaveLength(1)
    expect(versions()).toHaveLength(2)
  })

  it('keeps every other field of a JSON document', async () => {
    await awsStore().persist(RT2)
    const staged = server.stageOf(SECRET_ID, 'AWSPENDING')
    expect(JSON.parse(staged?.secretString ?? '')).toEqual({ ...DOCUMENT, refresh_token: RT2 })
  })

  it('keeps a plain string secret a plain string', async () => {
    server.seedSecret('prod/plain', { secretString: RT1 })
    await awsStore({ secretId: 'prod/plain' }).persist(RT2)
    expect(server.stageOf('prod/plain', 'AWSPENDING')).toEqual({
      versionId: tokenFor(RT2, 'prod/plain'),
      secretString: RT2
    })
    expect(tokenAt('AWSCURRENT', 'prod/plain')).toBe(RT1)
  })

  it('replaces the whole value when no field is configured', async () => {
    await awsStore({ field: null }).persist(RT2)
    expect(server.stageOf(SECRET_ID, 'AWSPENDING')?.secretString).toBe(RT2)
  })
})

describe('writeState', () => {
  async function promote(store: VersionedStore, token: string): Promise<void> {
    const state = await stateOf(store)
    await store.writeState({
      ...state,
      current: { fingerprint: fingerprint(token), since: '2026-03-02T10:05:00.000Z' }
    })
  }

  it('promotes the staged version: AWSCURRENT moves, AWSPREVIOUS follows, nothing stays pending', async () => {
    const first = awsStore()
    await first.persist(RT2)
    await promote(first, RT2)
    expect(tokenAt('AWSCURRENT')).toBe(RT2)
    expect(tokenAt('AWSPREVIOUS')).toBe(RT1)
    expect(server.stageOf(SECRET_ID, 'AWSPENDING')).toBeUndefined()
    expect(await awsStore().read()).toBe(RT2)

    const second = awsStore()
    await stateOf(second)
    await second.persist(RT3)
    await promote(second, RT3)
    expect(versions().map(v => [tokenIn(v.value), v.stages])).toEqual([
      [RT1, []],
      [RT2, ['AWSPREVIOUS']],
      [RT3, ['AWSCURRENT']]
    ])
  })

  it('promotes the version an earlier run staged', async () => {
    await awsStore().persist(RT2)
    const rerun = awsStore()
    await promote(rerun, RT2)
    expect(tokenAt('AWSCURRENT')).toBe(RT2)
    expect(tokenAt('AWSPREVIOUS')).toBe(RT1)
  })

  it('fails with store-conflict when another writer moved AWSCURRENT, keeping its version pending', async () => {
    const store = awsStore()
    const state = await stateOf(store)
    await store.persist(RT2)
    const handId = await putByHand(documentWith(HAND), ['AWSCURRENT'])

    const error = await failure(
      store.writeState({
        ...state,
        current: { fingerprint: fingerprint(RT2), since: '2026-03-02T10:05:00.000Z' }
      })
    )
    expect(error.code).toBe('store-conflict')
    expect(error.phase).toBe('promote')
    expect(error.message).toContain('another writer')
    expect(server.stageOf(SECRET_ID, 'AWSCURRENT')?.versionId).toBe(handId)
    expect(tokenAt('AWSPENDING')).toBe(RT2)
  })

  it('refuses to make current a credential it has not staged', async () => {
    const store = awsStore()
    const state = await stateOf(store)
    const error = await failure(
      store.writeState({
        ...state,
        current: { fingerprint: fingerprint(RT3), since: '2026-03-02T10:05:00.000Z' }
      })
    )
    expect(error.code).toBe('internal')
    expect(tokenAt('AWSCURRENT')).toBe(RT1)
  })

  it("keeps in the minting mark until when the minting run's lease lasts, and reads older marks", async () => {
    const store = awsStore()
    const state = await stateOf(store)
    const minting = {
      from: fingerprint(RT1),
      startedAt: '2026-03-02T10:00:00.000Z',
      run: 'run 12 attempt 1',
      recoverable: true,
      lease: { holder: 'run 12 attempt 1', endsBy: '2026-03-02T10:10:00.000Z' }
    }
    await store.writeState({ ...state, minting })
    expect((await stateOf(awsStore())).minting).toEqual(minting)
    expect(
      readRecordTags({
        'token-rotation:minting': `${fingerprint(RT1)} 2026-03-02T10:00:00.000Z plain run 3 attempt 2`
      }).minting
    ).toEqual({
      from: fingerprint(RT1),
      startedAt: '2026-03-02T10:00:00.000Z',
      run: 'run 3 attempt 2',
      recoverable: false
    })
  })

  it('writes the record to its tags, removes the parts that are gone, and keeps tags of others', async () => {
    const store = awsStore()
    const state = await stateOf(store)
    const minting = {
      from: fingerprint(RT1),
      startedAt: '2026-03-02T10:00:00.000Z',
      run: 'run 12 attempt 1',
      recoverable: false
    }
    await store.writeState({ ...state, minting })
    expect((await stateOf(awsStore())).minting).toEqual(minting)

    const done: RotationState = {
      ...state,
      consecutiveFailures: 0,
      rotatedAt: '2026-03-02T10:06:00.000Z',
      runs: [
        {
          id: 'run 12 attempt 1',
          at: '2026-03-02T10:06:00.000Z',
          mode: 'rotate',
          outcome: 'rotated'
        }
      ]
    }
    await store.writeState(done)
    const tags = server.getSecret(SECRET_ID)?.tags ?? {}
    expect(tags).toEqual({
      team: 'payments',
      'token-rotation:rotated-at': '2026-03-02T10:06:00.000Z',
      'token-rotation:last-run': '2026-03-02T10:06:00.000Z rotate rotated run 12 attempt 1',
      'token-rotation:outcomes': '+'
    })
    const reread = await stateOf(awsStore())
    expect(reread.minting).toBeUndefined()
    expect(reread.runs).toEqual(done.runs)
  })

  it('keeps every kept run as its outcome in one tag, so the success rate survives the tags', async () => {
    const store = awsStore()
    const state = await stateOf(store)
    const run = (day: number, outcome: string) => ({
      id: `run ${String(day)} attempt 1`,
      at: `2026-03-0${String(day)}T10:00:00.000Z`,
      mode: 'rotate',
      outcome
    })
    await store.writeState({
      ...state,
      consecutiveFailures: 1,
      runs: [
        run(4, 'failed: locked'),
        run(3, 'not-due'),
        run(2, 'rotated'),
        run(1, 'failed: internal')
      ]
    })

    const tags = server.getSecret(SECRET_ID)?.tags ?? {}
    expect(tags['token-rotation:outcomes']).toBe('-++-')
    const reread = await stateOf(awsStore())
    // The newest in full (last-run), the others as their outcome alone.
    expect(reread.runs).toEqual([
      run(4, 'failed:locked'),
      { outcome: 'ok' },
      { outcome: 'ok' },
      { outcome: 'failed' }
    ])
    expect(reread.runs.filter(r => runFailed(r))).toHaveLength(2)

    // Written back as read (the engine prepends its run to these), nothing is lost.
    await store.writeState({ ...reread, runs: [run(5, 'rotated'), ...reread.runs] })
    expect(server.getSecret(SECRET_ID)?.tags['token-rotation:outcomes']).toBe('+-++-')
  })
})

describe('an AWSPENDING this action did not write', () => {
  it('is refused with rotation-pending before anything is written', async () => {
    const foreign = await putByHand(documentWith(HAND), ['AWSPENDING'])
    const store = awsStore()
    const error = await failure(store.readState())
    expect(error.code).toBe('rotation-pending')
    expect(error.phase).toBe('preflight')
    expect(error.message).toContain(foreign)
    expect(error.message).not.toContain(HAND)
    expect((await failure(awsStore().read())).code).toBe('rotation-pending')
    expect(writes()).toEqual(['PutSecretValue']) // the hand-made version, and nothing else
    expect(server.stageOf(SECRET_ID, 'AWSPENDING')?.versionId).toBe(foreign)
  })

  it('is not this store’s business when a rotation Lambda owns the versions', async () => {
    await putByHand(documentWith(HAND), ['AWSPENDING'])
    const state = await stateOf(awsStore({ owner: 'rotation-lambda', field: null }))
    expect(state.current?.fingerprint).toBe(fingerprint(JSON.stringify(DOCUMENT)))
    expect(state.pending).toBeUndefined()
  })
})

describe('a token stored by hand after a rotation stopped with its version pending', () => {
  // A token stored by hand after a stopped rotation supersedes the version it staged.
  it('is the live credential, not the older staged version', async () => {
    const stopped = awsStore()
    await stopped.writeState({ ...(await stateOf(stopped)), pending: pendingMark(RT2) })
    await stopped.persist(RT2)
    // The operator re-authorizes and stores the new token, as the README says.
    await putByHand(documentWith(HAND), ['AWSCURRENT'])

    const next = awsStore()
    expect(await next.read()).toBe(HAND)
    expect((await stateOf(next)).pending).toBeUndefined()
  })
})

describe('the pending mark, written before the new version is staged', () => {
  it('is reported when the run died before staging anything', async () => {
    const dying = awsStore()
    await dying.writeState({ ...(await stateOf(dying)), pending: pendingMark(RT2) })

    const state = await stateOf(awsStore())
    expect(state.current?.fingerprint).toBe(fingerprint(RT1))
    expect(state.pending).toEqual(pendingMark(RT2))
    expect(server.stageOf(SECRET_ID, 'AWSPENDING')).toBeUndefined()
  })

  it('is superseded by a token stored by hand after it (a re-authorization)', async () => {
    const dying = awsStore()
    await dying.writeState({ ...(await stateOf(dying)), pending: pendingMark(RT2) })
    await putByHand(documentWith(HAND), ['AWSCURRENT'])

    const next = awsStore()
    expect(await next.read()).toBe(HAND)
    expect((await stateOf(next)).pending).toBeUndefined()
  })

  it('is kept when the token stored by hand is the one it names (a recovery)', async () => {
    const dying = awsStore()
    await dying.writeState({ ...(await stateOf(dying)), pending: pendingMark(RT2) })
    await putByHand(documentWith(RT2), ['AWSCURRENT'])

    const next = awsStore()
    expect(await next.read()).toBe(RT2)
    // Either way the run mints from RT2: the mark is superseded by the new version.
    expect((await stateOf(next)).current?.fingerprint).toBe(fingerprint(RT2))
  })

  it('wins over a staged version it does not name: that one was consumed by the run that marked', async () => {
    // Run 1 staged RT2 and died; run 2 resumed (promoted RT2, as the engine does before it mints),
    // minted RT3, marked it and died before staging it.
    await awsStore().persist(RT2)
    const second = awsStore()
    const state = await stateOf(second)
    const promoted: RotationState = {
      ...state,
      current: { fingerprint: fingerprint(RT2), since: '2026-03-02T10:00:00.000Z' },
      history: [fingerprint(RT1)]
    }
    delete promoted.pending
    await second.writeState(promoted)
    await second.writeState({ ...promoted, pending: pendingMark(RT3, 'run 13 attempt 1') })

    const third = awsStore()
    expect((await stateOf(third)).pending).toEqual(pendingMark(RT3, 'run 13 attempt 1'))
    // Neither consumed token is handed out again: the record says RT3 is pending (blocked).
    expect(await third.read()).toBe(RT2)
    expect((await stateOf(third)).current?.fingerprint).toBe(fingerprint(RT2))
  })

  it('remembers what a marked run consumed, even after the recovered token was stored by hand', async () => {
    // Persist failed: the mark names RT2, minted from RT1. The operator stores RT2 by hand.
    const dying = awsStore()
    await dying.writeState({ ...(await stateOf(dying)), pending: pendingMark(RT2) })
    await putByHand(documentWith(RT2), ['AWSCURRENT'])
    const next = awsStore()
    const state = await stateOf(next)
    expect(state.history).toContain(fingerprint(RT1))
    // Its record write drops the mark; the consumed RT1 stays in the consumed tag.
    const done: RotationState = { ...state }
    delete done.pending
    await next.writeState(done)
    expect(server.getSecret(SECRET_ID)?.tags['token-rotation:consumed']).toContain(fingerprint(RT1))
    // RT1 written back later is refused, never presented.
    await putByHand(documentWith(RT1), ['AWSCURRENT'])
    expect((await failure(awsStore().read())).code).toBe('stale-input')
  })

  it('refuses an AWSCURRENT written again with a consumed token, sending nothing', async () => {
    const store = awsStore()
    await store.persist(RT2)
    const state = await stateOf(store)
    const promoted: RotationState = {
      ...state,
      current: { fingerprint: fingerprint(RT2), since: '2026-03-02T10:00:00.000Z' },
      history: [fingerprint(RT1)]
    }
    delete promoted.pending
    await store.writeState(promoted)
    // A restore (or an old infrastructure apply) writes RT1 back as a new version.
    await putByHand(documentWith(RT1), ['AWSCURRENT'])

    const error = await failure(awsStore().read())
    expect(error.code).toBe('stale-input')
    expect(error.message).toMatch(/already exchanged/)
    expect(error.message).not.toContain(RT1)
  })

  it('resumes from the staged token when AWSCURRENT was written again with the consumed one', async () => {
    const store = awsStore()
    const state = await stateOf(store)
    await store.writeState({ ...state, pending: pendingMark(RT2) })
    await store.persist(RT2)
    // The health check failed; then something writes RT1 back as a newer version.
    await putByHand(documentWith(RT1), ['AWSCURRENT'])

    const next = awsStore()
    expect(await next.read()).toBe(RT2)
    expect((await stateOf(next)).pending?.fingerprint).toBe(fingerprint(RT2))
  })
})

describe('check', () => {
  function labels(): Array<[string, string[]]> {
    return versions().map(v => [v.id, v.stages])
  }

  it('proves the write permission with a PutSecretValue that changes nothing', async () => {
    const before = { labels: labels(), values: versions().map(v => v.value) }
    await awsStore().check(RT1)
    expect(labels()).toEqual(before.labels)
    expect(versions().map(v => v.value)).toEqual(before.values)
    const put = server.requests.find(r => r.operation === 'PutSecretValue')
    expect(put?.status).toBe(200)
  })

  it('changes nothing either when a staged version is the live one', async () => {
    await awsStore().persist(RT2)
    const before = labels()
    await awsStore().check(RT2)
    expect(labels()).toEqual(before)
    expect(versions()).toHaveLength(2)
  })

  it('fails with aws-forbidden naming secretsmanager:PutSecretValue when the write is refused', async () => {
    server.faults.add({
      kind: 'error',
      operation: 'PutSecretValue',
      status: 400,
      errorType: 'AccessDeniedException',
      message:
        'User: arn:aws:sts::123456789012:assumed-role/ci/gh is not authorized to perform: secretsmanager:PutSecretValue'
    })
    const before = labels()
    const error = await failure(awsStore().check(RT1))
    expect(error.code).toBe('aws-forbidden')
    expect(error.phase).toBe('preflight')
    expect(error.message).toContain('secretsmanager:PutSecretValue')
    expect(error.message).not.toContain(RT1)
    expect(labels()).toEqual(before)
  })

  it('writes nothing when a rotation Lambda owns the versions', async () => {
    await awsStore({ owner: 'rotation-lambda', field: null }).check('')
    expect(writes()).toEqual([])
  })
})

describe('persist when AWS fails', () => {
  it('tries again on throttling, 5xx and dropped connections until the version lands, once', async () => {
    for (const fault of [
      { kind: 'throttle' },
      { kind: 'error', status: 503, errorType: 'ServiceUnavailable' },
      { kind: 'drop' },
      { kind: 'drop-after-processing' }
    ] as const) {
      server.faults.add({ ...fault, operation: 'PutSecretValue' })
    }
    // The SDK's own retries are off, so each fault reaches the store's retry loop.
    const store = awsStore({ maxAttempts: 1 })
    await store.persist(RT2)
    const value = documentWith(RT2)
    expect(versions().filter(v => v.value === value)).toEqual([
      { id: tokenFor(value), stages: ['AWSPENDING'], value }
    ])
    // It backed off between attempts (on the injected sleep, which returns at once).
    expect(log.text()).toContain('trying again in')
  })

  it('gives up with persist-failed, naming where the value goes and never the value', async () => {
    server.faults.add({ kind: 'throttle', operation: 'PutSecretValue', times: 10 })
    const error = await failure(awsStore({ maxAttempts: 1, persistAttempts: 3 }).persist(RT2))
    expect(error.code).toBe('persist-failed')
    expect(error.message).toContain(`AWS Secrets Manager secret ${SECRET_ID} (as AWSPENDING`)
    expect(error.message).not.toContain(RT2)
    expect(server.stageOf(SECRET_ID, 'AWSPENDING')).toBeUndefined()
  })

  it('stops at once on a refusal, which cannot heal', async () => {
    server.faults.add({
      kind: 'error',
      operation: 'PutSecretValue',
      status: 400,
      errorType: 'AccessDeniedException',
      times: 1
    })
    const error = await failure(awsStore({ maxAttempts: 1 }).persist(RT2))
    // Had it tried again, the second attempt would have landed.
    expect(error.code).toBe('aws-forbidden')
    expect(server.stageOf(SECRET_ID, 'AWSPENDING')).toBeUndefined()
  })
})

describe('revert', () => {
  it('moves AWSCURRENT back to AWSPREVIOUS and answers its whole value', async () => {
    const store = awsStore({ owner: 'rotation-lambda', field: null })
    const previousId = server.stageOf(SECRET_ID, 'AWSCURRENT')?.versionId
    const newId = await putByHand(documentWith(RT2), ['AWSCURRENT'])

    const reverting = await store.revert()
    expect(reverting.value).toBe(JSON.stringify(DOCUMENT))
    // Nothing moves before commit: the run checks the value first.
    expect(server.stageOf(SECRET_ID, 'AWSCURRENT')?.versionId).toBe(newId)
    await reverting.commit()
    expect(server.stageOf(SECRET_ID, 'AWSCURRENT')?.versionId).toBe(previousId)
    expect(server.stageOf(SECRET_ID, 'AWSPREVIOUS')?.versionId).toBe(newId)
    expect(masked.has(JSON.stringify(DOCUMENT))).toBe(true)
  })

  it('refuses when there is no AWSPREVIOUS to go back to', async () => {
    const error = await failure(awsStore({ owner: 'rotation-lambda', field: null }).revert())
    expect(error.code).toBe('aws-rejected')
    expect(error.message).toContain('no AWSPREVIOUS')
    expect(tokenAt('AWSCURRENT')).toBe(RT1)
  })

  it('takes a move whose answer was lost (the SDK sent it again) as done', async () => {
    const newId = await putByHand(documentWith(RT2), ['AWSCURRENT'])
    server.faults.add({ kind: 'drop-after-processing', operation: 'UpdateSecretVersionStage' })
    const reverting = await awsStore({ owner: 'rotation-lambda', field: null }).revert()
    await reverting.commit()
    expect(server.stageOf(SECRET_ID, 'AWSPREVIOUS')?.versionId).toBe(newId)
  })

  it('fails with store-conflict when AWSCURRENT moved while it rolled back', async () => {
    await putByHand(documentWith(RT2), ['AWSCURRENT'])
    const reverting = await awsStore({ owner: 'rotation-lambda', field: null }).revert()
    // Another writer moves AWSCURRENT between the read and the move.
    const handId = await putByHand(documentWith(HAND), ['AWSCURRENT'])

    const error = await failure(reverting.commit())
    expect(error.code).toBe('store-conflict')
    expect(server.stageOf(SECRET_ID, 'AWSCURRENT')?.versionId).toBe(handId)
  })
})

describe('secrecy', () => {
  it('keeps no value in any tag, through a whole rotation', async () => {
    const first = awsStore()
    const start = await stateOf(first)
    const minting = {
      from: fingerprint(RT1),
      startedAt: '2026-03-02T10:00:00.000Z',
      run: 'run 12 attempt 1',
      recoverable: true
    }
    await first.writeState({ ...start, minting })
    await first.writeState({ ...start, minting, pending: pendingMark(RT2) })
    await first.persist(RT2)
    await first.writeState({
      ...start,
      current: { fingerprint: fingerprint(RT2), since: '2026-03-02T10:05:00.000Z' },
      published: {
        fingerprint: fingerprint('at-2'),
        at: '2026-03-02T10:04:00.000Z',
        expiresAt: '2026-03-02T11:04:00.000Z'
      },
      rotatedAt: '2026-03-02T10:05:00.000Z',
      consecutiveFailures: 1,
      retirements: [{ fingerprint: fingerprint('at-1'), dueAt: '2026-03-02T10:20:00.000Z' }],
      runs: [
        {
          id: 'run 12 attempt 1',
          at: '2026-03-02T10:05:00.000Z',
          mode: 'rotate',
          outcome: 'rotated'
        }
      ]
    })

    const values = [...versions().map(v => v.value), RT1, RT2, 'at-1', 'at-2', DOCUMENT.client]
    const tags = Object.entries(server.getSecret(SECRET_ID)?.tags ?? {})
    expect(tags.length).toBeGreaterThan(3)
    for (const [key, tag] of tags) {
      for (const value of values) {
        expect({ key, leaks: tag.includes(value) }).toEqual({ key, leaks: false })
      }
    }
  })

  it('masks every value it reads, and every string field of a JSON value', async () => {
    await awsStore().persist(RT2)
    masked.clear()
    const store = awsStore()
    await stateOf(store)
    for (const value of [JSON.stringify(DOCUMENT), documentWith(RT2), RT1, RT2, DOCUMENT.client]) {
      expect(masked).toContain(value)
    }
  })
})

function tokenIn(value: string): string | undefined {
  try {
    return (JSON.parse(value) as { refresh_token?: string }).refresh_token
  } catch {
    return undefined
  }
}
