import type { PublishConfig } from '../config/publish-config.js'
import type { OrgAccessRequest } from './org-access.js'
import { repositoryName } from './rules.js'
import type { SecretScope } from './scopes.js'

/** One secret to write in one scope. */
export interface SecretTarget {
  scope: SecretScope
  name: string
  /** For an organization secret: the access the inputs ask for. */
  access?: OrgAccessRequest
}

/**
 * The targets a configuration names, in the order they are reported: the organization secret
 * first, then each repository, or each environment of each repository.
 */
export function targetsFromConfig(config: PublishConfig): SecretTarget[] {
  const name = config.secretName
  const targets: SecretTarget[] = []
  if (config.org) {
    const { login, visibility, selectedRepositories } = config.org
    targets.push({
      scope: { kind: 'organization', type: config.secretType, org: login },
      name,
      access: {
        ...(visibility ? { visibility } : {}),
        ...(selectedRepositories ? { selectedRepositories } : {})
      }
    })
  }
  for (const repository of config.repositories) {
    if (config.environments.length === 0) {
      targets.push({ scope: { kind: 'repository', type: config.secretType, repository }, name })
      continue
    }
    for (const environment of config.environments) {
      targets.push({
        scope: { kind: 'environment', type: 'actions', repository, environment },
        name
      })
    }
  }
  return targets
}

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
  const pages = Math.ceil(repositories.length / 100)
  return (
    `All ${repositories.length} repositories belong to ${owner}. If ${owner} is an organization, one organization secret ` +
    `shared with exactly these repositories costs about ${pages + 3} requests and 1 write instead of ${requests} requests and ` +
    `${repositories.length} writes: set 'org: ${owner}' and move the list to 'selected-repositories' ` +
    `(for example ${repositoryName(repositories[0] as { owner: string; repo: string })}).`
  )
}
