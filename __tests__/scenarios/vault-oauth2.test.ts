// An OAuth2 refresh token kept in Vault KV version 2, rotated through the bundled dist/index.js as
// the runner runs it: a real rotating grant (oidc-provider), the local Vault server (KV v2 with
// check-and-set, ACL policies, AppRole login, its own clock) and the local GitHub server. Each
// case reads what the peers hold at the end: Vault's versions and custom_metadata, its live
// tokens, the grant's tokens, the GitHub secrets.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openRecovery } from '../../src/recovery/recovery-box.js'
import { generateRecoveryKeyPair, type RecoveryKeyPair } from '../../src/recovery/recovery-key.js'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import { startVaultServer, type VaultServer } from '../../test-servers/vault/index.js'
import {
  SCENARIO_REPO as REPO,
  secretPath,
  startOAuth2Peers,
  type OAuth2Peers
} from '../support/scenario-world.js'
import { until } from '../support/until.js'
import {
  auditCodes,
  KV_STORE_POLICY,
  liveLoginTokens,
  results,
  vaultSecrets,
  withoutPath
} from '../support/vault-world.js'

const KV_PATH = 'secret/ci/api'
const DATA = '/v1/secret/data/ci/api'
const METADATA = '/v1/secret/metadata/ci/api'
const LOCK = '/v1/secret/data/ci/api.lock'
const ACCESS_SECRET = 'API_TOKEN'
const ROLE_ID = 'rotation-role'
const SECRET_ID = 'approle-secret-id-7c4e19d2'
const MINUTE = 60_000
/** The lines of the docs' policy, each left out in turn. */
const CUT = ['secret/data/ci/api', 'secret/metadata/ci/api', 'secret/data/ci/api.lock'] as const

let peers: OAuth2Peers
let vault: VaultServer
let keys: RecoveryKeyPair
let workspace: string
let first: string
let runNumber: number
/** Every value the test has seen: none may appear in any run's output. */
let secrets: Set<string>

beforeEach(async () => {
  peers = await startOAuth2Peers()
  vault = await startVaultServer({
    policies: {
      'kv-store': KV_STORE_POLICY,
      ...Object.fromEntries(
        CUT.map((path, i) => [`cut-${String(i)}`, withoutPath(KV_STORE_POLICY, path)])
      )
    },
    approle: {
      approle: {
        roles: {
          rotation: {
            role_id: ROLE_ID,
            secret_ids: [SECRET_ID],
            token_policies: ['kv-store'],
            token_ttl: '30m'
          },
          ...Object.fromEntries(
            CUT.map((_, i) => [
              `cut-${String(i)}`,
              {
                role_id: `cut-role-${String(i)}`,
                secret_ids: [SECRET_ID],
                token_policies: [`cut-${String(i)}`],
                token_ttl: '30m'
              }
            ])
          )
        }
      }
    }
  })
  keys = await generateRecoveryKeyPair()
  workspace = await mkdtemp(join(tmpdir(), 'workspace-'))
  first = await peers.oauth.mintRefreshToken()
  vault.kv.write(KV_PATH, { client: 'reporting', refresh_token: first })
  runNumber = 700
  secrets = new Set([
    first,
    SECRET_ID,
    'test-token',
    peers.oauth.clients.basic.clientSecret,
    keys.privateKey
  ])
})
afterEach(async () => {
  await vault.close()
  await peers.close()
  await rm(workspace, { recursive: true, force: true })
})

/** The refresh token in the newest version of the KV secret. */
function liveToken(): string {
  const data = vault.kv.read(KV_PATH)?.data ?? {}
  return typeof data.refresh_token === 'string' ? data.refresh_token : ''
}

function accessToken(): string {
  return peers.github.getSecret(secretPath(ACCESS_SECRET))?.value ?? ''
}

function configFile(roleId = ROLE_ID): string {
  const { oauth, gate } = peers
  return `version: 1
credentials:
  api:
    vault:
      address: ${vault.url}
      auth: { method: approle, role-id: ${roleId}, secret-id: { env: VAULT_SECRET_ID } }
    issuer:
      kind: oauth2
      token-url: ${oauth.tokenUrl}
      client-id: ${oauth.clients.basic.clientId}
      client-secret: { env: CLIENT_SECRET }
    store: { kind: vault-kv, mount: secret, path: ci/api, field: refresh_token, lock-expires-after: 10m }
    publish:
      - github: { secret: ${ACCESS_SECRET}, repositories: [${REPO}] }
    health-check: { url: ${gate.url}, timeout: 3s }
    recovery-public-key: ${keys.publicKey}
`
}

async function rotate(
  options: { killWhen?: () => boolean; roleId?: string } = {}
): Promise<ActionRun> {
  runNumber += 1
  await writeFile(join(workspace, 'rotation.yml'), configFile(options.roleId))
  const run = await runAction({
    inputs: { 'github-token': 'test-token', 'write-interval': '10ms', config: 'rotation.yml' },
    env: {
      GITHUB_API_URL: peers.github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKSPACE: workspace,
      VAULT_SECRET_ID: SECRET_ID,
      CLIENT_SECRET: peers.oauth.clients.basic.clientSecret
    },
    ...(options.killWhen ? { killWhen: options.killWhen } : {})
  })
  for (const secret of vaultSecrets(vault, [KV_PATH])) secrets.add(secret)
  if (accessToken() !== '') secrets.add(accessToken())
  return run
}

/** No value in the run's output, log, summary or audit; none in the record or a variable. */
function expectNoLeaks(run: ActionRun): void {
  const all = [...secrets, ...peers.github.receivedCiphertexts].filter(s => s !== '')
  expect(all.flatMap(secret => leaks(run, secret))).toEqual([])
  const record = Object.values(vault.kv.read(KV_PATH)?.custom_metadata ?? {}).join('\n')
  expect(all.filter(secret => record.includes(secret))).toEqual([])
  const variables = ['API_TOKEN_STATE', 'TOKEN_ROTATION_CI_API_LOCK']
    .map(name => peers.github.getVariable(REPO, name)?.value ?? '')
    .join('\n')
  expect(all.filter(secret => variables.includes(secret))).toEqual([])
}

/** The run's own Vault token is gone, whatever happened. */
function expectLoginRevoked(): void {
  expect(liveLoginTokens(vault)).toEqual([])
}

const requests = (method: string, path: string) =>
  vault.log.entries.filter(entry => entry.method === method && entry.path === path)

describe('OAuth2 with the refresh token in Vault KV', () => {
  it('rotates four times: each new token a new version written with cas, the grant alive, values only in Vault and GitHub', async () => {
    const used: string[] = []
    for (let i = 0; i < 4; i += 1) {
      const before = liveToken()
      const run = await rotate()
      expect([run.exitCode, run.errors]).toEqual([0, []])
      expect([run.outputs.status, run.outputs.rotated]).toEqual(['rotated', 'true'])
      used.push(before)
      expect(liveToken()).not.toBe(before)
      expect(await peers.oauth.isRefreshTokenActive(liveToken())).toBe(true)
      expect(await peers.oauth.isAccessTokenActive(accessToken())).toBe(true)
      expectLoginRevoked()
      expectNoLeaks(run)
    }
    for (const old of used) expect(await peers.oauth.isRefreshTokenActive(old)).toBe(false)
    expect(await peers.oauth.isGrantAlive(first)).toBe(true)
    // One version per rotation, each written with cas naming the one before; the other field kept.
    expect(vault.kv.versions(KV_PATH)).toEqual([1, 2, 3, 4, 5])
    const writes = requests('POST', DATA).filter(entry => entry.status === 200)
    expect(
      writes.map(entry => (entry.body as { options?: { cas?: number } }).options?.cas)
    ).toEqual([1, 2, 3, 4])
    expect(vault.kv.read(KV_PATH)?.data).toMatchObject({ client: 'reporting' })
    // The record: fingerprints and times in custom_metadata, the lock released.
    expect(vault.kv.read(KV_PATH)?.custom_metadata).toMatchObject({
      'token-rotation-record-0': expect.stringContaining('"current"')
    })
    expect(vault.kv.read('secret/ci/api.lock')?.data).toMatchObject({ released: true })
    // Nothing of the rotation in the repository but the access token: no refresh-token secret,
    // no record variable.
    const written = peers.github.requests
      .filter(r => r.method === 'PUT' && r.path.includes('/actions/secrets/'))
      .map(r => r.path.split('/').pop())
    expect([...new Set(written)]).toEqual([ACCESS_SECRET])
    expect(peers.github.requests.filter(r => r.path.includes('/actions/variables'))).toHaveLength(0)
  })

  it('revokes its own Vault token on a failed run too, and leaves the new token pending for the next', async () => {
    peers.gate.answer = 503
    const failed = await rotate()
    expect(failed.exitCode).toBe(1)
    expect(failed.errors.join('\n')).toMatch(/Health check failed/)
    expectLoginRevoked()
    expect(failed.stdout).toMatch(/Revoked the run's Vault token/)
    expectNoLeaks(failed)
    // The new token is the newest version, marked pending; the grant lives.
    const pending = liveToken()
    expect(pending).not.toBe(first)
    expect(await peers.oauth.isRefreshTokenActive(pending)).toBe(true)
    peers.gate.answer = undefined
    const rerun = await rotate()
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(rerun.stdout).toMatch(/resumed the rotation/)
    expect(await peers.oauth.isGrantAlive(first)).toBe(true)
    expectLoginRevoked()
    expectNoLeaks(rerun)
  })

  it.each(CUT.map((path, index) => [path, index] as const))(
    'fails before minting without the policy line for %s, naming the capability and the path',
    async (path, index) => {
      const run = await rotate({ roleId: `cut-role-${String(index)}` })
      expect(run.exitCode).toBe(1)
      expect(run.errors.join('\n')).toMatch(
        new RegExp(`lacks \`\\w+\`( or \`\\w+\`)? on ${path}[ ;]`)
      )
      expect(auditCodes(run)).toEqual(['vault-forbidden'])
      expect(peers.oauth.tokenRequests).toBe(0)
      expect(vault.kv.versions(KV_PATH)).toEqual([1])
      // The record, if written, counts the failed run and marks nothing.
      const record = Object.values(vault.kv.read(KV_PATH)?.custom_metadata ?? {}).join('')
      expect(record).not.toMatch(/"pending"|"minting"|"current"/)
      expect(await peers.oauth.isRefreshTokenActive(first)).toBe(true)
      expect(accessToken()).toBe('')
      expectLoginRevoked()
      expectNoLeaks(run)
    }
  )
})

describe('two runs at once', () => {
  it('exactly one writes (the KV lock), the other touches nothing, and the grant stays alive', async () => {
    // The first run to reach its health check waits there until the other has read the lock:
    // the two runs overlap however the machine schedules them.
    const lockReaders = () =>
      new Set(requests('GET', LOCK).map(entry => entry.headers['x-vault-token'])).size
    peers.gate.before = () => until(() => lockReaders() >= 2)
    const [a, b] = await Promise.all([rotate(), rotate()])
    expect([a.exitCode, b.exitCode].sort()).toEqual([0, 1])
    const loser = a.exitCode === 1 ? a : b
    expect(loser.errors.join('\n')).toMatch(/Another rotation holds the lock|changed hands/)
    expect(peers.oauth.tokenRequests).toBe(1)
    expect(vault.kv.versions(KV_PATH)).toEqual([1, 2])
    expect(await peers.oauth.isGrantAlive(first)).toBe(true)
    expect(await peers.oauth.isRefreshTokenActive(liveToken())).toBe(true)
    expectLoginRevoked()
    expectNoLeaks(a)
    expectNoLeaks(b)
  })
})

describe('a run killed after each step, then rerun', () => {
  /**
   * Kills the first run at `stop`, lets its lock's lease end on Vault's clock, and runs again.
   * The killed run could not revoke its token: that one expires with its TTL.
   */
  async function killThenRerun(stop: () => boolean) {
    const killed = await rotate({ killWhen: stop })
    expect(killed.killed).toBe(true)
    expectNoLeaks(killed)
    vault.faults.clear()
    peers.github.faults.clear()
    peers.gate.hold = false
    const locked = await rotate()
    expect(locked.errors.join('\n')).toMatch(/Another rotation holds the lock/)
    vault.clock.advance(11 * MINUTE)
    const rerun = await rotate()
    expectNoLeaks(rerun)
    return { killed, rerun }
  }

  it('after minting, before persisting: refuses to reuse the consumed token; the ciphertext completes it', async () => {
    vault.faults.add({ method: 'POST', path: DATA, holdUntil: new Promise(() => {}), times: 1 })
    const { killed, rerun } = await killThenRerun(() => requests('POST', DATA).length > 0)
    expect(rerun.exitCode).toBe(1)
    expect(rerun.errors.join('\n')).toMatch(/recovery ciphertext/)
    // Never presented again: the grant lives, one exchange in all.
    expect(peers.oauth.tokenRequests).toBe(1)
    expect(await peers.oauth.isGrantAlive(first)).toBe(true)
    expect(vault.kv.versions(KV_PATH)).toEqual([1])
    const match = /Recovery ciphertext[^:]*: ([A-Za-z0-9+/=]+)/.exec(killed.stdout)
    const recovered = await openRecovery(match?.[1] ?? '', keys.privateKey)
    secrets.add(recovered)
    expect(await peers.oauth.isRefreshTokenActive(recovered)).toBe(true)
    // The operator stores it as the docs say (vault kv put): the next run takes it as live.
    vault.kv.write(KV_PATH, { client: 'reporting', refresh_token: recovered })
    const third = await rotate()
    expect([third.exitCode, third.errors]).toEqual([0, []])
    expect(await peers.oauth.isGrantAlive(first)).toBe(true)
    expect(await peers.oauth.isRefreshTokenActive(liveToken())).toBe(true)
    expectNoLeaks(third)
  })

  it('after persisting, before publishing: the rerun resumes the pending version', async () => {
    const put = `/${secretPath(ACCESS_SECRET)}`
    peers.github.faults.add({ method: 'PUT', path: put, holdUntil: new Promise(() => {}) })
    const { rerun } = await killThenRerun(() =>
      peers.github.requests.some(r => r.method === 'PUT' && r.path === put)
    )
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(rerun.stdout).toMatch(/resumed the rotation/)
    expect(peers.oauth.tokenRequests).toBe(2)
    expect(await peers.oauth.isGrantAlive(first)).toBe(true)
    expect(await peers.oauth.isAccessTokenActive(accessToken())).toBe(true)
  })

  it('after publishing, before verifying: the rerun resumes without a reuse', async () => {
    peers.gate.hold = true
    const { rerun } = await killThenRerun(() => peers.gate.requests > 0)
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(rerun.stdout).toMatch(/resumed the rotation/)
    expect(await peers.oauth.isGrantAlive(first)).toBe(true)
    expect(await peers.oauth.isAccessTokenActive(accessToken())).toBe(true)
  })

  it('after verifying, before promoting: the rerun resumes without a reuse', async () => {
    let held: { readonly hits: number } | undefined
    peers.gate.onAnswer = () => {
      held = vault.faults.add({ method: 'POST', path: METADATA, holdUntil: new Promise(() => {}) })
    }
    const { rerun } = await killThenRerun(() => (held?.hits ?? 0) > 0)
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(await peers.oauth.isGrantAlive(first)).toBe(true)
    expect(await peers.oauth.isRefreshTokenActive(liveToken())).toBe(true)
  })

  it('after promoting, before releasing the lock: the rerun takes the lock over and rotates', async () => {
    let held: { readonly hits: number } | undefined
    peers.gate.onAnswer = () => {
      held = vault.faults.add({ method: 'POST', path: LOCK, holdUntil: new Promise(() => {}) })
    }
    const { rerun } = await killThenRerun(() => (held?.hits ?? 0) > 0)
    expect([rerun.exitCode, rerun.errors]).toEqual([0, []])
    expect(rerun.stdout).toMatch(/Took over the lock/)
    expect(results(rerun)).toEqual([expect.objectContaining({ status: 'rotated' })])
    expect(await peers.oauth.isGrantAlive(first)).toBe(true)
  })
})
