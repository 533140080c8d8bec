// A self-managed GitLab behind a private CA, and one that asks for a client certificate: each
// connection of the file (the token issuer, a variable target, the variable store) takes
// ca-certificate, client-certificate and client-key, and a TLS failure names the keys of the
// connection that failed.
import { afterEach, describe, expect, it } from '@jest/globals'
import { loadConfigFile } from '../../../src/config/file/load.js'
import { INPUT_DEFAULTS, readInputs, type RawInputs } from '../../../src/config/inputs.js'
import { parseActionConfig, type ActionConfig } from '../../../src/config/rotation-config.js'
import { ActionError, ConfigError } from '../../../src/errors.js'
import { assembleGitLab } from '../../../src/providers/gitlab/parts.js'
import type { ClientCache, Parts } from '../../../src/providers/provider.js'
import { startGitLabServer, type GitLabServer } from '../../../test-servers/gitlab/index.js'
import type { TlsMaterial } from '../../../test-servers/kernel/index.js'
import { MemoryClock, MemorySleep } from '../../support/engine-ports.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const PROJECT = 'acme/app'

let gitlab: GitLabServer | undefined
afterEach(async () => {
  await gitlab?.close()
  gitlab = undefined
})

/** A TLS GitLab with a maintainer's token and the token to renew. */
async function start(mode: 'tls' | 'mtls'): Promise<{
  server: GitLabServer
  material: TlsMaterial
  admin: string
}> {
  const server = await startGitLabServer({ tls: mode })
  gitlab = server
  server.addUser('maria')
  server.addProject(PROJECT)
  server.addMember('maria', 'project', PROJECT, 'owner')
  const admin = server.seedPersonalToken('maria', { name: 'ci-admin', scopes: ['api'] }).token
  server.seedResourceToken('project', PROJECT, { name: 'deploy-bot', scopes: ['read_api'] })
  const material = server.tls
  if (!material) throw new Error('expected TLS material')
  return { server, material, admin }
}

/** `ca-certificate: "…"` and the client pair, as flow-mapping entries (JSON strings are YAML). */
function tlsKeys(material: TlsMaterial, client: boolean): string {
  const ca = `ca-certificate: ${JSON.stringify(material.ca)}`
  return client
    ? `${ca}, client-certificate: ${JSON.stringify(material.clientCertificate)}, client-key: { env: CLIENT_KEY }`
    : ca
}

/** The GitLab parts of a file whose three connections get `issuer`, `target` and `store`'s TLS. */
function partsOf(
  server: GitLabServer,
  material: TlsMaterial,
  admin: string,
  tls: { issuer: string; target: string; store: string }
): Parts {
  const url = server.url
  const text = `version: 1
credentials:
  deploy-token:
    issuer: { kind: gitlab-token, url: "${url}", project: ${PROJECT}, token-name: deploy-bot, token: { env: GITLAB_TOKEN }${tls.issuer ? `, ${tls.issuer}` : ''} }
    store: { kind: gitlab-variable, url: "${url}", token: { env: GITLAB_TOKEN }, project: ${PROJECT}, variable: DEPLOY_TOKEN_ADMIN${tls.store ? `, ${tls.store}` : ''} }
    publish:
      - gitlab: { url: "${url}", token: { env: GITLAB_TOKEN }, project: ${PROJECT}, variable: DEPLOY_TOKEN, masked: false${tls.target ? `, ${tls.target}` : ''} }
`
  const file = loadConfigFile(text, 'rotation.yml', {
    GITLAB_TOKEN: admin,
    CLIENT_KEY: material.clientKey
  })
  const [credential] = file.credentials
  if (!credential) throw new Error('expected a credential')
  const inputs: Partial<RawInputs> = credential.inputs
  const raw = readInputs(name => inputs[name] ?? INPUT_DEFAULTS[name])
  let config: ActionConfig
  try {
    config = parseActionConfig(raw, {}, credential.file)
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new Error(JSON.stringify(error.problems), { cause: error })
    }
    throw error
  }
  const made = new Map<string, unknown>()
  const clients: ClientCache = {
    get<T>(key: string, make: () => T): T {
      if (!made.has(key)) made.set(key, make())
      return made.get(key) as T
    }
  }
  const clock = new MemoryClock()
  return assembleGitLab(config, {
    log: new MemoryLogger(),
    mask: () => undefined,
    clock,
    sleep: new MemorySleep(clock).sleep,
    clients
  })
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error
  )
  if (!(outcome instanceof Error)) throw new Error('expected a failure')
  return outcome
}

describe('GitLab over TLS with a private CA', () => {
  it('renews the token, publishes and keeps the record with ca-certificate on each connection', async () => {
    const { server, material, admin } = await start('tls')
    const ca = tlsKeys(material, false)
    const parts = partsOf(server, material, admin, { issuer: ca, target: ca, store: ca })

    const minted = await parts.issuer?.mint(admin)
    const results = await parts.targets?.publish(minted?.value ?? '')
    await parts.store?.readState()

    expect(server.tokenByValue(minted?.value ?? '')?.active).toBe(true)
    expect(results?.map(result => result.status)).toEqual(['created'])
    expect(server.variable('project', PROJECT, 'DEPLOY_TOKEN')?.value).toBe(minted?.value)
  })

  it('without it, each failure names the key of its own connection, and no PEM', async () => {
    const { server, material, admin } = await start('tls')
    const parts = partsOf(server, material, admin, { issuer: '', target: '', store: '' })

    const issuer = await failure(parts.issuer?.mint(admin) ?? Promise.resolve())
    const [target] = (await parts.targets?.preflight()) ?? []
    const store = await failure(parts.store?.readState() ?? Promise.resolve())

    expect(issuer).toBeInstanceOf(ActionError)
    expect(issuer.message).toContain('pass its certificate as issuer.ca-certificate')
    expect(target?.error).toContain('pass its certificate as publish[0].gitlab.ca-certificate')
    expect(store.message).toContain('pass its certificate as store.ca-certificate')
    for (const text of [issuer.message, target?.error ?? '', store.message]) {
      expect(text).not.toContain('BEGIN')
    }
  })

  it('presents the client certificate a server that requires one asks for', async () => {
    const { server, material, admin } = await start('mtls')
    const parts = partsOf(server, material, admin, {
      issuer: tlsKeys(material, true),
      target: tlsKeys(material, false),
      store: tlsKeys(material, true)
    })

    const minted = await parts.issuer?.mint(admin)
    await parts.store?.readState()
    const [target] = (await parts.targets?.preflight()) ?? []

    expect(server.tokenByValue(minted?.value ?? '')?.active).toBe(true)
    expect(target?.error).toContain(
      'set publish[0].gitlab.client-certificate and publish[0].gitlab.client-key'
    )
  })
})

describe('GitLab TLS keys in the file', () => {
  function problems(text: string): { path: string; message: string }[] {
    const file = loadConfigFile(text, 'rotation.yml', {
      GITLAB_TOKEN: 'glpat-admin-token-0123456789'
    })
    const [credential] = file.credentials
    if (!credential) throw new Error('expected a credential')
    const inputs: Partial<RawInputs> = credential.inputs
    const raw = readInputs(name => inputs[name] ?? INPUT_DEFAULTS[name])
    try {
      parseActionConfig(raw, {}, credential.file)
      return []
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      return error.problems.map(p => ({
        path: credential.locate(p.input).path,
        message: p.message
      }))
    }
  }

  it('checks each connection’s PEM texts at its own key path, and refuses them where GitLab plays no part', () => {
    const at = 'credentials.deploy-token'
    expect(
      problems(`version: 1
credentials:
  deploy-token:
    issuer: { kind: gitlab-token, url: https://gitlab.example.com, project: ${PROJECT}, token-name: deploy-bot, token: { env: GITLAB_TOKEN }, ca-certificate: "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----" }
    publish:
      - gitlab: { url: https://gitlab.example.com, token: { env: GITLAB_TOKEN }, project: ${PROJECT}, variable: DEPLOY_TOKEN, client-key: { env: GITLAB_TOKEN } }
`)
    ).toEqual(
      expect.arrayContaining([
        {
          path: `${at}.issuer.ca-certificate`,
          message: 'is not a valid PEM certificate: it does not parse'
        },
        {
          path: `${at}.publish[0].gitlab.client-certificate`,
          message: 'is required with client-key: the certificate of that private key'
        },
        {
          path: `${at}.publish[0].gitlab.client-key`,
          message: 'is not a PEM private key (-----BEGIN PRIVATE KEY----- ...)'
        }
      ])
    )
    expect(
      problems(`version: 1
credentials:
  deploy-token:
    issuer: { kind: none, value: { env: GITLAB_TOKEN } }
    store: { kind: github, ca-certificate: "x" }
    publish:
      - github: { secret: DEPLOY_TOKEN }
`)
    ).toContainEqual({
      path: `${at}.store.ca-certificate`,
      message: expect.stringContaining('applies to')
    })
  })
})
