import { describe, expect, it } from '@jest/globals'
import { parseHealthCheckConfig } from '../../src/config/health-config.js'
import { readInputs } from '../../src/config/inputs.js'
import { OAUTH2_INPUTS as OAUTH2, type Inputs } from '../support/action-inputs.js'
import { parseActionConfig } from '../../src/config/rotation-config.js'
import { ConfigError } from '../../src/errors.js'
import { expiryFrom } from '../../src/providers/oauth2/token-response.js'

const context = { repository: 'octo/app', apiUrl: 'https://api.github.com', runId: '7' }

/** The inputs named by the problems of a configuration, or [] when it is valid. */
function refused(inputs: Inputs): string[] {
  try {
    parseActionConfig(
      // The runner trims nothing; readInputs trims, so the breaks go inside the value.
      readInputs(name => inputs[name] ?? ''),
      context
    )
    return []
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(p => `${p.input}: ${p.message}`)
    throw error
  }
}

describe('control characters in inputs', () => {
  it.each([
    ['client-id', 'ci\n::stop-commands::x'],
    ['client-id', 'ci\r##[error]x'],
    ['secret-name', 'API_ACCESS_TOKEN\n::set-output name=status::rotated'],
    ['health-check-url', 'https://api.example.com/user\n::stop-commands::x'],
    ['refresh-token-secret', 'OAUTH_REFRESH_TOKEN\u001b[2K'],
    ['scope', 'read\rwrite'],
    ['environment', 'prod\r##[error]x'],
    ['secret-fields', 'DB_USER=user\u0000']
  ] as const)('refuses %s holding %j, naming the input', (input, value) => {
    const problems = refused({ ...OAUTH2, [input]: value })
    expect(problems).toContainEqual(expect.stringMatching(`^${input}: holds the control character`))
  })

  it('lets list and PEM inputs span lines with LF or CR LF', () => {
    const problems = refused({ ...OAUTH2, repositories: 'octo/app\r\nocto/web\nocto/api' })
    expect(problems.filter(p => p.includes('control character'))).toEqual([])
  })

  it('lets the configuration file given inline span lines, and nothing else', () => {
    const inline = 'version: 1\ncredentials:\n  api: {}\n'
    expect(refused({ ...OAUTH2, config: inline }).filter(p => p.includes('control'))).toEqual([])
    expect(refused({ ...OAUTH2, config: `${inline}\u001b[2K` })).toContainEqual(
      expect.stringMatching('^config: holds the control character U\\+001B')
    )
  })

  it('leaves secret inputs alone: they are masked, never logged', () => {
    expect(refused({ ...OAUTH2, 'client-secret': 's3\ncret' })).toEqual([])
  })
})

describe('health-check-url escapes that do not decode', () => {
  it.each([
    ['https://api.example.com/user%ff', '%ff'],
    ['https://api.example.com/50%-off', '%-o'],
    ['https://api.example.com/user%', '%'],
    ['https://api.example.com/user?name=%C3', '%C3'],
    ['https://api.example.com/%C3%A9/%e9%9a', '%e9%9a']
  ])('refuses %s, naming the input and the escape', (url, escape) => {
    const parsed = parseHealthCheckConfig(
      readInputs(name => (name === 'health-check-url' ? url : ''))
    )
    expect(parsed.problems).toEqual([
      { input: 'health-check-url', message: expect.stringContaining(`holds '${escape}'`) }
    ])
  })

  it('accepts escapes of UTF-8 text, and <token> in the path', () => {
    for (const url of [
      'https://api.example.com/caf%C3%A9?q=%25&x=a%20b',
      'https://api.example.com/tokens/<token>'
    ]) {
      const parsed = parseHealthCheckConfig(
        readInputs(name => (name === 'health-check-url' ? url : ''))
      )
      expect([url, parsed.problems]).toEqual([url, []])
    }
  })
})

describe('expiryFrom', () => {
  const now = new Date('2026-01-01T00:00:00Z')

  it('turns a lifetime in seconds into a time', () => {
    expect(expiryFrom(3600, now)).toEqual({ expiresAt: new Date('2026-01-01T01:00:00Z') })
    expect(expiryFrom(undefined, now)).toEqual({})
  })

  it.each([Number('9223372036854775807'), Number.MAX_VALUE, Infinity, NaN, -1, 0, 1e12])(
    'leaves out %d with a warning instead of an invalid date',
    expiresIn => {
      const expiry = expiryFrom(expiresIn, now)
      expect(expiry.expiresAt).toBeUndefined()
      expect(expiry.warning).toContain('expires_in')
    }
  )
})
