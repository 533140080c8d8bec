/** Where an annotation points: the input or target concerned, shown by GitHub as its title. */
export interface AnnotationProperties {
  title?: string
  /** The file the annotation is about (a path in the repository), shown on that file by GitHub. */
  file?: string
  /** Its line in `file`, from 1. */
  startLine?: number
}

/**
 * The log port. In the action it is @actions/core (so warnings and errors become annotations);
 * in tests it records lines. Nothing passed to it may hold a secret value.
 */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  notice(message: string, properties?: AnnotationProperties): void
  warning(message: string, properties?: AnnotationProperties): void
  error(message: string, properties?: AnnotationProperties): void
  /** Runs `fn` inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

/**
 * A plain log line that cannot start a workflow command: `%`, CR and LF escaped as the runner's
 * own command escaping writes them (@actions/core's `escapeData`), any other control character as
 * `%XX`, a line that would start with `::` escaped, and `##[` (the runner's older command prefix,
 * honoured anywhere in a line) broken. `core.info` writes its text as is: without this, a value
 * holding `\n::stop-commands::x` would silence every later mask.
 */
export function escapeLogLine(text: string): string {
  return escapeControls(text.replace(/%/g, '%25'))
    .replace(/##\[/g, '##%5B')
    .replace(/^(\s*)::/, '$1%3A%3A')
}

/**
 * The text of an annotation, a debug line or a group name, which @actions/core sends inside a
 * workflow command and escapes itself (`%`, CR, LF): every other control character as `%XX`, so
 * an escape sequence cannot rewrite the log line either, and `##[` broken as in a plain line.
 */
export function escapeCommandText(text: string): string {
  return text
    .replace(/[\p{Cc}]/gu, c =>
      c === '\r' || c === '\n'
        ? c
        : `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
    )
    .replace(/##\[/g, '##%5B')
}

function escapeControls(text: string): string {
  return text.replace(
    /[\p{Cc}]/gu,
    c => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
  )
}

/** The sink a {@link safeLogger} writes to, after redaction and escaping. */
export type LogSink = Logger

/**
 * A logger that removes every registered secret (in any encoding) from each message and title,
 * then escapes it so that no value can forge a workflow command: the one place both the action and
 * the CLI pass their log through.
 * @param commands true when the sink sends annotations, debug lines and group names as workflow
 *   commands that escape `%`, CR and LF themselves (@actions/core); false for plain lines
 */
export function safeLogger(
  sink: LogSink,
  redact: (text: string) => string,
  commands: boolean
): Logger {
  const line = (text: string) => escapeLogLine(redact(text))
  const command = commands ? (text: string) => escapeCommandText(redact(text)) : line
  const props = (properties?: AnnotationProperties): AnnotationProperties | undefined =>
    properties?.title === undefined
      ? properties
      : { ...properties, title: command(properties.title) }
  return {
    debug: message => {
      sink.debug(command(message))
    },
    info: message => {
      sink.info(line(message))
    },
    notice: (message, properties) => {
      sink.notice(command(message), props(properties))
    },
    warning: (message, properties) => {
      sink.warning(command(message), props(properties))
    },
    error: (message, properties) => {
      sink.error(command(message), props(properties))
    },
    group: (name, fn) => sink.group(command(name), fn)
  }
}
