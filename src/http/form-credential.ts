// The wire encoding of client_secret_basic credentials, apart from the client that sends them: the
// redactor must know it too, and it must not load oauth4webapi to learn it.

/** Characters encodeURIComponent keeps that RFC 3986 does not count as unreserved. */
const SUB_DELIMS_KEPT_BY_ENCODE_URI_COMPONENT = /[!'()*]/g

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
export function formEncodeCredential(value: string): string {
  return encodeURIComponent(value).replace(
    SUB_DELIMS_KEPT_BY_ENCODE_URI_COMPONENT,
    char => `%${char.charCodeAt(0).toString(16).toUpperCase()}`
  )
}
