// The shell steps of .github/workflows/release.yml, run with bash as the runner runs a `run:` step
// (bash -e -o pipefail), against this repository's own CHANGELOG.md and package.json.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface Workflow {
  jobs: { release: { steps: { name?: string; run?: string }[] } }
}

const workflow = parse(
  readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8')
) as Workflow

function script(name: string): string {
  const step = workflow.jobs.release.steps.find(candidate => candidate.name === name)
  if (step?.run === undefined) throw new Error(`release.yml has no run step named '${name}'`)
  return step.run
}

let temp: string
beforeEach(async () => {
  temp = await mkdtemp(join(tmpdir(), 'release-'))
})
afterEach(async () => {
  await rm(temp, { recursive: true, force: true })
})

async function runStep(name: string, version: string) {
  const githubEnv = join(temp, 'github-env')
  await writeFile(githubEnv, '')
  const result = spawnSync(
    'bash',
    ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script(name)],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        VERSION: version,
        RUNNER_TEMP: temp,
        GITHUB_ENV: githubEnv
      }
    }
  )
  return {
    status: result.status,
    stdout: result.stdout,
    githubEnv: await readFile(githubEnv, 'utf8')
  }
}

describe('release.yml', () => {
  it('takes the release notes from the CHANGELOG section of the version', async () => {
    const run = await runStep('Take the release notes from CHANGELOG.md', 'v0.1.0')
    expect(run.status).toBe(0)
    const notes = await readFile(join(temp, 'notes.md'), 'utf8')
    expect(notes).toContain('First version.')
    expect(notes).toContain('### Added')
    expect(notes).not.toContain('Unreleased')
    expect(notes).not.toContain('## [')
    expect(notes).not.toMatch(/^\[[^\]]+\]: /m)
  })

  it('stops, saying what to do, when the CHANGELOG has no section for the version', async () => {
    const run = await runStep('Take the release notes from CHANGELOG.md', 'v9.9.9')
    expect(run.status).toBe(1)
    expect(run.stdout).toContain(
      "::error title=Release::CHANGELOG.md has no section '## [9.9.9]': move the Unreleased entries"
    )
  })

  it('refuses a version that is not vX.Y.Z, or not package.json’s', async () => {
    const malformed = await runStep('Check the version and the commit', '1.2')
    expect(malformed.status).toBe(1)
    expect(malformed.stdout).toContain("'1.2' is not a version: write it as vX.Y.Z")

    const version = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        version: string
      }
    ).version
    const other = await runStep('Check the version and the commit', 'v9.9.9')
    expect(other.status).toBe(1)
    expect(other.stdout).toContain(`package.json says v${version}, not v9.9.9`)
    expect(other.githubEnv).toBe('MAJOR=v9\n')
  })
})
