import { describe, expect, it } from '@jest/globals'
import type { PublishConfig } from '../../../src/providers/github/config.js'
import {
  WRITES_PER_HOUR,
  hourlyBudgetRefusal,
  orgSecretSuggestion,
  pacingWarning
} from '../../../src/providers/github/plan-advice.js'

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
  it('warns when writes outrun 80 a minute', () => {
    expect(pacingWarning(config({ writeIntervalMs: 100 }), 200)).toMatch(
      /about 80 content-creating requests a minute.*'write-interval' to 1s/
    )
  })
})

describe('hourlyBudgetRefusal', () => {
  it('lets a plan within the hour through', () => {
    expect(WRITES_PER_HOUR).toBe(500)
    expect(hourlyBudgetRefusal(config({ repositories: repos(500) }), 500)).toBeUndefined()
  })

  it('refuses a plan above the hour, naming one organization secret as the cheaper plan', () => {
    expect(hourlyBudgetRefusal(config({ repositories: repos(501) }), 501)).toMatch(
      /^The plan writes 501 secrets, more than GitHub allows in an hour \(about 500 .*Nothing was written\. Cheaper: one organization secret .*'org: acme'.*'selected-repositories'/
    )
  })

  it('says to split environment secrets, which cannot be shared', () => {
    expect(
      hourlyBudgetRefusal(config({ repositories: repos(300), environments: ['a', 'b'] }), 600)
    ).toMatch(/Environment secrets cannot be shared: split the repositories/)
  })

  it('takes the budget from one place, so a smaller one can be given', () => {
    expect(hourlyBudgetRefusal(config({ repositories: repos(20) }), 20, 10)).toMatch(
      /writes 20 secrets.*about 10 content-creating/
    )
  })
})
