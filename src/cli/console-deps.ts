import { appendFile } from 'node:fs/promises'
import { INPUT_DEFAULTS, type InputName } from '../config/inputs.js'
import { safeLogger } from '../logger.js'
import type { RunDeps } from '../main.js'
import { Redactor } from '../redaction.js'

/** The input an `Invalid input '<name>'` annotation (src/main.ts) is about. */
function invalidInput(title: string | undefined): InputName | undefined {
  const name = /^Invalid input '([a-z-]+)'$/.exec(title ?? '')?.[1]
  return name !== undefined && Object.hasOwn(INPUT_DEFAULTS, name) ? (name as InputName) : undefined
}

/**
 * The collaborators of a run in a terminal or another CI: the log goes to standard error as plain
 * lines, the outputs are collected for one JSON document on standard output, and the summary goes
 * to a file when one is named. No runner masks anything here: the redactor is the only mask, and
 * every line, output and the summary pass through it, escaped as the action's are.
 */
export function consoleDeps(options: {
  readInput: RunDeps['readInput']
  env: RunDeps['env']
  summaryFile?: string
  write: (line: string) => void
  /** Where the command reads an input: added to each error about an input. */
  inputSource?: (name: InputName) => string
  /** Where a relative `config` path is read from: the command's current directory. */
  workingDirectory?: string
  /** The run's identity, detected once by the command for the run and its report alike. */
  ci?: RunDeps['ci']
}): RunDeps & {
  outputs: Record<string, string>
  failed: () => boolean
  /** Each job summary the run wrote, redacted, for the report folder. */
  summaries: string[]
  /** Each error line the run logged (redacted), for a report of a run that stopped early. */
  errors: string[]
} {
  const outputs: Record<string, string> = {}
  const summaries: string[] = []
  const errors: string[] = []
  let failed = false
  const { write } = options
  const redactor = new Redactor()
  const redact = (text: string) => redactor.redact(text)
  const debug = options.env.RUNNER_DEBUG === '1' || options.env.TOKEN_ROTATION_DEBUG === '1'
  // Annotation titles repeat what the messages already name (the input or the target): a
  // terminal gets the message alone.
  const titled = (level: string) => (message: string) => {
    write(`${level}: ${message}`)
  }
  return {
    readInput: options.readInput,
    env: options.env,
    ...(options.workingDirectory !== undefined
      ? { workingDirectory: options.workingDirectory }
      : {}),
    ...(options.ci ? { ci: options.ci } : {}),
    outputs,
    failed: () => failed,
    summaries,
    errors,
    log: safeLogger(
      {
        debug: message => {
          if (debug) write(`debug: ${message}`)
        },
        info: message => {
          write(message)
        },
        notice: titled('notice'),
        warning: titled('warning'),
        error: (message, properties) => {
          errors.push(message)
          const input = invalidInput(properties?.title)
          const source = input === undefined ? undefined : options.inputSource?.(input)
          // A terminal has no runner to explain where an input comes from: the error says it.
          write(
            source === undefined
              ? `error: ${message}`
              : `error: ${message.replace(/\.?$/, '.')} token-rotation reads ${input ?? ''} from ${source}.`
          )
        },
        group: async (name, fn) => {
          write(`== ${name}`)
          return fn()
        }
      },
      redact,
      false
    ),
    mask: secret => {
      redactor.add(secret)
    },
    redact,
    setOutput: (name, value) => {
      outputs[name] = redact(value)
    },
    writeSummary: async markdown => {
      summaries.push(redact(markdown))
      if (options.summaryFile) await appendFile(options.summaryFile, `${redact(markdown)}\n`)
    },
    markFailed: () => {
      failed = true
    }
  }
}
