/**
 * One credential's entry of the `results` output (src/report/results.ts), as a report reads it.
 * Holds no value.
 */
export interface ResultEntry {
  credential: string
  status: string
  version?: string
  published?: number
  failed?: number
  error?: string
  /** Why it was skipped: `not-due` or `not-in-window`. */
  reason?: string
  next_due?: string
}

/** What the JUnit report says of a run. */
export interface JUnitInput {
  /** One test case each, in the order they ran. */
  results: readonly ResultEntry[]
  /**
   * The run's errors when it stopped before any credential ran (a configuration that does not
   * load): one failed test case says them, so that the report is never an empty green.
   */
  stopped?: readonly string[]
  /** The run's name and page, kept as properties of the suite. */
  runName: string
  runUrl?: string
  /** When the run started, and how long it took. */
  startedAt: Date
  durationMs: number
  /** Removes every registered secret from a text, before it is escaped. */
  redact: (text: string) => string
}

/** The suite name GitLab shows each case under (its `classname`). */
export const JUNIT_SUITE = 'token-rotation'

const SKIPPED: Readonly<Record<string, string>> = {
  'not-due': 'not due',
  'not-in-window': 'due, but outside its allowed windows'
}

/**
 * The run as a JUnit XML report, one test case per credential: passed, failed with its reason, or
 * skipped when it was not due. GitLab shows it in the pipeline's Tests tab and in merge requests
 * (`artifacts: reports: junit:`): the suite is the `classname`, the case its `name`, a failure's
 * text its element's content. Every text is redacted before it is escaped.
 * @see https://docs.gitlab.com/ci/testing/unit_test_reports/
 */
export function renderJUnit(input: JUnitInput): string {
  const text = (value: string) => escapeXml(input.redact(value))
  const cases = input.results.map(result => testCase(result, text))
  if (input.results.length === 0 && input.stopped !== undefined) {
    const reason = `The run stopped before any credential ran: ${input.stopped.join(' ')}`
    cases.push(
      `    <testcase classname="${JUNIT_SUITE}" name="run">\n` +
        `      <failure message="${text(firstLine(reason))}" type="stopped">${text(reason)}</failure>\n` +
        `    </testcase>`
    )
  }
  const failures =
    input.results.filter(r => r.status === 'failed').length +
    (input.results.length === 0 && input.stopped !== undefined ? 1 : 0)
  const skipped = input.results.filter(r => r.status === 'skipped').length
  const counts = `tests="${String(cases.length)}" failures="${String(failures)}" errors="0" skipped="${String(skipped)}" time="${seconds(input.durationMs)}"`
  const properties = [
    `      <property name="run" value="${text(input.runName)}"/>`,
    ...(input.runUrl ? [`      <property name="run_url" value="${text(input.runUrl)}"/>`] : [])
  ]
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${JUNIT_SUITE}" ${counts}>`,
    `  <testsuite name="${JUNIT_SUITE}" ${counts} timestamp="${input.startedAt.toISOString()}">`,
    '    <properties>',
    ...properties,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    ''
  ].join('\n')
}

function testCase(result: ResultEntry, text: (value: string) => string): string {
  const open = `    <testcase classname="${JUNIT_SUITE}" name="${text(result.credential)}">`
  if (result.status === 'failed') {
    const reason = result.error ?? 'failed (see the log)'
    return [
      open,
      `      <failure message="${text(firstLine(reason))}" type="failed">${text(reason)}</failure>`,
      '    </testcase>'
    ].join('\n')
  }
  if (result.status === 'skipped') {
    const why = SKIPPED[result.reason ?? 'not-due'] ?? 'skipped'
    const next = result.next_due ? `; next due ${result.next_due}` : ''
    return [
      open,
      `      <skipped message="${text(why)}">${text(`${why}${next}`)}</skipped>`,
      '    </testcase>'
    ].join('\n')
  }
  const parts = [
    result.status,
    ...(result.version ? [`version ${result.version}`] : []),
    `${String(result.published ?? 0)} target(s) written`
  ]
  return [open, `      <system-out>${text(parts.join(', '))}</system-out>`, '    </testcase>'].join(
    '\n'
  )
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0] ?? ''
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3)
}

/**
 * Text safe in an XML attribute or element: the five entities escaped, and the characters XML 1.0
 * cannot hold at all (C0 controls other than tab, newline and return) dropped.
 */
export function escapeXml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // eslint-disable-next-line no-control-regex -- matching the controls XML forbids is the point
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
  )
}
