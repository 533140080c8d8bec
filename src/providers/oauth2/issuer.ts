import { setTimeout as delay } from 'node:timers/promises'
import * as oauth from 'oauth4webapi'
import { isLoopbackHost } from '../../config/loopback.js'
import type { OAuth2IssuerConfig } from './config.js'
import type { Clock, Issuer, Minted, Retired, Sleep } from '../../engine/ports.js'
import { ActionError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { clientAuthentication } from './client-auth.js'
import {
  type FailureContext,
  refreshAnswerFailure,
  refreshStatusFailure,
  refreshTransportFailure,
  revocationAnswerFailure,
  revocationStatusFailure,
  revocationTransportFailure
} from './errors.js'
import { expiryFrom, salvageTokens, screenTokenResponse, type RawTokens } from './token-response.js'
import { TransportError, createTransport } from '../../http/transport.js'

/** What the OAuth2 issuer needs besides its configuration. */
export interface OAuth2IssuerDeps {
  /** Masks a secret in every later log line; called for each token the moment it is read. */
  mask: (secret: string) => void
  log: Logger
  /** Waits between attempts (default: a real timer). */
  sleep?: Sleep
  /** Turns `expires_in` into a time (default: the system clock). */
  clock?: Clock
}

/** Attempts per request, the first included. */
export const OAUTH2_ATTEMPTS = 3

/** The wait before each retry: before the 2nd attempt, before the 3rd. */
const BACKOFF_MS = [1_000, 4_000] as const

const SYSTEM_CLOCK: Clock = { now: () => new Date() }

/** One request's outcome after its attempts: the answer, or the transport failure of the last. */
interface Sent {
  outcome: Response | TransportError
  attempts: number
}

/**
 * The OAuth2 issuer: mints with the refresh-token grant (RFC 6749 section 6) and revokes with
 * RFC 7009, through oauth4webapi. The server metadata is built from the configured endpoints, so
 * no discovery request is made.
 *
 * A refresh request is repeated only when it provably never reached the server (no connection
 * could be opened, or the TLS handshake failed): with rotating refresh tokens a replay of a
 * request the server did process is a reuse, and servers answer a reuse by revoking the grant.
 *
 * `revoke` revokes an access token (`token_type_hint=access_token`). RFC 7009 section 2.1 lets a
 * server revoke the refresh tokens of the same grant along with it, and oidc-provider does: there,
 * revoking the previous rotation's access token also kills the refresh token minted after it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export function createOAuth2Issuer(config: OAuth2IssuerConfig, deps: OAuth2IssuerDeps): Issuer {
  const { log, mask } = deps
  const sleep = deps.sleep ?? ((ms: number) => delay(ms))
  const clock = deps.clock ?? SYSTEM_CLOCK
  const tokenUrl = new URL(config.tokenUrl)
  const revocationUrl =
    config.revocationUrl === undefined ? undefined : new URL(config.revocationUrl)
  const as: oauth.AuthorizationServer = {
    issuer: tokenUrl.origin,
    token_endpoint: tokenUrl.href,
    ...(revocationUrl ? { revocation_endpoint: revocationUrl.href } : {})
  }
  const client: oauth.Client = { client_id: config.clientId }
  const clientAuth = clientAuthentication(config.clientAuth, tokenUrl.href)
  const transport = createTransport({ tls: config.tls, timeoutMs: config.timeoutMs })
  const options: oauth.HttpRequestOptions<'POST', URLSearchParams> = {
    [oauth.customFetch]: transport,
    ...(plainHttpAllowed(tokenUrl, revocationUrl)
      ? // eslint-disable-next-line @typescript-eslint/no-deprecated -- loopback servers only, checked there
        { [oauth.allowInsecureRequests]: true }
      : {})
  }
  const clientSecret = 'clientSecret' in config.clientAuth ? [config.clientAuth.clientSecret] : []
  const context = (url: URL, secret: string): FailureContext => ({
    url: url.href,
    clientAuth: config.clientAuth.method,
    secrets: [secret, ...clientSecret]
  })

  /** Sends until an answer comes, or `retry` says a failure must not be repeated. */
  async function send(
    request: () => Promise<Response>,
    retry: (outcome: Response | TransportError) => boolean,
    url: URL
  ): Promise<Sent> {
    for (let attempt = 1; ; attempt += 1) {
      let outcome: Response | TransportError
      try {
        outcome = await request()
      } catch (error: unknown) {
        if (!(error instanceof TransportError)) throw error
        outcome = error
      }
      const wait = BACKOFF_MS[attempt - 1]
      if (wait === undefined || attempt >= OAUTH2_ATTEMPTS || !retry(outcome)) {
        return { outcome, attempts: attempt }
      }
      const why = outcome instanceof TransportError ? outcome.detail : `HTTP ${outcome.status}`
      log.warning(
        `${url.href}: ${why}; retrying in ${wait / 1000} s (attempt ${attempt + 1} of ${OAUTH2_ATTEMPTS})`
      )
      await sleep(wait)
    }
  }

  async function mint(current: string): Promise<Minted> {
    const failure = context(tokenUrl, current)
    log.info(
      `Refreshing at ${tokenUrl.href} as client ${config.clientId} (${config.clientAuth.method})`
    )
    const request = (): Promise<Response> =>
      oauth.refreshTokenGrantRequest(as, client, clientAuth, current, {
        ...options,
        ...(config.scope !== undefined ? { additionalParameters: { scope: config.scope } } : {})
      })
    const { outcome, attempts } = await send(
      request,
      // Only a request that provably never reached the server may be repeated.
      outcome => outcome instanceof TransportError && !outcome.reached,
      tokenUrl
    )
    if (outcome instanceof TransportError) {
      throw refreshTransportFailure(outcome, attempts, failure)
    }
    const response = await screenTokenResponse(outcome, mask)
    const salvage = await salvageTokens(response.clone())
    let tokens: RawTokens
    try {
      tokens = await oauth.processRefreshTokenResponse(as, client, response)
    } catch (error: unknown) {
      const oauthError =
        error instanceof oauth.ResponseBodyError ||
        error instanceof oauth.WWWAuthenticateChallengeError
      if (oauthError || salvage === undefined) {
        if (
          error instanceof oauth.OperationProcessingError &&
          error.code === oauth.RESPONSE_IS_NOT_CONFORM
        ) {
          throw refreshStatusFailure(outcome, failure)
        }
        throw refreshAnswerFailure(error, failure)
      }
      // The server answered 2xx with tokens and has consumed the refresh token: keep them.
      log.warning(
        `The token response did not pass validation (${refreshAnswerFailure(error, failure).message}); its tokens are used anyway, since the server has already replaced the refresh token.`
      )
      tokens = salvage
    }
    // RFC 6749 section 6: without a refresh_token in the answer, the current one stays valid.
    const next = tokens.refresh_token ?? current
    const rotated = next !== current
    if (rotated) {
      log.info('The OAuth2 server issued a new refresh token and a new access token')
    } else {
      log.info(
        'The OAuth2 server issued a new access token and kept the refresh token (RFC 6749 section 6): the current one stays the one to store'
      )
    }
    const minted: Minted = { value: tokens.access_token, next, rotated }
    const expiry = expiryFrom(tokens.expires_in, clock.now())
    if (expiry.warning !== undefined) log.warning(expiry.warning, { title: 'Token lifetime' })
    if (expiry.expiresAt !== undefined) minted.expiresAt = expiry.expiresAt
    return minted
  }

  async function revoke(url: URL, value: string): Promise<void> {
    const failure = context(url, value)
    const request = (): Promise<Response> =>
      oauth.revocationRequest(as, client, clientAuth, value, {
        ...options,
        additionalParameters: { token_type_hint: 'access_token' }
      })
    // Revoking twice is harmless (RFC 7009 section 2.2), so anything transient is retried.
    const { outcome, attempts } = await send(
      request,
      outcome => outcome instanceof TransportError || outcome.status >= 500,
      url
    )
    if (outcome instanceof TransportError) {
      throw revocationTransportFailure(outcome, attempts, failure)
    }
    try {
      await oauth.processRevocationResponse(outcome)
    } catch (error: unknown) {
      if (
        error instanceof oauth.OperationProcessingError &&
        error.code === oauth.RESPONSE_IS_NOT_CONFORM
      ) {
        throw revocationStatusFailure(outcome, attempts, failure)
      }
      throw revocationAnswerFailure(error, failure)
    }
    // A 200 is also the answer for a token the server does not know: it proves nothing, which is
    // why the engine checks the old value afterwards.
    log.info(`The revocation endpoint ${url.href} accepted the revocation`)
  }

  const issuer: Issuer = {
    kind: 'oauth2',
    // RFC 7009 names the token by its value: a deferred revocation needs the value kept for it.
    revokes: 'value',
    // Every attempt may wait for its whole timeout, and the backoff between them.
    mintTimeoutMs: OAUTH2_ATTEMPTS * config.timeoutMs + BACKOFF_MS.reduce((a, b) => a + b, 0),
    mint: guard(mint)
  }
  if (revocationUrl !== undefined) {
    issuer.revoke = guard((retired: Retired) => revoke(revocationUrl, tokenOf(retired)), 'retire')
  }
  return issuer
}

/**
 * True when an endpoint is plain http, which oauth4webapi must then be told to allow. Only loopback
 * hosts may be: the refresh token and the client's credentials would otherwise travel in clear
 * text. Configuration validation says so first; this holds for a configuration built by hand too.
 */
function plainHttpAllowed(...urls: (URL | undefined)[]): boolean {
  const plain = urls.filter(url => url !== undefined && url.protocol !== 'https:')
  for (const url of plain) {
    if (url?.protocol !== 'http:' || !isLoopbackHost(url.hostname)) {
      throw new ActionError(
        `${url?.origin ?? 'An endpoint'} is not https: the refresh token and the client's credentials would travel in clear text (plain http is accepted only for loopback test servers)`,
        { code: 'unsafe-endpoint', phase: 'config' }
      )
    }
  }
  return plain.length > 0
}

/** The token to revoke: RFC 7009 takes the token itself, never an id of it. */
function tokenOf(retired: Retired): string {
  if (retired.by === 'value') return retired.value
  throw new ActionError(
    `The OAuth2 issuer revokes a token by its value (RFC 7009), and was given only the handle of ${retired.fingerprint}`,
    { code: 'internal', phase: 'retire' }
  )
}

/** Anything unforeseen becomes an ActionError of the step, so the report says where it failed. */
function guard<A, T>(
  step: (argument: A) => Promise<T>,
  phase: 'mint' | 'retire' = 'mint'
): (argument: A) => Promise<T> {
  return async argument => {
    try {
      return await step(argument)
    } catch (error: unknown) {
      if (error instanceof ActionError) throw error
      throw new ActionError(
        `The OAuth2 ${phase === 'mint' ? 'refresh' : 'revocation'} request could not be made: ${
          error instanceof Error ? error.message : 'unexpected error'
        }`,
        { code: 'internal', phase, cause: error }
      )
    }
  }
}
