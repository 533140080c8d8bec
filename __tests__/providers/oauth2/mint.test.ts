// The refresh grant against oidc-provider with rotating refresh tokens: every client
// authentication method, chains of rotations, RFC 6749 section 6, masking.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  type JwtAlgorithm,
  type OAuth2Server,
  startOAuth2Server
} from '../../../test-servers/oauth2/index.js'
import { failure, harness, inputsFor, resourceStatus } from './support.js'

let server: OAuth2Server

beforeAll(async () => {
  server = await startOAuth2Server()
})

afterAll(async () => {
  await server.close()
})

describe('mint with each client authentication method', () => {
  it('client_secret_basic', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer } = harness(inputsFor(server))

    const minted = await issuer.mint(refreshToken)

    expect(minted.rotated).toBe(true)
    expect(minted.next).not.toBe(refreshToken)
    expect(await resourceStatus(server, minted.value)).toBe(200)
    expect(await server.isRefreshTokenActive(minted.next)).toBe(true)
    expect(await server.isRefreshTokenActive(refreshToken)).toBe(false)
  })

  it('client_secret_post', async () => {
    const { clientId, clientSecret } = server.clients.post
    const refreshToken = await server.mintRefreshToken({ clientId })
    const { issuer } = harness(
      inputsFor(server, {
        'client-id': clientId,
        'client-secret': clientSecret,
        'client-auth': 'client_secret_post'
      })
    )

    const minted = await issuer.mint(refreshToken)

    expect(await resourceStatus(server, minted.value)).toBe(200)
    expect(await server.isRefreshTokenActive(minted.next)).toBe(true)
  })

  it('none (a public client)', async () => {
    const { clientId } = server.clients.public
    const refreshToken = await server.mintRefreshToken({ clientId })
    const { issuer } = harness(
      inputsFor(server, { 'client-id': clientId, 'client-secret': '', 'client-auth': 'none' })
    )

    const minted = await issuer.mint(refreshToken)

    expect(minted.rotated).toBe(true)
    expect(await resourceStatus(server, minted.value)).toBe(200)
  })

  it.each<JwtAlgorithm>(['RS256', 'ES256', 'ES384', 'EdDSA'])(
    'private_key_jwt with an %s key',
    async algorithm => {
      const { clientId, privateKeys } = server.clients.privateKeyJwt
      const refreshToken = await server.mintRefreshToken({ clientId })
      const { issuer } = harness(
        inputsFor(server, {
          'client-id': clientId,
          'client-secret': '',
          'client-auth': 'private_key_jwt',
          'client-private-key': privateKeys[algorithm]
        })
      )

      const minted = await issuer.mint(refreshToken)

      expect(await resourceStatus(server, minted.value)).toBe(200)
      expect(await server.isRefreshTokenActive(minted.next)).toBe(true)
    }
  )

  it('a wrong client secret is issuer-rejected naming the inputs, and the token stays usable', async () => {
    const refreshToken = await server.mintRefreshToken()
    const wrong = 'not-the-client-secret-0123456789'
    const { issuer } = harness(inputsFor(server, { 'client-secret': wrong }))

    const error = await failure(issuer.mint(refreshToken), 'issuer-rejected')

    expect(error.phase).toBe('mint')
    expect(error.message).toContain('invalid_client')
    expect(error.message).toContain('client-secret')
    expect(error.message).not.toContain(wrong)
    expect(error.message).not.toContain(refreshToken)
    expect(await server.isRefreshTokenActive(refreshToken)).toBe(true)
  })
})

describe('rotation', () => {
  it('chains: each new access token works, each used refresh token is dead, the grant lives', async () => {
    const first = await server.mintRefreshToken()
    const { issuer } = harness(inputsFor(server))
    const used: string[] = []
    let current = first

    for (let round = 0; round < 4; round += 1) {
      const minted = await issuer.mint(current)
      used.push(current)
      expect(minted.rotated).toBe(true)
      expect(await resourceStatus(server, minted.value)).toBe(200)
      for (const old of used) expect(await server.isRefreshTokenActive(old)).toBe(false)
      current = minted.next
    }

    expect(await server.isRefreshTokenActive(current)).toBe(true)
    expect(await server.isGrantAlive(first)).toBe(true)
  })

  it('keeps the old refresh token when the answer has none (RFC 6749 section 6)', async () => {
    // A server that does not rotate and leaves refresh_token out of its answer.
    const steady = await startOAuth2Server({ rotateRefreshToken: false })
    try {
      const refreshToken = await steady.mintRefreshToken()
      const { issuer, log } = harness(inputsFor(steady))
      const fault = steady.faults.add({ endpoint: 'token', kind: 'strip-refresh-token' })

      const first = await issuer.mint(refreshToken)
      const second = await issuer.mint(first.next)

      expect(fault.hits).toBe(2)
      expect(first).toMatchObject({ next: refreshToken, rotated: false })
      expect(second).toMatchObject({ next: refreshToken, rotated: false })
      expect(await resourceStatus(steady, second.value)).toBe(200)
      expect(await steady.isRefreshTokenActive(refreshToken)).toBe(true)
      expect(log.text()).toContain('kept the refresh token')
    } finally {
      await steady.close()
    }
  })

  it('reports rotated: false when a non-rotating server answers with the same refresh token', async () => {
    const steady = await startOAuth2Server({ rotateRefreshToken: false })
    try {
      const refreshToken = await steady.mintRefreshToken()
      const { issuer } = harness(inputsFor(steady))

      const first = await issuer.mint(refreshToken)
      const second = await issuer.mint(first.next)

      expect(first).toMatchObject({ next: refreshToken, rotated: false })
      expect(second).toMatchObject({ next: refreshToken, rotated: false })
      expect(await resourceStatus(steady, second.value)).toBe(200)
    } finally {
      await steady.close()
    }
  })

  it('takes the expiry from expires_in', async () => {
    const shortLived = await startOAuth2Server({ accessTokenTtlSeconds: 90 })
    try {
      const { issuer } = harness(inputsFor(shortLived))

      const minted = await issuer.mint(await shortLived.mintRefreshToken())

      // The harness clock stands at 2026-01-01T00:00:00Z.
      expect(minted.expiresAt).toEqual(new Date('2026-01-01T00:01:30Z'))
    } finally {
      await shortLived.close()
    }
  })

  it('a short-lived access token stops working at the resource when it expires', async () => {
    const shortLived = await startOAuth2Server({ accessTokenTtlSeconds: 1 })
    try {
      const { issuer } = harness(inputsFor(shortLived))
      const minted = await issuer.mint(await shortLived.mintRefreshToken())
      expect(await resourceStatus(shortLived, minted.value)).toBe(200)

      await new Promise(resolve => setTimeout(resolve, 2100))

      expect(await resourceStatus(shortLived, minted.value)).toBe(401)
      expect(await shortLived.isRefreshTokenActive(minted.next)).toBe(true)
    } finally {
      await shortLived.close()
    }
  })

  it('passes scope, and refuses one the grant does not hold as issuer-rejected', async () => {
    const refreshToken = await server.mintRefreshToken({ scope: 'offline_access api:read' })
    const narrowed = harness(inputsFor(server, { scope: 'offline_access' }))
    const minted = await narrowed.issuer.mint(refreshToken)
    expect(await resourceStatus(server, minted.value)).toBe(200)

    const widened = harness(inputsFor(server, { scope: 'offline_access api:read openid' }))
    const error = await failure(widened.issuer.mint(minted.next), 'issuer-rejected')
    expect(error.message).toContain('invalid_scope')
    expect(await server.isRefreshTokenActive(minted.next)).toBe(true)
  })

  it('rotates a grant with openid: the ID token in the answer does not stop it', async () => {
    // oauth4webapi would validate the ID token against RS256 and the issuer it cannot know from
    // token-url alone; this server signs with ES256. The refresh token is consumed by then.
    const refreshToken = await server.mintRefreshToken({
      scope: 'openid offline_access api:read'
    })
    const { issuer, masks } = harness(inputsFor(server))

    const minted = await issuer.mint(refreshToken)

    expect(minted.rotated).toBe(true)
    expect(await resourceStatus(server, minted.value)).toBe(200)
    expect(masks).toHaveLength(3)
  })
})

describe('masking', () => {
  it('masks every token before mint returns, and logs none of them', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer, masks, log } = harness(inputsFor(server))

    const minted = await issuer.mint(refreshToken)

    expect(masks).toEqual(expect.arrayContaining([minted.value, minted.next]))
    const logged = log.text()
    for (const secret of [minted.value, minted.next, refreshToken]) {
      expect(logged).not.toContain(secret)
    }
    expect(logged).not.toContain(server.clients.basic.clientSecret)
  })

  it('masks the access token when the refresh token is kept', async () => {
    const steady = await startOAuth2Server({ rotateRefreshToken: false })
    try {
      const { issuer, masks } = harness(inputsFor(steady))
      steady.faults.add({ endpoint: 'token', kind: 'strip-refresh-token' })

      const minted = await issuer.mint(await steady.mintRefreshToken())

      expect(masks).toEqual([minted.value])
    } finally {
      await steady.close()
    }
  })
})
