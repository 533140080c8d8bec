/**
 * The request pipeline of `/api/v4`: route matching on path segments decoded once (so
 * `acme%2Fapp` is one segment), then authentication as GitLab's API guard does it, in its order:
 * unknown token (`{"message":"401 Unauthorized"}`), expired and revoked tokens (OAuth2 bearer
 * errors, `{"error":"invalid_token",...}` with `WWW-Authenticate`), a revoked token presented on a
 * rotate path revoking its family, `last_used_at`, and finally the endpoint's scopes (403
 * `{"error":"insufficient_scope",...}`).
 */
import type { KernelRequest } from '../kernel/index.js'
import type { GitLabModel, ResourceKind, ResourceRecord, TokenRecord, UserRecord } from './model.js'
import {
  type ApiReply,
  GitLabError,
  type Params,
  notFound,
  readParams,
  unauthorized
} from './wire.js'

/**
 * Which scopes an endpoint accepts. `registered` is the list GitLab names in the 403 body: the
 * endpoint class's own scopes followed by the API-wide `api read_api`, duplicates kept.
 */
export interface ScopeRule {
  readonly registered: readonly string[]
  allows(method: string, scopes: readonly string[]): boolean
}

const isRead = (method: string): boolean => method === 'GET' || method === 'HEAD'

/** The API-wide default: `api`, or `read_api` for GET and HEAD. */
export const DEFAULT_SCOPES: ScopeRule = {
  registered: ['api', 'read_api'],
  allows: (method, scopes) =>
    scopes.includes('api') || (isRead(method) && scopes.includes('read_api'))
}

/** `GET /user`: also `read_user`. */
export const USER_SCOPES: ScopeRule = {
  registered: ['read_user', 'api', 'read_api'],
  allows: (method, scopes) =>
    scopes.includes('api') ||
    (isRead(method) && (scopes.includes('read_api') || scopes.includes('read_user')))
}

/** Self-information and self-revocation: any token may see and revoke itself. */
export const ANY_SCOPE: ScopeRule = { registered: [], allows: () => true }

/** Self-rotation: `api` or `self_rotate` (GitLab 17.9). */
export const SELF_ROTATE_SCOPES: ScopeRule = {
  registered: ['api', 'self_rotate', 'api', 'read_api'],
  allows: (_method, scopes) => scopes.includes('api') || scopes.includes('self_rotate')
}

/** Everything a handler may use. */
export interface RequestContext {
  readonly method: string
  readonly params: Params
  readonly query: URLSearchParams
  /** Absolute URL of this path without query, for `Link` headers. */
  readonly selfUrl: string
  readonly now: Date
  readonly model: GitLabModel
  readonly token: TokenRecord
  readonly user: UserRecord
}

export type Handler = (ctx: RequestContext, args: readonly string[]) => ApiReply

export interface Route {
  readonly method: string
  readonly pattern: readonly string[]
  readonly scopes: ScopeRule
  readonly handler: Handler
}

/** A route for `path` below `/api/v4`; `:x` segments are passed to the handler in order. */
export function route(method: string, path: string, scopes: ScopeRule, handler: Handler): Route {
  return { method, pattern: path.split('/').filter(part => part !== ''), scopes, handler }
}

function match(pattern: readonly string[], segments: readonly string[]): string[] | undefined {
  if (pattern.length !== segments.length) return undefined
  const args: string[] = []
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index]
    if (segment === undefined) return undefined
    if (part.startsWith(':')) args.push(segment)
    else if (part !== segment) return undefined
  }
  return args
}

function bearerError(description: string): GitLabError {
  return new GitLabError(
    401,
    { error: 'invalid_token', error_description: description },
    {
      'www-authenticate': `Bearer realm="The API", error="invalid_token", error_description="${description}"`
    }
  )
}

/** The token a request carries: `PRIVATE-TOKEN`, `Authorization: Bearer`, or `private_token`. */
function presentedSecret(request: KernelRequest): string | undefined {
  const header = request.headers['private-token']
  if (typeof header === 'string' && header.trim() !== '') return header.trim()
  const authorization = request.headers.authorization
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  if (bearer?.[1] !== undefined) return bearer[1]
  const param = request.query.get('private_token')
  return param === null || param === '' ? undefined : param
}

/** GitLab only revokes a family when the revoked token is presented to a rotate endpoint. */
const ROTATION_PATH = /access_tokens\/(\d+|self)\/rotate$/

/** What a request ended as, plus the token it authenticated with (found, maybe refused). */
export interface Outcome {
  reply: ApiReply
  principal?: { readonly id: number; readonly name: string }
}

/** Runs one `/api/v4` request through routing, authentication and its handler. */
export function dispatch(
  routes: readonly Route[],
  request: KernelRequest,
  apiPath: string,
  model: GitLabModel,
  now: Date
): Outcome {
  let principal: Outcome['principal']
  try {
    const segments = apiPath
      .split('/')
      .filter(part => part !== '')
      .map(part => decodeURIComponent(part))
    let found: { route: Route; args: string[] } | undefined
    for (const candidate of routes) {
      if (candidate.method !== request.method) continue
      const args = match(candidate.pattern, segments)
      if (args !== undefined) {
        found = { route: candidate, args }
        break
      }
    }
    if (found === undefined) throw new GitLabError(404, { error: '404 Not Found' })

    const secret = presentedSecret(request)
    if (secret === undefined) throw unauthorized()
    const token = model.tokenBySecret(secret)
    if (token === undefined) throw unauthorized()
    principal = { id: token.id, name: token.name }
    if (model.isExpired(token, now)) {
      throw bearerError('Token is expired. You can either do re-authorization or token refresh.')
    }
    if (token.revoked) {
      if (ROTATION_PATH.test(request.path)) model.revokeDescendants(token)
      throw bearerError('Token was revoked. You have to re-authorize from the user.')
    }
    const user = model.user(token.userId)
    if (user === undefined) throw unauthorized()
    // GitLab records the use before it checks the endpoint's scopes.
    model.touch(token, now)
    if (!found.route.scopes.allows(request.method, token.scopes)) {
      throw new GitLabError(403, {
        error: 'insufficient_scope',
        error_description:
          'The request requires higher privileges than provided by the access token.',
        scope: found.route.scopes.registered.join(' ')
      })
    }
    const ctx: RequestContext = {
      method: request.method,
      params: readParams(request),
      query: request.query,
      selfUrl: `${request.url.origin}${request.url.pathname}`,
      now,
      model,
      token,
      user
    }
    return { reply: found.route.handler(ctx, found.args), principal }
  } catch (error: unknown) {
    if (error instanceof GitLabError) {
      return principal === undefined ? { reply: error.reply } : { reply: error.reply, principal }
    }
    if (error instanceof URIError) return { reply: { status: 400, body: { error: 'Bad Request' } } }
    throw error
  }
}

const RESOURCE_LABEL: Record<ResourceKind, string> = { project: 'Project', group: 'Group' }

/**
 * Finds the project or group of `:id` as the user may see it: unknown and invisible ones both
 * answer `404 Project Not Found` (`404 Group Not Found`), as GitLab does not tell them apart.
 */
export function findResource(
  ctx: RequestContext,
  kind: ResourceKind,
  idOrPath: string
): ResourceRecord {
  const resource = ctx.model.findResource(kind, idOrPath)
  if (resource === undefined) throw notFound(RESOURCE_LABEL[kind])
  if (!ctx.user.admin && ctx.model.accessLevel(ctx.user.id, resource) === 0) {
    throw notFound(RESOURCE_LABEL[kind])
  }
  return resource
}

/** The user's role in the resource; administrators count as owners. */
export function levelIn(ctx: RequestContext, resource: ResourceRecord): number {
  return ctx.user.admin ? 50 : ctx.model.accessLevel(ctx.user.id, resource)
}
