import { ActionError, describeError, type Phase } from '../errors.js'

/** Any thrown value as an ActionError of `phase`; ours keep their own code and phase. */
export function asActionError(error: unknown, phase: Phase): ActionError {
  if (error instanceof ActionError) return error
  return new ActionError(describeError(error), { code: 'internal', phase, cause: error })
}
