// The command-line entry, dist/cli.js, run as another CI system would run it.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const VALUE = 'cli-secret-93be1f'

let server: GitHubServer
beforeEach(async () => {
  server = await startGitHubServer()
})
afterEach(async () => {
  await server.close()
})

function cli(args: string[], env: Record<string, string>, stdin = '') {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', GITHUB_API_URL: server.url, ...env }
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', code => {
      resolve({ code: code ?? -1, stdout, stderr })
    })
    child.stdin.end(stdin)
  })
}

describe('dist/cli.js', () => {
  it('publishes from flags and the environment, printing the outputs as JSON', async () => {
    server.addRepository('octo/app', { environments: ['prod'] })
    const dir = await mkdtemp(join(tmpdir(), 'cli-'))
    const summary = join(dir, 'summary.md')
    const run = await cli(
      [
        'publish',
        '--secret-name',
        'API_TOKEN',
        '--repositories',
        'octo/app',
        '--environment',
        'prod',
        '--summary',
        summary
      ],
      { GITHUB_TOKEN: 'test-token', TOKEN_ROTATION_VALUE: VALUE }
    )
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({
      published: 1,
      result: [
        {
          scope: 'environment',
          type: 'actions',
          target: 'octo/app (prod)',
          name: 'API_TOKEN',
          status: 'created'
        }
      ]
    })
    expect(run.stderr).toContain('octo/app (prod): API_TOKEN created')
    expect(await readFile(summary, 'utf8')).toContain('✅ created')
    expect(server.getSecret('repos/octo/app/environments/prod/secrets/API_TOKEN')?.value).toBe(
      VALUE
    )
    expect(run.stdout + run.stderr).not.toContain(VALUE)
  })

  it('reads the value from standard input and exits 1 when a target fails', async () => {
    server.addRepository('octo/app')
    const run = await cli(
      [
        'publish',
        '--secret-name',
        'API_TOKEN',
        '--repositories',
        'octo/app,octo/gone',
        '--value-stdin',
        '--write-interval',
        '0'
      ],
      { GH_TOKEN: 'test-token' },
      VALUE
    )
    expect(run.code).toBe(1)
    const output = JSON.parse(run.stdout) as {
      published: number
      result: Array<{ status: string }>
    }
    expect(output.published).toBe(1)
    expect(output.result.map(r => r.status)).toEqual(['created', 'failed'])
    expect(run.stderr).toMatch(
      /error: Reading the public key of octo\/gone failed: .*Repository octo\/gone does not exist/
    )
    expect(server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')?.value).toBe(VALUE)
    expect(run.stdout + run.stderr).not.toContain(VALUE)
  })

  it('takes no secret as a flag, and says how to pass it', async () => {
    const run = await cli(['publish', '--value', VALUE], {})
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/error: Unknown option '--value'/)
    expect(run.stderr).toContain('TOKEN_ROTATION_VALUE')
    expect(run.stderr).not.toContain(VALUE)
  })

  it('names each missing input', async () => {
    const run = await cli(['publish'], { GITHUB_REPOSITORY: 'octo/app' })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/error: Input 'github-token': is required/)
    expect(run.stderr).toMatch(/error: Input 'secret-name': is empty/)
    expect(run.stderr).toMatch(/error: Input 'value': is empty/)
    expect(server.requests).toHaveLength(0)
  })

  it('drops the one newline a minting script ends with', async () => {
    server.addRepository('octo/app')
    const run = await cli(
      ['publish', '--secret-name', 'API_TOKEN', '--repositories', 'octo/app', '--value-stdin'],
      { GITHUB_TOKEN: '', GH_TOKEN: 'test-token' },
      `${VALUE}\n`
    )
    expect(run.code).toBe(0)
    expect(server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')?.value).toBe(VALUE)
  })

  it('reads INPUT_ variables with underscores, and --no-dry-run overrides them', async () => {
    server.addRepository('octo/app')
    const env = {
      GITHUB_TOKEN: 'test-token',
      TOKEN_ROTATION_VALUE: VALUE,
      INPUT_SECRET_NAME: 'API_TOKEN',
      INPUT_REPOSITORIES: 'octo/app',
      'INPUT_DRY-RUN': 'true'
    }
    const planned = await cli(['publish'], env)
    expect(JSON.parse(planned.stdout)).toMatchObject({
      published: 0,
      result: [{ status: 'planned' }]
    })
    const written = await cli(['publish', '--no-dry-run'], env)
    expect(JSON.parse(written.stdout)).toMatchObject({
      published: 1,
      result: [{ status: 'created' }]
    })
  })

  it('fails without a command, and never echoes a stray argument', async () => {
    const none = await cli(['--secret-name', 'API_TOKEN'], {})
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/error: no command given/)
    const stray = await cli(['publish', VALUE], {})
    expect(stray.code).toBe(2)
    expect(stray.stderr).toMatch(/1 unexpected argument\(s\) after publish/)
    const wrong = await cli([VALUE], {})
    expect(wrong.code).toBe(2)
    expect(stray.stderr + wrong.stderr).not.toContain(VALUE)
  })
})
