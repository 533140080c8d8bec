import { afterEach, describe, expect, it } from '@jest/globals'
import {
  type KeyApiServer,
  type KeyApiServerOptions,
  startKeyApiServer
} from '../../test-servers/key-api/index.js'
import { TestClock } from '../../test-servers/kernel/index.js'

interface Reply {
  status: number
  json: unknown
}

type Json = Record<string, unknown>

const START = new Date('2026-03-10T12:00:00.000Z')

/** A client as thin as possible: the server is what is under test. */
function client(server: KeyApiServer) {
  return async (
    method: string,
    path: string,
    authorization: string | null,
    body?: unknown
  ): Promise<Reply> => {
    const headers: Record<string, string> = {}
    if (authorization !== null) headers.authorization = authorization
    const init: RequestInit = { method, headers }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    const response = await fetch(`${server.url}${path}`, init)
    const text = await response.text()
    return {
      status: response.status,
      json: text === '' ? undefined : (JSON.parse(text) as unknown)
    }
  }
}

describe('local key API server', () => {
  let server: KeyApiServer | undefined

  async function start(options: KeyApiServerOptions = {}): Promise<{
    keys: KeyApiServer
    api: ReturnType<typeof client>
  }> {
    const keys = await startKeyApiServer({ clock: new TestClock({ start: START }), ...options })
    server = keys
    return { keys, api: client(keys) }
  }

  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('creates, lists and deletes keys; a deleted key stops working at once', async () => {
    const { keys, api } = await start()
    keys.addApp('com.acme.app')
    const admin = keys.seedKey({ name: 'admin', mode: 'all' })

    const created = await api('POST', '/apikey', admin.key, { name: 'ci-key', mode: 'upload' })
    expect(created.status).toBe(200)
    const row = created.json as Json
    expect(row).toMatchObject({
      name: 'ci-key',
      mode: 'upload',
      user_id: keys.defaultUserId,
      limited_to_orgs: [],
      limited_to_apps: [],
      expires_at: null,
      created_at: START.toISOString()
    })
    expect(String(row.key)).toMatch(/^[0-9a-f-]{36}$/)
    expect(keys.liveKeys('ci-key')).toHaveLength(1)

    const listed = await api('GET', '/apikey', admin.key)
    expect((listed.json as Json[]).map(entry => entry.name)).toEqual(['admin', 'ci-key'])

    const works = await api('GET', '/app', String(row.key))
    expect(works.status).toBe(200)
    expect(works.json).toEqual([
      { app_id: 'com.acme.app', name: 'com.acme.app', owner_org: keys.defaultUserId }
    ])

    const deleted = await api('DELETE', `/apikey/${String(row.id)}`, admin.key)
    expect(deleted).toEqual({ status: 200, json: { success: true } })
    const refused = await api('GET', '/app', String(row.key))
    expect(refused.status).toBe(401)
    expect(refused.json).toEqual({
      error: 'invalid_apikey',
      message: 'Invalid apikey',
      moreInfo: {}
    })
    expect(keys.liveKeys('ci-key')).toEqual([])
    expect(keys.keyByValue(String(row.key))).toMatchObject({ live: false })

    const again = await api('DELETE', `/apikey/${String(row.id)}`, admin.key)
    expect(again.status).toBe(404)
    expect(again.json).toMatchObject({ error: 'api_key_not_found', message: 'API key not found' })
  })

  it('deletes by the key value as well as by id', async () => {
    const { keys, api } = await start()
    const admin = keys.seedKey({ name: 'admin' })
    const victim = keys.seedKey({ name: 'victim', mode: 'read' })
    expect((await api('DELETE', `/apikey/${victim.key}`, admin.key)).status).toBe(200)
    expect(keys.liveKeys('victim')).toEqual([])
  })

  it('refuses key creation with a limited or non-all key, and validates the body', async () => {
    const { keys, api } = await start()
    const upload = keys.seedKey({ name: 'upload', mode: 'upload' })
    const notAll = await api('POST', '/apikey', upload.key, { name: 'x', mode: 'all' })
    // middlewareV2(['all']): a key of another mode is not a valid key here.
    expect(notAll.status).toBe(401)
    expect(notAll.json).toMatchObject({ error: 'invalid_apikey' })

    const limited = keys.seedKey({ name: 'limited', mode: 'all', limitedToApps: ['com.acme'] })
    const refused = await api('POST', '/apikey', limited.key, { name: 'x', mode: 'all' })
    expect(refused.status).toBe(400)
    expect(refused.json).toEqual({
      error: 'cannot_create_apikey',
      message: 'You cannot create API keys with this API key',
      moreInfo: { keyId: limited.id }
    })

    const admin = keys.seedKey({ name: 'admin' })
    expect((await api('POST', '/apikey', admin.key, { mode: 'all' })).json).toMatchObject({
      error: 'name_is_required'
    })
    expect((await api('POST', '/apikey', admin.key, { name: 'x' })).json).toMatchObject({
      error: 'mode_is_required'
    })
    expect((await api('POST', '/apikey', admin.key, { name: 'x', mode: 'god' })).json).toEqual({
      error: 'invalid_mode',
      message: 'Invalid mode',
      moreInfo: {}
    })
    expect((await api('GET', '/apikey', null)).json).toEqual({
      error: 'no_jwt_apikey_or_subkey',
      message: 'No JWT, apikey or subkey provided',
      moreInfo: {}
    })
  })

  it('session-only: an admin API key is refused, a user session creates keys', async () => {
    const { keys, api } = await start({ keyCreation: 'session-only', refusalStatus: 403 })
    const admin = keys.seedKey({ name: 'admin', mode: 'all' })
    const refused = await api('POST', '/apikey', admin.key, { name: 'ci-key', mode: 'all' })
    expect(refused.status).toBe(403)
    expect(refused.json).toMatchObject({
      error: 'cannot_create_apikey',
      message: 'You cannot create API keys with this API key'
    })
    expect(keys.liveKeys('ci-key')).toEqual([])

    const session = keys.addSession()
    const created = await api('POST', '/apikey', session, { name: 'ci-key', mode: 'all' })
    expect(created.status).toBe(200)
    expect(keys.liveKeys('ci-key')).toHaveLength(1)
    const row = created.json as Json
    expect((await api('DELETE', `/apikey/${String(row.id)}`, session)).status).toBe(200)

    keys.endSession(session)
    expect((await api('GET', '/apikey', session)).json).toEqual({
      error: 'invalid_jwt',
      message: 'Invalid JWT',
      moreInfo: {}
    })
  })

  it('a lost create answer leaves the key created, findable by name', async () => {
    const { keys, api } = await start()
    const admin = keys.seedKey({ name: 'admin' })
    const drop = keys.faults.add({ method: 'POST', path: '/apikey', drop: 'after', times: 1 })
    await expect(
      api('POST', '/apikey', admin.key, { name: 'ci-key', mode: 'all' })
    ).rejects.toThrow()
    expect(drop.hits).toBe(1)
    expect(keys.log.last({ method: 'POST', path: '/apikey' })).toMatchObject({ dropped: 'after' })
    expect(keys.liveKeys('ci-key')).toHaveLength(1)

    const listed = await api('GET', '/apikey', admin.key)
    expect((listed.json as Json[]).filter(entry => entry.name === 'ci-key')).toHaveLength(1)
  })

  it('refuses an expired key on the server clock', async () => {
    const clock = new TestClock({ start: START })
    const { keys, api } = await start({ clock })
    keys.addApp('com.acme.app')
    const short = keys.seedKey({ name: 'short', mode: 'read', expiresAt: '2026-03-10T13:00:00Z' })
    expect((await api('GET', '/app', short.key)).status).toBe(200)
    clock.advance(2 * 60 * 60 * 1000)
    expect((await api('GET', '/app', short.key)).status).toBe(401)
    expect(keys.keyByValue(short.key)?.uses).toBe(1)
  })
})
