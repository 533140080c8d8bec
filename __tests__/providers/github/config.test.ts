import { describe, expect, it } from '@jest/globals'
import { readInputs, type InputName } from '../../../src/config/inputs.js'
import { parsePublishConfig, type PublishConfig } from '../../../src/providers/github/config.js'
import { ConfigError } from '../../../src/errors.js'

const context = { repository: 'octo/app', apiUrl: 'https://api.github.com' }

function parse(inputs: Partial<Record<InputName, string>>, ctx = context): PublishConfig {
  const given: Partial<Record<InputName, string>> = {
    'github-token': 'ghp_test',
    'secret-name': 'API_TOKEN',
    value: 'v@lue',
    ...inputs
  }
  return parsePublishConfig(
    readInputs(name => given[name] ?? ''),
    ctx
  )
}

function problems(
  inputs: Partial<Record<InputName, string>>,
  ctx = context
): Array<[string, string]> {
  try {
    parse(inputs, ctx)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(p => [p.input, p.message])
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('parsePublishConfig', () => {
  it('defaults to the current repository and the action.yml defaults', () => {
    const config = parse({})
    expect(config).toEqual({
      token: 'ghp_test',
      apiUrl: 'https://api.github.com',
      secretName: 'API_TOKEN',
      value: 'v@lue',
      secretType: 'actions',
      repositories: [{ owner: 'octo', repo: 'app' }],
      environments: [],
      maxConcurrency: 10,
      writeIntervalMs: 1000,
      dryRun: false
    })
  })

  it('keeps the value byte for byte (no trimming) and trims the other inputs', () => {
    const config = parse({ value: '  spaced\n', 'secret-name': ' NAME ' })
    expect(config.value).toBe('  spaced\n')
    expect(config.secretName).toBe('NAME')
  })

  it('reads lists with newlines or commas and drops duplicates', () => {
    const config = parse({ repositories: 'octo/a, octo/b\nOcto/A', environment: 'prod eu,staging' })
    expect(config.repositories).toEqual([
      { owner: 'octo', repo: 'a' },
      { owner: 'octo', repo: 'b' }
    ])
    expect(config.environments).toEqual(['prod eu', 'staging'])
  })

  it('writes only the org secret when org is set without repositories', () => {
    const config = parse({ org: 'octo' })
    expect(config.repositories).toEqual([])
    expect(config.org).toEqual({ login: 'octo' })
  })

  it('implies visibility selected from selected-repositories', () => {
    const config = parse({ org: 'octo', 'selected-repositories': 'octo/a,octo/b' })
    expect(config.org).toEqual({
      login: 'octo',
      visibility: 'selected',
      selectedRepositories: [
        { owner: 'octo', repo: 'a' },
        { owner: 'octo', repo: 'b' }
      ]
    })
  })

  it('reads durations with units and decimals', () => {
    expect(parse({ 'write-interval': '0.5s' }).writeIntervalMs).toBe(500)
    expect(parse({ 'write-interval': '100ms' }).writeIntervalMs).toBe(100)
  })

  it.each([
    [{ 'secret-name': '1ABC' }, 'secret-name', /letters, digits and underscores/],
    [{ 'secret-name': 'A-B' }, 'secret-name', /letters, digits and underscores/],
    [{ 'secret-name': 'github_token' }, 'secret-name', /GITHUB_/],
    [{ 'secret-name': '' }, 'secret-name', /is empty/],
    [{ value: '' }, 'value', /empty/],
    [{ value: 'x'.repeat(48 * 1024 + 1) }, 'value', /49153 bytes; GitHub stores at most 49152/],
    [{ 'github-token': '' }, 'github-token', /GITHUB_TOKEN cannot write secrets/],
    [
      { repositories: 'octo' },
      'repositories',
      /'octo' is not a repository; write it as owner\/repo/
    ],
    [{ repositories: 'a/b/c' }, 'repositories', /owner\/repo/],
    [{ visibility: 'all' }, 'visibility', /set org as well/],
    [{ org: 'octo', visibility: 'public' }, 'visibility', /use all, private or selected/],
    [
      { org: 'octo', visibility: 'all', 'selected-repositories': 'octo/a' },
      'selected-repositories',
      /set visibility to selected/
    ],
    [
      { org: 'octo', 'selected-repositories': 'other/a' },
      'selected-repositories',
      /not in organization 'octo'/
    ],
    [{ 'selected-repositories': 'octo/a' }, 'selected-repositories', /set org as well/],
    [{ org: 'octo', environment: 'prod' }, 'environment', /needs repositories/],
    [
      { 'secret-type': 'dependabot', environment: 'prod' },
      'environment',
      /Dependabot has no environment secrets/
    ],
    [{ 'secret-type': 'codespaces' }, 'secret-type', /use actions or dependabot/],
    [{ 'max-concurrency': '0' }, 'max-concurrency', /1 to 100/],
    [{ 'max-concurrency': '101' }, 'max-concurrency', /1 to 100/],
    [{ 'max-concurrency': '2.5' }, 'max-concurrency', /1 to 100/],
    [{ 'write-interval': '1' }, 'write-interval', /'1' is not a duration/],
    [{ 'dry-run': 'yes' }, 'dry-run', /use true or false/],
    [{ org: 'bad org' }, 'org', /not an organization login/]
  ] as const)('refuses %p naming %s', (inputs, input, message) => {
    const found = problems(inputs)
    expect(found).toContainEqual([input, expect.stringMatching(message)])
  })

  it('reports every invalid input at once', () => {
    const found = problems({ 'secret-name': '9', 'max-concurrency': 'many', 'dry-run': 'maybe' })
    expect(found.map(([input]) => input).sort()).toEqual([
      'dry-run',
      'max-concurrency',
      'secret-name'
    ])
  })

  it('never quotes the value in a problem', () => {
    const value = 'S'.repeat(50_000)
    const found = problems({ value })
    expect(JSON.stringify(found)).not.toContain('SSSS')
  })

  it('needs a repository when GITHUB_REPOSITORY is not set', () => {
    expect(problems({}, { repository: '', apiUrl: 'https://api.github.com' })).toEqual([
      ['repositories', expect.stringMatching(/GITHUB_REPOSITORY is not set/)]
    ])
  })

  it('refuses a plain-http API URL unless it is a loopback test server', () => {
    expect(
      problems({}, { repository: 'octo/app', apiUrl: 'http://github.example.com/api/v3' })
    ).toEqual([['GITHUB_API_URL', expect.stringMatching(/clear text/)]])
    expect(parse({}, { repository: 'octo/app', apiUrl: 'http://127.0.0.1:8080/' }).apiUrl).toBe(
      'http://127.0.0.1:8080'
    )
  })
})
