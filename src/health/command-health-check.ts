import { spawn, type ChildProcess } from 'node:child_process'
import { describeHealthCheck, type CommandHealthCheckConfig } from '../config/health-config.js'
import { valueShape } from '../document/secret-document.js'
import { formatDuration } from '../duration.js'
import type { Clock, HealthCheck, HealthResult, Sleep } from '../engine/ports.js'
import type { Logger } from '../logger.js'
import { REDACTED, redactSecrets } from '../redaction.js'
import { retryUntilHealthy, type AttemptOutcome } from './retry.js'

/** What the command health check needs from outside. */
export interface CommandHealthCheckDeps {
  sleep: Sleep
  clock: Clock
  log: Logger
  /** Registers a secret with the runner's mask and the run's redactor. */
  mask(secret: string): void
  /**
   * The run's redactor, which knows every secret of the run. Without it no line of the command's
   * stderr is ever quoted: only it can tell that a line holds none.
   */
  redact?: (text: string) => string
  /** The runner's environment, which the command inherits; the process's own when absent. */
  env?: Readonly<Record<string, string | undefined>>
  /** Where the command runs (the workspace); the process's current directory when absent. */
  cwd?: string
}

/** The variable that holds the value under test. */
export const VALUE_VARIABLE = 'TOKEN_ROTATION_VALUE'

const VARIABLE_PREFIX = 'TOKEN_ROTATION_'

/**
 * What a run of the command gets at least, even when the timeout is (nearly) spent: the last
 * attempt starts at the deadline at the latest, and, like an HTTP attempt, may take this long.
 */
const LAST_ATTEMPT_MS = 10_000

/** How much of stderr is kept: enough for its last line, never the whole output. */
const STDERR_TAIL_BYTES = 4_096

/** The longest quote of stderr in a detail. */
const MAX_QUOTE = 200

/**
 * A run of this many characters of a secret in a line means the line quotes part of it (a prefix,
 * a line of a multi-line value): the line is not quoted, even redacted.
 */
const FRAGMENT = 8

/** How long to wait, after the command exited, for the rest of its stderr. */
const STDERR_GRACE_MS = 1_000

/**
 * Variables of the runner's environment the command does not inherit. `INPUT_*` hold the action's
 * inputs (the GitHub token, the refresh token, client secrets), `TOKEN_ROTATION_*` the CLI's
 * secrets and would pass for fields the value does not have, and the runtime and OIDC request
 * tokens are given to actions, not to a workflow's `run:` steps, which this runs like.
 */
function inherits(name: string): boolean {
  const upper = name.toUpperCase()
  return !(
    upper.startsWith('INPUT_') ||
    upper.startsWith(VARIABLE_PREFIX) ||
    upper === 'ACTIONS_RUNTIME_TOKEN' ||
    upper === 'ACTIONS_ID_TOKEN_REQUEST_TOKEN' ||
    upper === 'ACTIONS_ID_TOKEN_REQUEST_URL'
  )
}

/**
 * Whether a variable of the runner's environment holds a secret of the run (the admin token a
 * configuration reads with `{ env: GITLAB_TOKEN }`, a Vault token): the command does not get it.
 * A tool it runs (`glab`, `vault`) would pick it up and pass the check with it, whatever the new
 * value is worth, and the old value would be retired on that word.
 */
function holdsSecret(text: string, redact: ((text: string) => string) | undefined): boolean {
  return redact !== undefined && text !== '' && redact(text) !== text
}

/**
 * The variable that holds a field of a JSON value: `username` is `TOKEN_ROTATION_USERNAME`,
 * `api-key` is `TOKEN_ROTATION_API_KEY`.
 */
export function fieldVariable(field: string): string {
  return `${VARIABLE_PREFIX}${field.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}

/** The variables a value gives the command, and what must be masked before it runs. */
interface CommandVariables {
  env: Record<string, string>
  /** Every secret text the command gets: the value and each string in it. Masked before a run. */
  masks: string[]
  /** The values of the value: the value itself when plain, else the strings in it. */
  leaves: string[]
  /** Variables two fields (or a field and the value) would both set: set by neither. */
  clashes: { variable: string; fields: string[] }[]
  /** A variable that would hold a NUL, which no environment variable can. */
  withNul?: string
}

/**
 * `TOKEN_ROTATION_VALUE` and, for a JSON object, one variable per top-level field (strings as
 * they are, anything else JSON-encoded).
 */
function commandVariables(value: string): CommandVariables {
  const env: Record<string, string> = {}
  const masks = [value]
  const leaves: string[] = []
  const clashes: CommandVariables['clashes'] = []
  const shape = valueShape(value)
  if (shape.kind === 'object') {
    const byVariable = new Map<string, string[]>()
    for (const field of Object.keys(shape.object)) {
      if (field === '') continue
      const variable = fieldVariable(field)
      byVariable.set(variable, [...(byVariable.get(variable) ?? []), field])
    }
    for (const [variable, fields] of byVariable) {
      const [field] = fields
      if (fields.length > 1 || variable === VALUE_VARIABLE || field === undefined) {
        clashes.push({ variable, fields })
        continue
      }
      const found = shape.object[field]
      const text = typeof found === 'string' ? found : JSON.stringify(found)
      env[variable] = text
      // Numbers, booleans and null are not masked: masking "1" or "true" would blank the log.
      if (typeof found === 'object' && found !== null) masks.push(text)
    }
    for (const leaf of stringsIn(shape.object)) {
      leaves.push(leaf)
      masks.push(leaf)
    }
  } else {
    leaves.push(value)
  }
  env[VALUE_VARIABLE] = value
  const withNul = Object.keys(env).find(name => env[name]?.includes('\0'))
  return {
    env,
    masks: masks.filter(text => text !== ''),
    leaves: leaves.filter(text => text !== ''),
    clashes,
    ...(withNul !== undefined ? { withNul } : {})
  }
}

/** Every string in a parsed JSON value, however deep. */
function stringsIn(node: unknown): string[] {
  if (typeof node === 'string') return [node]
  if (Array.isArray(node)) return node.flatMap(stringsIn)
  if (node !== null && typeof node === 'object') return Object.values(node).flatMap(stringsIn)
  return []
}

/**
 * The command health check: runs the command line through the platform shell (`/bin/sh`, or
 * `cmd.exe` on Windows), as a workflow's `run:` step runs a line, in the workspace, with the
 * runner's environment (less the action's own inputs and tokens) plus the value in
 * `TOKEN_ROTATION_VALUE` and, for a JSON object, each top-level field in `TOKEN_ROTATION_<FIELD>`.
 * Exit 0 means the value works. It is retried like the HTTP check ({@link retryUntilHealthy});
 * each run is killed, with everything it started, once what is left of the timeout has passed
 * (the last one gets at least 10 s, or the whole timeout when that is shorter). Its output is
 * never printed: a failure's detail is `exit 3`, `killed after 10s` or `not found`, with at most
 * the last line of stderr, redacted, and none when the line may hold part of a secret.
 */
export function createCommandHealthCheck(
  config: CommandHealthCheckConfig,
  deps: CommandHealthCheckDeps
): HealthCheck {
  const masked = new Set<string>()
  const mask = (secret: string) => {
    if (masked.has(secret)) return
    masked.add(secret)
    deps.mask(secret)
  }
  const floorMs =
    config.timeoutMs > 0 ? Math.min(LAST_ATTEMPT_MS, config.timeoutMs) : LAST_ATTEMPT_MS
  return {
    description: describeHealthCheck(config),
    takesDocument: true,
    async check(value: string): Promise<HealthResult> {
      const variables = commandVariables(value)
      // Every field is a secret of its own: masked before any process could print it.
      for (const secret of variables.masks) mask(secret)
      for (const clash of variables.clashes) {
        deps.log.warning(
          `Health check: ${clash.fields.map(f => `field '${f}'`).join(' and ')} of the value would set ${clash.variable}${clash.variable === VALUE_VARIABLE ? ', which holds the whole value' : ''}; the command gets no such field.`
        )
      }
      if (variables.withNul !== undefined) {
        return {
          ok: false,
          attempts: 0,
          detail: `${variables.withNul} would hold a NUL character, which no environment variable can hold`
        }
      }
      const env: Record<string, string> = {}
      for (const [name, text] of Object.entries(deps.env ?? process.env)) {
        if (text !== undefined && inherits(name) && !holdsSecret(text, deps.redact))
          env[name] = text
      }
      Object.assign(env, variables.env)
      const cwd = deps.cwd ?? process.cwd()
      const quote = (line: string) => quoteLine(line, variables, deps.redact)
      return retryUntilHealthy(
        async leftMs => {
          const limitMs = Math.max(leftMs, floorMs)
          return judge(await runOnce(config.command, { env, cwd, limitMs }), quote)
        },
        { timeoutMs: config.timeoutMs, clock: deps.clock, sleep: deps.sleep, log: deps.log }
      )
    }
  }
}

/** How one run of the command ended. `stderr` is its last line, raw: never print it unquoted. */
type CommandRun =
  | { kind: 'exit'; code: number; stderr?: string }
  | { kind: 'signal'; signal: string; stderr?: string }
  | { kind: 'killed'; afterMs: number; stderr?: string }
  | { kind: 'not-started'; code?: string }

function judge(run: CommandRun, quote: (line: string) => string | undefined): AttemptOutcome {
  const windows = process.platform === 'win32'
  const withStderr = (detail: string, line: string | undefined): string => {
    const quoted = line === undefined ? undefined : quote(line)
    return quoted === undefined ? detail : `${detail} (stderr: ${quoted})`
  }
  switch (run.kind) {
    case 'not-started':
      return {
        ok: false,
        detail:
          run.code === 'ENOENT'
            ? 'not found'
            : `could not be started${run.code === undefined ? '' : ` (${run.code})`}`
      }
    case 'killed':
      return {
        ok: false,
        detail: withStderr(`killed after ${formatDuration(run.afterMs)}`, run.stderr)
      }
    case 'signal':
      return { ok: false, detail: withStderr(`killed by ${run.signal}`, run.stderr) }
    case 'exit':
      if (run.code === 0) return { ok: true, detail: 'exit 0' }
      // The shell's own codes: its message only repeats the command line.
      if ((!windows && run.code === 127) || (windows && run.code === 9009)) {
        return { ok: false, detail: 'not found' }
      }
      if (!windows && run.code === 126) return { ok: false, detail: 'not executable' }
      return { ok: false, detail: withStderr(`exit ${run.code}`, run.stderr) }
  }
}

/**
 * A line of stderr fit for a detail, or undefined when unsure: the run's redactor is not at hand,
 * the line holds control characters (besides colour codes), or a run of {@link FRAGMENT}
 * characters of a secret survives the redaction (a prefix, a part of a value).
 */
function quoteLine(
  line: string,
  variables: CommandVariables,
  redact: ((text: string) => string) | undefined
): string | undefined {
  if (!redact) return undefined
  // ANSI escape sequences (colours, cursor moves) go; any other control character is a doubt.
  // eslint-disable-next-line no-control-regex -- the escape character is what it finds
  const colours = /\u001b\[[0-9;?]*[ -/]*[@-~]/g
  const plain = line.replace(colours, '').replace(/\t/g, ' ').trim()
  if (plain === '' || /[\p{Cc}\p{Cf}]/u.test(plain)) return undefined
  // This check's own secrets first: the run's redactor knows them too, once they are masked.
  const local = redactSecrets(plain, [...variables.masks])
  if (holdsFragment(local, variables.leaves)) return undefined
  const clean = redact(local)
  return clean.length > MAX_QUOTE ? `${clean.slice(0, MAX_QUOTE - 1)}…` : clean
}

/** True when `text` holds {@link FRAGMENT} characters in a row of one of `secrets`. */
function holdsFragment(text: string, secrets: readonly string[]): boolean {
  for (let start = 0; start + FRAGMENT <= text.length; start++) {
    const window = text.slice(start, start + FRAGMENT)
    if (window.includes(REDACTED)) continue
    if (secrets.some(secret => secret.includes(window))) return true
  }
  return false
}

interface RunOptions {
  env: Record<string, string>
  cwd: string
  limitMs: number
}

/** Runs the command once; never rejects, and never keeps a process of it running past its end. */
function runOnce(command: string, options: RunOptions): Promise<CommandRun> {
  const windows = process.platform === 'win32'
  return new Promise(resolve => {
    let child: ChildProcess
    try {
      child = spawn(command, {
        shell: true,
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'ignore', 'pipe'],
        // Its own process group, so that a kill reaches whatever it started too.
        detached: !windows,
        windowsHide: true
      })
    } catch (error) {
      // The error's message may quote the environment, and so the value: only its code is kept.
      resolve({ kind: 'not-started', ...codeOf(error) })
      return
    }
    const tail = stderrTail()
    child.stderr?.on('data', (chunk: Buffer) => {
      tail.push(chunk)
    })
    let killed = false
    let settled = false
    const timer = setTimeout(() => {
      killed = true
      killGroup(child)
    }, options.limitMs)
    const settle = (run: CommandRun) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(run)
    }
    child.on('error', error => {
      if (child.pid === undefined) settle({ kind: 'not-started', ...codeOf(error) })
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      // A job it left behind holds the value in its environment: it ends with the check.
      killGroup(child)
      const end = () => {
        const stderr = tail.lastLine()
        const last = stderr === undefined ? {} : { stderr }
        if (killed) settle({ kind: 'killed', afterMs: options.limitMs, ...last })
        else if (code !== null) settle({ kind: 'exit', code, ...last })
        else settle({ kind: 'signal', signal: signal ?? 'a signal', ...last })
      }
      const stream = child.stderr
      if (!stream || stream.closed) {
        end()
        return
      }
      // The rest of stderr may still be in flight; a process that escaped the group may hold it
      // open for good.
      const grace = setTimeout(() => {
        stream.destroy()
        end()
      }, STDERR_GRACE_MS)
      stream.once('close', () => {
        clearTimeout(grace)
        end()
      })
    })
  })
}

/** Kills the command's process group (its process tree on Windows); gone already is fine. */
function killGroup(child: ChildProcess): void {
  const pid = child.pid
  if (pid === undefined) return
  try {
    if (process.platform === 'win32') {
      spawn('taskkill', ['/pid', String(pid), '/T', '/F'], {
        stdio: 'ignore',
        windowsHide: true
      }).on('error', () => undefined)
    } else {
      process.kill(-pid, 'SIGKILL')
    }
  } catch {
    // ESRCH: nothing of it is left.
  }
}

/** The last {@link STDERR_TAIL_BYTES} of stderr, and its last complete line. */
function stderrTail() {
  let tail = Buffer.alloc(0)
  let cut = false
  return {
    push(chunk: Buffer): void {
      tail = Buffer.concat([tail, chunk])
      if (tail.length > STDERR_TAIL_BYTES) {
        tail = tail.subarray(tail.length - STDERR_TAIL_BYTES)
        cut = true
      }
    },
    /** Undefined when stderr is empty, or when its last line began before the kept tail. */
    lastLine(): string | undefined {
      const lines = tail.toString('utf8').split(/\r\n|\n|\r/)
      for (let index = lines.length - 1; index >= 0; index--) {
        const line = lines[index] ?? ''
        if (line.trim() === '') continue
        return index === 0 && cut ? undefined : line
      }
      return undefined
    }
  }
}

/** The error's code, when it is one (`ENOENT`): never its message. */
function codeOf(error: unknown): { code?: string } {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? { code } : {}
}
