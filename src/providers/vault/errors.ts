import { ActionError, type ErrorCode, type Phase } from '../../errors.js'
import { VaultResponseError, VaultTransportError } from './http.js'

/** Where the policies each mode needs are documented. */
export const POLICIES_DOC = 'docs/providers/vault.md#policies'

/**
 * The codes Vault's failures are reported with, whichever role Vault plays (store, issuer, target,
 * lock): a script tells a login refused from a policy too short, a path that does not exist, a
 * write another writer beat, and a Vault that cannot answer now.
 */
const CODES = {
  /** The login was refused, or Vault no longer accepts the token (expired, revoked). */
  auth: 'vault-auth',
  /** The token's policy lacks a capability on a path (403 permission denied). */
  forbidden: 'vault-forbidden',
  /** Nothing at the path: no such mount, secret or role (404). */
  notFound: 'vault-not-found',
  /** Vault refused the request (400 and the like), or answered what the action cannot read. */
  rejected: 'vault-rejected',
  /** A check-and-set write lost to another writer (KV v2 `options.cas`, 400). */
  conflict: 'vault-conflict',
  /** No answer, or Vault cannot answer now (sealed, standby, 5xx, rate limited). */
  unavailable: 'vault-unavailable'
} as const satisfies Record<string, ErrorCode>

/** What a request to Vault was for, so that its failure says what to do. */
export interface VaultDoing {
  phase: Phase
  /** `writing the new refresh token to secret/data/ci/api`. */
  doing: string
  /** The ACL path the request needs a capability on (`secret/data/ci/api`). */
  path: string
  /** The capability it needs there: `read`, `update`, `create`, ... */
  capability: string
  /**
   * Sending it again does no harm (a read, a write with `cas`): a failure that may heal is
   * retryable. Otherwise only a request that provably never reached Vault is.
   */
  idempotent?: boolean
}

/** Vault answers these when it cannot serve now, not because of the request. */
const UNAVAILABLE = new Set([412, 429, 500, 502, 503, 504])

/**
 * A failed request to Vault as an {@link ActionError} whose message names the path, what was being
 * done and what to do: the missing capability for a 403, the mount for a 404, Vault's own words
 * for a 400. Never quotes a request body.
 */
export function vaultError(error: unknown, doing: VaultDoing): ActionError {
  if (error instanceof ActionError) return error
  const { phase, path, capability } = doing
  if (error instanceof VaultTransportError) {
    return new ActionError(`Vault did not answer while ${doing.doing}: ${error.detail}.`, {
      code: CODES.unavailable,
      phase,
      retryable: !error.reached || doing.idempotent === true,
      cause: error
    })
  }
  if (error instanceof VaultResponseError) {
    const said = vaultSaid(error)
    if (error.status === 403) {
      const expired = isInvalidToken(error)
      return new ActionError(
        expired
          ? `Vault refused ${doing.doing} with 403${said}: the token has expired or been revoked.`
          : `Vault refused ${doing.doing} with 403${said}: the token's policy lacks \`${capability}\` on ${path}; see ${POLICIES_DOC}.`,
        { code: expired ? CODES.auth : CODES.forbidden, phase, cause: error }
      )
    }
    if (error.status === 404) {
      return new ActionError(
        `Vault found nothing at ${path} while ${doing.doing} (404)${said}: check the mount and the path (a KV secret must be on a KV version 2 mount).`,
        { code: CODES.notFound, phase, cause: error }
      )
    }
    if (isCasMismatch(error)) {
      return new ActionError(
        `Vault refused ${doing.doing}${said}: another writer wrote ${path} since this run read it, and check-and-set keeps that write. Make one workflow write it (a concurrency group) and run again.`,
        { code: CODES.conflict, phase, cause: error }
      )
    }
    if (UNAVAILABLE.has(error.status)) {
      const sealed = error.errors.some(e => /sealed/i.test(e))
      return new ActionError(
        `Vault could not serve ${doing.doing} (${error.status})${said}${sealed ? ': Vault is sealed; unseal it and run again' : ''}.`,
        {
          code: CODES.unavailable,
          phase,
          retryable: doing.idempotent === true,
          cause: error
        }
      )
    }
    return new ActionError(`Vault refused ${doing.doing} (${error.status})${said}.`, {
      code: CODES.rejected,
      phase,
      cause: error
    })
  }
  return new ActionError(
    `${doing.doing} failed: ${error instanceof Error ? error.message : 'unknown error'}`,
    { code: 'internal', phase, cause: error }
  )
}

/** The code of a login refused or impossible, or of a token Vault no longer accepts. */
export const LOGIN_REFUSED: ErrorCode = CODES.auth

/** The code of a failure Vault may recover from. */
export const VAULT_UNAVAILABLE: ErrorCode = CODES.unavailable

/** The code of a capability the token's policy lacks. */
export const VAULT_FORBIDDEN: ErrorCode = CODES.forbidden

/** The code of a request Vault refused, or an answer the action cannot read. */
export const VAULT_REFUSED: ErrorCode = CODES.rejected

/** Vault's own words, on one line: ` (Vault: permission denied)`. */
export function vaultSaid(error: VaultResponseError): string {
  const said = error.errors
    .map(e =>
      e
        .replace(/\d+ errors? occurred:/, '')
        .replace(/[\s*]+/g, ' ')
        .trim()
    )
    .filter(e => e !== '')
  return said.length > 0 ? ` (Vault: ${said.join('; ')})` : ''
}

/** True when Vault refused the token itself (expired, revoked, unknown). */
export function isInvalidToken(error: unknown): boolean {
  return (
    error instanceof VaultResponseError &&
    error.status === 403 &&
    error.errors.some(e => /invalid token|token.*(expired|revoked)/i.test(e))
  )
}

/** True when Vault answered with a check-and-set mismatch (KV v2 `options.cas`). */
export function isCasMismatch(error: unknown): boolean {
  return (
    error instanceof VaultResponseError &&
    error.status === 400 &&
    error.errors.some(e => /check-and-set/i.test(e))
  )
}
