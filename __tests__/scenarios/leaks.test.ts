// Nothing leaks from a hostile or careless peer, through the bundled dist/index.js: a token endpoint
// that echoes the request it received, inputs that carry workflow commands, a health-check URL
// that does not decode, an `expires_in` no date can hold, and a value with CR-only line breaks.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAction, type ActionRun } from '../../test-servers/action-runner.js'
import type { GitHubServer } from '../../test-servers/github/index.js'
import type { HealthGate } from '../../test-servers/health-gate.js'
import type { OAuth2Server } from '../../test-servers/oauth2/index.js'
import {
  SCENARIO_REPO as REPO,
  oauth2Inputs,
  secretPath,
  seedRefreshTokenSecret,
  startOAuth2Peers,
  type OAuth2Peers
} from '../support/scenario-world.js'
import { runNode } from '../support/child-process.js'

const REFRESH_SECRET = 'OAUTH_REFRESH_TOKEN'
const ACCESS_SECRET = 'API_ACCESS_TOKEN'

let peers: OAuth2Peers
let github: GitHubServer
let oauth: OAuth2Server
let gate: HealthGate
let runNumber: number

beforeEach(async () => {
  peers = await startOAuth2Peers()
  ;({ github, oauth, gate } = peers)
  await seedRefreshTokenSecret(peers, REFRESH_SECRET)
  runNumber = 200
})
afterEach(async () => {
  await peers.close()
})

function secretValue(name: string): string | undefined {
  return github.getSecret(secretPath(name))?.value
}

async function rotate(inputs: Record<string, string> = {}): Promise<ActionRun> {
  runNumber += 1
  return runAction({
    inputs: {
      ...oauth2Inputs(peers),
      'refresh-token': secretValue(REFRESH_SECRET) ?? '',
      'refresh-token-secret': REFRESH_SECRET,
      'secret-name': ACCESS_SECRET,
      'health-check-timeout': '3s',
      'lock-expires-after': '10m',
      'write-interval': '10ms',
      ...inputs
    },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runNumber),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_SERVER_URL: 'https://github.example'
    }
  })
}

/** x-www-form-urlencoded as oauth4webapi writes a Basic credential: `-_.!~*'()` escaped too. */
function strictFormEncode(value: string): string {
  return encodeURIComponent(value).replace(/[-_.!~*'()]|%20/g, c =>
    c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  )
}

/** Every way `secret` can travel in a request and come back in an echo of it. */
function encodings(secret: string): string[] {
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams([['', secret]]).toString().slice(1),
    strictFormEncode(secret)
  ]
  return [...new Set([...forms, ...forms.map(form => JSON.stringify(form).slice(1, -1))])]
}

/** The `Authorization: Basic` credentials as a client may send them, in base64 and base64url. */
function basicCredentials(clientId: string, secret: string): string[] {
  const pairs = [
    `${clientId}:${secret}`,
    `${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`,
    `${strictFormEncode(clientId)}:${strictFormEncode(secret)}`
  ]
  return pairs.flatMap(pair => {
    const base64 = Buffer.from(pair).toString('base64')
    return [base64, base64.replace(/=+$/, ''), Buffer.from(pair).toString('base64url')]
  })
}

/** Where any of `needles` shows up in a run or in the issues the GitHub server received. */
function leaksOf(run: ActionRun, needles: readonly string[]): string[] {
  const issues = JSON.stringify(github.getIssues(REPO))
  const stdout = run.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  const places: Record<string, string> = {
    stdout,
    stderr: run.stderr,
    summary: run.summary,
    'audit log': run.audit,
    issues,
    ...Object.fromEntries(Object.entries(run.outputs).map(([name, v]) => [`output ${name}`, v]))
  }
  return needles.flatMap(needle =>
    Object.entries(places)
      .filter(([, text]) => text.includes(needle))
      .map(([place]) => `${JSON.stringify(needle)} in ${place}`)
  )
}

/** The runner ends a line at CR LF, LF and a lone CR, and reads each line for a command. */
function logLines(stdout: string): string[] {
  return stdout.split(/\r\n|\n|\r/)
}

/** Commands this action issues itself; anything else starting with `::` was forged. */
const OWN_COMMANDS = /^::(add-mask|debug|notice|warning|error|group|endgroup)( [^:]*)?::/

function forgedCommands(run: ActionRun): string[] {
  return logLines(run.stdout).filter(
    line => (line.trim().startsWith('::') && !OWN_COMMANDS.test(line)) || line.includes('##[')
  )
}

/** The `::add-mask::` values, unescaped as the runner reads them. */
function maskedValues(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .filter(line => line.startsWith('::add-mask::'))
    .map(line =>
      line
        .slice('::add-mask::'.length)
        .replace(/%0D/g, '\r')
        .replace(/%0A/g, '\n')
        .replace(/%25/g, '%')
    )
}

describe('a token endpoint that echoes the request in its error', () => {
  // An awkward client: every character that some encoding changes, JSON's and Markdown's included.
  const awkwardId = 'awkward-client.id_1'
  const awkwardSecret = `s3cr3t-with/slash+plus=eq ~tilde.dot_under*star'q(p)"dq\\bs|pipe-é`
  const awkwardToken = 'rt-0123456789/abcdefghij+klmno=pq rs~tu.vw_xy*z'

  it.each([
    ['client_secret_basic, the test client', 'basic', undefined],
    ['client_secret_basic, an awkward client', 'basic', 'awkward'],
    ['client_secret_post, an awkward client', 'post', 'awkward']
  ] as const)(
    '%s: no encoding of a secret reaches stdout, the summary, the audit log, outputs or the alert issue',
    async (_name, auth, awkward) => {
      const clientId = awkward ? awkwardId : oauth.clients.basic.clientId
      const clientSecret = awkward ? awkwardSecret : oauth.clients.basic.clientSecret
      const refreshToken = awkward ? awkwardToken : (secretValue(REFRESH_SECRET) ?? '')
      const echo = oauth.faults.add({ endpoint: 'token', kind: 'echo-request' })
      const run = await rotate({
        'client-id': clientId,
        'client-secret': clientSecret,
        'client-auth': auth === 'basic' ? 'client_secret_basic' : 'client_secret_post',
        'refresh-token': refreshToken,
        'alert-after': '1'
      })
      expect(echo.hits).toBe(1)
      expect(run.exitCode).toBe(1)
      expect(run.outputs.status).toBe('failed')
      // The run still reports: the summary, the audit trail and the alert issue exist.
      expect(run.summary).toContain('Failed at mint')
      expect(run.audit).not.toBe('')
      const issues = github.getIssues(REPO)
      expect(issues).toHaveLength(1)
      expect(issues[0]?.body).toContain('Failed 1 times in a row')
      const needles = [
        ...encodings(refreshToken),
        ...encodings(clientSecret),
        ...(auth === 'basic' ? basicCredentials(clientId, clientSecret) : [])
      ]
      expect(leaksOf(run, needles)).toEqual([])
    }
  )

  it('a second failure comments on the alert issue, and the comment is clean too', async () => {
    oauth.faults.add({ endpoint: 'token', kind: 'echo-request', error: 'invalid_client' })
    const refreshToken = secretValue(REFRESH_SECRET) ?? ''
    const runs = [await rotate({ 'alert-after': '1' }), await rotate({ 'alert-after': '1' })]
    const issues = github.getIssues(REPO)
    expect(issues.map(issue => issue.comments.length)).toEqual([1])
    expect(issues[0]?.comments[0]).toContain('Failed 2 times in a row')
    const { clientId, clientSecret } = oauth.clients.basic
    const needles = [
      ...encodings(refreshToken),
      ...encodings(clientSecret),
      ...basicCredentials(clientId, clientSecret)
    ]
    expect(runs.flatMap(run => leaksOf(run, needles))).toEqual([])
  })

  it('quoting the request in a plain-text body: nothing of it is stored or published', async () => {
    oauth.faults.add({ endpoint: 'token', kind: 'echo-request', in: 'body', status: 400 })
    const refreshToken = secretValue(REFRESH_SECRET) ?? ''
    const run = await rotate({ 'alert-after': '1' })
    expect(run.outputs.status).toBe('failed')
    const { clientId, clientSecret } = oauth.clients.basic
    const needles = [
      ...encodings(refreshToken),
      ...encodings(clientSecret),
      ...basicCredentials(clientId, clientSecret)
    ]
    expect(leaksOf(run, needles)).toEqual([])
  })
})

describe('inputs that carry workflow commands', () => {
  const payloads = [
    '\n::set-output name=status::rotated',
    '\n::stop-commands::forged',
    '\r##[error]forged annotation'
  ]

  it.each(payloads)(
    'a line break in a one-line input is refused, naming the input, and forges nothing (%j)',
    async payload => {
      const run = await rotate({
        'client-id': `basic-client${payload}`,
        environment: `prod${payload}`,
        'health-check-url': `${gate.url}${payload}`,
        'store-field': `token${payload}`,
        'secret-fields': `DB_USER=user${payload}`,
        'secret-name': `${ACCESS_SECRET}${payload}`
      })
      expect(run.exitCode).toBe(1)
      expect(run.outputs.status).toBe('failed')
      expect(forgedCommands(run)).toEqual([])
      const named = (input: string) =>
        run.errors.some(line => line.includes(`Invalid input '${input}'`))
      for (const input of ['client-id', 'health-check-url', 'store-field', 'secret-name']) {
        expect([input, named(input)]).toEqual([input, true])
      }
      // Lists may span lines: a lone CR is refused there, and a LF only starts another item.
      if (payload.startsWith('\r')) {
        for (const input of ['environment', 'secret-fields']) {
          expect([input, named(input)]).toEqual([input, true])
        }
      }
    }
  )

  it('values that reach a log line whole (a decoded URL path, a client id) are escaped', async () => {
    const path =
      '/probe%0A%3A%3Astop-commands%3A%3Aforged/%0D%23%23%5Berror%5Dforged%0A::set-output'
    const run = await rotate({
      'client-id': '::set-output name=status::rotated ##[error]forged',
      'health-check-url': `${new URL(gate.url).origin}${path}`
    })
    // The plan was logged (with the decoded path) and the refresh was tried as that client.
    expect(run.stdout).toContain('Health check: GET')
    expect(run.stdout).toContain('stop-commands')
    expect(run.stdout).toContain('Refreshing at')
    expect(forgedCommands(run)).toEqual([])
    expect(run.outputs.status).toBe('failed')
  })
})

describe('a health-check-url that does not decode', () => {
  it.each(['/probe%ff', '/probe%', '/50%-off', '/probe?q=%e9'])(
    'is refused at validation, naming the input (%s)',
    async path => {
      const run = await rotate({ 'health-check-url': `${new URL(gate.url).origin}${path}` })
      expect(run.exitCode).toBe(1)
      expect(run.errors.join('\n')).toContain("Invalid input 'health-check-url'")
      expect(run.stdout).not.toContain('URI malformed')
      expect(run.summary).not.toContain('URI malformed')
      expect(oauth.tokenRequests).toBe(0)
    }
  )
})

describe('an expires_in no date can hold', () => {
  it('9223372036854775807: the run succeeds with a warning and reports, and the next run works', async () => {
    const fault = oauth.faults.add({
      endpoint: 'token',
      kind: 'set-field',
      field: 'expires_in',
      json: '9223372036854775807'
    })
    for (const attempt of [1, 2]) {
      const run = await rotate()
      expect([attempt, run.exitCode, run.errors]).toEqual([attempt, 0, []])
      expect(run.outputs.status).toBe('rotated')
      expect(run.outputs['expires-at']).toBe('')
      expect(run.summary).toContain('Rotated')
      expect(run.stdout).toMatch(/::warning title=Token lifetime::.*expires_in 9223372036854776000/)
      expect(await oauth.isAccessTokenActive(secretValue(ACCESS_SECRET) ?? '')).toBe(true)
    }
    expect(fault.hits).toBe(2)
  })

  it.each(['-5', '0', '1e300'])('%s: the run succeeds and says so', async json => {
    oauth.faults.add({ endpoint: 'token', kind: 'set-field', field: 'expires_in', json })
    const run = await rotate()
    expect([run.exitCode, run.errors]).toEqual([0, []])
    expect(run.outputs.status).toBe('rotated')
    expect(run.outputs['expires-at']).toBe('')
  })
})

describe('masks', () => {
  it('a value with CR-only line breaks is masked whole and line by line', async () => {
    const lines = ['first-line-secret-AAAA', 'second-line-secret-BBBB', 'third-line-secret-CCCC']
    const value = lines.join('\r')
    const run = await runAction({
      inputs: {
        'github-token': 'test-token',
        'secret-name': 'MULTI_LINE',
        value,
        repositories: REPO,
        'write-interval': '10ms'
      },
      env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: REPO }
    })
    expect([run.exitCode, run.errors]).toEqual([0, []])
    const masked = maskedValues(run)
    expect(masked).toContain(value)
    for (const line of lines) expect(masked).toContain(line)
    expect(github.getSecret(`repos/${REPO}/actions/secrets/MULTI_LINE`)?.value).toBe(value)
  })
})

describe('the CLI (dist/cli.js)', () => {
  const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

  function cli(args: string[], env: Record<string, string>) {
    return runNode([CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } })
  }

  it('redacts an echoing token endpoint and escapes its lines as the action does', async () => {
    oauth.faults.add({ endpoint: 'token', kind: 'echo-request' })
    const dir = await mkdtemp(join(tmpdir(), 'cli-leaks-'))
    try {
      const refreshToken = secretValue(REFRESH_SECRET) ?? ''
      const { clientSecret } = oauth.clients.basic
      const clientId = '::set-output name=status::rotated ##[error]forged'
      const summary = join(dir, 'summary.md')
      const run = await cli(
        [
          'rotate',
          ...['--issuer', 'oauth2', '--token-url', oauth.tokenUrl, '--client-id', clientId],
          ...['--refresh-token-secret', REFRESH_SECRET, '--secret-name', ACCESS_SECRET],
          ...['--write-interval', '0', '--summary', summary]
        ],
        {
          GITHUB_API_URL: github.url,
          GH_TOKEN: 'test-token',
          GITHUB_REPOSITORY: REPO,
          TOKEN_ROTATION_REFRESH_TOKEN: refreshToken,
          TOKEN_ROTATION_CLIENT_SECRET: clientSecret
        }
      )
      expect(run.code).toBe(1)
      const written = await readFile(summary, 'utf8')
      expect(written).toContain('Failed at mint')
      const needles = [
        ...encodings(refreshToken),
        ...encodings(clientSecret),
        ...basicCredentials(clientId, clientSecret)
      ]
      const places = { stdout: run.stdout, stderr: run.stderr, summary: written }
      expect(
        needles.flatMap(needle =>
          Object.entries(places)
            .filter(([, text]) => text.includes(needle))
            .map(([place]) => `${JSON.stringify(needle)} in ${place}`)
        )
      ).toEqual([])
      expect(
        logLines(run.stderr).filter(line => line.trim().startsWith('::') || line.includes('##['))
      ).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
