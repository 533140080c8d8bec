import type { InputProblem } from '../errors.js'
import { isSecretInput, type InputName, type RawInputs } from './inputs.js'

/**
 * Inputs whose value may span lines: lists (one item a line), header lines and PEM documents.
 * Every other input is one line by nature: a name, a URL, a duration, a client id.
 */
const MULTI_LINE: ReadonlySet<InputName> = new Set<InputName>([
  'repositories',
  'environment',
  'selected-repositories',
  'secret-fields',
  'scope',
  'health-check-header',
  'health-check-expect',
  'client-certificate',
  'ca-certificate',
  // The configuration file given inline (`config: |`): YAML, whose lines it is.
  'config'
])

/**
 * Refuses control characters in inputs that reach log lines, naming each input: a CR or LF there
 * starts a new log line, which the runner reads as a workflow command (a forged annotation or
 * output, or `stop-commands`, which would silence every later mask). Multi-line inputs may hold
 * line breaks (LF, or CR LF) and tabs, and nothing else. Secret inputs are never logged, and a
 * published value is taken byte for byte.
 */
export function controlCharacterProblems(raw: RawInputs): InputProblem[] {
  const problems: InputProblem[] = []
  for (const [name, value] of Object.entries(raw) as [InputName, string][]) {
    if (isSecretInput(name)) continue
    const text = MULTI_LINE.has(name) ? value.replace(/\r?\n|\t/g, '') : value
    const found = /\p{Cc}/u.exec(text)?.[0]
    if (found === undefined) continue
    const code = `U+${found.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
    problems.push({
      input: name,
      message: MULTI_LINE.has(name)
        ? `holds the control character ${code}; only line breaks (LF or CR LF) may separate its lines`
        : `holds the control character ${code}${found === '\n' || found === '\r' ? ' (a line break)' : ''}; it is one line of text, without line breaks or control characters`
    })
  }
  return problems
}
