// The one due rule of the engine and of `mode: plan` (src/engine/due.ts): the interval, the expiry
// margin (before-expiry), allow windows (src/schedule/windows.ts) and how the engine applies them,
// every time given by a fixed date or the engine's Clock port: nothing here reads the wall clock.
import { describe, expect, test } from '@jest/globals'
import {
  DEFAULT_BEFORE_EXPIRY_MS,
  nextDueAt,
  whenDue,
  type Schedule
} from '../../src/engine/due.js'
import type { RotationWindows } from '../../src/engine/ports.js'
import { emptyState, type RotationState } from '../../src/engine/state.js'
import { allowedWindows, cronProblem, type WindowSpec } from '../../src/schedule/windows.js'
import { HOUR, World, detailOf, stepsOf } from '../support/engine-world.js'

const MINUTE = 60_000
const DAY = 24 * HOUR

/** A record whose last rotation was at `rotatedAt`, its published value expiring at `expiresAt`. */
function record(rotatedAt: string, expiresAt?: string, failures = 0): RotationState {
  return {
    ...emptyState(),
    rotatedAt,
    consecutiveFailures: failures,
    published: {
      fingerprint: '0123456789abcdef',
      at: rotatedAt,
      ...(expiresAt ? { expiresAt } : {})
    }
  }
}

const at = (iso: string): Date => new Date(iso)

function windows(...specs: [cron: string, duration: string, ms: number][]): RotationWindows {
  return allowedWindows(
    specs.map(([cron, duration, durationMs]): WindowSpec => ({ cron, duration, durationMs }))
  )
}

describe('nextDueAt: the interval and the expiry margin', () => {
  const rotated = '2026-03-01T00:00:00.000Z'

  test('without a schedule, or never rotated, or after a failed run: due now', () => {
    const now = Date.parse('2026-03-01T01:00:00.000Z')
    expect(nextDueAt(record(rotated), {}, now)).toBeUndefined()
    expect(nextDueAt(undefined, { everyMs: DAY }, now)).toBeUndefined()
    expect(nextDueAt(record(rotated, undefined, 1), { everyMs: DAY }, now)).toBeUndefined()
  })

  test('with only an interval, the margin is 15 minutes', () => {
    const state = record(rotated, '2026-03-01T12:00:00.000Z')
    expect(DEFAULT_BEFORE_EXPIRY_MS).toBe(15 * MINUTE)
    // 11:44: sixteen minutes left, not due until 11:45.
    expect(nextDueAt(state, { everyMs: DAY }, Date.parse('2026-03-01T11:44:00.000Z'))).toEqual({
      at: at('2026-03-01T11:45:00.000Z'),
      by: 'expiry'
    })
    expect(
      nextDueAt(state, { everyMs: DAY }, Date.parse('2026-03-01T11:45:00.000Z'))
    ).toBeUndefined()
  })

  test('before-expiry replaces the margin: due an hour before the expiry', () => {
    const state = record(rotated, '2026-03-01T12:00:00.000Z')
    const schedule: Schedule = { everyMs: DAY, beforeExpiryMs: HOUR }
    expect(nextDueAt(state, schedule, Date.parse('2026-03-01T10:30:00.000Z'))).toEqual({
      at: at('2026-03-01T11:00:00.000Z'),
      by: 'expiry'
    })
    expect(nextDueAt(state, schedule, Date.parse('2026-03-01T11:00:00.000Z'))).toBeUndefined()
  })

  test('the interval decides when it comes before the expiry less the margin', () => {
    const state = record(rotated, '2026-03-03T00:00:00.000Z')
    expect(
      nextDueAt(state, { everyMs: 6 * HOUR, beforeExpiryMs: HOUR }, Date.parse(rotated))
    ).toEqual({ at: at('2026-03-01T06:00:00.000Z'), by: 'interval' })
  })

  test('before-expiry alone waits for the expiry, and rotates when the issuer gave none', () => {
    const now = Date.parse('2026-03-01T01:00:00.000Z')
    expect(
      nextDueAt(record(rotated, '2026-03-08T00:00:00.000Z'), { beforeExpiryMs: DAY }, now)
    ).toEqual({ at: at('2026-03-07T00:00:00.000Z'), by: 'expiry' })
    expect(nextDueAt(record(rotated), { beforeExpiryMs: DAY }, now)).toBeUndefined()
  })
})

describe('allow windows', () => {
  test('a window that opens late in the evening stays open across midnight', () => {
    const nightly = windows(['0 22 * * *', '4h', 4 * HOUR])
    expect(nightly.check(at('2026-03-02T23:30:00.000Z'))).toEqual({
      open: true,
      window: '0 22 * * * for 4h',
      openedAt: at('2026-03-02T22:00:00.000Z')
    })
    expect(nightly.check(at('2026-03-03T01:59:59.999Z'))).toMatchObject({
      open: true,
      openedAt: at('2026-03-02T22:00:00.000Z')
    })
    // Its end is not in it.
    expect(nightly.check(at('2026-03-03T02:00:00.000Z'))).toEqual({
      open: false,
      opensAt: at('2026-03-03T22:00:00.000Z')
    })
  })

  test('a Friday-night window covers the early Saturday, not the rest of the weekend', () => {
    const friday = windows(['0 22 * * 5', '4h', 4 * HOUR])
    // 2026-03-06 is a Friday.
    expect(friday.check(at('2026-03-07T01:00:00.000Z')).open).toBe(true)
    expect(friday.check(at('2026-03-07T02:30:00.000Z'))).toEqual({
      open: false,
      opensAt: at('2026-03-13T22:00:00.000Z')
    })
  })

  test('a weekday window: open from its first instant, closed over the weekend until Monday', () => {
    const weekdays = windows(['0 2 * * 1-5', '3h', 3 * HOUR])
    // 2026-03-02 is a Monday.
    expect(weekdays.check(at('2026-03-02T02:00:00.000Z')).open).toBe(true)
    expect(weekdays.check(at('2026-03-02T04:59:59.999Z')).open).toBe(true)
    expect(weekdays.check(at('2026-03-02T05:00:00.000Z'))).toEqual({
      open: false,
      opensAt: at('2026-03-03T02:00:00.000Z')
    })
    expect(weekdays.check(at('2026-03-07T03:00:00.000Z'))).toEqual({
      open: false,
      opensAt: at('2026-03-09T02:00:00.000Z')
    })
  })

  test('of several windows, any one open is enough, and the next to open is named', () => {
    const two = windows(['0 2 * * 1-5', '3h', 3 * HOUR], ['0 10 * * 0,6', '1h', HOUR])
    expect(two.description).toBe('0 2 * * 1-5 for 3h, 0 10 * * 0,6 for 1h')
    // Saturday 2026-03-07 at 10:30: the weekend window.
    expect(two.check(at('2026-03-07T10:30:00.000Z'))).toMatchObject({
      open: true,
      window: '0 10 * * 0,6 for 1h'
    })
    // Saturday 12:00: the Sunday window opens before Monday's.
    expect(two.check(at('2026-03-07T12:00:00.000Z'))).toEqual({
      open: false,
      opensAt: at('2026-03-08T10:00:00.000Z')
    })
  })

  test('cron expressions that cannot open a window are refused, saying why', () => {
    expect(cronProblem('0 2 * * 1-5')).toBeUndefined()
    expect(cronProblem('0 2 * * mon-fri')).toBeUndefined()
    expect(cronProblem('0 0 2 * * 1-5')).toMatch(/five fields/)
    expect(cronProblem('@daily')).toMatch(/five fields/)
    expect(cronProblem('')).toMatch(/five fields/)
    expect(cronProblem('H 2 * * *')).toMatch(/uses H/)
    expect(cronProblem('0 25 * * *')).toMatch(/not a cron expression \(.*0-23/)
    expect(cronProblem('0 0 31 2 *')).toMatch(/not a cron expression/)
  })
})

describe('whenDue: the schedule and the windows together', () => {
  const weekdays = windows(['0 2 * * 1-5', '3h', 3 * HOUR])
  const rotated = '2026-03-01T00:00:00.000Z'

  test('due, outside every window: held until the next one opens', () => {
    // Saturday 2026-03-07, a week after the last rotation.
    expect(
      whenDue(record(rotated), { everyMs: DAY, windows: weekdays }, at('2026-03-07T03:00:00.000Z'))
    ).toEqual({ due: false, why: 'not-in-window', rotatesAt: at('2026-03-09T02:00:00.000Z') })
  })

  test('due, inside a window: rotates', () => {
    expect(
      whenDue(record(rotated), { everyMs: DAY, windows: weekdays }, at('2026-03-09T03:00:00.000Z'))
    ).toEqual({ due: true })
  })

  test('not due yet: rotated in the first window from its due time', () => {
    // Due Saturday at 00:00 by the interval; the next window is Monday's.
    const decision = whenDue(
      record('2026-03-06T00:00:00.000Z'),
      { everyMs: DAY, windows: weekdays },
      at('2026-03-06T12:00:00.000Z')
    )
    expect(decision).toEqual({
      due: false,
      why: 'not-due',
      next: { at: at('2026-03-07T00:00:00.000Z'), by: 'interval' },
      rotatesAt: at('2026-03-09T02:00:00.000Z')
    })
  })

  test('a half-finished rotation is finished at once, window or not', () => {
    const state: RotationState = {
      ...record(rotated),
      pending: {
        fingerprint: 'fedcba9876543210',
        mintedAt: rotated,
        run: 'run 9 attempt 1',
        recoverable: false
      }
    }
    expect(
      whenDue(state, { everyMs: 30 * DAY, windows: weekdays }, at('2026-03-07T03:00:00.000Z'))
    ).toEqual({ due: true })
  })
})

describe('the engine, on its clock', () => {
  // The world's clock starts on Sunday 2026-03-01 at 12:00 UTC; its access tokens live an hour.
  const weekdays = (): RotationWindows => windows(['0 2 * * 1-5', '3h', 3 * HOUR])

  test('a due rotation outside its window is skipped: nothing minted, nothing published', async () => {
    const world = new World()
    const before = world.snapshot()

    const { outcome } = await world.run({
      plan: { rotateIfOlderThanMs: DAY, windows: weekdays() }
    })

    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('not-in-window')
    expect(outcome.rotated).toBe(false)
    expect(stepsOf(outcome)).toEqual([
      ['preflight', 'ok'],
      ['mint', 'skipped'],
      ['retire', 'skipped']
    ])
    expect(detailOf(outcome, 'mint')).toBe(
      'not in an allowed window; next window opens at 2026-03-02T02:00:00.000Z (windows: 0 2 * * 1-5 for 3h)'
    )
    expect(outcome.nextDueAt).toEqual(at('2026-03-02T02:00:00.000Z'))
    expect(world.issuer.issued).toHaveLength(before.issued)
    expect(world.issuer.requests).toBe(before.requests)
    expect(world.targets.values()).toEqual(before.targets)
    expect(world.s.secret).toBe(before.secret)
    expect(world.s.record?.runs.map(run => run.outcome)).not.toContain('not-in-window')
  })

  test('inside the window it rotates, and says when it is next due: the expiry margin first', async () => {
    const world = new World()
    world.clock.advance(14 * HOUR) // Monday 02:00, the window's first instant.

    const { outcome } = await world.run({
      plan: { rotateIfOlderThanMs: DAY, rotateBeforeExpiryMs: 20 * MINUTE, windows: weekdays() }
    })

    expect(outcome.status).toBe('rotated')
    expect(outcome.rotated).toBe(true)
    // The token expires at 03:00: due at 02:40, still inside the window, before the day is over.
    expect(outcome.nextDueAt).toEqual(at('2026-03-02T02:40:00.000Z'))
    expect(outcome.warnings).toEqual([])
  })

  test('a due rotation whose expiry comes before the next window is skipped with a warning', async () => {
    const world = new World()
    const daily = { rotateIfOlderThanMs: DAY, windows: weekdays() }
    world.clock.advance(14 * HOUR) // Monday 02:00
    expect((await world.run({ plan: daily })).outcome.status).toBe('rotated')
    world.clock.advance(4 * HOUR) // 06:00: the token expired at 03:00, the window closed at 05:00

    const { outcome } = await world.run({ plan: daily })

    expect(outcome.status).toBe('not-in-window')
    expect(outcome.warnings).toEqual([
      'The published value expires at 2026-03-02T03:00:00.000Z, before the next allowed window opens (2026-03-03T02:00:00.000Z): the targets hold an expired value until a rotation runs. Widen schedule.windows.'
    ])
  })

  test('a dry run outside the window says it would skip the rotation', async () => {
    const world = new World()

    const { outcome } = await world.run({ plan: { dryRun: true, windows: weekdays() } })

    expect(outcome.status).toBe('planned')
    expect(detailOf(outcome, 'mint')).toMatch(
      /^would skip the rotation: not in an allowed window; next window opens at 2026-03-02T02:00/
    )
  })

  test('a value that expires within before-expiry of its mint is rotated at every run: said once', async () => {
    const world = new World()

    const { outcome } = await world.run({ plan: { rotateBeforeExpiryMs: 2 * HOUR } })

    expect(outcome.status).toBe('rotated')
    expect(outcome.warnings).toEqual([
      "The new value expires at 2026-03-01T13:00:00.000Z, within rotate-before-expiry (120m) of its mint: every run rotates it again. Set rotate-before-expiry below the value's lifetime."
    ])
    expect(outcome.nextDueAt).toBeUndefined()
  })

  test('counts the runs the record keeps and the failures among them', async () => {
    const world = new World()
    world.targets.failPublishTo('acme/api')
    const failed = await world.run()
    expect(failed.outcome).toMatchObject({
      status: 'failed',
      consecutiveFailures: 1,
      recentRuns: { kept: 1, failed: 1 }
    })
    world.targets.healPublish()
    world.clock.advance(HOUR)

    const { outcome } = await world.run()

    expect(outcome).toMatchObject({
      status: 'rotated',
      consecutiveFailures: 0,
      recentRuns: { kept: 2, failed: 1 }
    })
  })
})
