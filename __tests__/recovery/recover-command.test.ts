// The `recover` and `recovery-keygen` commands of the CLI, with their input and output in memory.
import { describe, expect, it } from '@jest/globals'
import { parseCommandLine, type RecoverInvocation } from '../../src/cli/arguments.js'
import { fromLogLine, recover } from '../../src/cli/recover.js'
import { recoveryKeygen } from '../../src/cli/recovery-keygen.js'
import { sealForRecovery } from '../../src/recovery/recovery-box.js'

const VALUE = 'recovered-refresh-6c0d2e'

function terminal(options: { stdin?: string; stdoutIsTerminal?: boolean } = {}) {
  const io = {
    stdout: '',
    stderr: [] as string[],
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    out: (text: string) => {
      io.stdout += text
    },
    err: (line: string) => {
      io.stderr.push(line)
    },
    stdoutIsTerminal: options.stdoutIsTerminal ?? false,
    stdinIsTerminal: false
  }
  return io
}

async function keyPair(): Promise<{ publicKey: string; privateKey: string }> {
  let printed = ''
  await recoveryKeygen(text => {
    printed += text
  })
  const publicKey = /^recovery-public-key: (\S+)$/m.exec(printed)?.[1]
  const privateKey = /^TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: (\S+)$/m.exec(printed)?.[1]
  expect(publicKey).toBeDefined()
  expect(privateKey).toBeDefined()
  return { publicKey: publicKey ?? '', privateKey: privateKey ?? '' }
}

function invocation(argv: string[], env: Record<string, string>): RecoverInvocation {
  const parsed = parseCommandLine(argv, env)
  if (parsed.command !== 'recover') throw new Error(`parsed as ${parsed.command}`)
  return parsed
}

describe('recover', () => {
  it('opens what was sealed to the keygen public key, from standard input', async () => {
    const { publicKey, privateKey } = await keyPair()
    const ciphertext = await sealForRecovery(VALUE, publicKey)
    const io = terminal({ stdin: `${ciphertext}\n` })
    const env = { TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: privateKey }
    expect(await recover(invocation(['recover'], env), io)).toBe(0)
    expect(io.stdout).toBe(VALUE)
    expect(io.stderr.join('\n')).toMatch(/store it as the refresh-token secret/)
    expect(io.stderr.join('\n')).toMatch(/gh secret set/)
    expect(io.stderr.join('\n')).not.toContain(VALUE)
  })

  it('takes --ciphertext, and ends the value with a newline in a terminal', async () => {
    const { publicKey, privateKey } = await keyPair()
    const ciphertext = await sealForRecovery(VALUE, publicKey)
    const io = terminal({ stdoutIsTerminal: true })
    const env = { TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: privateKey }
    expect(await recover(invocation(['recover', '--ciphertext', ciphertext], env), io)).toBe(0)
    expect(io.stdout).toBe(`${VALUE}\n`)
  })

  it('says where the private key goes when it is missing, before reading anything', async () => {
    const io = terminal({ stdin: 'never read' })
    expect(await recover(invocation(['recover'], {}), io)).toBe(1)
    expect(io.stdout).toBe('')
    expect(io.stderr.join('\n')).toMatch(
      /^error: TOKEN_ROTATION_RECOVERY_PRIVATE_KEY is not set\..*never taken as a flag/
    )
  })

  it('fails with the wrong key, echoing neither key nor ciphertext', async () => {
    const sealedTo = await keyPair()
    const other = await keyPair()
    const ciphertext = await sealForRecovery(VALUE, sealedTo.publicKey)
    const io = terminal({ stdin: ciphertext })
    const env = { TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: other.privateKey }
    expect(await recover(invocation(['recover'], env), io)).toBe(1)
    expect(io.stdout).toBe('')
    const printed = io.stderr.join('\n')
    expect(printed).toMatch(/^error: The recovery ciphertext does not open with this private key/)
    for (const secret of [ciphertext, other.privateKey, sealedTo.privateKey, VALUE]) {
      expect(printed).not.toContain(secret)
    }
  })

  it('names the environment variable when the key is malformed', async () => {
    const io = terminal({ stdin: 'AAAA' })
    const env = { TOKEN_ROTATION_RECOVERY_PRIVATE_KEY: 'not-a-key!' }
    expect(await recover(invocation(['recover'], env), io)).toBe(1)
    expect(io.stderr.join('\n')).toMatch(
      /^error: TOKEN_ROTATION_RECOVERY_PRIVATE_KEY is not base64/
    )
    expect(io.stderr.join('\n')).not.toContain('not-a-key!')
  })
})

describe('the recovery command line', () => {
  it('takes no private key as a flag, and no input flag for recover', () => {
    expect(() => parseCommandLine(['recover', '--private-key', 'k'], {})).toThrow(
      '--private-key is not a flag'
    )
    expect(() => parseCommandLine(['recover', '--secret-name', 'X'], {})).toThrow(
      '--secret-name does not apply to recover'
    )
    expect(() => parseCommandLine(['rotate', '--ciphertext', 'X'], {})).toThrow(
      '--ciphertext does not apply to rotate'
    )
    expect(() => parseCommandLine(['recovery-keygen', '--summary', 'f'], {})).toThrow(
      '--summary does not apply to recovery-keygen'
    )
  })
})

describe('fromLogLine', () => {
  it('takes the ciphertext out of a pasted log line, and leaves bare base64 alone', () => {
    const line =
      '2026-03-01T12:00:01.1234567Z Recovery ciphertext of the new refresh token (only the recovery private key opens it; token-rotation recover): QUJD+/9=\n'
    expect(fromLogLine(line)).toBe('QUJD+/9=')
    expect(fromLogLine('QUJD\n+/9=\n')).toBe('QUJD\n+/9=\n')
  })
})
