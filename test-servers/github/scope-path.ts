/**
 * One parser for the five secrets scopes, shared by the HTTP routes and by the test-facing
 * `getSecret`/`seedSecret`/`rotatePublicKey`, so both agree on what a path means.
 */

/** Which product a secret belongs to: Actions or Dependabot keep separate secrets and keys. */
export type SecretApp = 'actions' | 'dependabot'

/** A secrets collection, by the names found in its path (not yet checked to exist). */
export type ScopeAddress =
  | { level: 'repo'; app: SecretApp; owner: string; repo: string }
  | { level: 'environment'; app: 'actions'; owner: string; repo: string; environment: string }
  | { level: 'org'; app: SecretApp; org: string }

/** A secrets path split into its collection and what follows `/secrets`. */
export interface ParsedSecretPath {
  scope: ScopeAddress
  rest: string[]
}

function isApp(text: string | undefined): text is SecretApp {
  return text === 'actions' || text === 'dependabot'
}

/**
 * Splits a raw (still URL-encoded) path and decodes each segment exactly once, so an environment
 * called `a/b` must arrive as `a%2Fb`. Returns undefined for a malformed escape.
 */
export function splitPath(rawPath: string): string[] | undefined {
  const segments = rawPath.replace(/^\/+/, '').replace(/\/$/, '').split('/')
  try {
    return segments.map(segment => decodeURIComponent(segment))
  } catch {
    return undefined
  }
}

/** Recognizes `repos/o/r/{actions|dependabot}/secrets/...`, environment and org secrets paths. */
export function parseSecretPath(segments: readonly string[]): ParsedSecretPath | undefined {
  const [first, a, b, c, d, e] = segments
  if (first === 'repos' && a !== undefined && b !== undefined) {
    if (isApp(c) && d === 'secrets') {
      return { scope: { level: 'repo', app: c, owner: a, repo: b }, rest: segments.slice(5) }
    }
    if (c === 'environments' && d !== undefined && e === 'secrets') {
      return {
        scope: { level: 'environment', app: 'actions', owner: a, repo: b, environment: d },
        rest: segments.slice(6)
      }
    }
    return undefined
  }
  if (first === 'orgs' && a !== undefined && isApp(b) && c === 'secrets') {
    return { scope: { level: 'org', app: b, org: a }, rest: segments.slice(4) }
  }
  return undefined
}
