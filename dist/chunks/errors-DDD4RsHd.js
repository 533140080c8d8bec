/**
 * The one error type the action reports. Its message is safe to print: it never holds a secret
 * value, a request body or a header. The underlying error, if any, is attached as a non-enumerable
 * `cause` so a JSON dump of the error does not carry it along.
 */
class ActionError extends Error {
    name = 'ActionError';
    code;
    phase;
    retryable;
    constructor(message, options) {
        super(message);
        this.code = options.code;
        this.phase = options.phase;
        this.retryable = options.retryable ?? false;
        if (options.cause !== undefined) {
            Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
        }
    }
}
/** Configuration is invalid; lists every problem found, each naming its input. */
class ConfigError extends ActionError {
    name = 'ConfigError';
    problems;
    constructor(problems) {
        super(problems.length === 1
            ? formatProblem(problems[0])
            : `${problems.length} inputs are invalid:\n${problems.map(p => `- ${formatProblem(p)}`).join('\n')}`, { code: 'invalid-input', phase: 'config' });
        this.problems = problems;
    }
}
function formatProblem(problem) {
    return `Input '${problem.input}': ${problem.message}`;
}
/** The configuration file is invalid: every problem found, each with its line and key path. */
class ConfigFileError extends ActionError {
    name = 'ConfigFileError';
    /** The file's path, or `the config input` for inline YAML. */
    source;
    problems;
    constructor(source, found) {
        // In the file's order, as an editor shows them.
        const problems = [...found].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
        super(problems.length === 1
            ? formatFileProblem(source, problems[0])
            : `${problems.length} problems in ${source}:\n${problems.map(p => `- ${formatFileProblem(source, p)}`).join('\n')}`, { code: 'invalid-input', phase: 'config' });
        this.source = source;
        this.problems = problems;
    }
}
/** `config.yml:12: credentials.api.issuer.client-secret: a secret must be { env: NAME }` */
function formatFileProblem(source, problem) {
    const line = problem.line !== undefined ? `:${String(problem.line)}` : '';
    return `${source}${line}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`;
}
/**
 * Turns anything thrown into a message. A message that quotes a peer (an OAuth2 error description,
 * GitHub's message) may carry what the peer echoed: every place a message leaves the run (log,
 * summary, outputs, audit file, alert issue) passes it through the run's redactor first.
 */
function describeError(error) {
    if (error instanceof Error)
        return error.message;
    return `unexpected non-error value thrown (${typeof error})`;
}
/** Why an aborted signal aborted, in words: its reason's message when it has one. */
function abortReason(signal) {
    const reason = signal.reason;
    return reason instanceof Error ? reason.message : 'the request was abandoned';
}

export { ActionError as A, ConfigError as C, ConfigFileError as a, abortReason as b, describeError as d, formatFileProblem as f };
