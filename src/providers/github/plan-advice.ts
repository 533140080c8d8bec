import type { PublishConfig } from './config.js'
import type { ActionConfig } from '../../config/rotation-config.js'
import { targetsFromConfig } from './targets.js'

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

/** GitHub's documented budget for content-creating requests: about 80 a minute. */
const WRITES_PER_MINUTE = 80

/**
 * GitHub's documented budget for content-creating requests in an hour, the one limit a run checks
 * its plan against. A run cannot see what other runs of the same token spent; it can refuse a plan
 * whose own writes are more than the whole hour allows.
 * @see https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
 */
export const WRITES_PER_HOUR = 500

/**
 * Refuses, before anything is written, a plan whose writes exceed GitHub's hourly budget: GitHub
 * would refuse the rest with secondary rate limits, leaving some targets with the new value and
 * others without. Names the cheaper plan.
 * @param writes the secrets the plan writes (targets times secret names)
 * @returns the refusal, or undefined when the plan fits
 */
export function hourlyBudgetRefusal(
  config: PublishConfig,
  writes: number,
  budget: number = WRITES_PER_HOUR
): string | undefined {
  if (writes <= budget) return undefined
  const owners = [...new Set(config.repositories.map(ref => ref.owner.toLowerCase()))]
  const cheaper =
    config.environments.length > 0
      ? `Environment secrets cannot be shared: split the repositories over runs at least an hour apart, at most ${budget} writes each.`
      : `Cheaper: one organization secret shared with exactly these repositories costs 1 write per organization: set 'org: ${owners.length === 1 ? (config.repositories[0]?.owner ?? 'ORG') : 'ORG'}' and move the list to 'selected-repositories'${owners.length > 1 ? ` (one run per owner: ${owners.length} owners)` : ''}. Or split the repositories over runs at least an hour apart, at most ${budget} writes each.`
  return (
    `The plan writes ${writes} secrets, more than GitHub allows in an hour (about ${budget} content-creating requests, ` +
    `its secondary rate limit); GitHub would refuse the rest, and a client that keeps sending while refused risks being banned. ` +
    `Nothing was written. ${cheaper}`
  )
}

/**
 * Warns when the planned writes would run into GitHub's per-minute secondary rate limit. The
 * client honors it (it waits as GitHub asks), but a run that triggers it is slow and may be refused
 * for longer than it waits.
 * @param writes the number of targets to write
 */
export function pacingWarning(config: PublishConfig, writes: number): string | undefined {
  const perMinute = config.writeIntervalMs === 0 ? Infinity : 60_000 / config.writeIntervalMs
  if (writes > WRITES_PER_MINUTE && perMinute > WRITES_PER_MINUTE) {
    return (
      `${writes} writes at one every ${config.writeIntervalMs} ms exceed GitHub's budget of about ${WRITES_PER_MINUTE} ` +
      `content-creating requests a minute; expect secondary rate limits. Set 'write-interval' to 1s (GitHub's guidance).`
    )
  }
  return undefined
}

/** The secrets the run writes: each target once per secret name; none in modes that publish nothing. */
export function plannedWrites(config: ActionConfig): number {
  if (config.mode === 'verify' || config.mode === 'retire') return 0
  const names = (config.publish.secretName !== '' ? 1 : 0) + config.fieldMappings.length
  return targetsFromConfig(config.publish).length * names
}
