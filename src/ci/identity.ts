import { join } from 'node:path'

/** The CI systems whose runs name themselves; anything else is a local run. */
export type CiKind = 'github-actions' | 'gitlab-ci' | 'local'

/**
 * Who this run is, as its CI tells it: one value for everything that names or links the run. Holds
 * no secret (an ID token is never part of it), so it may be logged.
 */
export interface CiIdentity {
  readonly kind: CiKind
  /**
   * Names this run in the lock (the holder another run is told of), in the write-ahead record and
   * in the minting mark: `run 77 attempt 2`, `GitLab job 456 of pipeline 123 in acme/app`,
   * `local run 4242`. Distinct for each attempt, so that a retried job never passes for the run
   * that minted; only letters, digits, spaces and `_ . : / = + - @`, which every store's record
   * keeps as they are (AWS tags allow no more).
   */
  readonly runName: string
  /** A short id for file names: GITHUB_RUN_ID, CI_JOB_ID, or the process id. */
  readonly runId: string
  /** The run's page, for alerts and the report; absent for a local run. */
  readonly runUrl?: string
  /** The repository or project the run belongs to (`octo/app`, `acme/app`), when the CI says. */
  readonly project?: string
  /** The branch or tag it runs for, when the CI says. */
  readonly ref?: string
  /** Who started it (GITHUB_ACTOR, GITLAB_USER_LOGIN), when the CI says. */
  readonly startedBy?: string
  /** Where the run may keep files that die with it (RUNNER_TEMP); else the system's. */
  readonly tempDir?: string
  /**
   * Where the CLI writes its report files when no flag says: GitLab collects artifacts from the
   * project directory only, so `token-rotation-report` there; elsewhere nowhere by default.
   */
  readonly reportDir?: string
}

/** What the detection reads: the process's environment, read at the call, never at import. */
export type CiEnvironment = Readonly<Record<string, string | undefined>>

/** The folder, in CI_PROJECT_DIR, that a GitLab job's report files go to by default. */
export const GITLAB_REPORT_FOLDER = 'token-rotation-report'

/**
 * The run's identity from its environment: GitHub Actions when `GITHUB_ACTIONS` is `true`, GitLab
 * CI when `GITLAB_CI` is `true`, else a local run (a laptop, or a CI this code does not know).
 * GitHub comes first: a GitHub job never sets GITLAB_CI, while a GitLab job may export GITHUB_*
 * variables for the GitHub provider (GITHUB_REPOSITORY, GITHUB_TOKEN), which never make it a
 * GitHub run.
 * @param pid names a local run; `process.pid` in a real run
 */
export function detectCi(env: CiEnvironment, pid: number): CiIdentity {
  if (env.GITHUB_ACTIONS === 'true') return githubActionsIdentity(env, pid)
  if (env.GITLAB_CI === 'true') return gitlabCiIdentity(env, pid)
  return localIdentity(pid)
}

/** A run of no CI it knows: named by its process, linked to nothing. */
export function localIdentity(pid: number): CiIdentity {
  return { kind: 'local', runName: `local run ${String(pid)}`, runId: String(pid) }
}

/**
 * A GitHub Actions run: `run <GITHUB_RUN_ID> attempt <GITHUB_RUN_ATTEMPT>`, its page under
 * GITHUB_SERVER_URL. Without GITHUB_RUN_ID (a runner imitated by hand) it is named like a local run,
 * as it always was.
 * @see https://docs.github.com/en/actions/reference/variables-reference#default-environment-variables
 */
export function githubActionsIdentity(env: CiEnvironment, pid: number): CiIdentity {
  const runId = given(env.GITHUB_RUN_ID)
  const repository = given(env.GITHUB_REPOSITORY)
  const server = given(env.GITHUB_SERVER_URL)
  const base = runId
    ? { runName: `run ${runId} attempt ${given(env.GITHUB_RUN_ATTEMPT) ?? '1'}`, runId }
    : { runName: `local run ${String(pid)}`, runId: String(pid) }
  return {
    kind: 'github-actions',
    ...base,
    ...(server && repository && runId
      ? { runUrl: `${server}/${repository}/actions/runs/${runId}` }
      : {}),
    ...optional('project', repository),
    ...optional('ref', given(env.GITHUB_REF_NAME)),
    ...optional('startedBy', given(env.GITHUB_ACTOR)),
    ...optional('tempDir', given(env.RUNNER_TEMP))
  }
}

/**
 * A GitLab CI job: `GitLab job <CI_JOB_ID> of pipeline <CI_PIPELINE_ID> in <CI_PROJECT_PATH>`. The
 * job id is unique on the instance and new at each retry (GitLab's counterpart of an attempt);
 * the project names where to look. Its page is CI_JOB_URL (else built from the project's URL).
 * @see https://docs.gitlab.com/ci/variables/predefined_variables/
 */
export function gitlabCiIdentity(env: CiEnvironment, pid: number): CiIdentity {
  const jobId = given(env.CI_JOB_ID)
  const pipeline = given(env.CI_PIPELINE_ID)
  const project = given(env.CI_PROJECT_PATH)
  const projectUrl =
    given(env.CI_PROJECT_URL) ??
    (given(env.CI_SERVER_URL) && project
      ? `${given(env.CI_SERVER_URL) ?? ''}/${project}`
      : undefined)
  const runUrl =
    given(env.CI_JOB_URL) ?? (projectUrl && jobId ? `${projectUrl}/-/jobs/${jobId}` : undefined)
  const projectDir = given(env.CI_PROJECT_DIR)
  const name = jobId
    ? [
        `GitLab job ${jobId}`,
        ...(pipeline ? [`of pipeline ${pipeline}`] : []),
        ...(project ? [`in ${project}`] : [])
      ].join(' ')
    : // A job always has its id; without one (a job imitated by hand) the process names the run.
      `GitLab run ${String(pid)}`
  return {
    kind: 'gitlab-ci',
    runName: storable(name),
    runId: jobId ?? String(pid),
    ...optional('runUrl', runUrl),
    ...optional('project', project),
    ...optional('ref', given(env.CI_COMMIT_REF_NAME)),
    ...optional('startedBy', given(env.GITLAB_USER_LOGIN)),
    ...(projectDir ? { reportDir: join(projectDir, GITLAB_REPORT_FOLDER) } : {})
  }
}

/** A CI variable that is set: an unset one often arrives as an empty string. */
function given(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === '' ? undefined : trimmed
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>)
}

/**
 * Keeps a run name to what every record stores unchanged: a character an AWS tag refuses would be
 * replaced there, and the run would no longer recognise its own marks.
 */
function storable(name: string): string {
  return name.replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, '_')
}
