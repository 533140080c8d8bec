// The CLI's help text, from the same metadata the build bundles: action.yml's input descriptions
// and package.json's version.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { INPUT_DEFAULTS, isSecretInput, type InputName } from '../../src/config/inputs.js'
import { inputSource, parseCommandLine } from '../../src/cli/arguments.js'
import { flagSummary, usage, usageErrorLine, type CliMetadata } from '../../src/cli/help.js'
import { ActionError } from '../../src/errors.js'

function metadata(): CliMetadata {
  const action = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
    inputs: Record<string, { description: string }>
  }
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return {
    version: pkg.version,
    inputDescriptions: Object.fromEntries(
      Object.entries(action.inputs).map(([name, input]) => [name, input.description])
    )
  }
}

/** The problem parseCommandLine reports for `argv`, as the one line the CLI prints. */
function errorLine(argv: string[]): string {
  try {
    parseCommandLine(argv, {})
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError)
    return usageErrorLine((error as ActionError).message)
  }
  throw new Error('the command line was accepted')
}

describe('the help text', () => {
  it('gives every input flag one line: the first clause of its action.yml description', () => {
    const meta = metadata()
    const lines = usage(meta).split('\n')
    const flags = (Object.keys(INPUT_DEFAULTS) as InputName[]).filter(name => !isSecretInput(name))
    for (const name of flags) {
      const line = lines.find(candidate => candidate.startsWith(`  --${name} `)) ?? ''
      const described = line
        .slice(`  --${name}`.length)
        .trim()
        .replace(/ \(default .*\)$/, '')
        .replace(/…$/, '')
      const flat = (meta.inputDescriptions[name] ?? '').replace(/\s+/g, ' ').trim()
      expect(described.length).toBeGreaterThan(10)
      expect(flat.startsWith(described)).toBe(true)
    }
    expect(lines.every(line => line.length <= 100)).toBe(true)
  })

  it('cuts a description at the end of its first clause, on one line', () => {
    expect(flagSummary('Name of the secret to write. Letters, digits and underscores.')).toBe(
      'Name of the secret to write'
    )
    expect(flagSummary('Token that can write secrets:\n  a fine-grained token')).toBe(
      'Token that can write secrets'
    )
    expect(flagSummary('Status codes, e.g. `200`, `2xx`.')).toBe('Status codes, e.g. `200`, `2xx`')
    const long = flagSummary(`${'word '.repeat(40)}end.`)
    expect(long.length).toBeLessThanOrEqual(72)
    expect(long.endsWith('…')).toBe(true)
  })

  it('names the version it was built from', () => {
    expect(usage(metadata())).toContain(`(version ${metadata().version})`)
  })
})

describe('usage errors', () => {
  it('are one line naming the flag, and point to --help', () => {
    expect(errorLine(['publish', '--foo'])).toBe(
      "token-rotation: unknown option --foo. Run 'token-rotation --help' for usage."
    )
    expect(errorLine(['publish', '--secret-name'])).toMatch(
      /^token-rotation: --secret-name needs a value/
    )
    expect(errorLine(['publish', '--secret-name', '--dry-run'])).toMatch(
      /--secret-name needs a value/
    )
    expect(errorLine(['publish', '--value-stdin=yes'])).toMatch(/--value-stdin takes no value/)
    expect(errorLine(['publish', '--no-secret-name'])).toMatch(/unknown option --no-secret-name/)
    expect(errorLine(['rotate', '--ciphertext', 'x'])).toMatch(
      /--ciphertext does not apply to rotate\./
    )
  })

  it('name the environment variable of a secret given as a flag, never its value', () => {
    const line = errorLine(['rotate', '--client-secret', 's3cr3t'])
    expect(line).toMatch(/--client-secret is not a flag.*set TOKEN_ROTATION_CLIENT_SECRET\./)
    expect(line).not.toContain('s3cr3t')
    expect(errorLine(['rotate', '--github-token=ghp_x'])).toMatch(
      /set GITHUB_TOKEN \(or GH_TOKEN\)/
    )
  })

  it('do not repeat an option that does not look like a flag name', () => {
    const line = errorLine(['publish', '--ghp_16C7e42F292c6912E7710c838347Ae178B4a'])
    expect(line).toBe(
      "token-rotation: unknown option (not repeated here). Run 'token-rotation --help' for usage."
    )
  })
})

describe('where the command reads an input', () => {
  it('names the flag and INPUT_ variable, or the environment variable of a secret', () => {
    expect(inputSource('secret-name')).toBe(
      '--secret-name or the environment variable INPUT_SECRET_NAME'
    )
    expect(inputSource('github-token')).toBe(
      'the environment variable GITHUB_TOKEN (or GH_TOKEN), never from a flag'
    )
  })
})
