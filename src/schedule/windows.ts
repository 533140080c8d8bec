import { CronExpressionParser } from 'cron-parser'
import type { RotationWindows, WindowCheck } from '../engine/ports.js'

/**
 * Allow windows (`schedule.windows` of the configuration file): a window opens at each time its
 * cron expression names, in UTC, and stays open for its duration. The engine sees them only
 * through its {@link RotationWindows} port, built here.
 */

/** One allow window, validated. */
export interface WindowSpec {
  /** Five fields, as in a workflow's `on.schedule`: minute hour day-of-month month day-of-week. */
  readonly cron: string
  /** The duration as written (`3h`), for messages. */
  readonly duration: string
  readonly durationMs: number
}

/** What a window's cron expression looks like, for messages. */
export const CRON_HINT =
  'five fields in UTC, minute hour day-of-month month day-of-week, as in on.schedule (e.g. "0 2 * * 1-5")'

/** Cron-parser's `H` picks a random time per parse: a window must open at the same time each run. */
const HASHED = /(^|[^A-Za-z])H(?![A-Za-z])/

/**
 * Why `cron` cannot open a window, or undefined when it can: five fields (a sixth would be read
 * as seconds, and `@daily`-style names hide what they mean), no randomized `H`, and a time that
 * exists (`0 0 30 2 *` never comes).
 */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/)
  if (fields.length !== 5 || cron.trim() === '') {
    return `is not a cron expression of ${CRON_HINT}`
  }
  if (HASHED.test(cron)) return `uses H, which opens the window at a random time; use ${CRON_HINT}`
  try {
    CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: new Date(0) }).next()
  } catch (error) {
    return `is not a cron expression (${error instanceof Error ? error.message : String(error)}); use ${CRON_HINT}`
  }
  return undefined
}

/** The port the engine checks windows through, for validated windows. */
export function allowedWindows(specs: readonly WindowSpec[]): RotationWindows {
  return {
    description: specs.map(spec => `${spec.cron} for ${spec.duration}`).join(', '),
    check: at => checkWindows(specs, at)
  }
}

function checkWindows(specs: readonly WindowSpec[], at: Date): WindowCheck {
  let opensAt: Date | undefined
  for (const spec of specs) {
    // The latest opening at or before `at` decides: an earlier one of the same window, as long,
    // has closed before it.
    const opened = tick(spec.cron, at, 'prev')
    if (opened && at.getTime() < opened.getTime() + spec.durationMs) {
      return { open: true, window: `${spec.cron} for ${spec.duration}`, openedAt: opened }
    }
    const next = tick(spec.cron, at, 'next')
    if (next && (opensAt === undefined || next < opensAt)) opensAt = next
  }
  return opensAt ? { open: false, opensAt } : { open: false }
}

/**
 * The cron time at or before `at` (`prev`), or strictly after it (`next`); undefined when there is
 * none within the library's search.
 */
function tick(cron: string, at: Date, way: 'prev' | 'next'): Date | undefined {
  // cron-parser's prev() is strictly before its current date: one millisecond on makes a window
  // that opens exactly now count as open.
  const from = way === 'prev' ? new Date(at.getTime() + 1) : at
  try {
    const expression = CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: from })
    return (way === 'prev' ? expression.prev() : expression.next()).toDate()
  } catch {
    return undefined
  }
}
