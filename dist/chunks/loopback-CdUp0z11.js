/**
 * True for a host that never leaves the machine: 127.0.0.0/8, ::1 and localhost. Only these may
 * be reached over plain http (local test servers): anywhere else a credential would travel in
 * clear text.
 * @param hostname as `URL.hostname` gives it (IPv6 in brackets)
 */
function isLoopbackHost(hostname) {
    return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

export { isLoopbackHost as i };
