import { afterEach, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Agent, fetch as undiciFetch } from 'undici'
import {
  type VaultServer,
  type VaultServerOptions,
  createOidcIssuer,
  githubActionsClaims,
  startVaultServer
} from '../../test-servers/vault/index.js'
import { TestClock } from '../../test-servers/kernel/index.js'

type Json = Record<string, unknown>

interface Reply {
  status: number
  body: Json
}

const servers: VaultServer[] = []
const closers: Array<() => Promise<void>> = []

afterEach(async () => {
  await Promise.all(closers.splice(0).map(async close => close()))
  await Promise.all(servers.splice(0).map(async server => server.close()))
})

async function start(options: VaultServerOptions = {}): Promise<VaultServer> {
  const server = await startVaultServer(options)
  servers.push(server)
  return server
}

/** A client as thin as possible: the server is what is under test. */
async function call(
  vault: VaultServer,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; namespace?: string; bearer?: boolean } = {}
): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const token = options.token
  if (token !== undefined) {
    if (options.bearer === true) headers.authorization = `Bearer ${token}`
    else headers['x-vault-token'] = token
  }
  if (options.namespace !== undefined) headers['x-vault-namespace'] = options.namespace
  const response = await fetch(`${vault.url}/v1/${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Json) }
}

const root = (vault: VaultServer) => ({ token: vault.rootToken })
const data = (reply: Reply): Json => reply.body.data as Json
const auth = (reply: Reply): Json => reply.body.auth as Json
const PERMISSION_DENIED = { errors: ['1 error occurred:\n\t* permission denied\n\n'] }

describe('KV v2', () => {
  it('writes versions with cas, refuses a cas mismatch with 400, and cas 0 only creates', async () => {
    const vault = await start()
    const first = await call(vault, 'POST', 'secret/data/ci/api', {
      ...root(vault),
      body: { data: { refresh_token: 'r1' }, options: { cas: 0 } }
    })
    expect(first.status).toBe(200)
    expect(data(first)).toMatchObject({
      version: 1,
      deletion_time: '',
      destroyed: false,
      custom_metadata: null
    })
    expect(data(first).created_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z$/)

    const again = await call(vault, 'POST', 'secret/data/ci/api', {
      ...root(vault),
      body: { data: { refresh_token: 'x' }, options: { cas: 0 } }
    })
    expect(again).toEqual({
      status: 400,
      body: { errors: ['check-and-set parameter did not match the current version'] }
    })
    const second = await call(vault, 'PUT', 'secret/data/ci/api', {
      ...root(vault),
      body: { data: { refresh_token: 'r2', other: 'kept' }, options: { cas: 1 } }
    })
    expect(data(second).version).toBe(2)
    const stale = await call(vault, 'POST', 'secret/data/ci/api', {
      ...root(vault),
      body: { data: { refresh_token: 'r3' }, options: { cas: 1 } }
    })
    expect(stale.status).toBe(400)

    const read = await call(vault, 'GET', 'secret/data/ci/api', root(vault))
    expect(read.status).toBe(200)
    expect(read.body).toMatchObject({
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      auth: null,
      warnings: null
    })
    expect(data(read).data).toEqual({ refresh_token: 'r2', other: 'kept' })
    expect((data(read).metadata as Json).version).toBe(2)
    const old = await call(vault, 'GET', 'secret/data/ci/api?version=1', root(vault))
    expect(data(old).data).toEqual({ refresh_token: 'r1' })
    expect(vault.kv.read('secret/ci/api')?.data).toEqual({ refresh_token: 'r2', other: 'kept' })
  })

  it('answers 404 with empty errors for a missing secret', async () => {
    const vault = await start()
    expect(await call(vault, 'GET', 'secret/data/none', root(vault))).toEqual({
      status: 404,
      body: { errors: [] }
    })
    expect((await call(vault, 'GET', 'secret/metadata/none', root(vault))).status).toBe(404)
  })

  it('refuses a write without cas when the mount or the secret requires it', async () => {
    const vault = await start({ kv: { secret: {}, strict: { cas_required: true } } })
    const refused = await call(vault, 'POST', 'strict/data/a', {
      ...root(vault),
      body: { data: { a: 1 } }
    })
    expect(refused).toEqual({
      status: 400,
      body: { errors: ['check-and-set parameter required for this call'] }
    })
    expect(
      (
        await call(vault, 'POST', 'strict/data/a', {
          ...root(vault),
          body: { data: { a: 1 }, options: { cas: 0 } }
        })
      ).status
    ).toBe(200)
    expect(data(await call(vault, 'GET', 'strict/config', root(vault)))).toEqual({
      cas_required: true,
      delete_version_after: '0s',
      max_versions: 0
    })

    expect(
      (
        await call(vault, 'POST', 'secret/metadata/b', {
          ...root(vault),
          body: { cas_required: true }
        })
      ).status
    ).toBe(204)
    expect(
      (await call(vault, 'POST', 'secret/data/b', { ...root(vault), body: { data: { b: 1 } } }))
        .status
    ).toBe(400)
    expect(
      (
        await call(vault, 'POST', 'secret/data/b', {
          ...root(vault),
          body: { data: { b: 1 }, options: { cas: 0 } }
        })
      ).status
    ).toBe(200)
  })

  it('keeps custom_metadata within Vault limits, refusing with its message', async () => {
    const vault = await start()
    const ok = await call(vault, 'POST', 'secret/metadata/ci/api', {
      ...root(vault),
      body: { custom_metadata: { pending: 'fp-123', state: 'current' } }
    })
    expect(ok.status).toBe(204)
    const longKey = 'k'.repeat(129)
    const refused = await call(vault, 'POST', 'secret/metadata/ci/api', {
      ...root(vault),
      body: { custom_metadata: { [longKey]: 'v' } }
    })
    expect(refused).toEqual({
      status: 400,
      body: {
        errors: [
          `1 error occurred:\n\t* custom_metadata validation failed: length of key "${longKey}" is 129 but must be 0 < len(key) <= 128\n\n`
        ]
      }
    })
    const longValue = await call(vault, 'POST', 'secret/metadata/ci/api', {
      ...root(vault),
      body: { custom_metadata: { k: 'v'.repeat(513) } }
    })
    expect(longValue.body.errors).toEqual([
      '1 error occurred:\n\t* custom_metadata validation failed: length of value for key "k" is 513 but must be 0 < len(value) <= 512\n\n'
    ])
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))
    const tooMany = await call(vault, 'POST', 'secret/metadata/ci/api', {
      ...root(vault),
      body: { custom_metadata: many }
    })
    expect(tooMany.body.errors).toEqual([
      '1 error occurred:\n\t* custom_metadata validation failed: payload must contain at most 64 keys, provided 65\n\n'
    ])

    await call(vault, 'POST', 'secret/data/ci/api', { ...root(vault), body: { data: { v: 1 } } })
    const read = await call(vault, 'GET', 'secret/data/ci/api', root(vault))
    expect((data(read).metadata as Json).custom_metadata).toEqual({
      pending: 'fp-123',
      state: 'current'
    })
    const patched = await fetch(`${vault.url}/v1/secret/metadata/ci/api`, {
      method: 'PATCH',
      headers: { 'x-vault-token': vault.rootToken, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ custom_metadata: { pending: null, state: 'promoted' } })
    })
    expect(patched.status).toBe(204)
    const metadata = data(await call(vault, 'GET', 'secret/metadata/ci/api', root(vault)))
    expect(metadata).toMatchObject({
      current_version: 1,
      oldest_version: 0,
      custom_metadata: { state: 'promoted' }
    })
    expect(Object.keys(metadata.versions as Json)).toEqual(['1'])
  })

  it('soft-deletes, undeletes and destroys versions; a deleted version reads 404 with its metadata', async () => {
    const vault = await start()
    await call(vault, 'POST', 'secret/data/x', { ...root(vault), body: { data: { v: 1 } } })
    await call(vault, 'POST', 'secret/data/x', { ...root(vault), body: { data: { v: 2 } } })
    expect((await call(vault, 'DELETE', 'secret/data/x', root(vault))).status).toBe(204)
    const deleted = await call(vault, 'GET', 'secret/data/x', root(vault))
    expect(deleted.status).toBe(404)
    expect(data(deleted).data).toBeNull()
    expect((data(deleted).metadata as Json).deletion_time).toMatch(/Z$/)
    expect((data(deleted).metadata as Json).version).toBe(2)

    expect(
      (await call(vault, 'POST', 'secret/undelete/x', { ...root(vault), body: { versions: [2] } }))
        .status
    ).toBe(204)
    expect(data(await call(vault, 'GET', 'secret/data/x', root(vault))).data).toEqual({ v: 2 })
    expect(
      (await call(vault, 'POST', 'secret/destroy/x', { ...root(vault), body: { versions: [1] } }))
        .status
    ).toBe(204)
    const destroyed = await call(vault, 'GET', 'secret/data/x?version=1', root(vault))
    expect(destroyed.status).toBe(404)
    expect((data(destroyed).metadata as Json).destroyed).toBe(true)
    expect(
      (await call(vault, 'POST', 'secret/delete/x', { ...root(vault), body: {} })).body
    ).toEqual({
      errors: ['no version number provided']
    })
  })

  it('keeps max_versions, lists keys, and deletes all with the metadata', async () => {
    const vault = await start({ kv: { secret: { max_versions: 2 } } })
    for (const v of [1, 2, 3])
      await call(vault, 'POST', 'secret/data/app/one', { ...root(vault), body: { data: { v } } })
    await call(vault, 'POST', 'secret/data/app/sub/two', {
      ...root(vault),
      body: { data: { v: 1 } }
    })
    expect(vault.kv.versions('secret/app/one')).toEqual([2, 3])
    expect((await call(vault, 'GET', 'secret/data/app/one?version=1', root(vault))).status).toBe(
      404
    )
    // Node's HTTP parser refuses the LIST method itself; `GET ?list=true` is Vault's equivalent.
    const list = await call(vault, 'GET', 'secret/metadata/app?list=true', root(vault))
    expect(data(list)).toEqual({ keys: ['one', 'sub/'] })
    expect((await call(vault, 'GET', 'secret/metadata/app/?list=true', root(vault))).status).toBe(
      200
    )
    expect((await call(vault, 'DELETE', 'secret/metadata/app/one', root(vault))).status).toBe(204)
    expect(vault.kv.read('secret/app/one')).toBeUndefined()
  })
})

describe('ACL policies', () => {
  const policies = {
    'kv-reader':
      'path "secret/data/ci/*" {\n  capabilities = ["read"]\n}\n# a comment\npath "secret/data/ci/+/open" { capabilities = ["read", "update", "create"] }',
    'deny-one': [{ path: 'secret/data/ci/blocked', capabilities: ['deny'] }]
  }

  it("answers 403 with Vault's exact body for a missing capability, and honours globs, + and deny", async () => {
    const vault = await start({ policies })
    const { token } = vault.createToken({ policies: ['kv-reader', 'deny-one'] })
    vault.kv.write('secret/ci/api', { v: 1 })
    vault.kv.write('secret/ci/blocked', { v: 1 })

    expect((await call(vault, 'GET', 'secret/data/ci/api', { token })).status).toBe(200)
    expect(
      await call(vault, 'POST', 'secret/data/ci/api', { token, body: { data: { v: 2 } } })
    ).toEqual({
      status: 403,
      body: PERMISSION_DENIED
    })
    expect(await call(vault, 'GET', 'secret/data/ci/blocked', { token })).toEqual({
      status: 403,
      body: PERMISSION_DENIED
    })
    expect(
      (await call(vault, 'POST', 'secret/data/ci/team/open', { token, body: { data: { v: 1 } } }))
        .status
    ).toBe(200)
    expect((await call(vault, 'GET', 'secret/data/other', { token })).status).toBe(403)
    const caps = await call(vault, 'POST', 'sys/capabilities-self', {
      token,
      body: { paths: ['secret/data/ci/api'] }
    })
    expect(data(caps)['secret/data/ci/api']).toEqual(['read'])
  })

  it('tells create from update by existence, and takes policies over HTTP', async () => {
    const vault = await start()
    const put = await call(vault, 'PUT', 'sys/policies/acl/update-only', {
      ...root(vault),
      body: { policy: 'path "secret/data/*" { capabilities = ["update", "read"] }' }
    })
    expect(put.status).toBe(204)
    expect(data(await call(vault, 'GET', 'sys/policies/acl/update-only', root(vault))).name).toBe(
      'update-only'
    )
    const { token } = vault.createToken({ policies: ['update-only'] })
    expect(
      (await call(vault, 'POST', 'secret/data/new', { token, body: { data: { a: 1 } } })).status
    ).toBe(403)
    vault.kv.write('secret/new', { a: 0 })
    expect(
      (await call(vault, 'POST', 'secret/data/new', { token, body: { data: { a: 1 } } })).status
    ).toBe(200)
    expect(
      (
        await call(vault, 'PUT', 'sys/policies/acl/bad', {
          ...root(vault),
          body: { policy: 'path "x" { capabilities = ["fly"] }' }
        })
      ).status
    ).toBe(400)
  })
})

describe('tokens', () => {
  it('creates child and orphan tokens with the auth block, and answers lookup-self', async () => {
    const vault = await start({
      policies: {
        app: 'path "secret/*" { capabilities = ["read"] }\npath "auth/token/create-orphan" { capabilities = ["update"] }'
      }
    })
    const created = await call(vault, 'POST', 'auth/token/create', {
      ...root(vault),
      body: { policies: ['app'], ttl: '1h', meta: { run: '42' }, renewable: true }
    })
    expect(created.status).toBe(200)
    expect(auth(created)).toMatchObject({
      policies: ['app', 'default'],
      token_policies: ['app', 'default'],
      metadata: { run: '42' },
      lease_duration: 3600,
      renewable: true,
      orphan: false,
      token_type: 'service',
      entity_id: ''
    })
    expect(auth(created).client_token).toMatch(/^hvs\./)
    const token = String(auth(created).client_token)
    const self = await call(vault, 'GET', 'auth/token/lookup-self', { token, bearer: true })
    expect(data(self)).toMatchObject({
      id: token,
      ttl: 3600,
      policies: ['app', 'default'],
      path: 'auth/token/create',
      orphan: false
    })

    const orphan = await call(vault, 'POST', 'auth/token/create-orphan', {
      token,
      body: { policies: ['app'] }
    })
    expect(auth(orphan).orphan).toBe(true)
    const refused = await call(vault, 'POST', 'auth/token/create', {
      token,
      body: { no_parent: true }
    })
    expect(refused.status).toBe(403) // the app policy grants nothing on auth/token/create
    const wider = await call(vault, 'POST', 'auth/token/create', {
      ...root(vault),
      body: { policies: ['app'] }
    })
    const child = await call(vault, 'POST', 'auth/token/create', {
      token: String(auth(wider).client_token),
      body: { policies: ['root'] }
    })
    expect(child.status).toBe(403)
  })

  it('refuses a token beyond its TTL with 403 (permission denied, invalid token)', async () => {
    const vault = await start()
    const { token } = vault.createToken({ policies: [], ttl: 60 })
    expect((await call(vault, 'GET', 'auth/token/lookup-self', { token })).status).toBe(200)
    vault.clock.advance(61_000)
    expect(await call(vault, 'GET', 'auth/token/lookup-self', { token })).toEqual({
      status: 403,
      body: { errors: ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n'] }
    })
  })

  it('caps renew-self at explicit_max_ttl and says what it granted', async () => {
    const vault = await start()
    const { token } = vault.createToken({ ttl: '1h', explicit_max_ttl: '90m' })
    vault.clock.advance(30 * 60_000)
    const renewed = await call(vault, 'POST', 'auth/token/renew-self', {
      token,
      body: { increment: '2h' }
    })
    expect(auth(renewed).lease_duration).toBe(3600)
    expect(renewed.body.warnings).toEqual([
      'TTL of "2h0m0s" exceeded the effective max_ttl of "1h0m0s"; TTL value is capped accordingly'
    ])
    vault.clock.advance(60 * 60_000)
    expect((await call(vault, 'GET', 'auth/token/lookup-self', { token })).status).toBe(403)
    const fixed = vault.createToken({ ttl: 60, renewable: false })
    expect(await call(vault, 'POST', 'auth/token/renew-self', { token: fixed.token })).toEqual({
      status: 400,
      body: { errors: ['lease is not renewable'] }
    })
  })

  it('token roles: orphan role tokens outlive their creator; allowed_policies bound them', async () => {
    const vault = await start({
      policies: { db: 'path "database/creds/*" { capabilities = ["read"] }' },
      token_roles: { issuer: { orphan: true, allowed_policies: ['db'], token_period: '24h' } }
    })
    const made = await call(vault, 'POST', 'auth/token/create/issuer', root(vault))
    expect(auth(made)).toMatchObject({
      orphan: true,
      policies: ['db', 'default'],
      lease_duration: 86400
    })
    const refused = await call(vault, 'POST', 'auth/token/create/issuer', {
      ...root(vault),
      body: { policies: ['other'] }
    })
    expect(refused.status).toBe(400)
    expect(data(await call(vault, 'GET', 'auth/token/roles/issuer', root(vault)))).toMatchObject({
      orphan: true,
      token_period: 86400
    })
    expect((await call(vault, 'POST', 'auth/token/create/none', root(vault))).body).toEqual({
      errors: ['unknown role none']
    })
  })

  it('lookup-accessor and revoke-accessor work by accessor', async () => {
    const vault = await start()
    const { token, accessor } = vault.createToken({ policies: [] })
    const looked = await call(vault, 'POST', 'auth/token/lookup-accessor', {
      ...root(vault),
      body: { accessor }
    })
    expect(data(looked)).toMatchObject({ accessor, id: '' })
    expect(
      (
        await call(vault, 'POST', 'auth/token/revoke-accessor', {
          ...root(vault),
          body: { accessor }
        })
      ).status
    ).toBe(204)
    expect(vault.token(token)?.alive).toBe(false)
    expect(
      (
        await call(vault, 'POST', 'auth/token/lookup-accessor', {
          ...root(vault),
          body: { accessor }
        })
      ).body
    ).toEqual({
      errors: ['invalid accessor']
    })
  })
})

describe('dynamic database credentials and leases', () => {
  const database = { database: { roles: { app: { default_ttl: '1h', max_ttl: '2h' } } } }
  const policies = {
    reader:
      'path "database/creds/app" { capabilities = ["read"] }\npath "auth/token/create" { capabilities = ["update"] }\npath "auth/token/create-orphan" { capabilities = ["update"] }'
  }

  it('revoke-self kills the token, its non-orphan children and their leases; an orphan and its lease survive', async () => {
    const vault = await start({ database, policies })
    const login = vault.createToken({ policies: ['reader'], ttl: '1h' })
    const child = auth(
      await call(vault, 'POST', 'auth/token/create', {
        token: login.token,
        body: { policies: ['reader'] }
      })
    )
    const orphan = auth(
      await call(vault, 'POST', 'auth/token/create-orphan', {
        token: login.token,
        body: { policies: ['reader'] }
      })
    )

    const own = await call(vault, 'GET', 'database/creds/app', { token: login.token })
    expect(own.status).toBe(200)
    expect(own.body).toMatchObject({ renewable: true, lease_duration: 3600 })
    expect(own.body.lease_id).toMatch(/^database\/creds\/app\/[A-Za-z0-9]{24}$/)
    const fromChild = await call(vault, 'GET', 'database/creds/app', {
      token: String(child.client_token)
    })
    const fromOrphan = await call(vault, 'GET', 'database/creds/app', {
      token: String(orphan.client_token)
    })
    const login1 = data(own)
    const login2 = data(fromChild)
    const login3 = data(fromOrphan)
    expect(vault.database.canLogin(String(login1.username), String(login1.password))).toBe(true)

    expect(
      (await call(vault, 'POST', 'auth/token/revoke-self', { token: login.token })).status
    ).toBe(204)
    expect(
      (await call(vault, 'GET', 'auth/token/lookup-self', { token: login.token })).status
    ).toBe(403)
    expect(
      (await call(vault, 'GET', 'auth/token/lookup-self', { token: String(child.client_token) }))
        .status
    ).toBe(403)
    expect(
      (await call(vault, 'GET', 'auth/token/lookup-self', { token: String(orphan.client_token) }))
        .status
    ).toBe(200)
    expect(vault.database.canLogin(String(login1.username), String(login1.password))).toBe(false)
    expect(vault.database.canLogin(String(login2.username), String(login2.password))).toBe(false)
    expect(vault.database.canLogin(String(login3.username), String(login3.password))).toBe(true)
    expect(vault.liveLeases().map(lease => lease.id)).toEqual([fromOrphan.body.lease_id])
  })

  it('renews a lease up to max_ttl, answering the granted duration', async () => {
    const vault = await start({ database })
    const creds = await call(vault, 'GET', 'database/creds/app', root(vault))
    const leaseId = String(creds.body.lease_id)
    const renew = async (increment: number): Promise<Reply> =>
      call(vault, 'PUT', 'sys/leases/renew', {
        ...root(vault),
        body: { lease_id: leaseId, increment }
      })
    vault.clock.advance(50 * 60_000)
    const first = await renew(3600)
    expect(first.body).toMatchObject({ lease_id: leaseId, renewable: true, lease_duration: 3600 })
    expect(first.body.warnings).toBeNull()
    vault.clock.advance(40 * 60_000)
    const renewed = await renew(3600)
    expect(renewed.status).toBe(200)
    expect(renewed.body).toMatchObject({ lease_id: leaseId, renewable: true, lease_duration: 1800 })
    expect(renewed.body.warnings).toEqual([
      'TTL of "1h0m0s" exceeded the effective max_ttl of "30m0s"; TTL value is capped accordingly'
    ])
    const lookup = await call(vault, 'PUT', 'sys/leases/lookup', {
      ...root(vault),
      body: { lease_id: leaseId }
    })
    expect(data(lookup)).toMatchObject({ id: leaseId, renewable: true, ttl: 1800 })
    expect(data(lookup).last_renewal_time).toMatch(/Z$/)
    vault.clock.advance(30 * 60_000)
    expect(vault.lease(leaseId)?.alive).toBe(false)
  })

  it("an expired lease's credential cannot log in; renew and lookup then fail, revoke still succeeds", async () => {
    const vault = await start({ database })
    const creds = await call(vault, 'GET', 'database/creds/app', root(vault))
    const { username, password } = data(creds) as { username: string; password: string }
    const login = async (): Promise<number> =>
      (
        await fetch(vault.databaseLoginUrl, {
          method: 'POST',
          body: JSON.stringify({ username, password })
        })
      ).status
    expect(await login()).toBe(200)
    vault.clock.advance(3600_000)
    expect(await login()).toBe(401)
    expect(vault.database.canLogin(username, password)).toBe(false)
    const leaseId = String(creds.body.lease_id)
    expect(
      (
        await call(vault, 'PUT', 'sys/leases/renew', {
          ...root(vault),
          body: { lease_id: leaseId }
        })
      ).body
    ).toEqual({
      errors: ['lease not found']
    })
    expect(
      (
        await call(vault, 'PUT', 'sys/leases/lookup', {
          ...root(vault),
          body: { lease_id: leaseId }
        })
      ).body
    ).toEqual({
      errors: ['invalid lease']
    })
    expect(
      (
        await call(vault, 'PUT', 'sys/leases/revoke', {
          ...root(vault),
          body: { lease_id: leaseId }
        })
      ).status
    ).toBe(204)
    expect(
      (
        await call(vault, 'PUT', 'sys/leases/revoke', {
          ...root(vault),
          body: { lease_id: 'database/creds/app/nope' }
        })
      ).status
    ).toBe(204)
  })

  it('a shell health check reaches the login endpoint', async () => {
    const vault = await start({ database })
    const creds = data(await call(vault, 'GET', 'database/creds/app', root(vault)))
    const script = `fetch(process.argv[1],{method:'POST',body:JSON.stringify({username:process.env.U,password:process.env.P})}).then(r=>process.exit(r.ok?0:1))`
    const run = promisify(execFile)
    await expect(
      run(process.execPath, ['-e', script, vault.databaseLoginUrl], {
        env: { U: String(creds.username), P: String(creds.password) }
      })
    ).resolves.toBeDefined()
    await expect(
      run(process.execPath, ['-e', script, vault.databaseLoginUrl], {
        env: { U: 'nobody', P: 'x' }
      })
    ).rejects.toBeDefined()
  })

  it('static roles rotate on the server clock and with rotate-role', async () => {
    const vault = await start({
      database: {
        database: {
          static_roles: { svc: { username: 'svc', rotation_period: '24h', password: 'first' } }
        }
      }
    })
    const read = data(await call(vault, 'GET', 'database/static-creds/svc', root(vault)))
    expect(read).toMatchObject({
      username: 'svc',
      password: 'first',
      rotation_period: 86400,
      ttl: 86400
    })
    expect(read.last_vault_rotation).toMatch(/Z$/)
    expect((await call(vault, 'POST', 'database/rotate-role/svc', root(vault))).status).toBe(204)
    const rotated = vault.staticPassword('svc') ?? ''
    expect(rotated).not.toBe('first')
    expect(vault.database.canLogin('svc', 'first')).toBe(false)
    expect(vault.database.canLogin('svc', rotated)).toBe(true)
    vault.clock.advance(86_400_000)
    expect(vault.database.canLogin('svc', rotated)).toBe(false)
  })

  it('aws/creds leases an access key pair on the same machinery', async () => {
    const vault = await start({ aws: { aws: { roles: { deploy: { default_ttl: 900 } } } } })
    const creds = await call(vault, 'GET', 'aws/creds/deploy', root(vault))
    const key = data(creds) as { access_key: string; secret_key: string }
    expect(key.access_key).toMatch(/^AKIA[0-9A-F]{16}$/)
    expect(vault.aws.isValid(key.access_key, key.secret_key)).toBe(true)
    await call(vault, 'PUT', 'sys/leases/revoke-prefix/aws/creds', root(vault))
    expect(vault.aws.isValid(key.access_key, key.secret_key)).toBe(false)
  })
})

describe('JWT login', () => {
  const audience = 'https://vault.example.com'

  async function jwtVault(extra: { glob?: boolean } = {}) {
    // The issuer stamps its tokens on the server's clock: a slow run must not age them.
    const clock = new TestClock()
    const issuer = createOidcIssuer({ alg: 'ES256', nowMs: () => clock.nowMs() })
    const vault = await start({
      clock,
      policies: {
        rotation: 'path "secret/data/ci/*" { capabilities = ["read", "update", "create"] }'
      },
      jwt: {
        jwt: {
          jwks: issuer.jwks,
          bound_issuer: issuer.issuer,
          roles: {
            'ci-rotation': {
              user_claim: 'repository',
              bound_audiences: [audience],
              bound_claims: {
                repository: extra.glob === true ? 'acme/*' : 'acme/app',
                ref: 'refs/heads/main'
              },
              bound_claims_type: extra.glob === true ? 'glob' : 'string',
              token_policies: ['rotation'],
              token_ttl: '15m',
              token_max_ttl: '1h'
            }
          }
        }
      }
    })
    return { vault, issuer }
  }

  it('logs in with a GitHub-like token and answers the auth block', async () => {
    const { vault, issuer } = await jwtVault()
    const jwt = issuer.sign(githubActionsClaims({ repository: 'acme/app' }, audience))
    const login = await call(vault, 'POST', 'auth/jwt/login', {
      body: { role: 'ci-rotation', jwt }
    })
    expect(login.status).toBe(200)
    expect(auth(login)).toMatchObject({
      policies: ['default', 'rotation'],
      token_policies: ['default', 'rotation'],
      metadata: { role: 'ci-rotation' },
      lease_duration: 900,
      renewable: true,
      orphan: true,
      token_type: 'service'
    })
    const token = String(auth(login).client_token)
    expect(data(await call(vault, 'GET', 'auth/token/lookup-self', { token }))).toMatchObject({
      path: 'auth/jwt/login',
      display_name: 'jwt-acme/app'
    })
    vault.clock.advance(10 * 60_000)
    const renewed = await call(vault, 'POST', 'auth/token/renew-self', {
      token,
      body: { increment: '1h' }
    })
    // token_max_ttl 1h from login: 50 minutes are left.
    expect(auth(renewed).lease_duration).toBe(3000)
  })

  it('refuses a wrong audience, claim, signature, issuer or an expired token with 400', async () => {
    const { vault, issuer } = await jwtVault()
    const attempt = async (jwt: string) =>
      call(vault, 'POST', 'auth/jwt/login', { body: { role: 'ci-rotation', jwt } })
    const claims = githubActionsClaims({ repository: 'acme/app' }, audience)

    expect((await attempt(issuer.sign({ ...claims, aud: 'other' }))).body).toEqual({
      errors: [
        'error validating token: invalid audience (aud) claim: audience claim does not match any expected audience'
      ]
    })
    expect((await attempt(issuer.sign({ ...claims, repository: 'evil/app' }))).body).toEqual({
      errors: [
        'error validating claims: claim "repository" does not match any associated bound claim values'
      ]
    })
    const featureBranch = githubActionsClaims(
      { repository: 'acme/app', ref: 'refs/heads/feature' },
      audience
    )
    expect((await attempt(issuer.sign(featureBranch))).status).toBe(400)
    expect((await attempt(issuer.signWithForeignKey(claims))).body).toEqual({
      errors: [
        'error validating token: error verifying token signature: no known key successfully validated the token signature'
      ]
    })
    expect((await attempt(issuer.sign({ ...claims, iss: 'https://elsewhere' }))).body).toEqual({
      errors: ['error validating token: invalid issuer (iss) claim']
    })
    const expired = issuer.sign(claims, { expiresInSeconds: 60 })
    vault.clock.advance(121_000)
    expect((await attempt(expired)).body).toEqual({
      errors: ['error validating token: invalid expiration time (exp) claim: token is expired']
    })
    expect(
      (await call(vault, 'POST', 'auth/jwt/login', { body: { role: 'nope', jwt: expired } })).body
    ).toEqual({
      errors: ['role "nope" could not be found']
    })
  })

  it('matches bound claims by glob and fetches keys from jwks_url (RS256)', async () => {
    const clock = new TestClock()
    const issuer = createOidcIssuer({ nowMs: () => clock.nowMs() })
    const served = await issuer.serveJwks()
    closers.push(async () => served.server.close())
    const vault = await start({
      clock,
      jwt: {
        gh: {
          jwks_url: served.jwksUrl,
          roles: {
            r: {
              user_claim: 'sub',
              bound_audiences: [audience],
              bound_claims_type: 'glob',
              bound_claims: { sub: 'repo:acme/*:environment:prod' }
            }
          }
        }
      }
    })
    const ok = issuer.sign(
      githubActionsClaims({ repository: 'acme/app', environment: 'prod' }, audience)
    )
    expect(
      (await call(vault, 'POST', 'auth/gh/login', { body: { role: 'r', jwt: ok } })).status
    ).toBe(200)
    const staging = issuer.sign(
      githubActionsClaims({ repository: 'acme/app', environment: 'staging' }, audience)
    )
    expect(
      (await call(vault, 'POST', 'auth/gh/login', { body: { role: 'r', jwt: staging } })).status
    ).toBe(400)
  })
})

describe('AppRole', () => {
  it('logs in with role_id and secret_id; a wrong or used-up secret_id is refused', async () => {
    const vault = await start({
      approle: {
        approle: {
          roles: {
            ci: {
              role_id: 'role-1',
              secret_ids: ['s3cret'],
              secret_id_num_uses: 1,
              token_policies: ['p'],
              token_ttl: 600
            }
          }
        }
      }
    })
    const login = await call(vault, 'POST', 'auth/approle/login', {
      body: { role_id: 'role-1', secret_id: 's3cret' }
    })
    expect(auth(login)).toMatchObject({
      policies: ['default', 'p'],
      lease_duration: 600,
      orphan: true,
      metadata: { role_name: 'ci' }
    })
    expect(
      await call(vault, 'POST', 'auth/approle/login', {
        body: { role_id: 'role-1', secret_id: 's3cret' }
      })
    ).toEqual({
      status: 400,
      body: { errors: ['invalid role or secret ID'] }
    })
    const made = await call(vault, 'POST', 'auth/approle/role/ci/secret-id', root(vault))
    expect(
      (await call(vault, 'GET', 'auth/approle/role/ci/role-id', root(vault))).body
    ).toMatchObject({ data: { role_id: 'role-1' } })
    const again = await call(vault, 'POST', 'auth/approle/login', {
      body: { role_id: 'role-1', secret_id: data(made).secret_id }
    })
    expect(again.status).toBe(200)
  })
})

describe('namespaces', () => {
  it('isolate mounts, tokens and policies; the path-prefix form reaches the same namespace', async () => {
    const vault = await start({
      namespaces: {
        'team-a': {
          tokens: { 'a-token': { policies: ['rw'] } },
          policies: { rw: 'path "secret/*" { capabilities = ["create", "read", "update"] }' }
        },
        'team-b': {}
      }
    })
    const a = await call(vault, 'POST', 'secret/data/app', {
      token: 'a-token',
      namespace: 'team-a',
      body: { data: { v: 'a' } }
    })
    expect(a.status).toBe(200)
    expect(vault.kv.read('secret/app', { namespace: 'team-a' })?.data).toEqual({ v: 'a' })
    expect(vault.kv.read('secret/app')).toBeUndefined()
    expect((await call(vault, 'GET', 'secret/data/app', { token: 'a-token' })).status).toBe(403)
    expect(
      (await call(vault, 'GET', 'secret/data/app', { token: 'a-token', namespace: 'team-b' }))
        .status
    ).toBe(403)
    expect((await call(vault, 'GET', 'team-a/secret/data/app', { token: 'a-token' })).status).toBe(
      200
    )
    // The root namespace's root token reaches every namespace.
    expect(
      (await call(vault, 'GET', 'secret/data/app', { ...root(vault), namespace: 'team-a' })).status
    ).toBe(200)
    const created = auth(
      await call(vault, 'POST', 'auth/token/create', {
        ...root(vault),
        namespace: 'team-b',
        body: { policies: [] }
      })
    )
    expect(String(created.client_token)).toMatch(/^hvs\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{5}$/)
  })
})

describe('transport and faults', () => {
  it('mTLS refuses a client without a certificate', async () => {
    const vault = await start({ tls: 'mtls' })
    const material = vault.tls
    if (material === undefined) throw new Error('no TLS')
    const withCert = new Agent({
      connect: { ca: material.ca, cert: material.clientCertificate, key: material.clientKey }
    })
    const without = new Agent({ connect: { ca: material.ca } })
    closers.push(
      async () => withCert.close(),
      async () => without.close()
    )
    const ok = await undiciFetch(`${vault.url}/v1/sys/health`, { dispatcher: withCert })
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as Json).sealed).toBe(false)
    await expect(
      undiciFetch(`${vault.url}/v1/sys/health`, { dispatcher: without })
    ).rejects.toThrow()
  })

  it('sealed answers 503 "Vault is sealed"; faults drop, delay or answer 429/500', async () => {
    const vault = await start()
    vault.seal()
    expect(await call(vault, 'GET', 'secret/data/x', root(vault))).toEqual({
      status: 503,
      body: { errors: ['Vault is sealed'] }
    })
    expect((await call(vault, 'GET', 'sys/seal-status')).body).toMatchObject({ sealed: true })
    vault.unseal()

    vault.faults.add({ method: 'POST', path: '/v1/secret/data/x', drop: 'after', times: 1 })
    await expect(
      call(vault, 'POST', 'secret/data/x', { ...root(vault), body: { data: { v: 1 } } })
    ).rejects.toThrow()
    // The write happened, its answer was lost: a retry with the old cas now mismatches.
    expect(vault.kv.read('secret/x')?.version).toBe(1)
    vault.faults.add({ path: /^\/v1\/secret\//, status: 429, times: 1 })
    expect(await call(vault, 'GET', 'secret/data/x', root(vault))).toEqual({
      status: 429,
      body: { errors: [] }
    })
    const latency = vault.faults.add({ path: '/v1/secret/data/x', delayMs: 40, times: 1 })
    expect((await call(vault, 'GET', 'secret/data/x', root(vault))).status).toBe(200)
    expect(latency.hits).toBe(1)
    expect(vault.log.count({ method: 'GET', path: '/v1/secret/data/x' })).toBe(3)
  })

  it('answers 404 for an unknown route and 405 for an unsupported method', async () => {
    const vault = await start()
    expect(await call(vault, 'GET', 'nowhere/x', root(vault))).toEqual({
      status: 404,
      body: { errors: ['no handler for route "nowhere/x". route entry not found.'] }
    })
    expect((await call(vault, 'GET', 'database/creds/x', root(vault))).status).toBe(404)
    expect((await call(vault, 'GET', 'auth/token/revoke-self', root(vault))).status).toBe(405)
    expect(await call(vault, 'GET', 'secret/data/x')).toEqual({
      status: 403,
      body: PERMISSION_DENIED
    })
  })
})
