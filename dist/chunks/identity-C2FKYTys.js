import { join } from 'node:path';

/** The folder, in CI_PROJECT_DIR, that a GitLab job's report files go to by default. */
const GITLAB_REPORT_FOLDER = 'token-rotation-report';
/**
 * The run's identity from its environment: GitHub Actions when `GITHUB_ACTIONS` is `true`, GitLab
 * CI when `GITLAB_CI` is `true`, else a local run (a laptop, or a CI this code does not know).
 * GitHub comes first: a GitHub job never sets GITLAB_CI, while a GitLab job may export GITHUB_*
 * variables for the GitHub provider (GITHUB_REPOSITORY, GITHUB_TOKEN), which never make it a
 * GitHub run.
 * @param pid names a local run; `process.pid` in a real run
 */
function detectCi(env, pid) {
    if (env.GITHUB_ACTIONS === 'true')
        return githubActionsIdentity(env, pid);
    if (env.GITLAB_CI === 'true')
        return gitlabCiIdentity(env, pid);
    return localIdentity(pid);
}
/** A run of no CI it knows: named by its process, linked to nothing. */
function localIdentity(pid) {
    return { kind: 'local', runName: `local run ${String(pid)}`, runId: String(pid) };
}
/**
 * A GitHub Actions run: `run <GITHUB_RUN_ID> attempt <GITHUB_RUN_ATTEMPT>`, its page under
 * GITHUB_SERVER_URL. Without GITHUB_RUN_ID (a runner imitated by hand) it is named like a local run,
 * as it always was.
 * @see https://docs.github.com/en/actions/reference/variables-reference#default-environment-variables
 */
function githubActionsIdentity(env, pid) {
    const runId = given(env.GITHUB_RUN_ID);
    const repository = given(env.GITHUB_REPOSITORY);
    const server = given(env.GITHUB_SERVER_URL);
    const base = runId
        ? { runName: `run ${runId} attempt ${given(env.GITHUB_RUN_ATTEMPT) ?? '1'}`, runId }
        : { runName: `local run ${String(pid)}`, runId: String(pid) };
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
    };
}
/**
 * A GitLab CI job: `GitLab job <CI_JOB_ID> of pipeline <CI_PIPELINE_ID> in <CI_PROJECT_PATH>`. The
 * job id is unique on the instance and new at each retry (GitLab's counterpart of an attempt);
 * the project names where to look. Its page is CI_JOB_URL (else built from the project's URL).
 * @see https://docs.gitlab.com/ci/variables/predefined_variables/
 */
function gitlabCiIdentity(env, pid) {
    const jobId = given(env.CI_JOB_ID);
    const pipeline = given(env.CI_PIPELINE_ID);
    const project = given(env.CI_PROJECT_PATH);
    const projectUrl = given(env.CI_PROJECT_URL) ??
        (given(env.CI_SERVER_URL) && project
            ? `${given(env.CI_SERVER_URL) ?? ''}/${project}`
            : undefined);
    const runUrl = given(env.CI_JOB_URL) ?? (projectUrl && jobId ? `${projectUrl}/-/jobs/${jobId}` : undefined);
    const projectDir = given(env.CI_PROJECT_DIR);
    const name = jobId
        ? [
            `GitLab job ${jobId}`,
            ...(pipeline ? [`of pipeline ${pipeline}`] : []),
            ...(project ? [`in ${project}`] : [])
        ].join(' ')
        : // A job always has its id; without one (a job imitated by hand) the process names the run.
            `GitLab run ${String(pid)}`;
    return {
        kind: 'gitlab-ci',
        runName: storable(name),
        runId: jobId ?? String(pid),
        ...optional('runUrl', runUrl),
        ...optional('project', project),
        ...optional('ref', given(env.CI_COMMIT_REF_NAME)),
        ...optional('startedBy', given(env.GITLAB_USER_LOGIN)),
        ...(projectDir ? { reportDir: join(projectDir, GITLAB_REPORT_FOLDER) } : {})
    };
}
/** A CI variable that is set: an unset one often arrives as an empty string. */
function given(value) {
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
function optional(key, value) {
    return value === undefined ? {} : { [key]: value };
}
/**
 * Keeps a run name to what every record stores unchanged: a character an AWS tag refuses would be
 * replaced there, and the run would no longer recognise its own marks.
 */
function storable(name) {
    return name.replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, '_');
}

export { detectCi as d, localIdentity as l };
