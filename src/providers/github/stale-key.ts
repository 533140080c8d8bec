import type { PublicKey } from './public-keys.js'
import { hasStatus, toGitHubError, type RequestContext } from './request-errors.js'

/**
 * Runs a sealed write, and once more with a fresh key when GitHub refuses it with 422 and the key
 * did change meanwhile. GitHub does not document its answer to a stale `key_id`, so a 422 costs
 * one key read; the write is repeated only when that read shows another key.
 * @param put seals with the key it is given and writes
 * @param refresh reads the key again, bypassing the run's cache
 * @throws ActionError from {@link toGitHubError}, with `context`'s wording
 */
export async function writeWithFreshKey<T>(
  key: PublicKey,
  put: (key: PublicKey) => Promise<T>,
  refresh: () => Promise<PublicKey>,
  context: RequestContext,
  onKeyChanged?: () => void
): Promise<T> {
  try {
    return await put(key)
  } catch (error) {
    if (!hasStatus(error, 422)) throw toGitHubError(error, context)
    const fresh = await refresh()
    if (fresh.key_id === key.key_id) throw toGitHubError(error, context)
    onKeyChanged?.()
    try {
      return await put(fresh)
    } catch (retryError) {
      throw toGitHubError(retryError, context)
    }
  }
}
