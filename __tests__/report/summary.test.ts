import { describe, expect, it } from '@jest/globals'
import { resultJson, type TargetResult } from '../../src/report/result.js'
import { renderSummary } from '../../src/report/summary.js'

const results: TargetResult[] = [
  {
    scope: 'organization',
    type: 'actions',
    target: 'acme',
    name: 'TOKEN',
    status: 'updated',
    detail: 'existing secret, visibility all'
  },
  {
    scope: 'repository',
    type: 'dependabot',
    target: 'acme/api',
    name: 'TOKEN',
    status: 'failed',
    error: 'GitHub answered 502 | twice\nthen gave up'
  }
]

describe('renderSummary', () => {
  it('has one row per target with its outcome, escaping table syntax', () => {
    const md = renderSummary({ secretName: 'TOKEN', results, dryRun: false })
    expect(md).toContain('### ❌ Publish secret `TOKEN`')
    expect(md).toContain(
      '| organization | acme | `TOKEN` | ✅ updated | existing secret, visibility all |'
    )
    expect(md).toContain(
      '| repository (Dependabot) | acme/api | `TOKEN` | ❌ failed | GitHub answered 502 \\| twice then gave up |'
    )
    expect(md).toContain('**2 targets:** 0 created, 1 updated, 1 failed.')
  })

  it('calls a target a real run never reached "not written", not "planned"', () => {
    const reached: TargetResult[] = [
      { scope: 'repository', type: 'actions', target: 'acme/api', name: 'TOKEN', status: 'planned' }
    ]
    const real = renderSummary({
      secretName: 'TOKEN',
      results: reached,
      dryRun: false,
      failure: { step: 'mint', message: 'the token endpoint refused' }
    })
    expect(real).toContain('| repository | acme/api | `TOKEN` | ⏸️ not written |')
    expect(real).toContain('**1 target:** 0 created, 0 updated, 1 not written.')
    expect(real).not.toContain('planned')
    const dry = renderSummary({ secretName: 'TOKEN', results: reached, dryRun: true })
    expect(dry).toContain('| repository | acme/api | `TOKEN` | 📝 planned |')
    expect(dry).toContain('**1 target:** 1 planned.')
  })

  it('says nothing was written when the run stopped before publishing', () => {
    const md = renderSummary({
      secretName: '',
      results: [],
      dryRun: false,
      error: "Input 'value': is empty"
    })
    expect(md).toContain("**Nothing was written.** Input 'value': is empty")
  })

  it('marks a dry run', () => {
    const md = renderSummary({
      secretName: 'TOKEN',
      results: [
        {
          scope: 'repository',
          type: 'actions',
          target: 'acme/api',
          name: 'TOKEN',
          status: 'planned'
        }
      ],
      dryRun: true
    })
    expect(md).toContain('### ✅ Publish secret `TOKEN` (dry run)')
    expect(md).toContain('**1 target:** 1 planned.')
  })
})

describe('resultJson', () => {
  it('keeps the documented fields only', () => {
    expect(JSON.parse(resultJson(results))).toEqual([
      { scope: 'organization', type: 'actions', target: 'acme', name: 'TOKEN', status: 'updated' },
      {
        scope: 'repository',
        type: 'dependabot',
        target: 'acme/api',
        name: 'TOKEN',
        status: 'failed',
        error: 'GitHub answered 502 | twice\nthen gave up'
      }
    ])
  })
})
