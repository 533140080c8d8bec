/**
 * True for a host that never leaves the machine: 127.0.0.0/8, ::1 and localhost. Only these may
 * be reached over plain http (local test servers): anywhere else a credential would travel in
 * clear text.
 * @param hostname as `URL.hostname` gives it (IPv6 in brackets)
 */
function isLoopbackHost(hostname) {
    return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Splits a list input: items are separated by newlines or commas, trimmed, blanks dropped.
 * The one convention for every list input of the action.
 */
function parseList(raw) {
    return raw
        .split(/[\n,]/)
        .map(item => item.trim())
        .filter(item => item.length > 0);
}

export { isLoopbackHost as i, parseList as p };
