// The sandbox's GitLab CI part: the command line (dist/cli.js) in a simulated GitLab job, with
// GitLab's predefined CI_* variables and no GITHUB_* one, run from the project directory as a
// runner does. The job logs in to Vault with its ID token (id_tokens: TOKEN_ROTATION_ID_TOKEN,
// signed by a local issuer standing for GitLab's), rotates an OAuth2 refresh token kept in Vault
// KV, publishes the access token to a masked, protected CI/CD variable of the local GitLab, and
// writes its report folder (summary.md, junit.xml, audit.jsonl) for `artifacts:`. The next
// scheduled pipeline finds the credential not due and reports it skipped.
import { spawn } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startGitLabServer } from '../../test-servers/gitlab/index.js'
import { startOAuth2Server } from '../../test-servers/oauth2/index.js'
import { createOidcIssuer, startVaultServer } from '../../test-servers/vault/index.js'
import {
  check,
  checksFollow,
  kvField,
  makeWorkspace,
  masked,
  remember,
  secrets,
  section
} from './common.js'

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const GITLAB_INSTANCE = 'https://gitlab.example.com'
const PROJECT = 'acme/app'
const REPORT_DIR = 'token-rotation-report'
/** The audience the job's ID token carries and Vault's role binds, as docs/gitlab-ci.md shows. */
const AUDIENCE = 'https://vault.example.com'

interface CliRun {
  code: number
  stdout: string
  stderr: string
}

function runCli(
  args: readonly string[],
  cwd: string,
  env: Record<string, string>
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', code => {
      resolve({ code: code ?? -1, stdout, stderr })
    })
  })
}

/** What GitLab sets in a job of acme/app (its documented predefined variables). */
function gitlabJob(projectDir: string, pipeline: number, job: number): Record<string, string> {
  return {
    CI: 'true',
    GITLAB_CI: 'true',
    CI_SERVER_URL: GITLAB_INSTANCE,
    CI_PROJECT_PATH: PROJECT,
    CI_PROJECT_URL: `${GITLAB_INSTANCE}/${PROJECT}`,
    CI_PROJECT_DIR: projectDir,
    CI_PIPELINE_ID: String(pipeline),
    CI_PIPELINE_SOURCE: 'schedule',
    CI_JOB_ID: String(job),
    CI_JOB_URL: `${GITLAB_INSTANCE}/${PROJECT}/-/jobs/${job}`,
    CI_COMMIT_REF_NAME: 'main',
    GITLAB_USER_LOGIN: 'alice'
  }
}

/** The JUnit report's counts, from its `<testsuite …>` line, and each case's outcome. */
function junitOf(xml: string): { line: string; cases: Record<string, string> } {
  const line = /<testsuite [^>]*>/.exec(xml)?.[0] ?? '(no <testsuite> in junit.xml)'
  const cases: Record<string, string> = {}
  for (const match of xml.matchAll(
    /<testcase [^>]*name="([^"]+)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g
  )) {
    const body = match[3] ?? ''
    cases[match[1] ?? '?'] = body.includes('<failure')
      ? 'failed'
      : body.includes('<skipped')
        ? `skipped (${/<skipped[^>]*>([^<]*)</.exec(body)?.[1] ?? /message="([^"]*)"/.exec(body)?.[1] ?? ''})`
        : 'passed'
  }
  return { line, cases }
}

export async function gitlabJobDemo(): Promise<void> {
  const oidc = createOidcIssuer({ issuer: GITLAB_INSTANCE })
  const vault = await startVaultServer({
    policies: {
      partner: `
path "secret/data/ci/partner"      { capabilities = ["read", "update"] }
path "secret/metadata/ci/partner"  { capabilities = ["update"] }
path "secret/data/ci/partner.lock" { capabilities = ["read", "create", "update"] }
`
    },
    jwt: {
      jwt: {
        jwks: oidc.jwks,
        bound_issuer: GITLAB_INSTANCE,
        roles: {
          'ci-rotation': {
            user_claim: 'project_path',
            bound_audiences: [AUDIENCE],
            bound_claims: { project_path: PROJECT, ref_protected: 'true' },
            token_policies: ['partner'],
            token_ttl: '30m'
          }
        }
      }
    }
  })
  const gitlab = await startGitLabServer()
  const oauth = await startOAuth2Server()
  const project = await makeWorkspace('gitlab-project')
  try {
    gitlab.addUser('maria')
    gitlab.addProject(PROJECT)
    gitlab.addMember('maria', 'project', PROJECT, 'maintainer')
    const gitlabToken = gitlab.seedPersonalToken('maria', {
      name: 'ci-variables',
      scopes: ['api']
    }).token
    const first = await oauth.mintRefreshToken()
    vault.kv.write('secret/ci/partner', { refresh_token: first })
    remember(gitlabToken, first, oauth.clients.basic.clientSecret, vault.rootToken)
    // The job's id_tokens: { TOKEN_ROTATION_ID_TOKEN: { aud: AUDIENCE } }, as GitLab signs it.
    const idToken = (job: number) =>
      oidc.sign({
        aud: AUDIENCE,
        sub: `project_path:${PROJECT}:ref_type:branch:ref:main`,
        project_path: PROJECT,
        namespace_path: 'acme',
        ref: 'main',
        ref_type: 'branch',
        ref_protected: 'true',
        pipeline_source: 'schedule',
        job_id: String(job)
      })
    await project.write(
      'token-rotation.yml',
      `version: 1
connections:
  vault:
    local:
      address: ${vault.url}
      auth: { method: jwt, role: ci-rotation, audience: ${AUDIENCE} }
credentials:
  partner-api:
    vault: local
    issuer:
      kind: oauth2
      token-url: ${oauth.tokenUrl}
      client-id: ${oauth.clients.basic.clientId}
      client-secret: { env: PARTNER_CLIENT_SECRET }
    store: { kind: vault-kv, mount: secret, path: ci/partner }
    publish:
      - gitlab: { url: ${gitlab.url}, token: { env: GITLAB_TOKEN }, project: ${PROJECT}, variable: PARTNER_TOKEN, masked: true, protected: true }
    health-check: { url: ${oauth.resourceUrl}, timeout: 5s }
    schedule: { every: 24h }
`
    )
    section(
      'GitLab CI: the command line in a scheduled GitLab job, writing its report folder',
      `Local Vault on ${vault.url} (JWT login bound to ${GITLAB_INSTANCE}'s ID tokens for project ${PROJECT} on a protected ref), ` +
        `local GitLab on ${gitlab.url}, local OAuth2 server on ${oauth.issuer}; secret/ci/partner holds the first refresh token.\n` +
        `\`node dist/cli.js rotate --config token-rotation.yml\` runs in ${project.dir} with GitLab's CI_* variables, ` +
        `the job's ID token in TOKEN_ROTATION_ID_TOKEN, and no GITHUB_* variable: the Vault store brings its own lock.`
    )

    const job = async (pipeline: number, jobId: number): Promise<CliRun> => {
      const token = idToken(jobId)
      remember(token)
      const result = await runCli(['rotate', '--config', 'token-rotation.yml'], project.dir, {
        PATH: process.env.PATH ?? '',
        ...gitlabJob(project.dir, pipeline, jobId),
        TOKEN_ROTATION_ID_TOKEN: token,
        PARTNER_CLIENT_SECRET: oauth.clients.basic.clientSecret,
        GITLAB_TOKEN: gitlabToken
      })
      for (const entry of vault.log.entries) remember(entry.headers['x-vault-token'])
      for (const version of vault.kv.versions('secret/ci/partner')) {
        remember(kvField(vault.kv.read('secret/ci/partner', { version }), 'refresh_token'))
      }
      remember(gitlab.variable('project', PROJECT, 'PARTNER_TOKEN')?.value)
      return result
    }
    const reportDir = join(project.dir, REPORT_DIR)
    const report = async () => {
      const read = (name: string) => readFile(join(reportDir, name), 'utf8').catch(() => '')
      return {
        summary: await read('summary.md'),
        junit: await read('junit.xml'),
        audit: await read('audit.jsonl')
      }
    }
    const noLeaks = (run: CliRun, files: Record<string, string>) => {
      const places = { stdout: run.stdout, stderr: run.stderr, ...files }
      const found = Object.entries(places)
        .filter(([, text]) => [...secrets].some(secret => secret !== '' && text.includes(secret)))
        .map(([place]) => place)
      check(
        found.length === 0,
        `no secret value in the output, the log or a report file${found.length ? ` (found in ${found.join(', ')})` : ''}`
      )
    }
    const showJob = async (title: string, run: CliRun, full: boolean) => {
      const rule = '='.repeat(100)
      console.log(`${rule}\n${title}\n${rule}`)
      console.log('--- job log (stdout, then stderr) ---')
      process.stdout.write(masked(run.stdout))
      process.stdout.write(masked(run.stderr))
      console.log(`--- exit code ${run.code}; report folder ${reportDir} ---`)
      for (const name of (await readdir(reportDir).catch(() => [])).sort()) {
        console.log(`  ${name} (${(await stat(join(reportDir, name))).size} bytes)`)
      }
      const files = await report()
      console.log(`JUnit: ${junitOf(files.junit).line}`)
      if (full) console.log(`--- ${REPORT_DIR}/summary.md ---\n${masked(files.summary)}`)
      return files
    }

    const one = await job(123, 456)
    const oneFiles = await showJob('GitLab job 456 of pipeline 123: rotate', one, true)
    checksFollow()
    const jobName = `GitLab job 456 of pipeline 123 in ${PROJECT}`
    check(one.code === 0, 'exit code 0')
    check(
      JSON.stringify(junitOf(oneFiles.junit).cases) === JSON.stringify({ 'partner-api': 'passed' }),
      `junit.xml: partner-api passed (${JSON.stringify(junitOf(oneFiles.junit).cases)})`
    )
    check(
      oneFiles.summary.includes(`Run: [${jobName}](${GITLAB_INSTANCE}/${PROJECT}/-/jobs/456)`),
      "summary.md ends with a link to the job's page"
    )
    check(oneFiles.audit.includes('"event"'), `${REPORT_DIR}/audit.jsonl holds the audit trail`)
    check(
      /token-rotation-report\/junit\.xml/.test(one.stderr + one.stdout),
      'the log says where the report is'
    )
    const logins = vault.log.filter({ method: 'POST', path: '/v1/auth/jwt/login' })
    check(
      logins.length === 1 && logins[0]?.status === 200,
      "Vault accepted the job's ID token (one JWT login, role ci-rotation)"
    )
    check(
      vault.liveTokens().every(token => token.id === vault.rootToken),
      "the job's Vault token was revoked at its end"
    )
    const newest = vault.kv.read('secret/ci/partner')
    const live = kvField(newest, 'refresh_token')
    check(
      live !== first &&
        (await oauth.isRefreshTokenActive(live)) &&
        !(await oauth.isRefreshTokenActive(first)),
      `secret/ci/partner v${newest?.version} holds a live refresh token; the first is consumed`
    )
    check(
      Object.values(newest?.custom_metadata ?? {})
        .join('')
        .includes(jobName),
      `the record in its custom_metadata names the run "${jobName}"`
    )
    const variable = gitlab.variable('project', PROJECT, 'PARTNER_TOKEN')
    check(
      variable !== undefined &&
        variable.masked &&
        variable.protected &&
        (await oauth.isAccessTokenActive(variable.value)),
      `the CI/CD variable PARTNER_TOKEN of ${PROJECT} (masked, protected) holds an access token that works`
    )
    noLeaks(one, oneFiles)

    const two = await job(124, 457)
    const twoFiles = await showJob(
      'GitLab job 457 of pipeline 124: the next scheduled pipeline',
      two,
      false
    )
    checksFollow()
    check(two.code === 0, 'exit code 0')
    const skipped = junitOf(twoFiles.junit).cases['partner-api'] ?? ''
    check(/^skipped \(.*not due/.test(skipped), `junit.xml: partner-api ${skipped}`)
    check(
      vault.kv.read('secret/ci/partner')?.data?.refresh_token === live,
      'the refresh token was left alone'
    )
    noLeaks(two, twoFiles)
  } finally {
    await project.remove()
    await oauth.close()
    await gitlab.close()
    await vault.close()
  }
}
