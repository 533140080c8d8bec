import { describe, expect, it } from '@jest/globals'
import { readInputs } from '../../src/config/inputs.js'
import { OAUTH2_INPUTS as OAUTH2, type Inputs } from '../support/action-inputs.js'
import { parseActionConfig, type ActionConfig } from '../../src/config/rotation-config.js'
import { ConfigError } from '../../src/errors.js'
import { githubActionsIdentity } from '../../src/ci/identity.js'

const context = {
  repository: 'octo/app',
  apiUrl: 'https://api.github.com',
  ci: githubActionsIdentity(
    { GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '2', RUNNER_TEMP: '/tmp/runner' },
    4242
  )
}

function parse(inputs: Inputs): ActionConfig {
  return parseActionConfig(
    readInputs(name => inputs[name] ?? ''),
    context
  )
}

function problems(inputs: Inputs): Array<[string, string]> {
  try {
    parse(inputs)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(p => [p.input, p.message])
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('parseActionConfig', () => {
  it('derives the store, the record, the lock and the run from the inputs and the runner', () => {
    const config = parse(OAUTH2)
    expect(config.issuer).toBe('oauth2')
    expect(config.mode).toBe('rotate')
    expect(config.store).toEqual({
      kind: 'github',
      subject: 'OAUTH_REFRESH_TOKEN',
      repository: { owner: 'octo', repo: 'app' },
      lockVariable: 'OAUTH_REFRESH_TOKEN_STATE_LOCK',
      record: { where: 'variable OAUTH_REFRESH_TOKEN_STATE of octo/app', key: 'state-variable' },
      lockTtlMs: 30 * 60_000
    })
    expect(config.slices.github?.store).toEqual({
      secretName: 'OAUTH_REFRESH_TOKEN',
      stateVariable: 'OAUTH_REFRESH_TOKEN_STATE'
    })
    expect(config.publish.value).toBe('')
    expect(config.runId).toBe('run 77 attempt 2')
    expect(config.auditLogPath).toBe('/tmp/runner/token-rotation-audit-77.jsonl')
    expect(config.gracePeriodMs).toBe(15 * 60_000)
    expect(config.revokePrevious).toBe(false)
  })

  it('keeps issuer none as the plain publication of value', () => {
    const config = parse({ 'github-token': 'ghp_test', 'secret-name': 'API_TOKEN', value: 'v' })
    expect(config.issuer).toBe('none')
    expect(config.publish.value).toBe('v')
    expect(config.store).toBeUndefined()
  })

  it('asks for the refresh token and its secret, and refuses a value the issuer mints', () => {
    expect(
      problems({
        ...OAUTH2,
        'refresh-token': '',
        'refresh-token-secret': '',
        value: 'x'
      })
    ).toEqual([
      ['refresh-token-secret', expect.stringContaining('is required with issuer: oauth2')],
      ['value', expect.stringContaining('minted by the oauth2 issuer')],
      ['refresh-token', expect.stringContaining('secrets.OAUTH_REFRESH_TOKEN')]
    ])
  })

  it('refuses a refresh-token secret that the access token would overwrite', () => {
    expect(problems({ ...OAUTH2, 'refresh-token-secret': 'api_access_token' })).toEqual([
      ['refresh-token-secret', expect.stringContaining('the access token would overwrite')]
    ])
  })

  it('names the OAuth2 inputs given to issuer none', () => {
    expect(
      problems({ 'secret-name': 'API_TOKEN', value: 'v', 'github-token': 't', 'token-url': 'x' })
    ).toEqual([['token-url', expect.stringContaining('applies to issuer: oauth2 only')]])
  })

  it('makes revoke-previous prove the new value first and know what to revoke', () => {
    expect(problems({ ...OAUTH2, 'revoke-previous': 'true' })).toEqual([
      ['revoke-previous', expect.stringContaining('revocation-url')],
      ['revoke-previous', expect.stringContaining('needs a health check (health-check-url')],
      ['previous-value', expect.stringContaining('required by revoke-previous')]
    ])
  })

  it('needs a check and a value to check in mode verify', () => {
    expect(problems({ ...OAUTH2, mode: 'verify' })).toEqual([
      ['health-check-url', expect.stringContaining('required by mode: verify')],
      ['previous-value', expect.stringContaining('required by mode: verify')]
    ])
    const config = parse({
      ...OAUTH2,
      mode: 'verify',
      'health-check-url': 'https://api.example.com/me',
      'previous-value': 'at'
    })
    expect(config.previousValue).toBe('at')
  })

  it('takes a command as the check of mode verify, and of revoke-previous', () => {
    const config = parse({
      ...OAUTH2,
      mode: 'verify',
      'health-check-command': './scripts/check-token.sh',
      'previous-value': 'at'
    })
    expect(config.healthCheck).toEqual({
      kind: 'command',
      command: './scripts/check-token.sh',
      timeoutMs: 120_000
    })
    const revoking = parse({
      ...OAUTH2,
      'revoke-previous': 'true',
      'revocation-url': 'https://auth.example.com/revoke',
      'previous-value': 'at',
      'health-check-command': './scripts/check-token.sh'
    })
    expect(revoking.revokePrevious).toBe(true)
  })

  it('wants a lock that outlasts the run', () => {
    expect(problems({ ...OAUTH2, 'lock-expires-after': '1m' })).toEqual([
      ['lock-expires-after', expect.stringContaining('must be at least 7m')]
    ])
    expect(
      problems({
        ...OAUTH2,
        'health-check-url': 'https://api.example.com/me',
        'health-check-timeout': '10m',
        'lock-expires-after': '20m'
      })
    ).toEqual([['lock-expires-after', expect.stringContaining('must be at least 27m')]])
  })

  it('takes persist-timeout as the budget of the persist, and counts it in the lock', () => {
    expect(parse(OAUTH2).persistTimeoutMs).toBe(2 * 60_000)
    expect(parse({ ...OAUTH2, 'persist-timeout': '45s' }).persistTimeoutMs).toBe(45_000)
    expect(problems({ ...OAUTH2, 'persist-timeout': '5s' })).toEqual([
      ['persist-timeout', expect.stringContaining('must be at least 10s')]
    ])
    expect(problems({ ...OAUTH2, 'persist-timeout': 'a while' })).toEqual([
      ['persist-timeout', expect.stringContaining("'a while' is not a duration")]
    ])
    expect(problems({ ...OAUTH2, 'persist-timeout': '10m', 'lock-expires-after': '12m' })).toEqual([
      ['lock-expires-after', expect.stringContaining('must be at least 15m')]
    ])
  })

  it('reports every problem at once: mode, issuer, durations, the recovery key', () => {
    expect(
      problems({
        ...OAUTH2,
        mode: 'sometimes',
        'grace-period': 'soon',
        'recovery-public-key': 'not-a-key'
      }).map(([input]) => input)
    ).toEqual(['mode', 'recovery-public-key', 'grace-period'])
  })

  it('keeps the retiring secret only for a deferred revocation', () => {
    const base = {
      ...OAUTH2,
      'revocation-url': 'https://auth.example.com/oauth/revoke',
      'health-check-url': 'https://api.example.com/me',
      'previous-value': 'at-old',
      'revoke-previous': 'true'
    }
    expect(parse(base).retiringSecret).toBe('API_ACCESS_TOKEN_RETIRING')
    expect(parse({ ...base, 'grace-period': '0' }).retiringSecret).toBeUndefined()
  })
})

describe('rotate-before-expiry', () => {
  it('is read as a duration beside rotate-if-older-than', () => {
    const config = parse({
      ...OAUTH2,
      'rotate-if-older-than': '24h',
      'rotate-before-expiry': '1h'
    })
    expect(config.rotateIfOlderThanMs).toBe(24 * 3_600_000)
    expect(config.rotateBeforeExpiryMs).toBe(3_600_000)
    // Unset, it stays unset: the engine's default margin applies only with an interval.
    expect(parse(OAUTH2).rotateBeforeExpiryMs).toBeUndefined()
  })

  it('needs a rotation record, like rotate-if-older-than, and a duration', () => {
    const plainPublish = { 'github-token': 'ghp_test', 'secret-name': 'API_TOKEN', value: 'v' }
    expect(problems({ ...plainPublish, 'rotate-before-expiry': '1h' })).toEqual([
      [
        'rotate-before-expiry',
        'needs a rotation record; it applies to issuer: oauth2, aws-secrets-manager, vault-dynamic, gitlab-token or http'
      ]
    ])
    expect(problems({ ...OAUTH2, 'rotate-before-expiry': 'soon' })).toEqual([
      ['rotate-before-expiry', expect.stringMatching(/^'soon' is not a duration/)]
    ])
  })
})
