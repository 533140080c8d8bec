const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)$/;
/** What a valid duration looks like, for error messages. */
const DURATION_HINT = "a number and a unit (ms, s, m, h or d), such as '1s', '0.5s' or '15m'";
/**
 * Parses a duration input such as `1s`, `0.5s`, `15m` or `24h` to milliseconds.
 * A bare `0` is accepted (zero needs no unit). Returns undefined when the text is not a duration.
 */
function parseDuration(raw) {
    const text = raw.trim();
    if (text === '0')
        return 0;
    const match = DURATION.exec(text);
    if (!match)
        return undefined;
    const [, amount, unit] = match;
    return Math.round(Number(amount) * UNIT_MS[unit]);
}
/**
 * Writes a duration the way the inputs take it: `2m`, `1m 50s`, `57.9s`, `250ms`. Whole minutes
 * and seconds from a minute on; tenths of a second below.
 */
function formatDuration(ms) {
    const whole = Math.max(0, Math.round(ms));
    if (whole < 1000)
        return `${whole}ms`;
    if (whole < 60_000)
        return `${Math.round(whole / 100) / 10}s`;
    const seconds = Math.round(whole / 1000);
    const [minutes, rest] = [Math.floor(seconds / 60), seconds % 60];
    return rest === 0 ? `${minutes}m` : `${minutes}m ${rest}s`;
}

export { DURATION_HINT as D, formatDuration as f, parseDuration as p };
