// Vault's configuration: the file's vault: section (or a shared connection named by credentials),
// its file-only keys and targets, and the flat vault-* inputs; every problem named where it is.
import { describe, expect, it } from '@jest/globals'
import { loadConfigFile } from '../../../src/config/file/load.js'
import { INPUT_DEFAULTS, readInputs, type RawInputs } from '../../../src/config/inputs.js'
import { parseActionConfig } from '../../../src/config/rotation-config.js'
import { ConfigError } from '../../../src/errors.js'

const ENV = {
  OAUTH_CLIENT_SECRET: 'client-secret-value',
  VAULT_SECRET_ID: 'approle-secret-id-value',
  VAULT_ID_TOKEN: 'header.payload.signature'
}
const context = { repository: 'acme/app', apiUrl: 'https://api.github.com', runId: '1' }

const FILE = `version: 1
connections:
  vault:
    team-a:
      address: https://vault.example.com:8200
      namespace: team-a
      auth: { method: approle, role-id: rotation, secret-id: { env: VAULT_SECRET_ID } }
credentials:
  api:
    vault: team-a
    issuer:
      kind: oauth2
      token-url: https://auth.example.com/oauth/token
      client-id: reporting
      client-secret: { env: OAUTH_CLIENT_SECRET }
    store: { kind: vault-kv, mount: kv, path: ci/api, field: token }
    publish:
      - github: { secret: API_TOKEN, repositories: [acme/app] }
      - vault: { path: app/api, field: access_token }
  app-db:
    vault:
      address: https://vault.example.com:8200
      auth: { method: jwt, role: ci-db, jwt: { env: VAULT_ID_TOKEN } }
    issuer: { kind: vault-dynamic, path: database/creds/app, field: password }
    publish:
      - github: { secret: DB_USERNAME, field: username, repositories: [acme/app] }
      - github: { secret: DB_PASSWORD, field: password, repositories: [acme/app] }
    health-check: { url: https://app.example.com/db-check }
    retire: { grace-period: 15m, revoke-previous: true }
`

function configure(text: string) {
  const file = loadConfigFile(text, 'rotation.yml', ENV)
  return file.credentials.map(credential => {
    const inputs = { 'github-token': 'writer', ...credential.inputs }
    const raw: RawInputs = readInputs(name => inputs[name] ?? INPUT_DEFAULTS[name])
    try {
      return { config: parseActionConfig(raw, context, credential.file) }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      return {
        problems: error.problems.map(p => ({ ...credential.locate(p.input), message: p.message }))
      }
    }
  })
}

describe('Vault in the configuration file', () => {
  it('reads a shared connection, the KV store, a KV target and a dynamic issuer', () => {
    const [api, db] = configure(FILE)
    expect(api?.problems).toBeUndefined()
    const vault = api?.config?.slices.vault
    expect(vault?.connection.endpoint).toEqual({
      address: 'https://vault.example.com:8200',
      namespace: 'team-a',
      tls: {}
    })
    expect(vault?.connection.auth).toEqual({
      method: 'approle',
      roleId: 'rotation',
      secretId: 'approle-secret-id-value',
      mount: 'approle'
    })
    expect(vault?.store).toEqual({
      mount: 'kv',
      path: 'ci/api',
      field: 'token',
      lockPath: 'ci/api.lock'
    })
    expect(vault?.targets).toEqual([{ mount: 'secret', path: 'app/api', field: 'access_token' }])
    expect(api?.config?.store).toEqual({
      kind: 'vault-kv',
      subject: 'kv/ci/api',
      record: {
        where: 'KV secret kv/ci/api of https://vault.example.com:8200 (namespace team-a)',
        key: 'store.path'
      },
      lockTtlMs: 1_800_000
    })

    expect(db?.problems).toBeUndefined()
    expect(db?.config?.slices.vault?.dynamic).toEqual({ path: 'database/creds/app' })
    expect(db?.config?.slices.vault?.store).toEqual({
      mount: 'secret',
      path: 'token-rotation/database/creds/app',
      lockPath: 'token-rotation/database/creds/app.lock'
    })
    expect(db?.config?.document).toEqual({ field: 'password' })
    expect(db?.config?.fieldMappings).toEqual([
      { name: 'DB_USERNAME', field: 'username' },
      { name: 'DB_PASSWORD', field: 'password' }
    ])
  })

  it('names a jwt login without a role at its key', () => {
    const text = `version: 1
credentials:
  api:
    vault:
      address: http://vault.example.com:8200
      auth: { method: jwt }
    issuer: { kind: vault-dynamic }
    publish:
      - github: { secret: DB, repositories: [acme/app] }
`
    const file = (() => {
      try {
        return configure(text)
      } catch (error) {
        return [{ problems: [{ message: (error as Error).message }] }]
      }
    })()
    const messages = JSON.stringify(file)
    // The schema refuses a jwt login without a role before the provider looks.
    expect(messages).toMatch(/credentials\.api\.vault\.auth\.role/)
  })

  it('refuses plain http off loopback, and an issuer path that is missing, at their keys', () => {
    const text = `version: 1
credentials:
  api:
    vault:
      address: http://vault.example.com:8200
      auth: { method: jwt, role: ci }
    issuer: { kind: vault-dynamic }
    publish:
      - github: { secret: DB, repositories: [acme/app] }
`
    const [api] = configure(text)
    expect(api?.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'credentials.api.vault.address',
          message: expect.stringContaining('is not https')
        }),
        expect.objectContaining({
          path: expect.stringMatching(/^credentials\.api\.issuer\./),
          message: expect.stringContaining('is required with issuer: vault-dynamic')
        })
      ])
    )
  })

  it('reads issuer.renew-before as a duration, and names it when it is not one', () => {
    const credential = (renew: string) => `version: 1
credentials:
  app-db:
    vault:
      address: https://vault.example.com:8200
      auth: { method: approle, role-id: rotation, secret-id: { env: VAULT_SECRET_ID } }
    issuer: { kind: vault-dynamic, path: database/creds/app, renew-before: ${renew} }
    publish:
      - github: { secret: DB_PASSWORD, field: password, repositories: [acme/app] }
`
    const [good] = configure(credential('30m'))
    expect(good?.config?.slices.vault?.dynamic).toMatchObject({ renewBeforeMs: 30 * 60_000 })
    const [staticRole] = configure(
      credential('30m').replace('database/creds/app', 'database/static-creds/app')
    )
    expect(staticRole?.problems).toEqual([
      expect.objectContaining({
        path: 'credentials.app-db.issuer.renew-before',
        message: expect.stringContaining('is a static role, whose password Vault rotates by itself')
      })
    ])
    const [bad] = configure(credential('soon'))
    expect(bad?.problems).toEqual([
      expect.objectContaining({
        path: 'credentials.app-db.issuer.renew-before',
        message: expect.stringContaining("'soon' is not a duration longer than 0")
      })
    ])
  })
})

describe('Vault in flat inputs', () => {
  const base = {
    'github-token': 'writer',
    issuer: 'oauth2',
    'token-url': 'https://auth.example.com/oauth/token',
    'client-id': 'reporting',
    'client-secret': 'client-secret-value',
    'secret-name': 'API_TOKEN',
    repositories: 'acme/app',
    store: 'vault-kv',
    'vault-url': 'https://vault.example.com',
    'vault-role': 'ci-rotation',
    'vault-kv-path': 'ci/api'
  }
  const parse = (inputs: Record<string, string>) =>
    parseActionConfig(
      readInputs(name => inputs[name] ?? INPUT_DEFAULTS[name]),
      context
    )

  it('logs in with the workflow OIDC token by default, for the Vault address as audience', () => {
    const config = parse(base)
    expect(config.slices.vault?.connection.auth).toEqual({
      method: 'jwt',
      role: 'ci-rotation',
      mount: 'jwt',
      audience: 'https://vault.example.com'
    })
  })

  it('names the flat input of each problem, and refuses vault inputs where Vault plays no part', () => {
    const error = (() => {
      try {
        parse({ ...base, 'vault-method': 'approle', 'vault-role': '', 'vault-client-key': 'x' })
      } catch (e) {
        return e as ConfigError
      }
      return undefined
    })()
    expect(error?.problems.map(p => p.input).sort()).toEqual([
      'vault-client-certificate',
      'vault-role-id',
      'vault-secret-id'
    ])
    const stray = (() => {
      try {
        parse({ ...base, store: 'github', 'refresh-token-secret': 'RT', 'refresh-token': 'rt' })
      } catch (e) {
        return e as ConfigError
      }
      return undefined
    })()
    expect(stray?.problems.map(p => p.input)).toEqual(
      expect.arrayContaining(['vault-url', 'vault-role', 'vault-kv-path'])
    )
  })
})
