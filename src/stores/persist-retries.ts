import { backoffMs, type Backoff } from '../engine/backoff.js'
import type { Sleep } from '../engine/ports.js'
import { ActionError, describeError } from '../errors.js'
import type { Logger } from '../logger.js'

/** Attempts of a persist when the options do not say. */
export const DEFAULT_PERSIST_ATTEMPTS = 5

/** 2, 4, 8, 16 s between attempts, at most a minute. */
const PERSIST_BACKOFF: Backoff = { firstMs: 2000, longestMs: 60_000 }

/** What {@link persistWithRetries} needs. */
export interface PersistOptions {
  /** Writes the value once; throws an {@link ActionError}, `retryable` when it may heal. */
  write: () => Promise<void>
  /** Where the value goes, for messages: `secret X of owner/repo`. */
  where: string
  attempts: number
  sleep: Sleep
  log: Logger
}

/**
 * Writes the new credential, trying again when a failure may heal. Each client has retried its
 * requests already (5xx, dropped connections, throttling); this outer loop spans outages longer
 * than a client's own backoff, because a token the issuer has consumed cannot be minted again.
 * Repeating is safe: every attempt writes the same value (and, where the store has versions, the
 * same version).
 *
 * Only failures marked `retryable` are tried again; a refusal (no permission, no such secret)
 * cannot heal within a run, so it stops at once with its own error and advice.
 * @throws ActionError `persist-failed` naming where the value goes, when every attempt failed
 */
export async function persistWithRetries(options: PersistOptions): Promise<void> {
  const { write, where, attempts, sleep, log } = options
  for (let attempt = 1; ; attempt += 1) {
    try {
      await write()
      if (attempt > 1) log.info(`The new credential reached ${where} on attempt ${attempt}.`)
      return
    } catch (error) {
      const healable = error instanceof ActionError && error.retryable
      if (!healable) throw error
      if (attempt >= attempts) {
        throw new ActionError(
          `${capitalized(where)} could not be written in ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}; the last failed with: ${error.message}`,
          { code: 'persist-failed', phase: 'persist', cause: error }
        )
      }
      const waitMs = backoffMs(attempt, PERSIST_BACKOFF)
      log.warning(
        `Writing the new credential to ${where} failed (attempt ${attempt} of ${attempts}); trying again in ${waitMs / 1000} s. ${describeError(error)}`
      )
      await sleep(waitMs)
    }
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
