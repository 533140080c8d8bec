// The `results` output and the fleet's opening table: one entry per credential, its schedule and
// how its recent runs went, with the documented field names kept as they were.
import { describe, expect, it } from '@jest/globals'
import type { RunOutcome } from '../../src/engine/outcome.js'
import { resultOf, resultsJson, resultsTable, stoppedResult } from '../../src/report/results.js'
import { renderSummary } from '../../src/report/summary.js'
import { allowedWindows } from '../../src/schedule/windows.js'
import { HOUR, World } from '../support/engine-world.js'

function outcome(changes: Partial<RunOutcome>): RunOutcome {
  return {
    status: 'rotated',
    rotated: true,
    steps: [],
    targets: [],
    restored: [],
    warnings: [],
    ...changes
  }
}

const rotated = resultOf(
  'partner-api',
  outcome({
    version: '0123456789abcdef',
    targets: [
      { scope: 'repository', type: 'actions', target: 'acme/api', name: 'T', status: 'updated' }
    ],
    nextDueAt: new Date('2026-03-02T02:40:00.000Z'),
    recentRuns: { kept: 10, failed: 1 },
    consecutiveFailures: 0
  })
)
const skipped = resultOf(
  'nightly',
  outcome({
    status: 'not-in-window',
    rotated: false,
    nextDueAt: new Date('2026-03-09T02:00:00.000Z'),
    recentRuns: { kept: 3, failed: 2 },
    consecutiveFailures: 2
  })
)

describe('resultsJson', () => {
  it("keeps each credential's recovery ciphertext, which a run of many cannot keep in one output", () => {
    const sealed = resultOf('partner-api', outcome({ recoveryCiphertext: 'c2VhbGVkLWJveA==' }))
    const other = resultOf('billing-api', outcome({ recoveryCiphertext: 'b3RoZXItYm94' }))
    const plain = resultOf('plain', outcome({ status: 'published', rotated: false }))
    const entries = JSON.parse(resultsJson([sealed, other, plain])) as Record<string, unknown>[]
    expect(entries.map(entry => entry['recovery_ciphertext'])).toEqual([
      'c2VhbGVkLWJveA==',
      'b3RoZXItYm94',
      undefined
    ])
  })

  it('adds the success rate over the kept runs, the failures in a row and the next due time', () => {
    expect(JSON.parse(resultsJson([rotated, skipped]))).toEqual([
      {
        credential: 'partner-api',
        status: 'rotated',
        rotated: true,
        version: '0123456789abcdef',
        published: 1,
        failed: 0,
        next_due: '2026-03-02T02:40:00.000Z',
        success_rate: 0.9,
        consecutive_failures: 0
      },
      {
        credential: 'nightly',
        status: 'skipped',
        rotated: false,
        version: '',
        published: 0,
        failed: 0,
        reason: 'not-in-window',
        next_due: '2026-03-09T02:00:00.000Z',
        success_rate: 0.33,
        consecutive_failures: 2
      }
    ])
  })

  it('omits what the run does not know: no runs kept, no record, no schedule', () => {
    const plain = resultOf('plain', outcome({ status: 'published', rotated: false }))
    expect(
      JSON.parse(resultsJson([plain, stoppedResult('broken', new Error('bad input'))]))
    ).toEqual([
      {
        credential: 'plain',
        status: 'published',
        rotated: false,
        version: '',
        published: 0,
        failed: 0
      },
      {
        credential: 'broken',
        status: 'failed',
        rotated: false,
        version: '',
        published: 0,
        failed: 0,
        error: 'bad input'
      }
    ])
    const none = resultOf('empty', outcome({ recentRuns: { kept: 0, failed: 0 } }))
    expect((JSON.parse(resultsJson([none])) as unknown[])[0]).not.toHaveProperty('success_rate')
  })
})

describe('resultsTable', () => {
  it('has a next-due and a recent-runs column, and says why a credential was skipped', () => {
    const table = resultsTable([rotated, skipped])
    expect(table).toContain(
      '| Credential | Status | Version | Targets written | Targets failed | Expires | Next due | Recent runs |'
    )
    expect(table).toContain(
      '| `partner-api` | ✅ rotated | `0123456789abcdef` | 1 | 0 |  | 2026-03-02T02:40:00.000Z | 90% of 10 ok |'
    )
    expect(table).toContain(
      '| `nightly` | ⏭️ skipped (not in an allowed window) |  | 0 | 0 |  | 2026-03-09T02:00:00.000Z | 33% of 3 ok, 2 failed in a row |'
    )
  })
})

describe('renderSummary of one credential', () => {
  it('ends with when it is next due and how its recent runs went', () => {
    const md = renderSummary({ secretName: 'T', results: [], dryRun: false, history: skipped })
    expect(md).toContain(
      '**Next due:** 2026-03-09T02:00:00.000Z · **Recent runs:** 33% of 3 ok, 2 failed in a row.'
    )
    expect(
      renderSummary({ secretName: 'T', results: [], dryRun: false, history: {} })
    ).not.toContain('Next due')
  })
})

// A run that was not due (status not-due or not-in-window) did nothing: neither a success nor a
// failure of the rotation, so it moves neither the success rate nor the failures in a row.
describe('the success rate over the runs a record keeps', () => {
  const DAY = 24 * HOUR
  // The engine world's clock starts on Sunday 2026-03-01 at 12:00 UTC; its tokens live an hour.
  const plan = {
    rotateIfOlderThanMs: DAY,
    windows: allowedWindows([{ cron: '0 2 * * 1-5', duration: '3h', durationMs: 3 * HOUR }])
  }

  it('is not moved by a run outside the allowed windows after a failed one', async () => {
    const world = new World()
    world.clock.advance(14 * HOUR) // Monday 02:00, inside the window.
    world.targets.failPublishTo('acme/api')
    const failed = await world.run({ plan })
    expect(resultOf('nightly', failed.outcome)).toMatchObject({ status: 'failed', successRate: 0 })
    world.targets.healPublish()
    world.clock.advance(4 * HOUR) // 06:00: due after the failure, but the window closed at 05:00.

    const { outcome } = await world.run({ plan })

    expect(outcome.status).toBe('not-in-window')
    expect(resultOf('nightly', outcome)).toMatchObject({ successRate: 0, runsKept: 1 })
  })

  it('is not moved by a run that was not due after a successful one', async () => {
    const world = new World()
    world.clock.advance(14 * HOUR) // Monday 02:00, inside the window.
    world.targets.failPublishTo('acme/api')
    await world.run({ plan })
    world.targets.healPublish()
    world.clock.advance(30 * 60_000) // 02:30: due again at once after the failure.
    const rotated = await world.run({ plan })
    expect(resultOf('nightly', rotated.outcome)).toMatchObject({ successRate: 0.5, runsKept: 2 })
    world.clock.advance(5 * 60_000) // 02:35: not due until 03:15, before the token expires.

    const { outcome } = await world.run({ plan })

    expect(outcome.status).toBe('not-due')
    expect(resultOf('nightly', outcome)).toMatchObject({ successRate: 0.5, runsKept: 2 })
  })

  it('keeps the failures in a row across a run outside the windows', async () => {
    const world = new World()
    world.clock.advance(14 * HOUR)
    world.targets.failPublishTo('acme/api')
    await world.run({ plan })
    world.targets.healPublish()
    world.clock.advance(4 * HOUR)

    const { outcome } = await world.run({ plan })

    expect(outcome.status).toBe('not-in-window')
    expect(resultOf('nightly', outcome).consecutiveFailures).toBe(1)
  })
})
