// A provider is one folder and one line in the registry: here a made-up one, "ledger", added to
// the action's registry, with keys only the file has, a section of its own and a target. What the
// file says reaches it (secrets read from the environment), and what it refuses is located in the
// file, with nothing added anywhere else.
import { describe, expect, it } from '@jest/globals'
import * as z from 'zod'
import { readInputs, INPUT_DEFAULTS, type RawInputs } from '../../src/config/inputs.js'
import { loadConfigFile, type FileCredential } from '../../src/config/file/load.js'
import {
  parseActionConfig,
  reportParts,
  type ActionContext
} from '../../src/config/rotation-config.js'
import { detectCi } from '../../src/ci/identity.js'
import { createClientCache } from '../../src/action/clients.js'
import { assembleEngine } from '../../src/action/assemble.js'
import { MemoryAudit, MemoryClock, MemorySleep } from '../support/engine-ports.js'
import { MemoryLogger } from '../support/memory-logger.js'
import { secretReference } from '../../src/config/secret-reference.js'
import { ConfigError, ConfigFileError } from '../../src/errors.js'
import { createRegistry, PROVIDERS } from '../../src/providers/index.js'
import type { Draft, FileSlice, Provider } from '../../src/providers/provider.js'

/** What the ledger provider was given, per credential it configured. */
type Seen = Pick<FileSlice, 'keys' | 'sections' | 'targets'> & Partial<Pick<FileSlice, 'objects'>>

/** The ledger's client, as the run's client cache holds it. */
interface LedgerClient {
  closed: boolean
}

function ledger(seen: Seen[], clients: LedgerClient[] = []): Provider {
  return {
    name: 'ledger',
    issuers: { 'ledger-key': { consumesInput: false, revokes: 'handle' } },
    stores: { 'ledger-vault': { keepsVersions: true, readsLive: true } },
    keys: [
      { group: 'issuer', key: 'path', type: 'text' },
      { group: 'issuer', key: 'admin', type: 'secret' },
      {
        group: 'issuer',
        key: 'create',
        type: 'object',
        schema: z.strictObject({ url: z.string(), token: secretReference.optional() })
      }
    ],
    sections: {
      ledger: z.strictObject({ address: z.string(), token: secretReference })
    },
    target: {
      key: 'ledger',
      keys: [
        { group: '', key: 'name', type: 'text' },
        { group: '', key: 'scope', type: 'list' }
      ]
    },
    only: {
      role: 'issuer: ledger-key',
      inputs: ['store-field'],
      hint: 'set issuer.kind: ledger-key, or remove it'
    },
    docs: 'docs/providers/ledger.md',
    configure: (draft: Draft) => {
      // A store that brings its own lock: no lock variable, no repository of GitHub's.
      if (draft.store === 'ledger-vault') {
        draft.keepsRecord = true
        draft.storeConfig = {
          kind: 'ledger-vault',
          subject: 'books',
          record: { where: 'the ledger', key: 'store' }
        }
      }
      if (draft.issuer !== 'ledger-key') return
      if (draft.file.keys['issuer.path'] === undefined) {
        draft.report([{ input: 'issuer.path', message: 'is required with issuer: ledger-key' }])
      }
      seen.push({
        keys: draft.file.keys,
        sections: draft.file.sections,
        targets: draft.file.targets,
        ...(Object.keys(draft.file.objects).length > 0 ? { objects: draft.file.objects } : {})
      })
    },
    describe: config =>
      config.issuer === 'ledger-key' ? { lines: ['Key from the ledger.'], names: ['CI_KEY'] } : {},
    assemble: (config, deps) => {
      if (config.issuer !== 'ledger-key') return Promise.resolve({})
      // Its session ends with the run, whatever happened: the run's cache closes it.
      clients.push(
        deps.clients.get(
          'ledger',
          (): LedgerClient => ({ closed: false }),
          client => {
            client.closed = true
            return Promise.resolve()
          }
        )
      )
      return Promise.resolve({
        issuer: {
          kind: 'ledger-key',
          revokes: 'handle' as const,
          mint: () => Promise.resolve({ value: 'k', next: '', rotated: false, handle: 'key-1' })
        },
        targets: {
          preflight: () => Promise.resolve([planned]),
          publish: () => Promise.resolve([{ ...planned, status: 'created' as const }])
        }
      })
    }
  }
}

/** The ledger target's one result. */
const planned = {
  scope: 'ledger',
  type: 'key',
  target: 'books',
  name: 'CI_KEY',
  status: 'planned' as const
}

const ENV = { LEDGER_TOKEN: 'ledger-login-secret', LEDGER_ADMIN: 'ledger-admin-secret' }
const context = { repository: 'octo/app', apiUrl: 'https://api.github.com', runId: '1' }

const FILE = `version: 1
credentials:
  books:
    ledger: { address: "https://ledger.example.com", token: { env: LEDGER_TOKEN } }
    issuer: { kind: ledger-key, path: keys/ci, admin: { env: LEDGER_ADMIN } }
    publish:
      - ledger: { name: CI_KEY, scope: [read, write] }
  plain:
    issuer: { kind: none, value: { env: LEDGER_TOKEN }, path: keys/stray, create: { url: u } }
    publish:
      - github: { secret: PLAIN, repositories: [octo/app] }
`

/** Each credential of the file, configured as the fleet configures it. */
function configure(
  text: string,
  seen: Seen[] = [],
  run: { token?: string; ctx?: ActionContext } = {}
) {
  const registry = createRegistry([...PROVIDERS, ledger(seen)])
  const file = loadConfigFile(text, 'rotation.yml', ENV, [], registry)
  return file.credentials.map(credential => {
    const inputs = { 'github-token': run.token ?? '', ...credential.inputs }
    const raw: RawInputs = readInputs(name => inputs[name] ?? INPUT_DEFAULTS[name])
    try {
      return {
        credential,
        config: parseActionConfig(raw, run.ctx ?? context, credential.file, registry)
      }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      return { credential, problems: located(credential, error) }
    }
  })
}

function located(credential: FileCredential, error: ConfigError) {
  return error.problems.map(p => ({ ...credential.locate(p.input), message: p.message }))
}

describe('a provider added to the registry', () => {
  it('gets its file-only keys, its section and its targets, every secret read from the environment', () => {
    const seen: Seen[] = []
    const [books] = configure(FILE, seen)
    expect(books?.config?.issuer).toBe('ledger-key')
    expect(seen).toEqual([
      {
        keys: { 'issuer.path': 'keys/ci', 'issuer.admin': 'ledger-admin-secret' },
        sections: {
          ledger: { address: 'https://ledger.example.com', token: 'ledger-login-secret' }
        },
        targets: [{ key: 'ledger', index: 0, entry: { name: 'CI_KEY', scope: ['read', 'write'] } }]
      }
    ])
    // Secrets the caller masks: the section's and the key's, as soon as the file is read.
    expect(books?.credential.secrets).toEqual(
      expect.arrayContaining(['ledger-login-secret', 'ledger-admin-secret'])
    )
  })

  it('needs no GitHub token or secret when the credential publishes to its targets only', () => {
    const [books] = configure(FILE)
    expect(books?.config?.publish.token).toBe('')
    expect(books?.config?.store).toBeUndefined()
  })

  it('needs neither GitHub nor GITHUB_REPOSITORY with its own store, lock and targets (GitLab CI)', () => {
    const text = `version: 1
credentials:
  books:
    issuer: { kind: ledger-key, path: keys/ci }
    store: { kind: ledger-vault, field: api_key }
    publish:
      - ledger: { name: CI_KEY }
`
    // store.field is AWS's too: it is refused only where no store that declares it plays.
    const [books] = configure(text, [], { ctx: {} })
    expect(books?.problems).toBeUndefined()
    expect(books?.config?.publish.token).toBe('')
    expect(books?.config?.publish.repositories).toEqual([])
    expect(books?.config?.store).toEqual({
      kind: 'ledger-vault',
      subject: 'books',
      record: { where: 'the ledger', key: 'store' },
      lockTtlMs: 30 * 60_000
    })
  })

  it('in a GitLab job with no GITHUB_* variable at all, names the job in its record and links its page', () => {
    const text = `version: 1
credentials:
  books:
    issuer: { kind: ledger-key, path: keys/ci }
    store: { kind: ledger-vault }
    publish:
      - ledger: { name: CI_KEY }
`
    const env = {
      GITLAB_CI: 'true',
      CI_PROJECT_PATH: 'acme/app',
      CI_PIPELINE_ID: '123',
      CI_JOB_ID: '456',
      CI_JOB_URL: 'https://gitlab.example.com/acme/app/-/jobs/456'
    }
    const [books] = configure(text, [], { ctx: { ci: detectCi(env, 1) } })
    expect(books?.problems).toBeUndefined()
    expect(books?.config?.publish.token).toBe('')
    expect(books?.config?.runId).toBe('GitLab job 456 of pipeline 123 in acme/app')
    expect(books?.config?.runUrl).toBe('https://gitlab.example.com/acme/app/-/jobs/456')
  })

  it('needs the GitHub token, not a secret name, for a GitHub store publishing elsewhere only', () => {
    const text = `version: 1
credentials:
  partner:
    issuer:
      kind: oauth2
      token-url: https://auth.example.com/token
      client-id: ci
      client-secret: { env: LEDGER_ADMIN }
      refresh-token: { env: LEDGER_TOKEN }
    store: { kind: github, secret: PARTNER_REFRESH_TOKEN }
    publish:
      - ledger: { name: PARTNER_KEY }
`
    const [without] = configure(text)
    expect(without?.problems).toEqual([
      expect.objectContaining({ message: expect.stringContaining('pass a token that can write') })
    ])
    const [withToken] = configure(text, [], { token: 'ghp_test' })
    expect(withToken?.problems).toBeUndefined()
    expect(withToken?.config?.store?.lockVariable).toBe('PARTNER_REFRESH_TOKEN_STATE_LOCK')
  })

  it('refuses its keys where it plays no part, at their line in the file', () => {
    const [, plain] = configure(FILE)
    expect(plain?.problems).toContainEqual({
      path: 'credentials.plain.issuer.path',
      line: 9,
      message: 'applies to issuer: ledger-key only; set issuer.kind: ledger-key, or remove it'
    })
    expect(plain?.problems).toContainEqual({
      path: 'credentials.plain.issuer.create',
      line: 9,
      message: 'applies to issuer: ledger-key only; set issuer.kind: ledger-key, or remove it'
    })
  })

  it('names an unset secret of its section at its key path', () => {
    const registry = createRegistry([...PROVIDERS, ledger([])])
    expect(() =>
      loadConfigFile(FILE, 'rotation.yml', { LEDGER_ADMIN: 'x' }, ['books'], registry)
    ).toThrow(ConfigFileError)
    try {
      loadConfigFile(FILE, 'rotation.yml', { LEDGER_ADMIN: 'x' }, ['books'], registry)
    } catch (error) {
      expect((error as ConfigFileError).problems).toEqual([
        expect.objectContaining({
          path: 'credentials.books.ledger.token',
          line: 4,
          message: expect.stringContaining('LEDGER_TOKEN is not set')
        })
      ])
    }
  })

  it('checks its section and its target entries with their schemas, and one target per entry', () => {
    const registry = createRegistry([...PROVIDERS, ledger([])])
    const text = `version: 1
credentials:
  books:
    ledger: { address: 42, token: "pasted" }
    issuer: { kind: ledger-key, path: keys/ci }
    publish:
      - ledger: { name: CI_KEY, colour: blue }
      - { ledger: { name: A }, github: { secret: B } }
`
    let problems: unknown[] = []
    try {
      loadConfigFile(text, 'rotation.yml', ENV, [], registry)
    } catch (error) {
      problems = (error as ConfigFileError).problems.map(p => [p.path, p.line])
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        ['credentials.books.ledger.address', 4],
        ['credentials.books.ledger.token', 4],
        ['credentials.books.publish[0].ledger.colour', 7],
        ['credentials.books.publish[1]', 8]
      ])
    )
  })

  it('is refused by the action, whose registry does not have it', () => {
    expect(() => loadConfigFile(FILE, 'rotation.yml', ENV)).toThrow(ConfigFileError)
  })
  it('describes and builds its parts through the registry it is in', async () => {
    const [books] = configure(FILE)
    const config = books?.config
    if (!config) throw new Error('expected a configuration')
    const clients: LedgerClient[] = []
    const registry = createRegistry([...PROVIDERS, ledger([], clients)])
    expect(reportParts(config, registry)).toMatchObject({
      lines: ['Key from the ledger.'],
      names: ['CI_KEY']
    })
    const clock = new MemoryClock()
    const cache = createClientCache()
    const engine = await assembleEngine(config, {
      log: new MemoryLogger(),
      mask: () => undefined,
      clock,
      sleep: new MemorySleep(clock).sleep,
      audit: new MemoryAudit(),
      onRecoveryCiphertext: () => undefined,
      clients: cache,
      registry
    })
    // GitHub plays no part: the ledger's issuer and targets are the engine's, and nothing else.
    expect(engine.issuer.kind).toBe('ledger-key')
    expect(engine.store).toBeUndefined()
    expect(await engine.targets.preflight()).toEqual([planned])
    // One client for the run, ended when the run's clients close.
    expect(clients.map(client => client.closed)).toEqual([false])
    await cache.close()
    expect(clients.map(client => client.closed)).toEqual([true])
  })

  it('gets a shared connection by name, read once under connections:', () => {
    const text = `version: 1
connections:
  ledger:
    main: { address: "https://ledger.example.com", token: { env: LEDGER_TOKEN } }
defaults:
  ledger: main
credentials:
  books:
    issuer: { kind: ledger-key, path: keys/ci }
    publish:
      - ledger: { name: CI_KEY }
  other:
    ledger: main
    issuer:
      kind: ledger-key
      path: keys/other
      create: { url: "https://ledger.example.com/keys", token: { env: LEDGER_ADMIN } }
    publish:
      - ledger: { name: OTHER_KEY }
`
    const seen: Seen[] = []
    const [books, other] = configure(text, seen)
    expect(books?.problems).toBeUndefined()
    expect(other?.problems).toBeUndefined()
    const connection = { address: 'https://ledger.example.com', token: 'ledger-login-secret' }
    expect(seen.map(s => s.sections)).toEqual([{ ledger: connection }, { ledger: connection }])
    // An object key arrives whole, its secret read.
    expect(seen[1]?.objects).toEqual({
      'issuer.create': { url: 'https://ledger.example.com/keys', token: 'ledger-admin-secret' }
    })
  })

  it('names a problem of a connection or an object key where it is written', () => {
    const registry = createRegistry([...PROVIDERS, ledger([])])
    const text = `version: 1
connections:
  ledger:
    main: { address: 42, token: { env: LEDGER_TOKEN } }
credentials:
  books:
    ledger: main
    issuer: { kind: ledger-key, path: keys/ci, create: { url: 5 } }
  other:
    ledger: elsewhere
    issuer: { kind: ledger-key, path: keys/ci }
`
    let problems: unknown[] = []
    try {
      loadConfigFile(text, 'rotation.yml', ENV, [], registry)
    } catch (error) {
      problems = (error as ConfigFileError).problems.map(p => [p.path, p.line, p.message])
    }
    expect(problems).toEqual([
      ['connections.ledger.main.address', 4, 'must be text, not a number: put it in quotes'],
      ['credentials.books.issuer.create.url', 8, 'must be text, not a number: put it in quotes'],
      [
        'credentials.other.ledger',
        10,
        'names no connection: add elsewhere under connections.ledger, or write its settings here'
      ]
    ])
  })
})
