import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { CiIdentity } from '../ci/identity.js'
import { renderJUnit, type ResultEntry } from '../report/junit.js'

/** The environment variable that names the report folder when no `--report-dir` does. */
export const REPORT_DIR_ENV = 'TOKEN_ROTATION_REPORT_DIR'

/** The files of the report folder. */
export const REPORT_FILES = { summary: 'summary.md', junit: 'junit.xml' } as const

/**
 * Where the report files go: `--report-dir`, else {@link REPORT_DIR_ENV}, else the CI's own place
 * (`token-rotation-report` in a GitLab job's project directory); none elsewhere. A relative path is
 * the current directory's, as for every path of the command line.
 */
export function reportDirectory(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  ci: CiIdentity,
  cwd: string
): string | undefined {
  const chosen = flag || env[REPORT_DIR_ENV]?.trim() || ci.reportDir
  return chosen ? resolve(cwd, chosen) : undefined
}

/** What the run left for its report. Every text was redacted when the run produced it. */
export interface RunReport {
  /** Each Markdown block the run wrote as its job summary, in order. */
  summary: readonly string[]
  /** The `results` output: one entry per credential, as JSON. */
  results: string | undefined
  /** The error lines the run logged. */
  errors: readonly string[]
  failed: boolean
  startedAt: Date
  durationMs: number
}

/**
 * Writes the report folder: `summary.md`, the job summary the action writes, closed by a link to
 * the run, and, for a run of credentials, `junit.xml`, one test case per credential for GitLab's
 * `artifacts: reports: junit:`. Both are redacted again as a whole, in case a value reached them
 * some other way.
 * @returns the paths written
 */
export async function writeReportFiles(
  dir: string,
  report: RunReport,
  options: { ci: CiIdentity; junit: boolean; redact: (text: string) => string }
): Promise<string[]> {
  const { ci, redact } = options
  await mkdir(dir, { recursive: true })
  const link = ci.runUrl ? `[${ci.runName}](${ci.runUrl})` : ci.runName
  const markdown = [...report.summary, '---', '', `Run: ${link}.`, ''].join('\n')
  const summaryPath = join(dir, REPORT_FILES.summary)
  await writeFile(summaryPath, redact(markdown))
  if (!options.junit) return [summaryPath]
  const results = parseResults(report.results)
  const xml = renderJUnit({
    results,
    ...(report.failed && results.length === 0 ? { stopped: report.errors } : {}),
    runName: ci.runName,
    ...(ci.runUrl ? { runUrl: ci.runUrl } : {}),
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    redact
  })
  const junitPath = join(dir, REPORT_FILES.junit)
  await writeFile(junitPath, redact(xml))
  return [summaryPath, junitPath]
}

/** The `results` output's entries; none when the run set it to nothing readable. */
function parseResults(text: string | undefined): ResultEntry[] {
  if (text === undefined || text === '') return []
  try {
    const parsed: unknown = JSON.parse(text)
    return Array.isArray(parsed) ? parsed.filter(isEntry) : []
  } catch {
    return []
  }
}

function isEntry(value: unknown): value is ResultEntry {
  return (
    typeof value === 'object' &&
    value !== null &&
    'credential' in value &&
    typeof value.credential === 'string' &&
    'status' in value &&
    typeof value.status === 'string'
  )
}
