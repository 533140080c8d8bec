// RFC 7009 revocation against oidc-provider: what it revokes, what its 200 proves, and retries
// (revoking twice is harmless, so unlike a refresh, any transient failure is retried).
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { fingerprint } from '../../../src/engine/fingerprint.js'
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

/** A fresh grant, refreshed once: its access token. */
async function freshTokens(): Promise<{ accessToken: string }> {
  const minted = await harness(inputsFor(server)).issuer.mint(await server.mintRefreshToken())
  return { accessToken: minted.value }
}

function revoker(overrides: Parameters<typeof inputsFor>[1] = {}) {
  const h = harness(inputsFor(server, overrides))
  const revoke = (value: string): Promise<void> => {
    if (h.issuer.revoke === undefined) throw new Error('the issuer cannot revoke')
    return h.issuer.revoke({ by: 'value', value, fingerprint: fingerprint(value) })
  }
  return { ...h, revoke }
}

describe('revoke', () => {
  it('revokes the access token: the resource refuses it afterwards', async () => {
    const { accessToken } = await freshTokens()
    const { revoke, log } = revoker()
    expect(await resourceStatus(server, accessToken)).toBe(200)
    const before = server.revocationRequests

    await revoke(accessToken)

    expect(server.revocationRequests - before).toBe(1)
    expect(await resourceStatus(server, accessToken)).toBe(401)
    expect(log.text()).not.toContain(accessToken)
  })

  it('ends the whole grant on oidc-provider, the rotated refresh token included (RFC 7009 section 2.1 allows it)', async () => {
    // Revoking the access token of the previous rotation kills the refresh token minted after it
    // from the same grant: on servers that do this, revoking the previous value locks the user out.
    const first = await server.mintRefreshToken()
    const { issuer } = harness(inputsFor(server))
    const previous = await issuer.mint(first)
    const current = await issuer.mint(previous.next)
    expect(await server.isRefreshTokenActive(current.next)).toBe(true)

    await revoker().revoke(previous.value)

    expect(await server.isRefreshTokenActive(current.next)).toBe(false)
    expect(await resourceStatus(server, current.value)).toBe(401)
    expect(await server.isGrantAlive(first)).toBe(false)
  })

  it('answers 200 for a token it does not know: the 200 proves nothing', async () => {
    const { revoke } = revoker()

    await expect(revoke('no-such-access-token')).resolves.toBeUndefined()
  })

  it('retries a 503 and a lost answer, then succeeds', async () => {
    const { accessToken } = await freshTokens()
    const { revoke, sleeps } = revoker()
    server.faults.add({ endpoint: 'revocation', kind: 'answer', status: 503, times: 1 })
    server.faults.add({ endpoint: 'revocation', kind: 'lose-response', times: 1 })
    const before = server.revocationRequests

    await revoke(accessToken)

    expect(server.revocationRequests - before).toBe(3)
    expect(sleeps).toEqual([1000, 4000])
    expect(await resourceStatus(server, accessToken)).toBe(401)
  })

  it('gives up after three attempts as issuer-unreachable in phase retire', async () => {
    const { accessToken } = await freshTokens()
    const { revoke } = revoker()
    server.faults.add({ endpoint: 'revocation', kind: 'answer', status: 503 })

    const error = await failure(revoke(accessToken), 'issuer-unreachable')

    expect(error.phase).toBe('retire')
    expect(error.message).toContain('HTTP 503')
    expect(error.message).toContain('stays valid')
    expect(await resourceStatus(server, accessToken)).toBe(200)
  })

  it('a wrong client secret is issuer-rejected naming the inputs', async () => {
    const { accessToken } = await freshTokens()
    const { revoke } = revoker({ 'client-secret': 'not-the-client-secret-0123456789' })

    const error = await failure(revoke(accessToken), 'issuer-rejected')

    expect(error.phase).toBe('retire')
    expect(error.message).toContain('client-secret')
    expect(await resourceStatus(server, accessToken)).toBe(200)
  })

  it('revokes by value (RFC 7009): given only a handle, it sends nothing and says so', async () => {
    const { issuer } = harness(inputsFor(server))
    if (issuer.revoke === undefined) throw new Error('the issuer cannot revoke')
    const before = server.revocationRequests

    const error = await failure(
      issuer.revoke({ by: 'handle', handle: 'token-7', fingerprint: '0123456789abcdef' }),
      'internal'
    )

    expect(issuer.revokes).toBe('value')
    expect(error.phase).toBe('retire')
    expect(error.message).toContain('by its value')
    expect(server.revocationRequests).toBe(before)
  })

  it('is absent without revocation-url', () => {
    const { issuer } = harness(inputsFor(server, { 'revocation-url': '' }))

    expect('revoke' in issuer).toBe(false)
  })
})
