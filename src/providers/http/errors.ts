/**
 * What each way a key API request can fail means for the keys, in words the user can act on.
 * Messages name key paths, URLs (without query) and ids, never a key, the admin credential or a
 * header; an error text the API sent is redacted and cut short.
 */
import { ActionError } from '../../errors.js'
import { redactSecrets } from '../../redaction.js'

const DETAIL_MAX = 200

/** An API's error text, safe to print: known secrets removed, control characters gone, cut short. */
export function apiDetail(text: string, secrets: readonly string[]): string {
  const clean = redactSecrets(text, secrets)
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
  if (clean === '') return ''
  return clean.length > DETAIL_MAX ? `${clean.slice(0, DETAIL_MAX)}...` : clean
}

/** A URL for a message: origin and path, never the query. */
export function shown(url: URL): string {
  return `${url.origin}${url.pathname}`
}

/** Capgo's hosted API, whose refusal to create keys with an API key has its own advice. */
export function isCapgo(url: URL): boolean {
  return url.hostname === 'capgo.app' || url.hostname.endsWith('.capgo.app')
}

/** Capgo's error code when a credential may not create keys (recent versions: any API key). */
const CAPGO_REFUSAL = /cannot_create_apikey/

/**
 * Whether a create answer is the API refusing this credential the right to create keys: 401 or
 * 403, or Capgo's own refusal (HTTP 400 `cannot_create_apikey`), hosted or self-hosted.
 */
export function isCreateRefusal(status: number, body: string): boolean {
  return status === 401 || status === 403 || (status === 400 && CAPGO_REFUSAL.test(body))
}

/** The API refused to create a key with the credential that asked. */
export function createRefused(
  url: URL,
  status: number,
  body: string,
  detail: string,
  caller: 'admin' | 'current'
): ActionError {
  const who =
    caller === 'admin'
      ? 'the credential in issuer.admin'
      : 'the current key (previous-value; issuer.admin is not set)'
  const said = detail === '' ? '' : `: ${detail}`
  const advice =
    isCapgo(url) || CAPGO_REFUSAL.test(body)
      ? `Capgo refused to create a key with ${who} (HTTP ${String(status)}${said}) at ${shown(url)}. Recent Capgo versions bind API keys to roles and let only a user session create keys: an API key, even one of mode all, is refused. Give issuer.admin a credential Capgo lets create keys (see docs/recipes/capgo.md), or rotate this key by hand in the Capgo console.`
      : `The API refused to create a key with this credential, ${who} (HTTP ${String(status)}${said}) at ${shown(url)}: give issuer.admin a credential allowed to create keys.`
  return new ActionError(`${advice} Nothing was created or published.`, {
    code: 'issuer-rejected',
    phase: 'mint'
  })
}

/** Not retried: why, in the words every lost-answer message ends with. */
export const NOT_REPLAYED =
  'The create request is not sent again: a second one could leave two live keys.'
