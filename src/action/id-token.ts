import { ActionError } from '../errors.js'

/** Where a GitHub Actions job asks for its OpenID Connect token. */
export interface IdTokenEndpoint {
  /** `ACTIONS_ID_TOKEN_REQUEST_URL`: set only for a job with `id-token: write`. */
  url: string
  /** `ACTIONS_ID_TOKEN_REQUEST_TOKEN`: the runtime's bearer token for that request. */
  bearer: string
}

/**
 * The job's OpenID Connect token for `audience`, from the runner's token endpoint, as
 * `core.getIDToken` asks for it (`GET <url>&audience=<audience>` with the runtime token; the answer
 * is `{ "value": jwt }`). Ours rather than @actions/core's, which would bring its HTTP client into
 * the action's first module: this one loads only when a login asks for a token.
 * @throws ActionError (code `invalid-input`) naming the permission when the runner refuses
 */
export async function requestIdToken(
  endpoint: IdTokenEndpoint,
  audience: string,
  signal?: AbortSignal
): Promise<string> {
  const url = new URL(endpoint.url)
  url.searchParams.set('audience', audience)
  const failed = (detail: string, cause?: unknown) =>
    new ActionError(
      `Could not get the job's OpenID Connect token for audience ${audience}: ${detail}. The job needs \`permissions: id-token: write\`.`,
      { code: 'invalid-input', phase: 'preflight', ...(cause !== undefined ? { cause } : {}) }
    )
  let response: Response
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${endpoint.bearer}`, accept: 'application/json' },
      signal: signal ?? AbortSignal.timeout(30_000)
    })
  } catch (error) {
    throw failed('the runner did not answer', error)
  }
  if (!response.ok) throw failed(`the runner answered HTTP ${String(response.status)}`)
  const body: unknown = await response.json().catch(() => undefined)
  const value =
    typeof body === 'object' && body !== null ? (body as { value?: unknown }).value : undefined
  if (typeof value !== 'string' || value === '') throw failed('the runner gave no token')
  return value
}
