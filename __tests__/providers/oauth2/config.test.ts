import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { isLoopbackHost } from '../../../src/config/loopback.js'
import { type OAuth2Inputs, parseOAuth2Config } from '../../../src/providers/oauth2/config.js'
import { INPUT_DEFAULTS, type InputName } from '../../../src/config/inputs.js'
import { loadTlsFixtures } from '../../../test-servers/oauth2/index.js'

const SECRET = 'client-secret-value-0123456789'
const fixtures = loadTlsFixtures()

function pem(kind: 'rsa' | 'rsa1024' | 'p256' | 'p384' | 'p521' | 'ed25519' | 'ed448'): string {
  const key = (() => {
    switch (kind) {
      case 'rsa':
        return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      case 'rsa1024':
        return generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
      case 'p256':
        return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      case 'p384':
        return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
      case 'p521':
        return generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey
      case 'ed25519':
        return generateKeyPairSync('ed25519').privateKey
      case 'ed448':
        return generateKeyPairSync('ed448').privateKey
    }
  })()
  return key.export({ format: 'pem', type: 'pkcs8' }).toString()
}

/** Valid inputs for client_secret_basic, the defaults of action.yml for the rest. */
function inputs(overrides: Partial<OAuth2Inputs> = {}): OAuth2Inputs {
  return {
    'token-url': 'https://auth.example.com/oauth2/token',
    'client-id': 'my-client',
    'client-secret': SECRET,
    'client-auth': INPUT_DEFAULTS['client-auth'],
    'client-private-key': '',
    scope: '',
    'revocation-url': '',
    'client-certificate': '',
    'client-key': '',
    'ca-certificate': '',
    ...overrides
  }
}

function problemsOf(overrides: Partial<OAuth2Inputs>): { input: string; message: string }[] {
  const { config, problems } = parseOAuth2Config(inputs(overrides))
  expect(config).toBeUndefined()
  expect(problems.length).toBeGreaterThan(0)
  return problems
}

function problemFor(input: InputName, overrides: Partial<OAuth2Inputs>): string {
  const problem = problemsOf(overrides).find(candidate => candidate.input === input)
  if (problem === undefined) throw new Error(`no problem for ${input}`)
  return problem.message
}

describe('parseOAuth2Config', () => {
  it('defaults to client_secret_basic and a 30 s deadline', () => {
    const { config, problems } = parseOAuth2Config(inputs())

    expect(problems).toEqual([])
    expect(config).toEqual({
      tokenUrl: 'https://auth.example.com/oauth2/token',
      clientId: 'my-client',
      clientAuth: { method: 'client_secret_basic', clientSecret: SECRET },
      tls: {},
      timeoutMs: 30_000
    })
  })

  it('takes revocation-url, scope (spaces normalized) and client_secret_post', () => {
    const { config } = parseOAuth2Config(
      inputs({
        'client-auth': 'client_secret_post',
        'revocation-url': 'https://auth.example.com/oauth2/revoke',
        scope: '  offline_access\n api:read  '
      })
    )

    expect(config).toMatchObject({
      revocationUrl: 'https://auth.example.com/oauth2/revoke',
      scope: 'offline_access api:read',
      clientAuth: { method: 'client_secret_post', clientSecret: SECRET }
    })
  })

  it('takes a public client without a secret', () => {
    const { config } = parseOAuth2Config(inputs({ 'client-auth': 'none', 'client-secret': '' }))

    expect(config?.clientAuth).toEqual({ method: 'none' })
  })

  it.each([
    ['rsa', 'RS256'],
    ['p256', 'ES256'],
    ['p384', 'ES384'],
    ['ed25519', 'EdDSA']
  ] as const)('picks the assertion algorithm from the key: %s signs %s', (kind, algorithm) => {
    const privateKey = pem(kind)
    const { config } = parseOAuth2Config(
      inputs({
        'client-auth': 'private_key_jwt',
        'client-secret': '',
        'client-private-key': privateKey
      })
    )

    expect(config?.clientAuth).toEqual({
      method: 'private_key_jwt',
      privateKeyPem: privateKey,
      algorithm
    })
  })

  it.each(['rsa1024', 'p521', 'ed448'] as const)('refuses a %s key for assertions', kind => {
    const message = problemFor('client-private-key', {
      'client-auth': 'private_key_jwt',
      'client-secret': '',
      'client-private-key': pem(kind)
    })

    expect(message).toMatch(/2048|RSA .*P-256.*Ed25519/)
  })

  it('takes tls_client_auth with the certificate, its key and a CA', () => {
    const { config, problems } = parseOAuth2Config(
      inputs({
        'client-auth': 'tls_client_auth',
        'client-secret': '',
        'client-certificate': fixtures.clientCertificate,
        'client-key': fixtures.clientKey,
        'ca-certificate': `${fixtures.ca}\n${fixtures.otherCa}`
      })
    )

    expect(problems).toEqual([])
    expect(config?.clientAuth).toEqual({ method: 'tls_client_auth' })
    expect(config?.tls.clientCertificate?.keyPem).toBe(fixtures.clientKey)
    expect(config?.tls.caCertificate?.match(/BEGIN CERTIFICATE/g)).toHaveLength(2)
  })

  it('accepts a client certificate with another method (mTLS at the TLS layer only)', () => {
    const { config } = parseOAuth2Config(
      inputs({ 'client-certificate': fixtures.clientCertificate, 'client-key': fixtures.clientKey })
    )

    expect(config?.clientAuth.method).toBe('client_secret_basic')
    expect(config?.tls.clientCertificate).toBeDefined()
  })
})

describe('endpoints', () => {
  it.each([
    'http://127.0.0.1:8080/token',
    'http://127.1.2.3/token',
    'http://localhost:3000/token',
    'http://[::1]:3000/token'
  ])('accepts plain http on loopback: %s', url => {
    expect(parseOAuth2Config(inputs({ 'token-url': url })).problems).toEqual([])
  })

  it('refuses plain http elsewhere, saying why', () => {
    const message = problemFor('token-url', { 'token-url': 'http://auth.example.com/token' })

    expect(message).toContain('not https')
    expect(message).toContain('clear text')
  })

  it('checks revocation-url the same way', () => {
    const message = problemFor('revocation-url', {
      'revocation-url': 'http://10.0.0.8/revoke'
    })

    expect(message).toContain('not https')
  })

  it('requires token-url and client-id', () => {
    const problems = problemsOf({ 'token-url': '', 'client-id': '' })

    expect(problems.map(problem => problem.input)).toEqual(['token-url', 'client-id'])
  })

  it('refuses credentials in the URL without repeating them', () => {
    const message = problemFor('token-url', {
      'token-url': 'https://user:hunter2@auth.example.com/token'
    })

    expect(message).toContain('client-id and client-secret')
    expect(message).not.toContain('hunter2')
  })

  it('refuses what is not a URL, a fragment and another scheme', () => {
    expect(problemFor('token-url', { 'token-url': 'auth.example.com/token' })).toContain(
      'not a URL'
    )
    expect(problemFor('token-url', { 'token-url': 'https://a.example/token#x' })).toContain(
      'fragment'
    )
    expect(problemFor('token-url', { 'token-url': 'ftp://a.example/token' })).toContain('https')
    // A URL that does not parse is not quoted: its user part may hold a password.
    expect(problemFor('token-url', { 'token-url': 'https://ci:s3cret@[bad/token' })).not.toContain(
      's3cret'
    )
  })

  it('knows loopback hosts', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true)
    expect(isLoopbackHost('[::1]')).toBe(true)
    expect(isLoopbackHost('localhost')).toBe(true)
    expect(isLoopbackHost('127.example.com')).toBe(false)
    expect(isLoopbackHost('10.0.0.1')).toBe(false)
  })
})

describe('client authentication', () => {
  it('refuses an unknown method, listing the valid ones', () => {
    const message = problemFor('client-auth', { 'client-auth': 'client_secret_jwt' })

    expect(message).toContain(
      'client_secret_basic, client_secret_post, none, private_key_jwt or tls_client_auth'
    )
  })

  it.each(['client_secret_basic', 'client_secret_post'])('%s requires client-secret', method => {
    const message = problemFor('client-secret', { 'client-auth': method, 'client-secret': '' })

    expect(message).toContain(`required with client-auth ${method}`)
  })

  it('refuses a secret the method would ignore, without repeating it', () => {
    const problems = problemsOf({ 'client-auth': 'none' })

    expect(problems).toEqual([
      { input: 'client-secret', message: expect.stringContaining('does not use it') }
    ])
    expect(JSON.stringify(problems)).not.toContain(SECRET)
  })

  it('refuses a private key without private_key_jwt', () => {
    expect(problemFor('client-private-key', { 'client-private-key': pem('p256') })).toContain(
      'set client-auth to private_key_jwt'
    )
  })

  it('private_key_jwt requires client-private-key', () => {
    expect(
      problemFor('client-private-key', { 'client-auth': 'private_key_jwt', 'client-secret': '' })
    ).toContain('is required')
  })

  it('refuses a key that is not PEM, or encrypted, without repeating it', () => {
    const encrypted = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({
        format: 'pem',
        type: 'pkcs8',
        cipher: 'aes-256-cbc',
        passphrase: 'passphrase'
      })
      .toString()
    const base = { 'client-auth': 'private_key_jwt', 'client-secret': '' }

    const garbage = problemFor('client-private-key', {
      ...base,
      'client-private-key': 'not-a-key-at-all'
    })
    const locked = problemFor('client-private-key', { ...base, 'client-private-key': encrypted })

    expect(garbage).toContain('not a PEM private key')
    expect(garbage).not.toContain('not-a-key-at-all')
    expect(locked).toContain('encrypted')
  })
})

describe('TLS inputs', () => {
  const mtls = { 'client-auth': 'tls_client_auth', 'client-secret': '' }

  it('tls_client_auth requires the client certificate', () => {
    expect(problemFor('client-certificate', mtls)).toContain('RFC 8705')
  })

  it('tls_client_auth requires an https token-url', () => {
    const message = problemFor('client-auth', {
      ...mtls,
      'token-url': 'http://127.0.0.1:8080/token',
      'client-certificate': fixtures.clientCertificate,
      'client-key': fixtures.clientKey
    })

    expect(message).toContain('https token-url')
  })

  it('needs client-certificate and client-key together', () => {
    expect(
      problemFor('client-key', { 'client-certificate': fixtures.clientCertificate })
    ).toContain('required with client-certificate')
    expect(problemFor('client-certificate', { 'client-key': fixtures.clientKey })).toContain(
      'required with client-key'
    )
  })

  it('refuses a key that does not belong to the certificate', () => {
    const message = problemFor('client-key', {
      'client-certificate': fixtures.clientCertificate,
      'client-key': fixtures.serverKey
    })

    expect(message).toContain('does not belong to client-certificate')
  })

  it('refuses what is not a PEM certificate', () => {
    expect(problemFor('ca-certificate', { 'ca-certificate': 'not a certificate' })).toContain(
      'not a PEM certificate'
    )
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'
    expect(
      problemFor('ca-certificate', { 'ca-certificate': `${fixtures.ca}\n${broken}` })
    ).toContain('certificate 2 of 2')
  })

  it('refuses a bad scope', () => {
    expect(problemFor('scope', { scope: 'api:read "quoted"' })).toContain('"quoted"')
  })

  it('lists every problem at once', () => {
    const problems = problemsOf({
      'token-url': 'http://auth.example.com/token',
      'client-auth': 'tls_client_auth',
      'ca-certificate': 'nope'
    })

    expect(problems.map(problem => problem.input).sort()).toEqual([
      'ca-certificate',
      'client-certificate',
      'client-secret',
      'token-url'
    ])
  })
})
