// The command-line entry (`dist/cli.js`): the same run() as the action, for other CI systems and
// local use, and the recovery commands. Like src/index.ts, the only module here with side effects.
import { text } from 'node:stream/consumers'
import { dropFinalNewline, parseCommandLine, usage, type RunInvocation } from './cli/arguments.js'
import { consoleDeps } from './cli/console-deps.js'
import { outputsJson } from './cli/outputs-json.js'
import { recover } from './cli/recover.js'
import { recoveryKeygen } from './cli/recovery-keygen.js'
import { describeError } from './errors.js'
import { run } from './main.js'

const write = (line: string) => process.stderr.write(`${line}\n`)
const out = (chunk: string) => process.stdout.write(chunk)

try {
  const invocation = parseCommandLine(process.argv.slice(2), process.env)
  switch (invocation.command) {
    case 'help':
      write(usage())
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
} catch (error) {
  write(`error: ${describeError(error)}\n\n${usage()}`)
  process.exitCode = 2
}

/** `rotate` and `publish`: run() with console collaborators; the outputs as JSON on stdout. */
async function runEngine(invocation: RunInvocation): Promise<number> {
  const stdinValue = invocation.valueFromStdin
    ? dropFinalNewline(await text(process.stdin))
    : undefined
  const deps = consoleDeps({
    readInput: name =>
      name === 'value' && stdinValue !== undefined ? stdinValue : invocation.readInput(name),
    env: process.env,
    write,
    ...(invocation.summaryFile ? { summaryFile: invocation.summaryFile } : {})
  })
  await run(deps)
  out(outputsJson(deps.outputs))
  return deps.failed() ? 1 : 0
}
