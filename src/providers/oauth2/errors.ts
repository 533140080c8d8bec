/**
 * What each way an OAuth2 request can fail means for the credential, in words the user can act
 * on. Messages name inputs and endpoints, never a token, a secret or a response body.
 */
import * as oauth from 'oauth4webapi'
import type { ClientAuthMethod } from './config.js'
import { ActionError } from '../../errors.js'
import { redactSecrets } from '../../redaction.js'
import type { TransportError } from '../../http/transport.js'

/** Where the failed request went, and what the message may not contain. */
export interface FailureContext {
  /** The endpoint's URL, as configured. */
  url: string
  clientAuth: ClientAuthMethod
  /** Values that must not appear in a message even if a server echoed them. */
  secrets: readonly string[]
}

const DESCRIPTION_MAX = 300

const REAUTHORIZE =
  're-run the authorization flow and store the new refresh token where this action reads it (the secret refresh-token-secret names, or store-secret-id in AWS).'

const RECOVERY_HINT =
  'With recovery-public-key configured, an earlier run may have logged the live refresh token sealed to that key (its recovery ciphertext): open it with the recovery private key and store that token instead.'

const NO_REPLAY =
  'This run does not retry: presenting a used refresh token again makes a rotating server revoke the whole grant. ' +
  'If a later run reports that re-authorization is needed, the server did use it: then ' +
  REAUTHORIZE

/** The inputs that carry the client's credentials for each authentication method. */
const CREDENTIAL_HINT: Readonly<Record<ClientAuthMethod, string>> = {
  client_secret_basic: 'client-id and client-secret',
  client_secret_post: 'client-id and client-secret',
  none: 'client-id (client-auth none needs a client registered as public)',
  private_key_jwt:
    'client-id and client-private-key (its public key must be registered for the client)',
  tls_client_auth:
    'client-id, client-certificate and client-key (the certificate subject must be the one registered for the client)'
}

/**
 * An error text from a server, with every known secret removed in every encoding it went out in
 * (a server that echoes the request quotes the form body and the `Authorization` header), then cut
 * short and put on one line. Redacted before it is cut, so no cut can split a secret past matching.
 */
function sanitize(text: string, secrets: readonly string[]): string {
  const clean = redactSecrets(text, secrets)
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
  return clean.length > DESCRIPTION_MAX ? `${clean.slice(0, DESCRIPTION_MAX)}...` : clean
}

function oauthError(error: oauth.ResponseBodyError, context: FailureContext): string {
  const description =
    typeof error.error_description === 'string' && error.error_description !== ''
      ? `: ${sanitize(error.error_description, context.secrets)}`
      : ''
  return `${sanitize(error.error, context.secrets)}${description}`
}

/** The OAuth error a `WWW-Authenticate` challenge carries (RFC 6750 section 3), if any. */
function challengeError(
  error: oauth.WWWAuthenticateChallengeError,
  context: FailureContext
): string {
  for (const challenge of error.cause) {
    const { error: code, error_description: description } = challenge.parameters
    if (typeof code === 'string' && code !== '') {
      const detail =
        typeof description === 'string' && description !== ''
          ? `: ${sanitize(description, context.secrets)}`
          : ''
      return `${sanitize(code, context.secrets)}${detail}`
    }
  }
  return `HTTP ${error.status} with an authentication challenge`
}

function credentialsAdvice(context: FailureContext): string {
  return `check ${CREDENTIAL_HINT[context.clientAuth]}, and that client-auth (${context.clientAuth}) is the method the client is registered with`
}

/** A refresh whose outcome cannot be known: the server may have used the refresh token. */
export function outcomeUnknown(what: string, cause: unknown): ActionError {
  return new ActionError(
    `${what} The server may have used the refresh token and issued a new one that this run never received. ${NO_REPLAY}`,
    { code: 'issuer-outcome-unknown', phase: 'mint', cause }
  )
}

/** The refresh request failed in transit. */
export function refreshTransportFailure(
  error: TransportError,
  attempts: number,
  context: FailureContext
): ActionError {
  if (error.reached) {
    return outcomeUnknown(
      `The token endpoint ${context.url} may have received the refresh request, but no answer came back (${error.detail}).`,
      error
    )
  }
  return new ActionError(
    `Could not reach the token endpoint ${context.url} in ${attemptsText(attempts)} (${error.detail}). The request never reached the server, so the refresh token was not used: run again once the server is reachable.`,
    { code: 'issuer-unreachable', phase: 'mint', retryable: true, cause: error }
  )
}

/** The token endpoint answered with a status that is neither success nor an OAuth error. */
export function refreshStatusFailure(response: Response, context: FailureContext): ActionError {
  const { status } = response
  if (status >= 500 || status < 300) {
    // The server got the request and did not refuse it: it may have processed it.
    return outcomeUnknown(
      `The token endpoint ${context.url} answered HTTP ${status} to the refresh request.`,
      undefined
    )
  }
  if (status >= 300 && status < 400) {
    const location = URL.parse(response.headers.get('location') ?? '', context.url)
    const where = location ? ` to ${location.origin}${location.pathname}` : ''
    return new ActionError(
      `The token endpoint ${context.url} answered HTTP ${status}, a redirect${where}: set token-url to the token endpoint's exact address (the refresh request is never sent on to another address).`,
      { code: 'issuer-rejected', phase: 'mint' }
    )
  }
  return new ActionError(
    `The token endpoint ${context.url} answered HTTP ${status} to the refresh request. ${statusAdvice(status, context)}`,
    { code: 'issuer-rejected', phase: 'mint' }
  )
}

function statusAdvice(status: number, context: FailureContext): string {
  switch (status) {
    case 401:
    case 403:
      return `The client was not accepted: ${credentialsAdvice(context)}.`
    case 404:
    case 405:
      return 'Check token-url: it should be the token endpoint from the server metadata.'
    case 429:
      return 'The server is limiting requests: run again later.'
    default:
      return 'Check token-url, client-id and client-auth.'
  }
}

/** What oauth4webapi reported about the token endpoint's answer. */
export function refreshAnswerFailure(error: unknown, context: FailureContext): ActionError {
  if (error instanceof oauth.ResponseBodyError) {
    const what = oauthError(error, context)
    switch (error.error) {
      case 'invalid_grant':
        return new ActionError(
          `Re-authorization needed: the OAuth2 server refused the refresh token (${what}): it has expired, was revoked, or was already used. To recover, ${REAUTHORIZE} ${RECOVERY_HINT}`,
          { code: 'reauthorization-needed', phase: 'mint' }
        )
      case 'invalid_client':
        return rejected(
          `The OAuth2 server did not accept the client's authentication (${what}): ${credentialsAdvice(context)}.`
        )
      case 'unauthorized_client':
        return rejected(
          `The client may not use the refresh_token grant (${what}): allow that grant for client-id at the OAuth2 server.`
        )
      case 'unsupported_grant_type':
        return rejected(
          `The token endpoint does not support the refresh_token grant (${what}): check token-url.`
        )
      case 'invalid_scope':
        return rejected(
          `The OAuth2 server refused the scope (${what}): a refresh may ask for the scopes of the original grant or fewer; narrow scope, or remove it to keep the grant's scopes.`
        )
      default:
        return rejected(
          `The token endpoint refused the refresh request (${what}): check token-url, client-id, client-auth and scope.`
        )
    }
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return rejected(
      `The OAuth2 server did not accept the client's authentication (${challengeError(error, context)}): ${credentialsAdvice(context)}.`
    )
  }
  // A 200 that oauth4webapi cannot use: the server has most likely used the refresh token.
  const reason = error instanceof Error ? sanitize(error.message, context.secrets) : 'unreadable'
  return outcomeUnknown(
    `The token endpoint ${context.url} answered the refresh request with a token response that cannot be used (${reason}).`,
    undefined
  )
}

function rejected(message: string): ActionError {
  return new ActionError(message, { code: 'issuer-rejected', phase: 'mint' })
}

const STAYS_VALID = 'The old access token stays valid until it expires; revoke it at the server.'

function attemptsText(attempts: number): string {
  return `${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}`
}

/** Revocation failed in transit on every attempt. */
export function revocationTransportFailure(
  error: TransportError,
  attempts: number,
  context: FailureContext
): ActionError {
  return new ActionError(
    `Could not revoke at ${context.url} in ${attemptsText(attempts)} (${error.detail}). ${STAYS_VALID}`,
    { code: 'issuer-unreachable', phase: 'retire', retryable: true, cause: error }
  )
}

/** The revocation endpoint answered with a status that is neither 200 nor an OAuth error. */
export function revocationStatusFailure(
  response: Response,
  attempts: number,
  context: FailureContext
): ActionError {
  const { status } = response
  if (status >= 500) {
    return new ActionError(
      `The revocation endpoint ${context.url} answered HTTP ${status} in ${attemptsText(attempts)}. ${STAYS_VALID}`,
      { code: 'issuer-unreachable', phase: 'retire', retryable: true }
    )
  }
  const advice =
    status === 401 || status === 403 ? credentialsAdvice(context) : 'check revocation-url'
  return new ActionError(
    `The revocation endpoint ${context.url} answered HTTP ${status}: ${advice}. ${STAYS_VALID}`,
    { code: 'issuer-rejected', phase: 'retire' }
  )
}

/** What oauth4webapi reported about the revocation endpoint's answer. */
export function revocationAnswerFailure(error: unknown, context: FailureContext): ActionError {
  let what = error instanceof Error ? sanitize(error.message, context.secrets) : 'unreadable'
  let advice = 'check revocation-url'
  if (error instanceof oauth.ResponseBodyError) {
    what = oauthError(error, context)
    if (error.error === 'unsupported_token_type') {
      advice = 'the server does not revoke access tokens; turn revoke-previous off'
    } else if (error.error === 'invalid_client') {
      advice = credentialsAdvice(context)
    }
  } else if (error instanceof oauth.WWWAuthenticateChallengeError) {
    what = challengeError(error, context)
    advice = credentialsAdvice(context)
  }
  return new ActionError(
    `The revocation endpoint ${context.url} refused the request (${what}): ${advice}. ${STAYS_VALID}`,
    { code: 'issuer-rejected', phase: 'retire' }
  )
}
