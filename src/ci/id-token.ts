import { ActionError } from '../errors.js'
import type { CiEnvironment } from './identity.js'

/**
 * The variables a GitLab job's `id_tokens:` may name for this tool: `TOKEN_ROTATION_ID_TOKEN`, or
 * several, one per audience, as `TOKEN_ROTATION_ID_TOKEN_<ANY>`.
 */
export const ID_TOKEN_VARIABLE = 'TOKEN_ROTATION_ID_TOKEN'

/**
 * The job's OpenID Connect token for an audience, where the CI mints them ahead of the job: GitLab
 * puts each `id_tokens:` entry in a variable with a fixed `aud`, while GitHub Actions mints one on
 * request (`core.getIDToken`). This picks, among {@link ID_TOKEN_VARIABLE} and its `_<ANY>` kin,
 * the one whose `aud` claim holds the audience. The claim is read, not verified: it only chooses
 * among the job's own tokens, and the party that receives the token verifies it.
 * @param mask registers each token as a secret before anything can print it
 * @throws ActionError (`invalid-input`) naming the variable to declare, never quoting a token
 */
export function idTokenFromEnvironment(
  env: CiEnvironment,
  mask: (secret: string) => void
): (audience: string) => Promise<string> {
  return audience => {
    const names = Object.keys(env)
      .filter(name => name === ID_TOKEN_VARIABLE || name.startsWith(`${ID_TOKEN_VARIABLE}_`))
      .sort()
    const tokens = names.map(name => env[name]?.trim() ?? '').filter(token => token !== '')
    // Every one of the job's tokens is a bearer credential, the chosen one or not: all are masked
    // before any is used.
    for (const token of tokens) mask(token)
    const token = tokens.find(candidate => audiencesOf(candidate).includes(audience))
    if (token !== undefined) return Promise.resolve(token)
    const found =
      names.length === 0
        ? `the job has no ${ID_TOKEN_VARIABLE} variable`
        : `none of ${names.join(', ')} has that aud claim`
    return Promise.reject(
      new ActionError(
        `No OpenID Connect token for the audience ${audience}: ${found}. Declare one in the job: id_tokens: { ${ID_TOKEN_VARIABLE}: { aud: ${audience} } } (GitLab CI), or several as ${ID_TOKEN_VARIABLE}_<NAME>.`,
        { code: 'invalid-input', phase: 'preflight' }
      )
    )
  }
}

/** The `aud` claim of a JWT (a string or a list), or none when the token cannot be read. */
function audiencesOf(token: string): string[] {
  const payload = token.split('.')[1]
  if (payload === undefined) return []
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    if (typeof claims !== 'object' || claims === null || !('aud' in claims)) return []
    const aud = claims.aud
    if (typeof aud === 'string') return [aud]
    return Array.isArray(aud) ? aud.filter((item): item is string => typeof item === 'string') : []
  } catch {
    return []
  }
}

/** Whether the environment holds an ID token variable of this tool's. */
export function hasIdTokenVariable(env: CiEnvironment): boolean {
  return Object.keys(env).some(
    name => name === ID_TOKEN_VARIABLE || name.startsWith(`${ID_TOKEN_VARIABLE}_`)
  )
}
