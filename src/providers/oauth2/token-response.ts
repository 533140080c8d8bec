import { valueShape } from '../../document/secret-document.js'

/** The fields of a token response that hold a credential. */
const TOKEN_FIELDS = ['access_token', 'refresh_token', 'id_token'] as const

function jsonObject(text: string): Record<string, unknown> | undefined {
  const shape = valueShape(text)
  return shape.kind === 'object' ? shape.object : undefined
}

/** The credentials of a token response, read without oauth4webapi's checks. */
export interface RawTokens {
  access_token: string
  refresh_token?: string
  expires_in?: number
}

/** Longer than any real token lifetime: a server that sends more means "never expires". */
const MAX_EXPIRES_IN_SECONDS = 100 * 366 * 24 * 60 * 60

/** When the access token expires, if the answer says so usably; a warning when it does not. */
export interface Expiry {
  expiresAt?: Date
  warning?: string
}

/**
 * Turns `expires_in` into a time. A value that makes no time (negative, zero, not finite, not a
 * safe integer, past any real lifetime: 9223372036854775807 is a common "never expires") is left
 * out with a warning: the token was minted and must still be stored, published and reported, and
 * an invalid date would stop the run after the new token is already out.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export function expiryFrom(expiresIn: number | undefined, now: Date): Expiry {
  if (expiresIn === undefined) return {}
  const seconds = Math.floor(expiresIn)
  const usable = Number.isSafeInteger(seconds) && seconds > 0 && seconds <= MAX_EXPIRES_IN_SECONDS
  const expiresAt = usable ? new Date(now.getTime() + seconds * 1000) : undefined
  if (expiresAt !== undefined && !Number.isNaN(expiresAt.getTime())) return { expiresAt }
  return {
    warning: `The token endpoint answered expires_in ${String(expiresIn)}, which is not a lifetime in seconds between 1 and ${String(MAX_EXPIRES_IN_SECONDS)}; the access token is treated as having no known expiry (the expires-at output stays empty).`
  }
}

/**
 * The tokens of a successful answer that oauth4webapi refused (a missing `token_type`, say). By
 * then the server has consumed the refresh token, so the tokens it sent are the only live ones:
 * they must reach the store, not be thrown away with the error.
 */
export async function salvageTokens(response: Response): Promise<RawTokens | undefined> {
  if (!response.ok) return undefined
  const json = jsonObject(await response.text())
  const access = json?.access_token
  if (json === undefined || typeof access !== 'string' || access === '') return undefined
  const refresh = json.refresh_token
  const expires = json.expires_in
  return {
    access_token: access,
    ...(typeof refresh === 'string' && refresh !== '' ? { refresh_token: refresh } : {}),
    ...(typeof expires === 'number' ? { expires_in: expires } : {})
  }
}

/**
 * The first look at a token endpoint's answer, before oauth4webapi checks it: every token in it
 * is masked at once, whatever happens next, and the ID token is dropped.
 *
 * The ID token is not what the action rotates, and validating it needs the issuer identifier and
 * the ID token signing algorithm, which the inputs do not give (the metadata is built from
 * token-url alone). By then the server has consumed the refresh token: failing on an ID token
 * claim would throw away the only copy of the new one.
 */
export async function screenTokenResponse(
  response: Response,
  mask: (secret: string) => void
): Promise<Response> {
  if (response.body === null) return response
  const text = await response.text()
  const json = jsonObject(text)
  let body = text
  if (json !== undefined) {
    for (const field of TOKEN_FIELDS) {
      const value = json[field]
      if (typeof value === 'string' && value !== '') mask(value)
    }
    if ('id_token' in json) {
      delete json.id_token
      body = JSON.stringify(json)
    }
  }
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers
  })
}
