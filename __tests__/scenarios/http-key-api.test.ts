// The key API issuer (issuer.kind http) through the bundled action and the CLI, against the local
// Capgo-shaped key API and the local GitHub server: a rotation creates a key, publishes it,
// proves it against an endpoint that needs a key, and deletes the key it replaced by id only
// once the grace period is over (a later run, its clock past it). No key is printed anywhere.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'
import { startKeyApiServer, type KeyApiServer } from '../../test-servers/key-api/index.js'
import { runNode } from '../support/child-process.js'
import { SCENARIO_REPO as REPO, secretPath } from '../support/scenario-world.js'

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const SKEWED_CLOCK = fileURLToPath(new URL('../../test-servers/skewed-clock.mjs', import.meta.url))
const MINUTE = 60_000

let github: GitHubServer
let keys: KeyApiServer
let workspace: string
let admin: string
let runNumber = 700

beforeEach(async () => {
  github = await startGitHubServer()
  github.addRepository(REPO)
  keys = await startKeyApiServer()
  keys.addApp('com.acme.app')
  admin = keys.seedKey({ name: 'admin', mode: 'all' }).key
  workspace = await mkdtemp(join(tmpdir(), 'workspace-'))
})
afterEach(async () => {
  await keys.close()
  await github.close()
  await rm(workspace, { recursive: true, force: true })
})

/** The Capgo recipe, pointed at the local key API. */
function recipe(): string {
  return `version: 1
credentials:
  capgo-key:
    issuer:
      kind: http
      admin: { env: CAPGO_ADMIN_KEY }
      create:
        url: ${keys.url}/apikey
        headers: { authorization: "<admin>" }
        body: { name: "ci-key-<nonce>", mode: all }
        value: /key
        id: /id
      revoke:
        url: "${keys.url}/apikey/<id>"
        headers: { authorization: "<admin>" }
      list:
        url: ${keys.url}/apikey
        headers: { authorization: "<admin>" }
        id: /id
        name: /name
    publish:
      - github: { secret: CAPGO_API_KEY, repositories: [${REPO}] }
    health-check: { url: "${keys.url}/app", header: "authorization: <token>", timeout: 5s }
    retire: { grace-period: 15m, revoke-previous: true }
`
}

function published(): string {
  return github.getSecret(secretPath('CAPGO_API_KEY'))?.value ?? ''
}

/** One scheduled run of the action, its runner's clock `skewMs` ahead. */
async function run(skewMs = 0): Promise<ActionRun> {
  runNumber += 1
  return runAction({
    inputs: { 'github-token': 'test-token', 'write-interval': '10ms', config: 'rotation.yml' },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKSPACE: workspace,
      CAPGO_ADMIN_KEY: admin,
      ...(skewMs === 0
        ? {}
        : { NODE_OPTIONS: `--import=${SKEWED_CLOCK}`, SKEWED_CLOCK_MS: String(skewMs) })
    }
  })
}

describe('a key API credential (issuer.kind http)', () => {
  it('creates, publishes and checks a key, and deletes the one it replaced by id after the grace period', async () => {
    await writeFile(join(workspace, 'rotation.yml'), recipe())

    const first = await run()
    expect(first.exitCode).toBe(0)
    expect(first.outputs.status).toBe('rotated')
    const key1 = published()
    expect(keys.keyByValue(key1)).toMatchObject({ live: true, mode: 'all' })

    const second = await run()
    expect(second.exitCode).toBe(0)
    const key2 = published()
    expect(key2).not.toBe(key1)
    // Within the grace period both keys work: the old one is only scheduled for deletion.
    expect(keys.keyByValue(key1)?.live).toBe(true)
    expect(second.stdout).toMatch(/retire: skipped \(nothing due\)/)

    // Sixteen minutes later the grace period is over: the next run deletes key 1 by its id.
    const third = await run(16 * MINUTE)
    expect(third.exitCode).toBe(0)
    const id1 = String(keys.keyByValue(key1)?.id)
    expect(third.stdout).toMatch(
      new RegExp(`retire: ok \\(revoked [0-9a-f]{16} \\(handle ${id1}\\)`)
    )
    expect(keys.keyByValue(key1)?.live).toBe(false)
    expect(keys.keyByValue(key2)?.live).toBe(true)
    expect(keys.keyByValue(published())?.live).toBe(true)
    // The deletion went by id; no request carried a key in its path.
    expect(keys.log.filter({ method: 'DELETE' }).map(r => r.path)).toEqual([`/apikey/${id1}`])

    const secrets = [admin, key1, key2, published()]
    for (const action of [first, second, third]) {
      expect(secrets.flatMap(secret => leaks(action, secret))).toEqual([])
    }
  })

  it('reports a lost create answer, finds the key it created and deletes it, and publishes nothing', async () => {
    await writeFile(join(workspace, 'rotation.yml'), recipe())
    keys.faults.add({ method: 'POST', path: '/apikey', drop: 'after', times: 1 })

    const action = await run()

    expect(action.exitCode).toBe(1)
    expect(action.errors.join('\n')).toMatch(
      /got no answer .*Listing the keys found the one it created \(key \d+, name holding [0-9a-f]{12}\).*deleted at once/
    )
    expect(published()).toBe('')
    expect(keys.liveKeys().filter(key => key.name.startsWith('ci-key-'))).toEqual([])
    const orphan = keys.keys().find(key => key.name.startsWith('ci-key-'))
    expect(leaks(action, orphan?.key ?? 'none')).toEqual([])
    expect(leaks(action, admin)).toEqual([])
  })

  it('rotates through the CLI with the same file: token-rotation rotate --config', async () => {
    await writeFile(join(workspace, 'rotation.yml'), recipe())

    const result = await runNode([CLI, 'rotate', '--config', 'rotation.yml'], {
      cwd: workspace,
      env: {
        PATH: process.env.PATH ?? '',
        GITHUB_API_URL: github.url,
        GITHUB_TOKEN: 'test-token',
        GITHUB_REPOSITORY: REPO,
        'INPUT_WRITE-INTERVAL': '10ms',
        CAPGO_ADMIN_KEY: admin
      }
    })

    expect(result.code).toBe(0)
    const key = published()
    expect(keys.keyByValue(key)?.live).toBe(true)
    for (const secret of [admin, key]) {
      expect(result.stdout + result.stderr).not.toContain(secret)
    }
  })
})
