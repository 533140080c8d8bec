// How a run logs in to Vault, end to end: the GitHub Actions OIDC token that @actions/core asks
// ACTIONS_ID_TOKEN_REQUEST_URL for (served here by a tiny endpoint signing as GitHub with keys the
// local Vault's JWT mount trusts, bound to the repository and the ref); a GitLab job's id_tokens
// through dist/cli.js; a namespace over mutual TLS. Each run reads a dynamic database credential,
// checks it with a command, and leaves its own login token revoked; no token, JWT or password
// appears in any output, log, summary, report or audit file.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'
import {
  createOidcIssuer,
  githubActionsClaims,
  startVaultServer,
  type OidcIssuer,
  type VaultServer
} from '../../test-servers/vault/index.js'
import { runNode, type ProcessResult } from '../support/child-process.js'
import { SCENARIO_REPO as REPO, secretPath } from '../support/scenario-world.js'
import {
  auditCodes,
  DYNAMIC_POLICY,
  lastCustomMetadata,
  liveLoginTokens,
  results,
  vaultSecrets
} from '../support/vault-world.js'

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const GITLAB_ISSUER = 'https://gitlab.example.com'
const REQUEST_TOKEN = 'actions-id-token-request-token-5e0c7a'

/**
 * The check: logs in to the database with the fields the run gives it, over mutual TLS when
 * DB_TLS_DIR names a folder with ca.pem, cert.pem and key.pem.
 */
const DB_LOGIN = `import { request } from 'node:https'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
const tls = process.env.DB_TLS_DIR
const pem = name => (tls ? readFileSync(join(tls, name), 'utf8') : undefined)
const body = JSON.stringify({
  username: process.env.TOKEN_ROTATION_USERNAME,
  password: process.env.TOKEN_ROTATION_PASSWORD,
  namespace: process.env.DB_NAMESPACE ?? ''
})
const url = process.env.DB_LOGIN_URL
const status = url.startsWith('https:')
  ? await new Promise((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ca: pem('ca.pem'),
        cert: pem('cert.pem'),
        key: pem('key.pem')
      }, res => { res.resume(); resolve(res.statusCode) })
      req.on('error', reject)
      req.end(body)
    })
  : (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status
process.exit(status === 200 ? 0 : 4)
`

/**
 * GitHub's ID token endpoint as @actions/core's OidcClient calls it: GET the request URL with
 * `&audience=<aud>` appended, `Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>`; the answer
 * is `{"value": "<jwt>"}`.
 */
interface IdTokenEndpoint {
  /** What ACTIONS_ID_TOKEN_REQUEST_URL holds (with GitHub's `?api-version=2.0`). */
  url: string
  /** The audiences asked for, in order. */
  audiences: string[]
  /** Every JWT handed out. */
  issued: string[]
  /** The claims of the job the next tokens are for. */
  ref: string
  close(): Promise<void>
}

async function startIdTokenEndpoint(issuer: OidcIssuer): Promise<IdTokenEndpoint> {
  const endpoint: IdTokenEndpoint = {
    url: '',
    audiences: [],
    issued: [],
    ref: 'refs/heads/main',
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      })
  }
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const audience = url.searchParams.get('audience')
    if (req.headers.authorization !== `Bearer ${REQUEST_TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Unauthorized"}')
      return
    }
    if (url.searchParams.get('api-version') !== '2.0' || audience === null) {
      res.writeHead(400).end()
      return
    }
    endpoint.audiences.push(audience)
    const jwt = issuer.sign(githubActionsClaims({ repository: REPO, ref: endpoint.ref }, audience))
    endpoint.issued.push(jwt)
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: jwt }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  endpoint.url = `http://127.0.0.1:${String(port)}/_apis/token?api-version=2.0`
  return endpoint
}

let workspace: string
let secrets: Set<string>

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'workspace-'))
  await writeFile(join(workspace, 'db-login.mjs'), DB_LOGIN)
  secrets = new Set([REQUEST_TOKEN, 'test-token'])
})
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true })
})

const PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`

/** A dynamic credential of database/creds/app, logged in to Vault as `vault` says. */
function dynamicCredential(vault: string, publish: string): string {
  return `version: 1
credentials:
  app-db:
    vault:
${vault}
    issuer: { kind: vault-dynamic, path: database/creds/app }
    publish:
${publish}
    health-check: { command: node db-login.mjs, timeout: 5s }
    retire: { grace-period: 15m, revoke-previous: true }
`
}

const GITHUB_TARGETS = `      - github: { secret: DB_USERNAME, field: username, repositories: [${REPO}] }
      - github: { secret: DB_PASSWORD, field: password, repositories: [${REPO}] }`

describe('jwt login with the workflow OIDC token (core.getIDToken)', () => {
  let github: GitHubServer
  let vault: VaultServer
  let issuer: OidcIssuer
  let idTokens: IdTokenEndpoint

  beforeEach(async () => {
    github = await startGitHubServer()
    github.addRepository(REPO)
    const clock = { nowMs: () => vault.clock.nowMs() }
    issuer = createOidcIssuer(clock)
    vault = await startVaultServer({
      policies: { dynamic: DYNAMIC_POLICY },
      jwt: {
        jwt: {
          jwks: issuer.jwks,
          bound_issuer: issuer.issuer,
          roles: {
            'ci-rotation': {
              role_type: 'jwt',
              user_claim: 'repository',
              bound_audiences: ['https://vault.example.com:8200'],
              bound_claims: { repository: REPO, ref: 'refs/heads/main' },
              token_policies: ['dynamic'],
              token_ttl: '30m'
            }
          }
        }
      },
      database: { database: { roles: { app: { default_ttl: '2h', max_ttl: '24h' } } } }
    })
    idTokens = await startIdTokenEndpoint(issuer)
  })
  afterEach(async () => {
    await idTokens.close()
    await vault.close()
    await github.close()
  })

  async function run(): Promise<ActionRun> {
    await writeFile(
      join(workspace, 'rotation.yml'),
      dynamicCredential(
        `      address: ${vault.url}
      auth: { method: jwt, role: ci-rotation, audience: https://vault.example.com:8200 }`,
        GITHUB_TARGETS
      )
    )
    const action = await runAction({
      inputs: { 'github-token': 'test-token', 'write-interval': '10ms', config: 'rotation.yml' },
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: REPO,
        GITHUB_RUN_ID: '1201',
        GITHUB_WORKSPACE: workspace,
        PATH,
        DB_LOGIN_URL: vault.databaseLoginUrl,
        // What the runner sets for a job with `permissions: id-token: write`.
        ACTIONS_ID_TOKEN_REQUEST_URL: idTokens.url,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN
      }
    })
    for (const secret of [...vaultSecrets(vault), ...idTokens.issued]) secrets.add(secret)
    for (const name of ['DB_USERNAME', 'DB_PASSWORD']) {
      const value = github.getSecret(secretPath(name))?.value
      if (value !== undefined) secrets.add(value)
    }
    const all = [...secrets, ...github.receivedCiphertexts]
    expect(all.flatMap(secret => leaks(action, secret))).toEqual([])
    return action
  }

  it('logs in with a token for the audience, bound to the repository and ref, and revokes the login at the end', async () => {
    const action = await run()
    expect([action.exitCode, action.errors]).toEqual([0, []])
    expect(idTokens.audiences).toEqual(['https://vault.example.com:8200'])
    // The JWT went to auth/jwt/login with the role; the token it got is revoked.
    const logins = vault.log.entries.filter(entry => entry.path === '/v1/auth/jwt/login')
    expect(logins.map(entry => [entry.status, (entry.body as { role: string }).role])).toEqual([
      [200, 'ci-rotation']
    ])
    expect(liveLoginTokens(vault)).toEqual([])
    expect(vault.liveLeases()).toHaveLength(1)
    expect(
      vault.database.canLogin(
        github.getSecret(secretPath('DB_USERNAME'))?.value ?? '',
        github.getSecret(secretPath('DB_PASSWORD'))?.value ?? ''
      )
    ).toBe(true)
    // The token was masked before anything could print it.
    expect(action.stdout).toContain(`::add-mask::${idTokens.issued[0] ?? '-'}`)
  })

  it('is refused for another ref: the message says what to check, nothing is minted', async () => {
    idTokens.ref = 'refs/heads/feature'
    const action = await run()
    expect(action.exitCode).toBe(1)
    expect(action.errors.join('\n')).toMatch(
      /refused the jwt login at auth\/jwt\/login \(400\).*claim \\?"ref\\?" does not match.*bound_claims/
    )
    expect(auditCodes(action)).toEqual(['vault-auth'])
    expect(vault.liveLeases()).toEqual([])
    expect(vault.liveTokens().filter(token => token.path !== 'auth/token/root')).toEqual([])
    expect(github.getSecret(secretPath('DB_PASSWORD'))).toBeUndefined()
  })
})

describe('jwt login in a GitLab job (id_tokens) through dist/cli.js', () => {
  let vault: VaultServer
  let gitlab: OidcIssuer

  beforeEach(async () => {
    gitlab = createOidcIssuer({ issuer: GITLAB_ISSUER, nowMs: () => vault.clock.nowMs() })
    vault = await startVaultServer({
      policies: {
        dynamic: `${DYNAMIC_POLICY}
path "secret/data/app/db" { capabilities = ["read", "create", "update"] }`
      },
      jwt: {
        gitlab: {
          jwks: gitlab.jwks,
          bound_issuer: GITLAB_ISSUER,
          roles: {
            'gitlab-rotation': {
              role_type: 'jwt',
              user_claim: 'project_path',
              bound_audiences: ['https://vault.example.com:8200'],
              bound_claims: { project_path: 'acme/app', ref_protected: 'true' },
              token_policies: ['dynamic'],
              token_ttl: '30m'
            }
          }
        }
      },
      database: { database: { roles: { app: { default_ttl: '2h', max_ttl: '24h' } } } }
    })
  })
  afterEach(async () => {
    await vault.close()
  })

  /** The claims GitLab puts in a job's id_tokens entry. */
  function gitlabIdToken(audience: string): string {
    return gitlab.sign({
      aud: audience,
      sub: 'project_path:acme/app:ref_type:branch:ref:main',
      namespace_path: 'acme',
      project_path: 'acme/app',
      project_id: '42',
      pipeline_id: '123',
      pipeline_source: 'schedule',
      job_id: '456',
      ref: 'main',
      ref_type: 'branch',
      ref_protected: 'true',
      user_login: 'alice'
    })
  }

  it('logs in with the job token named by its audience, publishes into a KV secret, and revokes its login', async () => {
    vault.kv.write('secret/app/db', { host: 'db.internal' })
    await writeFile(
      join(workspace, 'rotation.yml'),
      dynamicCredential(
        `      address: ${vault.url}
      auth: { method: jwt, role: gitlab-rotation, mount: gitlab, audience: https://vault.example.com:8200 }`,
        '      - vault: { mount: secret, path: app/db }'
      )
    )
    const jwt = gitlabIdToken('https://vault.example.com:8200')
    // Another id_tokens entry, for another audience: not the one Vault gets.
    const other = gitlabIdToken('https://sts.amazonaws.com')
    const cli: ProcessResult = await runNode([CLI, 'rotate', '--config', 'rotation.yml'], {
      cwd: workspace,
      env: {
        PATH,
        CI: 'true',
        GITLAB_CI: 'true',
        CI_SERVER_URL: GITLAB_ISSUER,
        CI_PROJECT_PATH: 'acme/app',
        CI_PROJECT_DIR: workspace,
        CI_PIPELINE_ID: '123',
        CI_JOB_ID: '456',
        CI_JOB_URL: `${GITLAB_ISSUER}/acme/app/-/jobs/456`,
        DB_LOGIN_URL: vault.databaseLoginUrl,
        TOKEN_ROTATION_ID_TOKEN_AWS: other,
        TOKEN_ROTATION_ID_TOKEN_VAULT: jwt
      }
    })
    expect([cli.code, cli.stderr]).toEqual([0, expect.not.stringMatching(/error/i)])
    const logins = vault.log.entries.filter(entry => entry.path === '/v1/auth/gitlab/login')
    expect(logins.map(entry => [entry.status, (entry.body as { jwt: string }).jwt])).toEqual([
      [200, jwt]
    ])
    expect(liveLoginTokens(vault)).toEqual([])
    // The KV target holds the credential beside its other field, and it logs in.
    const data = vault.kv.read('secret/app/db')?.data ?? {}
    expect(data.host).toBe('db.internal')
    expect(vault.database.canLogin(String(data.username), String(data.password))).toBe(true)

    const reportDir = join(workspace, 'token-rotation-report')
    const files = await Promise.all(
      (await readdir(reportDir)).map(name => readFile(join(reportDir, name), 'utf8'))
    )
    const all = [jwt, other, ...vaultSecrets(vault, ['secret/app/db'])]
    for (const secret of all) {
      expect([cli.stdout, cli.stderr, ...files].filter(text => text.includes(secret))).toEqual([])
    }
  })
})

describe('a namespace over mutual TLS', () => {
  let github: GitHubServer
  let vault: VaultServer

  beforeEach(async () => {
    github = await startGitHubServer()
    github.addRepository(REPO)
    vault = await startVaultServer({
      tls: 'mtls',
      kv: {},
      namespaces: {
        'team-a': {
          policies: { dynamic: DYNAMIC_POLICY },
          approle: {
            approle: {
              roles: {
                rotation: {
                  role_id: 'team-a-role',
                  secret_ids: ['team-a-secret-id-90b1c2'],
                  token_policies: ['dynamic'],
                  token_ttl: '30m'
                }
              }
            }
          },
          database: { database: { roles: { app: { default_ttl: '2h', max_ttl: '24h' } } } }
        }
      }
    })
  })
  afterEach(async () => {
    await vault.close()
    await github.close()
  })

  it('sends the namespace, presents the client certificate, trusts the private CA', async () => {
    const tls = vault.tls
    if (tls === undefined) throw new Error('the server has no TLS')
    const checkCertificate = tls.issueClientCertificate('db-check')
    await mkdir(join(workspace, 'db-tls'))
    await writeFile(join(workspace, 'db-tls', 'ca.pem'), tls.ca)
    await writeFile(join(workspace, 'db-tls', 'cert.pem'), checkCertificate.certificate)
    await writeFile(join(workspace, 'db-tls', 'key.pem'), checkCertificate.key)
    const block = (pem: string) =>
      pem
        .trim()
        .split('\n')
        .map(line => `        ${line}`)
        .join('\n')
    await writeFile(
      join(workspace, 'rotation.yml'),
      dynamicCredential(
        `      address: ${vault.url}
      namespace: team-a
      ca-certificate: |
${block(tls.ca)}
      client-certificate: |
${block(tls.clientCertificate)}
      client-key: { env: VAULT_CLIENT_KEY }
      auth: { method: approle, role-id: team-a-role, secret-id: { env: VAULT_SECRET_ID } }`,
        GITHUB_TARGETS
      )
    )
    const action = await runAction({
      inputs: { 'github-token': 'test-token', 'write-interval': '10ms', config: 'rotation.yml' },
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: REPO,
        GITHUB_RUN_ID: '1301',
        GITHUB_WORKSPACE: workspace,
        PATH,
        DB_LOGIN_URL: vault.databaseLoginUrl,
        DB_NAMESPACE: 'team-a',
        // The check has a certificate of its own, in files: a command is not given a variable
        // that holds a secret of the run, and a PEM key's text counts as one (its masked lines).
        DB_TLS_DIR: join(workspace, 'db-tls'),
        VAULT_CLIENT_KEY: tls.clientKey,
        VAULT_SECRET_ID: 'team-a-secret-id-90b1c2'
      }
    })
    expect([action.exitCode, action.errors]).toEqual([0, []])
    expect(results(action)).toEqual([expect.objectContaining({ status: 'rotated', published: 2 })])
    // Everything lives in team-a: the lease, the record, and the login token (revoked).
    expect(vault.liveLeases('team-a')).toHaveLength(1)
    expect(vault.liveLeases('')).toEqual([])
    expect(lastCustomMetadata(vault, 'secret', 'token-rotation/database/creds/app')).toMatchObject({
      'token-rotation-record-0': expect.stringContaining('"published"')
    })
    expect(liveLoginTokens(vault)).toEqual([])
    const api = vault.log.entries.filter(entry => entry.path.startsWith('/v1/'))
    expect(api.every(entry => entry.headers['x-vault-namespace'] === 'team-a')).toBe(true)
    const all = [
      tls.clientKey,
      'team-a-secret-id-90b1c2',
      ...vaultSecrets(vault),
      github.getSecret(secretPath('DB_PASSWORD'))?.value ?? ''
    ].filter(secret => secret !== '')
    expect(all.flatMap(secret => leaks(action, secret))).toEqual([])
  })
})
