// The command line with a configuration file: `token-rotation rotate --config FILE`, run through
// dist/cli.js against the local GitHub server, from a directory that is not a workspace.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'
import { startOAuth2Server } from '../../test-servers/oauth2/index.js'
import { runNode, type ProcessResult } from '../support/child-process.js'

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const API_VALUE = 'cli-config-api-5e1d07'
const WEB_VALUE = 'cli-config-web-9a3c42'

let server: GitHubServer
let cwd: string
beforeEach(async () => {
  server = await startGitHubServer()
  server.addRepository('octo/app')
  cwd = await mkdtemp(join(tmpdir(), 'cli-config-'))
  await mkdir(join(cwd, 'conf'))
})
afterEach(async () => {
  await server.close()
  await rm(cwd, { recursive: true, force: true })
})

/** Two credentials that publish the value in their environment variable. */
const FILE = `version: 1
credentials:
  api:
    issuer: { kind: none, value: { env: API_VALUE } }
    publish:
      - github: { secret: API_TOKEN, repositories: [octo/app] }
  web:
    issuer: { kind: none, value: { env: WEB_VALUE } }
    publish:
      - github: { secret: WEB_TOKEN, repositories: [octo/app] }
`

/** dist/cli.js in `cwd` (or `dir`), with no GITHUB_WORKSPACE unless `env` sets one. */
function cli(
  args: string[],
  env: Record<string, string> = {},
  dir: string = cwd
): Promise<ProcessResult> {
  return runNode([CLI, ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      GITHUB_API_URL: server.url,
      GITHUB_TOKEN: 'test-token',
      'INPUT_WRITE-INTERVAL': '10ms',
      API_VALUE,
      WEB_VALUE,
      ...env
    }
  })
}

interface Result {
  credential: string
  status: string
  published: number
}

/** The `results` output of the JSON on stdout (an output is a string; parsed if not yet). */
function results(run: ProcessResult): Result[] {
  const { results: value } = JSON.parse(run.stdout) as { results?: unknown }
  return (typeof value === 'string' ? JSON.parse(value) : value) as Result[]
}

function secret(name: string): string | undefined {
  return server.getSecret(`repos/octo/app/actions/secrets/${name}`)?.value
}

describe('token-rotation rotate --config', () => {
  it('publishes every credential of a file read from the current directory', async () => {
    await writeFile(join(cwd, 'conf', 'rotation.yml'), FILE)

    const run = await cli(['rotate', '--config', 'conf/rotation.yml'])

    expect(run.code).toBe(0)
    expect(results(run)).toMatchObject([
      { credential: 'api', status: 'published', published: 1 },
      { credential: 'web', status: 'published', published: 1 }
    ])
    expect(secret('API_TOKEN')).toBe(API_VALUE)
    expect(secret('WEB_TOKEN')).toBe(WEB_VALUE)
    expect(run.stderr).toContain('Credential api (1 of 2)')
    expect(run.stderr).toContain('Credential web (2 of 2)')
    for (const value of [API_VALUE, WEB_VALUE]) {
      expect(run.stdout + run.stderr).not.toContain(value)
    }
  })

  it("prints each credential's result and totals that add up, in place of one credential's outputs", async () => {
    // web also publishes to a repository that does not exist: its preflight refuses the target and
    // so writes neither; api's target is written.
    const file = FILE.replace(
      'WEB_TOKEN, repositories: [octo/app]',
      'WEB_TOKEN, repositories: [octo/app, octo/gone]'
    )
    await writeFile(join(cwd, 'rotation.yml'), file)

    const run = await cli(['rotate', '--config', 'rotation.yml'])

    expect(run.code).toBe(1)
    const document = JSON.parse(run.stdout) as Record<string, unknown>
    expect(document).toEqual({
      results: [
        expect.objectContaining({
          credential: 'api',
          status: 'published',
          published: 1,
          failed: 0
        }),
        expect.objectContaining({ credential: 'web', status: 'failed', published: 0, failed: 1 })
      ],
      credentials: { total: 2, published: 1, failed: 1 },
      targets: { written: 1, failed: 1 }
    })
    // What the totals count is what GitHub holds.
    expect([secret('API_TOKEN'), secret('WEB_TOKEN')]).toEqual([API_VALUE, undefined])
  })

  it('prints the same shape for a file that runs one credential', async () => {
    await writeFile(join(cwd, 'rotation.yml'), FILE)

    const run = await cli(['rotate', '--config', 'rotation.yml', '--credentials', 'api'])

    expect(run.code).toBe(0)
    const document = JSON.parse(run.stdout) as Record<string, unknown>
    expect(document).toMatchObject({
      results: [{ credential: 'api', status: 'published', published: 1, failed: 0 }],
      credentials: { total: 1, published: 1 },
      targets: { written: 1, failed: 0 }
    })
    for (const output of ['status', 'rotated', 'published', 'result']) {
      expect(document).not.toHaveProperty(output)
    }
  })

  it('runs only the credentials named with --credentials, needing only their secrets', async () => {
    await writeFile(join(cwd, 'rotation.yml'), FILE)

    const run = await cli(['rotate', '--config', 'rotation.yml', '--credentials', 'web'], {
      API_VALUE: ''
    })

    expect(run.code).toBe(0)
    expect(results(run)).toMatchObject([{ credential: 'web', status: 'published' }])
    expect(secret('WEB_TOKEN')).toBe(WEB_VALUE)
    expect(secret('API_TOKEN')).toBeUndefined()
    expect(run.stdout + run.stderr).not.toContain(WEB_VALUE)
  })

  it('refuses a literal secret before any request, one line per problem with file:line: key path', async () => {
    const literal = 'literal-api-value-77f0'
    const file = FILE.replace('{ env: API_VALUE }', literal).replace(
      'repositories: [octo/app] }\n  web',
      'repositories: [octo/app] }\n    schedul: { every: 1h }\n  web'
    )
    await writeFile(join(cwd, 'conf', 'rotation.yml'), file)

    const run = await cli(['rotate', '--config', 'conf/rotation.yml'])

    expect(run.code).toBe(1)
    expect(server.requests).toHaveLength(0)
    const errors = run.stderr.split('\n').filter(line => line.startsWith('error: '))
    expect(errors).toEqual([
      'error: conf/rotation.yml:4: credentials.api.issuer.value: a secret must be { env: NAME }: secrets are never written in the file',
      'error: conf/rotation.yml:7: credentials.api.schedul: is not a key here; see config.schema.json'
    ])
    expect(results(run)).toEqual([])
    expect(run.stdout + run.stderr).not.toContain(literal)
    expect(run.stdout + run.stderr).not.toContain(WEB_VALUE)
  })

  it("prints the plan's figures: the credentials it read and those due, as its due and matrix outputs say", async () => {
    const oauth = await startOAuth2Server()
    try {
      // api rotates on a schedule and is rotated first, so for 24 hours it is not due; web and
      // ops have no schedule: due at every run.
      const file = `version: 1
credentials:
  api:
    issuer:
      kind: oauth2
      token-url: ${oauth.tokenUrl}
      client-id: ${oauth.clients.basic.clientId}
      client-secret: { env: API_CLIENT_SECRET }
      refresh-token: { env: API_REFRESH_TOKEN }
    store: { kind: github, secret: API_REFRESH_TOKEN }
    publish:
      - github: { secret: API_TOKEN, repositories: [octo/app] }
    schedule: { every: 24h }
  web:
    issuer: { kind: none, value: { env: WEB_VALUE } }
    publish:
      - github: { secret: WEB_TOKEN, repositories: [octo/app] }
  ops:
    issuer: { kind: none, value: { env: WEB_VALUE } }
    publish:
      - github: { secret: OPS_TOKEN, repositories: [octo/app] }
`
      await writeFile(join(cwd, 'rotation.yml'), file)
      const env = {
        GITHUB_REPOSITORY: 'octo/app',
        API_CLIENT_SECRET: oauth.clients.basic.clientSecret,
        API_REFRESH_TOKEN: await oauth.mintRefreshToken()
      }
      const rotation = await cli(
        ['rotate', '--config', 'rotation.yml', '--credentials', 'api'],
        env
      )
      expect(results(rotation)).toMatchObject([{ credential: 'api', status: 'rotated' }])
      const writes = server.requests.filter(r => r.method !== 'GET').length

      const all = await cli(['plan', '--config', 'rotation.yml', '--shards', '2'], env)
      const some = await cli(['plan', '--config', 'rotation.yml', '--credentials', 'api,web'], env)

      expect(all.code).toBe(0)
      expect(JSON.parse(all.stdout)).toEqual({
        planned: 'api,web,ops',
        due: 'web,ops',
        matrix: {
          include: [
            { credentials: 'web', 'write-interval': '20ms' },
            { credentials: 'ops', 'write-interval': '20ms' }
          ]
        },
        results: [],
        credentials: { total: 3, due: 2 },
        targets: { written: 0, failed: 0 }
      })
      expect(all.stderr).toContain('Plan: 2 of 3 credentials due')
      expect(some.code).toBe(0)
      expect(JSON.parse(some.stdout)).toMatchObject({
        planned: 'api,web',
        due: 'web',
        results: [],
        credentials: { total: 2, due: 1 }
      })
      expect(some.stderr).toContain('Plan: 1 of 2 credentials due')
      // A plan writes nothing.
      expect(server.requests.filter(r => r.method !== 'GET')).toHaveLength(writes)
    } finally {
      await oauth.close()
    }
  })

  it("refuses a plan whose due credentials together write more than the token's hourly budget, however many shards", async () => {
    // Three credentials of 200 repositories: each shard alone would fit, the matrix would not.
    const repositories = (prefix: string) =>
      Array.from({ length: 200 }, (_, i) => `octo/${prefix}-${String(i)}`).join(', ')
    const entry = (id: string) => `  ${id}:
    issuer: { kind: none, value: { env: API_VALUE } }
    publish:
      - github: { secret: ${id.toUpperCase()}_TOKEN, repositories: [${repositories(id)}] }
`
    await writeFile(
      join(cwd, 'wide.yml'),
      `version: 1\ncredentials:\n${entry('one')}${entry('two')}${entry('three')}`
    )

    const run = await cli(['plan', '--config', 'wide.yml', '--shards', '3'])

    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/writes 600 secrets, more than GitHub allows in an hour/)
    expect(run.stderr).toMatch(/share the one token's budget/)
    expect(server.requests.filter(r => r.method !== 'GET')).toEqual([])
  })

  it('names the path it read from the current directory when the file is missing', async () => {
    const run = await cli(['rotate', '--config', 'missing.yml'])

    expect(run.code).toBe(1)
    expect(server.requests).toHaveLength(0)
    expect(run.stderr).toContain(`cannot read missing.yml (${join(cwd, 'missing.yml')}): ENOENT`)
    // The remedy of a command line, not of a workflow: no checkout step to add here.
    expect(run.stderr).toContain(
      'A relative path is read from the current directory: run the command where the path starts, or give an absolute path.'
    )
    expect(run.stderr).not.toMatch(/actions\/checkout|workspace/)
  })

  it('reads a relative path from the current directory in a GitHub job too, not from GITHUB_WORKSPACE', async () => {
    // A step with working-directory: conf runs the command in a folder of the workspace.
    const workspace = await mkdtemp(join(tmpdir(), 'cli-config-workspace-'))
    await writeFile(join(cwd, 'conf', 'rotation.yml'), FILE)
    await writeFile(join(workspace, 'rotation.yml'), 'version: 1\ncredentials: {}\n')

    const run = await cli(
      ['rotate', '--config', 'rotation.yml'],
      { GITHUB_WORKSPACE: workspace },
      join(cwd, 'conf')
    ).finally(() => rm(workspace, { recursive: true, force: true }))

    expect(run.code).toBe(0)
    expect(results(run).map(r => r.credential)).toEqual(['api', 'web'])
    expect(secret('API_TOKEN')).toBe(API_VALUE)
  })
})
