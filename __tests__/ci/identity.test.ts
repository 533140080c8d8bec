// The run's identity from its CI: GitHub Actions, GitLab CI, or a local run. One value names the
// run in the lock and the record, links to it from alerts and reports, and says where files go.
import { describe, expect, it } from '@jest/globals'
import { detectCi } from '../../src/ci/identity.js'
import { parseActionConfig } from '../../src/config/rotation-config.js'
import { readInputs } from '../../src/config/inputs.js'
import { OAUTH2_INPUTS } from '../support/action-inputs.js'

const PID = 4242

/** What a GitLab job of acme/app on gitlab.example.com sets (the documented predefined variables). */
const GITLAB_JOB = {
  CI: 'true',
  GITLAB_CI: 'true',
  CI_SERVER_URL: 'https://gitlab.example.com',
  CI_PROJECT_PATH: 'acme/app',
  CI_PROJECT_URL: 'https://gitlab.example.com/acme/app',
  CI_PROJECT_DIR: '/builds/acme/app',
  CI_PIPELINE_ID: '123',
  CI_JOB_ID: '456',
  CI_JOB_URL: 'https://gitlab.example.com/acme/app/-/jobs/456',
  CI_COMMIT_REF_NAME: 'main',
  GITLAB_USER_LOGIN: 'alice'
}

/** What a GitHub Actions job of octo/app sets. */
const GITHUB_JOB = {
  CI: 'true',
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'octo/app',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_RUN_ID: '77',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_REF_NAME: 'main',
  GITHUB_ACTOR: 'octocat',
  RUNNER_TEMP: '/home/runner/work/_temp'
}

describe('detectCi', () => {
  it('names a GitHub Actions run by its run and attempt, as the lock and the record always have', () => {
    expect(detectCi(GITHUB_JOB, PID)).toEqual({
      kind: 'github-actions',
      runName: 'run 77 attempt 2',
      runId: '77',
      runUrl: 'https://github.com/octo/app/actions/runs/77',
      project: 'octo/app',
      ref: 'main',
      startedBy: 'octocat',
      tempDir: '/home/runner/work/_temp'
    })
  })

  it('names a GitLab job by its job, pipeline and project, links its job page, and reports in the project directory', () => {
    expect(detectCi(GITLAB_JOB, PID)).toEqual({
      kind: 'gitlab-ci',
      runName: 'GitLab job 456 of pipeline 123 in acme/app',
      runId: '456',
      runUrl: 'https://gitlab.example.com/acme/app/-/jobs/456',
      project: 'acme/app',
      ref: 'main',
      startedBy: 'alice',
      reportDir: '/builds/acme/app/token-rotation-report'
    })
  })

  it('gives a retried GitLab job (a new CI_JOB_ID) a name of its own: it never passes for the run that minted', () => {
    const first = detectCi(GITLAB_JOB, PID)
    const retry = detectCi({ ...GITLAB_JOB, CI_JOB_ID: '789', CI_JOB_URL: '' }, PID)
    expect(retry.runName).not.toBe(first.runName)
    // Without CI_JOB_URL the page is built from the project's.
    expect(retry.runUrl).toBe('https://gitlab.example.com/acme/app/-/jobs/789')
  })

  it('keeps a GitLab run name to the characters every record stores unchanged', () => {
    const odd = detectCi({ ...GITLAB_JOB, CI_PROJECT_PATH: 'acme/app (old)' }, PID)
    expect(odd.runName).toBe('GitLab job 456 of pipeline 123 in acme/app _old_')
    expect(odd.runName).toMatch(/^[\p{L}\p{N} _.:/=+\-@]+$/u)
  })

  it('is a local run anywhere else, GITHUB_* variables for the GitHub provider notwithstanding', () => {
    const local = { kind: 'local', runName: 'local run 4242', runId: '4242' }
    expect(detectCi({}, PID)).toEqual(local)
    // Set by hand for the GitHub provider, or copied from a job: they make no run a GitHub one.
    expect(detectCi({ GITHUB_REPOSITORY: 'octo/app', GITHUB_RUN_ID: '77' }, PID)).toEqual(local)
    expect(detectCi({ GITHUB_ACTIONS: 'false', GITLAB_CI: '' }, PID)).toEqual(local)
  })

  it('takes GitHub first, and a GitLab job with GITHUB_* variables for GitHub stays a GitLab job', () => {
    expect(detectCi({ ...GITLAB_JOB, ...GITHUB_JOB }, PID).kind).toBe('github-actions')
    const publishing = { ...GITLAB_JOB, GITHUB_REPOSITORY: 'octo/app', GITHUB_TOKEN: 't' }
    expect(detectCi(publishing, PID).kind).toBe('gitlab-ci')
  })

  it('treats empty variables as unset, as a CI passes an unset one', () => {
    expect(detectCi({ ...GITHUB_JOB, GITHUB_RUN_ATTEMPT: '', RUNNER_TEMP: '' }, PID)).toEqual(
      expect.not.objectContaining({ tempDir: expect.anything() })
    )
    expect(detectCi({ ...GITHUB_JOB, GITHUB_RUN_ATTEMPT: '' }, PID).runName).toBe(
      'run 77 attempt 1'
    )
    const bare = detectCi({ GITLAB_CI: 'true', CI_JOB_ID: '' }, PID)
    expect(bare).toEqual({ kind: 'gitlab-ci', runName: 'GitLab run 4242', runId: '4242' })
  })
})

describe('the identity in the configuration', () => {
  const parse = (env: Record<string, string>) =>
    parseActionConfig(
      readInputs(name => OAUTH2_INPUTS[name] ?? ''),
      // GitHub's repository names where the OAuth2 refresh token, record and lock live.
      { repository: 'octo/app', apiUrl: 'https://api.github.com', ci: detectCi(env, PID) }
    )

  it("names a GitLab job in the lock and the record, links its page in alerts, and keeps the audit log in the system's temp folder", () => {
    const config = parse(GITLAB_JOB)
    expect(config.runId).toBe('GitLab job 456 of pipeline 123 in acme/app')
    expect(config.runUrl).toBe('https://gitlab.example.com/acme/app/-/jobs/456')
    expect(config.auditLogPath).toMatch(/token-rotation-audit-456\.jsonl$/)
  })

  it('changes nothing for a GitHub run', () => {
    const config = parse(GITHUB_JOB)
    expect(config.runId).toBe('run 77 attempt 2')
    expect(config.runUrl).toBe('https://github.com/octo/app/actions/runs/77')
    expect(config.auditLogPath).toBe('/home/runner/work/_temp/token-rotation-audit-77.jsonl')
  })

  it('links nothing for a local run', () => {
    const config = parse({})
    expect(config.runId).toBe('local run 4242')
    expect(config).not.toHaveProperty('runUrl')
  })
})
