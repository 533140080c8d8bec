// The sandbox's Vault part: one configuration file, two credentials sharing one Vault connection
// (an AppRole login per run, revoked at its end), run three times through dist/index.js:
//   - app-db: a dynamic database credential (database/creds/app), published to two GitHub secrets
//     by field and checked by a command health check that logs in to the "database" (the local
//     Vault's /_db/login); the replaced lease is revoked once the grace period is over;
//   - partner-api: an OAuth2 refresh token kept in KV v2 (secret/ci/api), the record in its
//     custom_metadata and the lock in a KV secret of its own.
// Run 3 is a job 16 minutes later (its clock and Vault's moved, as the scenarios move them), in
// mode retire: it revokes the first lease, by handle, and nothing else.
import { fingerprint } from '../../src/engine/fingerprint.js'
import { runAction, type ActionRun } from '../../test-servers/action-runner.js'
import { startGitHubServer } from '../../test-servers/github/index.js'
import { startOAuth2Server } from '../../test-servers/oauth2/index.js'
import { startVaultServer, type VaultServer } from '../../test-servers/vault/index.js'
import {
  MINUTE,
  NODE_ON_PATH,
  TOKEN,
  check,
  checkNoLeaks,
  checksFollow,
  later,
  makeWorkspace,
  prettyJson,
  remember,
  secrets,
  section,
  show,
  statuses,
  kvField
} from './common.js'

const REPO = 'acme/api'
const ROLE_ID = 'sandbox-rotation-role'
const SECRET_ID = 'sandbox-approle-secret-id'
const RECORD_PATH = 'secret/token-rotation/database/creds/app'

/** The least privilege of both credentials, as docs/providers/vault.md#policies gives it. */
const POLICY = `
path "database/creds/app"          { capabilities = ["read"] }
path "auth/token/create-orphan"    { capabilities = ["update"] }
path "sys/leases/revoke"           { capabilities = ["update"] }
path "auth/token/revoke-accessor"  { capabilities = ["update"] }
path "secret/metadata/token-rotation/database/creds/app" { capabilities = ["read", "create", "update"] }
path "secret/data/token-rotation/database/creds/app.lock" { capabilities = ["read", "create", "update"] }
path "secret/data/ci/api"      { capabilities = ["read", "update"] }
path "secret/metadata/ci/api"  { capabilities = ["update"] }
path "secret/data/ci/api.lock" { capabilities = ["read", "create", "update"] }
`

/** The health check's command: logs in to the database with the fields it is given. */
function checkScript(loginUrl: string): string {
  return `const answer = await fetch(${JSON.stringify(loginUrl)}, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    username: process.env.TOKEN_ROTATION_USERNAME,
    password: process.env.TOKEN_ROTATION_PASSWORD
  })
})
if (!answer.ok) {
  console.error('the database refused the login: HTTP ' + answer.status)
  process.exit(1)
}
`
}

function configFile(
  vault: VaultServer,
  oauth: { tokenUrl: string; resourceUrl: string; clientId: string }
): string {
  return `version: 1
connections:
  vault:
    local:
      address: ${vault.url}
      auth: { method: approle, role-id: ${ROLE_ID}, secret-id: { env: VAULT_SECRET_ID } }
credentials:
  app-db:
    vault: local
    issuer: { kind: vault-dynamic, path: database/creds/app }
    publish:
      - github: { secret: DB_USERNAME, field: username, repositories: [${REPO}] }
      - github: { secret: DB_PASSWORD, field: password, repositories: [${REPO}] }
    health-check: { command: node check-db.mjs, timeout: 5s }
    retire: { grace-period: 15m, revoke-previous: true }
  partner-api:
    vault: local
    issuer:
      kind: oauth2
      token-url: ${oauth.tokenUrl}
      client-id: ${oauth.clientId}
      client-secret: { env: OAUTH_CLIENT_SECRET }
    store: { kind: vault-kv, mount: secret, path: ci/api, field: refresh_token }
    publish:
      - github: { secret: API_ACCESS_TOKEN, repositories: [${REPO}] }
    health-check: { url: ${oauth.resourceUrl}, timeout: 5s }
`
}

/** The record the run keeps in a KV secret's custom_metadata, its chunks joined. */
function recordOf(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .filter(([key]) => key.startsWith('token-rotation-record-'))
    .sort(([a], [b]) => Number(a.split('-').pop()) - Number(b.split('-').pop()))
    .map(([, value]) => value)
    .join('')
}

function holdsNoValue(text: string): boolean {
  return text !== '' && ![...secrets].some(secret => secret !== '' && text.includes(secret))
}

export async function vaultDemo(): Promise<void> {
  const vault = await startVaultServer({
    policies: { rotation: POLICY },
    database: { database: { roles: { app: { default_ttl: '1h', max_ttl: '24h' } } } },
    approle: {
      approle: {
        roles: {
          rotation: {
            role_id: ROLE_ID,
            secret_ids: [SECRET_ID],
            token_policies: ['rotation'],
            token_ttl: '30m'
          }
        }
      }
    }
  })
  const github = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write', variables: 'write', issues: 'write' } },
    latencyMs: 20
  })
  const oauth = await startOAuth2Server()
  const workspace = await makeWorkspace('vault')
  try {
    github.addRepository(REPO)
    const first = await oauth.mintRefreshToken()
    vault.kv.write('secret/ci/api', { client: 'reporting', refresh_token: first })
    remember(SECRET_ID, vault.rootToken, first, oauth.clients.basic.clientSecret)
    await workspace.write('check-db.mjs', checkScript(vault.databaseLoginUrl))
    await workspace.write(
      'rotation.yml',
      configFile(vault, {
        tokenUrl: oauth.tokenUrl,
        resourceUrl: oauth.resourceUrl,
        clientId: oauth.clients.basic.clientId
      })
    )
    section(
      'Vault: a dynamic database credential, and an OAuth2 refresh token kept in KV',
      `Local Vault on ${vault.url} (AppRole login, a least-privilege policy, a database engine, KV v2 at secret/), ` +
        `local GitHub API server on ${github.url} with ${REPO}, local OAuth2 server on ${oauth.issuer}.\n` +
        `secret/ci/api holds the first refresh token. rotation.yml has two credentials on one Vault connection: ` +
        `app-db (database/creds/app, published by field, checked by \`node check-db.mjs\`, which logs in to the database) ` +
        `and partner-api (OAuth2, refresh token in KV).`
    )

    const secretValue = (name: string) =>
      github.getSecret(`repos/${REPO}/actions/secrets/${name}`)?.value ?? ''
    const login = () => ({
      username: secretValue('DB_USERNAME'),
      password: secretValue('DB_PASSWORD')
    })
    let runId = 3000
    const run = async (env: Record<string, string> = {}, mode?: string): Promise<ActionRun> => {
      runId += 1
      const action = await runAction({
        inputs: {
          'github-token': TOKEN,
          config: 'rotation.yml',
          'write-interval': '10ms',
          ...(mode ? { mode } : {})
        },
        env: {
          GITHUB_API_URL: github.url,
          GITHUB_REPOSITORY: REPO,
          GITHUB_RUN_ID: String(runId),
          GITHUB_RUN_ATTEMPT: '1',
          GITHUB_WORKSPACE: workspace.dir,
          PATH: NODE_ON_PATH,
          VAULT_SECRET_ID: SECRET_ID,
          OAUTH_CLIENT_SECRET: oauth.clients.basic.clientSecret,
          ...env
        }
      })
      // Every Vault token the run used (its login, the orphans holding leases), every value now held.
      for (const entry of vault.log.entries) remember(entry.headers['x-vault-token'])
      for (const version of vault.kv.versions('secret/ci/api')) {
        remember(kvField(vault.kv.read('secret/ci/api', { version }), 'refresh_token'))
      }
      remember(
        secretValue('DB_USERNAME'),
        secretValue('DB_PASSWORD'),
        secretValue('API_ACCESS_TOKEN')
      )
      return action
    }
    const liveLeases = () =>
      vault.liveLeases().filter(lease => lease.id.startsWith('database/creds/app/'))
    /** The run's own login revoked: only the root token and one orphan per live lease are alive. */
    const checkTokens = () => {
      const live = vault.liveTokens().filter(token => token.id !== vault.rootToken)
      const holders = new Set(liveLeases().map(lease => lease.tokenAccessor))
      check(
        live.length === holders.size &&
          live.every(token => token.orphan && holders.has(token.accessor)),
        `the run's AppRole login token was revoked at its end: the live tokens are the root token and one orphan per live lease (${live.length})`
      )
    }

    // --- run 1: the first lease, the first refresh-token rotation ---
    const one = await run()
    const lease1 = login()
    show('Vault 1: both credentials rotate (one AppRole login for both)', one)
    checksFollow()
    check(one.exitCode === 0 && one.errors.length === 0, 'exit code 0, no error annotation')
    check(
      statuses(one).join(',') === 'rotated,rotated',
      `results: app-db rotated, partner-api rotated (${statuses(one).join(', ')})`
    )
    check(
      vault.log.count({ method: 'POST', path: '/v1/auth/approle/login' }) === 1,
      'one AppRole login served both credentials'
    )
    check(
      lease1.username !== '' && vault.database.canLogin(lease1.username, lease1.password),
      'DB_USERNAME and DB_PASSWORD (published by field) log in to the database'
    )
    check(
      /verify: ok \(command node check-db\.mjs: exit 0/.test(one.stdout),
      'the command health check passed: `verify: ok (command node check-db.mjs: exit 0 …)`'
    )
    check(liveLeases().length === 1, 'one live lease of database/creds/app')
    checkTokens()
    const checkKv = async (given: string) => {
      const newest = vault.kv.read('secret/ci/api')
      const live = kvField(newest, 'refresh_token')
      const access = secretValue('API_ACCESS_TOKEN')
      check(
        live !== given &&
          (await oauth.isRefreshTokenActive(live)) &&
          !(await oauth.isRefreshTokenActive(given)),
        `secret/ci/api v${newest?.version} holds a live refresh token; the one the run exchanged is dead`
      )
      check(newest?.data?.client === 'reporting', "the secret's other field (client) is kept")
      check(
        await oauth.isAccessTokenActive(access),
        'API_ACCESS_TOKEN works at the protected resource'
      )
      check(await oauth.isGrantAlive(first), 'the grant is alive (no reuse revoked it)')
      const recordText = recordOf(newest?.custom_metadata ?? {})
      check(
        recordText.includes(fingerprint(live)) && holdsNoValue(recordText),
        "the record in the secret's custom_metadata names the live token by fingerprint, and holds no value"
      )
      const lock = vault.kv.read('secret/ci/api.lock')
      check(
        lock !== undefined && JSON.stringify(lock.data ?? {}).includes('released'),
        `the lock secret/ci/api.lock was released (v${lock?.version}: ${JSON.stringify(lock?.data ?? {})})`
      )
      return recordText
    }
    const recordText = await checkKv(first)
    checkNoLeaks([one])
    console.log(
      "--- the record in secret/ci/api's custom_metadata (fingerprints and times, no values) ---"
    )
    console.log(prettyJson(recordText))

    // --- run 2: a second lease; the first still works through the grace period ---
    const givenToRun2 = kvField(vault.kv.read('secret/ci/api'), 'refresh_token')
    const two = await run()
    const lease2 = login()
    show(
      'Vault 2: a second lease and a second refresh; the first lease is scheduled for revocation after the 15m grace',
      two,
      { brief: true }
    )
    checksFollow()
    check(
      two.exitCode === 0 && statuses(two).join(',') === 'rotated,rotated',
      'exit code 0, both rotated'
    )
    check(
      lease2.username !== lease1.username &&
        vault.database.canLogin(lease2.username, lease2.password),
      'the new login is published and works'
    )
    check(
      vault.database.canLogin(lease1.username, lease1.password),
      'the replaced login still works (grace period)'
    )
    check(liveLeases().length === 2, 'two live leases')
    checkTokens()
    await checkKv(givenToRun2)
    check(
      vault.kv.read('secret/ci/api', { version: 1 })?.data?.refresh_token === first,
      'secret/ci/api keeps the earlier versions (v1: the first refresh token)'
    )
    checkNoLeaks([two])

    // --- run 3: 16 minutes later, mode retire ---
    vault.clock.advance(16 * MINUTE)
    const three = await run(later(16 * MINUTE), 'retire')
    show(
      "Vault 3: 16 minutes later (the job's clock and Vault's moved), mode retire: the first lease is due",
      three,
      { brief: true }
    )
    checksFollow()
    check(three.exitCode === 0 && three.errors.length === 0, 'exit code 0, no error annotation')
    check(
      /revoked/.test(three.stdout),
      'the log says what it revoked (by handle: lease id and token accessor, no value)'
    )
    check(
      !vault.database.canLogin(lease1.username, lease1.password),
      'the first login no longer works: its lease was revoked'
    )
    check(
      vault.database.canLogin(lease2.username, lease2.password),
      'the published login still works'
    )
    check(liveLeases().length === 1, 'one live lease left')
    checkTokens()
    checkNoLeaks([three])
    // The server's helper reads versions; this record lives in a secret's metadata only.
    const answer = await fetch(
      `${vault.url}/v1/${RECORD_PATH.replace('secret/', 'secret/metadata/')}`,
      {
        headers: { 'x-vault-token': vault.rootToken }
      }
    )
    const body = (await answer.json()) as { data?: { custom_metadata?: Record<string, string> } }
    const dbRecord = recordOf(body.data?.custom_metadata ?? {})
    check(
      dbRecord.includes('"retirements":[]') && holdsNoValue(dbRecord),
      `the record of app-db (custom_metadata of ${RECORD_PATH}) has no retirement left, and holds no value`
    )
    console.log(`--- the record of app-db (fingerprints, handles and times, no values) ---`)
    console.log(prettyJson(dbRecord))
  } finally {
    await workspace.remove()
    await oauth.close()
    await github.close()
    await vault.close()
  }
}
