/**
 * Repository Actions variables. POST is create-only and answers 409 when the name exists, which
 * makes it usable as a lock; this server keeps that atomic because each request is handled to the
 * end before the next one starts.
 */
import { ApiError, type ApiResponse, notFound, paginate, requireObjectBody } from './http.js'
import type { Repo } from './model.js'
import { findRepo } from './routes-repos.js'
import {
  type Params,
  type RequestContext,
  type Route,
  optionalString,
  requiredString,
  route
} from './router.js'
import type { VariableRecord } from './types.js'

const PERMISSION = 'actions_variables'
/** Variables list in smaller pages than most endpoints: 10 by default, 30 at most. */
const PAGE = { defaultPerPage: 10, maxPerPage: 30 }
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const MAX_VARIABLE_BYTES = 48 * 1024

function checkName(name: string): void {
  if (!VARIABLE_NAME.test(name)) throw new ApiError(422, 'Failed to add variable. Name is invalid')
  if (/^GITHUB_/i.test(name)) {
    throw new ApiError(422, 'Failed to add variable. Variable names must not start with GITHUB_.')
  }
}

function checkValue(value: string): void {
  if (Buffer.byteLength(value, 'utf8') > MAX_VARIABLE_BYTES) {
    throw new ApiError(422, 'Failed to add variable. Value exceeds the 48 KB limit')
  }
}

function findVariable(repo: Repo, name: string): VariableRecord {
  const variable = repo.variables.get(name.toUpperCase())
  if (variable === undefined) throw notFound()
  return variable
}

function alreadyExists(): ApiError {
  return new ApiError(409, 'Already exists - Variable already exists')
}

function list(ctx: RequestContext, params: Params): ApiResponse {
  const repo = findRepo(ctx, params)
  ctx.require('variables', 'read', PERMISSION)
  const variables = [...repo.variables.values()].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0
  )
  const page = paginate(
    variables,
    ctx.query,
    PAGE,
    `${ctx.baseUrl}/repos/${repo.owner.login}/${repo.name}/actions/variables`
  )
  return {
    status: 200,
    body: { total_count: variables.length, variables: page.items.map(v => ({ ...v })) },
    headers: page.headers
  }
}

function create(ctx: RequestContext, params: Params): ApiResponse {
  const repo = findRepo(ctx, params)
  ctx.require('variables', 'write', PERMISSION)
  const body = requireObjectBody(ctx.body)
  const name = requiredString(body, 'name')
  const value = requiredString(body, 'value')
  checkName(name)
  checkValue(value)
  if (repo.variables.has(name.toUpperCase())) throw alreadyExists()
  ctx.model.writeVariable(repo, name, value)
  return { status: 201, body: {} }
}

/** PATCH may change the value, the name, or both; a rename onto an existing name is a conflict. */
function update(ctx: RequestContext, params: Params): ApiResponse {
  const repo = findRepo(ctx, params)
  ctx.require('variables', 'write', PERMISSION)
  const current = findVariable(repo, params.get('name'))
  const body = requireObjectBody(ctx.body)
  const newName = optionalString(body, 'name')
  const newValue = optionalString(body, 'value')
  if (newValue !== undefined) checkValue(newValue)
  if (newName !== undefined && newName.toUpperCase() !== current.name) {
    checkName(newName)
    if (repo.variables.has(newName.toUpperCase())) throw alreadyExists()
    repo.variables.delete(current.name)
    repo.variables.set(newName.toUpperCase(), { ...current, name: newName.toUpperCase() })
  }
  ctx.model.writeVariable(repo, newName ?? current.name, newValue ?? current.value)
  return { status: 204 }
}

export const variableRoutes: readonly Route[] = [
  route('GET', '/repos/:owner/:repo/actions/variables', list),
  route('POST', '/repos/:owner/:repo/actions/variables', create),
  route('GET', '/repos/:owner/:repo/actions/variables/:name', (ctx, params) => {
    const repo = findRepo(ctx, params)
    ctx.require('variables', 'read', PERMISSION)
    return { status: 200, body: { ...findVariable(repo, params.get('name')) } }
  }),
  route('PATCH', '/repos/:owner/:repo/actions/variables/:name', update),
  route('DELETE', '/repos/:owner/:repo/actions/variables/:name', (ctx, params) => {
    const repo = findRepo(ctx, params)
    ctx.require('variables', 'write', PERMISSION)
    repo.variables.delete(findVariable(repo, params.get('name')).name)
    return { status: 204 }
  })
]
