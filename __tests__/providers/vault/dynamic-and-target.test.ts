// The dynamic issuer and the KV target against the local Vault: which leases and tokens are alive
// afterwards, whether the database account can log in, and what the target secret holds.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { fingerprint } from '../../../src/engine/fingerprint.js'
import { ActionError } from '../../../src/errors.js'
import { requireCapabilities } from '../../../src/providers/vault/capabilities.js'
import {
  createDynamicIssuer,
  dynamicNeeds,
  parseHandle
} from '../../../src/providers/vault/dynamic.js'
import { KvV2 } from '../../../src/providers/vault/kv.js'
import { renewPublished } from '../../../src/providers/vault/renew.js'
import { emptyState, type RotationState } from '../../../src/engine/state.js'
import { VaultSession } from '../../../src/providers/vault/session.js'
import { createKvTargets } from '../../../src/providers/vault/target.js'
import { startVaultServer, type VaultServer } from '../../../test-servers/vault/index.js'
import { MemoryLogger } from '../../support/memory-logger.js'

/** The least privilege of the dynamic issuer (docs/providers/vault.md#policies). */
const DYNAMIC_POLICY = `
path "database/creds/app" { capabilities = ["read"] }
path "auth/token/create-orphan" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }
`
/** What issuer.renew-before adds. */
const RENEW_POLICY = `
path "sys/leases/renew" { capabilities = ["update"] }
path "auth/token/renew-accessor" { capabilities = ["update"] }
path "database/creds/short" { capabilities = ["read"] }
path "database/static-creds/app-static" { capabilities = ["read"] }
`
const TARGET_POLICY = `
path "secret/data/app/db" { capabilities = ["read", "create", "update"] }
`

let vault: VaultServer
let log: MemoryLogger
let masked: Set<string>
let sessions: VaultSession[]
const clock = { now: () => new Date() }
const sleep = async () => {}

beforeEach(async () => {
  vault = await startVaultServer({
    policies: {
      dynamic: DYNAMIC_POLICY,
      target: TARGET_POLICY,
      renew: RENEW_POLICY,
      'no-revoke': DYNAMIC_POLICY.replace(/^path "sys\/leases\/revoke".*$/m, '')
    },
    database: {
      database: {
        roles: {
          app: { default_ttl: '1h', max_ttl: '24h' },
          short: { default_ttl: '1h', max_ttl: '90m' }
        },
        static_roles: {
          'app-static': { username: 'app', rotation_period: '1h', password: 'Static-pass-1a2b3c' }
        }
      }
    },
    approle: {
      approle: {
        roles: {
          rotation: {
            role_id: 'role-1',
            secret_ids: ['secret-1'],
            token_policies: ['dynamic', 'target', 'renew'],
            token_ttl: '30m'
          },
          reader: { role_id: 'role-2', secret_ids: ['secret-2'], token_policies: ['dynamic'] },
          'no-revoke': {
            role_id: 'role-3',
            secret_ids: ['secret-3'],
            token_policies: ['no-revoke']
          }
        }
      }
    }
  })
  log = new MemoryLogger()
  masked = new Set()
  sessions = []
})
afterEach(async () => {
  for (const session of sessions) await session.close()
  await vault.close()
})

function session(roleId = 'role-1', secretId = 'secret-1'): VaultSession {
  const made = new VaultSession(
    {
      endpoint: { address: vault.url, tls: {} },
      auth: { method: 'approle', roleId, secretId, mount: 'approle' },
      timeoutMs: 5000
    },
    { mask: s => masked.add(s), log, clock, sleep }
  )
  sessions.push(made)
  return made
}

function issuer(one: VaultSession) {
  return createDynamicIssuer({
    path: 'database/creds/app',
    session: one,
    mask: s => masked.add(s),
    log,
    clock
  })
}

describe('the dynamic issuer', () => {
  it('reads the credential with a token of its own, which outlives the run and holds the lease', async () => {
    const one = session()
    const minted = await issuer(one).mint('')
    const { username, password } = JSON.parse(minted.value) as Record<string, string>
    expect(masked).toEqual(expect.objectContaining({}))
    for (const secret of [minted.value, username ?? '', password ?? ''])
      expect(masked.has(secret)).toBe(true)
    const handle = parseHandle(minted.handle ?? '')
    expect(handle?.leaseId).toMatch(/^database\/creds\/app\//)
    expect(vault.lease(handle?.leaseId ?? '')?.tokenAccessor).toBe(handle?.accessor)
    expect(vault.token(handle?.accessor ?? '')?.orphan).toBe(true)
    expect(minted.handle).not.toContain(password)
    // The run ends: its login token is revoked, the credential keeps working.
    await one.close()
    expect(vault.database.canLogin(username ?? '', password ?? '')).toBe(true)
  })

  it('revokes the lease and its token by handle, and a second time is no error', async () => {
    const one = session()
    const dynamic = issuer(one)
    const minted = await dynamic.mint('')
    const { username, password } = JSON.parse(minted.value) as Record<string, string>
    const retired = {
      by: 'handle' as const,
      handle: minted.handle ?? '',
      fingerprint: fingerprint(minted.value)
    }
    await dynamic.revoke?.(retired)
    expect(vault.database.canLogin(username ?? '', password ?? '')).toBe(false)
    expect(vault.token(parseHandle(retired.handle)?.accessor ?? '')?.alive).toBe(false)
    await dynamic.revoke?.(retired)
  })

  it('counts a lease that expired meanwhile as revoked', async () => {
    const dynamic = issuer(session())
    const minted = await dynamic.mint('')
    vault.clock.advance(25 * 3_600_000)
    await dynamic.revoke?.({ by: 'handle', handle: minted.handle ?? '', fingerprint: 'x' })
  })
})

describe('renew-before', () => {
  const HOUR = 3_600_000
  const warnings = () =>
    log.lines.filter(line => line.level === 'warning').map(line => line.message)

  /** The record after a promotion of `minted`, as the engine keeps it. */
  function publishedState(minted: { value: string; handle?: string; expiresAt?: Date }) {
    const state: RotationState = {
      ...emptyState(),
      rotatedAt: new Date().toISOString(),
      published: {
        fingerprint: fingerprint(minted.value),
        at: new Date().toISOString(),
        expiresAt: (minted.expiresAt ?? new Date()).toISOString(),
        handle: minted.handle ?? ''
      }
    }
    return state
  }

  it('renews the published lease when it ends within renew-before, and records the new end', async () => {
    const one = session()
    const minted = await issuer(one).mint('')
    expect(minted.handle).toMatch(/ ttl=3600$/)
    const leaseId = parseHandle(minted.handle ?? '')?.leaseId ?? ''
    vault.clock.advance(40 * 60_000)
    const before = vault.lease(leaseId)?.expiresAt ?? 0
    const state = publishedState({ ...minted, expiresAt: new Date(Date.now() + 20 * 60_000) })
    const renewed = await renewPublished({ session: one, renewBeforeMs: HOUR, log, clock }, state)
    // Vault's lease runs an hour from the renewal; the record says so on the runner's clock.
    expect((vault.lease(leaseId)?.expiresAt ?? 0) - before).toBe(40 * 60_000)
    const recorded = Date.parse(renewed.published?.expiresAt ?? '') - Date.now()
    expect(recorded).toBeGreaterThan(HOUR - 60_000)
    expect(recorded).toBeLessThanOrEqual(HOUR)
    expect(log.text()).toMatch(/Renewed the lease database\/creds\/app\/\S+, which ended at/)
    // A lease that does not end within renew-before is left alone.
    const ends = vault.lease(leaseId)?.expiresAt
    vault.clock.advance(60_000)
    expect(
      await renewPublished({ session: one, renewBeforeMs: 10 * 60_000, log, clock }, renewed)
    ).toBe(renewed)
    expect(vault.lease(leaseId)?.expiresAt).toBe(ends)
  })

  it("warns when Vault grants less than asked (the role's max_ttl), and records what it granted", async () => {
    const one = session()
    const minted = await createDynamicIssuer({
      path: 'database/creds/short',
      session: one,
      mask: s => masked.add(s),
      log,
      clock
    }).mint('')
    vault.clock.advance(50 * 60_000)
    const renewed = await renewPublished(
      { session: one, renewBeforeMs: HOUR, log, clock },
      publishedState({ ...minted, expiresAt: new Date(Date.now() + 10 * 60_000) })
    )
    const left = Date.parse(renewed.published?.expiresAt ?? '') - Date.now()
    expect(left).toBeGreaterThan(39 * 60_000)
    expect(left).toBeLessThanOrEqual(40 * 60_000)
    expect(warnings()).toContainEqual(
      expect.stringMatching(
        /renewed the lease \S+ for 2400 s of the 3600 s asked \(the role's max_ttl\).*Rotate it before then/
      )
    )
  })

  it('leaves the record as it was, with a warning, when the lease is gone', async () => {
    const one = session()
    const dynamic = issuer(one)
    const minted = await dynamic.mint('')
    await dynamic.revoke?.({ by: 'handle', handle: minted.handle ?? '', fingerprint: 'x' })
    const state = publishedState({ ...minted, expiresAt: new Date(Date.now() + 60_000) })
    expect(await renewPublished({ session: one, renewBeforeMs: HOUR, log, clock }, state)).toBe(
      state
    )
    expect(warnings().join('\n')).toMatch(/Could not renew the lease .*Vault no longer has it/)
  })
})

describe('a static role (database/static-creds)', () => {
  function staticIssuer(one: VaultSession) {
    return createDynamicIssuer({
      path: 'database/static-creds/app-static',
      session: one,
      mask: s => masked.add(s),
      log,
      clock
    })
  }

  it('publishes the current password, the account without the rotation times, with no lease', async () => {
    const one = session()
    const minted = await staticIssuer(one).mint('')
    expect(JSON.parse(minted.value)).toEqual({ username: 'app', password: 'Static-pass-1a2b3c' })
    expect(masked.has('Static-pass-1a2b3c')).toBe(true)
    expect(minted.handle).toMatch(/^static=database\/static-creds\/app-static rotated=\d{4}-/)
    // It expires when Vault rotates it next: an hour from now.
    const left = (minted.expiresAt?.getTime() ?? 0) - Date.now()
    expect(left).toBeGreaterThan(3_540_000)
    expect(left).toBeLessThanOrEqual(3_600_000)
    expect(vault.liveLeases()).toEqual([])
    expect(vault.liveTokens().filter(token => token.path.startsWith('auth/token/create'))).toEqual(
      []
    )
  })

  it('reads the new password once Vault rotated it, and retiring the old one revokes nothing', async () => {
    const one = session()
    const issuerOf = staticIssuer(one)
    const before = await issuerOf.mint('')
    vault.clock.advance(61 * 60_000)
    const after = await issuerOf.mint('')
    const next = JSON.parse(after.value) as { username: string; password: string }
    expect(next.password).toBe(vault.staticPassword('app-static'))
    expect(next.password).not.toBe('Static-pass-1a2b3c')
    expect(after.handle).not.toBe(before.handle)
    await issuerOf.revoke?.({ by: 'handle', handle: before.handle ?? '', fingerprint: 'x' })
    expect(vault.database.canLogin('app', next.password)).toBe(true)
    expect(log.text()).toMatch(
      /is a static role: its replaced password \(x\) ended with Vault's rotation/
    )
  })
})

describe("the dynamic issuer's capabilities", () => {
  it('are checked before anything is minted: a policy without the lease revocation fails', async () => {
    const settings = { path: 'database/creds/app' }
    const short = session('role-3', 'secret-3')
    const error = await requireCapabilities(short, dynamicNeeds(settings, true), 'preflight').catch(
      (e: unknown) => e
    )
    expect((error as ActionError).message).toMatch(
      /lacks `update` on sys\/leases\/revoke .*retire\.revoke-previous.*Nothing was minted or written/
    )
    expect(vault.liveLeases()).toEqual([])
    // Without revoke-previous the lease expires on its own: that capability is not needed.
    expect(await requireCapabilities(short, dynamicNeeds(settings, false), 'preflight')).toBe(true)
  })

  it('of a static role: its read only', () => {
    expect(dynamicNeeds({ path: 'database/static-creds/app-static' }, true)).toEqual([
      expect.objectContaining({ path: 'database/static-creds/app-static', anyOf: ['read'] })
    ])
  })

  it('name the token role the lease token is made with', () => {
    expect(dynamicNeeds({ path: 'aws/creds/ci', tokenRole: 'leases' }, false)[1]?.path).toBe(
      'auth/token/create/leases'
    )
  })
})

describe('the KV target', () => {
  it('writes the value into its field with cas, every other field kept', async () => {
    vault.kv.write('secret/app/db', { host: 'db.internal', password: 'old' })
    const one = session()
    const targets = createKvTargets(
      [
        {
          entry: { mount: 'secret', path: 'app/db', field: 'password' },
          kv: new KvV2(one, 'secret')
        }
      ],
      'vault'
    )
    expect((await targets.preflight()).map(r => r.status)).toEqual(['planned'])
    const results = await targets.publish(JSON.stringify({ username: 'u1', password: 'p1' }))
    expect(results.map(r => r.status)).toEqual(['updated'])
    expect(vault.kv.read('secret/app/db')?.data).toEqual({ host: 'db.internal', password: 'p1' })
  })

  it('fails its preflight naming the capability the policy lacks, and writes nothing', async () => {
    const one = session('role-2', 'secret-2')
    const targets = createKvTargets(
      [
        {
          entry: { mount: 'secret', path: 'app/db', field: 'password' },
          kv: new KvV2(one, 'secret')
        }
      ],
      'vault'
    )
    const [result] = await targets.preflight()
    expect(result?.status).toBe('failed')
    expect(result?.error).toMatch(/lacks `read` on secret\/data\/app\/db/)
    expect(vault.kv.versions('secret/app/db')).toEqual([])
  })

  it('says which capability a refused write lacks', async () => {
    const one = session('role-2', 'secret-2')
    const error = await new KvV2(one, 'secret')
      .write('app/db', { a: 'b' }, 0, 'publish')
      .catch((e: unknown) => e)
    expect((error as ActionError).message).toMatch(
      /lacks `create` on secret\/data\/app\/db; see docs\/providers\/vault.md#policies/
    )
  })
})
