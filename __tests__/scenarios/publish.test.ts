// Scenarios that run the bundled dist/index.js as the runner does, against the local GitHub server.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'
import { leaks, runAction, type ActionRun } from '../../test-servers/action-runner.js'

const VALUE = 'scenario-secret-4b1d2e'

let server: GitHubServer
beforeEach(async () => {
  server = await startGitHubServer()
})
afterEach(async () => {
  await server.close()
})

interface Entry {
  scope: string
  type: string
  target: string
  name: string
  status: string
  error?: string
}

const entries = (run: ActionRun): Entry[] => JSON.parse(run.outputs.result ?? '[]') as Entry[]

/** The value, the token and every sealed box the server received appear nowhere in the run. */
function expectNoLeaks(result: ActionRun, token = 'test-token'): void {
  const secrets = [VALUE, token, ...server.receivedCiphertexts]
  expect(secrets.flatMap(secret => leaks(result, secret))).toEqual([])
}

function run(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runAction({
    // A short write spacing: the pacing itself has its own tests in __tests__/providers/github/.
    inputs: {
      'github-token': 'test-token',
      'secret-name': 'API_TOKEN',
      value: VALUE,
      'write-interval': '10ms',
      ...inputs
    },
    env: { GITHUB_API_URL: server.url, GITHUB_REPOSITORY: 'octo/app', ...env }
  })
}

describe('publishing through dist/index.js', () => {
  it('writes the current repository secret, masks the value and reports created then updated', async () => {
    server.addRepository('octo/app')
    const first = await run({})
    expect(first.exitCode).toBe(0)
    expect(first.stdout).toContain(`::add-mask::${VALUE}`)
    expect(entries(first)).toEqual([
      {
        scope: 'repository',
        type: 'actions',
        target: 'octo/app',
        name: 'API_TOKEN',
        status: 'created'
      }
    ])
    expect(first.outputs.published).toBe('1')
    expect(first.summary).toMatch(/\| repository \| octo\/app \| `API_TOKEN` \| ✅ created \|/)
    expect(server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')?.value).toBe(VALUE)

    const second = await run({})
    expect(entries(second)[0]?.status).toBe('updated')
    for (const r of [first, second]) expectNoLeaks(r)
  })

  it('masks a multi-line value line by line', async () => {
    server.addRepository('octo/app')
    const value = '-----BEGIN KEY-----\nline-one-aaaa\nline-two-bbbb\n-----END KEY-----'
    const result = await run({ value })
    expect(result.exitCode).toBe(0)
    for (const line of ['line-one-aaaa', 'line-two-bbbb']) {
      expect(result.stdout).toContain(`::add-mask::${line}\n`)
    }
    // The PEM armour is every key's, no secret: masked, it would blank every certificate.
    expect(result.stdout).not.toContain('::add-mask::-----END KEY-----\n')
    expect(server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')?.value).toBe(value)
  })

  it('writes to many repositories, each environment, the org secret and Dependabot secrets', async () => {
    for (const name of ['a', 'b'])
      server.addRepository(`octo/${name}`, { environments: ['prod eu', 'staging'] })
    const c = server.addRepository('octo/c')
    const envs = await run({ repositories: 'octo/a\nocto/b', environment: 'prod eu, staging' })
    expect(envs.exitCode).toBe(0)
    expect(envs.outputs.published).toBe('4')
    for (const path of [
      'repos/octo/a/environments/prod%20eu/secrets/API_TOKEN',
      'repos/octo/b/environments/staging/secrets/API_TOKEN'
    ]) {
      expect(server.getSecret(path)?.value).toBe(VALUE)
    }
    expect(server.getSecret('repos/octo/a/actions/secrets/API_TOKEN')).toBeUndefined()

    const org = await run({ org: 'octo', 'selected-repositories': 'octo/c' })
    expect(org.exitCode).toBe(0)
    expect(entries(org)).toEqual([
      {
        scope: 'organization',
        type: 'actions',
        target: 'octo',
        name: 'API_TOKEN',
        status: 'created'
      }
    ])
    expect(server.getSecret('orgs/octo/actions/secrets/API_TOKEN')).toMatchObject({
      value: VALUE,
      visibility: 'selected',
      selectedRepositoryIds: [c.id]
    })

    const dependabot = await run({
      'secret-type': 'dependabot',
      repositories: 'octo/c',
      org: 'octo',
      visibility: 'private'
    })
    expect(dependabot.exitCode).toBe(0)
    expect(server.getSecret('orgs/octo/dependabot/secrets/API_TOKEN')).toMatchObject({
      value: VALUE,
      visibility: 'private'
    })
    expect(server.getSecret('repos/octo/c/dependabot/secrets/API_TOKEN')?.value).toBe(VALUE)
    for (const r of [envs, org, dependabot]) expectNoLeaks(r)
  })

  it('refuses invalid inputs before any request, with one annotation naming each input', async () => {
    const result = await run({
      'secret-name': 'GITHUB_THING',
      repositories: 'not-a-repo',
      'write-interval': 'soon',
      visibility: 'all'
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^::error title=Invalid input 'secret-name'::Input 'secret-name': 'GITHUB_THING' starts with GITHUB_/
      ),
      expect.stringMatching(
        /^::error title=Invalid input 'repositories'::Input 'repositories': 'not-a-repo' is not a repository/
      ),
      expect.stringMatching(
        /^::error title=Invalid input 'write-interval'::.*'soon' is not a duration/
      ),
      expect.stringMatching(/^::error title=Invalid input 'visibility'::.*set org as well/)
    ])
    expect(result.outputs).toEqual({
      published: '0',
      result: '[]',
      results: '[]',
      rotated: 'false',
      status: 'failed'
    })
    expect(result.summary).toContain('Nothing was written.')
    expect(server.requests).toHaveLength(0)
    expectNoLeaks(result)
  })

  it('never echoes an oversized value in its error', async () => {
    const value = `${VALUE}${'x'.repeat(49_200)}`
    const result = await run({ value })
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      /Input 'value': is 49222 bytes; GitHub stores at most 49152 bytes/
    )
    expectNoLeaks(result)
  })

  it('checks every target before the first write: one bad target of four, nothing written', async () => {
    server.addRepository('octo/a', { environments: ['prod', 'staging'] })
    server.addRepository('octo/b', { environments: ['prod'] })
    const result = await run({ repositories: 'octo/a,octo/b', environment: 'prod,staging' })
    expect(result.exitCode).toBe(1)
    expect(server.requests.filter(r => r.method === 'PUT')).toEqual([])
    expect(server.requests.every(r => r.method === 'GET')).toBe(true)
    const found = entries(result)
    expect(found.map(e => [e.target, e.status])).toEqual([
      ['octo/a (prod)', 'planned'],
      ['octo/a (staging)', 'planned'],
      ['octo/b (prod)', 'planned'],
      ['octo/b (staging)', 'failed']
    ])
    expect(found[3]?.error).toMatch(/Environment 'staging' does not exist in octo\/b/)
    expect(result.outputs.published).toBe('0')
    expect(result.errors).toContainEqual(
      expect.stringMatching(/^::error title=API_TOKEN on octo\/b \(staging\)::/)
    )
    expect(result.errors).toContainEqual(
      expect.stringMatching(/1 target of 4 cannot be written.*nothing was written/)
    )
    expectNoLeaks(result)
  })

  it('logs a plain publication as a publication, not as a rotation that minted', async () => {
    server.addRepository('octo/app')
    const result = await run({})
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('Publish: API_TOKEN to 1 target, the value given.')
    expect(result.stdout).toMatch(/publish: ok \(1 target of 1 written\)/)
    expect(result.stdout).not.toMatch(/Mode rotate|mint: |persist: |promote: /)
    expect(entries(result).map(e => Object.keys(e))).toEqual([
      ['scope', 'type', 'target', 'name', 'status']
    ])
  })

  it('refuses a plan above the hourly write budget before any request, naming the cheaper plan', async () => {
    const repositories = Array.from({ length: 501 }, (_, i) => `octo/r${i}`).join(',')
    const result = await run({ repositories })
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      /The plan writes 501 secrets, more than GitHub allows in an hour.*Nothing was written\. Cheaper: one organization secret.*'org: octo'.*'selected-repositories'/
    )
    expect(server.requests).toEqual([])
    expect(result.outputs.published).toBe('0')
  })

  it('says which input to fix for a bad token, and why the default GITHUB_TOKEN cannot write', async () => {
    server.addRepository('octo/app')
    const bad = await run({ 'github-token': 'wrong' })
    expect(bad.exitCode).toBe(1)
    expect(bad.errors.join('\n')).toMatch(/401: Bad credentials.*Check the 'github-token' input/)

    await server.close()
    server = await startGitHubServer({ tokens: { ghs_default: { secrets: 'read' } } })
    server.addRepository('octo/app')
    const readOnly = await run({ 'github-token': 'ghs_default' })
    expect(readOnly.errors.join('\n')).toMatch(/default GITHUB_TOKEN can never write secrets/)
    expectNoLeaks(readOnly, 'ghs_default')
  })

  it('recovers from a dropped connection, a 5xx and a secondary rate limit', async () => {
    for (const name of ['a', 'b', 'c']) server.addRepository(`octo/${name}`)
    server.faults.add({
      method: 'PUT',
      path: '/repos/octo/a/actions/secrets/API_TOKEN',
      drop: 'before',
      times: 1
    })
    server.faults.add({
      method: 'PUT',
      path: '/repos/octo/b/actions/secrets/API_TOKEN',
      status: 500,
      times: 1
    })
    server.faults.add({
      method: 'PUT',
      path: '/repos/octo/c/actions/secrets/API_TOKEN',
      secondaryRateLimit: true,
      headers: { 'retry-after': '1' },
      times: 1
    })
    const result = await run({ repositories: 'octo/a,octo/b,octo/c', 'write-interval': '0' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.published).toBe('3')
    expect(result.stdout).toMatch(/secondary rate limit on PUT .*waiting 1s/)
    for (const name of ['a', 'b', 'c'])
      expect(server.getSecret(`repos/octo/${name}/actions/secrets/API_TOKEN`)?.value).toBe(VALUE)
  })

  it('checks every target in a dry run and writes nothing', async () => {
    server.addRepository('octo/app', { environments: ['prod'] })
    const result = await run({
      environment: 'prod',
      'dry-run': 'true',
      org: 'octo',
      repositories: 'octo/app'
    })
    expect(result.exitCode).toBe(0)
    expect(entries(result).map(e => e.status)).toEqual(['planned', 'planned'])
    expect(result.outputs.published).toBe('0')
    expect(result.stdout).toContain('Plan (dry run: nothing is written)')
    expect(result.summary).toContain('(dry run)')
    expect(server.requests.filter(r => r.method !== 'GET')).toEqual([])
  })

  it('suggests one org secret for many repositories of one owner', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `octo/r${i}`)
    for (const name of names) server.addRepository(name)
    const result = await run({
      repositories: names.join('\n'),
      'write-interval': '0',
      'dry-run': 'true'
    })
    expect(result.stdout).toMatch(
      /::notice title=Cheaper plan available::All 10 repositories belong to octo/
    )
    expect(result.summary).toContain('one organization secret')
  })

  it('keeps its outputs when the job summary cannot be written', async () => {
    server.addRepository('octo/app')
    const result = await run({}, { GITHUB_STEP_SUMMARY: '/nonexistent/dir/summary.md' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.published).toBe('1')
    expect(entries(result)[0]?.status).toBe('created')
    expect(result.stdout).toMatch(/::warning title=Job summary::Could not write the job summary/)
    expectNoLeaks(result)
  })

  it('prints no secret in debug mode, whatever GitHub answers', async () => {
    for (const name of ['a', 'b', 'c']) server.addRepository(`octo/${name}`)
    server.faults.add({
      method: 'PUT',
      path: '/repos/octo/a/actions/secrets/API_TOKEN',
      status: 422,
      body: { message: 'Validation Failed' }
    })
    server.faults.add({
      method: 'PUT',
      path: '/repos/octo/b/actions/secrets/API_TOKEN',
      status: 502,
      times: 1
    })
    server.faults.add({
      method: 'PUT',
      path: '/repos/octo/c/actions/secrets/API_TOKEN',
      drop: 'after',
      times: 1
    })
    const result = await run(
      { repositories: 'octo/a,octo/b,octo/c', 'write-interval': '0' },
      { RUNNER_DEBUG: '1' }
    )
    expect(result.exitCode).toBe(1)
    expect(entries(result).map(e => e.status)).toEqual(['failed', 'created', 'updated'])
    expect(result.stdout).toContain('::debug::')
    expect(server.receivedCiphertexts.length).toBeGreaterThanOrEqual(3)
    expectNoLeaks(result)
  })
})
