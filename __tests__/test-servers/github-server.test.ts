import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import sodium from 'libsodium-wrappers'
import {
  type GitHubServer,
  type GitHubServerOptions,
  startGitHubServer
} from '../../test-servers/github/index.js'
import { until } from '../support/until.js'

interface Reply {
  status: number
  headers: Headers
  text: string
  json: unknown
}

type Json = Record<string, unknown>

/** A client as thin as possible: the server is what is under test. */
function client(server: GitHubServer) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = 'test-token'
  ): Promise<Reply> => {
    const headers: Record<string, string> = { accept: 'application/vnd.github+json' }
    if (token !== null) headers.authorization = `Bearer ${token}`
    const init: RequestInit = { method, headers }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    const response = await fetch(`${server.url}${path}`, init)
    const text = await response.text()
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: text === '' ? undefined : (JSON.parse(text) as unknown)
    }
  }
}

function field(reply: Reply, name: string): unknown {
  return (reply.json as Json)[name]
}

async function seal(publicKeyBase64: string, value: string): Promise<string> {
  await sodium.ready
  const box = sodium.crypto_box_seal(
    value,
    sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL)
  )
  return sodium.to_base64(box, sodium.base64_variants.ORIGINAL)
}

async function startWith(options?: GitHubServerOptions): Promise<{
  server: GitHubServer
  api: ReturnType<typeof client>
}> {
  const server = await startGitHubServer(options)
  return { server, api: client(server) }
}

/** Fetches the scope's key, seals `value` to it and PUTs it: what a real client does. */
async function putSecret(
  api: ReturnType<typeof client>,
  collection: string,
  name: string,
  value: string,
  extra: Json = {}
): Promise<Reply> {
  const key = await api('GET', `${collection}/public-key`)
  expect(key.status).toBe(200)
  const { key_id, key: publicKey } = key.json as { key_id: string; key: string }
  return api('PUT', `${collection}/${name}`, {
    encrypted_value: await seal(publicKey, value),
    key_id,
    ...extra
  })
}

describe('secrets', () => {
  let server: GitHubServer
  let api: ReturnType<typeof client>

  beforeAll(async () => {
    ;({ server, api } = await startWith({
      tokens: {
        'test-token': { secrets: 'write', variables: 'write', issues: 'write' },
        'read-token': { secrets: 'read' },
        'github-token': { issues: 'write' }
      }
    }))
    server.addRepository('octo/app', { environments: ['prod eu'] })
    server.addRepository('octo/other')
  })
  afterAll(() => server.close())

  it('answers 201 with {} on create, 204 without a body on update, and stores the plaintext', async () => {
    const created = await putSecret(api, '/repos/octo/app/actions/secrets', 'api_token', 'v1')
    expect(created.status).toBe(201)
    expect(created.json).toEqual({})
    expect(created.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const first = server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')

    const updated = await putSecret(api, '/repos/octo/app/actions/secrets', 'API_TOKEN', 'v2')
    expect(updated.status).toBe(204)
    expect(updated.text).toBe('')

    const stored = server.getSecret('repos/octo/app/actions/secrets/api_token')
    expect(stored).toMatchObject({ name: 'API_TOKEN', value: 'v2', writes: 2 })
    expect(stored?.created_at).toBe(first?.created_at)
    expect(stored?.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(server.openedValues).toEqual(expect.arrayContaining(['v1', 'v2']))

    const metadata = await api('GET', '/repos/octo/app/actions/secrets/api_token')
    expect(metadata.json).toEqual({
      name: 'API_TOKEN',
      created_at: stored?.created_at,
      updated_at: stored?.updated_at
    })
    const list = await api('GET', '/repos/octo/app/actions/secrets')
    expect(list.json).toEqual({ total_count: 1, secrets: [metadata.json] })
  })

  it('gives every scope its own key pair with a numeric key_id', async () => {
    const scopes = [
      '/repos/octo/app/actions/secrets',
      '/repos/octo/app/environments/prod%20eu/secrets',
      '/repos/octo/app/dependabot/secrets',
      '/orgs/octo/actions/secrets',
      '/orgs/octo/dependabot/secrets',
      '/repos/octo/other/actions/secrets'
    ]
    const keys = await Promise.all(scopes.map(scope => api('GET', `${scope}/public-key`)))
    for (const key of keys) {
      expect(key.status).toBe(200)
      expect(field(key, 'key_id')).toMatch(/^\d{18}$/)
      expect(Buffer.from(field(key, 'key') as string, 'base64')).toHaveLength(32)
    }
    expect(new Set(keys.map(key => field(key, 'key'))).size).toBe(scopes.length)
    expect(new Set(keys.map(key => field(key, 'key_id'))).size).toBe(scopes.length)
  })

  it('refuses a key_id that is not the scope key with 422 and stores nothing', async () => {
    const key = await api('GET', '/repos/octo/app/actions/secrets/public-key')
    const reply = await api('PUT', '/repos/octo/app/actions/secrets/WRONG_KEY', {
      encrypted_value: await seal(field(key, 'key') as string, 'x'),
      key_id: '123456789012345678'
    })
    expect(reply.status).toBe(422)
    expect(server.getSecret('repos/octo/app/actions/secrets/WRONG_KEY')).toBeUndefined()
  })

  it('refuses a box sealed for another scope with 422', async () => {
    const repoKey = await api('GET', '/repos/octo/app/actions/secrets/public-key')
    const envKey = await api('GET', '/repos/octo/app/environments/prod%20eu/secrets/public-key')
    const reply = await api('PUT', '/repos/octo/app/actions/secrets/CROSSED', {
      encrypted_value: await seal(field(envKey, 'key') as string, 'x'),
      key_id: field(repoKey, 'key_id')
    })
    expect(reply.status).toBe(422)
    expect(field(reply, 'message')).toBe(
      'Bad request - validation failed due to an improperly encrypted secret'
    )
    expect(field(reply, 'status')).toBe('422')
  })

  it('refuses base64 that is no sealed box, and a value that is not base64', async () => {
    const key = await api('GET', '/repos/octo/app/actions/secrets/public-key')
    const key_id = field(key, 'key_id')
    const garbage = await api('PUT', '/repos/octo/app/actions/secrets/GARBAGE', {
      encrypted_value: Buffer.from('not a box').toString('base64'),
      key_id
    })
    expect(garbage.status).toBe(422)
    const plain = await api('PUT', '/repos/octo/app/actions/secrets/PLAIN', {
      encrypted_value: 'plain text!',
      key_id
    })
    expect(plain.status).toBe(422)
    expect(plain.text).not.toContain('plain text!')
    const missing = await api('PUT', '/repos/octo/app/actions/secrets/MISSING', {
      encrypted_value: 'AAAA'
    })
    expect(missing.status).toBe(422)
    expect(field(missing, 'message')).toBe('Invalid request.\n\n"key_id" wasn\'t supplied.')
  })

  it('makes an earlier key_id stale after rotatePublicKey', async () => {
    const before = await api('GET', '/repos/octo/other/actions/secrets/public-key')
    server.rotatePublicKey('repos/octo/other/actions/secrets')
    const stale = await api('PUT', '/repos/octo/other/actions/secrets/ROTATED', {
      encrypted_value: await seal(field(before, 'key') as string, 'x'),
      key_id: field(before, 'key_id')
    })
    expect(stale.status).toBe(422)
    const after = await api('GET', '/repos/octo/other/actions/secrets/public-key')
    expect(field(after, 'key_id')).not.toBe(field(before, 'key_id'))
    expect((await putSecret(api, '/repos/octo/other/actions/secrets', 'ROTATED', 'x')).status).toBe(
      201
    )
  })

  it('serves environments whose names need URL encoding', async () => {
    const environment = await api('GET', '/repos/octo/app/environments/prod%20eu')
    expect(environment.status).toBe(200)
    expect(field(environment, 'name')).toBe('prod eu')
    const put = await putSecret(
      api,
      '/repos/octo/app/environments/prod%20eu/secrets',
      'ENV_TOKEN',
      'e1'
    )
    expect(put.status).toBe(201)
    expect(server.getSecret('repos/octo/app/environments/prod%20eu/secrets/env_token')?.value).toBe(
      'e1'
    )
    expect(server.getSecret('repos/octo/app/actions/secrets/ENV_TOKEN')).toBeUndefined()

    expect((await api('GET', '/repos/octo/app/environments/staging')).status).toBe(404)
    expect(
      (await api('GET', '/repos/octo/app/environments/staging/secrets/public-key')).status
    ).toBe(404)
    expect((await api('GET', '/repos/octo/missing/actions/secrets/public-key')).status).toBe(404)
  })

  it('validates names and the 48 KB limit', async () => {
    const scope = '/repos/octo/app/actions/secrets'
    expect((await putSecret(api, scope, '1LEADING_DIGIT', 'x')).status).toBe(422)
    expect((await putSecret(api, scope, 'HAS-DASH', 'x')).status).toBe(422)
    const reserved = await putSecret(api, scope, 'github_token', 'x')
    expect(reserved.status).toBe(422)
    expect(field(reserved, 'message')).toMatch(/GITHUB_/)
    expect((await putSecret(api, scope, 'TOO_BIG', 'x'.repeat(49_153))).status).toBe(422)
    expect((await putSecret(api, scope, 'JUST_FITS', 'x'.repeat(49_152))).status).toBe(201)
  })

  it('answers 401 for missing or unknown tokens and 403 without the permission', async () => {
    for (const token of [null, 'nope']) {
      const reply = await api('GET', '/repos/octo/app', undefined, token)
      expect(reply.status).toBe(401)
      expect(reply.json).toEqual({
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401'
      })
    }
    expect((await api('GET', '/repos/octo/app', undefined, 'github-token')).status).toBe(200)
    const denied = await api(
      'GET',
      '/repos/octo/app/actions/secrets/public-key',
      undefined,
      'github-token'
    )
    expect(denied.status).toBe(403)
    expect(field(denied, 'message')).toBe('Resource not accessible by integration')
    expect(denied.headers.get('x-accepted-github-permissions')).toBe('secrets=read')

    const key = await api(
      'GET',
      '/repos/octo/app/actions/secrets/public-key',
      undefined,
      'read-token'
    )
    expect(key.status).toBe(200)
    const write = await api(
      'PUT',
      '/repos/octo/app/actions/secrets/READ_ONLY',
      {
        encrypted_value: await seal(field(key, 'key') as string, 'x'),
        key_id: field(key, 'key_id')
      },
      'read-token'
    )
    expect(write.status).toBe(403)
    expect(server.requests.at(-1)?.token).toBe('read-token')
  })

  it('sends GitHub common headers and a 404 body for unknown routes', async () => {
    const reply = await api('GET', '/nowhere')
    expect(reply.status).toBe(404)
    expect(reply.json).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404'
    })
    for (const name of [
      'x-github-request-id',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
      'x-ratelimit-used',
      'x-ratelimit-resource'
    ]) {
      expect(reply.headers.get(name)).toEqual(expect.any(String))
    }
  })

  it('answers GET /repos/{owner}/{repo} case-insensitively', async () => {
    const reply = await api('GET', '/repos/OCTO/App')
    expect(reply.status).toBe(200)
    expect(reply.json).toMatchObject({
      name: 'app',
      full_name: 'octo/app',
      owner: { login: 'octo', type: 'Organization' },
      private: false,
      visibility: 'public'
    })
  })
})

describe('organization secrets', () => {
  let server: GitHubServer
  let api: ReturnType<typeof client>
  let ids: number[]

  beforeAll(async () => {
    ;({ server, api } = await startWith())
    ids = ['octo/a', 'octo/b', 'octo/c'].map(name => server.addRepository(name).id)
    server.addRepository('elsewhere/z', { id: 4242 })
  })
  afterAll(() => server.close())

  it('needs a valid visibility', async () => {
    const missing = await putSecret(api, '/orgs/octo/actions/secrets', 'ORG_TOKEN', 'x')
    expect(missing.status).toBe(422)
    expect(field(missing, 'message')).toBe('Invalid request.\n\n"visibility" wasn\'t supplied.')
    const wrong = await putSecret(api, '/orgs/octo/actions/secrets', 'ORG_TOKEN', 'x', {
      visibility: 'public'
    })
    expect(wrong.status).toBe(422)
  })

  it('accepts selected repository ids of its own repositories only', async () => {
    const scope = '/orgs/octo/actions/secrets'
    const foreign = await putSecret(api, scope, 'ORG_TOKEN', 'x', {
      visibility: 'selected',
      selected_repository_ids: [4242]
    })
    expect(foreign.status).toBe(422)
    const strings = await putSecret(api, scope, 'ORG_TOKEN', 'x', {
      visibility: 'selected',
      selected_repository_ids: ids.map(String)
    })
    expect(strings.status).toBe(422)
    const notSelected = await putSecret(api, scope, 'ORG_TOKEN', 'x', {
      visibility: 'all',
      selected_repository_ids: [ids[0]]
    })
    expect(notSelected.status).toBe(422)

    const created = await putSecret(api, scope, 'ORG_TOKEN', 'v1', {
      visibility: 'selected',
      selected_repository_ids: [ids[0], ids[1]]
    })
    expect(created.status).toBe(201)
    expect(server.getSecret('orgs/octo/actions/secrets/ORG_TOKEN')).toMatchObject({
      value: 'v1',
      visibility: 'selected',
      selectedRepositoryIds: [ids[0], ids[1]]
    })

    const metadata = await api('GET', `${scope}/ORG_TOKEN`)
    expect(metadata.json).toMatchObject({
      name: 'ORG_TOKEN',
      visibility: 'selected',
      selected_repositories_url: `${server.url}/orgs/octo/actions/secrets/ORG_TOKEN/repositories`
    })
    const listed = await api('GET', `${scope}/ORG_TOKEN/repositories`)
    expect(field(listed, 'total_count')).toBe(2)
    expect((field(listed, 'repositories') as Json[]).map(repo => repo.full_name)).toEqual([
      'octo/a',
      'octo/b'
    ])

    // Re-PUT without the list keeps it; the set endpoint replaces it.
    expect(
      (await putSecret(api, scope, 'ORG_TOKEN', 'v2', { visibility: 'selected' })).status
    ).toBe(204)
    expect(server.getSecret('orgs/octo/actions/secrets/ORG_TOKEN')?.selectedRepositoryIds).toEqual([
      ids[0],
      ids[1]
    ])
    const set = await api('PUT', `${scope}/ORG_TOKEN/repositories`, {
      selected_repository_ids: [ids[2]]
    })
    expect(set.status).toBe(204)
    expect(server.getSecret('orgs/octo/actions/secrets/ORG_TOKEN')?.selectedRepositoryIds).toEqual([
      ids[2]
    ])
  })

  it('accepts numeric strings as Dependabot repository ids', async () => {
    const reply = await putSecret(api, '/orgs/octo/dependabot/secrets', 'DEP_TOKEN', 'd', {
      visibility: 'selected',
      selected_repository_ids: [String(ids[2])]
    })
    expect(reply.status).toBe(201)
    expect(server.getSecret('orgs/octo/dependabot/secrets/dep_token')).toMatchObject({
      value: 'd',
      selectedRepositoryIds: [ids[2]]
    })
  })

  it('lists secrets with visibility and seeds org secrets', async () => {
    server.seedSecret('orgs/octo/actions/secrets/SEEDED', 's', { visibility: 'private' })
    const list = await api('GET', '/orgs/octo/actions/secrets')
    expect(list.json).toMatchObject({
      total_count: 2,
      secrets: [
        { name: 'ORG_TOKEN', visibility: 'selected' },
        { name: 'SEEDED', visibility: 'private' }
      ]
    })
    expect(server.getSecret('orgs/octo/actions/secrets/seeded')).toMatchObject({
      value: 's',
      writes: 0
    })
    expect((await api('GET', '/orgs/elsewhere-not/actions/secrets/public-key')).status).toBe(404)
  })

  it('paginates org repositories with a link header like GitHub', async () => {
    const first = await api('GET', '/orgs/octo/repos?per_page=1&sort=full_name')
    expect((first.json as Json[]).map(repo => repo.name)).toEqual(['a'])
    const base = `${server.url}/orgs/octo/repos`
    expect(first.headers.get('link')).toBe(
      `<${base}?per_page=1&sort=full_name&page=2>; rel="next", <${base}?per_page=1&sort=full_name&page=3>; rel="last"`
    )
    const middle = await api('GET', '/orgs/octo/repos?per_page=1&sort=full_name&page=2')
    expect((middle.json as Json[]).map(repo => repo.name)).toEqual(['b'])
    expect(middle.headers.get('link')).toBe(
      [
        `<${base}?per_page=1&sort=full_name&page=1>; rel="prev"`,
        `<${base}?per_page=1&sort=full_name&page=3>; rel="next"`,
        `<${base}?per_page=1&sort=full_name&page=3>; rel="last"`,
        `<${base}?per_page=1&sort=full_name&page=1>; rel="first"`
      ].join(', ')
    )
    const last = await api('GET', '/orgs/octo/repos?per_page=1&sort=full_name&page=3')
    expect(last.headers.get('link')).not.toContain('rel="next"')
    const all = await api('GET', '/orgs/octo/repos?per_page=500')
    expect(all.headers.get('link')).toBeNull()
    expect(all.json).toHaveLength(3)
    // GitHub's default order is by creation time, newest first.
    expect((all.json as Json[]).map(repo => repo.name)).toEqual(['c', 'b', 'a'])
  })
})

describe('variables and issues', () => {
  let server: GitHubServer
  let api: ReturnType<typeof client>

  beforeAll(async () => {
    ;({ server, api } = await startWith())
    server.addRepository('octo/app')
  })
  afterAll(() => server.close())

  it('creates once, answers 409 when the variable exists, and updates with PATCH', async () => {
    const path = '/repos/octo/app/actions/variables'
    const created = await api('POST', path, { name: 'rotation_state', value: 'a' })
    expect(created.status).toBe(201)
    const again = await api('POST', path, { name: 'ROTATION_STATE', value: 'b' })
    expect(again.status).toBe(409)
    expect(field(again, 'message')).toBe('Already exists - Variable already exists')
    expect(server.getVariable('octo/app', 'rotation_state')?.value).toBe('a')

    const patched = await api('PATCH', `${path}/ROTATION_STATE`, { value: 'c' })
    expect(patched.status).toBe(204)
    const read = await api('GET', `${path}/rotation_state`)
    expect(read.json).toMatchObject({ name: 'ROTATION_STATE', value: 'c' })
    expect((await api('GET', path)).json).toMatchObject({ total_count: 1 })
    expect((await api('DELETE', `${path}/ROTATION_STATE`)).status).toBe(204)
    expect((await api('GET', `${path}/ROTATION_STATE`)).status).toBe(404)
  })

  it('lets exactly one of many racing creates win', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        api('POST', '/repos/octo/app/actions/variables', { name: 'LOCK', value: String(index) })
      )
    )
    expect(replies.filter(reply => reply.status === 201)).toHaveLength(1)
    expect(replies.filter(reply => reply.status === 409)).toHaveLength(9)
  })

  it('opens, finds by label, comments on and closes issues', async () => {
    const created = await api('POST', '/repos/octo/app/issues', {
      title: 'Rotation failing',
      body: 'details',
      labels: ['token-rotation']
    })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({
      number: 1,
      state: 'open',
      labels: [{ name: 'token-rotation' }]
    })
    const found = await api('GET', '/repos/octo/app/issues?state=open&labels=token-rotation')
    expect(found.json).toHaveLength(1)
    expect((await api('GET', '/repos/octo/app/issues?labels=other')).json).toHaveLength(0)
    expect((await api('POST', '/repos/octo/app/issues/1/comments', { body: 'again' })).status).toBe(
      201
    )
    const closed = await api('PATCH', '/repos/octo/app/issues/1', { state: 'closed' })
    expect(closed.json).toMatchObject({ state: 'closed', comments: 1 })
    expect(server.getIssues('octo/app')).toEqual([
      {
        number: 1,
        title: 'Rotation failing',
        body: 'details',
        state: 'closed',
        labels: ['token-rotation'],
        comments: ['again']
      }
    ])
  })
})

describe('faults', () => {
  let server: GitHubServer
  let api: ReturnType<typeof client>

  beforeAll(async () => {
    ;({ server, api } = await startWith())
    server.addRepository('octo/app')
  })
  afterAll(() => server.close())

  it('answers with an injected status, headers and default body, for `times` requests after `skip`', async () => {
    const fault = server.faults.add({
      method: 'GET',
      path: '/repos/octo/app',
      status: 502,
      headers: { 'Retry-After': '3' },
      skip: 1,
      times: 2
    })
    const statuses = []
    for (let i = 0; i < 4; i += 1) statuses.push(await api('GET', '/repos/octo/app'))
    expect(statuses.map(reply => reply.status)).toEqual([200, 502, 502, 200])
    expect(statuses[1]?.headers.get('retry-after')).toBe('3')
    expect(statuses[1]?.json).toMatchObject({ message: 'Bad Gateway' })
    expect(fault.hits).toBe(2)
    fault.remove()
  })

  it('matches paths by RegExp, uses a custom body, and can be removed', async () => {
    const fault = server.faults.add({
      path: /\/public-key$/,
      status: 500,
      body: { message: 'boom' }
    })
    const reply = await api('GET', '/repos/octo/app/actions/secrets/public-key')
    expect(reply.status).toBe(500)
    expect(reply.json).toEqual({ message: 'boom' })
    fault.remove()
    expect((await api('GET', '/repos/octo/app/actions/secrets/public-key')).status).toBe(200)
  })

  it('answers a secondary rate limit with retry-after', async () => {
    server.faults.add({ method: 'PUT', secondaryRateLimit: true, times: 1 })
    const reply = await putSecret(api, '/repos/octo/app/actions/secrets', 'LIMITED', 'x')
    expect(reply.status).toBe(403)
    expect(reply.headers.get('retry-after')).toBe('1')
    expect(field(reply, 'message')).toMatch(/^You have exceeded a secondary rate limit/)
    expect(server.getSecret('repos/octo/app/actions/secrets/LIMITED')).toBeUndefined()
    server.faults.clear()
  })

  it('delays matching requests', async () => {
    const fault = server.faults.add({ path: '/repos/octo/app', delayMs: 60_000, times: 1 })
    const from = server.requests.length
    const abort = new AbortController()
    const held = fetch(`${server.url}/repos/octo/app`, {
      headers: { authorization: 'Bearer test-token' },
      signal: abort.signal
    })
    await until(() => fault.hits === 1)

    // The next request is past the fault's one time: answered while the first is still held.
    expect((await api('GET', '/repos/octo/app')).status).toBe(200)
    const [first, second] = server.requests.slice(from)
    expect([first?.status, first?.endedAt, second?.status]).toEqual([0, 0, 200])
    abort.abort()
    await expect(held).rejects.toThrow()
    server.faults.clear()
  })

  it("drops 'before' without processing and 'after' having processed the write", async () => {
    const scope = '/repos/octo/app/actions/secrets'
    server.faults.add({ method: 'PUT', path: `${scope}/BEFORE`, drop: 'before' })
    await expect(putSecret(api, scope, 'BEFORE', 'lost')).rejects.toThrow()
    expect(server.getSecret(`${scope.slice(1)}/BEFORE`)).toBeUndefined()

    server.faults.add({ method: 'PUT', path: `${scope}/AFTER`, drop: 'after', times: 1 })
    await expect(putSecret(api, scope, 'AFTER', 'kept')).rejects.toThrow()
    expect(server.getSecret(`${scope.slice(1)}/AFTER`)?.value).toBe('kept')
    const dropped = server.requests.filter(request => request.dropped !== undefined)
    expect(dropped.map(request => [request.dropped, request.status])).toEqual([
      ['before', 0],
      ['after', 0]
    ])
    // The retry after a lost answer sees that the secret now exists.
    expect((await putSecret(api, scope, 'AFTER', 'kept')).status).toBe(204)
    server.faults.clear()
  })
})

describe('latency, concurrency and rate limits', () => {
  it('counts requests in flight at once', async () => {
    const { server, api } = await startWith({ latencyMs: 100 })
    try {
      server.addRepository('octo/app')
      const replies = await Promise.all(
        Array.from({ length: 6 }, () => api('GET', '/repos/octo/app'))
      )
      expect(replies.every(reply => reply.status === 200)).toBe(true)
      // The most requests the server's own record shows overlapping: how many were in flight at
      // once depends on the machine's load; the counter must agree with the record either way
      // (within a millisecond's tie, where the record cannot order an end and a start).
      const overlapping = Math.max(
        ...server.requests.map(
          one =>
            server.requests.filter(
              other => other.startedAt <= one.startedAt && other.endedAt > one.startedAt
            ).length
        )
      )
      expect(overlapping).toBeGreaterThan(1)
      expect(server.maxInFlight).toBeGreaterThanOrEqual(overlapping)
      expect(server.maxInFlight).toBeLessThanOrEqual(6)
      expect(server.requests.every(request => request.endedAt - request.startedAt >= 90)).toBe(true)
    } finally {
      await server.close()
    }
  })

  it('refuses writes beyond writesPerMinute with retry-after, without applying them', async () => {
    const { server, api } = await startWith({ writesPerMinute: 2 })
    try {
      server.addRepository('octo/app')
      const path = '/repos/octo/app/actions/variables'
      expect((await api('POST', path, { name: 'A', value: '1' })).status).toBe(201)
      expect((await api('POST', path, { name: 'B', value: '2' })).status).toBe(201)
      const refused = await api('POST', path, { name: 'C', value: '3' })
      expect(refused.status).toBe(403)
      expect(field(refused, 'message')).toMatch(/secondary rate limit.*request ID \S+\./)
      expect(field(refused, 'documentation_url')).toBe(
        'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'
      )
      const retryAfter = Number(refused.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThanOrEqual(1)
      expect(retryAfter).toBeLessThanOrEqual(60)
      expect(server.refusedWrites).toBe(1)
      expect(server.getVariable('octo/app', 'C')).toBeUndefined()
      // Reads are not content-creating.
      expect((await api('GET', path)).status).toBe(200)
    } finally {
      await server.close()
    }
  })

  it('closes promptly with keep-alive sockets and requests still waiting', async () => {
    // Held far longer than Jest's timeout: close() must not wait for it.
    const { server, api } = await startWith({ latencyMs: 10 * 60_000 })
    server.addRepository('octo/app')
    const pending = api('GET', '/repos/octo/app')
    await until(() => server.requests.length === 1)
    await server.close()
    await expect(pending).rejects.toThrow()
    expect(server.requests.map(request => request.status)).toEqual([0])
  })
})
