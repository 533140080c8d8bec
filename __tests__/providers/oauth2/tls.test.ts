// TLS: the OAuth2 server over HTTPS with the fixture certificates, RFC 8705 tls_client_auth, and
// handshakes that fail (which prove the request never reached the server, so they are retried).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  type OAuth2Server,
  type TlsFixtures,
  loadTlsFixtures,
  startOAuth2Server
} from '../../../test-servers/oauth2/index.js'
import { failure, harness, inputsFor } from './support.js'

let server: OAuth2Server
let fixtures: TlsFixtures

beforeAll(async () => {
  fixtures = loadTlsFixtures()
  server = await startOAuth2Server({ tls: true })
})

afterAll(async () => {
  await server.close()
})

function mtlsInputs(overrides: Parameters<typeof inputsFor>[1] = {}) {
  return inputsFor(server, {
    'client-id': server.clients.tlsClientAuth.clientId,
    'client-secret': '',
    'client-auth': 'tls_client_auth',
    'client-certificate': fixtures.clientCertificate,
    'client-key': fixtures.clientKey,
    'ca-certificate': fixtures.ca,
    ...overrides
  })
}

describe('over https', () => {
  it('tls_client_auth mints with the client certificate', async () => {
    const refreshToken = await server.mintRefreshToken({
      clientId: server.clients.tlsClientAuth.clientId
    })
    const { issuer } = harness(mtlsInputs())

    const minted = await issuer.mint(refreshToken)

    expect(minted.rotated).toBe(true)
    expect(await server.isAccessTokenActive(minted.value)).toBe(true)
    expect(await server.isRefreshTokenActive(minted.next)).toBe(true)
  })

  it('client_secret_basic works with ca-certificate and no client certificate', async () => {
    const refreshToken = await server.mintRefreshToken()
    const { issuer } = harness(inputsFor(server, { 'ca-certificate': fixtures.ca }))

    const minted = await issuer.mint(refreshToken)

    expect(await server.isAccessTokenActive(minted.value)).toBe(true)
  })

  it('tls_client_auth without the certificate is refused by the server as invalid_client', async () => {
    const refreshToken = await server.mintRefreshToken({
      clientId: server.clients.tlsClientAuth.clientId
    })
    const { issuer } = harness(mtlsInputs(), {
      config: { tls: { caCertificate: fixtures.ca } }
    })

    const error = await failure(issuer.mint(refreshToken), 'issuer-rejected')

    expect(error.message).toContain('invalid_client')
    expect(error.message).toContain('client-certificate')
    expect(await server.isRefreshTokenActive(refreshToken)).toBe(true)
  })

  it('a server certificate from another CA fails as TLS, is retried, and never reaches it', async () => {
    const refreshToken = await server.mintRefreshToken({
      clientId: server.clients.tlsClientAuth.clientId
    })
    const { issuer, sleeps } = harness(mtlsInputs({ 'ca-certificate': fixtures.otherCa }))
    const before = server.tokenRequests

    const error = await failure(issuer.mint(refreshToken), 'issuer-unreachable')

    expect(sleeps).toHaveLength(2)
    expect(server.tokenRequests).toBe(before)
    expect(error.message).toContain('TLS')
    expect(error.message).toContain('ca-certificate')
    expect(await server.isRefreshTokenActive(refreshToken)).toBe(true)
  })

  it('the system roots do not trust the test CA', async () => {
    const { issuer } = harness(inputsFor(server))

    const error = await failure(issuer.mint('any-refresh-token'), 'issuer-unreachable')

    expect(error.message).toContain('not trusted')
  })
})

describe('a server that requires a client certificate in the handshake', () => {
  let strict: OAuth2Server

  beforeAll(async () => {
    strict = await startOAuth2Server({ tls: true, requireClientCertificate: true })
  })

  afterAll(async () => {
    await strict.close()
  })

  it('closes on a client without one, after the TLS 1.3 handshake: not retried, as it cannot be told from a lost answer', async () => {
    const refreshToken = await strict.mintRefreshToken()
    const { issuer, sleeps } = harness(inputsFor(strict, { 'ca-certificate': fixtures.ca }))

    const error = await failure(issuer.mint(refreshToken), 'issuer-outcome-unknown')

    expect(sleeps).toEqual([])
    expect(error.message).toContain('set client-certificate and client-key')
    // The server's HTTP layer never saw it; the client has no way to know that.
    expect(strict.tokenRequests).toBe(0)
    expect(await strict.isRefreshTokenActive(refreshToken)).toBe(true)
  })

  it('accepts the fixture client certificate', async () => {
    const refreshToken = await strict.mintRefreshToken({
      clientId: strict.clients.tlsClientAuth.clientId
    })
    const { issuer } = harness(
      inputsFor(strict, {
        'client-id': strict.clients.tlsClientAuth.clientId,
        'client-secret': '',
        'client-auth': 'tls_client_auth',
        'client-certificate': fixtures.clientCertificate,
        'client-key': fixtures.clientKey,
        'ca-certificate': fixtures.ca
      })
    )

    const minted = await issuer.mint(refreshToken)

    expect(await strict.isAccessTokenActive(minted.value)).toBe(true)
  })
})
