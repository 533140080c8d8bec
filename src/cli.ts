// The command-line entry (`dist/cli.js`): the same run() as the action, for other CI systems and
// local use. Like src/index.ts, the only module here with side effects.
import { text } from 'node:stream/consumers'
import { dropFinalNewline, parseCommandLine, usage } from './cli/arguments.js'
import { consoleDeps } from './cli/console-deps.js'
import { describeError } from './errors.js'
import { run } from './main.js'

const write = (line: string) => process.stderr.write(`${line}\n`)

try {
  const invocation = parseCommandLine(process.argv.slice(2), process.env)
  if (invocation.command === 'help') {
    write(usage())
  } else {
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
    const result: unknown = JSON.parse(deps.outputs.result ?? '[]')
    process.stdout.write(
      `${JSON.stringify({ published: Number(deps.outputs.published ?? 0), result }, null, 2)}\n`
    )
    if (deps.failed()) process.exitCode = 1
  }
} catch (error) {
  write(`error: ${describeError(error)}\n\n${usage()}`)
  process.exitCode = 2
}
