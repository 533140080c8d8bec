import type { PublishConfig } from '../config/publish-config.js'

/** From this many repositories of one owner on, the run suggests one organization secret instead. */
export const ORG_SECRET_SUGGESTION_THRESHOLD = 10

/**
 * When many repositories of one owner get the same repository secret, one organization secret
 * shared with exactly those repositories costs a few requests instead of two per repository (and
 * one write instead of one each, which is what GitHub's secondary rate limits count).
 */
export function orgSecretSuggestion(config: PublishConfig): string | undefined {
  const repositories = config.repositories
  if (
    config.org ||
    config.environments.length > 0 ||
    repositories.length < ORG_SECRET_SUGGESTION_THRESHOLD
  ) {
    return undefined
  }
  const owners = new Set(repositories.map(ref => ref.owner.toLowerCase()))
  if (owners.size !== 1) return undefined
  const owner = (repositories[0] as { owner: string }).owner
  const requests = 2 * repositories.length
  return (
    `All ${repositories.length} repositories belong to ${owner}. If ${owner} is an organization, one organization secret ` +
    `shared with exactly these repositories costs 1 write and a few reads (the organization's repository list, 100 a page) ` +
    `instead of ${requests} requests and ${repositories.length} writes: set 'org: ${owner}' and move the list to ` +
    `'selected-repositories'. Then delete the repository secrets of that name: a repository secret takes precedence ` +
    `over an organization secret with the same name.`
  )
}

/** GitHub's documented budget for content-creating requests: about 80 a minute and 500 an hour. */
const WRITES_PER_MINUTE = 80
const WRITES_PER_HOUR = 500

/**
 * Warns when the planned writes would run into GitHub's secondary rate limits. The client honors
 * them (it waits as GitHub asks), but a run that triggers them is slow and may be refused for
 * longer than it waits.
 * @param writes the number of targets to write
 */
export function pacingWarning(config: PublishConfig, writes: number): string | undefined {
  if (writes > WRITES_PER_HOUR) {
    return (
      `${writes} writes exceed GitHub's budget of about ${WRITES_PER_HOUR} content-creating requests an hour; ` +
      `expect secondary rate limits. Split the run, or use one organization secret with selected repositories.`
    )
  }
  const perMinute = config.writeIntervalMs === 0 ? Infinity : 60_000 / config.writeIntervalMs
  if (writes > WRITES_PER_MINUTE && perMinute > WRITES_PER_MINUTE) {
    return (
      `${writes} writes at one every ${config.writeIntervalMs} ms exceed GitHub's budget of about ${WRITES_PER_MINUTE} ` +
      `content-creating requests a minute; expect secondary rate limits. Set 'write-interval' to 1s (GitHub's guidance).`
    )
  }
  return undefined
}
