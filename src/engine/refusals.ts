import { ActionError } from '../errors.js'
import type { Assessment } from './assess.js'
import type { Store } from './ports.js'

type Stale = Extract<Assessment, { kind: 'stale' }>
type Blocked = Extract<Assessment, { kind: 'blocked' }>

/**
 * The input is not the live refresh token: another run rotated after this job read its secrets.
 * Re-sealing it over the live one would be the lockout itself, so nothing is written.
 */
export function staleError(found: Stale, store: Store): ActionError {
  const live = found.pending ?? found.current ?? 'unknown'
  return new ActionError(
    `The refresh-token input is stale: the record says ${store.description} now holds version ${live}, so another run rotated it after this job started. Nothing was minted or written. Re-run the workflow: a new job reads the current secret.`,
    { code: 'stale-input', phase: 'preflight' }
  )
}

/**
 * An earlier run minted a new refresh token (consuming this one) that never reached its secret.
 * Using the input again would be a reuse, which a rotating issuer answers by revoking the grant.
 */
export function blockedError(found: Blocked, store: Store): ActionError {
  const how = found.recoverable
    ? `That run logged a recovery ciphertext of it: open it with \`token-rotation recover\` (TOKEN_ROTATION_RECOVERY_PRIVATE_KEY set to the recovery private key), store the token in ${store.description}, and re-run.`
    : 'That run had no recovery-public-key, so the token is lost: re-authorize, store the new refresh token in the secret, and re-run.'
  return new ActionError(
    `The refresh token in the input was consumed by ${found.run}, which minted version ${found.pending} but stopped before writing it to ${store.description}. The input was not used again (a reuse revokes the grant). ${how}`,
    { code: 'resume-blocked', phase: 'preflight' }
  )
}
