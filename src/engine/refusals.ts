import { ActionError } from '../errors.js'
import type { Assessment } from './assess.js'
import type { Store } from './ports.js'

type Stale = Extract<Assessment, { kind: 'stale' }>
type Blocked = Extract<Assessment, { kind: 'blocked' }>
type Interrupted = Extract<Assessment, { kind: 'interrupted' }>
type Busy = Extract<Assessment, { kind: 'busy' }>

/**
 * The input is not the live refresh token: another run rotated after this job read its secrets.
 * Re-sealing it over the live one would be the lockout itself, so nothing is written.
 */
export function staleError(found: Stale, store: Store): ActionError {
  const live = found.pending ?? found.current ?? 'unknown'
  return new ActionError(
    `The refresh-token input is stale: the record says ${store.description} now holds version ${live}, so another run rotated it after this job started. Nothing was minted or written. If no rotation is running, re-run the workflow: a new job reads the current secret. If you re-authorized and stored a new refresh token yourself, ${store.resetHint}, and re-run.`,
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
    : `That run had no recovery-public-key, so the token is lost: re-authorize, store the new refresh token in the secret, ${store.resetHint}, and re-run.`
  return new ActionError(
    `The refresh token in the input was consumed by ${found.run}, which minted version ${found.pending} but stopped before writing it to ${store.description}. The input was not used again (a reuse revokes the grant). ${how}`,
    { code: 'resume-blocked', phase: 'preflight' }
  )
}

/**
 * An earlier run with a recovery key stopped while exchanging the input. If the issuer answered,
 * the new token is sealed in that run's log and the input is consumed: one more attempt would be a
 * reuse that revokes the grant, and the sealed token with it. Only the log can tell.
 */
export function interruptedError(found: Interrupted, store: Store): ActionError {
  return new ActionError(
    `${found.run} stopped while exchanging this refresh token, so the OAuth2 server may already have replaced it; the input was not used (a reuse revokes the grant). Look in that run's log for "Recovery ciphertext": if it is there, open it with \`token-rotation recover\` (TOKEN_ROTATION_RECOVERY_PRIVATE_KEY set to the recovery private key), store the token in ${store.description}, and re-run: the next run takes it as current. If it is not there, the answer never arrived: ${store.resetHint} and re-run, and the next run tries this refresh token once.`,
    { code: 'resume-blocked', phase: 'preflight' }
  )
}

/**
 * Another run marked that it is minting, and its lease on the lock has not ended: it may be
 * exchanging the refresh token right now. Taking its mark for "stopped" and trying the token would
 * be the reuse that revokes the grant, so nothing is used and nothing is written.
 */
export function busyError(found: Busy, store: Store): ActionError {
  return new ActionError(
    `${found.run} marked in the rotation record that it is ${found.doing === 'minting' ? 'exchanging the refresh token' : 'publishing and checking the refresh token it minted for'} of ${store.description}, and its lease on the lock lasts until ${found.until} (the lock's clock): that run may still be ${found.doing}, even though this run got the lock (the lock was deleted or overwritten while it was held). Nothing was minted or written. Run again after ${found.until}: if that run stopped, the next run then ${found.doing === 'minting' ? 'reads its mark as an interrupted mint' : 'resumes from the version it minted'}.`,
    { code: 'locked', phase: 'preflight' }
  )
}
