/**
 * Secrets of all five scopes (repository, environment and organization Actions secrets,
 * repository and organization Dependabot secrets): public key, list, get, put, delete, and the
 * selected-repositories endpoints of organization secrets.
 */
import {
  ApiError,
  type ApiResponse,
  invalidRequest,
  notFound,
  paginate,
  requireObjectBody
} from './http.js'
import { repoJson } from './json.js'
import type { ResolvedScope, SecretAccess } from './model.js'
import type { RequestContext } from './router.js'
import type { ParsedSecretPath } from './scope-path.js'
import type { SecretVisibility, StoredSecret } from './types.js'

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** The pattern GitHub checks `encrypted_value` against (standard base64, padded, non-empty). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/
const MAX_SECRET_BYTES = 48 * 1024
const VISIBILITIES: readonly SecretVisibility[] = ['all', 'private', 'selected']
const PAGE = { defaultPerPage: 30, maxPerPage: 100 }

function isVisibility(value: unknown): value is SecretVisibility {
  return VISIBILITIES.some(visibility => visibility === value)
}

function secretJson(scope: ResolvedScope, secret: StoredSecret, baseUrl: string): unknown {
  const json: Record<string, unknown> = {
    name: secret.name,
    created_at: secret.created_at,
    updated_at: secret.updated_at
  }
  if (scope.org !== undefined) {
    json.visibility = secret.visibility ?? 'all'
    if (secret.visibility === 'selected') {
      json.selected_repositories_url = `${baseUrl}${scope.collectionPath}/${secret.name}/repositories`
    }
  }
  return json
}

/**
 * Reads `selected_repository_ids`. Actions wants integers; Dependabot's schema also allows
 * numeric strings. Every id must be a repository of the organization.
 */
function parseRepositoryIds(scope: ResolvedScope, ctx: RequestContext, raw: unknown): number[] {
  if (!Array.isArray(raw)) {
    throw invalidRequest(`For 'properties/selected_repository_ids', the value is not an array.`)
  }
  const ids = new Set<number>()
  for (const item of raw as unknown[]) {
    if (typeof item === 'number' && Number.isSafeInteger(item)) ids.add(item)
    else if (scope.app === 'dependabot' && typeof item === 'string' && /^\d+$/.test(item)) {
      ids.add(Number(item))
    } else {
      throw invalidRequest(`For 'items', ${JSON.stringify(item)} is not an integer.`)
    }
  }
  for (const id of ids) {
    if (ctx.model.repoById(id)?.owner !== scope.org) {
      throw new ApiError(
        422,
        `Bad request - repository ${id} does not exist in organization ${scope.org?.login ?? ''}`
      )
    }
  }
  return [...ids]
}

/** Organization secrets need `visibility` on every PUT; `selected` may carry repository ids. */
function parseAccess(
  ctx: RequestContext,
  scope: ResolvedScope,
  body: Record<string, unknown>,
  existing: StoredSecret | undefined
): SecretAccess {
  const visibility = body.visibility
  if (visibility === undefined) throw invalidRequest(`"visibility" wasn't supplied.`)
  if (!isVisibility(visibility)) {
    throw invalidRequest(
      `For 'properties/visibility', ${JSON.stringify(visibility)} is not one of ["all", "private", "selected"].`
    )
  }
  const rawIds = body.selected_repository_ids
  if (rawIds === undefined) {
    // Omitting the list keeps the one already stored, as long as the secret stays `selected`.
    const kept = existing?.visibility === 'selected' ? existing.selectedRepositoryIds : undefined
    return {
      visibility,
      selectedRepositoryIds: visibility === 'selected' ? (kept ?? []) : undefined
    }
  }
  if (visibility !== 'selected') {
    throw new ApiError(
      422,
      `Bad request - selected_repository_ids can only be given when visibility is 'selected'`
    )
  }
  return { visibility, selectedRepositoryIds: parseRepositoryIds(scope, ctx, rawIds) }
}

function putSecret(ctx: RequestContext, scope: ResolvedScope, rawName: string): ApiResponse {
  const body = requireObjectBody(ctx.body)
  if (!SECRET_NAME.test(rawName)) throw new ApiError(422, 'Failed to add secret. Name is invalid')
  if (/^GITHUB_/i.test(rawName)) {
    throw new ApiError(422, 'Failed to add secret. Secret names must not start with GITHUB_.')
  }
  const encrypted = body.encrypted_value
  if (encrypted === undefined) throw invalidRequest(`"encrypted_value" wasn't supplied.`)
  // GitHub quotes the offending value here; this server does not, so a client that forgot to
  // seal cannot make the plaintext show up in a test log.
  if (typeof encrypted !== 'string' || !BASE64.test(encrypted)) {
    throw invalidRequest(`encrypted_value does not match /${BASE64.source}/.`)
  }
  ctx.received(encrypted)
  const keyId = body.key_id
  if (keyId === undefined) throw invalidRequest(`"key_id" wasn't supplied.`)
  if (typeof keyId !== 'string') {
    throw invalidRequest(`For 'properties/key_id', the value is not a string.`)
  }
  const existing = scope.secrets.secrets.get(rawName.toUpperCase())
  const access = scope.org === undefined ? undefined : parseAccess(ctx, scope, body, existing)

  if (keyId !== scope.secrets.keys.current().keyId) {
    throw new ApiError(422, 'Bad request - key_id is not the current key of this scope')
  }
  const plaintext = scope.secrets.keys.open(Buffer.from(encrypted, 'base64'))
  if (plaintext === undefined) {
    throw new ApiError(422, 'Bad request - validation failed due to an improperly encrypted secret')
  }
  const value = Buffer.from(plaintext).toString('utf8')
  ctx.opened(value)
  if (plaintext.byteLength > MAX_SECRET_BYTES) {
    throw new ApiError(422, 'Bad request - secret value exceeds the 48 KB limit')
  }
  const outcome = ctx.model.writeSecret(scope, rawName, value, access, true)
  // GitHub: 201 with an empty JSON object when created, 204 without a body when updated.
  return outcome === 'created' ? { status: 201, body: {} } : { status: 204 }
}

function findSecret(scope: ResolvedScope, name: string): StoredSecret {
  const secret = scope.secrets.secrets.get(name.toUpperCase())
  if (secret === undefined) throw notFound()
  return secret
}

function parsePathRepositoryId(text: string): number {
  if (!/^\d+$/.test(text)) throw notFound()
  return Number(text)
}

function requireSelected(secret: StoredSecret): number[] {
  if (secret.visibility !== 'selected') {
    throw new ApiError(409, 'Conflict - visibility type is not set to selected')
  }
  secret.selectedRepositoryIds ??= []
  return secret.selectedRepositoryIds
}

/** `.../secrets/{name}/repositories[/{repository_id}]` of organization secrets. */
function selectedRepositories(
  ctx: RequestContext,
  scope: ResolvedScope,
  name: string,
  repositoryId: string | undefined
): ApiResponse {
  const { method } = ctx
  if (repositoryId === undefined && method === 'GET') {
    ctx.require('secrets', 'read', scope.permissionName)
    const secret = findSecret(scope, name)
    const ids = secret.visibility === 'selected' ? (secret.selectedRepositoryIds ?? []) : []
    const repos = ids.flatMap(id => {
      const repo = ctx.model.repoById(id)
      return repo === undefined ? [] : [repo]
    })
    const page = paginate(
      repos,
      ctx.query,
      PAGE,
      `${ctx.baseUrl}${scope.collectionPath}/${secret.name}/repositories`
    )
    return {
      status: 200,
      body: {
        total_count: repos.length,
        repositories: page.items.map(repo => repoJson(repo, ctx.baseUrl))
      },
      headers: page.headers
    }
  }
  if (repositoryId === undefined && method === 'PUT') {
    ctx.require('secrets', 'write', scope.permissionName)
    const body = requireObjectBody(ctx.body)
    if (body.selected_repository_ids === undefined) {
      throw invalidRequest(`"selected_repository_ids" wasn't supplied.`)
    }
    const ids = parseRepositoryIds(scope, ctx, body.selected_repository_ids)
    const secret = findSecret(scope, name)
    requireSelected(secret)
    secret.selectedRepositoryIds = ids
    return { status: 204 }
  }
  if (repositoryId !== undefined && (method === 'PUT' || method === 'DELETE')) {
    ctx.require('secrets', 'write', scope.permissionName)
    const id = parsePathRepositoryId(repositoryId)
    const secret = findSecret(scope, name)
    const ids = requireSelected(secret)
    if (method === 'PUT') {
      if (ctx.model.repoById(id)?.owner !== scope.org) {
        throw new ApiError(
          422,
          `Bad request - repository ${id} does not exist in this organization`
        )
      }
      if (!ids.includes(id)) ids.push(id)
    } else {
      secret.selectedRepositoryIds = ids.filter(candidate => candidate !== id)
    }
    return { status: 204 }
  }
  throw notFound()
}

/** Serves every request under a secrets collection. */
export function handleSecrets(ctx: RequestContext, parsed: ParsedSecretPath): ApiResponse {
  const scope = ctx.model.resolveScope(parsed.scope)
  if (scope === undefined) throw notFound()
  const [name, sub, repositoryId, ...extra] = parsed.rest
  if (extra.length > 0) throw notFound()
  const { method } = ctx

  if (name === undefined) {
    if (method !== 'GET') throw notFound()
    ctx.require('secrets', 'read', scope.permissionName)
    const secrets = [...scope.secrets.secrets.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    )
    const page = paginate(secrets, ctx.query, PAGE, `${ctx.baseUrl}${scope.collectionPath}`)
    return {
      status: 200,
      body: {
        total_count: secrets.length,
        secrets: page.items.map(secret => secretJson(scope, secret, ctx.baseUrl))
      },
      headers: page.headers
    }
  }

  if (name === 'public-key' && sub === undefined) {
    if (method !== 'GET') throw notFound()
    ctx.require('secrets', 'read', scope.permissionName)
    return {
      status: 200,
      body: {
        key_id: scope.secrets.keys.current().keyId,
        key: scope.secrets.keys.publicKeyBase64()
      }
    }
  }

  if (sub === undefined) {
    switch (method) {
      case 'GET':
        ctx.require('secrets', 'read', scope.permissionName)
        return { status: 200, body: secretJson(scope, findSecret(scope, name), ctx.baseUrl) }
      case 'PUT':
        ctx.require('secrets', 'write', scope.permissionName)
        return putSecret(ctx, scope, name)
      case 'DELETE': {
        ctx.require('secrets', 'write', scope.permissionName)
        const secret = findSecret(scope, name)
        scope.secrets.secrets.delete(secret.name)
        return { status: 204 }
      }
      default:
        throw notFound()
    }
  }

  if (sub === 'repositories' && scope.org !== undefined) {
    return selectedRepositories(ctx, scope, name, repositoryId)
  }
  throw notFound()
}
