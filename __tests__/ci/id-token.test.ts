// A GitLab job's OpenID Connect tokens: `id_tokens:` mints each ahead of the job with a fixed
// audience, so the run picks the one whose aud claim holds the audience a provider asks for.
import { describe, expect, it } from '@jest/globals'
import { hasIdTokenVariable, idTokenFromEnvironment } from '../../src/ci/id-token.js'

/** An unsigned JWT with these claims: the run only reads aud, the receiver verifies. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`
}

const VAULT = jwt({ aud: 'https://vault.example.com', sub: 'project_path:acme/app' })
const BOTH = jwt({ aud: ['https://gitlab.example.com', 'sts.amazonaws.com'] })

describe('idTokenFromEnvironment', () => {
  it('returns the token whose aud claim holds the audience, masking every token it reads', async () => {
    const masked: string[] = []
    const idToken = idTokenFromEnvironment(
      { TOKEN_ROTATION_ID_TOKEN_AWS: BOTH, TOKEN_ROTATION_ID_TOKEN_VAULT: VAULT, OTHER: 'x' },
      secret => masked.push(secret)
    )

    // The first token serves: the other is masked all the same, before any is used.
    await expect(idToken('sts.amazonaws.com')).resolves.toBe(BOTH)
    expect(masked).toContain(VAULT)
    expect(masked).toContain(BOTH)
    await expect(idToken('https://vault.example.com')).resolves.toBe(VAULT)
    expect(masked).not.toContain('x')
  })

  it('says which variable to declare, quoting no token, when none has the audience', async () => {
    const none = idTokenFromEnvironment({}, () => undefined)
    await expect(none('https://vault.example.com')).rejects.toThrow(
      'No OpenID Connect token for the audience https://vault.example.com: the job has no TOKEN_ROTATION_ID_TOKEN variable. Declare one in the job: id_tokens: { TOKEN_ROTATION_ID_TOKEN: { aud: https://vault.example.com } }'
    )
    const wrong = idTokenFromEnvironment({ TOKEN_ROTATION_ID_TOKEN: VAULT }, () => undefined)
    const error = await wrong('https://other.example.com').catch((e: unknown) => e)
    expect(String(error)).toContain('none of TOKEN_ROTATION_ID_TOKEN has that aud claim')
    expect(String(error)).not.toContain(VAULT)
  })

  it('passes over a variable that is not a JWT', async () => {
    const idToken = idTokenFromEnvironment(
      { TOKEN_ROTATION_ID_TOKEN: 'not-a-jwt', TOKEN_ROTATION_ID_TOKEN_B: VAULT },
      () => undefined
    )
    await expect(idToken('https://vault.example.com')).resolves.toBe(VAULT)
  })

  it('tells whether the environment has a token variable at all', () => {
    expect(hasIdTokenVariable({ TOKEN_ROTATION_ID_TOKEN_X: VAULT })).toBe(true)
    expect(hasIdTokenVariable({ TOKEN_ROTATION_ID_TOKENS: VAULT })).toBe(false)
  })
})
