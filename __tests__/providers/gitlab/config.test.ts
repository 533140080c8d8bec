// The GitLab provider's part of the configuration file: the gitlab-token issuer's keys and its
// strategies' rules, and `publish: - gitlab:` entries checked against GitLab's variable rules
// before anything is minted, each problem at its key path.
import { describe, expect, it } from '@jest/globals'
import { INPUT_DEFAULTS, readInputs, type RawInputs } from '../../../src/config/inputs.js'
import { loadConfigFile } from '../../../src/config/file/load.js'
import { parseActionConfig, type ActionConfig } from '../../../src/config/rotation-config.js'
import { ConfigError } from '../../../src/errors.js'
import { generateRecoveryKeyPair } from '../../../src/recovery/recovery-key.js'

const ENV = {
  GITLAB_TOKEN: 'glpat-admin-token-0123456789',
  GITLAB_WRITER: 'glpat-writer-token-0123456789',
  STATIC_VALUE: 'has a space'
}
const context = { repository: 'octo/app', apiUrl: 'https://api.github.com', runId: '1' }

type Outcome = { config: ActionConfig } | { problems: { path: string; message: string }[] }

function configure(text: string): Outcome[] {
  const file = loadConfigFile(text, 'rotation.yml', ENV)
  return file.credentials.map(credential => {
    const inputs = { 'github-token': 'ghp_test', ...credential.inputs }
    const raw: RawInputs = readInputs(name => inputs[name] ?? INPUT_DEFAULTS[name])
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
  })
}

function configOf(outcome: Outcome | undefined): ActionConfig {
  if (!outcome || !('config' in outcome)) throw new Error(JSON.stringify(outcome))
  return outcome.config
}

function problemsOf(outcome: Outcome | undefined): { path: string; message: string }[] {
  if (!outcome || !('problems' in outcome)) throw new Error('expected problems')
  return outcome.problems
}

const TARGET = `{ url: https://gitlab.example.com, token: { env: GITLAB_WRITER }, project: acme/app, variable: DEPLOY_TOKEN, environment-scope: production, hidden: true, protected: true }`

describe('the gitlab provider in the configuration file', () => {
  it('waits for disuse only as long as GitLab can tell: 10 minutes at least', () => {
    const file = (quiet: string) => `version: 1
credentials:
  deploy-token:
    issuer: { kind: gitlab-token, url: https://gitlab.example.com, project: acme/app, token-name: deploy-bot, token: { env: GITLAB_TOKEN } }
    store: { kind: github, secret: GITLAB_ADMIN_TOKEN }
    publish:
      - gitlab: ${TARGET}
    health-check: { url: https://gitlab.example.com/api/v4/personal_access_tokens/self }
    retire: { revoke-previous: true, grace-period: 15m, when-unused-for: ${quiet} }
`
    expect(problemsOf(configure(file('5m'))[0])).toEqual([
      {
        path: 'credentials.deploy-token.retire.when-unused-for',
        message:
          'must be 10m or longer: issuer gitlab-token may not show a use more recent than that, so a shorter quiet time would revoke a value still in use'
      }
    ])
    expect(configOf(configure(file('10m'))[0]).retireWhenUnusedForMs).toBe(600_000)
  })

  it('reads a create-then-revoke issuer and its variable targets, with the token as the input', () => {
    const config = configOf(
      configure(`version: 1
credentials:
  deploy-token:
    issuer: { kind: gitlab-token, url: https://gitlab.example.com/, project: acme/app, token-name: deploy-bot, token: { env: GITLAB_TOKEN }, expires-in: 30d }
    store: { kind: github, secret: GITLAB_ADMIN_TOKEN }
    publish:
      - gitlab: ${TARGET}
    health-check: { url: https://gitlab.example.com/api/v4/personal_access_tokens/self }
    retire: { revoke-previous: true, grace-period: 15m }
`)[0]
    )
    expect(config.issuer).toBe('gitlab-token')
    expect(config.refreshToken).toBe(ENV.GITLAB_TOKEN)
    expect(config.slices.gitlab).toEqual({
      issuer: {
        url: 'https://gitlab.example.com',
        owner: { kind: 'project', path: 'acme/app' },
        tokenName: 'deploy-bot',
        strategy: 'create-then-revoke',
        expiresInDays: 30
      },
      targets: [
        {
          url: 'https://gitlab.example.com',
          token: ENV.GITLAB_WRITER,
          owner: { kind: 'project', path: 'acme/app' },
          variable: 'DEPLOY_TOKEN',
          environmentScope: 'production',
          hidden: true,
          protected: true,
          index: 0
        }
      ]
    })
    // The record is kept in the GitHub store; GitHub writes no secret of its own here.
    expect(config.store?.kind).toBe('github')
    expect(config.publish.secretName).toBe('')
  })

  it('needs a recovery key for strategy rotate, and refuses revoke-previous there', async () => {
    const text = `version: 1
credentials:
  deploy-token:
    issuer: { kind: gitlab-token, url: https://gitlab.example.com, group: acme, token-name: deploy-bot, strategy: rotate, token: { env: GITLAB_TOKEN } }
    store: { kind: github, secret: GITLAB_DEPLOY_TOKEN }
    publish:
      - github: { secret: GITLAB_DEPLOY_TOKEN_COPY }
    health-check: { url: https://gitlab.example.com/api/v4/personal_access_tokens/self }
    retire: { revoke-previous: true }
`
    expect(problemsOf(configure(text)[0]).map(p => [p.path, p.message])).toEqual([
      [
        'credentials.deploy-token.recovery-public-key',
        expect.stringContaining('is required with issuer.strategy: rotate')
      ],
      [
        'credentials.deploy-token.retire.revoke-previous',
        expect.stringContaining('GitLab revokes the old token itself')
      ]
    ])
    const key = (await generateRecoveryKeyPair()).publicKey
    const fixed = text
      .replace('    retire: { revoke-previous: true }\n', '')
      .replace('    store:', `    recovery-public-key: "${key}"\n    store:`)
    expect(configOf(configure(fixed)[0]).slices.gitlab?.issuer?.strategy).toBe('rotate')
  })

  it('names a missing owner, token name and URL at their keys', () => {
    const problems = problemsOf(
      configure(`version: 1
credentials:
  deploy-token:
    issuer: { kind: gitlab-token, url: http://gitlab.example.com, token: { env: GITLAB_TOKEN }, expires-in: 2h }
    store: { kind: github, secret: GITLAB_ADMIN_TOKEN }
`)[0]
    )
    expect(problems.map(p => [p.path, p.message])).toEqual(
      expect.arrayContaining([
        ['credentials.deploy-token.issuer.url', expect.stringContaining('https')],
        ['credentials.deploy-token.issuer.project', expect.stringContaining('names no owner')],
        ['credentials.deploy-token.issuer.token-name', expect.stringContaining('is required')],
        ['credentials.deploy-token.issuer.expires-in', expect.stringContaining('at least 1d')]
      ])
    )
  })

  it('refuses before anything is minted a value GitLab cannot mask, and a bad key', () => {
    const problems = problemsOf(
      configure(`version: 1
credentials:
  plain:
    issuer: { kind: none, value: { env: STATIC_VALUE } }
    publish:
      - gitlab: { url: https://gitlab.example.com, token: { env: GITLAB_WRITER }, project: acme/app, variable: PLAIN }
      - gitlab: { url: https://gitlab.example.com, token: { env: GITLAB_WRITER }, group: acme, variable: BAD-KEY, masked: false, hidden: true }
`)[0]
    )
    expect(problems.map(p => [p.path, p.message])).toEqual([
      [
        'credentials.plain.publish[0].gitlab.variable',
        'GitLab cannot mask the value: the value holds whitespace, which GitLab cannot mask. Set masked: false, or publish a value GitLab can mask'
      ],
      [
        'credentials.plain.publish[1].gitlab.variable',
        expect.stringContaining('letters, digits and _')
      ],
      ['credentials.plain.publish[1].gitlab.hidden', expect.stringContaining('needs masked')]
    ])
    expect(JSON.stringify(problems)).not.toContain(ENV.STATIC_VALUE)
  })

  it('refuses the issuer keys where another issuer plays', () => {
    const problems = problemsOf(
      configure(`version: 1
credentials:
  plain:
    issuer: { kind: none, value: { env: GITLAB_WRITER }, token-name: deploy-bot }
    publish:
      - github: { secret: PLAIN }
`)[0]
    )
    expect(problems).toEqual([
      {
        path: 'credentials.plain.issuer.token-name',
        message: 'applies to issuer: gitlab-token only; set issuer.kind: gitlab-token, or remove it'
      }
    ])
  })
})
