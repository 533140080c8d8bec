// client_secret_basic as it goes on the wire: the exact Authorization header, and refreshes against
// @node-oauth/oauth2-server, once with a model that compares the credentials as received (as many
// do) and once with one that form-decodes them (as RFC 6749 section 2.3.1 asks).
import { afterEach, describe, expect, it } from '@jest/globals'
import type * as oauth from 'oauth4webapi'
import { parseOAuth2Config } from '../../../src/providers/oauth2/config.js'
import {
  clientSecretBasic,
  formEncodeCredential
} from '../../../src/providers/oauth2/client-auth.js'
import { createOAuth2Issuer } from '../../../src/providers/oauth2/issuer.js'
import {
  type NodeOAuth2Client,
  type NodeOAuth2Server,
  startNodeOAuth2Server
} from '../../../test-servers/oauth2-node/index.js'
import { MemoryLogger } from '../../support/memory-logger.js'

/** The Authorization header clientSecretBasic sets for this client id and secret. */
function authorization(clientId: string, clientSecret: string): string {
  const headers = new Headers()
  const as: oauth.AuthorizationServer = { issuer: 'https://issuer.example' }
  void clientSecretBasic(clientSecret)(as, { client_id: clientId }, new URLSearchParams(), headers)
  return headers.get('authorization') ?? ''
}

/** What a server that base64-decodes the header (and does nothing else) receives. */
function received(header: string): string {
  return Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8')
}

describe('the client_secret_basic header', () => {
  it('leaves the unreserved characters -._~ and alphanumerics as they are', () => {
    const uuid = '6f1c2b3a-9d4e-4f5a-8b6c-7d8e9f0a1b2c'
    expect(received(authorization('rotation-client', 'a.b_c~d-e'))).toBe(
      'rotation-client:a.b_c~d-e'
    )
    expect(received(authorization(uuid, 'Zz09'))).toBe(`${uuid}:Zz09`)
    expect(authorization('rotation-client', 'a.b_c~d-e')).toBe(
      `Basic ${Buffer.from('rotation-client:a.b_c~d-e').toString('base64')}`
    )
  })

  it('encodes the separator, the escape character, spaces, + and non-ASCII as UTF-8 octets', () => {
    expect(received(authorization('id:with:colons', 'p:w'))).toBe('id%3Awith%3Acolons:p%3Aw')
    expect(received(authorization('100%', '%41'))).toBe('100%25:%2541')
    expect(received(authorization('my client', 'a b+c'))).toBe('my%20client:a%20b%2Bc')
    expect(received(authorization('clïent', '€£'))).toBe('cl%C3%AFent:%E2%82%AC%C2%A3')
  })

  it("encodes the reserved characters encodeURIComponent keeps: ! ' ( ) *", () => {
    expect(formEncodeCredential("!'()*")).toBe('%21%27%28%29%2A')
    expect(formEncodeCredential('/?#[]@&=;,$')).toBe('%2F%3F%23%5B%5D%40%26%3D%3B%2C%24')
  })

  it('decodes back to the exact id and secret with form rules and with URI rules', () => {
    const values = ['rotation-client', 'a b+c', '100%:x', 'clïent €', "!'()*~._-"]
    for (const value of values) {
      const encoded = formEncodeCredential(value)
      expect(decodeURIComponent(encoded)).toBe(value)
      expect(new URLSearchParams(`v=${encoded}`).get('v')).toBe(value)
    }
  })
})

let server: NodeOAuth2Server | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** An issuer for `client` at the server's token endpoint, as the inputs would configure it. */
function issuerFor(target: NodeOAuth2Server, client: NodeOAuth2Client) {
  const { config, problems } = parseOAuth2Config({
    'token-url': target.tokenUrl,
    'client-id': client.clientId,
    'client-secret': client.clientSecret,
    'client-auth': 'client_secret_basic',
    'client-private-key': '',
    scope: '',
    'revocation-url': '',
    'client-certificate': '',
    'client-key': '',
    'ca-certificate': ''
  })
  expect(problems).toEqual([])
  if (config === undefined) throw new Error('no configuration')
  return createOAuth2Issuer(config, {
    mask: () => undefined,
    log: new MemoryLogger(),
    sleep: () => Promise.resolve()
  })
}

async function refreshesTwice(target: NodeOAuth2Server, client: NodeOAuth2Client): Promise<void> {
  const issuer = issuerFor(target, client)
  const first = target.mintRefreshToken(client.clientId)
  const minted = await issuer.mint(first)
  const again = await issuer.mint(minted.next)
  expect(target.isAccessTokenActive(again.value)).toBe(true)
  expect(target.isRefreshTokenActive(first)).toBe(false)
  expect(target.isRefreshTokenActive(minted.next)).toBe(false)
  expect(target.isFamilyAlive(again.next)).toBe(true)
}

describe('refreshing at @node-oauth/oauth2-server', () => {
  it('is accepted by a model that compares the credentials as received (rotation-client, a UUID)', async () => {
    server = await startNodeOAuth2Server()
    for (const client of server.clients) await refreshesTwice(server, client)
    expect(server.counts).toEqual({ refusedClients: 0, reuses: 0 })
  })

  it('gives a decoding model the exact id and secret, whatever characters they hold', async () => {
    const clients = [
      { clientId: 'id:with:colons', clientSecret: 'p:w %41 100%' },
      { clientId: 'my client', clientSecret: 'a b+c/d=' },
      { clientId: 'clïent-€', clientSecret: "s3cr€t!'()*~._-" }
    ]
    server = await startNodeOAuth2Server({ clients, decodeCredentials: true })
    for (const client of clients) await refreshesTwice(server, client)
    expect(server.counts).toEqual({ refusedClients: 0, reuses: 0 })
  })
})
