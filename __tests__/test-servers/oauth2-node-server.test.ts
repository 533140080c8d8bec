// The second local OAuth2 server (@node-oauth/oauth2-server) speaks the refresh grant as a real one
// does: rotation, reuse detection that revokes the family, and client credentials compared exactly
// as they arrive in the Basic header, unless it is told to decode them.
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  type NodeOAuth2Server,
  startNodeOAuth2Server
} from '../../test-servers/oauth2-node/index.js'

let server: NodeOAuth2Server | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

interface Reply {
  status: number
  json: Record<string, unknown>
}

/** A refresh with the credentials exactly as given: the client is as thin as possible. */
async function refresh(
  target: NodeOAuth2Server,
  refreshToken: string,
  basic: { id: string; secret: string }
): Promise<Reply> {
  const response = await fetch(target.tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}`
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken })
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

async function resourceStatus(target: NodeOAuth2Server, accessToken: string): Promise<number> {
  const response = await fetch(target.resourceUrl, {
    headers: { authorization: `Bearer ${accessToken}` }
  })
  await response.body?.cancel()
  return response.status
}

describe('the @node-oauth/oauth2-server peer', () => {
  it('rotates: a new refresh token each time, and the access token opens the resource', async () => {
    server = await startNodeOAuth2Server()
    const [client] = server.clients
    if (client === undefined) throw new Error('no client')
    const basic = { id: client.clientId, secret: client.clientSecret }
    const first = server.mintRefreshToken()

    const reply = await refresh(server, first, basic)

    expect(reply.status).toBe(200)
    const next = String(reply.json.refresh_token)
    expect(next).not.toBe(first)
    expect(await resourceStatus(server, String(reply.json.access_token))).toBe(200)
    expect(server.isRefreshTokenActive(first)).toBe(false)
    expect(server.isRefreshTokenActive(next)).toBe(true)
    expect(server.tokenRequests).toBe(1)
  })

  it('refuses a consumed refresh token with invalid_grant and revokes its whole family', async () => {
    server = await startNodeOAuth2Server()
    const [client] = server.clients
    if (client === undefined) throw new Error('no client')
    const basic = { id: client.clientId, secret: client.clientSecret }
    const first = server.mintRefreshToken()
    const rotated = await refresh(server, first, basic)

    const reuse = await refresh(server, first, basic)

    expect([reuse.status, reuse.json.error]).toEqual([400, 'invalid_grant'])
    expect(server.counts.reuses).toBe(1)
    expect(server.isFamilyAlive(first)).toBe(false)
    expect(await resourceStatus(server, String(rotated.json.access_token))).toBe(401)
    const next = await refresh(server, String(rotated.json.refresh_token), basic)
    expect([next.status, next.json.error]).toEqual([400, 'invalid_grant'])
  })

  it('compares the credentials as received: an encoded unreserved character is another client', async () => {
    server = await startNodeOAuth2Server()
    const token = server.mintRefreshToken('rotation-client')
    const secret = server.clients[0]?.clientSecret ?? ''

    const refused = await refresh(server, token, { id: 'rotation%2Dclient', secret })

    expect([refused.status, refused.json.error]).toEqual([401, 'invalid_client'])
    expect(server.counts.refusedClients).toBe(1)
    expect(server.isRefreshTokenActive(token)).toBe(true)
  })

  it('decodes the credentials when told to, as RFC 6749 section 2.3.1 asks', async () => {
    const clients = [{ clientId: 'rotation-client', clientSecret: 'a b' }]
    server = await startNodeOAuth2Server({ clients, decodeCredentials: true })
    const token = server.mintRefreshToken()

    const reply = await refresh(server, token, { id: 'rotation%2Dclient', secret: 'a+b' })

    expect(reply.status).toBe(200)
    expect(server.counts.refusedClients).toBe(0)
  })
})
