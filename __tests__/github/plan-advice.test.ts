import { describe, expect, it } from '@jest/globals'
import type { PublishConfig } from '../../src/config/publish-config.js'
import { orgSecretSuggestion, pacingWarning } from '../../src/github/plan-advice.js'

function config(overrides: Partial<PublishConfig>): PublishConfig {
  return {
    token: 't',
    apiUrl: 'https://api.github.com',
    secretName: 'S',
    value: 'v',
    secretType: 'actions',
    repositories: [],
    environments: [],
    maxConcurrency: 10,
    writeIntervalMs: 1000,
    dryRun: false,
    ...overrides
  }
}

const repos = (n: number, owner = 'acme') =>
  Array.from({ length: n }, (_, i) => ({ owner, repo: `r${i}` }))

describe('orgSecretSuggestion', () => {
  it('offers one org secret for many repositories of one owner', () => {
    expect(orgSecretSuggestion(config({ repositories: repos(200) }))).toMatch(
      /All 200 repositories belong to acme.*1 write and a few reads.*instead of 400 requests and 200 writes.*'org: acme'.*repository secret takes precedence/
    )
  })

  it.each([
    ['few repositories', config({ repositories: repos(9) })],
    ['several owners', config({ repositories: [...repos(10), ...repos(1, 'other')] })],
    ['environment secrets', config({ repositories: repos(20), environments: ['prod'] })],
    ['an org secret already', config({ repositories: repos(20), org: { login: 'acme' } })]
  ])('stays silent for %s', (_, c) => {
    expect(orgSecretSuggestion(c)).toBeUndefined()
  })
})

describe('pacingWarning', () => {
  it('is silent at GitHub pacing', () => {
    expect(pacingWarning(config({ writeIntervalMs: 1000 }), 400)).toBeUndefined()
    expect(pacingWarning(config({ writeIntervalMs: 0 }), 80)).toBeUndefined()
  })
  it('warns when writes outrun 80 a minute or 500 an hour', () => {
    expect(pacingWarning(config({ writeIntervalMs: 100 }), 200)).toMatch(
      /about 80 content-creating requests a minute.*'write-interval' to 1s/
    )
    expect(pacingWarning(config({ writeIntervalMs: 1000 }), 501)).toMatch(
      /about 500 content-creating requests an hour/
    )
  })
})
