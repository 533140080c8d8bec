// A configuration file of several credentials, run through the bundled dist/index.js against the
// local peers: each credential in isolation, one failing while the others complete, problems of
// the file reported before any request, credentials not due skipped, and webhook alerts signed.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createHmac } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DURATION_HINT } from '../../src/duration.js'
import { openRecovery } from '../../src/recovery/recovery-box.js'
import { generateRecoveryKeyPair } from '../../src/recovery/recovery-key.js'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import { startWebhookServer, type WebhookServer } from '../../test-servers/webhook/server.js'
import {
  SCENARIO_REPO as REPO,
  secretPath,
  seedRefreshTokenSecret,
  startOAuth2Peers,
  type OAuth2Peers
} from '../support/scenario-world.js'

let peers: OAuth2Peers
let webhook: WebhookServer
let workspace: string
let runNumber = 200

beforeEach(async () => {
  peers = await startOAuth2Peers()
  webhook = await startWebhookServer()
  workspace = await mkdtemp(join(tmpdir(), 'workspace-'))
})
afterEach(async () => {
  await webhook.close()
  await peers.close()
  await rm(workspace, { recursive: true, force: true })
})

function secretValue(name: string): string | undefined {
  return peers.github.getSecret(secretPath(name))?.value
}

/** The file the scenarios share: an OAuth2 rotation, a plain publish and a broken issuer. */
function fleetFile(): string {
  const { oauth, gate } = peers
  return `version: 1
defaults:
  retire: { grace-period: 15m }
credentials:
  partner-api:
    issuer:
      kind: oauth2
      token-url: ${oauth.tokenUrl}
      client-id: ${oauth.clients.basic.clientId}
      client-secret: { env: PARTNER_CLIENT_SECRET }
      refresh-token: { env: PARTNER_REFRESH_TOKEN }
    store: { kind: github, secret: PARTNER_REFRESH_TOKEN, lock-expires-after: 10m }
    publish:
      - github: { secret: PARTNER_TOKEN, repositories: [${REPO}] }
    health-check: { url: ${gate.url}, timeout: 3s }
    schedule: { every: 24h }
  plain:
    issuer: { kind: none, value: { env: PLAIN_VALUE } }
    publish:
      - github: { secret: PLAIN_SECRET, repositories: [${REPO}] }
  broken:
    issuer:
      kind: oauth2
      token-url: ${oauth.tokenUrl}
      client-id: ${oauth.clients.basic.clientId}
      client-secret: { env: BROKEN_CLIENT_SECRET }
      refresh-token: { env: BROKEN_REFRESH_TOKEN }
    store: { kind: github, secret: BROKEN_REFRESH_TOKEN, lock-expires-after: 10m }
    publish:
      - github: { secret: BROKEN_TOKEN, repositories: [${REPO}] }
    alerts:
      after: 1
      webhook: { url: { env: ROTATION_WEBHOOK }, secret: { env: ROTATION_WEBHOOK_SECRET } }
`
}

/** One run with `config` as its only credential input, the secrets mapped into its env. */
async function run(config: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  runNumber += 1
  return runAction({
    inputs: { 'github-token': 'test-token', 'write-interval': '10ms', config, ...inputs },
    env: {
      GITHUB_API_URL: peers.github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKSPACE: workspace,
      PARTNER_CLIENT_SECRET: peers.oauth.clients.basic.clientSecret,
      PARTNER_REFRESH_TOKEN: secretValue('PARTNER_REFRESH_TOKEN') ?? '',
      PLAIN_VALUE: 'plain-value-7f3a',
      BROKEN_CLIENT_SECRET: 'not-the-client-secret',
      BROKEN_REFRESH_TOKEN: secretValue('BROKEN_REFRESH_TOKEN') ?? '',
      ROTATION_WEBHOOK: `${webhook.url}/hooks/T000/B000/secret-path-token`,
      ROTATION_WEBHOOK_SECRET: 'webhook-signing-key'
    }
  })
}

interface Result {
  credential: string
  status: string
  rotated: boolean
  published: number
  failed: number
  error?: string
  recovery_ciphertext?: string
}

function results(action: ActionRun): Result[] {
  return JSON.parse(action.outputs.results ?? '[]') as Result[]
}

describe('a configuration file of several credentials', () => {
  it('runs each in isolation: one issuer failing, the others rotated and published; the step fails', async () => {
    const first = await seedRefreshTokenSecret(peers, 'PARTNER_REFRESH_TOKEN')
    await seedRefreshTokenSecret(peers, 'BROKEN_REFRESH_TOKEN')
    await writeFile(join(workspace, 'rotation.yml'), fleetFile())

    const action = await run('rotation.yml')

    expect(action.exitCode).toBe(1)
    expect(results(action).map(r => [r.credential, r.status])).toEqual([
      ['partner-api', 'rotated'],
      ['plain', 'published'],
      ['broken', 'failed']
    ])
    expect(results(action)[2]?.error).toMatch(/invalid_client|client/i)
    // The rotated credential works and its grant lives; the plain value was published.
    expect(await peers.oauth.isAccessTokenActive(secretValue('PARTNER_TOKEN') ?? '')).toBe(true)
    expect(await peers.oauth.isGrantAlive(first)).toBe(true)
    expect(secretValue('PLAIN_SECRET')).toBe('plain-value-7f3a')
    expect(secretValue('BROKEN_TOKEN')).toBeUndefined()
    // One table of all credentials opens the summary; the failure names its credential.
    expect(action.summary).toMatch(/Token rotation: 3 credentials, 1 failed/)
    expect(action.errors.join('\n')).toMatch(/1 of 3 credentials failed: broken/)
    // With several credentials, the outputs of a single run are not set.
    expect(action.outputs.status).toBeUndefined()
    const secrets = [
      first,
      peers.oauth.clients.basic.clientSecret,
      'plain-value-7f3a',
      'webhook-signing-key',
      'secret-path-token',
      secretValue('PARTNER_REFRESH_TOKEN') ?? '',
      secretValue('PARTNER_TOKEN') ?? ''
    ]
    expect(secrets.flatMap(secret => leaks(action, secret))).toEqual([])
  })

  it('gives each rotated credential its own recovery ciphertext in results, each opening to its new refresh token', async () => {
    const keys = await generateRecoveryKeyPair()
    await seedRefreshTokenSecret(peers, 'PARTNER_REFRESH_TOKEN')
    await seedRefreshTokenSecret(peers, 'BROKEN_REFRESH_TOKEN')
    const { oauth } = peers
    const credential = (id: string, secret: string) => `  ${id}:
    issuer:
      kind: oauth2
      token-url: ${oauth.tokenUrl}
      client-id: ${oauth.clients.basic.clientId}
      client-secret: { env: PARTNER_CLIENT_SECRET }
      refresh-token: { env: ${secret} }
    store: { kind: github, secret: ${secret}, lock-expires-after: 10m }
    publish:
      - github: { secret: ${id.toUpperCase().replace('-', '_')}_TOKEN, repositories: [${REPO}] }
`
    await writeFile(
      join(workspace, 'rotation.yml'),
      `version: 1
defaults:
  recovery-public-key: ${keys.publicKey}
credentials:
${credential('partner-api', 'PARTNER_REFRESH_TOKEN')}${credential('billing-api', 'BROKEN_REFRESH_TOKEN')}`
    )

    const action = await run('rotation.yml')

    expect(action.exitCode).toBe(0)
    const [partner, billing] = results(action)
    // A run of many has one recovery-ciphertext output; results keeps every credential's own.
    expect(await openRecovery(partner?.recovery_ciphertext ?? '', keys.privateKey)).toBe(
      secretValue('PARTNER_REFRESH_TOKEN')
    )
    expect(await openRecovery(billing?.recovery_ciphertext ?? '', keys.privateKey)).toBe(
      secretValue('BROKEN_REFRESH_TOKEN')
    )
    expect(partner?.recovery_ciphertext).not.toBe(billing?.recovery_ciphertext)
  })

  it('POSTs a signed alert to the webhook once the failing credential reaches alerts.after', async () => {
    await seedRefreshTokenSecret(peers, 'PARTNER_REFRESH_TOKEN')
    await seedRefreshTokenSecret(peers, 'BROKEN_REFRESH_TOKEN')
    await writeFile(join(workspace, 'rotation.yml'), fleetFile())

    await run('rotation.yml', { credentials: 'broken' })

    expect(webhook.requests).toHaveLength(1)
    const [request] = webhook.requests
    const body = request?.body ?? Buffer.alloc(0)
    const expected = `sha256=${createHmac('sha256', 'webhook-signing-key').update(body).digest('hex')}`
    expect(request?.headers['x-token-rotation-signature-256']).toBe(expected)
    expect(JSON.parse(body.toString('utf8'))).toMatchObject({
      credential: 'broken',
      status: 'failed',
      consecutive_failures: 1,
      text: expect.stringContaining('broken')
    })
  })

  it('skips a credential that is not due, with nothing minted', async () => {
    await seedRefreshTokenSecret(peers, 'PARTNER_REFRESH_TOKEN')
    await writeFile(join(workspace, 'rotation.yml'), fleetFile())
    const firstRun = await run('rotation.yml', { credentials: 'partner-api' })
    expect(results(firstRun).map(r => r.status)).toEqual(['rotated'])
    const tokenRequests = peers.oauth.tokenRequests

    const second = await run('rotation.yml', { credentials: 'partner-api' })

    expect(second.exitCode).toBe(0)
    expect(results(second)).toMatchObject([
      { credential: 'partner-api', status: 'skipped', rotated: false }
    ])
    expect(peers.oauth.tokenRequests).toBe(tokenRequests)
    // One credential: the outputs of a single run are set too.
    expect(second.outputs.status).toBe('not-due')
  })

  it('rotates a due credential only inside an allowed window: outside it, nothing is minted or published', async () => {
    const seeded = await seedRefreshTokenSecret(peers, 'PARTNER_REFRESH_TOKEN')
    // A one-hour window that opens twelve hours from now: whatever the time, this run is outside.
    const opens = (new Date().getUTCHours() + 12) % 24
    const schedule = (windows: string): string =>
      fleetFile().replace(
        'schedule: { every: 24h }',
        `schedule: { every: 24h, windows: [${windows}] }`
      )
    await writeFile(
      join(workspace, 'rotation.yml'),
      schedule(`{ cron: "0 ${String(opens)} * * *", duration: 1h }`)
    )
    const secretWrites = () =>
      peers.github.requests.filter(r => r.method !== 'GET' && r.path.includes('/secrets/')).length
    const writesBefore = secretWrites()
    const tokenRequests = peers.oauth.tokenRequests

    const outside = await run('rotation.yml', { credentials: 'partner-api' })
    const planned = await run('rotation.yml', { credentials: 'partner-api', mode: 'plan' })

    expect([outside.exitCode, outside.errors]).toEqual([0, []])
    expect(results(outside)).toEqual([
      {
        credential: 'partner-api',
        status: 'skipped',
        rotated: false,
        version: '',
        published: 0,
        failed: 0,
        reason: 'not-in-window',
        next_due: expect.stringMatching(
          new RegExp(`^\\d{4}-\\d\\d-\\d\\dT${String(opens).padStart(2, '0')}:00:00\\.000Z$`)
        )
        // No success rate yet: a run held back by its window is not a run of the rotation.
      }
    ])
    expect(outside.outputs.status).toBe('not-in-window')
    expect(outside.summary).toContain('⏭️ skipped (not in an allowed window)')
    expect(outside.summary).toMatch(
      /not in an allowed window; next window opens at \d{4}-.* \(windows: 0 \d+ \* \* \* for 1h\)/
    )
    // Nothing minted, nothing published: the servers saw no refresh and no secret written.
    expect(peers.oauth.tokenRequests).toBe(tokenRequests)
    expect(secretWrites()).toBe(writesBefore)
    expect(secretValue('PARTNER_TOKEN')).toBeUndefined()
    expect(await peers.oauth.isGrantAlive(seeded)).toBe(true)
    // The plan applies the same rule: the credential is not given a matrix job.
    expect([planned.exitCode, planned.outputs.due]).toEqual([0, ''])
    expect(planned.summary).toMatch(
      /partner-api` \| due, not in an allowed window; next window opens at/
    )

    // A window open at every minute, for an hour: inside it, the due credential rotates.
    await writeFile(
      join(workspace, 'rotation.yml'),
      schedule('{ cron: "* * * * *", duration: 1h }')
    )
    const inside = await run('rotation.yml', { credentials: 'partner-api' })

    expect([inside.exitCode, inside.errors]).toEqual([0, []])
    expect(results(inside)).toMatchObject([
      {
        credential: 'partner-api',
        status: 'rotated',
        rotated: true,
        published: 1,
        success_rate: 1,
        consecutive_failures: 0
      }
    ])
    expect(peers.oauth.tokenRequests).toBe(tokenRequests + 1)
    expect(await peers.oauth.isAccessTokenActive(secretValue('PARTNER_TOKEN') ?? '')).toBe(true)
    expect(inside.summary).toMatch(/Next due \| Recent runs \|/)
    // One run counted: the one held back by its window earlier did nothing, so it is not a run.
    expect(inside.summary).toMatch(/\| 100% of 1 ok \|/)
  })

  it('plans 2 shards: every due credential in one matrix job, the write interval doubled, nothing written', async () => {
    await seedRefreshTokenSecret(peers, 'PARTNER_REFRESH_TOKEN')
    await seedRefreshTokenSecret(peers, 'BROKEN_REFRESH_TOKEN')
    await writeFile(join(workspace, 'rotation.yml'), fleetFile())
    // partner-api rotates now, so it is not due for 24 hours; the others run every time.
    expect(results(await run('rotation.yml', { credentials: 'partner-api' }))[0]?.status).toBe(
      'rotated'
    )
    const tokenRequests = peers.oauth.tokenRequests
    const writes = peers.github.requests.filter(r => r.method !== 'GET').length

    const action = await run('rotation.yml', { mode: 'plan', shards: '2' })

    expect([action.exitCode, action.errors]).toEqual([0, []])
    expect(action.outputs.due).toBe('plain,broken')
    expect(JSON.parse(action.outputs.matrix ?? '')).toEqual({
      include: [
        { credentials: 'plain', 'write-interval': '20ms' },
        { credentials: 'broken', 'write-interval': '20ms' }
      ]
    })
    expect(action.summary).toMatch(/partner-api` \| not due until/)
    // A plan reads records only: nothing minted, nothing written.
    expect(peers.oauth.tokenRequests).toBe(tokenRequests)
    expect(peers.github.requests.filter(r => r.method !== 'GET')).toHaveLength(writes)
  })

  it('refuses a literal secret in the file before any request, naming the line and key path', async () => {
    const file = fleetFile().replace(
      'client-secret: { env: PARTNER_CLIENT_SECRET }',
      'client-secret: a-literal-client-secret'
    )
    await writeFile(join(workspace, 'rotation.yml'), file)

    const action = await run('rotation.yml')

    expect(action.exitCode).toBe(1)
    expect(peers.github.requests).toHaveLength(0)
    expect(peers.oauth.tokenRequests).toBe(0)
    const line = file.split('\n').findIndex(l => l.includes('a-literal-client-secret')) + 1
    expect(action.errors.join('\n')).toContain(
      `rotation.yml:${String(line)}: credentials.partner-api.issuer.client-secret: a secret must be { env: NAME }`
    )
    // The annotation points at the file's line, where GitHub shows it.
    expect(action.stdout).toContain(
      `::error title=Invalid configuration%3A credentials.partner-api.issuer.client-secret,file=rotation.yml,line=${String(line)}::`
    )
  })

  it('refuses two credentials that would keep one rotation record, before any request', async () => {
    // broken now keeps its refresh token in partner-api's secret: one record for two credentials,
    // where each would take the other's versions for its own.
    const file = fleetFile().replace(
      'store: { kind: github, secret: BROKEN_REFRESH_TOKEN, lock-expires-after: 10m }',
      'store: { kind: github, secret: PARTNER_REFRESH_TOKEN, lock-expires-after: 10m }'
    )
    await seedRefreshTokenSecret(peers, 'PARTNER_REFRESH_TOKEN')
    await seedRefreshTokenSecret(peers, 'BROKEN_REFRESH_TOKEN')
    await writeFile(join(workspace, 'rotation.yml'), file)
    const requests = peers.github.requests.length

    const action = await run('rotation.yml')

    expect(action.exitCode).toBe(1)
    expect(peers.github.requests).toHaveLength(requests)
    expect(peers.oauth.tokenRequests).toBe(0)
    expect(action.errors.join('\n')).toContain(
      `keeps its rotation record where credential partner-api keeps its own (variable PARTNER_REFRESH_TOKEN_STATE of ${REPO})`
    )
  })

  it('says to check out the repository when the file is not in the workspace', async () => {
    const action = await run('rotation.yml')

    expect(action.exitCode).toBe(1)
    expect(peers.github.requests).toHaveLength(0)
    expect(action.errors.join('\n')).toContain(
      `cannot read rotation.yml (${join(workspace, 'rotation.yml')}): ENOENT. A path is relative to the workspace: check out the repository first (actions/checkout), or give the YAML itself.`
    )
  })

  it('reports a wrong default once, at its key under defaults, naming the credentials it is wrong for', async () => {
    const file = fleetFile().replace(
      'retire: { grace-period: 15m }',
      `retire: { grace-period: forever }\n  issuer: { revocation-url: ${peers.oauth.revocationUrl} }`
    )
    await seedRefreshTokenSecret(peers, 'PARTNER_REFRESH_TOKEN')
    await seedRefreshTokenSecret(peers, 'BROKEN_REFRESH_TOKEN')
    await writeFile(join(workspace, 'rotation.yml'), file)

    const action = await run('rotation.yml', { 'write-interval': 'soon' })

    expect(action.exitCode).toBe(1)
    expect(peers.github.requests).toHaveLength(0)
    const line = (needle: string) => file.split('\n').findIndex(l => l.includes(needle)) + 1
    // Read for each of the three credentials; each said once. The revocation URL suits the two
    // OAuth2 credentials and not the plain one, which it names.
    expect(action.errors.map(e => e.replace(/^::error [^:]*::/, ''))).toEqual([
      expect.stringMatching(/^rotation\.yml: Input 'write-interval': /),
      `rotation.yml:${String(line('grace-period'))}: defaults.retire.grace-period: 'forever' is not a duration; use ${DURATION_HINT}`,
      `rotation.yml:${String(line('revocation-url'))}: defaults.issuer.revocation-url: applies to issuer: oauth2 only; set issuer, or remove it (for credential plain)`
    ])
  })

  it('refuses a credential input next to config, naming it and the key that says it', async () => {
    await writeFile(join(workspace, 'rotation.yml'), fleetFile())

    const action = await run('rotation.yml', { 'health-check-url': 'https://api.example.com/me' })

    expect(action.exitCode).toBe(1)
    expect(peers.github.requests).toHaveLength(0)
    expect(action.errors.join('\n')).toMatch(
      /Input 'health-check-url': is set next to config, which describes each credential: set health-check.url in the file/
    )
  })

  it('takes the YAML itself as the config input, and reports an invalid value at its key', async () => {
    await seedRefreshTokenSecret(peers, 'PARTNER_REFRESH_TOKEN')
    const inline = fleetFile().replace('every: 24h', 'every: sometimes')
    const requests = peers.github.requests.length

    const action = await run(inline, { credentials: 'partner-api' })

    expect(action.exitCode).toBe(1)
    expect(peers.github.requests).toHaveLength(requests)
    expect(action.errors.join('\n')).toMatch(
      /the config input:\d+: credentials\.partner-api\.schedule\.every: 'sometimes' is not a duration/
    )
  })
})
