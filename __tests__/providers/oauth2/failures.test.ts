// How the issuer fails, against oidc-provider with faults in front of it. The rule under test: a
// refresh is repeated only when it provably never reached the server, because with rotating refresh
// tokens a replay of a processed request is a reuse, and the server revokes the grant for it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { type OAuth2Server, startOAuth2Server } from '../../../test-servers/oauth2/index.js'
import { failure, harness, inputsFor, resourceStatus } from './support.js'

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

describe('a used refresh token', () => {
  it('is reauthorization-needed, and the server revokes the grant for the reuse', async () => {
    const first = await server.mintRefreshToken()
    const { issuer } = harness(inputsFor(server))
    const minted = await issuer.mint(first)

    const error = await failure(issuer.mint(first), 'reauthorization-needed')

    expect(error.phase).toBe('mint')
    expect(error.retryable).toBe(false)
    expect(error.message).toContain('invalid_grant')
    expect(error.message).toContain('re-run the authorization flow')
    expect(error.message).toContain('recovery')
    expect(error.message).not.toContain(first)
    // What makes a blind replay so costly: the token minted before it dies with the grant.
    expect(await server.isGrantAlive(first)).toBe(false)
    expect(await server.isRefreshTokenActive(minted.next)).toBe(false)
    expect(await resourceStatus(server, minted.value)).toBe(401)
  })

  it('an unknown refresh token is reauthorization-needed too', async () => {
    const { issuer } = harness(inputsFor(server))

    await failure(issuer.mint('never-issued-refresh-token'), 'reauthorization-needed')
  })
})

describe('a 2xx answer that oauth4webapi refuses', () => {
  it('keeps its tokens: the server has consumed the old refresh token, so they are the only live ones', async () => {
    const first = await server.mintRefreshToken()
    const { issuer, log } = harness(inputsFor(server))
    server.faults.add({ endpoint: 'token', kind: 'strip-field', field: 'token_type', times: 1 })

    const minted = await issuer.mint(first)

    expect(minted.rotated).toBe(true)
    expect(await server.isRefreshTokenActive(minted.next)).toBe(true)
    expect(await resourceStatus(server, minted.value)).toBe(200)
    expect(log.lines.map(line => line.message).join('\n')).toMatch(/did not pass validation/)
  })
})

describe('answers lost after the server processed the refresh', () => {
  it('a dropped connection is not retried: outcome unknown, and the grant survives', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer, sleeps } = harness(inputsFor(server))
    server.faults.add({ endpoint: 'token', kind: 'lose-response', times: 1 })
    const before = server.tokenRequests

    const error = await failure(issuer.mint(refreshToken), 'issuer-outcome-unknown')

    expect(server.tokenRequests - before).toBe(1)
    expect(sleeps).toEqual([])
    expect(error.retryable).toBe(false)
    expect(error.message).toContain('no answer came back')
    expect(error.message).toContain('does not retry')
    // The server did use the token; because it was not presented again, the grant lives on.
    expect(await server.isRefreshTokenActive(refreshToken)).toBe(false)
    expect(await server.isGrantAlive(refreshToken)).toBe(true)
  })

  it('a 500 after processing is not retried', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer, sleeps } = harness(inputsFor(server))
    server.faults.add({ endpoint: 'token', kind: 'fail-after-processing', status: 500, times: 1 })
    const before = server.tokenRequests

    const error = await failure(issuer.mint(refreshToken), 'issuer-outcome-unknown')

    expect(server.tokenRequests - before).toBe(1)
    expect(sleeps).toEqual([])
    expect(error.message).toContain('HTTP 500')
    expect(await server.isGrantAlive(refreshToken)).toBe(true)
  })

  it('a 503 is not retried either: nothing proves the server did not process it', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer, sleeps } = harness(inputsFor(server))
    server.faults.add({ endpoint: 'token', kind: 'answer', status: 503, times: 1 })
    const before = server.tokenRequests

    const error = await failure(issuer.mint(refreshToken), 'issuer-outcome-unknown')

    expect(server.tokenRequests - before).toBe(1)
    expect(sleeps).toEqual([])
    expect(error.message).toContain('HTTP 503')
    expect(await server.isRefreshTokenActive(refreshToken)).toBe(true)
  })

  it('no answer before the deadline is not retried', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer, sleeps } = harness(inputsFor(server), { config: { timeoutMs: 300 } })
    server.faults.add({ endpoint: 'token', kind: 'delay-response', delayMs: 5_000, times: 1 })
    const before = server.tokenRequests

    const error = await failure(issuer.mint(refreshToken), 'issuer-outcome-unknown')

    expect(server.tokenRequests - before).toBe(1)
    expect(sleeps).toEqual([])
    expect(error.message).toContain('no answer within')
    expect(await server.isGrantAlive(refreshToken)).toBe(true)
  })

  it('a 200 that is not a token response is outcome unknown, not a retry', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer } = harness(inputsFor(server))
    server.faults.add({
      endpoint: 'token',
      kind: 'answer',
      status: 200,
      body: { token_type: 'bearer' },
      times: 1
    })

    const error = await failure(issuer.mint(refreshToken), 'issuer-outcome-unknown')

    expect(error.message).toContain('cannot be used')
  })

  it('a 404 without an OAuth error body is issuer-rejected', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer } = harness(inputsFor(server))
    server.faults.add({ endpoint: 'token', kind: 'answer', status: 404, body: {}, times: 1 })

    const error = await failure(issuer.mint(refreshToken), 'issuer-rejected')

    expect(error.message).toContain('HTTP 404')
    expect(error.message).toContain('token-url')
  })
})

describe('requests that never reached the server', () => {
  it('connection refused is retried, and succeeds once the server listens again', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer, sleeps, log } = harness(inputsFor(server), {
      onSleep: async n => {
        if (n === 2) await server.acceptConnections()
      }
    })
    await server.refuseConnections()
    const before = server.tokenRequests

    const minted = await issuer.mint(refreshToken)

    expect(sleeps).toEqual([1000, 4000])
    expect(server.tokenRequests - before).toBe(1)
    expect(await resourceStatus(server, minted.value)).toBe(200)
    expect(log.lines.filter(line => line.level === 'warning')).toHaveLength(2)
    expect(log.text()).toContain('connection refused')
  })

  it('connection refused on every attempt is issuer-unreachable, the token unused', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer, sleeps } = harness(inputsFor(server))
    await server.refuseConnections()
    try {
      const error = await failure(issuer.mint(refreshToken), 'issuer-unreachable')

      expect(sleeps).toHaveLength(2)
      expect(error.retryable).toBe(true)
      expect(error.phase).toBe('mint')
      expect(error.message).toContain('3 attempts')
      expect(error.message).toContain('was not used')
    } finally {
      await server.acceptConnections()
    }
    expect(await server.isRefreshTokenActive(refreshToken)).toBe(true)
  })

  it('a host that does not resolve is issuer-unreachable', async () => {
    const { issuer } = harness(
      inputsFor(server, { 'token-url': 'https://oauth2.invalid/token', 'revocation-url': '' })
    )

    const error = await failure(issuer.mint('any-refresh-token'), 'issuer-unreachable')

    expect(error.message).toMatch(/host not found|DNS/)
  })
})

describe('unsafe endpoints', () => {
  it('refuses a configuration with plain http to a host that is not loopback', () => {
    const config = { tokenUrl: 'http://oauth2.example.com/token' }

    expect(() => harness(inputsFor(server), { config })).toThrow(
      expect.objectContaining({ code: 'unsafe-endpoint' })
    )
  })
})
