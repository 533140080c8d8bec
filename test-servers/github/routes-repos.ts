/**
 * Repositories, organizations and environments: what a client reads to find its targets and to
 * check that they exist before writing.
 */
import { type ApiResponse, notFound, paginate } from './http.js'
import { environmentJson, organizationJson, repoJson } from './json.js'
import type { Owner, Repo } from './model.js'
import { type Params, type RequestContext, type Route, route } from './router.js'

const PAGE = { defaultPerPage: 30, maxPerPage: 100 }

/** The repository named by `:owner/:repo`, or 404. */
export function findRepo(ctx: RequestContext, params: Params): Repo {
  const repo = ctx.model.findRepo(params.get('owner'), params.get('repo'))
  if (repo === undefined) throw notFound()
  return repo
}

function findOrg(ctx: RequestContext, login: string): Owner {
  const org = ctx.model.findOwner(login)
  if (org?.type !== 'Organization') throw notFound()
  return org
}

function compareBy<T>(key: (item: T) => string | number): (a: T, b: T) => number {
  return (a, b) => {
    const left = key(a)
    const right = key(b)
    return left < right ? -1 : left > right ? 1 : 0
  }
}

/**
 * `GET /orgs/{org}/repos`: GitHub sorts by `created` by default, newest first, and by
 * `full_name` ascending when asked; `type` filters public or private ones.
 */
function listOrgRepos(ctx: RequestContext, params: Params): ApiResponse {
  const org = findOrg(ctx, params.get('org'))
  const type = ctx.query.get('type') ?? 'all'
  const sort = ctx.query.get('sort') ?? 'created'
  const direction = ctx.query.get('direction') ?? (sort === 'full_name' ? 'asc' : 'desc')
  const repos = ctx.model.reposOf(org).filter(repo => {
    if (type === 'public') return !repo.private
    if (type === 'private') return repo.private
    return true
  })
  // Creation order stands in for created/updated/pushed times, which tie within a second.
  const sorted =
    sort === 'full_name' ? [...repos].sort(compareBy(repo => repo.name.toLowerCase())) : [...repos]
  if (direction === 'desc') sorted.reverse()
  const page = paginate(sorted, ctx.query, PAGE, `${ctx.baseUrl}/orgs/${org.login}/repos`)
  return {
    status: 200,
    body: page.items.map(repo => repoJson(repo, ctx.baseUrl)),
    headers: page.headers
  }
}

function listEnvironments(ctx: RequestContext, params: Params): ApiResponse {
  const repo = findRepo(ctx, params)
  const environments = [...repo.environments.values()]
  const page = paginate(
    environments,
    ctx.query,
    PAGE,
    `${ctx.baseUrl}/repos/${repo.owner.login}/${repo.name}/environments`
  )
  return {
    status: 200,
    body: {
      total_count: environments.length,
      environments: page.items.map(environment => environmentJson(repo, environment, ctx.baseUrl))
    },
    headers: page.headers
  }
}

export const repoRoutes: readonly Route[] = [
  route('GET', '/repos/:owner/:repo', (ctx, params) => ({
    status: 200,
    body: repoJson(findRepo(ctx, params), ctx.baseUrl)
  })),
  route('GET', '/orgs/:org', (ctx, params) => ({
    status: 200,
    body: organizationJson(findOrg(ctx, params.get('org')), ctx.baseUrl)
  })),
  route('GET', '/orgs/:org/repos', listOrgRepos),
  route('GET', '/repos/:owner/:repo/environments', listEnvironments),
  route('GET', '/repos/:owner/:repo/environments/:environment', (ctx, params) => {
    const repo = findRepo(ctx, params)
    const environment = repo.environments.get(params.get('environment').toLowerCase())
    if (environment === undefined) throw notFound()
    return { status: 200, body: environmentJson(repo, environment, ctx.baseUrl) }
  })
]
