// The configuration file read into flat inputs: pure, no file system and no servers.
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { looksLikeCredential } from '../../src/config/file/credential-like.js'
import { inFileWords, loadConfigFile, type ConfigFile } from '../../src/config/file/load.js'
import { configJsonSchema } from '../../src/config/file/schema.js'
import { ConfigFileError, type FileProblem } from '../../src/errors.js'

/** The example of docs/configuration-file.md (the issue's example). */
const EXAMPLE = `# yaml-language-server: $schema=../config.schema.json
version: 1
defaults:
  retire: { grace-period: 15m }
  alerts:
    after: 3
    webhook: { url: { env: ROTATION_WEBHOOK }, secret: { env: ROTATION_WEBHOOK_SECRET } }
credentials:
  partner-api:
    issuer:
      kind: oauth2
      token-url: https://auth.partner.example/oauth/token
      client-id: rotation-client
      client-secret: { env: PARTNER_CLIENT_SECRET }
      refresh-token: { env: PARTNER_REFRESH_TOKEN }
    store: { kind: github, secret: PARTNER_REFRESH_TOKEN }
    publish:
      - github: { secret: PARTNER_TOKEN, repositories: [acme/api, acme/web], environments: [prod] }
      - github:
          secret: PARTNER_TOKEN
          org: acme
          visibility: selected
          selected-repositories: [acme/api]
    health-check: { url: https://api.partner.example/me }
    schedule: { every: 24h }
  db-sync:
    issuer: { kind: none }
    store: { kind: aws-secrets-manager, secret-id: prod/db, region: eu-west-1 }
    publish:
      - github: { secret: DB_PASSWORD, field: password, repositories: [acme/api] }
`

const ENV = {
  ROTATION_WEBHOOK: 'https://hooks.example/services/T0/B0/webhook-path-token',
  ROTATION_WEBHOOK_SECRET: 'webhook-signing-key',
  PARTNER_CLIENT_SECRET: 'partner-client-secret-value',
  PARTNER_REFRESH_TOKEN: 'partner-refresh-token-value',
  VALUE: 'plain-value',
  OTHER_VALUE: 'other-plain-value'
}

type Env = Readonly<Record<string, string | undefined>>

function load(text: string, env: Env = ENV, selected: string[] = []): ConfigFile {
  return loadConfigFile(text, 'rotation.yml', env, selected)
}

/** The ConfigFileError the file is refused with. */
function refusal(text: string, env: Env = ENV, selected: string[] = []): ConfigFileError {
  try {
    load(text, env, selected)
  } catch (error) {
    if (error instanceof ConfigFileError) return error
    throw error
  }
  throw new Error('expected a ConfigFileError')
}

function problems(text: string, env: Env = ENV, selected: string[] = []): FileProblem[] {
  return [...refusal(text, env, selected).problems]
}

/** The 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split('\n')
  const index = lines.findIndex((line, i) => i >= from && line.includes(needle))
  if (index < 0) throw new Error(`no line contains ${needle}`)
  return index + 1
}

/** A file of one plain-publish credential `a`, with `extra` lines added to it. */
function plain(extra = '', issuer = ''): string {
  return `version: 1
credentials:
  a:
    issuer:
      kind: none
      value: { env: VALUE }${issuer}
    publish:
      - github: { secret: A_SECRET, repositories: [acme/api] }
${extra}`
}

describe('loadConfigFile: the example file', () => {
  it('maps each credential to its flat inputs, publish entries merged into one set of targets', () => {
    const file = load(EXAMPLE)
    expect(file.source).toBe('rotation.yml')
    expect(file.credentials.map(c => c.id)).toEqual(['partner-api', 'db-sync'])
    const [partner, db] = file.credentials
    expect(partner?.inputs).toEqual({
      issuer: 'oauth2',
      'token-url': 'https://auth.partner.example/oauth/token',
      'client-id': 'rotation-client',
      'client-secret': ENV.PARTNER_CLIENT_SECRET,
      'refresh-token': ENV.PARTNER_REFRESH_TOKEN,
      store: 'github',
      'refresh-token-secret': 'PARTNER_REFRESH_TOKEN',
      'health-check-url': 'https://api.partner.example/me',
      'rotate-if-older-than': '24h',
      'grace-period': '15m',
      'alert-after': '3',
      // Two entries for one secret: repositories with an environment, and an org secret.
      'secret-name': 'PARTNER_TOKEN',
      repositories: 'acme/api, acme/web',
      environment: 'prod',
      org: 'acme',
      visibility: 'selected',
      'selected-repositories': 'acme/api'
    })
    expect(db?.inputs).toEqual({
      issuer: 'none',
      store: 'aws-secrets-manager',
      'store-secret-id': 'prod/db',
      'aws-region': 'eu-west-1',
      'grace-period': '15m',
      'alert-after': '3',
      repositories: 'acme/api',
      'secret-fields': 'DB_PASSWORD=password'
    })
  })

  it("reads the webhook from the environment, and lists every value read there as the credential's secrets", () => {
    const [partner, db] = load(EXAMPLE).credentials
    const webhook = { url: ENV.ROTATION_WEBHOOK, secret: ENV.ROTATION_WEBHOOK_SECRET }
    expect(partner?.webhook).toEqual(webhook)
    expect(db?.webhook).toEqual(webhook)
    expect([...(partner?.secrets ?? [])].sort()).toEqual(
      [
        ENV.PARTNER_CLIENT_SECRET,
        ENV.PARTNER_REFRESH_TOKEN,
        ENV.ROTATION_WEBHOOK,
        ENV.ROTATION_WEBHOOK_SECRET
      ].sort()
    )
    expect([...(db?.secrets ?? [])].sort()).toEqual(
      [ENV.ROTATION_WEBHOOK, ENV.ROTATION_WEBHOOK_SECRET].sort()
    )
  })

  it('a webhook without a signing secret is a URL alone', () => {
    const file = plain('    alerts: { after: 1, webhook: { url: { env: ROTATION_WEBHOOK } } }\n')
    const [a] = load(file).credentials
    expect(a?.webhook).toEqual({ url: ENV.ROTATION_WEBHOOK })
    expect(a?.secrets).toContain(ENV.ROTATION_WEBHOOK)
    expect(a?.inputs['alert-after']).toBe('1')
  })

  it('locates each input at the key that set it, in the credential or in the defaults', () => {
    const [partner] = load(EXAMPLE).credentials
    expect(partner?.locate('client-secret')).toEqual({
      path: 'credentials.partner-api.issuer.client-secret',
      line: lineOf(EXAMPLE, 'client-secret:')
    })
    expect(partner?.locate('grace-period')).toEqual({
      path: 'defaults.retire.grace-period',
      line: lineOf(EXAMPLE, 'grace-period')
    })
    expect(partner?.locate('org')).toEqual({
      path: 'credentials.partner-api.publish[1].github.org',
      line: lineOf(EXAMPLE, 'org: acme')
    })
    // Not set: the key that would set it, at the credential's line.
    expect(partner?.locate('scope')).toEqual({
      path: 'credentials.partner-api.issuer.scope',
      line: lineOf(EXAMPLE, 'partner-api:')
    })
  })
})

describe('loadConfigFile: defaults', () => {
  const file = `version: 1
defaults:
  issuer:
    kind: oauth2
    token-url: https://auth.example/token
    client-id: default-client
  health-check: { url: https://api.example/me, timeout: 5s }
  publish:
    - github: { secret: DEFAULT_SECRET, repositories: [acme/default], environments: [prod] }
credentials:
  own-publish:
    issuer:
      client-id: own-client
      refresh-token: { env: VALUE }
    health-check: { timeout: 9s }
    publish:
      - github: { secret: OWN_SECRET, repositories: [acme/own] }
  inherits:
    issuer: { refresh-token: { env: OTHER_VALUE } }
`

  it("merges the defaults under each credential, key by key: the credential's own key wins", () => {
    const [own, inherits] = load(file).credentials
    expect(own?.inputs).toMatchObject({
      issuer: 'oauth2',
      'token-url': 'https://auth.example/token',
      'client-id': 'own-client',
      'refresh-token': ENV.VALUE,
      'health-check-url': 'https://api.example/me',
      'health-check-timeout': '9s'
    })
    expect(inherits?.inputs).toMatchObject({
      issuer: 'oauth2',
      'client-id': 'default-client',
      'refresh-token': ENV.OTHER_VALUE,
      'health-check-timeout': '5s'
    })
  })

  it("replaces the default publish list with the credential's own, never merging them", () => {
    const [own, inherits] = load(file).credentials
    expect(own?.inputs['secret-name']).toBe('OWN_SECRET')
    expect(own?.inputs.repositories).toBe('acme/own')
    expect(own?.inputs).not.toHaveProperty('environment')
    expect(inherits?.inputs).toMatchObject({
      'secret-name': 'DEFAULT_SECRET',
      repositories: 'acme/default',
      environment: 'prod'
    })
    expect(inherits?.locate('repositories').path).toBe('defaults.publish[0].github.repositories')
  })
})

describe('loadConfigFile: problems of the file', () => {
  it('refuses a duplicate credential with one problem at its line', () => {
    const file = `${plain()}  a:\n    issuer: { kind: none, value: { env: OTHER_VALUE } }\n`
    const found = problems(file)
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({
      line: lineOf(file, '  a:', lineOf(file, '  a:')),
      message: expect.stringMatching(/^not valid YAML: .*unique/)
    })
  })

  it('names an unknown key by its path and line, wherever it is', () => {
    const file =
      `${plain('    helth-check: { url: https://api.example/me }\n', '\n      tokn-url: https://auth.example/token')}credential: {}\n`
        .replace('repositories: [acme/api]', 'repository: acme/api')
        .replace('version: 1\n', 'version: 1\ndefaults:\n  store: { knd: github }\n')
    expect(problems(file)).toEqual([
      {
        path: 'defaults.store.knd',
        line: lineOf(file, 'knd:'),
        message: 'is not a key here; see config.schema.json'
      },
      {
        path: 'credentials.a.issuer.tokn-url',
        line: lineOf(file, 'tokn-url'),
        message: 'is not a key here; see config.schema.json'
      },
      {
        path: 'credentials.a.publish[0].github.repository',
        line: lineOf(file, 'repository:'),
        message: 'is not a key here; see config.schema.json'
      },
      {
        path: 'credentials.a.helth-check',
        line: lineOf(file, 'helth-check'),
        message: 'is not a key here; see config.schema.json'
      },
      {
        path: 'credential',
        line: lineOf(file, 'credential:'),
        message: 'is not a key here; see config.schema.json'
      }
    ])
  })

  it("gives the key's own line when its value is a block below it", () => {
    const file = plain('    helth-check:\n      url: https://api.example/me\n')
    expect(problems(file)).toEqual([
      {
        path: 'credentials.a.helth-check',
        line: lineOf(file, 'helth-check:'),
        message: 'is not a key here; see config.schema.json'
      }
    ])
    expect(load(plain()).credentials[0]?.locate('scope')).toEqual({
      path: 'credentials.a.issuer.scope',
      line: 3
    })
  })

  it('refuses a literal where a secret belongs, without repeating it', () => {
    const file = plain().replace('value: { env: VALUE }', 'value: hunter2-literal')
    const error = refusal(file)
    expect(error.problems).toEqual([
      {
        path: 'credentials.a.issuer.value',
        line: lineOf(file, 'hunter2-literal'),
        message: expect.stringMatching(/^a secret must be \{ env: NAME \}/)
      }
    ])
    expect(error.message).toBe(
      `rotation.yml:${String(lineOf(file, 'hunter2-literal'))}: credentials.a.issuer.value: a secret must be { env: NAME }: secrets are never written in the file`
    )
  })

  it('refuses an environment variable name that is not one', () => {
    const file = plain().replace('{ env: VALUE }', '{ env: 1-VALUE }')
    expect(problems(file)).toEqual([
      {
        path: 'credentials.a.issuer.value.env',
        line: lineOf(file, '1-VALUE'),
        message: expect.stringContaining('an environment variable name')
      }
    ])
  })

  it('refuses a credential id that is not lower-case words joined by single hyphens', () => {
    for (const id of ['Partner_API', 'partner--api', '-partner']) {
      const file = plain().replace('  a:', `  ${id}:`)
      expect(problems(file)).toContainEqual({
        path: `credentials.${id}`,
        line: lineOf(file, `${id}:`),
        message: 'is not a credential id: lower-case letters, digits and single hyphens'
      })
    }
  })

  it('refuses version 2, naming the only version', () => {
    const file = plain().replace('version: 1', 'version: 2')
    expect(problems(file)).toEqual([
      { path: 'version', line: 1, message: 'must be 1, the only version of this file so far' }
    ])
  })

  it('refuses an empty file, a file of comments only, and a file without credentials', () => {
    for (const empty of ['', '\n', '# nothing yet\n']) {
      expect(problems(empty)).toEqual([
        {
          path: '',
          message: 'is empty: it needs version: 1 and credentials; see config.schema.json'
        }
      ])
    }
    expect(problems('version: 1\ncredentials: {}\n')).toEqual([
      { path: 'credentials', line: 2, message: 'lists no credential' }
    ])
    expect(problems('version: 1\n').map(p => p.path)).toEqual(['credentials'])
    expect(problems('- version: 1\n')).toHaveLength(1)
  })

  it('reports YAML that does not parse at its line, without quoting the file', () => {
    const file = plain().replace('kind: none', 'kind: [none')
    const [problem, ...others] = problems(file)
    expect(others).toEqual([])
    expect(problem?.message).toMatch(/^not valid YAML: /)
    expect(problem?.message).not.toContain('\n')
    expect(problem?.line).toBeGreaterThanOrEqual(lineOf(file, '[none'))
  })

  it('says a key is required, or empty, in the words of the file', () => {
    const file = plain(
      '    store:\n    alerts: { webhook: { secret: { env: VALUE } } }\n',
      '\n      client-secret: {}'
    ).replace('- github: { secret: A_SECRET, repositories: [acme/api] }', '- {}')
    expect(problems(file)).toEqual([
      {
        path: 'credentials.a.issuer.client-secret.env',
        line: lineOf(file, 'client-secret'),
        message: 'is required'
      },
      {
        path: 'credentials.a.publish[0]',
        line: lineOf(file, '- {}'),
        message: 'names one target: github:, or vault:, or gitlab:'
      },
      {
        path: 'credentials.a.store',
        line: lineOf(file, 'store:'),
        message: 'is empty: it must be a mapping of keys'
      },
      {
        path: 'credentials.a.alerts.webhook.url',
        line: lineOf(file, 'webhook:'),
        message: 'is required'
      }
    ])
    expect(problems('version: 1\n')).toEqual([{ path: 'credentials', message: 'is required' }])
  })

  it('says what a value of the wrong kind must be, without quoting it', () => {
    const file = `version: 1
credentials:
  a:
    issuer: { kind: saml, client-id: 81234567 }
    publish:
      - github: { secret: A_SECRET, repositories: [acme/api, 4711], type: codespaces }
    retire: { revoke-previous: 'yes' }
    alerts: { after: -1 }
  b: [issuer]
`
    expect(problems(file).map(p => `${p.path}: ${p.message}`)).toEqual([
      'credentials.a.issuer.kind: must be one of oauth2, aws-secrets-manager, vault-dynamic, gitlab-token, http or none',
      'credentials.a.issuer.client-id: must be text, not a number: put it in quotes',
      'credentials.a.publish[0].github.repositories: item [1] must be text, not a number: put it in quotes',
      'credentials.a.publish[0].github.type: must be one of actions or dependabot',
      'credentials.a.retire.revoke-previous: must be true or false, not text',
      'credentials.a.alerts.after: must be 0 or more',
      'credentials.b: must be a mapping of keys, not a list'
    ])
    const error = refusal(file)
    for (const value of ['saml', '81234567', '4711', 'codespaces']) {
      expect(error.message).not.toContain(value)
    }
    expect(error.message).not.toMatch(/Invalid input|expected|received/)
  })

  it('reports every problem at once, sorted by line', () => {
    const file = `version: 3
credentials:
  a:
    issuer:
      kind: none
      value: literal-value
  b:
    issuer: { kind: none, value: { env: UNSET_VALUE } }
    publish:
      - github: { secret: B_SECRET, repositories: [acme/api] }
  c:
    issuer: { kind: none, value: { env: VALUE } }
    store: { secret-id: ghp_abcdefghijklmnopqrstuvwxyz0123456789 }
    publish:
      - github: { secret: C_SECRET, repos: [acme/api] }
`
    const error = refusal(file)
    expect(error.problems.map(p => [p.line, p.path])).toEqual([
      [1, 'version'],
      [6, 'credentials.a.issuer.value'],
      [8, 'credentials.b.issuer.value'],
      [13, 'credentials.c.store.secret-id'],
      [15, 'credentials.c.publish[0].github.repos']
    ])
    expect(error.message.split('\n')).toEqual([
      '5 problems in rotation.yml:',
      ...error.problems.map(p => `- rotation.yml:${String(p.line)}: ${p.path}: ${p.message}`)
    ])
    expect(error.message).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789')
  })
})

describe('loadConfigFile: schedule', () => {
  const file = `version: 1
defaults:
  schedule:
    every: 24h
    windows:
      - { cron: "0 2 * * 1-5", duration: 3h }
credentials:
  nightly:
    issuer: { kind: none, value: { env: VALUE } }
    publish:
      - github: { secret: A_SECRET, repositories: [acme/api] }
    schedule:
      before-expiry: 1h
      windows:
        - cron: "0 22 * * *"
          duration: 4h
        - { cron: " 30 10  * * 0,6 ", duration: 90m }
  weekdays:
    issuer: { kind: none, value: { env: OTHER_VALUE } }
    publish:
      - github: { secret: B_SECRET, repositories: [acme/api] }
`

  it('maps every and before-expiry to their flat inputs, and reads the windows apart', () => {
    const [nightly, weekdays] = load(file).credentials
    expect(nightly?.inputs).toMatchObject({
      'rotate-if-older-than': '24h',
      'rotate-before-expiry': '1h'
    })
    expect(nightly?.locate('rotate-before-expiry')).toEqual({
      path: 'credentials.nightly.schedule.before-expiry',
      line: lineOf(file, 'before-expiry:')
    })
    // A credential's own windows replace the default ones, as its own publish list does.
    expect(nightly?.windows).toEqual([
      { cron: '0 22 * * *', duration: '4h', durationMs: 4 * 3_600_000 },
      { cron: '30 10  * * 0,6', duration: '90m', durationMs: 90 * 60_000 }
    ])
    expect(weekdays?.windows).toEqual([
      { cron: '0 2 * * 1-5', duration: '3h', durationMs: 3 * 3_600_000 }
    ])
    expect(weekdays?.inputs).not.toHaveProperty('rotate-before-expiry')
    expect(load(plain()).credentials[0]?.windows).toBeUndefined()
  })

  it('refuses a window whose cron does not parse, naming the file, its line and key path', () => {
    const bad = file.replace('cron: "0 22 * * *"', 'cron: "0 25 * * *"')
    const error = refusal(bad)
    const line = lineOf(bad, '0 25 * * *')
    expect(error.problems).toEqual([
      {
        path: 'credentials.nightly.schedule.windows[0].cron',
        line,
        message: expect.stringMatching(/^is not a cron expression \(.*0-23.*\); use five fields/)
      }
    ])
    expect(error.message).toMatch(
      new RegExp(
        `^rotation\\.yml:${String(line)}: credentials\\.nightly\\.schedule\\.windows\\[0\\]\\.cron: is not a cron expression`
      )
    )
  })

  it('refuses a cron of six fields, a duration that is none, an empty list and a stray key', () => {
    const bad = file
      .replace('cron: "0 2 * * 1-5", duration: 3h', 'cron: "0 0 2 * * 1-5", duration: 0s')
      .replace('duration: 90m', 'duration: 90m, timezone: Europe/Paris')
      .replace('credentials:\n', 'credentials:\n  empty:\n    schedule: { windows: [] }\n')
    expect(problems(bad)).toEqual([
      {
        path: 'defaults.schedule.windows[0].cron',
        line: lineOf(bad, '0 0 2 * * 1-5'),
        message: expect.stringMatching(/^is not a cron expression of five fields in UTC/)
      },
      {
        path: 'defaults.schedule.windows[0].duration',
        line: lineOf(bad, '0 0 2 * * 1-5'),
        message: expect.stringMatching(/^'0s' is not a duration longer than zero/)
      },
      {
        path: 'credentials.empty.schedule.windows',
        line: lineOf(bad, 'windows: []'),
        message: 'lists no window: remove windows to rotate at any time'
      },
      {
        path: 'credentials.nightly.schedule.windows[1].timezone',
        line: lineOf(bad, 'timezone'),
        message: 'is not a key here; see config.schema.json'
      }
    ])
  })

  it('is in the JSON Schema that editors complete the file with', () => {
    const schema = JSON.stringify(configJsonSchema())
    expect(schema).toContain('"before-expiry"')
    expect(schema).toContain('"windows"')
  })
})

describe('loadConfigFile: the environment', () => {
  const two = `version: 1
credentials:
  a:
    issuer: { kind: none, value: { env: A_VALUE } }
    publish: [{ github: { secret: A_SECRET, repositories: [acme/api] } }]
  b:
    issuer: { kind: none, value: { env: B_VALUE } }
    publish: [{ github: { secret: B_SECRET, repositories: [acme/api] } }]
`

  it('names an unset or empty variable, with how to map it into the step', () => {
    expect(problems(two, { A_VALUE: '' })).toEqual([
      {
        path: 'credentials.a.issuer.value',
        line: 4,
        message:
          "the environment variable A_VALUE is not set: map the secret into the step's env (A_VALUE: ${{ secrets.A_VALUE }})"
      },
      {
        path: 'credentials.b.issuer.value',
        line: 7,
        message: expect.stringContaining('B_VALUE is not set')
      }
    ])
  })

  it('needs the variables of the selected credentials only', () => {
    const file = load(two, { B_VALUE: 'b-value' }, ['b'])
    // Every credential of the file is listed; only the selected one read its secrets.
    expect(file.credentials.map(c => c.id)).toEqual(['a', 'b'])
    expect(file.credentials[0]?.inputs).not.toHaveProperty('value')
    expect(file.credentials[0]?.secrets).toEqual([])
    expect(file.credentials[1]?.inputs.value).toBe('b-value')
    expect(problems(two, { B_VALUE: 'b-value' }, ['a']).map(p => p.path)).toEqual([
      'credentials.a.issuer.value'
    ])
    // Also when another part of the file is invalid.
    const broken = two.replace('version: 1', 'version: 2')
    expect(problems(broken, {}, ['b']).map(p => p.path)).toEqual([
      'version',
      'credentials.b.issuer.value'
    ])
  })

  it('reads a webhook only for the credentials that run', () => {
    const file = `${two}defaults:\n  alerts: { webhook: { url: { env: HOOK } } }\n`
    // Once, although both credentials read it.
    expect(problems(file, { A_VALUE: 'a', B_VALUE: 'b' })).toEqual([
      {
        path: 'defaults.alerts.webhook.url',
        line: lineOf(file, 'webhook'),
        message: expect.stringContaining('HOOK is not set')
      }
    ])
    const [a, b] = load(file, { A_VALUE: 'a', HOOK: 'https://hooks.example/x' }, ['a']).credentials
    expect(a?.webhook).toEqual({ url: 'https://hooks.example/x' })
    expect(b?.webhook).toBeUndefined()
  })
})

describe('loadConfigFile: publish entries', () => {
  function publishing(entries: string): string {
    return plain().replace(
      '      - github: { secret: A_SECRET, repositories: [acme/api] }\n',
      entries
    )
  }

  it('writes fields each under its own name, beside the whole value', () => {
    const file =
      publishing(`      - github: { secret: DB_PASSWORD, field: password, repositories: [acme/api] }
      - github: { secret: DB_USER, field: username }
      - github: { secret: DB_JSON, repositories: acme/web, type: dependabot }
`)
    expect(load(file).credentials[0]?.inputs).toMatchObject({
      'secret-name': 'DB_JSON',
      'secret-fields': 'DB_PASSWORD=password, DB_USER=username',
      repositories: 'acme/api, acme/web',
      'secret-type': 'dependabot'
    })
  })

  it('refuses two whole-value entries under different names, naming both', () => {
    const file = publishing(`      - github: { secret: FIRST, repositories: [acme/api] }
      - github: { secret: SECOND, repositories: [acme/web] }
`)
    expect(problems(file)).toEqual([
      {
        path: 'credentials.a.publish[1].github.secret',
        line: lineOf(file, 'SECOND'),
        message: expect.stringContaining('is not FIRST (credentials.a.publish[0].github.secret)')
      }
    ])
  })

  it('refuses entries with repositories that name different environments, naming both', () => {
    const file =
      publishing(`      - github: { secret: S, repositories: [acme/api], environments: [prod] }
      - github: { secret: S, repositories: [acme/web], environments: [staging] }
      - github: { secret: S, repositories: [acme/ops] }
`)
    const found = problems(file)
    expect(found.map(p => [p.path, p.line])).toEqual([
      ['credentials.a.publish[1].github.environments', lineOf(file, 'staging')],
      ['credentials.a.publish[2].github.environments', lineOf(file, 'acme/ops')]
    ])
    for (const problem of found) {
      expect(problem.message).toContain('differ from credentials.a.publish[0].github.environments')
    }
  })

  it('refuses entries with different organizations or visibilities, naming both', () => {
    const file = publishing(`      - github: { secret: S, org: acme, visibility: private }
      - github: { secret: S, org: other, visibility: all }
`)
    expect(problems(file)).toEqual([
      {
        path: 'credentials.a.publish[1].github.org',
        line: lineOf(file, 'org: other'),
        message: expect.stringContaining('is not acme (credentials.a.publish[0].github.org)')
      },
      {
        path: 'credentials.a.publish[1].github.visibility',
        line: lineOf(file, 'org: other'),
        message: expect.stringContaining(
          'is not private (credentials.a.publish[0].github.visibility)'
        )
      }
    ])
  })

  it('needs the name of the secret in every entry', () => {
    const file = publishing('      - github: { repositories: [acme/api] }\n')
    expect(problems(file)).toEqual([
      {
        path: 'credentials.a.publish[0].github.secret',
        line: lineOf(file, 'github: { repositories'),
        message: 'is required: the name of the secret to write'
      }
    ])
  })
})

describe('pasted credentials', () => {
  const TOKENS: [string, string][] = [
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'a GitHub token'],
    ['ghs_16C7e42F292c6912E7710c838347Ae178B4a', 'a GitHub token'],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF', 'a GitHub token'],
    ['glpat-abcdefghij0123456789', 'a GitLab token'],
    ['AKIAIOSFODNN7EXAMPLE', 'an AWS access key id'],
    ['hvs.CAESIJabcdefghijklmnopqrstuvwxyz0123', 'a Vault token'],
    [
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'a JSON Web Token'
    ],
    ['kC8vN3qZ7xR2mT9pL4wY6bH1jF5gD0sA', 'a long random-looking string']
  ]

  it.each(TOKENS)(
    'refuses %s in a text key, with its key path and without repeating it',
    (token, what) => {
      const file = plain('', `\n      client-id: "${token}"`)
      const error = refusal(file)
      expect(error.problems).toEqual([
        {
          path: 'credentials.a.issuer.client-id',
          line: lineOf(file, 'client-id'),
          message: `looks like a credential (${what}): never write one in the file; put it in a secret and refer to it with { env: NAME }`
        }
      ])
      expect(error.message).not.toContain(token)
    }
  )

  it('maps health-check.command and its timeout to their flat inputs', () => {
    const file = plain(`    health-check: { command: ./scripts/db-login.sh --quiet, timeout: 30s }
`)
    expect(load(file).credentials[0]?.inputs).toMatchObject({
      'health-check-command': './scripts/db-login.sh --quiet',
      'health-check-timeout': '30s'
    })
  })

  it('finds a known prefix anywhere in a value: a header, a URL, a list', () => {
    const file = `${plain(`    health-check:
      header: "Authorization: Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789"
      url: https://api.example/me?token=glpat-abcdefghij0123456789
`)}defaults:
  publish:
    - github: { secret: S, repositories: [acme/api, "AKIAIOSFODNN7EXAMPLE"] }
`
    const error = refusal(file)
    expect(error.problems.map(p => [p.path, p.line])).toEqual([
      ['credentials.a.health-check.header', lineOf(file, 'header:')],
      ['credentials.a.health-check.url', lineOf(file, 'url:')],
      ['defaults.publish[0].github.repositories[1]', lineOf(file, 'AKIA')]
    ])
    for (const secret of ['ghp_abcdef', 'glpat-abcdef', 'AKIAIOSFODNN7EXAMPLE'])
      expect(error.message).not.toContain(secret)
  })

  it('refuses a credential pasted as a key, naming only where it is', () => {
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'
    const file = plain().replace('{ env: VALUE }', `{ ${token} }`)
    const error = refusal(file)
    expect(error.problems).toContainEqual({
      path: 'credentials.a.issuer.value',
      line: lineOf(file, token),
      message: expect.stringContaining('has a key that looks like a credential (a GitHub token)')
    })
    expect(error.message).not.toContain(token)
    const asId = `${plain()}  ${token}:\n    issuer: { kind: none }\n`
    expect(refusal(asId).message).not.toContain(token)
    const validId = `${plain()}  glpat-abcdefghij0123456789:\n    issuer: { kind: none }\n`
    expect(problems(validId)).toEqual([
      {
        path: 'credentials',
        line: 2,
        message: expect.stringContaining('has a key that looks like a credential (a GitLab token)')
      }
    ])
  })

  it('takes random-looking public keys and certificates as they are', () => {
    const random = 'MCowBQYDK2VuAyEA3p7bG9kV4xN2qR8sT1wY6zL0mH5jC7fD9aE3uI2oP4k='
    expect(looksLikeCredential(random)).toBe('a long random-looking string')
    const file = `${plain(`    recovery-public-key: ${random}\n`, `\n      ca-certificate: ${random}`)}defaults:\n  recovery-public-key: ${random}\n`
    const [a] = load(file).credentials
    expect(a?.inputs['recovery-public-key']).toBe(random)
    expect(a?.inputs['ca-certificate']).toBe(random)
    expect(problems(plain('', `\n      scope: ${random}`)).map(p => p.path)).toEqual([
      'credentials.a.issuer.scope'
    ])
  })

  it('takes ids, URLs and names that are not credentials', () => {
    const file = plain(
      '    store: { kind: github, secret: PARTNER_API_REFRESH_TOKEN_FOR_PRODUCTION_2024 }\n',
      `
      client-id: 9b2f0c1e-6a3d-4e5f-8a7b-1c2d3e4f5a6b
      token-url: https://login.example.com/9b2f0c1e-6a3d-4e5f-8a7b-1c2d3e4f5a6b/oauth2/v2.0/token?x=1
      scope: api://partner_api_refresh_token_production_eu_west_1/.default offline_access`
    )
    expect(load(file).credentials[0]?.inputs).toMatchObject({
      'client-id': '9b2f0c1e-6a3d-4e5f-8a7b-1c2d3e4f5a6b',
      'refresh-token-secret': 'PARTNER_API_REFRESH_TOKEN_FOR_PRODUCTION_2024'
    })
  })
})

describe('inFileWords', () => {
  it("gives a flat input's advice in the file's words: { env: NAME }, not a workflow expression", () => {
    expect(
      inFileWords(
        'is required to rotate: pass the secret that holds it, e.g. refresh-token: ${{ secrets.OAUTH_REFRESH_TOKEN }}'
      )
    ).toBe(
      'is required to rotate: pass the secret that holds it, e.g. refresh-token: { env: OAUTH_REFRESH_TOKEN }'
    )
    expect(inFileWords('must be a duration')).toBe('must be a duration')
  })
})

describe('looksLikeCredential', () => {
  it.each([
    'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    'gho_abcdefghijklmnopqrstuvwxyz0123456789',
    'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
    'glpat-abcdefghij0123456789',
    'AKIAIOSFODNN7EXAMPLE',
    'ASIAIOSFODNN7EXAMPLE',
    'hvs.CAESIJabcdefghijklmnopqrstuvwxyz0123',
    'xoxb-1234567890-abcdefghij',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.signature',
    'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.signature',
    'X-Api-Key: ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    'https://api.example/?access_token=glpat-abcdefghij0123456789',
    '  ghp_abcdefghijklmnopqrstuvwxyz0123456789\n',
    '0123456789abcdef'.repeat(4),
    'kC8vN3qZ7xR2mT9pL4wY6bH1jF5gD0sA'
  ])('takes %j for a credential', value => {
    expect(looksLikeCredential(value)).toEqual(expect.any(String))
  })

  it.each([
    '9b2f0c1e-6a3d-4e5f-8a7b-1c2d3e4f5a6b',
    'https://auth.partner.example/oauth/token',
    'https://login.example.com/9b2f0c1e-6a3d-4e5f-8a7b-1c2d3e4f5a6b/oauth2/v2.0/token',
    'PARTNER_API_REFRESH_TOKEN_FOR_PRODUCTION_2024',
    'partner_api_refresh_token_production_eu_west_1',
    'partner-api-refresh-token-production-eu-west-1',
    'deploy_ghp_abcdefghijklmnopqrstuvwxyz',
    'NOT_AKIAIOSFODNN7EXAMPLE',
    'Authorization: Bearer <token>',
    'rotation-client',
    'acme/api',
    '24h',
    'ghp_short',
    '0123456789abcdef0123456789abcdef01234567'
  ])('takes %j for something else', value => {
    expect(looksLikeCredential(value)).toBeUndefined()
  })
})

describe('configJsonSchema', () => {
  type Schema = Record<string, unknown>

  /** The keywords zod writes, checked as JSON Schema 2020-12 defines them: enough for the file. */
  function validate(schema: Schema, value: unknown, at = '$'): string[] {
    const errors: string[] = []
    const fail = (what: string) => errors.push(`${at}: ${what}`)
    const type = schema.type
    const typeOf = (v: unknown): string =>
      v === null
        ? 'null'
        : Array.isArray(v)
          ? 'array'
          : typeof v === 'number' && Number.isInteger(v)
            ? 'integer'
            : typeof v
    if (typeof type === 'string') {
      const actual = typeOf(value)
      if (!(actual === type || (type === 'number' && actual === 'integer'))) {
        fail(`is ${actual}, not ${type}`)
        return errors
      }
    }
    if ('const' in schema && schema.const !== value) fail('is not the const')
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) fail('is not in the enum')
    if (typeof schema.pattern === 'string' && typeof value === 'string') {
      if (!new RegExp(schema.pattern, 'u').test(value)) fail(`does not match ${schema.pattern}`)
    }
    if (typeof schema.minimum === 'number' && typeof value === 'number') {
      if (value < schema.minimum) fail('is below the minimum')
    }
    if (Array.isArray(schema.anyOf)) {
      const options = schema.anyOf as Schema[]
      if (!options.some(option => validate(option, value, at).length === 0)) fail('fits no anyOf')
    }
    if (Array.isArray(value) && typeof schema.items === 'object') {
      value.forEach((item, i) =>
        errors.push(...validate(schema.items as Schema, item, `${at}[${String(i)}]`))
      )
    }
    if (typeOf(value) === 'object') {
      const object = value as Record<string, unknown>
      const properties = (schema.properties ?? {}) as Record<string, Schema>
      for (const name of (schema.required ?? []) as string[]) {
        if (!(name in object)) fail(`lacks ${name}`)
      }
      const size = Object.keys(object).length
      if (typeof schema.minProperties === 'number' && size < schema.minProperties) {
        fail('has too few keys')
      }
      if (typeof schema.maxProperties === 'number' && size > schema.maxProperties) {
        fail('has too many keys')
      }
      for (const [name, item] of Object.entries(object)) {
        const names = schema.propertyNames as Schema | undefined
        if (names) errors.push(...validate(names, name, `${at}.${name} (name)`))
        const own = properties[name]
        if (own) errors.push(...validate(own, item, `${at}.${name}`))
        else if (schema.additionalProperties === false) fail(`has ${name}, not allowed`)
        else if (typeof schema.additionalProperties === 'object')
          errors.push(...validate(schema.additionalProperties as Schema, item, `${at}.${name}`))
      }
    }
    return errors
  }

  /** A file as plain JSON data: what an editor validates. */
  function data(text: string): unknown {
    return parse(text) as unknown
  }

  it('is a draft 2020-12 schema of an object with a title', () => {
    const schema = configJsonSchema()
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(schema.title).toBe('token-rotation-action configuration file')
    expect(schema.type).toBe('object')
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'credentials']))
    expect(schema.additionalProperties).toBe(false)
    // Plain JSON: it survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema)
    // Only keywords of draft 2020-12 (and the key names of the file).
    const keywords = new Set<string>()
    const walk = (node: unknown, inProperties: boolean): void => {
      if (Array.isArray(node)) {
        for (const item of node) walk(item, false)
      } else if (typeof node === 'object' && node !== null) {
        for (const [key, value] of Object.entries(node)) {
          if (!inProperties) keywords.add(key)
          walk(value, key === 'properties' && !inProperties)
        }
      }
    }
    walk(schema, false)
    const draft2020 = new Set([
      '$schema',
      '$id',
      '$ref',
      '$defs',
      'title',
      'description',
      'default',
      'type',
      'properties',
      'required',
      'additionalProperties',
      'propertyNames',
      'items',
      'prefixItems',
      'anyOf',
      'oneOf',
      'allOf',
      'not',
      'enum',
      'const',
      'pattern',
      'format',
      'minimum',
      'maximum',
      'exclusiveMinimum',
      'exclusiveMaximum',
      'minLength',
      'maxLength',
      'minItems',
      'maxItems',
      'minProperties',
      'maxProperties'
    ])
    expect([...keywords].filter(keyword => !draft2020.has(keyword))).toEqual([])
  })

  it('accepts the example, and refuses a literal secret, an unknown key and a bad id', () => {
    const schema = configJsonSchema()
    const example = data(EXAMPLE)
    expect(validate(schema, example)).toEqual([])
    const literal = data(EXAMPLE.replace('{ env: PARTNER_CLIENT_SECRET }', 'a-literal'))
    expect(validate(schema, literal)).toEqual([
      '$.credentials.partner-api.issuer.client-secret: is string, not object'
    ])
    const unknown = data(EXAMPLE.replace('schedule: {', 'schedul: {'))
    expect(validate(schema, unknown)).toEqual([
      '$.credentials.partner-api: has schedul, not allowed'
    ])
    const badId = data(EXAMPLE.replace('db-sync:', 'DB_sync:'))
    expect(validate(schema, badId)).toEqual([
      expect.stringMatching(/^\$\.credentials\.DB_sync \(name\): does not match/)
    ])
    const version = data(EXAMPLE.replace('version: 1', 'version: 2'))
    expect(validate(schema, version)).toEqual(['$.version: is not the const'])
  })
})
