// The report step of .github/workflows/rotate-fleet.yml, run with bash as the runner runs a `run:`
// step, over the artifacts the matrix jobs leave: one summary of every credential, and a failed
// step when any credential (or any matrix job) failed.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface Workflow {
  jobs: { report: { steps: { name?: string; run?: string }[] } }
}

const workflow = parse(
  readFileSync(join(ROOT, '.github/workflows/rotate-fleet.yml'), 'utf8')
) as Workflow

const report = workflow.jobs.report.steps.find(s => s.name === 'One summary of every credential')

let temp: string
beforeEach(async () => {
  temp = await mkdtemp(join(tmpdir(), 'fleet-report-'))
})
afterEach(async () => {
  await rm(temp, { recursive: true, force: true })
})

/** Leaves the artifact of matrix job `index` as download-artifact unpacks it. */
async function artifact(index: number, results: unknown[]): Promise<void> {
  const dir = join(temp, `token-rotation-results-${String(index)}`)
  await mkdir(dir)
  await writeFile(join(dir, 'results.json'), JSON.stringify(results))
}

async function runReport(
  rotateResult: string
): Promise<{ status: number | null; summary: string }> {
  const summary = join(temp, 'summary.md')
  await writeFile(summary, '')
  const result = spawnSync(
    'bash',
    ['--noprofile', '--norc', '-eo', 'pipefail', '-c', report?.run ?? 'exit 99'],
    {
      cwd: temp,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        GITHUB_STEP_SUMMARY: summary,
        ROTATE_RESULT: rotateResult
      }
    }
  )
  return { status: result.status, summary: await readFile(summary, 'utf8') }
}

const rotated = {
  credential: 'partner-api',
  status: 'rotated',
  rotated: true,
  version: 'a1b2c3d4e5f60718',
  published: 3,
  failed: 0
}

describe('rotate-fleet.yml report job', () => {
  it('gathers every matrix job into one table and succeeds when every credential did', async () => {
    await artifact(0, [rotated])
    await artifact(1, [{ ...rotated, credential: 'db-sync', status: 'skipped', rotated: false }])
    const { status, summary } = await runReport('success')
    expect(status).toBe(0)
    expect(summary).toContain('✅ Token rotation: 2 credentials, 0 failed')
    expect(summary).toContain('| `partner-api` | rotated | a1b2c3d4e5f60718 | 3 | 0 |')
    expect(summary).toContain('| `db-sync` | skipped |')
  })

  it('fails when a credential failed, and keeps a pipe in an error from breaking the table', async () => {
    await artifact(0, [rotated])
    await artifact(1, [
      {
        ...rotated,
        credential: 'broken',
        status: 'failed',
        error: 'refused | by the server\nagain'
      }
    ])
    const { status, summary } = await runReport('failure')
    expect(status).toBe(1)
    expect(summary).toContain('❌ Token rotation: 2 credentials, 1 failed')
    expect(summary).toContain('refused   by the server again |')
  })

  it('fails when a matrix job failed without leaving results', async () => {
    await artifact(0, [rotated])
    const { status } = await runReport('failure')
    expect(status).toBe(1)
  })
})
