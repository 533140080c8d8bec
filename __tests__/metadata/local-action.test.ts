// `run()` under GitHub's @github/local-action, the tool action authors debug an action with: it
// imports src/main.ts (through tsx), calls the exported run() with no arguments, and stands in for
// @actions/core. The dotenv is the repository's own .env.example, pointed at the local GitHub
// server, so the documented command is the one proved here.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'
import { runNode } from '../support/child-process.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const LOCAL_ACTION = join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js')
const TOKEN = 'local-action-token'

interface LocalRun {
  exitCode: number
  stdout: string
  stderr: string
}

let server: GitHubServer
let dir: string
beforeEach(async () => {
  server = await startGitHubServer({ tokens: { [TOKEN]: { secrets: 'write' } } })
  server.addRepository('octo/app')
  dir = await mkdtemp(join(tmpdir(), 'local-action-'))
})
afterEach(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

/**
 * .env.example with the lines named in `set` replaced (or added): what a user does after copying
 * it to .env.
 */
async function dotenv(set: Record<string, string>): Promise<string> {
  const example = await readFile(join(ROOT, '.env.example'), 'utf8')
  const lines = example.split('\n').filter(line => {
    const key = /^([\w.-]+)=/.exec(line)?.[1]
    return key === undefined || !(key in set)
  })
  for (const [key, value] of Object.entries(set)) lines.push(`${key}=${value}`)
  const file = join(dir, '.env')
  await writeFile(file, lines.join('\n'))
  return file
}

/**
 * `local-action run <repo> src/main.ts <dotenv>` in a child process, with nothing inherited from
 * this machine's GitHub variables. --preserve-symlinks: local-action stands in for @actions/core
 * at the path `npm ls` reports, which is the unresolved one when node_modules is a symlink (as in
 * a git worktree sharing its dependencies); in a plain checkout it changes nothing.
 */
async function localAction(envFile: string): Promise<LocalRun> {
  const { code, stdout, stderr } = await runNode(
    [LOCAL_ACTION, 'run', ROOT, 'src/main.ts', envFile],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        RUNNER_TEMP: dir,
        NODE_OPTIONS: '--preserve-symlinks',
        NO_COLOR: '1',
        // local-action runs `npm exec tsx` and `npm ls`: nothing for npm to ask the registry.
        npm_config_update_notifier: 'false',
        npm_config_offline: 'true'
      }
    }
  )
  return { exitCode: code, stdout, stderr }
}

const output = (run: LocalRun, name: string): string | undefined =>
  new RegExp(`^::set-output name=${name}::(.*)$`, 'm').exec(run.stdout)?.[1]

describe('run() under @github/local-action', () => {
  it('runs the dry run of .env.example: reads the public key, writes nothing', async () => {
    const run = await localAction(
      await dotenv({
        GITHUB_API_URL: server.url,
        GITHUB_REPOSITORY: 'octo/app',
        'INPUT_GITHUB-TOKEN': TOKEN
      })
    )
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode: 0, stderr: '' })
    expect(run.stdout).toContain('Running Action')
    expect(output(run, 'status')).toBe('planned')
    expect(JSON.parse(output(run, 'result') ?? '[]')).toEqual([
      {
        scope: 'repository',
        type: 'actions',
        target: 'octo/app',
        name: 'LOCAL_ACTION_DRY_RUN',
        status: 'planned'
      }
    ])
    const seen = server.requests.map(request => `${request.method} ${request.path}`)
    expect(seen).toContain('GET /repos/octo/app/actions/secrets/public-key')
    expect(server.requests.filter(request => request.method !== 'GET')).toEqual([])
    expect(server.getSecret('repos/octo/app/actions/secrets/LOCAL_ACTION_DRY_RUN')).toBeUndefined()
  })

  it('publishes for real when dry-run is false, and never prints the value', async () => {
    const value = 'local-action-value-7c1e9a'
    const run = await localAction(
      await dotenv({
        GITHUB_API_URL: server.url,
        GITHUB_REPOSITORY: 'octo/app',
        'INPUT_GITHUB-TOKEN': TOKEN,
        'INPUT_DRY-RUN': 'false',
        INPUT_VALUE: value
      })
    )
    expect(run.exitCode).toBe(0)
    expect(output(run, 'published')).toBe('1')
    expect(server.getSecret('repos/octo/app/actions/secrets/LOCAL_ACTION_DRY_RUN')?.value).toBe(
      value
    )
    const printed = run.stdout
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n')
    expect(printed).not.toContain(value)
    expect(printed).not.toContain(TOKEN)
  })
})
