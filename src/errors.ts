/**
 * Where in a run an error happened: the steps of the rotation (DESIGN.md), so the report can say
 * which step failed.
 */
export type Phase =
  | 'config'
  | 'preflight'
  | 'mint'
  | 'persist'
  | 'publish'
  | 'verify'
  | 'promote'
  | 'retire'
  | 'report'

/** Stable, documented error codes: scripts and tests match on these, never on messages. */
export type ErrorCode =
  | 'invalid-input'
  | 'unsafe-endpoint'
  | 'github-auth'
  | 'github-forbidden'
  | 'github-not-found'
  | 'github-rejected'
  | 'github-rate-limited'
  | 'github-unavailable'
  | 'aws-auth'
  | 'aws-forbidden'
  | 'aws-not-found'
  | 'aws-rejected'
  | 'aws-unavailable'
  | 'gitlab-auth'
  | 'gitlab-forbidden'
  | 'gitlab-not-found'
  | 'gitlab-rejected'
  | 'gitlab-rate-limited'
  | 'gitlab-unavailable'
  | 'vault-auth'
  | 'vault-forbidden'
  | 'vault-not-found'
  | 'vault-rejected'
  | 'vault-conflict'
  | 'vault-unavailable'
  | 'store-conflict'
  | 'rotation-pending'
  | 'rotation-failed'
  | 'locked'
  | 'stale-input'
  | 'resume-blocked'
  | 'state-invalid'
  | 'reauthorization-needed'
  | 'issuer-rejected'
  | 'issuer-unreachable'
  | 'issuer-outcome-unknown'
  | 'persist-failed'
  | 'health-check-failed'
  | 'recovery-invalid'
  | 'internal'

/**
 * The one error type the action reports. Its message is safe to print: it never holds a secret
 * value, a request body or a header. The underlying error, if any, is attached as a non-enumerable
 * `cause` so a JSON dump of the error does not carry it along.
 */
export class ActionError extends Error {
  override readonly name: string = 'ActionError'
  readonly code: ErrorCode
  readonly phase: Phase
  readonly retryable: boolean

  constructor(
    message: string,
    options: { code: ErrorCode; phase: Phase; retryable?: boolean; cause?: unknown }
  ) {
    super(message)
    this.code = options.code
    this.phase = options.phase
    this.retryable = options.retryable ?? false
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false })
    }
  }
}

/** One problem with one input. */
export interface InputProblem {
  input: string
  message: string
}

/** Configuration is invalid; lists every problem found, each naming its input. */
export class ConfigError extends ActionError {
  override readonly name = 'ConfigError'
  readonly problems: readonly InputProblem[]

  constructor(problems: readonly InputProblem[]) {
    super(
      problems.length === 1
        ? formatProblem(problems[0] as InputProblem)
        : `${problems.length} inputs are invalid:\n${problems.map(p => `- ${formatProblem(p)}`).join('\n')}`,
      { code: 'invalid-input', phase: 'config' }
    )
    this.problems = problems
  }
}

function formatProblem(problem: InputProblem): string {
  return `Input '${problem.input}': ${problem.message}`
}

/** One problem of the configuration file, and where it is. */
export interface FileProblem {
  /** The key path: `credentials.partner-api.issuer.client-secret`; '' for the whole file. */
  path: string
  /** 1-based line of the key (or of the nearest key above it that exists). */
  line?: number | undefined
  message: string
}

/** The configuration file is invalid: every problem found, each with its line and key path. */
export class ConfigFileError extends ActionError {
  override readonly name = 'ConfigFileError'
  /** The file's path, or `the config input` for inline YAML. */
  readonly source: string
  readonly problems: readonly FileProblem[]

  constructor(source: string, found: readonly FileProblem[]) {
    // In the file's order, as an editor shows them.
    const problems = [...found].sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    super(
      problems.length === 1
        ? formatFileProblem(source, problems[0] as FileProblem)
        : `${problems.length} problems in ${source}:\n${problems.map(p => `- ${formatFileProblem(source, p)}`).join('\n')}`,
      { code: 'invalid-input', phase: 'config' }
    )
    this.source = source
    this.problems = problems
  }
}

/** `config.yml:12: credentials.api.issuer.client-secret: a secret must be { env: NAME }` */
export function formatFileProblem(source: string, problem: FileProblem): string {
  const line = problem.line !== undefined ? `:${String(problem.line)}` : ''
  return `${source}${line}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`
}

/**
 * Turns anything thrown into a message. A message that quotes a peer (an OAuth2 error description,
 * GitHub's message) may carry what the peer echoed: every place a message leaves the run (log,
 * summary, outputs, audit file, alert issue) passes it through the run's redactor first.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  return `unexpected non-error value thrown (${typeof error})`
}

/** Why an aborted signal aborted, in words: its reason's message when it has one. */
export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason
  return reason instanceof Error ? reason.message : 'the request was abandoned'
}
