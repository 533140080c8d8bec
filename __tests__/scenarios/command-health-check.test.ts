// A command health check through the bundled dist/index.js: a small Node.js script in the
// workspace plays a database login, checking the credential the run publishes from a JSON secret
// in (the local) AWS Secrets Manager, or a plain value given to the run. Its exit code decides;
// what it prints, the secret included, never reaches the log, the summary or the outputs.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import type { GitHubServer } from '../../test-servers/github/index.js'
import { startGitHubServer } from '../../test-servers/github/index.js'
import {
  SCENARIO_REPO as REPO,
  awsJobEnv,
  secretPath,
  startAwsPeer,
  type AwsPeer
} from '../support/scenario-world.js'

const DB_SECRET = 'prod/db'
const USERNAME = 'v-report-7f3k'
// No common word in it: a stderr line holding a run of a secret is never quoted, even redacted.
const PASSWORD = 'Db-9c1e42-Qx7w'

/**
 * The check: a "database" (db.json in the workspace) lists the logins it accepts. The script
 * prints the credential on both streams, as a careless script would, and notes what it was given.
 */
const CHECK_SCRIPT = `import { readFileSync, writeFileSync } from 'node:fs'
const user = process.env.TOKEN_ROTATION_USERNAME
const password = process.env.TOKEN_ROTATION_PASSWORD
writeFileSync('seen.json', JSON.stringify({
  value: process.env.TOKEN_ROTATION_VALUE,
  user,
  inputs: Object.keys(process.env).filter(name => name.startsWith('INPUT_'))
}))
console.log('trying ' + user + ' with ' + password)
const accepted = JSON.parse(readFileSync('db.json', 'utf8'))
if (accepted[user] !== password) {
  console.error('FATAL: password authentication failed for user "' + user + '" (' + password + ')')
  process.exit(3)
}
`

/** The plain-value check: the value must be what check-plain.txt holds. */
const PLAIN_SCRIPT = `import { readFileSync } from 'node:fs'
process.exit(readFileSync('check-plain.txt', 'utf8') === process.env.TOKEN_ROTATION_VALUE ? 0 : 1)
`

let github: GitHubServer
let awsPeer: AwsPeer
let workspace: string

beforeEach(async () => {
  github = await startGitHubServer()
  github.addRepository(REPO)
  awsPeer = await startAwsPeer()
  workspace = await mkdtemp(join(tmpdir(), 'workspace-'))
  await writeFile(join(workspace, 'check.mjs'), CHECK_SCRIPT)
  await writeFile(join(workspace, 'check-plain.mjs'), PLAIN_SCRIPT)
})
afterEach(async () => {
  await awsPeer.close()
  await github.close()
  await rm(workspace, { recursive: true, force: true })
})

function run(inputs: Record<string, string>): Promise<ActionRun> {
  return runAction({
    inputs: { 'github-token': 'test-token', 'write-interval': '10ms', ...inputs },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: '31',
      GITHUB_WORKSPACE: workspace,
      // `node` is found on the PATH, as a workflow step finds it.
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
      ...awsJobEnv(awsPeer)
    }
  })
}

/** The database accepts these logins. */
async function database(logins: Record<string, string>): Promise<void> {
  await writeFile(join(workspace, 'db.json'), JSON.stringify(logins))
}

function seedDbSecret(): string {
  const document = JSON.stringify({ username: USERNAME, password: PASSWORD, port: 5432 })
  awsPeer.aws.seedSecret(DB_SECRET, { secretString: document })
  return document
}

function syncInputs(): Record<string, string> {
  return {
    'store-secret-id': DB_SECRET,
    'secret-fields': 'DB_USER=username, DB_PASSWORD=password',
    'health-check-command': 'node check.mjs',
    'health-check-timeout': '1s'
  }
}

function expectNoLeaks(result: ActionRun, secrets: readonly string[]): void {
  expect(secrets.flatMap(secret => leaks(result, secret))).toEqual([])
}

describe('health-check-command through dist/index.js', () => {
  it('passes a JSON secret whose fields log in, and gives the command each field', async () => {
    const document = seedDbSecret()
    await database({ [USERNAME]: PASSWORD })
    const result = await run(syncInputs())
    expect([result.exitCode, result.errors]).toEqual([0, []])
    expect(result.outputs.status).toBe('published')
    expect(github.getSecret(secretPath('DB_PASSWORD'))?.value).toBe(PASSWORD)
    expect(result.stdout).toContain('Health check: command node check.mjs.')
    expect(result.stdout).toMatch(/verify: ok \(command node check\.mjs: exit 0 after 1 attempt\)/)
    // Both fields were masked before the command ran.
    expect(result.stdout).toContain(`::add-mask::${USERNAME}`)
    expect(result.stdout).toContain(`::add-mask::${PASSWORD}`)
    const seen = JSON.parse(await readFile(join(workspace, 'seen.json'), 'utf8')) as {
      value: string
      user: string
      inputs: string[]
    }
    // The whole document and each field; none of the action's inputs (its GitHub token).
    expect(seen).toEqual({ value: document, user: USERNAME, inputs: [] })
    expectNoLeaks(result, [PASSWORD, USERNAME, document, 'test-token'])
  })

  it('fails a JSON secret the database refuses, with the exit code and a redacted stderr line', async () => {
    const document = seedDbSecret()
    await database({ [USERNAME]: 'the-old-password' })
    const result = await run(syncInputs())
    expect(result.exitCode).toBe(1)
    expect(result.outputs.status).toBe('failed')
    expect(result.errors.join('\n')).toContain(
      'Health check failed: command node check.mjs: exit 3 (stderr: FATAL: password authentication failed for user "***" (***)) after 2 attempts'
    )
    expectNoLeaks(result, [PASSWORD, USERNAME, document, 'test-token'])
  })

  it('checks a plain value given to the run, from the configuration file', async () => {
    const value = 'plain-api-key-5b0e77'
    await writeFile(join(workspace, 'check-plain.txt'), value)
    await writeFile(
      join(workspace, 'rotation.yml'),
      `version: 1
credentials:
  api:
    issuer: { kind: none, value: { env: API_VALUE } }
    publish:
      - github: { secret: API_KEY, repositories: [${REPO}] }
    health-check: { command: node check-plain.mjs, timeout: 1s }
`
    )
    const config = 'rotation.yml'
    const passed = await runAction({
      inputs: { 'github-token': 'test-token', 'write-interval': '10ms', config },
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: REPO,
        GITHUB_WORKSPACE: workspace,
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
        API_VALUE: value
      }
    })
    expect([passed.exitCode, passed.errors]).toEqual([0, []])
    expect(passed.stdout).toMatch(/verify: ok \(command node check-plain\.mjs: exit 0/)

    await writeFile(join(workspace, 'check-plain.txt'), 'some-other-value')
    const failed = await runAction({
      inputs: { 'github-token': 'test-token', 'write-interval': '10ms', config },
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: REPO,
        GITHUB_WORKSPACE: workspace,
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
        API_VALUE: value
      }
    })
    expect(failed.exitCode).toBe(1)
    expect(failed.errors.join('\n')).toContain('command node check-plain.mjs: exit 1 after')
    for (const result of [passed, failed]) expectNoLeaks(result, [value, 'test-token'])
  })
})
