// The command line in a simulated GitLab CI job: dist/cli.js with GitLab's predefined CI_*
// variables, run from the project directory as a runner does, against local peers. The run names
// the GitLab job in its records and alerts, writes its report (the job summary as Markdown and a
// JUnit result) to token-rotation-report/ for `artifacts:`, and exits non-zero when a credential
// failed. No value reaches a file, the output or the log.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { XMLParser } from 'fast-xml-parser'
import { startWebhookServer, type WebhookServer } from '../../test-servers/webhook/server.js'
import { runNode, type ProcessResult } from '../support/child-process.js'
import {
  AWS_ROLE_SESSION as SESSION,
  SCENARIO_REPO as REPO,
  awsJobEnv,
  seedAwsRefreshToken,
  startAwsPeer,
  startOAuth2Peers,
  type AwsPeer,
  type OAuth2Peers
} from '../support/scenario-world.js'

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const JOB_NAME = 'GitLab job 456 of pipeline 123 in acme/app'
const JOB_URL = 'https://gitlab.example.com/acme/app/-/jobs/456'

let peers: OAuth2Peers
let awsPeer: AwsPeer
let webhook: WebhookServer
let projectDir: string

beforeEach(async () => {
  peers = await startOAuth2Peers()
  awsPeer = await startAwsPeer()
  webhook = await startWebhookServer()
  projectDir = await mkdtemp(join(tmpdir(), 'gitlab-project-'))
})
afterEach(async () => {
  await webhook.close()
  await awsPeer.close()
  await peers.close()
  await rm(projectDir, { recursive: true, force: true })
})

/** What GitLab sets in every job of acme/app (its documented predefined variables). */
function gitlabJob(): Record<string, string> {
  return {
    CI: 'true',
    GITLAB_CI: 'true',
    CI_SERVER_URL: 'https://gitlab.example.com',
    CI_PROJECT_PATH: 'acme/app',
    CI_PROJECT_URL: 'https://gitlab.example.com/acme/app',
    CI_PROJECT_DIR: projectDir,
    CI_PIPELINE_ID: '123',
    CI_PIPELINE_SOURCE: 'schedule',
    CI_JOB_ID: '456',
    CI_JOB_URL: JOB_URL,
    CI_COMMIT_REF_NAME: 'main',
    GITLAB_USER_LOGIN: 'alice'
  }
}

/** `token-rotation <args>` in the project directory, with only `env` besides PATH. */
function cli(args: string[], env: Record<string, string>): Promise<ProcessResult> {
  return runNode([CLI, ...args], {
    cwd: projectDir,
    env: { PATH: process.env.PATH ?? '', ...gitlabJob(), ...env }
  })
}

interface Report {
  summary: string
  junit: string
  audit: string
}

async function report(): Promise<Report> {
  const dir = join(projectDir, 'token-rotation-report')
  const read = (name: string) => readFile(join(dir, name), 'utf8').catch(() => '')
  return {
    summary: await read('summary.md'),
    junit: await read('junit.xml'),
    audit: await read('audit.jsonl')
  }
}

interface TestCase {
  '@_name': string
  failure?: { '#text': string }
  skipped?: { '#text': string }
  'system-out'?: string
}

/** The JUnit report's cases by credential, each `passed`, `failed: <reason>` or `skipped: …`. */
function cases(junit: string): Record<string, string> {
  const parsed = new XMLParser({
    ignoreAttributes: false,
    isArray: name => name === 'testcase'
  }).parse(junit) as { testsuites: { testsuite: { testcase: TestCase[] } } }
  return Object.fromEntries(
    parsed.testsuites.testsuite.testcase.map(c => [
      c['@_name'],
      c.failure
        ? `failed: ${c.failure['#text']}`
        : c.skipped
          ? `skipped: ${c.skipped['#text']}`
          : 'passed'
    ])
  )
}

/** Where a secret shows: the output, the log or a report file. */
function leaks(run: ProcessResult, files: Report, secret: string): string[] {
  const places = { stdout: run.stdout, stderr: run.stderr, ...files }
  return Object.entries(places)
    .filter(([, text]) => text.includes(secret))
    .map(([place]) => place)
}

describe('token-rotation in a GitLab CI job', () => {
  it('with no GITHUB_* variable at all: verifies what AWS holds, reports each credential, exits 1 on a failure', async () => {
    const { gate } = peers
    const { aws } = awsPeer
    aws.seedSecret('prod/db', { secretString: 'db-password-7a10c3' })
    aws.seedSecret('prod/old', { secretString: 'old-password-2f9e55' })
    gate.accept = authorization => authorization === 'Bearer db-password-7a10c3'
    await writeFile(
      join(projectDir, 'rotation.yml'),
      `version: 1
credentials:
  db:
    issuer: { kind: none }
    store: { kind: aws-secrets-manager, secret-id: prod/db }
    health-check: { url: ${gate.url}, timeout: 3s }
  old:
    issuer: { kind: none }
    store: { kind: aws-secrets-manager, secret-id: prod/old }
    health-check: { url: ${gate.url}, timeout: 3s }
`
    )

    const run = await cli(
      ['rotate', '--config', 'rotation.yml', '--mode', 'verify'],
      awsJobEnv(awsPeer)
    )
    const files = await report()

    expect(run.code).toBe(1)
    expect(Object.keys(gitlabJob()).some(name => name.startsWith('GITHUB_'))).toBe(false)
    expect(peers.github.requests).toHaveLength(0)
    expect(cases(files.junit)).toEqual({
      db: 'passed',
      old: expect.stringMatching(/^failed: .*HTTP 401/)
    })
    expect(files.summary).toContain('Token rotation: 2 credentials, 1 failed')
    expect(files.summary).toContain(`Run: [${JOB_NAME}](${JOB_URL}).`)
    expect(files.junit).toContain(`<property name="run_url" value="${JOB_URL}"/>`)
    expect(run.stderr).toContain('token-rotation-report/junit.xml')
    for (const secret of ['db-password-7a10c3', 'old-password-2f9e55', SESSION.secretAccessKey]) {
      expect(leaks(run, files, secret)).toEqual([])
    }
  })

  it('names the GitLab job in the record and in the alert, skips what is not due, and exits 0 when all is well', async () => {
    const { oauth, gate, github } = peers
    const partnerFirst = await seedAwsRefreshToken(oauth, awsPeer, 'prod/partner-oauth')
    const brokenFirst = await seedAwsRefreshToken(oauth, awsPeer, 'prod/broken-oauth')
    const credential = (id: string, secret: string, extra = '') => `
  ${id}:
    issuer:
      kind: oauth2
      token-url: ${oauth.tokenUrl}
      client-id: ${oauth.clients.basic.clientId}
      client-secret: { env: ${secret} }
    store: { kind: aws-secrets-manager, secret-id: prod/${id}-oauth, lock-expires-after: 10m }
    publish:
      - github: { secret: ${id.toUpperCase()}_TOKEN, repositories: [${REPO}] }
    health-check: { url: ${gate.url}, timeout: 3s }${extra}`
    await writeFile(
      join(projectDir, 'rotation.yml'),
      `version: 1
credentials:${credential('partner', 'PARTNER_CLIENT_SECRET', '\n    schedule: { every: 24h }')}${credential(
        'broken',
        'BROKEN_CLIENT_SECRET',
        '\n    alerts: { after: 1, webhook: { url: { env: ROTATION_WEBHOOK } } }'
      )}
`
    )
    // The GitLab project's CI/CD variables for the GitHub provider: where it publishes and locks.
    const env = {
      ...awsJobEnv(awsPeer),
      GITHUB_TOKEN: 'test-token',
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      'INPUT_WRITE-INTERVAL': '10ms',
      PARTNER_CLIENT_SECRET: oauth.clients.basic.clientSecret,
      BROKEN_CLIENT_SECRET: 'not-the-client-secret',
      ROTATION_WEBHOOK: `${webhook.url}/hook`
    }

    const first = await cli(['rotate', '--config', 'rotation.yml'], env)
    const firstFiles = await report()

    expect(first.code).toBe(1)
    expect(cases(firstFiles.junit)).toEqual({
      partner: 'passed',
      broken: expect.stringMatching(/^failed: .*client/i)
    })
    // The record names the job that wrote it: the lock's holder and the write-ahead marks use the
    // same name.
    const tags = (id: string) => awsPeer.aws.getSecret(`prod/${id}-oauth`)?.tags ?? {}
    expect(tags('partner')['token-rotation:last-run']).toMatch(new RegExp(`rotated ${JOB_NAME}$`))
    expect(tags('broken')['token-rotation:last-run']).toMatch(new RegExp(`${JOB_NAME}$`))
    // The audit trail goes with the report, for the job's artifacts.
    expect(firstFiles.audit).toContain('"event"')
    // The alert links the job's page.
    const alerts = webhook.requests.map(
      r => JSON.parse(r.body.toString('utf8')) as { run_url: string }
    )
    expect(alerts).toEqual([
      expect.objectContaining({ credential: 'broken', status: 'failed', run_url: JOB_URL })
    ])
    const partnerNow = JSON.parse(
      awsPeer.aws.stageOf('prod/partner-oauth', 'AWSCURRENT')?.secretString ?? '{}'
    ) as {
      refresh_token: string
    }

    // The next scheduled pipeline, with the broken credential left out: partner is not due.
    const second = await cli(['rotate', '--config', 'rotation.yml', '--credentials', 'partner'], {
      ...env,
      CI_PIPELINE_ID: '124',
      CI_JOB_ID: '457',
      CI_JOB_URL: 'https://gitlab.example.com/acme/app/-/jobs/457'
    })
    const secondFiles = await report()

    expect(second.code).toBe(0)
    expect(cases(secondFiles.junit)).toEqual({
      partner: expect.stringMatching(/^skipped: not due; next due \d{4}-/)
    })
    expect(secondFiles.summary).toContain('Run: [GitLab job 457 of pipeline 124 in acme/app]')

    const secrets = [
      partnerFirst,
      partnerNow.refresh_token,
      brokenFirst,
      oauth.clients.basic.clientSecret,
      SESSION.secretAccessKey,
      github.getSecret(`repos/${REPO}/actions/secrets/PARTNER_TOKEN`)?.value ?? ''
    ].filter(secret => secret !== '')
    for (const secret of secrets) {
      expect([...leaks(first, firstFiles, secret), ...leaks(second, secondFiles, secret)]).toEqual(
        []
      )
    }
  })
})
