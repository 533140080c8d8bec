// The Vault KV store, its lock and the run's session against a local Vault: what the server holds
// afterwards (versions, fields, custom_metadata, live tokens) is what each test checks.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { fingerprint } from '../../../src/engine/fingerprint.js'
import { emptyState } from '../../../src/engine/state.js'
import { ActionError } from '../../../src/errors.js'
import type { VaultConnection } from '../../../src/providers/vault/config.js'
import { KvV2 } from '../../../src/providers/vault/kv.js'
import { createKvLock, VaultClock } from '../../../src/providers/vault/lock.js'
import { VaultSession } from '../../../src/providers/vault/session.js'
import { createKvStore } from '../../../src/providers/vault/store.js'
import { MemoryLogger } from '../../support/memory-logger.js'
import { startVaultServer, type VaultServer } from '../../../test-servers/vault/index.js'

const RT1 = 'rt-current-3f9a1c0b7e5d'
const RT2 = 'rt-next-8d2e4b6a1f0c'
/** The least privilege of a KV store with its lock (docs/providers/vault.md#policies). */
const KV_STORE_POLICY = `
path "secret/data/ci/api" { capabilities = ["read", "update"] }
path "secret/metadata/ci/api" { capabilities = ["update"] }
path "secret/data/ci/api.lock" { capabilities = ["read", "create", "update"] }
`
/** The same without the record's capability. */
const NO_RECORD_POLICY = `
path "secret/data/ci/api" { capabilities = ["read", "update"] }
path "secret/data/ci/api.lock" { capabilities = ["read", "create", "update"] }
`

let vault: VaultServer
let log: MemoryLogger
let masked: Set<string>
let sessions: VaultSession[]

beforeEach(async () => {
  vault = await startVaultServer({
    policies: { 'kv-store': KV_STORE_POLICY, 'no-record': NO_RECORD_POLICY },
    approle: {
      approle: {
        roles: {
          rotation: {
            role_id: 'role-1',
            secret_ids: ['secret-1'],
            token_policies: ['kv-store'],
            token_ttl: '30m'
          },
          partial: { role_id: 'role-2', secret_ids: ['secret-2'], token_policies: ['no-record'] }
        }
      }
    }
  })
  vault.kv.write('secret/ci/api', { client: 'reporting', refresh_token: RT1 })
  log = new MemoryLogger()
  masked = new Set()
  sessions = []
})
afterEach(async () => {
  for (const session of sessions) await session.close()
  await vault.close()
})

const clock = { now: () => new Date() }
const sleep = async () => {}

function session(auth: VaultConnection['auth'] = approle()): VaultSession {
  const made = new VaultSession(
    { endpoint: { address: vault.url, tls: {} }, auth, timeoutMs: 5000 },
    { mask: s => masked.add(s), log, clock, sleep }
  )
  sessions.push(made)
  return made
}

function approle(): VaultConnection['auth'] {
  return { method: 'approle', roleId: 'role-1', secretId: 'secret-1', mount: 'approle' }
}

function store(kvSession = session()) {
  return createKvStore({
    kv: new KvV2(kvSession, 'secret'),
    path: 'ci/api',
    field: 'refresh_token',
    lockPath: 'ci/api.lock',
    persistTimeoutMs: 10_000,
    log,
    clock,
    sleep
  })
}

describe('the run session', () => {
  it('logs in once for every request, masks its token, and revokes it when closed', async () => {
    const one = session()
    const kv = new KvV2(one, 'secret')
    await kv.read('ci/api', 'preflight')
    await kv.read('ci/api', 'preflight')
    expect(vault.liveTokens().filter(t => t.path === 'auth/approle/login')).toHaveLength(1)
    expect(masked.size).toBe(1)
    await one.close()
    expect(vault.liveTokens().filter(t => t.path === 'auth/approle/login')).toHaveLength(0)
    expect(log.text()).toMatch(/Revoked the run's Vault token/)
  })

  it('never revokes a token it was given', async () => {
    const given = vault.createToken({ policies: ['kv-store'] }).token
    const one = session({ method: 'token', token: given })
    await new KvV2(one, 'secret').read('ci/api', 'preflight')
    await one.close()
    expect(vault.token(given)?.alive).toBe(true)
    expect(masked.has(given)).toBe(true)
  })

  it('says what to check when the login is refused, never the secret', async () => {
    const one = session({
      method: 'approle',
      roleId: 'role-1',
      secretId: 'wrong-secret',
      mount: 'approle'
    })
    const error = await new KvV2(one, 'secret').read('ci/api', 'preflight').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as ActionError).message).toMatch(
      /refused the approle login at auth\/approle\/login \(400\)/
    )
    expect((error as ActionError).message).not.toContain('wrong-secret')
  })
})

describe('the KV store', () => {
  it('reads the live credential from the newest version; no record is a first rotation', async () => {
    const kv = store()
    expect(await kv.read()).toBe(RT1)
    expect(await kv.readState()).toBeUndefined()
  })

  it('writes a new version with cas, keeping the other fields, and the record in custom_metadata', async () => {
    const kv = store()
    await kv.read()
    const state = {
      ...emptyState(),
      current: { fingerprint: fingerprint(RT1), since: new Date().toISOString() }
    }
    await kv.writeState({
      ...state,
      pending: {
        fingerprint: fingerprint(RT2),
        mintedAt: state.current.since,
        run: 'run 1',
        recoverable: false
      }
    })
    await kv.persist(RT2)
    expect(vault.kv.versions('secret/ci/api')).toEqual([1, 2])
    expect(vault.kv.read('secret/ci/api', { version: 1 })?.data).toEqual({
      client: 'reporting',
      refresh_token: RT1
    })
    const newest = vault.kv.read('secret/ci/api')
    expect(newest?.data).toEqual({ client: 'reporting', refresh_token: RT2 })
    expect(Object.keys(newest?.custom_metadata ?? {})).toEqual(['token-rotation-record-0'])
    expect(JSON.stringify(newest?.custom_metadata)).not.toContain(RT2)
    // A rerun finds the pending version and resumes it.
    const rerun = store()
    expect(await rerun.read()).toBe(RT2)
    expect((await rerun.readState())?.pending?.fingerprint).toBe(fingerprint(RT2))
  })

  it('never writes over another writer: cas refuses, the store says so', async () => {
    const kv = store()
    await kv.read()
    vault.kv.write('secret/ci/api', { refresh_token: 'someone-else' })
    const error = await kv.persist(RT2).catch((e: unknown) => e)
    expect((error as ActionError).code).toBe('store-conflict')
    expect(vault.kv.read('secret/ci/api')?.data).toEqual({
      refresh_token: 'someone-else'
    })
  })

  it('takes its own write that landed (a lost answer) for done', async () => {
    const kv = store()
    await kv.read()
    vault.kv.write('secret/ci/api', { client: 'reporting', refresh_token: RT2 })
    await kv.persist(RT2)
    expect(vault.kv.versions('secret/ci/api')).toEqual([1, 2])
  })

  it('refuses a credential it already exchanged, written back after its rotation', async () => {
    const kv = store()
    await kv.read()
    await kv.writeState({
      ...emptyState(),
      current: { fingerprint: fingerprint(RT2), since: new Date().toISOString() },
      history: [fingerprint(RT1)]
    })
    const error = await store()
      .readState()
      .catch((e: unknown) => e)
    expect((error as ActionError).code).toBe('stale-input')
  })

  it('names the missing capability at preflight, before anything is written', async () => {
    const kv = store(
      session({ method: 'approle', roleId: 'role-2', secretId: 'secret-2', mount: 'approle' })
    )
    const error = await kv.check(RT1).catch((e: unknown) => e)
    expect((error as ActionError).message).toMatch(
      /lacks `update` or `create` on secret\/metadata\/ci\/api \(it has: deny\)/
    )
    expect(vault.kv.versions('secret/ci/api')).toEqual([1])
  })

  it('rolls back by writing the version before the newest back, with cas', async () => {
    vault.kv.write('secret/ci/api', { client: 'reporting', refresh_token: RT2 })
    const kv = store()
    const reverting = await kv.revert()
    expect(reverting.value).toBe(RT1)
    await reverting.commit()
    expect(vault.kv.read('secret/ci/api')?.data).toEqual({
      client: 'reporting',
      refresh_token: RT1
    })
  })
})

describe('the KV lock', () => {
  function lock(one = session()) {
    return createKvLock({
      kv: new KvV2(one, 'secret'),
      path: 'ci/api.lock',
      clock: new VaultClock(),
      log
    })
  }

  it('lets one run hold it, refuses the next, and frees it at release', async () => {
    const first = await lock().acquire('run 1', 30 * 60_000)
    const refused = await lock()
      .acquire('run 2', 30 * 60_000)
      .catch((e: unknown) => e)
    expect((refused as ActionError).code).toBe('locked')
    expect((refused as ActionError).message).toMatch(/run 1/)
    expect(await first.confirm(60_000)).toMatchObject({ held: true })
    await first.release()
    const second = await lock().acquire('run 2', 30 * 60_000)
    expect(second.holder).toMatch(/run 2 \(lock version 3\)/)
  })

  it('is taken over once its lease is over by Vault clock, and the late release changes nothing', async () => {
    const first = await lock().acquire('run 1', 60_000)
    vault.clock.advance(61_000)
    const second = await lock().acquire('run 2', 60_000)
    expect(log.text()).toMatch(/Took over the lock secret\/ci\/api.lock: run 1/)
    expect(await first.confirm(0)).toMatchObject({ held: false, owned: false })
    await first.release()
    expect(vault.kv.read('secret/ci/api.lock')?.data).toMatchObject({
      owner: 'run 2'
    })
    expect(await second.confirm(0)).toMatchObject({ held: true })
  })

  it('tells its owner when the run holds it and when it let it go (a record write waits for it)', async () => {
    const told: boolean[] = []
    const held = createKvLock({
      kv: new KvV2(session(), 'secret'),
      path: 'ci/api.lock',
      clock: new VaultClock(),
      log,
      onHeld: now => told.push(now)
    })
    const refusedBy = await lock().acquire('run 1', 30 * 60_000)
    await held.acquire('run 2', 30 * 60_000).catch(() => undefined)
    expect(told).toEqual([])
    await refusedBy.release()
    const lease = await held.acquire('run 2', 30 * 60_000)
    expect(told).toEqual([true])
    await lease.release()
    expect(told).toEqual([true, false])
  })
})
