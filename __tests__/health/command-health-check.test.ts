// The command health check against real child processes: small Node.js scripts in a temporary
// workspace, run through the platform shell as the action runs them.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { parseHealthCheckConfig } from '../../src/config/health-config.js'
import { readInputs, type InputName } from '../../src/config/inputs.js'
import {
  createCommandHealthCheck,
  fieldVariable,
  type CommandHealthCheckDeps
} from '../../src/health/command-health-check.js'
import { Redactor } from '../../src/redaction.js'
import { MemoryLogger } from '../support/memory-logger.js'
import { until } from '../support/until.js'

const PASSWORD = 'pw-3f9c1e7a-b2d4'
const USERNAME = 'v-approle-app-x7k2'
const DOCUMENT = JSON.stringify({
  username: USERNAME,
  password: PASSWORD,
  port: 5432,
  'api-key': 'ak-77e1c0d9f3',
  options: { ssl: 'require-strict' }
})

let workspace: string
beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'command-check-'))
})
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true })
})

/** Writes a script into the workspace. */
async function script(name: string, text: string): Promise<void> {
  await writeFile(join(workspace, name), text)
}

function configFor(command: string, inputs: Partial<Record<InputName, string>> = {}) {
  const given: Partial<Record<InputName, string>> = { 'health-check-command': command, ...inputs }
  const { config, problems } = parseHealthCheckConfig(readInputs(name => given[name] ?? ''))
  expect(problems).toEqual([])
  if (config?.kind !== 'command') throw new Error('expected a command health check')
  return config
}

/** A clock that only moves when the check sleeps: waits cost no real time. */
function fakeTime() {
  const start = Date.parse('2026-03-01T12:00:00Z')
  let now = start
  return {
    clock: { now: () => new Date(now) },
    sleep: (ms: number) => {
      now += ms
      return Promise.resolve()
    },
    elapsed: () => now - start
  }
}

/** The deps of a run: a redactor that learns what is masked, a runner environment, the workspace. */
function world(env: Record<string, string> = {}, options: { redactor?: boolean } = {}) {
  const redactor = new Redactor()
  const masked: string[] = []
  const log = new MemoryLogger()
  const time = fakeTime()
  const deps: CommandHealthCheckDeps = {
    ...time,
    log,
    mask: secret => {
      masked.push(secret)
      redactor.add(secret)
    },
    ...(options.redactor === false ? {} : { redact: (text: string) => redactor.redact(text) }),
    // `node` is found as a workflow step finds it: on the PATH.
    env: { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, ...env },
    cwd: workspace
  }
  return { deps, masked, log, time }
}

/** Whether a process is still running (a zombie waiting for its parent counts as ended). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) Z/.test(stat)
  } catch {
    return true
  }
}

describe('createCommandHealthCheck with real processes', () => {
  it('gives the command the value, each field, the runner environment and the workspace', async () => {
    await script(
      'check.mjs',
      `import { writeFileSync } from 'node:fs'
const seen = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => /^(TOKEN_ROTATION_|INPUT_|RUNNER_MARK|GITLAB_TOKEN)/.test(name))
)
writeFileSync('seen.json', JSON.stringify({ cwd: process.cwd(), env: seen }))
`
    )
    const { deps, masked, log } = world({
      RUNNER_MARK: 'from-the-runner',
      // The action's own inputs and the CLI's secrets are not the command's business.
      'INPUT_GITHUB-TOKEN': 'ghs_not-for-the-command',
      TOKEN_ROTATION_CLIENT_SECRET: 'cli-secret-not-for-the-command',
      // A secret the configuration read from the environment: glab would log in with it, and
      // pass the check whatever the new value is worth.
      GITLAB_TOKEN: 'glpat-admin-not-for-the-command'
    })
    deps.mask('glpat-admin-not-for-the-command')
    const check = createCommandHealthCheck(configFor('node check.mjs'), deps)
    expect(check.description).toBe('command node check.mjs')

    expect(await check.check(DOCUMENT)).toEqual({ ok: true, attempts: 1, detail: 'exit 0' })
    const seen = JSON.parse(await readFile(join(workspace, 'seen.json'), 'utf8')) as {
      cwd: string
      env: Record<string, string>
    }
    expect(seen.env).toEqual({
      RUNNER_MARK: 'from-the-runner',
      TOKEN_ROTATION_VALUE: DOCUMENT,
      TOKEN_ROTATION_USERNAME: USERNAME,
      TOKEN_ROTATION_PASSWORD: PASSWORD,
      TOKEN_ROTATION_PORT: '5432',
      TOKEN_ROTATION_API_KEY: 'ak-77e1c0d9f3',
      TOKEN_ROTATION_OPTIONS: '{"ssl":"require-strict"}'
    })
    expect(await readFile(join(seen.cwd, 'seen.json'), 'utf8')).toContain(USERNAME)
    // Every secret the command gets was masked before it ran; a number was not (it would blank
    // every "5432" of the log).
    expect(masked).toEqual(
      expect.arrayContaining([
        DOCUMENT,
        USERNAME,
        PASSWORD,
        'ak-77e1c0d9f3',
        'require-strict',
        '{"ssl":"require-strict"}'
      ])
    )
    expect(masked).not.toContain('5432')
    expect(log.text()).not.toContain(PASSWORD)
  })

  it('names the variables as upper-cased fields, and sets none that two fields would share', async () => {
    expect(fieldVariable('username')).toBe('TOKEN_ROTATION_USERNAME')
    expect(fieldVariable('db.host-name')).toBe('TOKEN_ROTATION_DB_HOST_NAME')
    await script(
      'clash.mjs',
      `process.exit(process.env.TOKEN_ROTATION_API_KEY === undefined && process.env.TOKEN_ROTATION_VALUE.startsWith('{') ? 0 : 1)\n`
    )
    const { deps, log } = world()
    const check = createCommandHealthCheck(configFor('node clash.mjs'), deps)
    const value = JSON.stringify({ 'api-key': 'ak-one-1111', api_key: 'ak-two-2222', value: 'x' })
    expect(await check.check(value)).toMatchObject({ ok: true })
    expect(log.lines.filter(line => line.level === 'warning').map(line => line.message)).toEqual([
      expect.stringContaining(
        "field 'api-key' and field 'api_key' of the value would set TOKEN_ROTATION_API_KEY"
      ),
      expect.stringContaining('TOKEN_ROTATION_VALUE, which holds the whole value')
    ])
  })

  it('retries a failing command, waiting 1 s then 2 s on the clock, until it exits 0', async () => {
    // Fails twice, as a database that has not yet seen the new user would, then passes.
    await script(
      'flaky.mjs',
      `import { existsSync, readFileSync, writeFileSync } from 'node:fs'
const runs = existsSync('runs') ? Number(readFileSync('runs', 'utf8')) + 1 : 1
writeFileSync('runs', String(runs))
if (runs < 3) {
  console.error('FATAL: role "' + process.env.TOKEN_ROTATION_VALUE + '" does not exist yet')
  process.exit(2)
}
`
    )
    const { deps, time } = world()
    const check = createCommandHealthCheck(configFor('node flaky.mjs'), deps)
    expect(await check.check('db-user-8c2f41')).toEqual({ ok: true, attempts: 3, detail: 'exit 0' })
    expect(time.elapsed()).toBe(3_000)
  })

  it('gives up at the timeout with the last exit code and stderr line, redacted', async () => {
    await script(
      'refuse.mjs',
      `console.log('stdout is never read: ' + process.env.TOKEN_ROTATION_PASSWORD)
console.error('connecting as ' + process.env.TOKEN_ROTATION_USERNAME)
console.error('\\u001b[31mFATAL:\\u001b[0m password authentication failed for user "' + process.env.TOKEN_ROTATION_USERNAME + '" with password ' + process.env.TOKEN_ROTATION_PASSWORD)
process.exit(3)
`
    )
    const { deps, time, log } = world()
    const check = createCommandHealthCheck(
      configFor('node refuse.mjs', { 'health-check-timeout': '5s' }),
      deps
    )
    const result = await check.check(DOCUMENT)
    expect(result).toEqual({
      ok: false,
      attempts: 4,
      detail:
        'exit 3 (stderr: FATAL: password authentication failed for user "***" with password ***)'
    })
    expect(time.elapsed()).toBe(5_000)
    for (const secret of [PASSWORD, USERNAME]) {
      expect(result.detail).not.toContain(secret)
      expect(log.text()).not.toContain(secret)
    }
  })

  it('quotes no stderr line that holds part of a secret, nor any line without the run redactor', async () => {
    await script(
      'partial.mjs',
      `console.error('password starts with ' + process.env.TOKEN_ROTATION_PASSWORD.slice(0, 11))\nprocess.exit(1)\n`
    )
    await script('plain.mjs', `console.error('authentication failed')\nprocess.exit(1)\n`)
    const { deps } = world()
    const config = configFor('node partial.mjs', { 'health-check-timeout': '0' })
    const partial = await createCommandHealthCheck(config, deps).check(DOCUMENT)
    expect(partial).toEqual({ ok: false, attempts: 1, detail: 'exit 1' })

    const plain = configFor('node plain.mjs', { 'health-check-timeout': '0' })
    const withoutRedactor = world({}, { redactor: false }).deps
    expect(await createCommandHealthCheck(plain, withoutRedactor).check(PASSWORD)).toEqual({
      ok: false,
      attempts: 1,
      detail: 'exit 1'
    })
    expect(await createCommandHealthCheck(plain, deps).check(PASSWORD)).toEqual({
      ok: false,
      attempts: 1,
      detail: 'exit 1 (stderr: authentication failed)'
    })
  })

  it('kills a hanging command and everything it started once the timeout is spent', async () => {
    // The command starts a job of its own, as a script starting a database client would, and both
    // hang; each run must take both down. A shell script, so that the test does not race start-up.
    await script(
      'hang.sh',
      // Longer than Jest's timeout: a job the kill missed fails the test.
      `sleep 600 &
echo "$!" >> pids
echo "$$" >> pids
echo 'waiting for the database' >&2
wait
`
    )
    const { deps } = world()
    const check = createCommandHealthCheck(
      configFor('sh hang.sh', { 'health-check-timeout': '500ms' }),
      deps
    )
    const result = await check.check('hang-value-5d1e')
    // The first run gets the whole timeout; the second starts at the deadline and gets as long.
    expect(result).toEqual({
      ok: false,
      attempts: 2,
      detail: 'killed after 500ms (stderr: waiting for the database)'
    })
    const pids = (await readFile(join(workspace, 'pids'), 'utf8')).trim().split('\n').map(Number)
    try {
      expect(pids).toHaveLength(4)
      await until(() => pids.every(pid => !running(pid)))
    } finally {
      for (const pid of pids.filter(running)) process.kill(pid, 'SIGKILL')
    }
  })

  it('says not found for a command the shell cannot find', async () => {
    const { deps } = world()
    const check = createCommandHealthCheck(
      configFor('./no-such-check.sh', { 'health-check-timeout': '0' }),
      deps
    )
    expect(await check.check('nf-value-0a9b')).toEqual({
      ok: false,
      attempts: 1,
      detail: 'not found'
    })
  })
})
