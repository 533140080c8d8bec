// `store: { kind: gitlab-variable }` in the configuration file: the credential, its record and its
// lock in variables of one project or group, with nothing of GitHub's needed when nothing targets
// GitHub (no github-token, no GITHUB_REPOSITORY), and each problem at its key path.
import { describe, expect, it } from '@jest/globals'
import { INPUT_DEFAULTS, readInputs, type RawInputs } from '../../../src/config/inputs.js'
import { loadConfigFile } from '../../../src/config/file/load.js'
import {
  parseActionConfig,
  reportParts,
  type ActionConfig,
  type ActionContext
} from '../../../src/config/rotation-config.js'
import { ConfigError } from '../../../src/errors.js'

const ENV = {
  GITLAB_TOKEN: 'glpat-admin-token-0123456789',
  PARTNER_REFRESH_TOKEN: 'partner-refresh-token-0123456789',
  CLIENT_SECRET: 'client-secret-0123456789'
}

type Outcome = { config: ActionConfig } | { problems: { path: string; message: string }[] }

function configure(text: string, context: ActionContext = {}, token = ''): Outcome[] {
  const file = loadConfigFile(text, 'rotation.yml', ENV)
  return file.credentials.map(credential => {
    const inputs = { 'github-token': token, ...credential.inputs }
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

const ISSUER = `{ kind: oauth2, token-url: https://auth.example.com/token, client-id: ci, client-secret: { env: CLIENT_SECRET }, refresh-token: { env: PARTNER_REFRESH_TOKEN } }`
const STORE = `{ kind: gitlab-variable, url: https://gitlab.example.com, token: { env: GITLAB_TOKEN }, project: acme/app, variable: PARTNER_REFRESH_TOKEN }`
const TARGET = `{ url: https://gitlab.example.com, token: { env: GITLAB_TOKEN }, project: acme/app, variable: PARTNER_ACCESS_TOKEN }`

describe('store: gitlab-variable', () => {
  it('needs neither a GitHub token nor GITHUB_REPOSITORY when nothing targets GitHub', () => {
    const config = configOf(
      configure(`version: 1
credentials:
  partner-oauth:
    issuer: ${ISSUER}
    store: ${STORE}
    publish:
      - gitlab: ${TARGET}
    health-check: { url: https://api.example.com/me }
`)[0]
    )
    expect(config.publish.token).toBe('')
    expect(config.refreshToken).toBe(ENV.PARTNER_REFRESH_TOKEN)
    expect(config.store).toMatchObject({
      kind: 'gitlab-variable',
      subject: 'PARTNER_REFRESH_TOKEN'
    })
    expect(config.store?.lockVariable).toBeUndefined()
    // Where its record lives, so two credentials of one file cannot share it.
    expect(config.store?.record).toEqual({
      where:
        'variable PARTNER_REFRESH_TOKEN_STATE of project acme/app at https://gitlab.example.com',
      key: 'state-variable'
    })
    expect(config.store?.repository).toBeUndefined()
    expect(config.slices.gitlab?.store).toEqual({
      url: 'https://gitlab.example.com',
      token: ENV.GITLAB_TOKEN,
      owner: { kind: 'project', path: 'acme/app' },
      variable: 'PARTNER_REFRESH_TOKEN',
      stateVariable: 'PARTNER_REFRESH_TOKEN_STATE',
      lockVariable: 'PARTNER_REFRESH_TOKEN_STATE_LOCK',
      protected: true
    })
    expect(reportParts(config).lines.join('\n')).toMatch(
      /masked, hidden variable PARTNER_REFRESH_TOKEN of project acme\/app .*record in variable PARTNER_REFRESH_TOKEN_STATE; one-writer lock: variable PARTNER_REFRESH_TOKEN_STATE_LOCK/
    )
  })

  it('takes a group, protected: false, and state-variable for the record', () => {
    const config = configOf(
      configure(`version: 1
credentials:
  partner-oauth:
    issuer: ${ISSUER}
    store: { kind: gitlab-variable, url: https://gitlab.example.com, token: { env: GITLAB_TOKEN }, group: acme, variable: PARTNER_REFRESH_TOKEN, protected: false, state-variable: PARTNER_RECORD }
    publish:
      - gitlab: ${TARGET}
`)[0]
    )
    expect(config.slices.gitlab?.store).toMatchObject({
      owner: { kind: 'group', path: 'acme' },
      stateVariable: 'PARTNER_RECORD',
      lockVariable: 'PARTNER_RECORD_LOCK',
      protected: false
    })
  })

  it('names each missing or wrong key where it is', () => {
    const problems = problemsOf(
      configure(`version: 1
credentials:
  partner-oauth:
    issuer: ${ISSUER}
    store: { kind: gitlab-variable, url: http://gitlab.example.com, project: acme/app, group: acme, variable: "PARTNER-TOKEN" }
    publish:
      - gitlab: ${TARGET}
`)[0]
    )
    const paths = problems.map(p => p.path)
    expect(paths).toEqual(
      expect.arrayContaining([
        'credentials.partner-oauth.store.url',
        'credentials.partner-oauth.store.token',
        'credentials.partner-oauth.store.project',
        'credentials.partner-oauth.store.variable'
      ])
    )
    expect(problems.find(p => p.path.endsWith('store.url'))?.message).toMatch(/https/)
  })

  it("still refuses the token issuer's keys given to another issuer", () => {
    const problems = problemsOf(
      configure(`version: 1
credentials:
  partner-oauth:
    issuer: { kind: oauth2, token-url: https://auth.example.com/token, client-id: ci, client-secret: { env: CLIENT_SECRET }, refresh-token: { env: PARTNER_REFRESH_TOKEN }, token-name: stray }
    store: ${STORE}
    publish:
      - gitlab: ${TARGET}
`)[0]
    )
    expect(problems).toEqual([
      {
        path: 'credentials.partner-oauth.issuer.token-name',
        message: 'applies to issuer: gitlab-token only; set issuer.kind: gitlab-token, or remove it'
      }
    ])
  })

  it('refuses an issuer that exchanges nothing: there is no credential to keep', () => {
    const problems = problemsOf(
      configure(`version: 1
credentials:
  plain:
    issuer: { kind: none, value: { env: GITLAB_TOKEN } }
    store: ${STORE}
    publish:
      - gitlab: ${TARGET}
`)[0]
    )
    expect(problems.map(p => p.message).join('\n')).toMatch(
      /gitlab-variable keeps a credential the issuer exchanges/
    )
  })
})
