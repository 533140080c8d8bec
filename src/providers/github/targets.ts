import type { PublishConfig } from './config.js'
import type { OrgAccessRequest } from './org-access.js'
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
 * @param name the secret's name in each target; `secret-name` unless a field mapping names another
 */
export function targetsFromConfig(
  config: PublishConfig,
  name: string = config.secretName
): SecretTarget[] {
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
