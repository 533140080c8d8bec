// The wire encoding of client_secret_basic credentials, apart from the client that sends them: the
// redactor must know it too, and it must not load oauth4webapi to learn it.
/** Characters encodeURIComponent keeps that RFC 3986 does not count as unreserved. */
const SUB_DELIMS_KEPT_BY_ENCODE_URI_COMPONENT = /[!'()*]/g;
/**
 * One half of the `client_secret_basic` credentials, form-encoded as RFC 6749 section 2.3.1 asks,
 * with RFC 3986's unreserved characters (`A-Za-z0-9-._~`) left as they are.
 *
 * oauth4webapi encodes the unreserved characters too (`-` as `%2D`). A server that decodes the
 * credentials gets the same value either way, but many do not (`@node-oauth/oauth2-server` leaves it
 * to the model, and models compare what they receive), and those refuse a client id such as
 * `rotation-client` or a UUID. Any other character is encoded, as UTF-8 octets: `!'()*` because they
 * are reserved in RFC 3986 and a decoding server restores them, a space as `%20` rather than `+`
 * because servers that percent-decode with URI rules (`decodeURIComponent`) leave a `+` as it is,
 * while form decoders read `%20` as a space too.
 */
function formEncodeCredential(value) {
    return encodeURIComponent(value).replace(SUB_DELIMS_KEPT_BY_ENCODE_URI_COMPONENT, char => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * What a secret can look like once it has travelled: a peer that echoes a request (an OAuth2 error
 * quoting the form body and the `Authorization` header) hands it back form-encoded, percent-encoded,
 * inside the base64 of `client_id:client_secret`, or JSON-escaped. The runner masks only the forms
 * it derives itself, and only in the log: the summary, the audit file, the outputs and the alert
 * issue are ours to clean.
 */
/** What a redacted value is replaced with: the runner's own mask. */
const REDACTED = '***';
/** Shorter values are not secrets worth hiding, and would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4;
/** A base64 fragment shorter than this matches too much ordinary text. */
const MIN_BASE64_CORE = 6;
/**
 * Knows every secret the run has seen, in every encoding it can take on the wire, and removes them
 * from text bound for a log line, the summary, the audit file, an output or the alert issue.
 */
class Redactor {
    #variants = new Set();
    /** The variants, longest first, so a value is not half-replaced by one of its own lines. */
    #ordered;
    /**
     * Registers a secret: the whole value and each of its lines (the runner ends a line at `\r\n`,
     * `\n` and a lone `\r`), with every encoding of each.
     * @returns the forms to register with the runner's mask as well: the value, its lines and the
     *   form encodings the runner does not derive itself (it derives base64, JSON and URI escapes)
     */
    add(secret) {
        const forMask = [];
        for (const value of linesOf(secret)) {
            // The runner masks whatever it is given, however short: it is told every value and line.
            if (!forMask.includes(value))
                forMask.push(value);
            if (value.length < MIN_SECRET_LENGTH)
                continue;
            const wire = wireForms(value);
            for (const form of wire)
                if (!forMask.includes(form))
                    forMask.push(form);
            for (const variant of textForms(wire))
                this.#variants.add(variant);
        }
        this.#ordered = undefined;
        return forMask;
    }
    /** `text` with every known secret, in any of its encodings, replaced by `***`. */
    redact(text) {
        if (this.#variants.size === 0 || text === '')
            return text;
        // Plain string search, not one big regular expression: a 48 KB value has variants that no
        // regular expression engine compiles, and redacting must never fail.
        this.#ordered ??= [...this.#variants].sort((a, b) => b.length - a.length);
        let clean = text;
        for (const variant of this.#ordered) {
            if (clean.includes(variant))
                clean = clean.split(variant).join(REDACTED);
        }
        return clean;
    }
}
/** `text` with `secrets` removed in every encoding: for a message built before the run's redactor. */
function redactSecrets(text, secrets) {
    const redactor = new Redactor();
    for (const secret of secrets)
        redactor.add(secret);
    return redactor.redact(text);
}
/**
 * A PEM armour line (`-----BEGIN PRIVATE KEY-----`): the same in every key, so no secret, and
 * masked it would blank every certificate of the log and taint every variable that holds one.
 */
const PEM_ARMOUR = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/;
/** The whole value, then each non-empty line of it but PEM armour. */
function linesOf(secret) {
    const lines = secret
        .split(/\r\n|\n|\r/)
        .filter(line => line.trim() !== '' && !PEM_ARMOUR.test(line.trim()));
    return [secret, ...lines.filter(line => line !== secret)];
}
/** The value as it goes out in a request: raw, percent-encoded and form-encoded. */
function wireForms(value) {
    const forms = [
        value,
        encodeURIComponent(value),
        // application/x-www-form-urlencoded as URLSearchParams writes it (`+` for a space).
        new URLSearchParams([['', value]]).toString().slice(1),
        // oauth4webapi's client_secret_basic also encodes `-_.!~*'()` (`-` goes out as `%2D`).
        encodeURIComponent(value).replace(/[-_.!~*'()]|%20/g, c => c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
        // Our own client_secret_basic: unreserved characters kept, `!'()*` encoded.
        formEncodeCredential(value)
    ];
    return unique(forms);
}
/** Every form a wire form can take in text: re-encoded, base64 fragments, JSON-escaped. */
function textForms(wire) {
    const forms = [];
    for (const form of wire) {
        forms.push(form, lowerHex(form), encodeURIComponent(form));
        for (const core of base64Cores(form))
            forms.push(core, encodeURIComponent(core));
    }
    const escaped = [];
    for (const form of forms) {
        const json = JSON.stringify(form).slice(1, -1);
        escaped.push(json, json.replace(/\//g, '\\/'), json.replace(/[\u007f-\uffff]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), 
        // A Markdown table cell escapes its pipes.
        form.replace(/\|/g, '\\|'));
    }
    return unique([...forms, ...escaped]).filter(form => form.length >= MIN_SECRET_LENGTH);
}
/**
 * The base64 and base64url characters that encode `value` wherever it sits in a longer text (as
 * the secret sits in `client_id:client_secret`), one per alignment: the characters that mix in a
 * neighbouring byte are left out, as the runner's own base64 masks do.
 */
function base64Cores(value) {
    const bytes = Buffer.from(value, 'utf8');
    const cores = [];
    for (const shift of [0, 1, 2]) {
        const total = shift + bytes.length;
        const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
        const start = [0, 2, 3][shift] ?? 0;
        const end = Math.floor(total / 3) * 4 + (total % 3);
        const core = encoded.slice(start, end);
        if (core.length < MIN_BASE64_CORE)
            continue;
        cores.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
    return cores;
}
function lowerHex(text) {
    return text.replace(/%[0-9A-F]{2}/g, escape => escape.toLowerCase());
}
function unique(values) {
    return [...new Set(values)];
}

export { REDACTED as R, Redactor as a, formEncodeCredential as f, redactSecrets as r };
