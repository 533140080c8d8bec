// A key API behind a private CA, or one that asks for a client certificate: the HTTP issuer takes
// issuer.ca-certificate, issuer.client-certificate and issuer.client-key (the keys the OAuth2 and
// GitLab issuers read too), checks them as they do, and a TLS failure names them.
import { afterEach, describe, expect, it } from '@jest/globals'
import { loadConfigFile } from '../../../src/config/file/load.js'
import { INPUT_DEFAULTS, readInputs, type RawInputs } from '../../../src/config/inputs.js'
import { parseActionConfig, type ActionConfig } from '../../../src/config/rotation-config.js'
import type { Issuer } from '../../../src/engine/ports.js'
import { ActionError, ConfigError } from '../../../src/errors.js'
import { createHttpIssuer } from '../../../src/providers/http/issuer.js'
import { startKeyApiServer, type KeyApiServer } from '../../../test-servers/key-api/index.js'
import type { TlsMaterial } from '../../../test-servers/kernel/index.js'
import { MemoryClock, MemorySleep } from '../../support/engine-ports.js'
import { MemoryLogger } from '../../support/memory-logger.js'

let server: KeyApiServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

type Outcome = { config: ActionConfig } | { problems: { path: string; message: string }[] }

/** The credential `capgo-key` of a file whose issuer calls `url` with the extra `tls` keys. */
function configure(url: string, tls: string, env: Record<string, string>): Outcome {
  const text = `version: 1
credentials:
  capgo-key:
    issuer:
      kind: http
      admin: { env: ADMIN }
      create: { url: "${url}/apikey", headers: { authorization: "<admin>" }, body: { name: "ci-key-<nonce>", mode: all }, value: /key, id: /id }
${tls
  .split('\n')
  .filter(line => line !== '')
  .map(line => `      ${line}`)
  .join('\n')}
    publish:
      - github: { secret: CAPGO_API_KEY, repositories: [octo/app] }
`
  const file = loadConfigFile(text, 'rotation.yml', env)
  const [credential] = file.credentials
  if (!credential) throw new Error('expected a credential')
  const inputs: Partial<RawInputs> = { 'github-token': 'test-token', ...credential.inputs }
  const raw = readInputs(name => inputs[name] ?? INPUT_DEFAULTS[name])
  try {
    return { config: parseActionConfig(raw, { repository: 'octo/app' }, credential.file) }
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

/** The issuer of a TLS key API, with `tls` as the issuer's extra keys. */
async function issuerFor(
  mode: 'tls' | 'mtls',
  tls: (material: TlsMaterial) => string
): Promise<{ api: KeyApiServer; issuer: Issuer }> {
  const api = await startKeyApiServer({ tls: mode })
  server = api
  const material = api.tls
  if (!material) throw new Error('expected TLS material')
  const outcome = configure(api.url, tls(material), {
    ADMIN: api.seedKey({ name: 'admin' }).key,
    CLIENT_KEY: material.clientKey
  })
  if ('problems' in outcome) throw new Error(JSON.stringify(outcome.problems))
  const http = outcome.config.slices.http
  if (!http) throw new Error('no slice')
  const clock = new MemoryClock()
  const issuer = createHttpIssuer(http, {
    mask: () => undefined,
    log: new MemoryLogger(),
    clock,
    sleep: new MemorySleep(clock).sleep,
    timeoutMs: 5_000
  })
  return { api, issuer }
}

const ca = (material: TlsMaterial) => `ca-certificate: ${JSON.stringify(material.ca)}`
const client = (material: TlsMaterial) =>
  `${ca(material)}\nclient-certificate: ${JSON.stringify(material.clientCertificate)}\nclient-key: { env: CLIENT_KEY }`

async function failure(promise: Promise<unknown>): Promise<ActionError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error
  )
  if (!(outcome instanceof ActionError)) throw new Error('expected an ActionError')
  return outcome
}

describe('the key API issuer over TLS', () => {
  it('creates a key at an API behind a private CA with issuer.ca-certificate', async () => {
    const { api, issuer } = await issuerFor('tls', ca)
    const minted = await issuer.mint('')
    expect(api.keyByValue(minted.value)?.live).toBe(true)
  })

  it('without it, the failure names issuer.ca-certificate, and nothing was created', async () => {
    const { api, issuer } = await issuerFor('tls', () => '')
    const error = await failure(issuer.mint(''))
    expect(error.message).toContain('pass its certificate as issuer.ca-certificate')
    expect(error.message).not.toContain('BEGIN')
    expect(api.liveKeys().filter(key => key.name.startsWith('ci-key-'))).toEqual([])
  })

  it('presents issuer.client-certificate and issuer.client-key to an API that asks for them', async () => {
    const { api, issuer } = await issuerFor('mtls', client)
    const minted = await issuer.mint('')
    expect(api.keyByValue(minted.value)?.live).toBe(true)
  })

  it('checks the PEM texts as the OAuth2 issuer does, at their key paths, never quoting them', async () => {
    const api = await startKeyApiServer({ tls: 'tls' })
    server = api
    const material = api.tls
    if (!material) throw new Error('expected TLS material')
    const outcome = configure(
      api.url,
      `ca-certificate: "not a certificate"\nclient-certificate: ${JSON.stringify(material.clientCertificate)}`,
      { ADMIN: 'admin-key-0123' }
    )
    const at = 'credentials.capgo-key.issuer'
    expect('problems' in outcome ? outcome.problems : []).toEqual([
      {
        path: `${at}.ca-certificate`,
        message: 'is not a PEM certificate (-----BEGIN CERTIFICATE----- ...)'
      },
      {
        path: `${at}.client-key`,
        message: 'is required with client-certificate: the private key of that certificate'
      }
    ])
  })
})
