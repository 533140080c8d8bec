// A dynamic database credential from Vault (`issuer: vault-dynamic`, database/creds/app) through
// the bundled dist/index.js: published to GitHub secrets by field, checked by a command that logs
// in to the local Vault server's database, its previous lease revoked only once the grace period
// is over (a later run, the clocks moved), and the published credential still working after the
// run ended and its login token is gone. The least-privilege policy the docs show passes; a policy
// short of one capability fails the run with the capability and the path named, nothing
// half-written.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeRecord } from '../../src/providers/vault/record.js'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'
import { startVaultServer, type VaultServer } from '../../test-servers/vault/index.js'
import { SCENARIO_REPO as REPO, secretPath } from '../support/scenario-world.js'
import {
  auditCodes,
  DYNAMIC_POLICY,
  RENEW_POLICY,
  lastCustomMetadata,
  liveLoginTokens,
  results,
  vaultSecrets,
  withoutPath
} from '../support/vault-world.js'

const SKEWED_CLOCK = fileURLToPath(new URL('../../test-servers/skewed-clock.mjs', import.meta.url))
const RECORD_PATH = 'token-rotation/database/creds/app'
const ROLE_ID = 'db-rotation-role'
const SECRET_ID = 'approle-secret-id-3b8f0a61'
const MINUTE = 60_000
const STATIC_PASSWORD = 'Static-Pass-4d2e9f71'
/** The least privilege of a static role (docs/providers/vault.md#policies). */
const STATIC_POLICY = `
path "database/static-creds/app-static" { capabilities = ["read"] }
path "secret/metadata/token-rotation/database/static-creds/app-static" { capabilities = ["read", "create", "update"] }
path "secret/data/token-rotation/database/static-creds/app-static.lock" { capabilities = ["read", "create", "update"] }
`

/** The check: logs in to the database with the fields the run gives it. */
const DB_LOGIN = `const answer = await fetch(process.env.DB_LOGIN_URL, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    username: process.env.TOKEN_ROTATION_USERNAME,
    password: process.env.TOKEN_ROTATION_PASSWORD
  })
})
process.exit(answer.status === 200 ? 0 : 4)
`

let github: GitHubServer
let vault: VaultServer
let workspace: string
let runNumber: number
let secrets: Set<string>

/** Policies: the docs' own, and the same short of each line in turn. */
const CUT = [
  'database/creds/app',
  'auth/token/create-orphan',
  'sys/leases/revoke',
  'auth/token/revoke-accessor',
  'secret/metadata/token-rotation/database/creds/app',
  'secret/data/token-rotation/database/creds/app.lock'
] as const

beforeEach(async () => {
  github = await startGitHubServer()
  github.addRepository(REPO)
  const policies: Record<string, string> = {
    dynamic: DYNAMIC_POLICY,
    renew: RENEW_POLICY,
    static: STATIC_POLICY
  }
  const roles: Record<string, object> = {
    rotation: {
      role_id: ROLE_ID,
      secret_ids: [SECRET_ID],
      token_policies: ['dynamic'],
      token_ttl: '30m'
    },
    static: {
      role_id: 'static-role',
      secret_ids: [SECRET_ID],
      token_policies: ['static'],
      token_ttl: '30m'
    },
    renewing: {
      role_id: 'renewing-role',
      secret_ids: [SECRET_ID],
      token_policies: ['dynamic', 'renew'],
      token_ttl: '30m'
    }
  }
  CUT.forEach((path, index) => {
    policies[`cut-${String(index)}`] = withoutPath(DYNAMIC_POLICY, path)
    roles[`cut-${String(index)}`] = {
      role_id: `cut-role-${String(index)}`,
      secret_ids: [SECRET_ID],
      token_policies: [`cut-${String(index)}`],
      token_ttl: '30m'
    }
  })
  vault = await startVaultServer({
    policies,
    approle: { approle: { roles } },
    database: {
      database: {
        roles: { app: { default_ttl: '1h', max_ttl: '2h' } },
        static_roles: {
          'app-static': {
            username: 'app-static-user',
            rotation_period: '1h',
            password: STATIC_PASSWORD
          }
        }
      }
    }
  })
  workspace = await mkdtemp(join(tmpdir(), 'workspace-'))
  await writeFile(join(workspace, 'db-login.mjs'), DB_LOGIN)
  runNumber = 900
  secrets = new Set([SECRET_ID, 'test-token'])
})
afterEach(async () => {
  await vault.close()
  await github.close()
  await rm(workspace, { recursive: true, force: true })
})

function configFile(roleId: string, extra: string): string {
  return `version: 1
credentials:
  app-db:
    vault:
      address: ${vault.url}
      auth: { method: approle, role-id: ${roleId}, secret-id: { env: VAULT_SECRET_ID } }
    issuer: { kind: vault-dynamic, path: database/creds/app${extra} }
    publish:
      - github: { secret: DB_USERNAME, field: username, repositories: [${REPO}] }
      - github: { secret: DB_PASSWORD, field: password, repositories: [${REPO}] }
    health-check: { command: node db-login.mjs, timeout: 5s }
    retire: { grace-period: 15m, revoke-previous: true }
`
}

/** One run; `laterMs` moves the runner's clock (and Vault's, before the run) that far on. */
async function rotate(
  options: {
    roleId?: string
    laterMs?: number
    issuer?: string
    schedule?: string
    file?: string
  } = {}
): Promise<ActionRun> {
  runNumber += 1
  const file = options.file ?? configFile(options.roleId ?? ROLE_ID, options.issuer ?? '')
  await writeFile(
    join(workspace, 'rotation.yml'),
    options.schedule === undefined ? file : `${file}    schedule: ${options.schedule}\n`
  )
  const run = await runAction({
    inputs: { 'github-token': 'test-token', 'write-interval': '10ms', config: 'rotation.yml' },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKSPACE: workspace,
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
      VAULT_SECRET_ID: SECRET_ID,
      DB_LOGIN_URL: vault.databaseLoginUrl,
      ...(options.laterMs === undefined
        ? {}
        : { NODE_OPTIONS: `--import=${SKEWED_CLOCK}`, SKEWED_CLOCK_MS: String(options.laterMs) })
    }
  })
  for (const secret of vaultSecrets(vault)) secrets.add(secret)
  for (const name of ['DB_USERNAME', 'DB_PASSWORD']) {
    const value = github.getSecret(secretPath(name))?.value
    if (value !== undefined) secrets.add(value)
  }
  return run
}

function published(): { username: string; password: string } {
  return {
    username: github.getSecret(secretPath('DB_USERNAME'))?.value ?? '',
    password: github.getSecret(secretPath('DB_PASSWORD'))?.value ?? ''
  }
}

function expectNoLeaks(run: ActionRun): void {
  const all = [...secrets, ...github.receivedCiphertexts].filter(s => s !== '')
  expect(all.flatMap(secret => leaks(run, secret))).toEqual([])
  const record = lastCustomMetadata(vault, 'secret', RECORD_PATH)
  const text = Object.values(record ?? {}).join('\n')
  expect(all.filter(secret => text.includes(secret))).toEqual([])
}

const canLogin = (login: { username: string; password: string }) =>
  vault.database.canLogin(login.username, login.password)

describe('a dynamic database credential', () => {
  it('is published by field, checked by a command, and works after the run and its token are gone', async () => {
    const run = await rotate()
    expect([run.exitCode, run.errors]).toEqual([0, []])
    expect(results(run)).toEqual([
      expect.objectContaining({ credential: 'app-db', status: 'rotated', published: 2 })
    ])
    expect(run.stdout).toMatch(/verify: ok \(command node db-login\.mjs: exit 0/)
    const one = published()
    expect(one.username).toMatch(/^v-/)
    // The run is over: its login token revoked; the credential's lease and the token that holds
    // it outlive it, and the account logs in.
    expect(liveLoginTokens(vault)).toEqual([])
    expect(canLogin(one)).toBe(true)
    const leases = vault.liveLeases()
    expect(leases).toHaveLength(1)
    expect(vault.token(leases[0]?.tokenAccessor ?? '')?.orphan).toBe(true)
    // The record names the lease, never a value.
    expect(lastCustomMetadata(vault, 'secret', RECORD_PATH)).toMatchObject({
      'token-rotation-record-0': expect.stringContaining(leases[0]?.id ?? '-')
    })
    expectNoLeaks(run)
  })

  it('revokes the previous lease only after the grace period, by a later run', async () => {
    const first = await rotate()
    expect([first.exitCode, first.errors]).toEqual([0, []])
    const one = published()
    const [lease1] = vault.liveLeases()

    // Five minutes later: a new credential; the first still works (within the grace period).
    vault.clock.advance(5 * MINUTE)
    const second = await rotate({ laterMs: 5 * MINUTE })
    expect([second.exitCode, second.errors]).toEqual([0, []])
    const two = published()
    expect(two.username).not.toBe(one.username)
    expect(canLogin(one)).toBe(true)
    expect(canLogin(two)).toBe(true)
    expect(vault.lease(lease1?.id ?? '')?.alive).toBe(true)

    // Twenty-one minutes after the second: the first is due and revoked, lease and token; the
    // second is still within its own grace period after the third run replaced it.
    vault.clock.advance(21 * MINUTE)
    const third = await rotate({ laterMs: 26 * MINUTE })
    expect([third.exitCode, third.errors]).toEqual([0, []])
    const three = published()
    expect(canLogin(one)).toBe(false)
    expect(vault.lease(lease1?.id ?? '')?.alive).toBe(false)
    expect(vault.token(lease1?.tokenAccessor ?? '')?.alive).toBe(false)
    expect(canLogin(two)).toBe(true)
    expect(canLogin(three)).toBe(true)
    expect(vault.liveLeases()).toHaveLength(2)
    expect(liveLoginTokens(vault)).toEqual([])
    for (const run of [first, second, third]) expectNoLeaks(run)
  })

  it('keeps the working credential when the new one fails its check, and revokes its own token', async () => {
    const first = await rotate()
    expect(first.exitCode).toBe(0)
    const one = published()
    // The database refuses every login from now on.
    vault.faults.add({ path: '/_db/login', status: 401, body: { ok: false } })
    const failed = await rotate()
    expect(failed.exitCode).toBe(1)
    expect(failed.errors.join('\n')).toMatch(/Health check failed: command node db-login\.mjs/)
    expect(canLogin(one)).toBe(true)
    expect(liveLoginTokens(vault)).toEqual([])
    expectNoLeaks(failed)
  })
})

describe('renew-before', () => {
  it('renews the published lease instead of rotating, until Vault grants less; then the schedule rotates', async () => {
    const renewing = {
      roleId: 'renewing-role',
      issuer: ', renew-before: 30m',
      schedule: '{ every: 30d, before-expiry: 5m }'
    }
    const first = await rotate(renewing)
    expect([first.exitCode, first.errors]).toEqual([0, []])
    const one = published()
    const [lease] = vault.liveLeases()
    const issued = lease?.issuedAt ?? 0
    expect(lease?.expiresAt).toBe(issued + 60 * MINUTE)

    // 40 minutes on, 20 left: renewed for the hour asked; not due, nothing published.
    vault.clock.advance(40 * MINUTE)
    const second = await rotate({ ...renewing, laterMs: 40 * MINUTE })
    expect([second.exitCode, second.errors]).toEqual([0, []])
    expect(results(second)).toEqual([expect.objectContaining({ status: 'skipped' })])
    expect(vault.lease(lease?.id ?? '')?.expiresAt).toBe(issued + 100 * MINUTE)
    expect(second.stdout).toMatch(/Renewed the lease database\/creds\/app\/\S+, which ended at/)

    // 90 minutes on, 10 left: Vault grants 30 of the 60 minutes asked (max_ttl 2h); a warning.
    vault.clock.advance(50 * MINUTE)
    const third = await rotate({ ...renewing, laterMs: 90 * MINUTE })
    expect([third.exitCode, third.errors]).toEqual([0, []])
    expect(results(third)).toEqual([expect.objectContaining({ status: 'skipped' })])
    expect(vault.lease(lease?.id ?? '')?.expiresAt).toBe(issued + 120 * MINUTE)
    expect(third.stdout).toMatch(
      /::warning[^:]*::Vault renewed the lease \S+ for 1800 s of the 3600 s asked \(the role's max_ttl\)/
    )
    expect(published()).toEqual(one)
    expect(canLogin(one)).toBe(true)

    // 116 minutes on, within before-expiry of the lease's last end: rotated.
    vault.clock.advance(26 * MINUTE)
    const fourth = await rotate({ ...renewing, laterMs: 116 * MINUTE })
    expect([fourth.exitCode, fourth.errors]).toEqual([0, []])
    expect(results(fourth)).toEqual([expect.objectContaining({ status: 'rotated' })])
    expect(published().username).not.toBe(one.username)
    expect(canLogin(published())).toBe(true)
    for (const run of [first, second, third, fourth]) expectNoLeaks(run)
  })
})

describe('a static role (database/static-creds)', () => {
  const staticFile = () => `version: 1
credentials:
  app-db:
    vault:
      address: ${vault.url}
      auth: { method: approle, role-id: static-role, secret-id: { env: VAULT_SECRET_ID } }
    issuer: { kind: vault-dynamic, path: database/static-creds/app-static }
    schedule: { every: 30d, before-expiry: 1m }
    publish:
      - github: { secret: DB_USERNAME, field: username, repositories: [${REPO}] }
      - github: { secret: DB_PASSWORD, field: password, repositories: [${REPO}] }
    health-check: { command: node db-login.mjs, timeout: 2s }
`

  it('publishes the current password, re-publishes after Vault rotated it, and commits only what passed its check', async () => {
    secrets.add(STATIC_PASSWORD)
    const first = await rotate({ file: staticFile() })
    expect([first.exitCode, first.errors]).toEqual([0, []])
    expect(published()).toEqual({ username: 'app-static-user', password: STATIC_PASSWORD })
    expect(vault.liveLeases()).toEqual([])

    // Ten minutes on: Vault has not rotated it; nothing is due, nothing published again.
    vault.clock.advance(10 * MINUTE)
    const second = await rotate({ file: staticFile(), laterMs: 10 * MINUTE })
    expect(results(second)).toEqual([expect.objectContaining({ status: 'skipped' })])

    // An hour after the first: Vault rotated the password; the run publishes the new one.
    vault.clock.advance(51 * MINUTE)
    const rotatedOnce = vault.staticPassword('app-static') ?? ''
    expect(rotatedOnce).not.toBe(STATIC_PASSWORD)
    secrets.add(rotatedOnce)
    const third = await rotate({ file: staticFile(), laterMs: 61 * MINUTE })
    expect([third.exitCode, third.errors]).toEqual([0, []])
    expect(results(third)).toEqual([expect.objectContaining({ status: 'rotated', published: 2 })])
    expect(published().password).toBe(rotatedOnce)

    // Vault rotates it again, and the check fails: the run fails, and the record does not take
    // the new password as published; the next run (the database back) publishes and commits it.
    vault.clock.advance(61 * MINUTE)
    const rotatedTwice = vault.staticPassword('app-static') ?? ''
    secrets.add(rotatedTwice)
    const refusing = vault.faults.add({ path: '/_db/login', status: 401, body: { ok: false } })
    const failed = await rotate({ file: staticFile(), laterMs: 122 * MINUTE })
    expect(failed.exitCode).toBe(1)
    expect(failed.errors.join('\n')).toMatch(/Health check failed: command node db-login\.mjs/)
    const record = () => {
      const decoded = decodeRecord(
        lastCustomMetadata(vault, 'secret', 'token-rotation/database/static-creds/app-static') ?? {}
      )
      return decoded.ok ? decoded.state : undefined
    }
    const committed = record()?.published?.fingerprint
    expect(committed).toBe(results(third)[0]?.version)
    refusing.remove()
    const fixed = await rotate({ file: staticFile(), laterMs: 123 * MINUTE })
    expect([fixed.exitCode, fixed.errors]).toEqual([0, []])
    expect(published().password).toBe(rotatedTwice)
    expect(record()?.published?.fingerprint).toBe(results(fixed)[0]?.version)
    expect(results(fixed)[0]?.version).not.toBe(committed)
    expect(vault.database.canLogin('app-static-user', rotatedTwice)).toBe(true)
    expect(liveLoginTokens(vault)).toEqual([])
    for (const run of [first, second, third, failed, fixed]) expectNoLeaks(run)
  })
})

describe('a sealed Vault', () => {
  it('fails the run with vault-unavailable, saying to unseal it, and nothing is minted', async () => {
    vault.seal()
    const run = await rotate()
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(/Vault is sealed; unseal it and run again/)
    expect(auditCodes(run)).toEqual(['vault-unavailable'])
    vault.unseal()
    expect(vault.liveLeases()).toEqual([])
    expect(vault.liveTokens().filter(token => token.path !== 'auth/token/root')).toEqual([])
    expectNoLeaks(run)
  })
})

describe('least privilege', () => {
  it('passes with the policy the docs show', async () => {
    const run = await rotate()
    expect([run.exitCode, run.errors]).toEqual([0, []])
  })

  it.each(CUT.map((path, index) => [path, index] as const))(
    'fails without the line for %s, naming it, with nothing half-written',
    async (path, index) => {
      const run = await rotate({ roleId: `cut-role-${String(index)}` })
      expect(run.exitCode).toBe(1)
      expect(run.errors.join('\n')).toContain(path)
      expect(run.errors.join('\n')).toMatch(/lacks `\w+`( or `\w+`)? on /)
      expect(auditCodes(run)).toEqual(['vault-forbidden'])
      // Nothing minted or left behind: no lease, no orphan token, no target written, no record.
      expect(vault.liveLeases()).toEqual([])
      expect(
        vault.liveTokens().filter(token => token.path.startsWith('auth/token/create'))
      ).toEqual([])
      expect(published()).toEqual({ username: '', password: '' })
      // The record, if written, counts the failed run and holds nothing minted.
      const record = Object.values(lastCustomMetadata(vault, 'secret', RECORD_PATH) ?? {}).join('')
      expect(record).not.toMatch(/"pending"|"published"|"current"|"minting"/)
      expect(liveLoginTokens(vault)).toEqual([])
      expectNoLeaks(run)
    }
  )
})
