// An OAuth2 refresh token kept in a GitLab CI/CD variable (store: gitlab-variable) and rotated by
// the bundled dist/index.js and dist/cli.js against a real rotating grant (oidc-provider revokes it
// on any reuse of a refresh token) and the local GitLab server, with nothing of GitHub's: the
// access token goes to another GitLab variable. A run killed after each step is rerun and resumes
// or refuses exactly as DESIGN.md's write-ahead table says; two runs at once: one writes; a run in a
// simulated GitLab job (no GITHUB_* variable at all) writes its report; no value in any output.
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { openRecovery } from '../../src/recovery/recovery-box.js'
import { generateRecoveryKeyPair, type RecoveryKeyPair } from '../../src/recovery/recovery-key.js'
import { runAction } from '../../test-servers/action-runner.js'
import { startGitLabServer, type GitLabServer } from '../../test-servers/gitlab/index.js'
import { startHealthGate, type HealthGate } from '../../test-servers/health-gate.js'
import { startOAuth2Server, type OAuth2Server } from '../../test-servers/oauth2/index.js'

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const PROJECT = 'acme/app'
const REFRESH = 'PARTNER_REFRESH_TOKEN'
const ACCESS = 'PARTNER_ACCESS_TOKEN'
const STATE = `${REFRESH}_STATE`
const LOCK = `${STATE}_LOCK`
const VARIABLES = `/api/v4/projects/${encodeURIComponent(PROJECT)}/variables`
const MINUTE = 60_000

type Entry = 'dist/index.js' | 'dist/cli.js'

let gitlab: GitLabServer
let oauth: OAuth2Server
let gate: HealthGate
let keys: RecoveryKeyPair
let admin: string
let first: string
let dir: string
let runNumber: number
/** Every secret value the test has seen: none may appear in any run's output. */
let secrets: Set<string>

beforeEach(async () => {
  gitlab = await startGitLabServer()
  gitlab.addUser('maria')
  gitlab.addProject(PROJECT)
  gitlab.addMember('maria', 'project', PROJECT, 'maintainer')
  admin = gitlab.seedPersonalToken('maria', { name: 'ci-admin', scopes: ['api'] }).token
  oauth = await startOAuth2Server()
  gate = await startHealthGate(oauth.resourceUrl)
  keys = await generateRecoveryKeyPair()
  first = await oauth.mintRefreshToken()
  // As a person stores it once before the first scheduled rotation.
  gitlab.seedVariable('project', PROJECT, {
    key: REFRESH,
    value: first,
    masked: true,
    hidden: true,
    raw: true
  })
  dir = await mkdtemp(join(tmpdir(), 'gitlab-store-'))
  await writeFile(join(dir, 'rotation.yml'), configFile())
  runNumber = 100
  secrets = new Set([first, admin, oauth.clients.basic.clientSecret, keys.privateKey])
})
afterEach(async () => {
  await gate.close()
  await oauth.close()
  await gitlab.close()
  await rm(dir, { recursive: true, force: true })
})

function configFile(): string {
  const connection = `url: ${gitlab.url}, token: { env: GITLAB_TOKEN }, project: ${PROJECT}`
  return `version: 1
credentials:
  partner-oauth:
    issuer:
      kind: oauth2
      token-url: ${oauth.tokenUrl}
      client-id: ${oauth.clients.basic.clientId}
      client-secret: { env: CLIENT_SECRET }
      refresh-token: { env: ${REFRESH} }
    store: { kind: gitlab-variable, ${connection}, variable: ${REFRESH}, lock-expires-after: 10m }
    recovery-public-key: "${keys.publicKey}"
    publish:
      - gitlab: { ${connection}, variable: ${ACCESS} }
    health-check: { url: ${gate.url}, timeout: 3s }
`
}

/** What the variable holds now (test-only: the server shows hidden values to tests). */
function variable(key: string): string | undefined {
  return gitlab.variable('project', PROJECT, key)?.value
}

function record(): Record<string, unknown> {
  const text = variable(STATE)
  return text === undefined ? {} : (JSON.parse(text) as Record<string, unknown>)
}

/** What a run left: its exit, everything it printed or wrote, and whether it was killed. */
interface Run {
  code: number
  killed: boolean
  /** stdout and stderr. */
  log: string
  /** The errors it reported: `::error` lines of the action, `error:` lines of the CLI. */
  errors: string
  /** Everything a value could leak into: log, outputs, summary, audit, report files. */
  everything: string
}

interface RunOptions {
  entry: Entry
  /** A re-run: the action's next attempt of the same run, the CLI's job retried (a new job id). */
  attempt?: number
  killWhen?: () => boolean
  env?: Record<string, string>
}

/**
 * One run as a scheduled job starts it: the refresh token as GitLab exposes its variable to the
 * job now. The action runs in a workflow with no github-token; the CLI in a GitLab job with no
 * GITHUB_* variable at all.
 */
async function rotate(options: RunOptions): Promise<Run> {
  const attempt = options.attempt ?? 1
  if (attempt === 1) runNumber += 1
  const env = {
    GITLAB_TOKEN: admin,
    CLIENT_SECRET: oauth.clients.basic.clientSecret,
    [REFRESH]: variable(REFRESH) ?? '',
    ...options.env
  }
  const run =
    options.entry === 'dist/index.js'
      ? await actionRun(env, attempt, options.killWhen)
      : await cliRun(env, attempt, options.killWhen)
  for (const key of [REFRESH, ACCESS]) {
    const value = variable(key)
    if (value !== undefined) secrets.add(value)
  }
  return run
}

async function actionRun(
  env: Record<string, string>,
  attempt: number,
  killWhen?: () => boolean
): Promise<Run> {
  const run = await runAction({
    inputs: { config: 'rotation.yml' },
    env: {
      GITHUB_REPOSITORY: 'octo/app',
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: String(attempt),
      GITHUB_WORKSPACE: dir,
      ...env
    },
    ...(killWhen ? { killWhen } : {})
  })
  const log = `${run.stdout}\n${run.stderr}`
  return {
    code: run.exitCode,
    killed: run.killed,
    log,
    errors: run.errors.join('\n'),
    everything: [log, run.summary, run.audit, ...Object.values(run.outputs)].join('\n')
  }
}

/** What GitLab sets in a job of acme/app: its predefined variables, and nothing of GitHub's. */
function gitlabJob(attempt: number): Record<string, string> {
  const job = String(runNumber * 10 + attempt)
  return {
    CI: 'true',
    GITLAB_CI: 'true',
    CI_SERVER_URL: 'https://gitlab.example.com',
    CI_PROJECT_PATH: PROJECT,
    CI_PROJECT_URL: `https://gitlab.example.com/${PROJECT}`,
    CI_PROJECT_DIR: dir,
    CI_PIPELINE_ID: String(runNumber),
    CI_PIPELINE_SOURCE: 'schedule',
    CI_JOB_ID: job,
    CI_JOB_URL: `https://gitlab.example.com/${PROJECT}/-/jobs/${job}`,
    CI_COMMIT_REF_NAME: 'main'
  }
}

async function cliRun(
  env: Record<string, string>,
  attempt: number,
  killWhen?: () => boolean
): Promise<Run> {
  const report = join(dir, 'token-rotation-report')
  await rm(report, { recursive: true, force: true })
  const result = await spawnNode(
    [CLI, 'rotate', '--config', 'rotation.yml'],
    { PATH: process.env.PATH ?? '', ...gitlabJob(attempt), ...env },
    killWhen
  )
  const files = await readdir(report).catch(() => [])
  const texts = await Promise.all(files.map(name => readFile(join(report, name), 'utf8')))
  const log = `${result.stdout}\n${result.stderr}`
  return {
    code: result.code,
    killed: result.killed,
    log,
    errors: result.stderr
      .split('\n')
      .filter(line => line.startsWith('error: '))
      .join('\n'),
    everything: [log, ...texts].join('\n')
  }
}

/** `node <args>` in the project directory, killed (SIGKILL) once `killWhen` answers true. */
function spawnNode(
  args: string[],
  env: Record<string, string>,
  killWhen?: () => boolean
): Promise<{ code: number; stdout: string; stderr: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    let killed = false
    const watch = killWhen
      ? setInterval(() => {
          if (!killed && killWhen()) {
            killed = true
            child.kill('SIGKILL')
          }
        }, 5)
      : undefined
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', code => {
      clearInterval(watch)
      resolve({ code: code ?? -1, stdout, stderr, killed })
    })
  })
}

function expectNoLeaks(...runs: Run[]): void {
  for (const run of runs) {
    const shown = run.everything
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n')
    expect([...secrets].filter(secret => shown.includes(secret))).toEqual([])
  }
}

function expectOk(run: Run): void {
  expect([run.code, run.errors.trim()]).toEqual([0, ''])
}

function recoveryCiphertext(run: Run): string {
  const match = /Recovery ciphertext[^:]*: ([A-Za-z0-9+/=]+)/.exec(run.log)
  if (!match?.[1]) throw new Error('the run logged no recovery ciphertext')
  return match[1]
}

/** Deletes or writes a variable as a maintainer would, behind the action's back. */
async function api(method: 'DELETE' | 'PUT', key: string, value?: string): Promise<number> {
  const answer = await fetch(
    `${gitlab.apiUrl}/projects/${encodeURIComponent(PROJECT)}/variables/${key}`,
    {
      method,
      headers: {
        'private-token': admin,
        ...(value === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' })
      },
      ...(value === undefined ? {} : { body: new URLSearchParams({ value }).toString() })
    }
  )
  return answer.status
}

/** Requests to `key`'s variable with `method` since `from` (an index of the server's log). */
function requestsTo(key: string, method: string, from = 0): number {
  return gitlab.log.entries
    .slice(from)
    .filter(r => r.method === method && r.path === `${VARIABLES}/${key}`).length
}

/** The grant is alive, and one more rotation with the token the variable holds succeeds. */
async function expectGrantAlive(entry: Entry): Promise<void> {
  expect(await oauth.isGrantAlive(first)).toBe(true)
  expect(await oauth.isRefreshTokenActive(variable(REFRESH) ?? '')).toBe(true)
  const requests = oauth.tokenRequests
  const final = await rotate({ entry })
  expectOk(final)
  expect(oauth.tokenRequests).toBe(requests + 1)
  expect(await oauth.isGrantAlive(first)).toBe(true)
  expectNoLeaks(final)
}

describe.each<Entry>(['dist/index.js', 'dist/cli.js'])(
  'store: gitlab-variable through %s',
  entry => {
    it('rotates: the new refresh token in the hidden variable, the access token published and working, the record beside them, the lock gone', async () => {
      for (let i = 0; i < 3; i += 1) {
        const before = variable(REFRESH) ?? ''
        const run = await rotate({ entry })
        expectOk(run)
        expectNoLeaks(run)
        expect(await oauth.isRefreshTokenActive(before)).toBe(false)
      }
      expect(gitlab.variable('project', PROJECT, REFRESH)).toMatchObject({
        hidden: true,
        masked: true
      })
      expect(await oauth.isRefreshTokenActive(variable(REFRESH) ?? '')).toBe(true)
      expect(await oauth.isAccessTokenActive(variable(ACCESS) ?? '')).toBe(true)
      expect(record()).toMatchObject({
        consecutiveFailures: 0,
        current: expect.anything() as unknown
      })
      expect(JSON.stringify(record())).not.toContain(variable(REFRESH) ?? '-')
      expect(variable(LOCK)).toBeUndefined()
      expect(await oauth.isGrantAlive(first)).toBe(true)
    })

    it('lets one of two runs started together rotate, and the grant stays alive', async () => {
      const runs = await Promise.all([rotate({ entry }), rotate({ entry })])
      expect(runs.map(run => run.code).sort()).toEqual([0, 1])
      // The other found the lock held, or (if it started after the first ended) its input stale.
      expect(runs.find(run => run.code === 1)?.errors).toMatch(
        /Another rotation holds the lock|is stale/
      )
      expect(oauth.tokenRequests).toBe(1)
      expectNoLeaks(...runs)
      await expectGrantAlive(entry)
    })

    it('refuses a stale refresh token without touching the OAuth2 server or the variable', async () => {
      const stale = variable(REFRESH) ?? ''
      expectOk(await rotate({ entry }))
      const now = variable(REFRESH)
      const requests = oauth.tokenRequests
      const run = await rotate({ entry, env: { [REFRESH]: stale } })
      expect(run.code).toBe(1)
      expect(run.errors).toMatch(/stale|another run/i)
      expect(oauth.tokenRequests).toBe(requests)
      expect(variable(REFRESH)).toBe(now)
      expectNoLeaks(run)
      await expectGrantAlive(entry)
    })

    describe('a run killed after each step, then rerun', () => {
      /**
       * Kills the first run at `stop`, then reruns it after deleting the dead run's lock as its
       * message says to: the lock cannot tell a dead run from a live one, so it is never taken over
       * before it expires. Eleven minutes later by GitLab's clock the killed run's lease of ten
       * minutes is over.
       */
      async function killThenRerun(stop: () => boolean, options: { leaseOver?: boolean } = {}) {
        const killed = await rotate({ entry, killWhen: stop })
        expect(killed.killed).toBe(true)
        expectNoLeaks(killed)
        gitlab.faults.clear()
        oauth.faults.clear()
        gate.hold = false
        const locked = await rotate({ entry, attempt: 2 })
        expect(locked.errors).toMatch(/Another rotation holds the lock .*delete the variable/)
        expect(await api('DELETE', LOCK)).toBe(204)
        if (options.leaseOver ?? true) gitlab.clock.advance(11 * MINUTE)
        const rerun = await rotate({ entry, attempt: 3 })
        expectNoLeaks(rerun)
        return { killed, rerun }
      }

      it('while minting: refuses to guess, then tries once when told the answer never arrived', async () => {
        oauth.faults.add({ endpoint: 'token', kind: 'delay-response', delayMs: 60_000 })
        const { killed, rerun: early } = await killThenRerun(() => oauth.tokenRequests > 0, {
          leaseOver: false
        })
        expect(killed.log).not.toMatch(/Recovery ciphertext/)
        expect(early.code).toBe(1)
        expect(early.errors).toMatch(/may still be minting.*Nothing was minted or written/)
        gitlab.clock.advance(11 * MINUTE)
        const rerun = await rotate({ entry, attempt: 4 })
        expectNoLeaks(rerun)
        expect(rerun.code).toBe(1)
        expect(rerun.errors).toMatch(/stopped while exchanging this refresh token/)
        expect(oauth.tokenRequests).toBe(1)
        // Following the message: delete the record, and the next run tries the token once.
        expect(await api('DELETE', STATE)).toBe(204)
        const third = await rotate({ entry })
        expect(third.code).toBe(1)
        expect(third.errors).toMatch(/Re-authorization needed/)
        expectNoLeaks(third)
      })

      it('after minting, before persisting: refuses to reuse, and the ciphertext completes it', async () => {
        // The preflight check writes the variable once; the persist's write hangs.
        gitlab.faults.add({
          method: 'PUT',
          path: `${VARIABLES}/${REFRESH}`,
          delayMs: 60_000,
          skip: 1
        })
        const { killed, rerun } = await killThenRerun(() => requestsTo(REFRESH, 'PUT') >= 2)
        expect(rerun.code).toBe(1)
        expect(rerun.errors).toMatch(/recovery ciphertext/)
        expect(variable(REFRESH)).toBe(first)
        expect(await oauth.isGrantAlive(first)).toBe(true)
        const recovered = await openRecovery(recoveryCiphertext(killed), keys.privateKey)
        secrets.add(recovered)
        expect(await api('PUT', REFRESH, recovered)).toBe(200)
        const third = await rotate({ entry })
        expectOk(third)
        expectNoLeaks(third)
        expect(await oauth.isGrantAlive(first)).toBe(true)
      })

      it('after persisting, before publishing: the rerun resumes without a reuse', async () => {
        // The targets' read at publish (after the preflight's) hangs.
        gitlab.faults.add({
          method: 'GET',
          path: `${VARIABLES}/${ACCESS}`,
          delayMs: 60_000,
          skip: 1
        })
        const { rerun } = await killThenRerun(() => requestsTo(ACCESS, 'GET') >= 2)
        expectOk(rerun)
        expect(rerun.log).toMatch(/resumed the rotation of/)
        expect(await oauth.isGrantAlive(first)).toBe(true)
        expect(await oauth.isAccessTokenActive(variable(ACCESS) ?? '')).toBe(true)
      })

      it('after publishing, before verifying: the rerun resumes without a reuse', async () => {
        gate.hold = true
        const { rerun } = await killThenRerun(() => gate.requests > 0)
        expectOk(rerun)
        expect(await oauth.isGrantAlive(first)).toBe(true)
        expect(await oauth.isAccessTokenActive(variable(ACCESS) ?? '')).toBe(true)
      })

      it('after verifying, before promoting: the rerun resumes without a reuse', async () => {
        let from = Number.POSITIVE_INFINITY
        gate.onAnswer = () => {
          from = gitlab.log.entries.length
          gitlab.faults.add({ method: 'PUT', path: `${VARIABLES}/${STATE}`, delayMs: 60_000 })
        }
        const { rerun } = await killThenRerun(() => requestsTo(STATE, 'PUT', from) > 0)
        expectOk(rerun)
        expect(await oauth.isGrantAlive(first)).toBe(true)
        await expectGrantAlive(entry)
      })

      it('after promoting: the rerun rotates as usual', async () => {
        let from = Number.POSITIVE_INFINITY
        // The promotion writes the run's outcome with it; the next request reads the lock to release it.
        gate.onAnswer = () => {
          from = gitlab.log.entries.length
          gitlab.faults.add({ path: `${VARIABLES}/${LOCK}`, delayMs: 60_000 })
        }
        const { rerun } = await killThenRerun(
          () =>
            requestsTo(STATE, 'PUT', from) > 0 &&
            gitlab.log.entries.slice(from).some(r => r.path === `${VARIABLES}/${LOCK}`)
        )
        expectOk(rerun)
        expect(await oauth.isGrantAlive(first)).toBe(true)
        expect(record()).toMatchObject({ consecutiveFailures: 0 })
      })
    })
  }
)

describe('dist/cli.js in a simulated GitLab job', () => {
  it('rotates with no GITHUB_* variable at all and writes its report, with no value in it', async () => {
    const run = await rotate({ entry: 'dist/cli.js' })
    expectOk(run)
    expectNoLeaks(run)
    expect(Object.keys(gitlabJob(1)).some(name => name.startsWith('GITHUB_'))).toBe(false)
    const report = join(dir, 'token-rotation-report')
    const summary = await readFile(join(report, 'summary.md'), 'utf8')
    const junit = await readFile(join(report, 'junit.xml'), 'utf8')
    expect(summary).toMatch(/partner-oauth/)
    expect(summary).toContain(
      `Run: [GitLab job ${String(runNumber * 10 + 1)} of pipeline ${String(runNumber)} in ${PROJECT}]`
    )
    expect(junit).toMatch(/testcase[^>]*name="partner-oauth"/)
    expect(junit).not.toMatch(/<failure/)
    // The record names the job that wrote it.
    expect(JSON.stringify(record())).toContain(`GitLab job ${String(runNumber * 10 + 1)}`)
    expect(await oauth.isAccessTokenActive(variable(ACCESS) ?? '')).toBe(true)
  })
})
