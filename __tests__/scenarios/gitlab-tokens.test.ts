// GitLab access tokens renewed through the bundled dist/index.js, against the local GitLab and
// GitHub servers: create-then-revoke keeps the old token working through the grace period and
// revokes it only once GitLab saw it unused; rotate kills the old token at once, and a new token
// whose store write failed is recovered from the recovery ciphertext without a second rotate;
// masked and hidden variables written; a value GitLab cannot mask refused before anything
// happens; no value in any output.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openRecovery } from '../../src/recovery/recovery-box.js'
import { generateRecoveryKeyPair, type RecoveryKeyPair } from '../../src/recovery/recovery-key.js'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'
import {
  startGitLabServer,
  type GitLabServer,
  type SeededToken
} from '../../test-servers/gitlab/index.js'
import { SCENARIO_REPO as REPO, secretPath } from '../support/scenario-world.js'

const SKEWED_CLOCK = fileURLToPath(new URL('../../test-servers/skewed-clock.mjs', import.meta.url))
const PROJECT = 'acme/app'
const MINUTE = 60_000

let github: GitHubServer
let gitlab: GitLabServer
let workspace: string
let admin: SeededToken
let keys: RecoveryKeyPair
let runNumber = 500
const secrets = new Set<string>()

beforeEach(async () => {
  github = await startGitHubServer()
  github.addRepository(REPO)
  gitlab = await startGitLabServer()
  gitlab.addUser('maria')
  gitlab.addProject(PROJECT)
  gitlab.addMember('maria', 'project', PROJECT, 'maintainer')
  admin = gitlab.seedPersonalToken('maria', { name: 'ci-admin', scopes: ['api'] })
  workspace = await mkdtemp(join(tmpdir(), 'workspace-'))
  keys = await generateRecoveryKeyPair()
  secrets.clear()
  secrets.add(admin.token)
})
afterEach(async () => {
  await gitlab.close()
  await github.close()
  await rm(workspace, { recursive: true, force: true })
})

function secretValue(name: string): string | undefined {
  return github.getSecret(secretPath(name))?.value
}

/** One run of the file, its secrets read from GitHub as a job's `env:` would. */
async function run(
  file: string,
  options: { mode?: string; skewMs?: number; env?: Record<string, string> } = {}
): Promise<ActionRun> {
  runNumber += 1
  await writeFile(join(workspace, 'rotation.yml'), file)
  const action = await runAction({
    inputs: {
      'github-token': 'test-token',
      'write-interval': '10ms',
      config: 'rotation.yml',
      ...(options.mode ? { mode: options.mode } : {})
    },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKSPACE: workspace,
      GITLAB_ADMIN_TOKEN: admin.token,
      GITLAB_DEPLOY_TOKEN: secretValue('GITLAB_DEPLOY_TOKEN') ?? '',
      ...(options.skewMs === undefined
        ? {}
        : { NODE_OPTIONS: `--import=${SKEWED_CLOCK}`, SKEWED_CLOCK_MS: String(options.skewMs) }),
      ...options.env
    }
  })
  for (const token of gitlab.tokens()) secrets.add(token.token)
  expect([...secrets].flatMap(secret => leaks(action, secret))).toEqual([])
  return action
}

interface Result {
  credential: string
  status: string
  error?: string
  recovery_ciphertext?: string
}

function results(action: ActionRun): Result[] {
  return JSON.parse(action.outputs.results ?? '[]') as Result[]
}

/** Asks GitLab something with `token`, as a job that holds it would. */
async function use(token: string): Promise<number> {
  const answer = await fetch(`${gitlab.apiUrl}/personal_access_tokens/self`, {
    headers: { 'private-token': token }
  })
  return answer.status
}

function createThenRevoke(): string {
  return `version: 1
credentials:
  deploy-token:
    issuer: { kind: gitlab-token, url: ${gitlab.url}, project: ${PROJECT}, token-name: deploy-bot, token: { env: GITLAB_ADMIN_TOKEN }, expires-in: 30d }
    store: { kind: github, secret: GITLAB_ADMIN_TOKEN, lock-expires-after: 10m }
    publish:
      - github: { secret: DEPLOY_TOKEN, repositories: [${REPO}] }
      - gitlab: { url: ${gitlab.url}, token: { env: GITLAB_ADMIN_TOKEN }, project: ${PROJECT}, variable: DEPLOY_TOKEN, hidden: true }
      - gitlab: { url: ${gitlab.url}, token: { env: GITLAB_ADMIN_TOKEN }, project: ${PROJECT}, variable: DEPLOY_TOKEN, environment-scope: production, protected: true }
    health-check: { url: ${gitlab.apiUrl}/personal_access_tokens/self, timeout: 5s }
    retire: { revoke-previous: true, grace-period: 15m, when-unused-for: 1h }
`
}

describe('gitlab-token, create-then-revoke', () => {
  it('keeps the old token through the grace period, and revokes it only once GitLab saw it unused', async () => {
    const first = gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['read_api'],
      accessLevel: 'developer'
    })
    github.seedSecret(secretPath('GITLAB_ADMIN_TOKEN'), admin.token)

    const one = await run(createThenRevoke())
    expect(results(one).map(r => r.status)).toEqual(['rotated'])
    const second = secretValue('DEPLOY_TOKEN') ?? ''
    expect(gitlab.tokenByValue(second)).toMatchObject({
      active: true,
      scopes: ['read_api'],
      accessLevel: 30
    })
    // Both variables hold it: the hidden one hidden, the production one masked and protected.
    expect(gitlab.variable('project', PROJECT, 'DEPLOY_TOKEN')).toMatchObject({
      value: second,
      hidden: true,
      masked: true
    })
    expect(gitlab.variable('project', PROJECT, 'DEPLOY_TOKEN', 'production')).toMatchObject({
      value: second,
      hidden: false,
      masked: true,
      protected: true
    })
    // The first token was made by hand, so no record named it: the issuer names the token it
    // copied, and the record takes that id. It still works through its grace period.
    expect(gitlab.tokenById(first.id)?.active).toBe(true)
    expect(one.stdout).not.toMatch(/no recorded handle/)

    const two = await run(createThenRevoke())
    expect(results(two).map(r => r.status)).toEqual(['rotated'])
    const third = secretValue('DEPLOY_TOKEN') ?? ''
    expect(third).not.toBe(second)
    // Within the grace period the replaced token still works.
    expect(await use(second)).toBe(200)
    gitlab.clock.advance(MINUTE)
    expect(await use(second)).toBe(200)

    // Twenty minutes on: the grace period is over, but GitLab saw the token used 19 minutes ago.
    gitlab.clock.advance(19 * MINUTE)
    const early = await run(createThenRevoke(), { mode: 'retire', skewMs: 20 * MINUTE })
    expect(results(early).map(r => r.status)).toEqual(['retired'])
    expect(early.stdout).toMatch(/waits: it was last used at/)
    expect(gitlab.tokenByValue(second)?.active).toBe(true)
    // The hand-made token, due too and never used since, is revoked by its id.
    expect(gitlab.tokenById(first.id)?.revoked).toBe(true)

    // Ninety minutes on, an hour of quiet by GitLab's clock: revoked; the current one works.
    gitlab.clock.advance(70 * MINUTE)
    const late = await run(createThenRevoke(), { mode: 'retire', skewMs: 90 * MINUTE })
    expect(results(late).map(r => r.status)).toEqual(['retired'])
    expect(gitlab.tokenByValue(second)?.revoked).toBe(true)
    expect(await use(third)).toBe(200)
  })

  it('refuses before any request a value GitLab cannot mask', async () => {
    const file = `version: 1
credentials:
  plain:
    issuer: { kind: none, value: { env: PLAIN_VALUE } }
    publish:
      - gitlab: { url: ${gitlab.url}, token: { env: GITLAB_ADMIN_TOKEN }, project: ${PROJECT}, variable: PLAIN, masked: true }
`
    // run() checks that the value leaked nowhere.
    secrets.add('two words')
    const action = await run(file, { env: { PLAIN_VALUE: 'two words' } })
    expect(action.exitCode).toBe(1)
    expect(action.errors.join('\n')).toMatch(
      /publish\[0\]\.gitlab\.masked: GitLab cannot mask the value: the value holds whitespace/
    )
    expect(gitlab.log.entries).toEqual([])
  })
})

describe('gitlab-token, rotate', () => {
  function rotateFile(): string {
    return `version: 1
credentials:
  deploy-token:
    issuer: { kind: gitlab-token, url: ${gitlab.url}, project: ${PROJECT}, token-name: deploy-bot, strategy: rotate, token: { env: GITLAB_DEPLOY_TOKEN }, expires-in: 7d }
    store: { kind: github, secret: GITLAB_DEPLOY_TOKEN, lock-expires-after: 10m, persist-timeout: 10s }
    recovery-public-key: "${keys.publicKey}"
    publish:
      - gitlab: { url: ${gitlab.url}, token: { env: GITLAB_ADMIN_TOKEN }, project: ${PROJECT}, variable: DEPLOY_TOKEN, hidden: true }
    health-check: { url: ${gitlab.apiUrl}/personal_access_tokens/self, timeout: 5s }
`
  }

  it('rotates in a chain: each old token dead at once, each new one working and stored', async () => {
    const first = gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['api']
    })
    github.seedSecret(secretPath('GITLAB_DEPLOY_TOKEN'), first.token)
    const seen = [first.token]
    for (let i = 0; i < 3; i += 1) {
      const action = await run(rotateFile())
      expect(results(action).map(r => r.status)).toEqual(['rotated'])
      const stored = secretValue('GITLAB_DEPLOY_TOKEN') ?? ''
      expect(seen).not.toContain(stored)
      expect(gitlab.variable('project', PROJECT, 'DEPLOY_TOKEN')?.value).toBe(stored)
      for (const old of seen) expect(await use(old)).toBe(401)
      expect(await use(stored)).toBe(200)
      seen.push(stored)
    }
    // One family, one token alive in it.
    expect(gitlab.family(first.id).filter(token => token.active)).toHaveLength(1)
  })

  it('recovers a new token whose store write failed from the ciphertext, without a second rotate', async () => {
    const first = gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['api']
    })
    github.seedSecret(secretPath('GITLAB_DEPLOY_TOKEN'), first.token)
    // The store refuses every write of the secret after the preflight's check.
    github.faults.add({
      method: 'PUT',
      path: /actions\/secrets\/GITLAB_DEPLOY_TOKEN$/,
      skip: 1,
      status: 503
    })
    const failed = await run(rotateFile())
    expect(failed.exitCode).toBe(1)
    const [result] = results(failed)
    expect(result?.error).toMatch(/recovery ciphertext/)
    expect(await use(first.token)).toBe(401)
    const ciphertext = result?.recovery_ciphertext ?? ''
    expect(ciphertext).not.toBe('')
    const recovered = await openRecovery(ciphertext, keys.privateKey)
    expect(await use(recovered)).toBe(200)
    expect(gitlab.countRequests({ path: /\/rotate$/ })).toBe(1)

    // The operator stores it (gh secret set); the next run takes it as the live token and rotates.
    github.faults.clear()
    github.seedSecret(secretPath('GITLAB_DEPLOY_TOKEN'), recovered)
    const next = await run(rotateFile())
    expect(results(next).map(r => r.status)).toEqual(['rotated'])
    expect(await use(secretValue('GITLAB_DEPLOY_TOKEN') ?? '')).toBe(200)
    // The first token was never presented again: one rotate with it, one with the recovered one.
    expect(gitlab.countRequests({ path: /\/rotate$/ })).toBe(2)
    expect(gitlab.family(first.id).filter(token => token.active)).toHaveLength(1)
  })
})
