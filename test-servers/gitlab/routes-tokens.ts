/**
 * Token endpoints: personal access tokens (`/personal_access_tokens`, `self`, rotate, revoke,
 * and the administrator's `POST /users/:id/personal_access_tokens`), project and group access
 * tokens (`/projects/:id/access_tokens`, `/groups/:id/access_tokens`: list, get, create, rotate,
 * self-rotate, revoke) and `GET /user`. A token's value appears only in create and rotate answers.
 */
import {
  ANY_SCOPE,
  DEFAULT_SCOPES,
  type RequestContext,
  type Route,
  SELF_ROTATE_SCOPES,
  USER_SCOPES,
  findResource,
  levelIn,
  route
} from './api.js'
import {
  ACCESS_LEVELS,
  type ResourceKind,
  type ResourceRecord,
  type TokenRecord,
  TokenRuleError
} from './model.js'
import {
  type ApiReply,
  GitLabError,
  badRequest,
  booleanParam,
  dateParam,
  dateTimeParam,
  integerParam,
  notAllowed,
  notFound,
  paginate,
  paramError,
  stringArrayParam,
  stringParam,
  unauthorized
} from './wire.js'

/** Scopes a project or group access token may hold (`Gitlab::Auth.resource_bot_scopes`). */
export const RESOURCE_BOT_SCOPES: readonly string[] = [
  'api',
  'read_api',
  'read_repository',
  'write_repository',
  'read_registry',
  'write_registry',
  'read_virtual_registry',
  'write_virtual_registry',
  'create_runner',
  'manage_runner',
  'k8s_proxy',
  'ai_features',
  'self_rotate',
  'read_observability',
  'write_observability'
]

/** Scopes a personal access token may hold. */
export const PERSONAL_SCOPES: readonly string[] = [
  ...RESOURCE_BOT_SCOPES,
  'read_user',
  'sudo',
  'admin_mode',
  'read_service_ping'
]

const RESOURCE_LEVELS: readonly number[] = Object.values(ACCESS_LEVELS)

/** `Entities::PersonalAccessToken`. */
export function tokenEntity(ctx: RequestContext, token: TokenRecord): Record<string, unknown> {
  return {
    id: token.id,
    name: token.name,
    revoked: token.revoked,
    created_at: token.createdAt.toISOString(),
    description: token.description,
    scopes: [...token.scopes],
    user_id: token.userId,
    last_used_at: token.lastUsedAt === null ? null : token.lastUsedAt.toISOString(),
    active: ctx.model.isActive(token, ctx.now),
    expires_at: token.expiresAt
  }
}

/** `Entities::ResourceAccessToken`: adds the bot's role and the owning resource. */
function resourceTokenEntity(
  ctx: RequestContext,
  token: TokenRecord,
  resource: ResourceRecord
): Record<string, unknown> {
  return {
    ...tokenEntity(ctx, token),
    access_level: ctx.model.accessLevel(token.userId, resource),
    resource_type: resource.kind,
    resource_id: resource.id
  }
}

function withValue(entity: Record<string, unknown>, token: TokenRecord): Record<string, unknown> {
  return { ...entity, token: token.secret }
}

/** Applies the documented list filters and sort (`PersonalAccessTokensFinder`). */
function filterTokens(ctx: RequestContext, tokens: TokenRecord[]): TokenRecord[] {
  const { params, now, model } = ctx
  const revoked = booleanParam(params, 'revoked')
  const state = stringParam(params, 'state')
  if (state !== undefined && state !== 'active' && state !== 'inactive') {
    throw paramError(['state does not have a valid value'])
  }
  const search = stringParam(params, 'search')?.toLowerCase()
  const createdBefore = dateTimeParam(params, 'created_before')
  const createdAfter = dateTimeParam(params, 'created_after')
  const lastUsedBefore = dateTimeParam(params, 'last_used_before')
  const lastUsedAfter = dateTimeParam(params, 'last_used_after')
  const expiresBefore = dateParam(params, 'expires_before')
  const expiresAfter = dateParam(params, 'expires_after')
  const selected = tokens.filter(token => {
    if (revoked !== undefined && token.revoked !== revoked) return false
    if (state === 'active' && !model.isActive(token, now)) return false
    if (state === 'inactive' && model.isActive(token, now)) return false
    if (search !== undefined && !token.name.toLowerCase().includes(search)) return false
    if (createdBefore !== undefined && !(token.createdAt < createdBefore)) return false
    if (createdAfter !== undefined && !(token.createdAt > createdAfter)) return false
    if (
      lastUsedBefore !== undefined &&
      !(token.lastUsedAt !== null && token.lastUsedAt <= lastUsedBefore)
    ) {
      return false
    }
    if (
      lastUsedAfter !== undefined &&
      !(token.lastUsedAt !== null && token.lastUsedAt >= lastUsedAfter)
    ) {
      return false
    }
    if (
      expiresBefore !== undefined &&
      !(token.expiresAt !== null && token.expiresAt < expiresBefore)
    ) {
      return false
    }
    if (
      expiresAfter !== undefined &&
      !(token.expiresAt !== null && token.expiresAt >= expiresAfter)
    ) {
      return false
    }
    return true
  })
  const sort = stringParam(params, 'sort')
  const compare = (a: string | number | null, b: string | number | null): number =>
    a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1
  const sorters: Record<string, (a: TokenRecord, b: TokenRecord) => number> = {
    created_asc: (a, b) => compare(a.createdAt.getTime(), b.createdAt.getTime()) || a.id - b.id,
    created_desc: (a, b) => compare(b.createdAt.getTime(), a.createdAt.getTime()) || b.id - a.id,
    name_asc: (a, b) => compare(a.name, b.name) || a.id - b.id,
    name_desc: (a, b) => compare(b.name, a.name) || b.id - a.id,
    expires_asc: (a, b) => compare(a.expiresAt, b.expiresAt) || b.id - a.id,
    expires_desc: (a, b) => compare(b.expiresAt, a.expiresAt) || b.id - a.id,
    last_used_asc: (a, b) =>
      compare(a.lastUsedAt?.getTime() ?? null, b.lastUsedAt?.getTime() ?? null) || b.id - a.id,
    last_used_desc: (a, b) =>
      compare(b.lastUsedAt?.getTime() ?? null, a.lastUsedAt?.getTime() ?? null) || b.id - a.id
  }
  const sorter = sort === undefined ? undefined : sorters[sort]
  return [...selected].sort(sorter ?? ((a, b) => a.id - b.id))
}

function listReply(ctx: RequestContext, items: readonly unknown[]): ApiReply {
  const page = paginate(items, ctx.params, ctx.selfUrl, ctx.query)
  return { status: 200, body: page.items, headers: page.headers }
}

/** Runs a rotation and turns GitLab's service errors into `400 Bad request - <message>`. */
function rotateOrRefuse(ctx: RequestContext, token: TokenRecord): TokenRecord {
  const expiresAt = dateParam(ctx.params, 'expires_at')
  try {
    return ctx.model.rotate(token, expiresAt, ctx.now)
  } catch (error: unknown) {
    if (error instanceof TokenRuleError) throw badRequest(error.message)
    throw error
  }
}

function ownsOrAdmin(ctx: RequestContext, token: TokenRecord): boolean {
  return ctx.user.admin || token.userId === ctx.user.id
}

/** GitLab tells only administrators that a token does not exist; others get 401. */
function missingToken(ctx: RequestContext): GitLabError {
  return ctx.user.admin ? notFound() : unauthorized()
}

function tokenId(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined
}

// ---- personal access tokens ----

const personalRoutes: Route[] = [
  route('GET', '/user', USER_SCOPES, ctx => ({
    status: 200,
    body: {
      id: ctx.user.id,
      username: ctx.user.username,
      name: ctx.user.name,
      state: 'active',
      locked: false,
      avatar_url: null,
      web_url: `${new URL(ctx.selfUrl).origin}/${ctx.user.username}`,
      created_at: ctx.user.createdAt.toISOString(),
      bot: ctx.user.bot,
      is_admin: ctx.user.admin
    }
  })),

  route('GET', '/personal_access_tokens', DEFAULT_SCOPES, ctx => {
    const userId = integerParam(ctx.params, 'user_id')
    let owner: number | undefined = ctx.user.id
    if (ctx.user.admin) {
      if (userId !== undefined && ctx.model.user(userId) === undefined) throw notFound()
      owner = userId
    } else if (userId !== undefined && userId !== ctx.user.id) {
      throw unauthorized()
    }
    const tokens = ctx.model.tokens().filter(token => owner === undefined || token.userId === owner)
    return listReply(
      ctx,
      filterTokens(ctx, tokens).map(token => tokenEntity(ctx, token))
    )
  }),

  route('GET', '/personal_access_tokens/self', ANY_SCOPE, ctx => ({
    status: 200,
    body: tokenEntity(ctx, ctx.token)
  })),

  route('GET', '/personal_access_tokens/:id', DEFAULT_SCOPES, (ctx, [id = '']) => {
    const token = ctx.model.token(tokenId(id) ?? -1)
    if (token === undefined) throw missingToken(ctx)
    if (!ownsOrAdmin(ctx, token)) throw unauthorized()
    return { status: 200, body: tokenEntity(ctx, token) }
  }),

  route('POST', '/personal_access_tokens/self/rotate', SELF_ROTATE_SCOPES, ctx => {
    const rotated = rotateOrRefuse(ctx, ctx.token)
    return { status: 200, body: withValue(tokenEntity(ctx, rotated), rotated) }
  }),

  route('POST', '/personal_access_tokens/:id/rotate', DEFAULT_SCOPES, (ctx, [id = '']) => {
    const token = ctx.model.token(tokenId(id) ?? -1)
    if (token === undefined || !ownsOrAdmin(ctx, token)) throw missingToken(ctx)
    const rotated = rotateOrRefuse(ctx, token)
    return { status: 200, body: withValue(tokenEntity(ctx, rotated), rotated) }
  }),

  route('DELETE', '/personal_access_tokens/self', ANY_SCOPE, ctx => {
    ctx.token.revoked = true
    return { status: 204 }
  }),

  route('DELETE', '/personal_access_tokens/:id', DEFAULT_SCOPES, (ctx, [id = '']) => {
    const token = ctx.model.token(tokenId(id) ?? -1)
    if (token === undefined) throw notFound()
    // RevokeService refuses without a message: `400 Bad request`.
    if (!ownsOrAdmin(ctx, token)) throw badRequest()
    token.revoked = true
    return { status: 204 }
  }),

  route('POST', '/users/:user_id/personal_access_tokens', DEFAULT_SCOPES, (ctx, [userId = '']) => {
    const target = ctx.model.user(tokenId(userId) ?? -1)
    if (!ctx.user.admin) throw new GitLabError(403, { message: '403 Forbidden' })
    if (target === undefined) throw notFound('User')
    const { name, scopes, expiresAt, description } = readCreateParams(ctx, PERSONAL_SCOPES)
    const token = createOrRefuse(() => {
      ctx.model.checkLifetime(expiresAt, ctx.now)
      return ctx.model.createToken(
        { userId: target.id, name, scopes, expiresAt, description },
        ctx.now
      )
    })
    return { status: 201, body: withValue(tokenEntity(ctx, token), token) }
  })
]

interface CreateParams {
  name: string
  scopes: string[]
  expiresAt: string | null
  description: string | null
}

/** `name`, `scopes` (required), `expires_at`, `description`, with Grape's messages. */
function readCreateParams(ctx: RequestContext, allowedScopes: readonly string[]): CreateParams {
  const name = stringParam(ctx.params, 'name')
  const scopes = stringArrayParam(ctx.params, 'scopes')
  const missing: string[] = []
  if (name === undefined) missing.push('name is missing')
  if (scopes === undefined) missing.push('scopes is missing')
  if (scopes === undefined || name === undefined) throw paramError(missing)
  if (scopes.length === 0 || scopes.some(scope => !allowedScopes.includes(scope))) {
    throw paramError(['scopes does not have a valid value'])
  }
  const expiresAt = dateParam(ctx.params, 'expires_at') ?? ctx.model.defaultCreateExpiry(ctx.now)
  return { name, scopes, expiresAt, description: stringParam(ctx.params, 'description') ?? null }
}

/** Runs a creation and turns GitLab's model errors into `400 Bad request - <message>`. */
function createOrRefuse(create: () => TokenRecord): TokenRecord {
  try {
    return create()
  } catch (error: unknown) {
    if (error instanceof TokenRuleError) throw badRequest(error.message)
    throw error
  }
}

// ---- project and group access tokens ----

/**
 * Who may manage a resource's access tokens: a Maintainer of a project, an Owner of a group
 * (`manage_resource_access_tokens`), and never a bot.
 */
function canManage(ctx: RequestContext, resource: ResourceRecord): boolean {
  if (ctx.user.bot) return false
  const needed = resource.kind === 'project' ? ACCESS_LEVELS.maintainer : ACCESS_LEVELS.owner
  return levelIn(ctx, resource) >= needed
}

function resourceToken(
  ctx: RequestContext,
  resource: ResourceRecord,
  idText: string
): TokenRecord | undefined {
  const token = ctx.model.token(tokenId(idText) ?? -1)
  if (token?.resource?.kind !== resource.kind || token.resource.id !== resource.id) return undefined
  return token
}

function resourceRoutes(kind: ResourceKind): Route[] {
  const base = `/${kind}s/:id/access_tokens`
  const label = `${kind} Access Token`
  return [
    route('GET', base, DEFAULT_SCOPES, (ctx, [id = '']) => {
      const resource = findResource(ctx, kind, id)
      if (!canManage(ctx, resource)) throw unauthorized()
      const tokens = ctx.model
        .tokens()
        .filter(token => token.resource?.kind === kind && token.resource.id === resource.id)
      return listReply(
        ctx,
        filterTokens(ctx, tokens).map(token => resourceTokenEntity(ctx, token, resource))
      )
    }),

    route('GET', `${base}/:token_id`, DEFAULT_SCOPES, (ctx, [id = '', tokenIdText = '']) => {
      const resource = findResource(ctx, kind, id)
      if (!canManage(ctx, resource)) throw unauthorized()
      const token = resourceToken(ctx, resource, tokenIdText)
      if (token === undefined) throw notFound(label)
      return { status: 200, body: resourceTokenEntity(ctx, token, resource) }
    }),

    route('POST', base, DEFAULT_SCOPES, (ctx, [id = '']) => {
      const resource = findResource(ctx, kind, id)
      const { name, scopes, expiresAt, description } = readCreateParams(ctx, RESOURCE_BOT_SCOPES)
      const accessLevel = integerParam(ctx.params, 'access_level') ?? ACCESS_LEVELS.maintainer
      if (!RESOURCE_LEVELS.includes(accessLevel)) {
        throw paramError(['access_level does not have a valid value'])
      }
      if (!canManage(ctx, resource)) {
        throw badRequest(`User does not have permission to create ${kind} access token`)
      }
      if (!ctx.user.admin && accessLevel > levelIn(ctx, resource)) {
        throw badRequest(
          'Access level of the token contains permissions not held by the creating user'
        )
      }
      const token = createOrRefuse(() => {
        ctx.model.checkLifetime(expiresAt, ctx.now)
        const bot = ctx.model.addUser(
          {
            username: `${kind}_${resource.id}_bot_${ctx.model.tokens().length + 1}`,
            name,
            bot: true
          },
          ctx.now
        )
        ctx.model.setMembership(bot.id, resource, accessLevel)
        return ctx.model.createToken(
          { userId: bot.id, name, scopes, expiresAt, description, resource },
          ctx.now
        )
      })
      return { status: 201, body: withValue(resourceTokenEntity(ctx, token, resource), token) }
    }),

    route('POST', `${base}/self/rotate`, SELF_ROTATE_SCOPES, (ctx, [id = '']) => {
      if (!ctx.user.bot) throw notAllowed()
      const resource = findResource(ctx, kind, id)
      const token = resourceToken(ctx, resource, String(ctx.token.id))
      if (token === undefined) throw unauthorized()
      const rotated = rotateOrRefuse(ctx, token)
      return {
        status: 200,
        body: withValue(resourceTokenEntity(ctx, rotated, resource), rotated)
      }
    }),

    route(
      'POST',
      `${base}/:token_id/rotate`,
      DEFAULT_SCOPES,
      (ctx, [id = '', tokenIdText = '']) => {
        const resource = findResource(ctx, kind, id)
        const token = canManage(ctx, resource)
          ? resourceToken(ctx, resource, tokenIdText)
          : undefined
        if (token === undefined) throw missingToken(ctx)
        // A user may not mint a token with a role above their own.
        if (
          !ctx.user.admin &&
          ctx.model.accessLevel(token.userId, resource) > levelIn(ctx, resource)
        ) {
          throw badRequest('Not eligible to rotate tokens with permissions not held by the user')
        }
        const rotated = rotateOrRefuse(ctx, token)
        return {
          status: 200,
          body: withValue(resourceTokenEntity(ctx, rotated, resource), rotated)
        }
      }
    ),

    route('DELETE', `${base}/:token_id`, DEFAULT_SCOPES, (ctx, [id = '', tokenIdText = '']) => {
      const resource = findResource(ctx, kind, id)
      const token = resourceToken(ctx, resource, tokenIdText)
      if (token === undefined) throw notFound(label)
      if (!canManage(ctx, resource)) {
        const bot = ctx.model.user(token.userId)
        throw badRequest(`${ctx.user.name} cannot delete ${bot?.username ?? 'the bot user'}`)
      }
      token.revoked = true
      return { status: 204 }
    })
  ]
}

/** Every token route. */
export const tokenRoutes: readonly Route[] = [
  ...personalRoutes,
  ...resourceRoutes('project'),
  ...resourceRoutes('group')
]
