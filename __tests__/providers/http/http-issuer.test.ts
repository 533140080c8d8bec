// The key API issuer (issuer.kind http) against the local Capgo-shaped key API: its configuration
// read from a file (every problem at its key path), a mint that creates a key and masks it at
// once, a deletion by id that is idempotent, a lost create answer that is found and deleted, never
// replayed, and an API that refuses to create keys with the credential it is given.
import { afterEach, describe, expect, it } from '@jest/globals'
import { loadConfigFile } from '../../../src/config/file/load.js'
import { INPUT_DEFAULTS, readInputs, type RawInputs } from '../../../src/config/inputs.js'
import { parseActionConfig, type ActionConfig } from '../../../src/config/rotation-config.js'
import type { Issuer } from '../../../src/engine/ports.js'
import { ActionError, ConfigError, ConfigFileError } from '../../../src/errors.js'
import { describeHttp } from '../../../src/providers/http/configure.js'
import { createHttpIssuer } from '../../../src/providers/http/issuer.js'
import { startKeyApiServer, type KeyApiServer } from '../../../test-servers/key-api/index.js'
import { MemoryClock, MemorySleep } from '../../support/engine-ports.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const context = { repository: 'octo/app', apiUrl: 'https://api.github.com', runId: '7' }

/** A configuration file with the one credential `capgo-key`, its issuer as given. */
function fileWith(issuer: string, rest = ''): string {
  return `version: 1
credentials:
  capgo-key:
    issuer:
${issuer
  .trim()
  .split('\n')
  .map(line => `      ${line}`)
  .join('\n')}
    publish:
      - github: { secret: CAPGO_API_KEY, repositories: [octo/app] }
${rest}`
}

function issuerOf(url: string, extra = ''): string {
  return `kind: http
admin: { env: CAPGO_ADMIN_KEY }
create: { method: POST, url: "${url}/apikey", headers: { authorization: "<admin>" }, body: { name: "ci-key-<nonce>", mode: all }, value: /key, id: /id }
revoke: { method: DELETE, url: "${url}/apikey/<id>", headers: { authorization: "<admin>" } }
${extra}`
}

type Outcome = { config: ActionConfig } | { problems: { path: string; message: string }[] }

/** The credential configured as a run configures it; problems located in the file. */
function configure(
  text: string,
  env: Record<string, string> = { CAPGO_ADMIN_KEY: 'admin-key-0123' }
): Outcome {
  let file
  try {
    file = loadConfigFile(text, 'rotation.yml', env)
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error
    return { problems: error.problems.map(p => ({ path: p.path, message: p.message })) }
  }
  const [credential] = file.credentials
  if (!credential) throw new Error('expected a credential')
  const inputs: Partial<RawInputs> = { 'github-token': 'test-token', ...credential.inputs }
  const raw = readInputs(name => inputs[name] ?? INPUT_DEFAULTS[name])
  try {
    return { config: parseActionConfig(raw, context, credential.file) }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return {
      problems: error.problems.map(p => ({
        path: credential.locate(p.input).path,
        message: p.message
      }))
    }
  }
}

function problemsOf(outcome: Outcome): { path: string; message: string }[] {
  return 'problems' in outcome ? outcome.problems : []
}

function configOf(outcome: Outcome): ActionConfig {
  if ('problems' in outcome) throw new Error(JSON.stringify(outcome.problems))
  return outcome.config
}

describe('the key API issuer configuration', () => {
  it('reads the requests, the admin credential and the credential id; the record lives in a GitHub variable', () => {
    const config = configOf(configure(fileWith(issuerOf('https://api.capgo.app'))))
    expect(config.issuer).toBe('http')
    expect(config.slices.http).toMatchObject({
      admin: 'admin-key-0123',
      credential: 'capgo-key',
      create: { url: 'https://api.capgo.app/apikey', value: '/key', id: '/id' },
      revoke: { method: 'DELETE' }
    })
    // No secret to keep: only the record (key ids) and its lock, named after the published secret.
    expect(config.store).toMatchObject({
      kind: 'github',
      lockVariable: 'CAPGO_API_KEY_STATE_LOCK',
      subject: 'CAPGO_API_KEY'
    })
    expect(config.slices.github?.store).toEqual({ stateVariable: 'CAPGO_API_KEY_STATE' })
  })

  it('describes its requests in the plan without their query, where a key could be written', () => {
    const text = fileWith(
      issuerOf('https://api.capgo.app').replace(
        'https://api.capgo.app/apikey/<id>',
        'https://api.capgo.app/apikey/<id>?api_key=literal-key-in-the-url'
      )
    )
    const lines = describeHttp(configOf(configure(text))).lines ?? []
    expect(lines.join('\n')).toContain('DELETE https://api.capgo.app/apikey/<id> (query not shown)')
    expect(lines.join('\n')).not.toContain('literal-key-in-the-url')
  })

  it('names an unknown or misplaced placeholder, a URL and a pointer at their key paths', () => {
    const text = fileWith(`kind: http
admin: { env: CAPGO_ADMIN_KEY }
create: { url: "https://api.example.com/keys?owner=<admin>", headers: { authorization: "<admin>" }, body: { name: "ci-<key-name>", prev: "<id>" }, value: key, id: /id }
revoke: { url: "http://api.example.com/keys/<id>", headers: { x-by: "<nonce>" } }`)
    const at = 'credentials.capgo-key.issuer'
    expect(problemsOf(configure(text))).toEqual(
      expect.arrayContaining([
        {
          path: `${at}.create.url`,
          message: expect.stringContaining('<admin> may not be in a URL')
        },
        {
          path: `${at}.create.body.name`,
          message: expect.stringMatching(/^<key-name> is not a placeholder; create may use <admin>/)
        },
        {
          path: `${at}.create.body.prev`,
          message: expect.stringContaining('<id> has no value in create')
        },
        { path: `${at}.create.value`, message: expect.stringContaining('is not a JSON pointer') },
        { path: `${at}.revoke.url`, message: expect.stringContaining('is not https') },
        {
          path: `${at}.revoke.headers.x-by`,
          message: expect.stringContaining('<nonce> has no value in revoke')
        }
      ])
    )
  })

  it('needs issuer.admin or previous-value where a request uses <admin>, revoke with revoke-previous, and <nonce> with list', () => {
    const text = fileWith(
      `kind: http
create: { url: "https://api.example.com/keys", headers: { authorization: "<admin>" }, body: { name: ci-key }, value: /key, id: /id }
list: { url: "https://api.example.com/keys", headers: { authorization: "<admin>" }, id: /id, name: /name }`,
      '    retire: { revoke-previous: true }\n    health-check: { url: "https://api.example.com/app" }\n'
    )
    const at = 'credentials.capgo-key.issuer'
    expect(problemsOf(configure(text, {}))).toEqual(
      expect.arrayContaining([
        { path: `${at}.admin`, message: expect.stringContaining('or set previous-value') },
        {
          path: `${at}.revoke`,
          message: expect.stringContaining('is required with revoke-previous')
        },
        { path: `${at}.list`, message: expect.stringContaining('put <nonce> in the name') }
      ])
    )
  })

  it('refuses its keys under another issuer, and needs create', () => {
    const other = fileWith(`kind: none
value: { env: CAPGO_ADMIN_KEY }
create: { url: "https://api.example.com/keys", value: /key, id: /id }`)
    expect(problemsOf(configure(other))).toContainEqual({
      path: 'credentials.capgo-key.issuer.create',
      message: 'applies to issuer: http only; set issuer.kind: http, or remove it'
    })
    expect(problemsOf(configure(fileWith('kind: http')))).toContainEqual({
      path: 'credentials.capgo-key.issuer.create',
      message: expect.stringContaining('is required with issuer.kind: http')
    })
  })
})

describe('the key API issuer against the local key API', () => {
  let keys: KeyApiServer | undefined
  afterEach(async () => {
    await keys?.close()
    keys = undefined
  })

  /** The issuer of a file pointing at a fresh key API; `admin` and `current` read from it. */
  async function issuerFor(
    options: {
      list?: boolean
      session?: boolean
      admin?: (server: KeyApiServer) => string
      current?: (server: KeyApiServer) => string
      value?: string
    } = {}
  ): Promise<{ server: KeyApiServer; issuer: Issuer; masked: string[]; log: MemoryLogger }> {
    const server = await startKeyApiServer(options.session ? { keyCreation: 'session-only' } : {})
    keys = server
    const list = options.list
      ? `list: { url: "${server.url}/apikey", headers: { authorization: "<admin>" }, id: /id, name: /name }`
      : ''
    let text = issuerOf(server.url, list)
    if (options.value !== undefined) text = text.replace('value: /key', `value: ${options.value}`)
    const current = options.current?.(server)
    if (current !== undefined) text = text.replace('admin: { env: CAPGO_ADMIN_KEY }\n', '')
    const admin = options.admin?.(server) ?? server.seedKey({ name: 'admin' }).key
    const rest = current !== undefined ? '    previous-value: { env: PREVIOUS }\n' : ''
    const env = { CAPGO_ADMIN_KEY: admin, PREVIOUS: current ?? '' }
    const http = configOf(configure(fileWith(text, rest), env)).slices.http
    if (!http) throw new Error('no slice')
    const masked: string[] = []
    const log = new MemoryLogger()
    const clock = new MemoryClock()
    const issuer = createHttpIssuer(http, {
      mask: secret => masked.push(secret),
      log,
      clock,
      sleep: new MemorySleep(clock).sleep,
      timeoutMs: 5_000,
      ...(current !== undefined ? { current } : {})
    })
    return { server, issuer, masked, log }
  }

  const created = (server: KeyApiServer) =>
    server.liveKeys().filter(key => key.name.startsWith('ci-key-'))

  it('creates a key named with its nonce, masks its value at once and returns its id as the handle', async () => {
    const { server, issuer, masked, log } = await issuerFor()
    const minted = await issuer.mint('', { replacing: '41' })
    const [key] = server.liveKeys().filter(k => k.name.startsWith('ci-key-'))
    expect(key?.key).toBe(minted.value)
    expect(minted).toEqual({ value: key?.key, next: '', rotated: false, handle: String(key?.id) })
    expect(key?.name).toMatch(/^ci-key-[0-9a-f]{12}$/)
    expect(masked).toContain(minted.value)
    expect(log.text()).not.toContain(minted.value)
    expect(issuer.revokes).toBe('handle')
  })

  it('deletes a key by id, and counts a key already gone as deleted', async () => {
    const { server, issuer, log } = await issuerFor()
    const old = server.seedKey({ name: 'ci-key-old' })
    const retired = { by: 'handle', handle: String(old.id), fingerprint: 'f'.repeat(16) } as const
    await issuer.revoke?.(retired)
    expect(server.keyByValue(old.key)?.live).toBe(false)
    await expect(issuer.revoke?.(retired)).resolves.toBeUndefined()
    expect(log.text()).toMatch(/already gone .*HTTP 404.*counts as revoked/)
  })

  it('finds the key of a lost create answer by its nonce and deletes it, never creating a second', async () => {
    const { server, issuer, masked } = await issuerFor({ list: true })
    server.faults.add({ method: 'POST', path: '/apikey', drop: 'after', times: 1 })
    const failure = await issuer.mint('').catch((error: unknown) => error)
    const [orphan] = server.keys().filter(key => key.name.startsWith('ci-key-'))
    expect(failure).toMatchObject({ code: 'issuer-unreachable', phase: 'mint' })
    expect((failure as ActionError).message).toBe(
      `The create request POST ${server.url}/apikey got no answer (the connection closed before the answer was complete). Listing the keys found the one it created (key ${String(orphan?.id)}, name holding ${orphan?.name.slice('ci-key-'.length) ?? ''}), whose value never arrived here. It was deleted at once (key ${String(orphan?.id)}), so nothing is left behind. Nothing was published: the targets keep the current key.`
    )
    // The one key it created is gone, no other was created, and its value was never read.
    expect(server.keys().filter(key => key.name.startsWith('ci-key-'))).toHaveLength(1)
    expect(created(server)).toEqual([])
    expect(masked).toEqual([])
  })

  it('deletes a key whose answer lacks the value pointer, and names the pointer', async () => {
    const { server, issuer } = await issuerFor({ value: '/data/key' })
    const failure = await issuer.mint('').catch((error: unknown) => error)
    expect(failure).toMatchObject({ code: 'issuer-rejected', phase: 'mint' })
    expect((failure as ActionError).message).toMatch(
      /created a key, but its answer has no key value at \/data\/key \(issuer\.create\.value\): the answer has fields id, created_at, .*It was deleted at once \(key \d+\)/
    )
    expect(created(server)).toEqual([])
  })

  it('reports a lost create answer as unknown without list, and sends the create once', async () => {
    const { server, issuer, masked } = await issuerFor()
    server.faults.add({ method: 'POST', path: '/apikey', drop: 'after', times: 1 })
    const failure = await issuer.mint('').catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ActionError)
    expect(failure).toMatchObject({ code: 'issuer-outcome-unknown', phase: 'mint' })
    expect((failure as ActionError).message).toMatch(
      /not sent again.*name holds [0-9a-f]{12}.*issuer\.list/
    )
    // One key was created, and nothing read its value.
    const created = server.liveKeys().filter(k => k.name.startsWith('ci-key-'))
    expect(created).toHaveLength(1)
    expect(masked).toEqual([])
  })

  it('says the credential may not create keys when the API refuses it (session-only creation)', async () => {
    const { server, issuer } = await issuerFor({ session: true })
    const failure = await issuer.mint('').catch((error: unknown) => error)
    expect(failure).toMatchObject({ code: 'issuer-rejected', phase: 'mint' })
    expect((failure as ActionError).message).toMatch(
      /^Capgo refused to create a key with the credential in issuer\.admin \(HTTP 400: .*cannot_create_apikey.*only a user session create keys.*Nothing was created or published\.$/
    )
    expect(server.liveKeys().filter(k => k.name.startsWith('ci-key-'))).toEqual([])
  })

  it('creates with a user session where only sessions may', async () => {
    const { issuer } = await issuerFor({ session: true, admin: server => server.addSession() })
    const minted = await issuer.mint('')
    expect(minted.handle).toMatch(/^\d+$/)
  })

  it('lets the current key create its successor without issuer.admin, and the successor delete it', async () => {
    let old = { id: 0, key: '' }
    const { server, issuer } = await issuerFor({
      current: api => {
        old = api.seedKey({ name: 'ci-key-first' })
        return old.key
      }
    })
    const minted = await issuer.mint('')
    await issuer.revoke?.({ by: 'handle', handle: String(old.id), fingerprint: 'a'.repeat(16) })
    expect(server.keyByValue(old.key)?.live).toBe(false)
    // The new key made both calls after its own creation: it is the current key from then on.
    expect(server.keyByValue(minted.value)).toMatchObject({ live: true, uses: 1 })
  })
})
