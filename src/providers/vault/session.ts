import type { Clock, Sleep } from '../../engine/ports.js'
import { ActionError, describeError, type Phase } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { VaultAuthConfig, VaultConnection } from './config.js'
import { isInvalidToken, LOGIN_REFUSED, vaultError, vaultSaid, type VaultDoing } from './errors.js'
import {
  createVaultHttp,
  VaultResponseError,
  type VaultAnswer,
  type VaultHttp,
  type VaultRequest
} from './http.js'

/** What a session needs from the run. */
export interface SessionDeps {
  /** Masks a secret from now on: every token, the moment it exists. */
  mask(secret: string): void
  /** The workflow's OIDC token for an audience (GitHub Actions with `id-token: write`). */
  idToken?: ((audience: string) => Promise<string>) | undefined
  log: Logger
  clock: Clock
  sleep: Sleep
}

/** A token the session holds. Its value is a secret. */
interface HeldToken {
  value: string
  accessor?: string
  /** When it expires, on the runner's clock; undefined when it does not (or is not known). */
  expiresAt?: number
  renewable: boolean
  /** The run logged in for it, so it is the run's to revoke at the end. */
  own: boolean
}

/** Time left under which the login token is renewed before a request: longer than any request. */
const RENEW_MARGIN_MS = 2 * 60_000
/** How much longer a renewal asks for; Vault may grant less (its max TTL), which is read back. */
const RENEW_INCREMENT_S = 3600
/** Attempts of a request that may be sent again. */
const IDEMPOTENT_ATTEMPTS = 3

/** Where the JWT login is documented. */
const JWT_DOC = 'docs/providers/vault.md#jwt-login'

/** What Vault answered in `auth` to a login or a token creation. */
export interface AuthAnswer {
  clientToken: string
  accessor: string
  /** Seconds; 0 for a token that does not expire. */
  leaseDuration: number
  renewable: boolean
}

/** Reads `auth` of a login or token creation answer. */
export function authOf(answer: VaultAnswer): AuthAnswer | undefined {
  const auth = (answer.body as { auth?: unknown } | undefined)?.auth
  if (typeof auth !== 'object' || auth === null) return undefined
  const { client_token, accessor, lease_duration, renewable } = auth as Record<string, unknown>
  if (typeof client_token !== 'string' || client_token === '') return undefined
  return {
    clientToken: client_token,
    accessor: typeof accessor === 'string' ? accessor : '',
    leaseDuration: typeof lease_duration === 'number' ? lease_duration : 0,
    renewable: renewable === true
  }
}

/**
 * The run's session with one Vault server: it logs in once, with the first request that needs a
 * token, renews the token when it would expire before a request is done, and revokes it when the
 * run is over (`auth/token/revoke-self`), whatever happened. A token given as it is (method
 * `token`) is used and never revoked: it is not the run's to end.
 */
export class VaultSession {
  readonly http: VaultHttp
  readonly #connection: VaultConnection
  readonly #deps: SessionDeps
  #login: Promise<HeldToken> | undefined
  /** Every token the run logged in for: each is revoked at the end. */
  readonly #own: HeldToken[] = []

  constructor(connection: VaultConnection, deps: SessionDeps) {
    this.#connection = connection
    this.#deps = deps
    this.http = createVaultHttp(connection.endpoint, connection.timeoutMs)
  }

  /** Vault's address (and namespace), for messages. */
  get where(): string {
    const { address, namespace } = this.#connection.endpoint
    return namespace === undefined ? address : `${address} (namespace ${namespace})`
  }

  /**
   * Sends a request with the run's token. A request that may be sent again is tried up to three
   * times while its failure may heal (no answer, Vault sealed or busy).
   * @throws ActionError naming the path, what was being done and what to do
   */
  async call(request: Omit<VaultRequest, 'token'>, doing: VaultDoing): Promise<VaultAnswer> {
    const token = await this.#token(doing.phase)
    try {
      return await this.send({ ...request, token: token.value }, doing)
    } catch (error) {
      // The run's own token died early (revoked by someone, or Vault's clock ran ahead of the
      // TTL it said): one new login, and the request once more.
      if (!token.own || !(error instanceof ActionError) || !isInvalidToken(error.cause)) throw error
      this.#deps.log.warning(
        `Vault no longer accepts the run's token at ${this.where} (accessor ${token.accessor ?? 'unknown'}); logging in again.`
      )
      this.#login = this.#logIn(doing.phase)
      const fresh = await this.#login
      return this.send({ ...request, token: fresh.value }, doing)
    }
  }

  /** Sends a request with `token` (or none, for a login), as {@link call} does. */
  async send(request: VaultRequest, doing: VaultDoing): Promise<VaultAnswer> {
    const attempts = doing.idempotent === true ? IDEMPOTENT_ATTEMPTS : 1
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.http.send(request)
      } catch (error) {
        const failure = vaultError(error, doing)
        const again = failure.retryable && attempt < attempts && request.signal?.aborted !== true
        if (!again) throw failure
        this.#deps.log.debug(
          `Vault request ${request.method} ${request.path} failed (attempt ${attempt}); trying again: ${failure.message}`
        )
        await this.#deps.sleep(1000 * 2 ** (attempt - 1))
      }
    }
  }

  /** The run's token, logged in for (or renewed) when needed. */
  async #token(phase: Phase): Promise<HeldToken> {
    this.#login ??= this.#logIn(phase)
    let held: HeldToken
    try {
      held = await this.#login
    } catch (error) {
      // The next request tries again: a login refused once is refused again, said again.
      this.#login = undefined
      throw error
    }
    const left = held.expiresAt === undefined ? Infinity : held.expiresAt - this.#now()
    if (left > RENEW_MARGIN_MS) return held
    if (held.renewable && left > 0) {
      const renewed = await this.#renew(held, phase).catch((error: unknown) => {
        this.#deps.log.warning(
          `Could not renew the run's Vault token at ${this.where} (${describeError(error)}); logging in again.`
        )
        return undefined
      })
      if (renewed) return renewed
    }
    if (!held.own) {
      throw new ActionError(
        `The Vault token given to the run (auth method token) ${left > 0 ? 'expires within 2 minutes' : 'has expired'} and cannot be renewed: give a token that lives longer than the run, or log in with jwt or approle.`,
        { code: LOGIN_REFUSED, phase }
      )
    }
    this.#login = this.#logIn(phase)
    return this.#login
  }

  async #renew(held: HeldToken, phase: Phase): Promise<HeldToken | undefined> {
    const answer = await this.send(
      {
        method: 'POST',
        path: 'auth/token/renew-self',
        body: { increment: `${RENEW_INCREMENT_S}s` },
        token: held.value
      },
      {
        phase,
        doing: "renewing the run's Vault token",
        path: 'auth/token/renew-self',
        capability: 'update',
        idempotent: true
      }
    )
    const auth = authOf(answer)
    if (!auth) return undefined
    // Vault may grant less than asked (the token's max TTL): what it granted is what counts.
    if (auth.leaseDuration > 0) held.expiresAt = this.#issuedAt(answer) + auth.leaseDuration * 1000
    else delete held.expiresAt
    held.renewable = auth.renewable
    return held.expiresAt === undefined || held.expiresAt - this.#now() > RENEW_MARGIN_MS
      ? held
      : undefined
  }

  async #logIn(phase: Phase): Promise<HeldToken> {
    const auth = this.#connection.auth
    if (auth.method === 'token') {
      this.#deps.mask(auth.token)
      return { value: auth.token, renewable: false, own: false }
    }
    const body = auth.method === 'jwt' ? await this.#jwtBody(auth, phase) : approleBody(auth)
    const path = `auth/${auth.mount}/login`
    let answer: VaultAnswer
    try {
      answer = await this.send(
        { method: 'POST', path, body },
        {
          phase,
          doing: `logging in to Vault at ${this.where} (${path})`,
          path,
          capability: 'update',
          // A second login makes a second token; the first, if it was made, expires on its own.
          idempotent: false
        }
      )
    } catch (error) {
      throw loginError(error, auth, path, this.where, phase)
    }
    const token = authOf(answer)
    if (!token) {
      throw new ActionError(
        `Vault's answer to the login at ${path} holds no client_token: is ${auth.mount} a ${auth.method} auth mount?`,
        { code: LOGIN_REFUSED, phase }
      )
    }
    this.#deps.mask(token.clientToken)
    const held: HeldToken = {
      value: token.clientToken,
      accessor: token.accessor,
      renewable: token.renewable,
      own: true,
      ...(token.leaseDuration > 0 ? { expiresAt: answer.sentAt + token.leaseDuration * 1000 } : {})
    }
    this.#own.push(held)
    this.#deps.log.info(
      `Logged in to Vault at ${this.where} with ${auth.method}${auth.method === 'jwt' ? ` as role ${auth.role}` : ''} (token accessor ${token.accessor || 'unknown'}${token.leaseDuration > 0 ? `, valid ${token.leaseDuration} s` : ''}).`
    )
    return held
  }

  async #jwtBody(
    auth: Extract<VaultAuthConfig, { method: 'jwt' }>,
    phase: Phase
  ): Promise<Record<string, string>> {
    let jwt = auth.jwt
    if (jwt === undefined) {
      const idToken = this.#deps.idToken
      if (!idToken) {
        throw new ActionError(
          `Vault login with method jwt needs the workflow's OIDC token, and this run has none: in GitHub Actions give the job \`permissions: id-token: write\`; in another CI pass the CI's token as vault.auth.jwt ({ env: NAME }, GitLab: an id_tokens variable) or vault-jwt-token. See ${JWT_DOC}.`,
          { code: 'invalid-input', phase }
        )
      }
      try {
        jwt = await idToken(auth.audience)
      } catch (error) {
        throw new ActionError(
          `Could not get the workflow's OIDC token for audience ${auth.audience} (${describeError(error)}): the job needs \`permissions: id-token: write\`. See ${JWT_DOC}.`,
          { code: 'invalid-input', phase, cause: error }
        )
      }
    }
    this.#deps.mask(jwt)
    return { role: auth.role, jwt }
  }

  /**
   * Revokes every token the run logged in for (`auth/token/revoke-self`), so none outlives the run.
   * Never throws: what it could not do is a warning, with the token's accessor to revoke it by.
   */
  async close(): Promise<void> {
    for (const held of this.#own.splice(0)) {
      try {
        await this.send(
          { method: 'POST', path: 'auth/token/revoke-self', token: held.value },
          {
            phase: 'report',
            doing: "revoking the run's own Vault token",
            path: 'auth/token/revoke-self',
            capability: 'update',
            idempotent: true
          }
        )
        this.#deps.log.info(
          `Revoked the run's Vault token at ${this.where} (accessor ${held.accessor ?? 'unknown'}).`
        )
      } catch (error) {
        // An expired token is as good as revoked.
        if (error instanceof ActionError && error.cause instanceof VaultResponseError) {
          if (error.cause.status === 403 && (held.expiresAt ?? Infinity) <= this.#now()) continue
        }
        this.#deps.log.warning(
          `Could not revoke the run's Vault token at ${this.where} (${describeError(error)}); it expires on its own${held.expiresAt !== undefined ? ` at ${new Date(held.expiresAt).toISOString()}` : ''}. To end it now: vault token revoke -accessor ${held.accessor ?? '<accessor>'}.`
        )
      }
    }
    this.#login = undefined
    await this.http.close().catch(() => undefined)
  }

  #now(): number {
    return this.#deps.clock.now().getTime()
  }

  /** When the request that `answer` answers left, on the run's clock: a TTL counts from no earlier. */
  #issuedAt(answer: VaultAnswer): number {
    return this.#now() - (Date.now() - answer.sentAt)
  }
}

function approleBody(
  auth: Extract<VaultAuthConfig, { method: 'approle' }>
): Record<string, string> {
  return { role_id: auth.roleId, secret_id: auth.secretId }
}

/** A refused login, with what to check for its method. */
function loginError(
  error: unknown,
  auth: Exclude<VaultAuthConfig, { method: 'token' }>,
  path: string,
  where: string,
  phase: Phase
): ActionError {
  if (!(error instanceof ActionError) || !(error.cause instanceof VaultResponseError)) {
    return error instanceof ActionError
      ? error
      : new ActionError(describeError(error), { code: 'internal', phase, cause: error })
  }
  const cause = error.cause
  if (cause.status >= 500 || cause.status === 429) return error
  const said = vaultSaid(cause)
  const advice =
    auth.method === 'jwt'
      ? `check that role ${auth.role} exists on the ${auth.mount} mount and that its bound_audiences include ${auth.audience} and its bound_claims match this workflow (repository, ref or environment); see ${JWT_DOC}`
      : `check the role_id and that the secret_id is valid and not used up or expired (AppRole on the ${auth.mount} mount)`
  return new ActionError(
    `Vault at ${where} refused the ${auth.method} login at ${path} (${cause.status})${said}: ${advice}.`,
    { code: LOGIN_REFUSED, phase, cause: error }
  )
}
