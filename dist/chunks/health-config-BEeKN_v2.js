import { i as isLoopbackHost } from './loopback-CdUp0z11.js';
import { p as parseDuration, D as DURATION_HINT } from './duration-Cyz5SPp-.js';
import { I as INPUT_DEFAULTS } from './inputs-Ck9cEsRc.js';
import { p as parseList } from './lists-D2x1VrPX.js';

/** Where the value under test goes in the URL and the header lines. */
const TOKEN_PLACEHOLDER = '<token>';
const HEALTH_CHECK_METHODS = [
    'GET',
    'HEAD',
    'POST',
    'PUT',
    'PATCH',
    'DELETE',
    'OPTIONS'
];
// RFC 9110 section 5.6.2: a field name is a token.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Stands in for <token> while checking the URL; hostnames are lowercase, so it is too.
const HOST_MARKER = 'token-placeholder';
const MIN_STATUS = 200;
const MAX_STATUS = 599;
/** The inputs that shape an HTTP probe only: a command has no method, header or status. */
const HTTP_ONLY_INPUTS = [
    'health-check-method',
    'health-check-header',
    'health-check-expect'
];
/**
 * Validates the health-check inputs: `health-check-url` asks for an HTTP probe,
 * `health-check-command` for a command, never both. With neither, the config is absent and only
 * the other health-check inputs, if changed from their defaults, are problems (they would
 * otherwise be ignored without a word).
 * @param raw the inputs as `readInputs` read them (defaults applied)
 */
function parseHealthCheckConfig(raw) {
    const problems = [];
    const warnings = [];
    const url = raw['health-check-url'];
    const command = raw['health-check-command'];
    if (url !== '' && command !== '') {
        problems.push({
            input: 'health-check-command',
            message: 'and health-check-url are both set; a health check is a command or a URL: remove one of them'
        });
        parseTimeout(raw, problems);
        return { problems, warnings };
    }
    if (command !== '')
        return parseCommandCheck(raw, command);
    if (url === '') {
        for (const input of [...HTTP_ONLY_INPUTS, 'health-check-timeout']) {
            if (raw[input] !== INPUT_DEFAULTS[input]) {
                problems.push({
                    input,
                    message: input === 'health-check-timeout'
                        ? 'applies only with health-check-url or health-check-command; set one, or remove this input'
                        : 'applies only with health-check-url; set health-check-url, or remove this input'
                });
            }
        }
        return { problems, warnings };
    }
    const urlProblem = checkUrl(url);
    if (urlProblem)
        problems.push({ input: 'health-check-url', message: urlProblem });
    else if (url.includes(TOKEN_PLACEHOLDER)) {
        warnings.push({
            input: 'health-check-url',
            message: 'puts the value in the URL, where servers and proxies may log it; prefer a health-check-header'
        });
    }
    const method = parseMethod(raw['health-check-method'], problems);
    const headers = parseHeaders(raw['health-check-header'], problems);
    if (headers &&
        !url.includes(TOKEN_PLACEHOLDER) &&
        !headers.some(header => header.value.includes(TOKEN_PLACEHOLDER))) {
        problems.push({
            input: 'health-check-header',
            message: `no header holds ${TOKEN_PLACEHOLDER}, nor does health-check-url, so the probe would not test the value; write it where the value goes, as in 'Authorization: Bearer ${TOKEN_PLACEHOLDER}'`
        });
    }
    const expect = parseExpect(raw['health-check-expect'], problems);
    const timeoutMs = parseTimeout(raw, problems);
    if (problems.length > 0 || !method || !headers || !expect || timeoutMs === undefined) {
        return { problems, warnings };
    }
    return {
        config: { kind: 'http', url, method, headers, expect, timeoutMs },
        problems,
        warnings
    };
}
function parseCommandCheck(raw, command) {
    const problems = [];
    for (const input of HTTP_ONLY_INPUTS) {
        if (raw[input] !== INPUT_DEFAULTS[input]) {
            problems.push({
                input,
                message: 'applies to health-check-url only; a health-check-command passes when it exits 0: remove this input'
            });
        }
    }
    // A value on a command line is visible to every process of the machine (`ps`): the command
    // reads it from its environment instead, and nothing replaces <token> in it.
    if (command.includes(TOKEN_PLACEHOLDER)) {
        problems.push({
            input: 'health-check-command',
            message: `is run as written: ${TOKEN_PLACEHOLDER} is not replaced (a value on a command line is visible to other processes); read the value from the environment variable TOKEN_ROTATION_VALUE`
        });
    }
    const timeoutMs = parseTimeout(raw, problems);
    if (problems.length > 0 || timeoutMs === undefined)
        return { problems, warnings: [] };
    return { config: { kind: 'command', command, timeoutMs }, problems, warnings: [] };
}
function parseTimeout(raw, problems) {
    const timeoutMs = parseDuration(raw['health-check-timeout']);
    if (timeoutMs === undefined) {
        problems.push({
            input: 'health-check-timeout',
            message: `'${raw['health-check-timeout']}' is not a duration; use ${DURATION_HINT}`
        });
    }
    return timeoutMs;
}
/**
 * The health check in a few words, for the plan and the report, never with a value: `command
 * ./scripts/db-login.sh`, or `GET https://api.example.com/user` (the query left out: it may hold
 * the value or another key).
 */
function describeHealthCheck(config) {
    if (config.kind === 'command')
        return `command ${config.command}`;
    const [path = config.url, query] = config.url.split(/[?#]/, 2);
    return `${config.method} ${path}${query === undefined ? '' : '?…'}`;
}
/**
 * The URL must be https, or http to a loopback address. `<token>` is allowed in the path and the
 * query only: in the host it makes no address, and in user:password fetch refuses the URL.
 */
function checkUrl(raw) {
    let url;
    try {
        url = new URL(raw.replaceAll(TOKEN_PLACEHOLDER, HOST_MARKER));
    }
    catch {
        return `'${raw}' is not a URL; write it in full, as in https://api.example.com/user`;
    }
    if (url.username !== '' || url.password !== '') {
        return 'holds a user name or password; send credentials in health-check-header instead';
    }
    if (url.hostname.includes(HOST_MARKER)) {
        return `${TOKEN_PLACEHOLDER} may appear in the path or the query only, not in the host`;
    }
    const escape = malformedEscape(url);
    if (escape !== undefined) {
        return `holds '${escape}', which is not a percent-escape of UTF-8 text: write a literal % as %25, and escape other bytes as the UTF-8 of a character (%C3%A9 for é)`;
    }
    if (url.protocol === 'https:')
        return undefined;
    if (url.protocol !== 'http:') {
        return `'${url.protocol}' is not a protocol for a health check; use https`;
    }
    const host = url.hostname;
    const loopback = isLoopbackHost(host);
    return loopback
        ? undefined
        : 'is plain http, so the credential would travel in the clear; use https (plain http is accepted only for loopback addresses such as 127.0.0.1)';
}
/**
 * The first percent-escape of the path or the query that does not decode (a stray `%`, or bytes
 * that are not UTF-8 such as `%ff`), if any. The URL parser keeps such escapes as they are, and the
 * run would stop at the first decode with only "URI malformed".
 */
function malformedEscape(url) {
    for (const part of [url.pathname, url.search]) {
        const stray = /%(?![0-9A-Fa-f]{2}).{0,2}/.exec(part);
        if (stray)
            return stray[0];
        for (const [run] of part.matchAll(/(?:%[0-9A-Fa-f]{2})+/g)) {
            try {
                decodeURIComponent(run);
            }
            catch {
                return run;
            }
        }
    }
    return undefined;
}
function parseMethod(raw, problems) {
    const method = HEALTH_CHECK_METHODS.find(known => known === raw.toUpperCase());
    if (!method) {
        problems.push({
            input: 'health-check-method',
            message: `'${raw}' is not a method for a health check; use one of ${HEALTH_CHECK_METHODS.join(', ')}`
        });
    }
    return method;
}
function parseHeaders(raw, problems) {
    const headers = [];
    const before = problems.length;
    const lines = raw
        .split(/\r?\n/)
        .map(line => line.trim())
        .filter(line => line !== '');
    lines.forEach((line, index) => {
        const where = lines.length > 1 ? `line ${index + 1} ` : '';
        const colon = line.indexOf(':');
        const name = colon > 0 ? line.slice(0, colon).trim() : '';
        const value = line.slice(colon + 1).trim();
        // A header line may hold a literal credential: name the line, never quote it.
        if (colon <= 0) {
            problems.push({
                input: 'health-check-header',
                message: `${where}is not a header; write each as 'Name: value' on its own line`
            });
        }
        else if (!HEADER_NAME.test(name)) {
            problems.push({
                input: 'health-check-header',
                message: `${where}has an invalid header name; a name is letters, digits and !#$%&'*+-.^_\`|~`
            });
        }
        else if (!canTravelInHeader(value)) {
            problems.push({
                input: 'health-check-header',
                message: `${where}has a control character, or a character beyond Latin-1, in its value`
            });
        }
        else {
            headers.push({ name, value });
        }
    });
    return problems.length === before ? headers : undefined;
}
/** Parses `200`, `2xx` and `200-204`, comma- or newline-separated. */
function parseExpect(raw, problems) {
    const ranges = [];
    const items = parseList(raw);
    const bad = (item, why) => problems.push({ input: 'health-check-expect', message: `'${item}' ${why}` });
    for (const item of items) {
        const range = parseStatusItem(item);
        if (!range) {
            bad(item, 'is not a status; use codes (200), classes (2xx) or ranges (200-204), comma-separated');
        }
        else if (range.from > range.to) {
            bad(item, 'is an empty range; write the lower code first');
        }
        else if (range.from < MIN_STATUS || range.to > MAX_STATUS) {
            bad(item, `is outside ${MIN_STATUS}-${MAX_STATUS}, the final statuses a probe can see`);
        }
        else {
            ranges.push(range);
        }
    }
    if (items.length === 0) {
        problems.push({
            input: 'health-check-expect',
            message: 'lists no status; use codes (200), classes (2xx) or ranges (200-204)'
        });
    }
    return items.length === ranges.length && ranges.length > 0 ? ranges : undefined;
}
function parseStatusItem(item) {
    const klass = /^([1-9])xx$/i.exec(item);
    if (klass) {
        const hundreds = Number(klass[1]) * 100;
        return { from: hundreds, to: hundreds + 99 };
    }
    const range = /^(\d{3})\s*-\s*(\d{3})$/.exec(item);
    if (range)
        return { from: Number(range[1]), to: Number(range[2]) };
    if (/^\d{3}$/.test(item))
        return { from: Number(item), to: Number(item) };
    return undefined;
}
/** True when `status` is one the health check expects. */
function isExpectedStatus(status, expect) {
    return expect.some(range => status >= range.from && status <= range.to);
}
/**
 * True when `text` can be a header value: no control character but tab (RFC 9110 section 5.5),
 * nothing beyond Latin-1 (fetch takes bytes).
 */
function canTravelInHeader(text) {
    for (const char of text) {
        const code = char.codePointAt(0) ?? 0;
        if ((code < 0x20 && code !== 0x09) || code === 0x7f || code > 0xff)
            return false;
    }
    return true;
}

export { HEALTH_CHECK_METHODS, TOKEN_PLACEHOLDER, canTravelInHeader, describeHealthCheck, isExpectedStatus, parseHealthCheckConfig };
