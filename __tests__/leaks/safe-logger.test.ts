import { describe, expect, it } from '@jest/globals'
import { escapeCommandText, escapeLogLine, safeLogger } from '../../src/logger.js'
import { Redactor } from '../../src/redaction.js'
import { consoleDeps } from '../../src/cli/console-deps.js'
import { MemoryLogger } from '../support/memory-logger.js'

const FORGERIES = [
  'name\n::set-output name=status::rotated',
  'name\n::stop-commands::x',
  'name\r##[error]forged',
  '::warning::at the start',
  'in the middle ##[group]x'
]

/** A line the runner would read as a workflow command. */
function isCommand(line: string): boolean {
  return line.trim().startsWith('::') || line.includes('##[')
}

describe('escapeLogLine', () => {
  it.each(FORGERIES)('leaves one line that is no command (%j)', forged => {
    const line = escapeLogLine(`Secret ${forged}`)
    expect(line.split(/\r\n|\n|\r/)).toHaveLength(1)
    expect(isCommand(line)).toBe(false)
    expect(isCommand(escapeLogLine(forged))).toBe(false)
  })

  it('escapes % CR LF as @actions/core escapeData does, other control characters as %XX', () => {
    expect(escapeLogLine('50% a\r\nb\u001b[31m\u0000')).toBe('50%25 a%0D%0Ab%1B[31m%00')
  })
})

describe('escapeCommandText', () => {
  it('keeps CR and LF for @actions/core to escape, and escapes the rest', () => {
    expect(escapeCommandText('a\nb\u001b ##[error]')).toBe('a\nb%1B ##%5Berror]')
  })
})

describe('safeLogger', () => {
  it('redacts every message and title, then escapes it', () => {
    const redactor = new Redactor()
    redactor.add('client-secret-XYZ')
    const sink = new MemoryLogger()
    const log = safeLogger(sink, text => redactor.redact(text), true)
    log.info('got client%2Dsecret%2DXYZ\n::stop-commands::x')
    log.error('echo: Y2xpZW50LXNlY3JldC1YWVo=', { title: 'client-secret-XYZ' })
    expect(sink.lines).toEqual([
      { level: 'info', message: 'got ***%0A::stop-commands::x' },
      { level: 'error', message: expect.stringMatching(/^echo: \*\*\*.{0,3}$/), title: '***' }
    ])
  })
})

describe('the CLI logger', () => {
  it('redacts and escapes as the action does, in lines, outputs and the summary', () => {
    const lines: string[] = []
    const deps = consoleDeps({ readInput: () => '', env: {}, write: line => lines.push(line) })
    deps.mask('cli-secret-value')
    deps.log.warning('from cli%2Dsecret%2Dvalue\r##[error]forged')
    deps.log.info('::set-output name=x::cli-secret-value')
    deps.setOutput('result', '{"error":"cli-secret-value"}')
    expect(lines).toEqual(['warning: from ***%0D##%5Berror]forged', '%3A%3Aset-output name=x::***'])
    expect(deps.outputs.result).toBe('{"error":"***"}')
  })
})
