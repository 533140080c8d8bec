// Rotations through dist/index.js with client_secret_basic against two OAuth2 server
// implementations, for a client id with a `-` (rotation-client) and a UUID: @node-oauth/oauth2-server
// with a model that compares the Basic credentials as received, and oidc-provider, which decodes
// them. Both rotate refresh tokens and revoke the grant when a consumed one comes back.
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { leaks, runAction } from '../../test-servers/action-runner.js'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'
import { startHealthGate, type HealthGate } from '../../test-servers/health-gate.js'
import { startNodeOAuth2Server } from '../../test-servers/oauth2-node/index.js'
import { createTestClients } from '../../test-servers/oauth2/clients.js'
import { MemoryStore } from '../../test-servers/oauth2/memory-store.js'
import { createProvider } from '../../test-servers/oauth2/provider.js'
import { RESOURCE_PATH, handleResource } from '../../test-servers/oauth2/resource.js'

const REPO = 'octo/app'
const REFRESH_SECRET = 'OAUTH_REFRESH_TOKEN'
const ACCESS_SECRET = 'API_ACCESS_TOKEN'
const secretPath = (name: string) => `repos/${REPO}/actions/secrets/${name}`

interface Client {
  clientId: string
  clientSecret: string
}

/** What the scenario needs of an OAuth2 server, whichever implementation it is. */
interface Peer {
  tokenUrl: string
  resourceUrl: string
  mintRefreshToken(clientId: string): Promise<string>
  isRefreshTokenActive(token: string): Promise<boolean>
  isAccessTokenActive(token: string): Promise<boolean>
  /** Whether the grant that `first` started still has a live refresh token. */
  isGrantAlive(first: string): Promise<boolean>
  /** Client authentications the server refused. */
  refusedClients(): number
  close(): Promise<void>
}

const newSecret = () => randomBytes(24).toString('base64url')

async function nodeOAuth2Peer(clients: Client[]): Promise<Peer> {
  const server = await startNodeOAuth2Server({ clients })
  return {
    tokenUrl: server.tokenUrl,
    resourceUrl: server.resourceUrl,
    mintRefreshToken: clientId => Promise.resolve(server.mintRefreshToken(clientId)),
    isRefreshTokenActive: token => Promise.resolve(server.isRefreshTokenActive(token)),
    isAccessTokenActive: token => Promise.resolve(server.isAccessTokenActive(token)),
    isGrantAlive: first => Promise.resolve(server.isFamilyAlive(first)),
    refusedClients: () => server.counts.refusedClients,
    close: () => server.close()
  }
}

/** oidc-provider as test-servers/oauth2 configures it, with these client_secret_basic clients. */
async function oidcProviderPeer(clients: Client[]): Promise<Peer> {
  const store = new MemoryStore()
  let refused = 0
  let handler: Parameters<typeof createServer>[1] = (_req, res) => res.writeHead(503).end()
  const server = createServer((req, res) => handler?.(req, res))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
  const provider = await createProvider({
    issuer,
    clients: createTestClients(),
    store,
    accessTokenTtlSeconds: 3600,
    refreshTokenTtlSeconds: 86400,
    rotateRefreshToken: true
  })
  provider.on('grant.error', (_ctx: unknown, error: unknown) => {
    if ((error as { error?: unknown }).error === 'invalid_client') refused += 1
  })
  const registered = store.adapterFor('Client')
  for (const client of clients) {
    await registered.upsert(
      client.clientId,
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['refresh_token'],
        response_types: [],
        redirect_uris: [],
        id_token_signed_response_alg: 'ES256'
      },
      undefined
    )
  }
  const callback = provider.callback()
  handler = (req, res) => {
    if (new URL(req.url ?? '/', issuer).pathname === RESOURCE_PATH) {
      void handleResource(provider, req, res)
    } else void callback(req, res)
  }
  const grants = new Map<string, string>()
  return {
    tokenUrl: `${issuer}/token`,
    resourceUrl: `${issuer}${RESOURCE_PATH}`,
    async mintRefreshToken(clientId) {
      const client = await provider.Client.find(clientId)
      if (client === undefined) throw new Error(`no client '${clientId}'`)
      const grant = new provider.Grant({ accountId: 'alice', clientId })
      grant.addOIDCScope('offline_access api:read')
      const grantId = await grant.save()
      const token = await new provider.RefreshToken({
        accountId: 'alice',
        client,
        grantId,
        scope: 'offline_access api:read',
        gty: 'authorization_code'
      }).save()
      grants.set(token, grantId)
      return token
    },
    async isRefreshTokenActive(token) {
      const found = await provider.RefreshToken.find(token)
      return found !== undefined && found.consumed === undefined && !found.isExpired
    },
    async isAccessTokenActive(token) {
      return (await provider.AccessToken.find(token)) !== undefined
    },
    async isGrantAlive(first) {
      const grantId = grants.get(first) ?? ''
      if ((await provider.Grant.find(grantId)) === undefined) return false
      return store.membersOf('RefreshToken', grantId).some(p => p.consumed === undefined)
    },
    refusedClients: () => refused,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      })
  }
}

const implementations: [string, (clients: Client[]) => Promise<Peer>][] = [
  ['@node-oauth/oauth2-server, a model that does not decode', nodeOAuth2Peer],
  ['oidc-provider, which decodes', oidcProviderPeer]
]

describe.each(implementations)('client_secret_basic rotations against %s', (_name, start) => {
  const rotationClient: Client = { clientId: 'rotation-client', clientSecret: newSecret() }
  const uuidClient: Client = { clientId: randomUUID(), clientSecret: newSecret() }
  const clients = [rotationClient, uuidClient]
  let peer: Peer
  let github: GitHubServer
  let gate: HealthGate

  beforeAll(async () => {
    peer = await start(clients)
  })
  afterAll(async () => {
    await peer.close()
  })
  // A repository of its own per client: the record of one client's rotations is not the other's.
  beforeEach(async () => {
    github = await startGitHubServer()
    github.addRepository(REPO)
    gate = await startHealthGate(peer.resourceUrl)
  })
  afterEach(async () => {
    await gate.close()
    await github.close()
  })

  it.each([
    ['rotation-client', rotationClient],
    ['a UUID', uuidClient]
  ] as const)(
    'rotates twice in a row with client id %s: each access token works, each old refresh token is dead',
    async (_label, client) => {
      const first = await peer.mintRefreshToken(client.clientId)
      github.seedSecret(secretPath(REFRESH_SECRET), first)
      const seen = new Set([first, client.clientSecret, 'test-token'])
      const used: string[] = []
      for (let run = 1; run <= 2; run++) {
        const refresh = github.getSecret(secretPath(REFRESH_SECRET))?.value ?? ''
        const access = github.getSecret(secretPath(ACCESS_SECRET))?.value
        const result = await runAction({
          inputs: {
            'github-token': 'test-token',
            issuer: 'oauth2',
            'token-url': peer.tokenUrl,
            'client-id': client.clientId,
            'client-secret': client.clientSecret,
            'client-auth': 'client_secret_basic',
            'refresh-token': refresh,
            'refresh-token-secret': REFRESH_SECRET,
            'secret-name': ACCESS_SECRET,
            'health-check-url': gate.url,
            'write-interval': '10ms',
            ...(access === undefined ? {} : { 'previous-value': access })
          },
          env: {
            GITHUB_API_URL: github.url,
            GITHUB_REPOSITORY: REPO,
            GITHUB_RUN_ID: `${client.clientId}-${String(run)}`,
            GITHUB_RUN_ATTEMPT: '1'
          }
        })
        used.push(refresh)
        const next = github.getSecret(secretPath(REFRESH_SECRET))?.value ?? ''
        const token = github.getSecret(secretPath(ACCESS_SECRET))?.value ?? ''
        seen.add(next).add(token)
        expect([result.exitCode, result.errors, result.outputs.status]).toEqual([0, [], 'rotated'])
        expect(await peer.isAccessTokenActive(token)).toBe(true)
        expect([...seen].flatMap(secret => leaks(result, secret))).toEqual([])
      }
      for (const old of used) expect(await peer.isRefreshTokenActive(old)).toBe(false)
      const live = github.getSecret(secretPath(REFRESH_SECRET))?.value ?? ''
      expect(await peer.isRefreshTokenActive(live)).toBe(true)
      expect(await peer.isGrantAlive(first)).toBe(true)
      expect(peer.refusedClients()).toBe(0)
    }
  )
})
