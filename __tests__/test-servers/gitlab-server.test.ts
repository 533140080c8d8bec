import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  type GitLabServer,
  type GitLabServerOptions,
  startGitLabServer
} from '../../test-servers/gitlab/index.js'
import { TestClock } from '../../test-servers/kernel/index.js'

interface Reply {
  status: number
  headers: Headers
  json: unknown
}

type Json = Record<string, unknown>

const MINUTE = 60_000
const START = new Date('2026-03-10T12:00:00.000Z')

/** A client as thin as possible: the server is what is under test. */
function client(server: GitLabServer) {
  return async (
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    auth: 'private-token' | 'bearer' = 'private-token'
  ): Promise<Reply> => {
    const headers: Record<string, string> = {}
    if (token !== null) {
      if (auth === 'bearer') headers.authorization = `Bearer ${token}`
      else headers['private-token'] = token
    }
    const init: RequestInit = { method, headers }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    const response = await fetch(`${server.apiUrl}${path}`, init)
    const text = await response.text()
    let json: unknown = text
    try {
      json = text === '' ? undefined : (JSON.parse(text) as unknown)
    } catch {
      // Plain-text answers (the throttle's) stay text.
    }
    return { status: response.status, headers: response.headers, json }
  }
}

function body(reply: Reply): Json {
  return reply.json as Json
}

describe('local GitLab server', () => {
  let gitlab: GitLabServer
  let api: ReturnType<typeof client>
  let clock: TestClock

  async function start(options: GitLabServerOptions = {}): Promise<void> {
    await gitlab.close()
    clock = new TestClock({ start: START })
    gitlab = await startGitLabServer({ clock, ...options })
    api = client(gitlab)
  }

  beforeEach(async () => {
    clock = new TestClock({ start: START })
    gitlab = await startGitLabServer({ clock })
    api = client(gitlab)
    gitlab.addUser('alice', { name: 'Alice' })
    gitlab.addGroup('acme')
    gitlab.addProject('acme/app')
    gitlab.addMember('alice', 'group', 'acme', 'owner')
  })

  afterEach(async () => {
    await gitlab.close()
  })

  describe('authentication', () => {
    it('accepts PRIVATE-TOKEN and Bearer, and answers unknown tokens with 401 Unauthorized', async () => {
      const { token } = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] })
      expect((await api('GET', '/user', token)).status).toBe(200)
      const bearer = await api('GET', '/user', token, undefined, 'bearer')
      expect(body(bearer)).toMatchObject({ username: 'alice', bot: false })

      const unknown = await api('GET', '/user', 'glpat-nope')
      expect(unknown.status).toBe(401)
      expect(unknown.json).toEqual({ message: '401 Unauthorized' })
      expect((await api('GET', '/user', null)).json).toEqual({ message: '401 Unauthorized' })
    })

    it('answers revoked and expired tokens with OAuth2 invalid_token errors', async () => {
      const revoked = gitlab.seedPersonalToken('alice', { name: 'old', scopes: ['api'] })
      gitlab.revokeToken(revoked.id)
      const reply = await api('GET', '/user', revoked.token)
      expect(reply.status).toBe(401)
      expect(reply.json).toEqual({
        error: 'invalid_token',
        error_description: 'Token was revoked. You have to re-authorize from the user.'
      })
      expect(reply.headers.get('www-authenticate')).toContain('error="invalid_token"')

      const expiring = gitlab.seedPersonalToken('alice', {
        name: 'short',
        scopes: ['api'],
        expiresAt: '2026-03-11'
      })
      expect((await api('GET', '/user', expiring.token)).status).toBe(200)
      clock.set(new Date('2026-03-11T00:00:00.000Z'))
      const expired = await api('GET', '/user', expiring.token)
      expect(expired.status).toBe(401)
      expect(expired.json).toEqual({
        error: 'invalid_token',
        error_description: 'Token is expired. You can either do re-authorization or token refresh.'
      })
    })

    it('refuses a token without the endpoint scope with insufficient_scope', async () => {
      const { token } = gitlab.seedPersonalToken('alice', {
        name: 'reader',
        scopes: ['read_api']
      })
      expect((await api('GET', '/projects/acme%2Fapp/variables', token)).status).toBe(200)
      const write = await api('POST', '/projects/acme%2Fapp/variables', token, {
        key: 'A',
        value: 'b'
      })
      expect(write.status).toBe(403)
      expect(write.json).toEqual({
        error: 'insufficient_scope',
        error_description:
          'The request requires higher privileges than provided by the access token.',
        scope: 'api read_api'
      })
    })

    it('sends the Date header and last_used_at from its clock, at most every 10 minutes', async () => {
      const { token, id } = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] })
      expect(gitlab.tokenById(id)?.lastUsedAt).toBeNull()
      const first = await api('GET', '/personal_access_tokens/self', token)
      expect(first.headers.get('date')).toBe(START.toUTCString())
      expect(body(first).last_used_at).toBe(START.toISOString())

      clock.advance(5 * MINUTE)
      await api('GET', '/user', token)
      expect(gitlab.tokenById(id)?.lastUsedAt).toEqual(START)

      clock.advance(5 * MINUTE)
      const later = await api('GET', '/personal_access_tokens/self', token)
      expect(body(later).last_used_at).toBe(new Date(START.getTime() + 10 * MINUTE).toISOString())
      expect(later.headers.get('date')).toBe(clock.now().toUTCString())
    })
  })

  describe('rotation', () => {
    it('self-rotate revokes the old token at once; the new one works and gets a new id', async () => {
      const old = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] })
      const reply = await api('POST', '/personal_access_tokens/self/rotate', old.token)
      expect(reply.status).toBe(200)
      const rotated = body(reply)
      expect(rotated).toMatchObject({
        name: 'ci',
        revoked: false,
        active: true,
        scopes: ['api'],
        user_id: old.userId,
        last_used_at: null,
        // No expires_at given: one week, as GitLab's rotate service.
        expires_at: '2026-03-17'
      })
      expect(rotated.id).not.toBe(old.id)
      expect(String(rotated.token)).toMatch(/^glpat-/)

      expect((await api('GET', '/user', old.token)).status).toBe(401)
      expect((await api('GET', '/user', String(rotated.token))).status).toBe(200)
      expect(gitlab.tokenById(old.id)).toMatchObject({ revoked: true, active: false })
      expect(gitlab.activeTokens('ci').map(token => token.id)).toEqual([rotated.id])
      // The value is shown once: reads never include it.
      const self = await api('GET', '/personal_access_tokens/self', String(rotated.token))
      expect(body(self)).not.toHaveProperty('token')
    })

    it('self-rotate needs api or self_rotate', async () => {
      const reader = gitlab.seedPersonalToken('alice', { name: 'r', scopes: ['read_api'] })
      const refused = await api('POST', '/personal_access_tokens/self/rotate', reader.token)
      expect(refused.status).toBe(403)
      expect(body(refused)).toMatchObject({ error: 'insufficient_scope' })
      expect(gitlab.tokenById(reader.id)?.active).toBe(true)

      const narrow = gitlab.seedPersonalToken('alice', {
        name: 'n',
        scopes: ['read_repository', 'self_rotate']
      })
      const rotated = await api('POST', '/personal_access_tokens/self/rotate', narrow.token, {
        expires_at: '2026-04-30'
      })
      expect(rotated.status).toBe(200)
      expect(body(rotated)).toMatchObject({ expires_at: '2026-04-30' })
      // self_rotate opens only the rotate endpoint.
      expect((await api('GET', '/user', String(body(rotated).token))).status).toBe(403)
    })

    it('rotating with an already-revoked token revokes the whole family', async () => {
      const first = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] })
      const second = body(await api('POST', '/personal_access_tokens/self/rotate', first.token))
      const third = body(
        await api('POST', '/personal_access_tokens/self/rotate', String(second.token))
      )
      expect((await api('GET', '/user', String(third.token))).status).toBe(200)

      // A plain use of the revoked token is refused but kills nothing.
      expect((await api('GET', '/user', first.token)).status).toBe(401)
      expect((await api('GET', '/user', String(third.token))).status).toBe(200)

      // A rotate authenticated with it is a reuse: every descendant is revoked.
      const reuse = await api('POST', '/personal_access_tokens/self/rotate', first.token)
      expect(reuse.status).toBe(401)
      expect(body(reuse).error_description).toBe(
        'Token was revoked. You have to re-authorize from the user.'
      )
      expect((await api('GET', '/user', String(third.token))).status).toBe(401)
      const family = gitlab.family(first.id)
      expect(family.map(token => token.id)).toEqual([first.id, second.id, third.id])
      expect(family.every(token => token.revoked)).toBe(true)
      expect(family.every(token => token.familyRootId === first.id)).toBe(true)
      expect(gitlab.activeTokens('ci')).toEqual([])
    })

    it('rotates by id with api scope; others cannot', async () => {
      const target = gitlab.seedPersonalToken('alice', { name: 'deploy', scopes: ['read_api'] })
      const admin = gitlab.seedPersonalToken('alice', { name: 'admin', scopes: ['api'] })
      gitlab.addUser('mallory')
      const stranger = gitlab.seedPersonalToken('mallory', { name: 'm', scopes: ['api'] })

      const denied = await api(
        'POST',
        `/personal_access_tokens/${target.id}/rotate`,
        stranger.token
      )
      expect(denied.status).toBe(401)
      expect(denied.json).toEqual({ message: '401 Unauthorized' })

      const reply = await api('POST', `/personal_access_tokens/${target.id}/rotate`, admin.token)
      expect(reply.status).toBe(200)
      expect(body(reply)).toMatchObject({ name: 'deploy', scopes: ['read_api'] })
      const again = await api('POST', `/personal_access_tokens/${target.id}/rotate`, admin.token)
      expect(again.status).toBe(400)
      expect(again.json).toEqual({ message: '400 Bad request - Token already revoked' })
    })

    it('refuses an expiry beyond the maximum lifetime and leaves the old token alive', async () => {
      await start({ maxTokenLifetimeDays: 30 })
      gitlab.addUser('alice')
      const old = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] })
      expect(gitlab.tokenById(old.id)?.expiresAt).toBe('2026-04-09')

      const tooLong = await api('POST', '/personal_access_tokens/self/rotate', old.token, {
        expires_at: '2026-04-10'
      })
      expect(tooLong.status).toBe(400)
      expect(tooLong.json).toEqual({
        message: '400 Bad request - Expires at must be before 2026-04-09'
      })
      expect((await api('GET', '/user', old.token)).status).toBe(200)

      const atLimit = await api('POST', '/personal_access_tokens/self/rotate', old.token, {
        expires_at: '2026-04-09'
      })
      expect(atLimit.status).toBe(200)
      const invalid = await api(
        'POST',
        '/personal_access_tokens/self/rotate',
        String(body(atLimit).token),
        { expires_at: '2026-02-30' }
      )
      expect(invalid.json).toEqual({ error: 'expires_at is invalid' })
    })
  })

  describe('project and group access tokens', () => {
    it('creates (value shown once), lists, gets and revokes by id', async () => {
      const owner = gitlab.seedPersonalToken('alice', { name: 'owner', scopes: ['api'] })
      const created = await api('POST', '/projects/acme%2Fapp/access_tokens', owner.token, {
        name: 'deploy-bot',
        scopes: ['api', 'self_rotate'],
        access_level: 30,
        expires_at: '2026-06-01'
      })
      expect(created.status).toBe(201)
      const token = body(created)
      expect(token).toMatchObject({
        name: 'deploy-bot',
        scopes: ['api', 'self_rotate'],
        access_level: 30,
        resource_type: 'project',
        expires_at: '2026-06-01',
        active: true
      })
      expect(String(token.token)).toMatch(/^glpat-/)
      const tokenId = Number(token.id)

      const listed = await api('GET', '/projects/acme%2Fapp/access_tokens', owner.token)
      expect((listed.json as Json[]).map(entry => entry.name)).toEqual(['deploy-bot'])
      expect(listed.json as Json[]).not.toContainEqual(
        expect.objectContaining({ token: expect.anything() })
      )

      const me = await api('GET', '/user', String(token.token))
      expect(body(me)).toMatchObject({ bot: true })

      const fetched = await api('GET', `/projects/acme%2Fapp/access_tokens/${tokenId}`, owner.token)
      expect(body(fetched)).toMatchObject({ id: token.id, access_level: 30 })
      expect(body(fetched)).not.toHaveProperty('token')

      const revoked = await api(
        'DELETE',
        `/projects/acme%2Fapp/access_tokens/${tokenId}`,
        owner.token
      )
      expect(revoked.status).toBe(204)
      expect((await api('GET', '/user', String(token.token))).status).toBe(401)
      const missing = await api('GET', '/projects/acme%2Fapp/access_tokens/999999', owner.token)
      expect(missing.json).toEqual({ message: '404 project Access Token Not Found' })
    })

    it('rotates by id and lets a project token rotate itself', async () => {
      const owner = gitlab.seedPersonalToken('alice', { name: 'owner', scopes: ['api'] })
      const bot = gitlab.seedResourceToken('project', 'acme/app', {
        name: 'bot',
        scopes: ['read_repository', 'self_rotate'],
        accessLevel: 'developer'
      })
      const project = gitlab.tokens({ name: 'bot' })[0]
      expect(project).toMatchObject({ kind: 'project', resourcePath: 'acme/app', accessLevel: 30 })

      const byId = await api(
        'POST',
        `/projects/acme%2Fapp/access_tokens/${bot.id}/rotate`,
        owner.token
      )
      expect(byId.status).toBe(200)
      const second = body(byId)
      expect(second).toMatchObject({ name: 'bot', access_level: 30, user_id: bot.userId })

      const self = await api(
        'POST',
        '/projects/acme%2Fapp/access_tokens/self/rotate',
        String(second.token)
      )
      expect(self.status).toBe(200)
      expect(gitlab.activeTokens('bot').map(token => token.id)).toEqual([body(self).id])
      expect(gitlab.family(bot.id)).toHaveLength(3)

      // A personal token is not a project bot: 405.
      const personal = await api(
        'POST',
        '/projects/acme%2Fapp/access_tokens/self/rotate',
        owner.token
      )
      expect(personal.status).toBe(405)
    })

    it('keeps projects of non-members hidden and groups need an owner', async () => {
      gitlab.addUser('dev')
      gitlab.addMember('dev', 'project', 'acme/app', 'developer')
      const dev = gitlab.seedPersonalToken('dev', { name: 'dev', scopes: ['api'] })
      gitlab.addUser('outsider')
      const outsider = gitlab.seedPersonalToken('outsider', { name: 'o', scopes: ['api'] })

      expect((await api('GET', '/projects/acme%2Fapp/access_tokens', outsider.token)).json).toEqual(
        {
          message: '404 Project Not Found'
        }
      )
      expect((await api('GET', '/projects/acme%2Fapp/access_tokens', dev.token)).json).toEqual({
        message: '401 Unauthorized'
      })
      const create = await api('POST', '/groups/acme/access_tokens', dev.token, {
        name: 'x',
        scopes: ['api']
      })
      expect(create.json).toEqual({ message: '404 Group Not Found' })
      const missing = await api('POST', '/projects/acme%2Fapp/access_tokens', dev.token, {})
      expect(missing.json).toEqual({ error: 'name is missing, scopes is missing' })

      gitlab.addMember('dev', 'group', 'acme', 'maintainer')
      const maintainer = await api('POST', '/groups/acme/access_tokens', dev.token, {
        name: 'x',
        scopes: ['api']
      })
      expect(maintainer.json).toEqual({
        message: '400 Bad request - User does not have permission to create group access token'
      })
    })
  })

  describe('CI/CD variables', () => {
    let token: string

    beforeEach(() => {
      token = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] }).token
    })

    it('creates, reads, updates and deletes a variable', async () => {
      const created = await api('POST', '/projects/acme%2Fapp/variables', token, {
        key: 'DEPLOY_TOKEN',
        value: 'glpat-abcdefgh12345678',
        masked: true,
        protected: true,
        raw: true,
        description: 'rotated'
      })
      expect(created.status).toBe(201)
      expect(created.json).toEqual({
        variable_type: 'env_var',
        key: 'DEPLOY_TOKEN',
        value: 'glpat-abcdefgh12345678',
        hidden: false,
        protected: true,
        masked: true,
        raw: true,
        environment_scope: '*',
        description: 'rotated'
      })
      const updated = await api('PUT', '/projects/acme%2Fapp/variables/DEPLOY_TOKEN', token, {
        value: 'glpat-zyxwvuts87654321'
      })
      expect(body(updated)).toMatchObject({ value: 'glpat-zyxwvuts87654321', masked: true })
      expect(gitlab.variable('project', 'acme/app', 'DEPLOY_TOKEN')?.value).toBe(
        'glpat-zyxwvuts87654321'
      )
      expect(
        (await api('DELETE', '/projects/acme%2Fapp/variables/DEPLOY_TOKEN', token)).status
      ).toBe(204)
      expect((await api('GET', '/projects/acme%2Fapp/variables/DEPLOY_TOKEN', token)).json).toEqual(
        { message: '404 Variable Not Found' }
      )
    })

    it('refuses values GitLab cannot mask, with its message', async () => {
      const refuse = async (value: string, raw = false): Promise<unknown> =>
        (
          await api('POST', '/projects/acme%2Fapp/variables', token, {
            key: 'M',
            value,
            masked: true,
            raw
          })
        ).json
      const invalid = { message: { value: ['is invalid'] } }
      expect(await refuse('short')).toEqual(invalid)
      expect(await refuse('has a space in it')).toEqual(invalid)
      expect(await refuse('two\nlines-here')).toEqual(invalid)
      expect(await refuse('dollar$sign-value')).toEqual(invalid)
      // Raw variables may be masked with any non-space character.
      const raw = await api('POST', '/projects/acme%2Fapp/variables', token, {
        key: 'M',
        value: 'dollar$sign-value!',
        masked: true,
        raw: true
      })
      expect(raw.status).toBe(201)
      const key = await api('POST', '/projects/acme%2Fapp/variables', token, {
        key: 'BAD-KEY',
        value: 'x'
      })
      expect(key.json).toEqual({ message: { key: ["can contain only letters, digits and '_'."] } })
    })

    it('never returns a hidden value and never un-hides it', async () => {
      const created = await api('POST', '/groups/acme/variables', token, {
        key: 'REFRESH',
        value: 'secret-refresh-token-1',
        masked_and_hidden: true
      })
      expect(body(created)).toMatchObject({ value: null, hidden: true, masked: true })
      expect(body(await api('GET', '/groups/acme/variables/REFRESH', token)).value).toBeNull()
      const list = await api('GET', '/groups/acme/variables', token)
      expect((list.json as Json[])[0]).toMatchObject({ key: 'REFRESH', value: null })

      const unmask = await api('PUT', '/groups/acme/variables/REFRESH', token, { masked: false })
      expect(unmask.json).toEqual({
        message: {
          base: ['The visibility setting cannot be changed for masked and hidden variables.']
        }
      })
      const update = await api('PUT', '/groups/acme/variables/REFRESH', token, {
        value: 'secret-refresh-token-2'
      })
      expect(body(update)).toMatchObject({ value: null, hidden: true })
      expect(gitlab.variable('group', 'acme', 'REFRESH')?.value).toBe('secret-refresh-token-2')
    })

    it('refuses a duplicate create, allows the same key in another environment scope', async () => {
      const create = (scope?: string): Promise<Reply> =>
        api('POST', '/projects/acme%2Fapp/variables', token, {
          key: 'LOCK',
          value: 'owner-1',
          ...(scope === undefined ? {} : { environment_scope: scope })
        })
      expect((await create()).status).toBe(201)
      const duplicate = await create()
      expect(duplicate.status).toBe(400)
      expect(duplicate.json).toEqual({ message: { key: ['(LOCK) has already been taken'] } })
      expect((await create('production')).status).toBe(201)

      const ambiguous = await api('GET', '/projects/acme%2Fapp/variables/LOCK', token)
      expect(ambiguous.status).toBe(409)
      expect(ambiguous.json).toEqual({
        message:
          "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'"
      })
      const production = await api(
        'GET',
        '/projects/acme%2Fapp/variables/LOCK?filter%5Benvironment_scope%5D=production',
        token
      )
      expect(body(production)).toMatchObject({ environment_scope: 'production' })
    })

    it('pages with GitLab headers', async () => {
      for (let index = 1; index <= 25; index += 1) {
        gitlab.seedVariable('project', 'acme/app', { key: `V${index}`, value: 'x' })
      }
      const first = await api('GET', '/projects/acme%2Fapp/variables', token)
      expect((first.json as Json[]).length).toBe(20)
      expect(first.headers.get('x-page')).toBe('1')
      expect(first.headers.get('x-per-page')).toBe('20')
      expect(first.headers.get('x-next-page')).toBe('2')
      expect(first.headers.get('x-prev-page')).toBe('')
      expect(first.headers.get('x-total')).toBe('25')
      expect(first.headers.get('x-total-pages')).toBe('2')
      expect(first.headers.get('link')).toContain('page=2&per_page=20>; rel="next"')

      const second = await api('GET', '/projects/acme%2Fapp/variables?page=2', token)
      expect((second.json as Json[]).map(variable => variable.key)).toEqual([
        'V21',
        'V22',
        'V23',
        'V24',
        'V25'
      ])
      expect(second.headers.get('x-next-page')).toBe('')
      const big = await api('GET', '/projects/acme%2Fapp/variables?per_page=500', token)
      expect(big.headers.get('x-per-page')).toBe('100')
    })
  })

  describe('faults', () => {
    it('answers 429 with Retry-After and the RateLimit headers, then recovers', async () => {
      const { token } = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] })
      const limit = gitlab.rateLimit({ retryAfterSeconds: 30, path: /\/variables$/ })
      const throttled = await api('GET', '/projects/acme%2Fapp/variables', token)
      expect(throttled.status).toBe(429)
      expect(throttled.json).toBe('Retry later\n')
      expect(throttled.headers.get('retry-after')).toBe('30')
      expect(throttled.headers.get('ratelimit-remaining')).toBe('0')
      expect(throttled.headers.get('ratelimit-reset')).toBe(
        String(Math.floor(START.getTime() / 1000) + 30)
      )
      expect(limit.hits).toBe(1)
      expect((await api('GET', '/projects/acme%2Fapp/variables', token)).status).toBe(200)
    })

    it('loses a rotate answer after the rotation happened', async () => {
      const old = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] })
      gitlab.faults.add({ path: '/api/v4/personal_access_tokens/self/rotate', drop: 'after' })
      await expect(api('POST', '/personal_access_tokens/self/rotate', old.token)).rejects.toThrow()
      expect(gitlab.tokenById(old.id)?.revoked).toBe(true)
      expect(gitlab.activeTokens('ci')).toHaveLength(1)
      expect(gitlab.log.last({ path: /self\/rotate$/ })).toMatchObject({ dropped: 'after' })
      expect(gitlab.authentications.at(-1)).toMatchObject({ tokenId: old.id, tokenName: 'ci' })
    })

    it('answers injected 5xx and counts requests', async () => {
      const { token } = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] })
      gitlab.faults.add({ method: 'GET', path: '/api/v4/user', status: 502, times: 1 })
      const bad = await api('GET', '/user', token)
      expect(bad.status).toBe(502)
      expect(bad.json).toEqual({ message: '502 Bad Gateway' })
      expect((await api('GET', '/user', token)).status).toBe(200)
      expect(gitlab.countRequests({ method: 'GET', path: '/api/v4/user' })).toBe(2)
      expect(gitlab.countRequests({ status: 502 })).toBe(1)
    })
  })

  it('finds a project by numeric id as well as by URL-encoded path', async () => {
    const { token } = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] })
    const project = gitlab.addProject('acme/numeric', { id: 4242 })
    gitlab.seedVariable('project', 'acme/numeric', { key: 'A', value: 'b' })
    const reply = await api('GET', `/projects/${project.id}/variables/A`, token)
    expect(body(reply)).toMatchObject({ key: 'A', value: 'b' })
  })
})
