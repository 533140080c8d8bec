// The command-line entry (`dist/cli.js`): the same run() as the action, for other CI systems and
// local use, and the recovery commands. Like src/index.ts, the only module here with side effects.
import { join } from 'node:path'
import { text } from 'node:stream/consumers'
import { inputDescriptions, version } from 'token-rotation:metadata'
import {
  dropFinalNewline,
  inputSource,
  parseCommandLine,
  type CliInvocation,
  type RunInvocation
} from './cli/arguments.js'
import { consoleDeps } from './cli/console-deps.js'
import { usage, usageErrorLine } from './cli/help.js'
import { outputsJson } from './cli/outputs-json.js'
import { recover } from './cli/recover.js'
import { recoveryKeygen } from './cli/recovery-keygen.js'
import { hasIdTokenVariable, idTokenFromEnvironment } from './ci/id-token.js'
import { detectCi } from './ci/identity.js'
import { reportDirectory, writeReportFiles } from './cli/report-files.js'
import type { InputName } from './config/inputs.js'
import { describeError } from './errors.js'
import { run } from './main.js'

const write = (line: string) => process.stderr.write(`${line}\n`)
const out = (chunk: string) => process.stdout.write(chunk)

let invocation: CliInvocation | undefined
try {
  invocation = parseCommandLine(process.argv.slice(2), process.env)
} catch (error) {
  // One line: the help is one flag away, and 3 KB of it would bury the one thing that was wrong.
  write(usageErrorLine(describeError(error)))
  process.exitCode = 2
}
try {
  await dispatch(invocation)
} catch (error) {
  write(`error: ${describeError(error)}`)
  process.exitCode = 1
}

/** Runs what the command line asks for; nothing after a usage error. */
async function dispatch(invocation: CliInvocation | undefined): Promise<void> {
  if (invocation === undefined) return
  switch (invocation.command) {
    case 'help':
      out(`${usage({ version, inputDescriptions })}\n`)
      break
    case 'version':
      out(`${version}\n`)
      break
    case 'recovery-keygen':
      await recoveryKeygen(out)
      break
    case 'recover':
      process.exitCode = await recover(invocation, {
        readStdin: () => text(process.stdin),
        out,
        err: write,
        stdoutIsTerminal: process.stdout.isTTY,
        stdinIsTerminal: process.stdin.isTTY
      })
      break
    default:
      process.exitCode = await runEngine(invocation)
  }
}

/**
 * `rotate`, `publish` and `plan`: run() with console collaborators; the outputs as JSON on stdout,
 * and the report folder when one is named or the CI has its place (a GitLab job's artifacts).
 */
async function runEngine(invocation: RunInvocation): Promise<number> {
  const startedAt = new Date()
  const stdinValue = invocation.valueFromStdin
    ? dropFinalNewline(await text(process.stdin))
    : undefined
  // Detected once: the lock, the record and the alerts name the run as its report does.
  const ci = detectCi(process.env, process.pid)
  const reportDir = reportDirectory(invocation.reportDir, process.env, ci, process.cwd())
  const readInput = (name: InputName): string => {
    if (name === 'value' && stdinValue !== undefined) return stdinValue
    const given = invocation.readInput(name)
    // The audit trail goes with the report, where the CI keeps it, unless a path was given.
    if (name === 'audit-log' && given === '' && reportDir !== undefined) {
      return join(reportDir, 'audit.jsonl')
    }
    return given
  }
  const base = consoleDeps({
    readInput,
    env: process.env,
    write,
    inputSource,
    // A path on a command line is the current directory's, in a GitHub job (GITHUB_WORKSPACE set,
    // perhaps a step's working-directory) as anywhere else.
    workingDirectory: process.cwd(),
    ci,
    ...(invocation.summaryFile ? { summaryFile: invocation.summaryFile } : {})
  })
  // GitLab mints a job's ID tokens ahead, one variable per audience (`id_tokens:`).
  const deps =
    ci.kind === 'gitlab-ci' || hasIdTokenVariable(process.env)
      ? {
          ...base,
          idToken: idTokenFromEnvironment(process.env, secret => {
            base.mask(secret)
          })
        }
      : base
  try {
    await run(deps)
  } catch (error) {
    // run() reports its own failures; an unforeseen one goes through the run's logger, which
    // redacts every secret the run has seen, like the action's last guard.
    deps.log.error(`token-rotation stopped unexpectedly: ${describeError(error)}`)
    deps.markFailed()
  }
  // A configuration file's run reports per credential, whatever it ran or how it stopped.
  const config = invocation.readInput('config').trim()
  out(outputsJson(deps.outputs, { configFile: config !== '' }))
  if (reportDir !== undefined) {
    try {
      const written = await writeReportFiles(
        reportDir,
        {
          summary: deps.summaries,
          results: deps.outputs.results,
          errors: deps.errors,
          failed: deps.failed(),
          startedAt,
          durationMs: Date.now() - startedAt.getTime()
        },
        { ci, junit: invocation.command !== 'plan', redact: deps.redact }
      )
      write(`Report: ${written.join(', ')}`)
    } catch (error) {
      // The report tells of the work; a folder that cannot be written never undoes the work.
      deps.log.warning(`Could not write the report to ${reportDir}: ${describeError(error)}`)
    }
  }
  return deps.failed() ? 1 : 0
}
