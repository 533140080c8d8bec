import { ActionError } from '../errors.js'
import type { Assessment } from './assess.js'
import type { Issuer, Store } from './ports.js'

// The sentences a rotation reports: what it found, and what to do after a failure. Each one says
// what happened and what the user does next, and never holds a value.

/** The preflight step's detail for what the record said. */
export function describeAssessment(
  found: Assessment,
  store: Store | undefined,
  issuer: Issuer,
  /** Whether the issuer is given a credential to exchange (a refresh token), or mints from none. */
  exchanges = true
): string {
  switch (found.kind) {
    case 'first':
      return store
        ? 'no rotation recorded yet: first rotation'
        : `publishing the value ${issuer.source ? `of ${issuer.source}` : 'from the inputs'}`
    case 'normal':
      // A store that is read holds the live version itself; the GitHub store's record is compared.
      return store?.read
        ? `read the live version from ${store.description}; nothing half done`
        : exchanges
          ? 'the refresh token matches the record'
          : 'the record names no rotation half done'
    case 'resume':
      return `resuming the rotation of ${found.run}`
    case 'recovered':
      return `a token recovered from the ciphertext of ${found.run}: it becomes current`
    case 'uncertain':
      return `${found.run} stopped while minting: one attempt`
    default:
      return found.kind
  }
}

/** After an interrupted mint, a refused grant means the earlier run consumed the token. */
export function uncertainHint(error: ActionError, assessment: Assessment): ActionError {
  if (assessment.kind !== 'uncertain' || error.code !== 'reauthorization-needed') return error
  return new ActionError(
    `${error.message} (${assessment.run} stopped while exchanging this refresh token, so the issuer most likely consumed it then; if that run logged a recovery ciphertext, open it with token-rotation recover and store the token it holds)`,
    { code: error.code, phase: error.phase, cause: error }
  )
}

/** After a re-authorization the record still names the dead token: say how to start afresh. */
export function resetHint(error: ActionError, store: Store | undefined): ActionError {
  if (!store || error.code !== 'reauthorization-needed') return error
  return new ActionError(
    `${error.message} After storing a new refresh token, ${store.resetHint}, so the next run starts from it.`,
    { code: error.code, phase: error.phase, cause: error }
  )
}

export function persistFailure(
  error: ActionError,
  store: Store,
  ciphertext: string | undefined,
  recoveryConfigured: boolean
): ActionError {
  const recovery = ciphertext
    ? 'The new refresh token is in the recovery ciphertext above (and the recovery-ciphertext output): open it with `token-rotation recover` and store it in the secret before the next run.'
    : recoveryConfigured
      ? 'It could not be sealed for recovery either (see the warning above), so it is lost with this run: re-authorize and store the new refresh token.'
      : 'It is lost with this run (no recovery-public-key is set): re-authorize, store the new refresh token, and set recovery-public-key so this cannot lose one again.'
  return new ActionError(
    `The new refresh token could not be written to ${store.description}: ${error.message.replace(/\.$/, '')}. The old one is consumed. ${recovery}`,
    { code: 'persist-failed', phase: 'persist', cause: error }
  )
}
