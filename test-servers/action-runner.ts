import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The bundled action, run as the runner runs it. */
export const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url))

export interface ActionRun {
  exitCode: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** The `::error ...::` lines, as the runner would show them as annotations. */
  errors: string[]
  /** The JSON-lines audit files the run left in RUNNER_TEMP, concatenated. */
  audit: string
  /** True when `killWhen` killed the run (as a cancelled or crashed runner would). */
  killed: boolean
}

export interface RunActionOptions {
  inputs: Record<string, string>
  env?: Record<string, string>
  /**
   * Polled while the action runs; when it answers true the process is killed with SIGKILL, as a
   * runner that dies mid-step would leave it. Tests use it to stop a rotation between two steps.
   */
  killWhen?: () => boolean
}

/**
 * Runs `node dist/index.js` in a child process the way the GitHub runner does: each input as an
 * `INPUT_<NAME>` variable, outputs and the job summary through the GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, and nothing inherited from this machine's GitHub variables.
 */
export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmpdir(), 'action-run-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
    ...options.env
  }
  for (const [name, value] of Object.entries(options.inputs)) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  try {
    const { exitCode, stdout, stderr, killed } = await spawnNode(DIST_INDEX, env, options.killWhen)
    const audits = (await readdir(dir)).filter(name => name.endsWith('.jsonl'))
    const audit = (await Promise.all(audits.map(name => readFile(join(dir, name), 'utf8')))).join(
      ''
    )
    return {
      exitCode,
      stdout,
      stderr,
      outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
      errors: stdout.split('\n').filter(line => line.startsWith('::error')),
      audit,
      killed
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function spawnNode(
  script: string,
  env: Record<string, string>,
  killWhen?: () => boolean
): Promise<{ exitCode: number; stdout: string; stderr: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let killed = false
    const watch = killWhen
      ? setInterval(() => {
          if (!killed && killWhen()) {
            killed = true
            child.kill('SIGKILL')
          }
        }, 5)
      : undefined
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', code => {
      clearInterval(watch)
      resolve({ exitCode: code ?? -1, stdout, stderr, killed })
    })
  })
}

/** Parses the runner's `name<<DELIMITER ... DELIMITER` output file format. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '')
    if (!match) continue
    const [, name, delimiter] = match as unknown as [string, string, string]
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '')
    outputs[name] = value.join('\n')
  }
  return outputs
}

/**
 * Where a secret shows up in a run, other than in the `::add-mask::` commands that register it.
 * Empty when it leaked nowhere.
 */
export function leaks(run: ActionRun, secret: string): string[] {
  const places: string[] = []
  const stdout = run.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  if (stdout.includes(secret)) places.push('stdout')
  if (run.stderr.includes(secret)) places.push('stderr')
  if (run.summary.includes(secret)) places.push('summary')
  if (run.audit.includes(secret)) places.push('audit log')
  for (const [name, value] of Object.entries(run.outputs)) {
    if (value.includes(secret)) places.push(`output ${name}`)
  }
  return places
}
