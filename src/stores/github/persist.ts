import type { Sleep } from '../../engine/ports.js'
import { ActionError, describeError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { RepositorySecret } from './secret.js'

/** Attempts of a persist when the options do not say. */
export const DEFAULT_PERSIST_ATTEMPTS = 5

const FIRST_WAIT_MS = 2000
const LONGEST_WAIT_MS = 60_000

/** The wait after failed attempt `attempt` (from 1): 2, 4, 8, 16 s, at most a minute. */
function persistWaitMs(attempt: number): number {
  return Math.min(FIRST_WAIT_MS * 2 ** (attempt - 1), LONGEST_WAIT_MS)
}

/** What {@link persistWithRetries} needs. */
export interface PersistOptions {
  secret: RepositorySecret
  /** `owner/repo`, for messages. */
  repository: string
  attempts: number
  sleep: Sleep
  log: Logger
}

/**
 * Writes the new refresh token, trying again when a failure may heal. The client has retried
 * each request already (5xx, dropped connections, rate limits); this outer loop spans outages
 * longer than the client's own backoff, because a token the issuer has consumed cannot be minted
 * again. Repeating is safe: every attempt writes the same value.
 *
 * Only failures `toGitHubError` marks retryable (GitHub unavailable, rate limited) are tried
 * again; 401, 403, 404 and 422 cannot heal within a run, so they stop at once with their own
 * error and advice.
 * @throws ActionError `persist-failed` naming the secret and the repository when every attempt
 *   failed
 */
export async function persistWithRetries(value: string, options: PersistOptions): Promise<void> {
  const { secret, repository, attempts, sleep, log } = options
  for (let attempt = 1; ; attempt += 1) {
    try {
      await secret.write(value, 'persist')
      if (attempt > 1)
        log.info(`Secret ${secret.name} of ${repository} written on attempt ${attempt}.`)
      return
    } catch (error) {
      const healable = error instanceof ActionError && error.retryable
      if (!healable) throw error
      if (attempt >= attempts) {
        throw new ActionError(
          `Secret ${secret.name} of ${repository} could not be written in ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}; the last failed with: ${error.message}`,
          { code: 'persist-failed', phase: 'persist', cause: error }
        )
      }
      const waitMs = persistWaitMs(attempt)
      log.warning(
        `Writing the new refresh token to secret ${secret.name} of ${repository} failed (attempt ${attempt} of ${attempts}); trying again in ${waitMs / 1000} s. ${describeError(error)}`
      )
      await sleep(waitMs)
    }
  }
}
