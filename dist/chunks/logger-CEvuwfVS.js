/**
 * A plain log line that cannot start a workflow command: `%`, CR and LF escaped as the runner's
 * own command escaping writes them (@actions/core's `escapeData`), any other control character as
 * `%XX`, a line that would start with `::` escaped, and `##[` (the runner's older command prefix,
 * honoured anywhere in a line) broken. `core.info` writes its text as is: without this, a value
 * holding `\n::stop-commands::x` would silence every later mask.
 */
function escapeLogLine(text) {
    return escapeControls(text.replace(/%/g, '%25'))
        .replace(/##\[/g, '##%5B')
        .replace(/^(\s*)::/, '$1%3A%3A');
}
/**
 * The text of an annotation, a debug line or a group name, which @actions/core sends inside a
 * workflow command and escapes itself (`%`, CR, LF): every other control character as `%XX`, so
 * an escape sequence cannot rewrite the log line either, and `##[` broken as in a plain line.
 */
function escapeCommandText(text) {
    return text
        .replace(/[\p{Cc}]/gu, c => c === '\r' || c === '\n'
        ? c
        : `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
        .replace(/##\[/g, '##%5B');
}
function escapeControls(text) {
    return text.replace(/[\p{Cc}]/gu, c => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
/**
 * A logger that removes every registered secret (in any encoding) from each message and title,
 * then escapes it so that no value can forge a workflow command: the one place both the action and
 * the CLI pass their log through.
 * @param commands true when the sink sends annotations, debug lines and group names as workflow
 *   commands that escape `%`, CR and LF themselves (@actions/core); false for plain lines
 */
function safeLogger(sink, redact, commands) {
    const line = (text) => escapeLogLine(redact(text));
    const command = commands ? (text) => escapeCommandText(redact(text)) : line;
    const props = (properties) => properties?.title === undefined
        ? properties
        : { ...properties, title: command(properties.title) };
    return {
        debug: message => {
            sink.debug(command(message));
        },
        info: message => {
            sink.info(line(message));
        },
        notice: (message, properties) => {
            sink.notice(command(message), props(properties));
        },
        warning: (message, properties) => {
            sink.warning(command(message), props(properties));
        },
        error: (message, properties) => {
            sink.error(command(message), props(properties));
        },
        group: (name, fn) => sink.group(command(name), fn)
    };
}

export { safeLogger as s };
