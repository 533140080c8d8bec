// .github/workflows/ci.yml: each job's name is what a pull request's checks list shows, so it must
// say what the job checks.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface Workflow {
  jobs: Record<string, { name?: string; steps?: { run?: string }[] }>
}

const workflow = parse(readFileSync(join(ROOT, '.github/workflows/ci.yml'), 'utf8')) as Workflow

describe('ci.yml', () => {
  it('names the job that runs `npm run docs -- --check` after the generated docs it compares', () => {
    const jobs = Object.values(workflow.jobs).filter(job =>
      job.steps?.some(step => step.run?.includes('npm run docs -- --check'))
    )
    expect(jobs).toHaveLength(1)
    const name = jobs[0]?.name ?? ''
    expect(name).toMatch(/generated docs/i)
    // The tables moved to docs/inputs.md: the README holds nothing `npm run docs` writes.
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).not.toContain('npm run docs`: edit')
    expect(name).not.toMatch(/README/i)
  })
})
