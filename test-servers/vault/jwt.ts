/**
 * JWT auth (after hashicorp/vault-plugin-auth-jwt and hashicorp/cap's validator): the signature
 * checked against the mount's keys (a JWKS fetched from `jwks_url`, given inline, or PEM keys),
 * then issuer, subject, audience and time claims, then the role's bound claims. Errors carry the
 * plugin's wording, all answered 400 as Vault answers a backend's error response.
 */
import { type KeyObject, createPublicKey, verify } from 'node:crypto'
import type { JwtMountOptions, JwtRoleOptions, PublicJwk } from './types.js'
import { badRequest, durationSeconds, stringList } from './wire.js'

/** What a successful login makes a token from. */
export interface LoginGrant {
  policies: string[]
  ttlS: number
  maxTtlS: number
  periodS: number
  noDefaultPolicy: boolean
  metadata: Record<string, string>
  displayName: string
  role: string
}

interface Algorithm {
  hash: string
  kind: 'rsa' | 'ec' | 'rsa-pss'
}

const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  PS256: { hash: 'sha256', kind: 'rsa-pss' },
  ES256: { hash: 'sha256', kind: 'ec' },
  ES384: { hash: 'sha384', kind: 'ec' },
  ES512: { hash: 'sha512', kind: 'ec' }
}

function decodeSegment(segment: string): Record<string, unknown> {
  const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('not an object')
  return value as Record<string, unknown>
}

function tokenError(message: string): Error {
  return badRequest(`error validating token: ${message}`)
}

function globMatch(pattern: string, value: string): boolean {
  const body = pattern
    .split('*')
    .map(part => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${body}$`, 's').test(value)
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value]
}

/** Vault's validateBoundClaims, with its wording. */
function checkBoundClaims(role: JwtRoleOptions, claims: Record<string, unknown>): void {
  const glob = role.bound_claims_type === 'glob'
  for (const [claim, expected] of Object.entries(role.bound_claims ?? {})) {
    const actual = claim.startsWith('/')
      ? claim
          .split('/')
          .slice(1)
          .reduce<unknown>(
            (node, key) => (node as Record<string, unknown> | undefined)?.[key],
            claims
          )
      : claims[claim]
    if (actual === undefined)
      throw badRequest(`error validating claims: claim ${JSON.stringify(claim)} is missing`)
    const found = asList(expected).some(want =>
      asList(actual).some(have =>
        glob && typeof want === 'string'
          ? globMatch(want, String(have))
          : String(want) === String(have)
      )
    )
    if (!found) {
      throw badRequest(
        `error validating claims: claim ${JSON.stringify(claim)} does not match any associated bound claim values`
      )
    }
  }
}

/** The mount's `config`, as it changes over HTTP. */
interface JwtConfig {
  jwks_url: string | undefined
  jwks: { keys: PublicJwk[] } | undefined
  jwt_validation_pubkeys: string[] | undefined
  bound_issuer: string | undefined
  default_role: string | undefined
}

/** One JWT auth mount. */
export class JwtMount {
  readonly #config: JwtConfig
  readonly #roles = new Map<string, JwtRoleOptions>()
  readonly #nowMs: () => number

  constructor(options: JwtMountOptions, nowMs: () => number) {
    this.#config = {
      jwks_url: options.jwks_url,
      jwks: options.jwks,
      jwt_validation_pubkeys: options.jwt_validation_pubkeys,
      bound_issuer: options.bound_issuer,
      default_role: options.default_role
    }
    this.#nowMs = nowMs
    for (const [name, role] of Object.entries(options.roles ?? {})) this.setRole(name, role)
  }

  setRole(name: string, role: JwtRoleOptions): void {
    if (typeof role.user_claim !== 'string' || role.user_claim === '') {
      throw badRequest('a user claim must be defined on the role')
    }
    this.#roles.set(name, { ...role })
  }

  role(name: string): JwtRoleOptions | undefined {
    return this.#roles.get(name)
  }

  deleteRole(name: string): void {
    this.#roles.delete(name)
  }

  roleNames(): string[] {
    return [...this.#roles.keys()].sort()
  }

  /** `POST auth/<mount>/config`: replaces the key source and issuer. */
  configure(body: Record<string, unknown>): void {
    const jwksUrl = body.jwks_url
    const pems = stringList(body.jwt_validation_pubkeys, 'jwt_validation_pubkeys')
    this.#config.jwks_url = typeof jwksUrl === 'string' && jwksUrl !== '' ? jwksUrl : undefined
    this.#config.jwt_validation_pubkeys = pems
    this.#config.bound_issuer =
      typeof body.bound_issuer === 'string' ? body.bound_issuer : undefined
    this.#config.default_role =
      typeof body.default_role === 'string' ? body.default_role : undefined
    if (this.#config.jwks_url !== undefined) this.#config.jwks = undefined
  }

  configuration(): Record<string, unknown> {
    return {
      bound_issuer: this.#config.bound_issuer ?? '',
      default_role: this.#config.default_role ?? '',
      jwks_url: this.#config.jwks_url ?? '',
      jwt_validation_pubkeys: this.#config.jwt_validation_pubkeys ?? [],
      oidc_discovery_url: ''
    }
  }

  async #keys(): Promise<Array<{ kid: string | undefined; key: KeyObject }>> {
    const keys: Array<{ kid: string | undefined; key: KeyObject }> = []
    let jwks = this.#config.jwks
    if (this.#config.jwks_url !== undefined) {
      const response = await fetch(this.#config.jwks_url)
      if (!response.ok)
        throw tokenError(
          `error verifying token signature: fetching keys oidc: get keys failed: ${response.status}`
        )
      jwks = (await response.json()) as { keys: PublicJwk[] }
    }
    for (const jwk of jwks?.keys ?? []) {
      keys.push({ kid: jwk.kid, key: createPublicKey({ key: { ...jwk }, format: 'jwk' }) })
    }
    for (const pem of this.#config.jwt_validation_pubkeys ?? [])
      keys.push({ kid: undefined, key: createPublicKey(pem) })
    if (keys.length === 0) throw badRequest('error configuring token validator: no keys configured')
    return keys
  }

  /** `POST auth/<mount>/login`: the grant for a valid JWT, or Vault's 400. */
  async login(body: Record<string, unknown>): Promise<LoginGrant> {
    const roleName =
      typeof body.role === 'string' && body.role !== '' ? body.role : this.#config.default_role
    if (roleName === undefined) throw badRequest('missing role')
    const role = this.#roles.get(roleName)
    if (role === undefined) throw badRequest(`role ${JSON.stringify(roleName)} could not be found`)
    const jwt = body.jwt
    if (typeof jwt !== 'string' || jwt === '') throw badRequest('missing token')

    const parts = jwt.split('.')
    if (parts.length !== 3) {
      throw tokenError(
        'error verifying token signature: go-jose/go-jose: compact JWS format must have three parts'
      )
    }
    const [headerPart = '', payloadPart = '', signaturePart = ''] = parts
    let header: Record<string, unknown>
    let claims: Record<string, unknown>
    try {
      header = decodeSegment(headerPart)
      claims = decodeSegment(payloadPart)
    } catch {
      throw tokenError('error verifying token signature: go-jose/go-jose: invalid payload')
    }
    const alg = typeof header.alg === 'string' ? ALGORITHMS[header.alg] : undefined
    const keys = await this.#keys()
    const kid = typeof header.kid === 'string' ? header.kid : undefined
    const candidates = keys.filter(
      key => kid === undefined || key.kid === undefined || key.kid === kid
    )
    const signingInput = Buffer.from(`${headerPart}.${payloadPart}`)
    const signature = Buffer.from(signaturePart, 'base64url')
    const verified =
      alg !== undefined &&
      candidates.some(({ key }) => {
        try {
          if (alg.kind === 'ec')
            return verify(alg.hash, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature)
          if (alg.kind === 'rsa-pss')
            return verify(alg.hash, signingInput, { key, padding: 6, saltLength: 32 }, signature)
          return verify(alg.hash, signingInput, key, signature)
        } catch {
          return false
        }
      })
    if (!verified) {
      throw tokenError(
        'error verifying token signature: no known key successfully validated the token signature'
      )
    }

    if (this.#config.bound_issuer !== undefined && this.#config.bound_issuer !== claims.iss) {
      throw tokenError('invalid issuer (iss) claim')
    }
    if (
      role.bound_subject !== undefined &&
      role.bound_subject !== '' &&
      role.bound_subject !== claims.sub
    ) {
      throw tokenError('invalid subject (sub) claim')
    }
    const audiences = asList(claims.aud).filter((item): item is string => typeof item === 'string')
    const bound = role.bound_audiences ?? []
    if (bound.length > 0 && !bound.some(audience => audiences.includes(audience))) {
      throw tokenError(
        'invalid audience (aud) claim: audience claim does not match any expected audience'
      )
    }
    this.#checkTimes(role, claims)
    if (bound.length === 0 && audiences.length > 0) {
      throw badRequest('audience claim found in JWT but no audiences bound to the role')
    }
    const user = claims[role.user_claim]
    if (user === undefined)
      throw badRequest(`claim ${JSON.stringify(role.user_claim)} not found in token`)
    if (typeof user !== 'string' && typeof user !== 'number' && typeof user !== 'boolean') {
      throw badRequest(`claim ${JSON.stringify(role.user_claim)} could not be converted to string`)
    }
    checkBoundClaims(role, claims)

    const metadata: Record<string, string> = { role: roleName }
    for (const [claim, key] of Object.entries(role.claim_mappings ?? {})) {
      const value = claims[claim]
      if (value !== undefined)
        metadata[key] = typeof value === 'string' ? value : JSON.stringify(value)
    }
    return {
      policies: role.token_policies ?? [],
      ttlS: durationSeconds(role.token_ttl, 'token_ttl') ?? 0,
      maxTtlS: durationSeconds(role.token_max_ttl, 'token_max_ttl') ?? 0,
      periodS: durationSeconds(role.token_period, 'token_period') ?? 0,
      noDefaultPolicy: role.token_no_default_policy === true,
      metadata,
      displayName: String(user),
      role: roleName
    }
  }

  /** hashicorp/cap's time checks: leeways in seconds, 0 meaning the defaults (150 and 60). */
  #checkTimes(role: JwtRoleOptions, claims: Record<string, unknown>): void {
    const number = (value: unknown): number => (typeof value === 'number' ? value : 0)
    const leeway = (value: number | undefined, fallback: number): number =>
      value === undefined || value === 0 ? fallback : Math.max(0, value)
    const iat = number(claims.iat)
    let exp = number(claims.exp)
    let nbf = number(claims.nbf)
    if (iat === 0 && exp === 0 && nbf === 0) {
      throw tokenError(
        'no issued at (iat), not before (nbf), or expiration time (exp) claims in token'
      )
    }
    if (exp === 0) exp = Math.max(iat, nbf) + leeway(role.expiration_leeway, 150)
    if (nbf === 0) nbf = iat !== 0 ? iat : exp - leeway(role.not_before_leeway, 150)
    const skew = leeway(role.clock_skew_leeway, 60)
    const now = this.#nowMs() / 1000
    if (now + skew < nbf) throw tokenError('invalid not before (nbf) claim: token not yet valid')
    if (now - skew > exp) throw tokenError('invalid expiration time (exp) claim: token is expired')
    if (iat !== 0 && now + skew < iat)
      throw tokenError('invalid issued at (iat) claim: token issued in the future')
  }
}
