import { spawn } from 'node:child_process'

/** What a finished child process left: its exit code (-1 when a signal ended it) and its output. */
export interface ProcessResult {
  code: number
  stdout: string
  stderr: string
}

export interface NodeProcessOptions {
  /** The whole environment of the child: nothing of this process's is passed on unless named. */
  env: Record<string, string>
  cwd?: string
  /** Written to the child's stdin, then closed; without it, stdin is not connected. */
  stdin?: string
}

/**
 * Runs `node <args>` in a child process with this Node.js and collects its output as text. It
 * resolves once the child has closed its streams, whatever its exit code; it rejects only when the
 * child could not be started.
 */
export function runNode(
  args: readonly string[],
  options: NodeProcessOptions
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const common = { env: options.env, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) }
    const child =
      options.stdin === undefined
        ? spawn(process.execPath, args, { ...common, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(process.execPath, args, { ...common, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', code => {
      resolve({ code: code ?? -1, stdout, stderr })
    })
    if (options.stdin !== undefined) child.stdin?.end(options.stdin)
  })
}
