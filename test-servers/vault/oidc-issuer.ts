/**
 * A test OIDC issuer that signs tokens like GitHub Actions' (`token.actions.githubusercontent.com`):
 * a fresh RS256 or ES256 key pair, its JWKS for a Vault JWT mount, and `sign()` with GitHub's
 * claims. Optionally serves the JWKS over a kernel server, for a mount configured by `jwks_url`.
 */
import {
  type KeyObject,
  createHash,
  generateKeyPairSync,
  randomUUID,
  sign as signBytes
} from 'node:crypto'
import { type KernelServer, json, startKernelServer } from '../kernel/index.js'
import type { PublicJwk } from './types.js'

/** GitHub's issuer for Actions OIDC tokens. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com'

/** Options of {@link createOidcIssuer}. */
export interface OidcIssuerOptions {
  /** Default GitHub Actions' issuer URL. */
  issuer?: string
  /** Default RS256 (what GitHub uses). */
  alg?: 'RS256' | 'ES256'
  /** The server-clock milliseconds tokens are stamped with (default Date.now). */
  nowMs?: () => number
}

/** What the claims of a GitHub Actions job are made from. */
export interface GitHubClaimsInput {
  /** `owner/name`. */
  repository: string
  /** Default `refs/heads/main`. */
  ref?: string
  /** A job with an environment: `sub` names the environment instead of the ref. */
  environment?: string
  /** Default `push`. */
  event_name?: string
  /** Default `octocat`. */
  actor?: string
  /** Default `.github/workflows/rotate.yml`. */
  workflow_file?: string
}

/** A signing issuer. */
export interface OidcIssuer {
  readonly issuer: string
  readonly alg: 'RS256' | 'ES256'
  readonly kid: string
  /** The public keys, for `jwks` in a JWT mount's options or served at a URL. */
  readonly jwks: { keys: PublicJwk[] }
  /** PEM of the public key, for a mount's `jwt_validation_pubkeys`. */
  readonly publicKeyPem: string
  /**
   * A signed JWT: `iss`, `iat`, `nbf`, `exp` (default 5 minutes) and `jti` filled in, then
   * `claims` over them (so a test can set a wrong `aud` or an old `exp`).
   */
  sign(
    claims: Record<string, unknown>,
    options?: { expiresInSeconds?: number; kid?: string }
  ): string
  /** Signs with another key: Vault must refuse the signature. */
  signWithForeignKey(claims: Record<string, unknown>): string
  /** Serves the JWKS at `<url>/.well-known/jwks` until closed. */
  serveJwks(): Promise<{ jwksUrl: string; server: KernelServer }>
}

/** The claims GitHub puts in a job's OIDC token (a subset with the same names and forms). */
export function githubActionsClaims(
  input: GitHubClaimsInput,
  audience: string
): Record<string, unknown> {
  const ref = input.ref ?? 'refs/heads/main'
  const [owner = ''] = input.repository.split('/')
  const workflowFile = input.workflow_file ?? '.github/workflows/rotate.yml'
  const claims: Record<string, unknown> = {
    aud: audience,
    sub:
      input.environment === undefined
        ? `repo:${input.repository}:ref:${ref}`
        : `repo:${input.repository}:environment:${input.environment}`,
    repository: input.repository,
    repository_owner: owner,
    repository_id: '123456789',
    repository_owner_id: '987654',
    repository_visibility: 'private',
    ref,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    sha: createHash('sha1').update(ref).digest('hex'),
    workflow: 'Rotate',
    workflow_ref: `${input.repository}/${workflowFile}@${ref}`,
    job_workflow_ref: `${input.repository}/${workflowFile}@${ref}`,
    event_name: input.event_name ?? 'push',
    actor: input.actor ?? 'octocat',
    actor_id: '583231',
    run_id: '1000000001',
    run_number: '7',
    run_attempt: '1',
    runner_environment: 'github-hosted'
  }
  if (input.environment !== undefined) claims.environment = input.environment
  return claims
}

function makeKeys(alg: 'RS256' | 'ES256'): { privateKey: KeyObject; publicKey: KeyObject } {
  return alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' })
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function signJwt(
  alg: 'RS256' | 'ES256',
  kid: string,
  key: KeyObject,
  claims: Record<string, unknown>
): string {
  const input = `${encode({ alg, typ: 'JWT', kid })}.${encode(claims)}`
  const signature = signBytes(
    'sha256',
    Buffer.from(input),
    alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key
  )
  return `${input}.${signature.toString('base64url')}`
}

/** Makes a fresh issuer (one key pair, a few ms for ES256, tens for RS256). */
export function createOidcIssuer(options: OidcIssuerOptions = {}): OidcIssuer {
  const alg = options.alg ?? 'RS256'
  const issuer = options.issuer ?? GITHUB_ACTIONS_ISSUER
  const nowMs = options.nowMs ?? Date.now
  const keys = makeKeys(alg)
  const foreign = makeKeys(alg)
  const kid = randomUUID()
  const jwk = keys.publicKey.export({ format: 'jwk' }) as PublicJwk
  const jwks = { keys: [{ ...jwk, kid, alg, use: 'sig' }] }
  const stamped = (
    claims: Record<string, unknown>,
    expiresInSeconds = 300
  ): Record<string, unknown> => {
    const now = Math.floor(nowMs() / 1000)
    return {
      jti: randomUUID(),
      iss: issuer,
      iat: now,
      nbf: now,
      exp: now + expiresInSeconds,
      ...claims
    }
  }
  return {
    issuer,
    alg,
    kid,
    jwks,
    publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (claims, signOptions = {}) =>
      signJwt(
        alg,
        signOptions.kid ?? kid,
        keys.privateKey,
        stamped(claims, signOptions.expiresInSeconds)
      ),
    signWithForeignKey: claims => signJwt(alg, kid, foreign.privateKey, stamped(claims)),
    serveJwks: async () => {
      const server = await startKernelServer({
        handler: request =>
          request.path === '/.well-known/jwks' ? json(200, jwks) : json(404, { error: 'not found' })
      })
      return { jwksUrl: `${server.url}/.well-known/jwks`, server }
    }
  }
}
