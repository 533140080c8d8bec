import * as z from 'zod'
import { ActionError } from '../../errors.js'
import type { Visibility } from './config.js'
import type { GitHubClient } from './client.js'
import { hasStatus, parseAnswer, toGitHubError } from './request-errors.js'
import { repositoryName, type RepositoryRef } from './rules.js'
import { secretsPath, writePermission, type SecretScope } from './scopes.js'

type OrgScope = Extract<SecretScope, { kind: 'organization' }>

/** What the inputs ask of an organization secret's access; absent parts keep what GitHub has. */
export interface OrgAccessRequest {
  visibility?: Visibility
  selectedRepositories?: RepositoryRef[]
}

/** The access an organization secret is written with. */
export interface OrgAccess {
  visibility: Visibility
  /** Repository ids, for `selected` only. */
  selectedRepositoryIds?: number[]
  /** Whether the secret exists already (undefined when it was not read because the inputs decide all). */
  exists?: boolean
}

/** Up to this many selected repositories are resolved one by one; beyond it, by listing the org. */
const RESOLVE_ONE_BY_ONE = 3

const existingSecret = z.object({ visibility: z.enum(['all', 'private', 'selected']) })
const repositoryIdentity = z.object({ id: z.number(), name: z.string() })

/**
 * Decides the visibility and repository list to PUT. GitHub requires `visibility` on every write of
 * an org secret, so re-writing one must first read what it has, or it would silently widen or
 * narrow who can use it.
 */
export async function resolveOrgAccess(
  client: GitHubClient,
  scope: OrgScope,
  name: string,
  request: OrgAccessRequest
): Promise<OrgAccess> {
  const inputsDecideAll =
    request.visibility !== undefined &&
    (request.visibility !== 'selected' || request.selectedRepositories !== undefined)
  const existing = inputsDecideAll ? undefined : await readExisting(client, scope, name)

  const visibility = request.visibility ?? existing?.visibility ?? 'private'
  const access: OrgAccess = {
    visibility,
    ...(inputsDecideAll ? {} : { exists: existing !== null })
  }
  if (visibility !== 'selected') return access

  if (request.selectedRepositories) {
    access.selectedRepositoryIds = await resolveRepositoryIds(
      client,
      scope.org,
      request.selectedRepositories
    )
  } else if (existing?.visibility === 'selected') {
    access.selectedRepositoryIds = await listSelectedIds(client, scope, name)
  } else {
    // A secret shared with no repository is useless, and writing one would look like success.
    throw new ActionError(
      `Input 'selected-repositories': the organization secret ${name} in ${scope.org} would have visibility selected but no repositories; list the repositories that may use it, or choose visibility all or private.`,
      { code: 'invalid-input', phase: 'preflight' }
    )
  }
  return access
}

/** The existing secret's visibility, or null when the secret does not exist yet. */
async function readExisting(
  client: GitHubClient,
  scope: OrgScope,
  name: string
): Promise<{ visibility: Visibility } | null> {
  try {
    const response = await client.request(`GET ${secretsPath(scope)}/${encodeURIComponent(name)}`)
    return parseAnswer(
      existingSecret,
      response.data,
      `the organization secret ${name} in ${scope.org}`
    )
  } catch (error) {
    if (hasStatus(error, 404)) return null
    throw toGitHubError(error, {
      phase: 'preflight',
      doing: `reading the visibility of the organization secret ${name} in ${scope.org}`,
      permission: writePermission(scope)
    })
  }
}

async function listSelectedIds(
  client: GitHubClient,
  scope: OrgScope,
  name: string
): Promise<number[]> {
  try {
    const ids: number[] = []
    const route = `GET ${secretsPath(scope)}/${encodeURIComponent(name)}/repositories`
    for await (const page of client.paginate.iterator(route, { per_page: 100 })) {
      const repositories = parseAnswer(
        z.array(repositoryIdentity),
        page.data,
        `the repositories selected for ${name} in ${scope.org}`
      )
      for (const repository of repositories) ids.push(repository.id)
    }
    return ids
  } catch (error) {
    throw toGitHubError(error, {
      phase: 'preflight',
      doing: `listing the repositories selected for the organization secret ${name} in ${scope.org}`,
      permission: writePermission(scope)
    })
  }
}

/**
 * Resolves `owner/repo` names to the integer ids GitHub's API takes. A few are read one by one; more
 * are found by listing the organization's repositories, 100 a page, stopping once all are found.
 */
async function resolveRepositoryIds(
  client: GitHubClient,
  org: string,
  repositories: RepositoryRef[]
): Promise<number[]> {
  const wanted = new Map(repositories.map(ref => [ref.repo.toLowerCase(), ref]))
  const found = new Map<string, number>()
  try {
    if (repositories.length <= RESOLVE_ONE_BY_ONE) {
      await Promise.all(
        repositories.map(async ref => {
          try {
            const response = await client.request('GET /repos/{owner}/{repo}', {
              owner: ref.owner,
              repo: ref.repo
            })
            found.set(ref.repo.toLowerCase(), Number(response.data.id))
          } catch (error) {
            if (!hasStatus(error, 404)) throw error
          }
        })
      )
    } else {
      for await (const page of client.paginate.iterator('GET /orgs/{org}/repos', {
        org,
        per_page: 100
      })) {
        for (const repository of page.data) {
          const key = repository.name.toLowerCase()
          if (wanted.has(key)) found.set(key, Number(repository.id))
        }
        if (found.size === wanted.size) break
      }
    }
  } catch (error) {
    throw toGitHubError(error, {
      phase: 'preflight',
      doing: `resolving 'selected-repositories' in ${org}`
    })
  }
  const missing = [...wanted.entries()]
    .filter(([key]) => !found.has(key))
    .map(([, ref]) => repositoryName(ref))
  if (missing.length > 0) {
    throw new ActionError(
      `Input 'selected-repositories': ${missing.join(', ')} not found in ${org}, or not visible to the token in 'github-token'. Check the names and the token's repository access.`,
      { code: 'github-not-found', phase: 'preflight' }
    )
  }
  return repositories.map(ref => found.get(ref.repo.toLowerCase()) as number)
}
