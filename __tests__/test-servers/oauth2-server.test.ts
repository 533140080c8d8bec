import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { Agent, fetch as undiciFetch } from 'undici'
import {
  type OAuth2Server,
  type OAuth2ServerOptions,
  loadTlsFixtures,
  startOAuth2Server
} from '../../test-servers/oauth2/index.js'
import { until } from '../support/until.js'

interface Reply {
  status: number
  headers: Headers
  json: Record<string, unknown>
}

/** A client as thin as possible: the server is what is under test. */
async function post(
  url: string,
  form: Record<string, string>,
  auth?: { id: string; secret: string },
  signal?: AbortSignal
): Promise<Reply> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json'
  }
  if (auth) {
    headers.authorization = `Basic ${Buffer.from(`${auth.id}:${auth.secret}`).toString('base64')}`
  }
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
    ...(signal ? { signal } : {})
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
  }
}

function basic(server: OAuth2Server): { id: string; secret: string } {
  return { id: server.clients.basic.clientId, secret: server.clients.basic.clientSecret }
}

async function refresh(
  server: OAuth2Server,
  refreshToken: string,
  signal?: AbortSignal
): Promise<Reply> {
  return post(
    server.tokenUrl,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    basic(server),
    signal
  )
}

async function resource(server: OAuth2Server, authorization?: string): Promise<Reply> {
  const response = await fetch(server.resourceUrl, {
    headers: authorization === undefined ? {} : { authorization }
  })
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>
  }
}

function text(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a string, got ${typeof value}`)
  return value
}

async function withServer(
  options: OAuth2ServerOptions,
  run: (server: OAuth2Server) => Promise<void>
): Promise<void> {
  const server = await startOAuth2Server(options)
  try {
    await run(server)
  } finally {
    await server.close()
  }
}

let server: OAuth2Server

beforeAll(async () => {
  server = await startOAuth2Server()
})

afterEach(() => {
  server.faults.clear()
})

afterAll(async () => {
  await server.close()
})

describe('the refresh grant', () => {
  it('serves its endpoints under the issuer on 127.0.0.1', () => {
    expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.tokenUrl).toBe(`${server.issuer}/token`)
    expect(server.revocationUrl).toBe(`${server.issuer}/token/revocation`)
    expect(server.resourceUrl).toBe(`${server.issuer}/api/me`)
  })

  it('rotates: a new refresh token and access token; the used one is dead', async () => {
    const first = await server.mintRefreshToken()
    const before = server.tokenRequests

    const reply = await refresh(server, first)

    expect(reply.status).toBe(200)
    expect(reply.json).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'offline_access api:read'
    })
    const next = text(reply.json.refresh_token)
    expect(next).not.toBe(first)
    expect(server.tokenRequests - before).toBe(1)
    expect(await server.isRefreshTokenActive(first)).toBe(false)
    expect(await server.isRefreshTokenActive(next)).toBe(true)
    expect(await server.isAccessTokenActive(text(reply.json.access_token))).toBe(true)
    expect(await server.isGrantAlive(first)).toBe(true)
  })

  it('revokes the whole grant when a used refresh token is presented again', async () => {
    const first = await server.mintRefreshToken()
    const rotated = await refresh(server, first)

    const reuse = await refresh(server, first)

    expect(reuse.status).toBe(400)
    expect(reuse.json.error).toBe('invalid_grant')
    expect(await server.isGrantAlive(first)).toBe(false)
    expect(await server.isRefreshTokenActive(text(rotated.json.refresh_token))).toBe(false)
    expect(await server.isAccessTokenActive(text(rotated.json.access_token))).toBe(false)
  })

  it('refuses another client’s refresh token and a wrong secret', async () => {
    const publicToken = await server.mintRefreshToken({ clientId: server.clients.public.clientId })

    const mismatch = await refresh(server, publicToken)
    const wrongSecret = await post(
      server.tokenUrl,
      { grant_type: 'refresh_token', refresh_token: await server.mintRefreshToken() },
      { id: server.clients.basic.clientId, secret: 'wrong' }
    )

    expect(mismatch.json.error).toBe('invalid_grant')
    expect(wrongSecret.status).toBe(401)
    expect(wrongSecret.json.error).toBe('invalid_client')
  })

  it('accepts client_secret_post and the public client', async () => {
    const post1 = await post(server.tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: await server.mintRefreshToken({ clientId: server.clients.post.clientId }),
      client_id: server.clients.post.clientId,
      client_secret: server.clients.post.clientSecret
    })
    const public1 = await post(server.tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: await server.mintRefreshToken({ clientId: server.clients.public.clientId }),
      client_id: server.clients.public.clientId
    })

    expect(post1.status).toBe(200)
    expect(public1.status).toBe(200)
  })

  it('does not rotate with rotateRefreshToken: false', async () => {
    await withServer({ rotateRefreshToken: false }, async steady => {
      const first = await steady.mintRefreshToken()

      const reply = await refresh(steady, first)

      expect(reply.json.refresh_token).toBe(first)
      expect(await steady.isRefreshTokenActive(first)).toBe(true)
    })
  })

  it('issues access tokens with the configured lifetime', async () => {
    await withServer({ accessTokenTtlSeconds: 42 }, async shortLived => {
      const reply = await refresh(shortLived, await shortLived.mintRefreshToken())

      expect(reply.json.expires_in).toBe(42)
    })
  })

  it('keeps every server to itself', async () => {
    await withServer({}, async other => {
      const foreign = await other.mintRefreshToken()

      expect((await refresh(server, foreign)).json.error).toBe('invalid_grant')
      expect(other.clients.privateKeyJwt.privateKeyPem).not.toBe(
        server.clients.privateKeyJwt.privateKeyPem
      )
    })
  })

  it('says which refresh tokens it knows', async () => {
    await expect(server.isGrantAlive('never-minted')).rejects.toThrow('mintRefreshToken')
    await expect(server.mintRefreshToken({ clientId: 'nobody' })).rejects.toThrow('nobody')
    expect(await server.isRefreshTokenActive('never-minted')).toBe(false)
  })
})

describe('the protected resource', () => {
  it('answers 200 for a live access token, 401 without one or for an unknown one', async () => {
    const reply = await refresh(server, await server.mintRefreshToken({ accountId: 'bob' }))
    const accessToken = text(reply.json.access_token)

    const ok = await resource(server, `Bearer ${accessToken}`)
    const missing = await resource(server)
    const unknown = await resource(server, 'Bearer not-a-token')

    expect(ok.status).toBe(200)
    expect(ok.json).toEqual({
      sub: 'bob',
      client_id: server.clients.basic.clientId,
      scope: 'offline_access api:read'
    })
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer')
    expect(unknown.status).toBe(401)
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
  })

  it('answers 401 once the access token is revoked (RFC 7009)', async () => {
    const reply = await refresh(server, await server.mintRefreshToken())
    const accessToken = text(reply.json.access_token)
    const before = server.revocationRequests

    const revocation = await post(
      server.revocationUrl,
      { token: accessToken, token_type_hint: 'access_token' },
      basic(server)
    )

    expect(revocation.status).toBe(200)
    expect(server.revocationRequests - before).toBe(1)
    expect((await resource(server, `Bearer ${accessToken}`)).status).toBe(401)
  })
})

describe('faults', () => {
  it('answer: the provider never sees the request', async () => {
    const first = await server.mintRefreshToken()
    const fault = server.faults.add({ endpoint: 'token', kind: 'answer', status: 503, times: 1 })

    const failed = await refresh(server, first)
    const retried = await refresh(server, first)

    expect(failed.status).toBe(503)
    expect(failed.json.error).toBe('temporarily_unavailable')
    expect(retried.status).toBe(200)
    expect(fault.hits).toBe(1)
  })

  it('lose-response: processed, then the connection closes without an answer', async () => {
    const first = await server.mintRefreshToken()
    server.faults.add({ endpoint: 'token', kind: 'lose-response', times: 1 })

    await expect(refresh(server, first)).rejects.toThrow('fetch failed')

    expect(await server.isRefreshTokenActive(first)).toBe(false)
    expect(await server.isGrantAlive(first)).toBe(true)
  })

  it('fail-after-processing: processed, then a 5xx instead of the answer', async () => {
    const first = await server.mintRefreshToken()
    server.faults.add({ endpoint: 'token', kind: 'fail-after-processing', status: 502 })

    const reply = await refresh(server, first)

    expect(reply.status).toBe(502)
    expect(reply.json.error).toBe('server_error')
    expect(await server.isRefreshTokenActive(first)).toBe(false)
  })

  it('delay-response: processed, and the answer held back', async () => {
    const first = await server.mintRefreshToken()
    const fault = server.faults.add({ endpoint: 'token', kind: 'delay-response', delayMs: 60_000 })
    const abort = new AbortController()
    let answered = false
    const reply = refresh(server, first, abort.signal).finally(() => {
      answered = true
    })

    // The provider consumed the token: the request was processed, and its answer is still held.
    await until(async () => !(await server.isRefreshTokenActive(first)))
    expect([fault.hits, answered]).toEqual([1, false])
    abort.abort()
    await expect(reply).rejects.toThrow()
    expect(await server.isGrantAlive(first)).toBe(true)
  })

  it('delay-response: the held answer is sent after delayMs', async () => {
    const first = await server.mintRefreshToken()
    const fault = server.faults.add({ endpoint: 'token', kind: 'delay-response', delayMs: 1 })

    const reply = await refresh(server, first)

    expect([reply.status, fault.hits]).toEqual([200, 1])
    expect(typeof reply.json.refresh_token).toBe('string')
  })

  it('strip-refresh-token: the answer without refresh_token', async () => {
    const first = await server.mintRefreshToken()
    server.faults.add({ endpoint: 'token', kind: 'strip-refresh-token' })

    const reply = await refresh(server, first)

    expect(reply.status).toBe(200)
    expect(reply.json).not.toHaveProperty('refresh_token')
    expect(typeof reply.json.access_token).toBe('string')
  })

  it('applies to its endpoint only, in order, as many times as asked, until removed', async () => {
    const revocation = server.faults.add({ endpoint: 'revocation', kind: 'answer', status: 500 })
    const first = server.faults.add({ endpoint: 'token', kind: 'answer', status: 503, times: 1 })
    const second = server.faults.add({ endpoint: 'token', kind: 'answer', status: 504 })
    const token = await server.mintRefreshToken()

    const statuses = [(await refresh(server, token)).status, (await refresh(server, token)).status]
    second.remove()
    statuses.push((await refresh(server, token)).status)

    expect(statuses).toEqual([503, 504, 200])
    expect([first.hits, second.hits, revocation.hits]).toEqual([1, 1, 0])
    expect(() =>
      server.faults.add({ endpoint: 'token', kind: 'lose-response', times: -1 })
    ).toThrow()
  })

  it('refuses connections until it listens again, on the same port', async () => {
    const first = await server.mintRefreshToken()
    const { issuer } = server

    await server.refuseConnections()
    // A fresh connection: a pooled one would fail differently, as the server closed it.
    const fresh = new Agent()
    const refused = await undiciFetch(server.tokenUrl, { method: 'POST', dispatcher: fresh }).then(
      () => undefined,
      (error: unknown) => (error as { cause?: { code?: string } }).cause?.code
    )
    await fresh.close()
    await server.acceptConnections()

    expect(refused).toBe('ECONNREFUSED')
    expect(server.issuer).toBe(issuer)
    expect((await refresh(server, first)).status).toBe(200)
  })
})

describe('over https with client certificates', () => {
  it('authenticates the tls_client_auth client by its certificate (RFC 8705)', async () => {
    const fixtures = loadTlsFixtures()
    await withServer({ tls: true }, async secure => {
      expect(secure.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      const clientId = secure.clients.tlsClientAuth.clientId
      const form = (refreshToken: string) =>
        new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: clientId
        })
      const withCertificate = new Agent({
        connect: { ca: fixtures.ca, cert: fixtures.clientCertificate, key: fixtures.clientKey }
      })
      const withoutCertificate = new Agent({ connect: { ca: fixtures.ca } })
      try {
        const accepted = await undiciFetch(secure.tokenUrl, {
          method: 'POST',
          body: form(await secure.mintRefreshToken({ clientId })),
          dispatcher: withCertificate
        })
        const refused = await undiciFetch(secure.tokenUrl, {
          method: 'POST',
          body: form(await secure.mintRefreshToken({ clientId })),
          dispatcher: withoutCertificate
        })

        expect(accepted.status).toBe(200)
        expect(refused.status).toBe(401)
        expect(((await refused.json()) as { error: string }).error).toBe('invalid_client')
        await accepted.body?.cancel()
      } finally {
        await withCertificate.close()
        await withoutCertificate.close()
      }
    })
  })
})
