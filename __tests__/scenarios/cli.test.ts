// The command-line entry, dist/cli.js, run as another CI system would run it.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sealForRecovery } from '../../src/recovery/recovery-box.js'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'
import { startOAuth2Server } from '../../test-servers/oauth2/index.js'
import { runNode, type ProcessResult } from '../support/child-process.js'

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const VALUE = 'cli-secret-93be1f'

let server: GitHubServer
beforeEach(async () => {
  server = await startGitHubServer()
})
afterEach(async () => {
  await server.close()
})

function cli(args: string[], env: Record<string, string>, stdin = ''): Promise<ProcessResult> {
  return runNode([CLI, ...args], {
    // A short write spacing: these runs test the command line, not GitHub's pacing.
    env: {
      PATH: process.env.PATH ?? '',
      GITHUB_API_URL: server.url,
      'INPUT_WRITE-INTERVAL': '10ms',
      ...env
    },
    stdin
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
      status: 'published',
      rotated: false,
      version: expect.stringMatching(/^[0-9a-f]{16}$/),
      'audit-log': expect.stringMatching(/\.jsonl$/),
      published: 1,
      result: [
        {
          scope: 'environment',
          type: 'actions',
          target: 'octo/app (prod)',
          name: 'API_TOKEN',
          status: 'created'
        }
      ],
      results: [
        {
          credential: 'default',
          status: 'published',
          rotated: false,
          version: expect.stringMatching(/^[0-9a-f]{16}$/),
          published: 1,
          failed: 0
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
    server.addRepository('octo/other')
    server.faults.add({
      method: 'PUT',
      path: '/repos/octo/other/actions/secrets/API_TOKEN',
      status: 403
    })
    const args = ['publish', '--secret-name', 'API_TOKEN', '--value-stdin', '--write-interval', '0']
    const run = await cli(
      [...args, '--repositories', 'octo/app,octo/other'],
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
    expect(run.stderr).toMatch(/error: .*octo\/other.*GitHub answered 403/)
    expect(server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')?.value).toBe(VALUE)
    expect(run.stdout + run.stderr).not.toContain(VALUE)

    // A target that cannot be read stops the run at preflight: nothing is written.
    const gone = await cli(
      [...args, '--repositories', 'octo/app,octo/gone', '--secret-name', 'OTHER_TOKEN'],
      { GH_TOKEN: 'test-token' },
      VALUE
    )
    expect(gone.code).toBe(1)
    expect(JSON.parse(gone.stdout)).toMatchObject({ published: 0, status: 'failed' })
    expect(gone.stderr).toMatch(
      /error: Reading the public key of octo\/gone failed: .*Repository octo\/gone does not exist/
    )
    expect(gone.stderr).toMatch(/1 target of 2 cannot be written.*nothing was written/)
    expect(server.getSecret('repos/octo/app/actions/secrets/OTHER_TOKEN')).toBeUndefined()
    expect(gone.stdout + gone.stderr).not.toContain(VALUE)
  })

  it('takes no secret as a flag, and says how to pass it', async () => {
    const run = await cli(['publish', '--value', VALUE], {})
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^token-rotation: --value is not a flag.*set TOKEN_ROTATION_VALUE\./)
    expect(run.stderr).not.toContain(VALUE)
  })

  it('names each missing input', async () => {
    const run = await cli(['publish'], { GITHUB_REPOSITORY: 'octo/app' })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(
      /error: Input 'github-token': is required.* token-rotation reads github-token from the environment variable GITHUB_TOKEN \(or GH_TOKEN\), never from a flag\.$/m
    )
    expect(run.stderr).toMatch(
      /error: Input 'secret-name': .* token-rotation reads secret-name from --secret-name or the environment variable INPUT_SECRET_NAME\.$/m
    )
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
    expect(none.stderr).toMatch(/^token-rotation: no command given/)
    const stray = await cli(['publish', VALUE], {})
    expect(stray.code).toBe(2)
    expect(stray.stderr).toMatch(/1 unexpected argument\(s\) after publish/)
    const wrong = await cli([VALUE], {})
    expect(wrong.code).toBe(2)
    expect(stray.stderr + wrong.stderr).not.toContain(VALUE)
  })

  it('runs the same engine as rotate, and takes every secret input from its variable only', async () => {
    server.addRepository('octo/app')
    const run = await cli(['rotate', '--secret-name', 'API_TOKEN', '--repositories', 'octo/app'], {
      GITHUB_TOKEN: 'test-token',
      TOKEN_ROTATION_VALUE: VALUE
    })
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({
      published: 1,
      result: [{ target: 'octo/app', status: 'created' }]
    })
    expect(server.getSecret('repos/octo/app/actions/secrets/API_TOKEN')?.value).toBe(VALUE)
    for (const flag of ['--refresh-token', '--client-secret', '--github-token']) {
      const refused = await cli(['rotate', flag, VALUE], {})
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain(`token-rotation: ${flag} is not a flag`)
      expect(refused.stderr).not.toContain(VALUE)
    }
  })

  it('lists the environment variable of each secret input in the usage', async () => {
    const help = await cli(['--help'], {})
    expect([help.code, help.stderr]).toEqual([0, ''])
    for (const variable of [
      'GITHUB_TOKEN (or GH_TOKEN)',
      'TOKEN_ROTATION_VALUE',
      'TOKEN_ROTATION_REFRESH_TOKEN',
      'TOKEN_ROTATION_CLIENT_SECRET',
      'TOKEN_ROTATION_CLIENT_PRIVATE_KEY',
      'TOKEN_ROTATION_CLIENT_KEY',
      'TOKEN_ROTATION_PREVIOUS_VALUE',
      'TOKEN_ROTATION_RETIRING_VALUE',
      'TOKEN_ROTATION_RECOVERY_PRIVATE_KEY'
    ]) {
      expect(help.stdout).toContain(variable)
    }
    expect(help.stdout).toContain('--health-check-url')
    expect(help.stdout).toContain('--recovery-public-key')
    expect(help.stdout).not.toMatch(/--(refresh-token|client-secret|value) /)
  })

  it('prints the same help on stdout for -h, --help and help, with a description for each flag', async () => {
    const runs = await Promise.all(
      [['-h'], ['--help'], ['help'], ['rotate', '--help']].map(args => cli(args, {}))
    )
    for (const run of runs)
      expect([run.code, run.stderr, run.stdout]).toEqual([0, '', runs[0]?.stdout])
    const help = runs[0]?.stdout ?? ''
    // Descriptions come from action.yml, bundled at build time.
    expect(help).toMatch(
      /^ {2}--health-check-url +URL probed with the new value before anything is retired/m
    )
    expect(help).toMatch(/^ {2}--write-interval +Minimum time between two writes.*\(default 1s\)$/m)
    const flagLines = help.split('\n').filter(line => /^ {2}--[a-z]/.test(line))
    expect(flagLines.length).toBeGreaterThan(40)
    for (const line of flagLines) expect(line).toMatch(/^ {2}--\S+(?: [A-Z0-9]+)? +\S/)
  })

  it("prints package.json's version with --version", async () => {
    const pkg = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8')
    ) as { version: string }
    const run = await cli(['--version'], {})
    expect([run.code, run.stdout, run.stderr]).toEqual([0, `${pkg.version}\n`, ''])
  })

  it('answers a bad command line with one line naming the problem, not the whole help', async () => {
    for (const [args, line] of [
      [
        ['publish', '--foo'],
        "token-rotation: unknown option --foo. Run 'token-rotation --help' for usage.\n"
      ],
      [['publish', '--secret-name'], /^token-rotation: --secret-name needs a value/],
      [['frobnicate'], /^token-rotation: unknown command; the commands are rotate, publish/]
    ] as const) {
      const run = await cli([...args], {})
      expect([run.code, run.stdout]).toEqual([2, ''])
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
      if (typeof line === 'string') expect(run.stderr).toBe(line)
      else expect(run.stderr).toMatch(line)
    }
  })

  it('recovers what was sealed to the key pair recovery-keygen printed', async () => {
    const keygen = await cli(['recovery-keygen'], {})
    expect(keygen.code).toBe(0)
    const publicKey = /^recovery-public-key: (\S+)$/m.exec(keygen.stdout)?.[1] ?? ''
    const privateKey =
      /^TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: (\S+)$/m.exec(keygen.stdout)?.[1] ?? ''
    expect(keygen.stdout).toMatch(/^ {2}Set it as the recovery-public-key input/m)
    expect(keygen.stdout).toMatch(/^ {2}Keep it offline or in a password manager/m)
    const ciphertext = await sealForRecovery(VALUE, publicKey)
    const env = { TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: privateKey }

    const piped = await cli(['recover'], env, `${ciphertext}\n`)
    expect(piped.code).toBe(0)
    expect(piped.stdout).toBe(VALUE)
    expect(piped.stderr).toMatch(/store it as the refresh-token secret/)
    expect(piped.stderr).toMatch(/gh secret set/)

    const flagged = await cli(['recover', '--ciphertext', ciphertext], env)
    expect(flagged.code).toBe(0)
    expect(flagged.stdout).toBe(VALUE)

    const logLine = `2026-03-01T12:00:01.1234567Z Recovery ciphertext of the new refresh token (only the recovery private key opens it; token-rotation recover): ${ciphertext}\n`
    const pasted = await cli(['recover'], env, logLine)
    expect(pasted.code).toBe(0)
    expect(pasted.stdout).toBe(VALUE)
    for (const secret of [VALUE, privateKey, ciphertext]) {
      expect(piped.stderr + flagged.stderr + pasted.stderr).not.toContain(secret)
    }
  })

  it('says where the private key comes from when it is missing or wrong, echoing nothing', async () => {
    const keygen = await cli(['recovery-keygen'], {})
    const publicKey = /^recovery-public-key: (\S+)$/m.exec(keygen.stdout)?.[1] ?? ''
    const ciphertext = await sealForRecovery(VALUE, publicKey)

    const missing = await cli(['recover', '--ciphertext', ciphertext], {})
    expect(missing.code).toBe(1)
    expect(missing.stdout).toBe('')
    expect(missing.stderr).toMatch(/^error: TOKEN_ROTATION_RECOVERY_PRIVATE_KEY is not set/)

    const otherKey = (await cli(['recovery-keygen'], {})).stdout
    const wrongKey = /^TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: (\S+)$/m.exec(otherKey)?.[1] ?? ''
    const wrong = await cli(
      ['recover'],
      { TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: wrongKey },
      ciphertext
    )
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toBe('')
    expect(wrong.stderr).toMatch(
      /^error: The recovery ciphertext does not open with this private key/
    )

    const asFlag = await cli(['recover', '--private-key', wrongKey], {}, ciphertext)
    expect(asFlag.code).toBe(2)
    expect(asFlag.stderr).toContain(
      '--private-key is not a flag, so that no process list or shell history shows the secret; set TOKEN_ROTATION_RECOVERY_PRIVATE_KEY.'
    )

    for (const run of [missing, wrong, asFlag]) {
      for (const secret of [VALUE, ciphertext, wrongKey]) {
        expect(run.stdout + run.stderr).not.toContain(secret)
      }
    }
  })

  it('rotates from another CI, and recover opens the ciphertext of a token it could not store', async () => {
    const oauth = await startOAuth2Server()
    try {
      server.addRepository('octo/app')
      const first = await oauth.mintRefreshToken()
      const keygen = await cli(['recovery-keygen'], {})
      const publicKey = /^recovery-public-key: (\S+)$/m.exec(keygen.stdout)?.[1] ?? ''
      const privateKey =
        /^TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: (\S+)$/m.exec(keygen.stdout)?.[1] ?? ''
      // The re-seal before minting passes; the write of the new refresh token is refused.
      server.faults.add({
        method: 'PUT',
        path: '/repos/octo/app/actions/secrets/OAUTH_REFRESH_TOKEN',
        status: 403,
        skip: 1
      })
      const env = {
        GH_TOKEN: 'test-token',
        GITHUB_REPOSITORY: 'octo/app',
        TOKEN_ROTATION_REFRESH_TOKEN: first,
        TOKEN_ROTATION_CLIENT_SECRET: oauth.clients.basic.clientSecret
      }
      const flags = {
        '--issuer': 'oauth2',
        '--token-url': oauth.tokenUrl,
        '--client-id': oauth.clients.basic.clientId,
        '--refresh-token-secret': 'OAUTH_REFRESH_TOKEN',
        '--secret-name': 'API_ACCESS_TOKEN',
        '--recovery-public-key': publicKey,
        '--write-interval': '0'
      }
      const rotation = await cli(['rotate', ...Object.entries(flags).flat()], env)
      expect(rotation.code).toBe(1)
      const outputs = JSON.parse(rotation.stdout) as Record<string, unknown>
      expect(outputs.status).toBe('failed')
      const ciphertext = String(outputs['recovery-ciphertext'])
      expect(rotation.stdout + rotation.stderr).not.toContain(first)

      const recovered = await cli(['recover', '--ciphertext', ciphertext], {
        TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: privateKey
      })
      expect(recovered.code).toBe(0)
      expect(await oauth.isRefreshTokenActive(recovered.stdout.trim())).toBe(true)
      expect(rotation.stdout + rotation.stderr).not.toContain(recovered.stdout.trim())
    } finally {
      await oauth.close()
    }
  })
})
