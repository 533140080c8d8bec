/**
 * The slice of the Issues API that alerting needs: open an issue, find open ones by label,
 * comment, and close.
 */
import {
  ApiError,
  type ApiResponse,
  invalidRequest,
  notFound,
  paginate,
  requireObjectBody
} from './http.js'
import { commentJson, issueJson } from './json.js'
import type { Issue, Label, Repo } from './model.js'
import { findRepo } from './routes-repos.js'
import {
  type Params,
  type RequestContext,
  type Route,
  optionalString,
  requiredString,
  route
} from './router.js'

const PERMISSION = 'issues'
const PAGE = { defaultPerPage: 30, maxPerPage: 100 }

function findIssue(repo: Repo, params: Params): Issue {
  const text = params.get('number')
  if (!/^\d+$/.test(text)) throw notFound()
  const issue = repo.issues[Number(text) - 1]
  if (issue === undefined) throw notFound()
  return issue
}

/** GitHub takes labels as names or as `{ name }` objects, creating missing ones. */
function parseLabels(ctx: RequestContext, repo: Repo, raw: unknown): Label[] | undefined {
  if (raw === undefined) return undefined
  if (!Array.isArray(raw))
    throw invalidRequest(`For 'properties/labels', the value is not an array.`)
  return (raw as unknown[]).map(item => {
    if (typeof item === 'string') return ctx.model.label(repo, item)
    if (
      typeof item === 'object' &&
      item !== null &&
      'name' in item &&
      typeof item.name === 'string'
    ) {
      return ctx.model.label(repo, item.name)
    }
    throw invalidRequest(`For 'items', the value is neither a string nor an object with a name.`)
  })
}

/** `title` may be a string or a number, as in GitHub's schema. */
function parseTitle(body: Record<string, unknown>, required: boolean): string | undefined {
  const title = body.title
  if (title === undefined) {
    if (required) throw invalidRequest(`"title" wasn't supplied.`)
    return undefined
  }
  if (typeof title === 'number') return String(title)
  if (typeof title !== 'string')
    throw invalidRequest(`For 'properties/title', the value is not a string.`)
  return title
}

function create(ctx: RequestContext, params: Params): ApiResponse {
  const repo = findRepo(ctx, params)
  ctx.require('issues', 'write', PERMISSION)
  const body = requireObjectBody(ctx.body)
  const title = parseTitle(body, true) ?? ''
  const text = optionalString(body, 'body')
  const labels = parseLabels(ctx, repo, body.labels) ?? []
  const now = ctx.model.now()
  const issue: Issue = {
    id: ctx.model.nextId(),
    number: repo.issues.length + 1,
    title,
    body: text ?? null,
    state: 'open',
    stateReason: null,
    labels,
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    comments: []
  }
  repo.issues.push(issue)
  return { status: 201, body: issueJson(repo, issue, ctx.baseUrl) }
}

/** `state` defaults to open; `labels` is a comma-separated list that an issue must all carry. */
function list(ctx: RequestContext, params: Params): ApiResponse {
  const repo = findRepo(ctx, params)
  ctx.require('issues', 'read', PERMISSION)
  const state = ctx.query.get('state') ?? 'open'
  const wanted = (ctx.query.get('labels') ?? '')
    .split(',')
    .map(name => name.trim().toLowerCase())
    .filter(name => name !== '')
  const matching = repo.issues.filter(
    issue =>
      (state === 'all' || issue.state === state) &&
      wanted.every(name => issue.labels.some(label => label.name.toLowerCase() === name))
  )
  // GitHub lists newest first unless asked for `direction=asc`.
  const ordered = ctx.query.get('direction') === 'asc' ? matching : [...matching].reverse()
  const page = paginate(
    ordered,
    ctx.query,
    PAGE,
    `${ctx.baseUrl}/repos/${repo.owner.login}/${repo.name}/issues`
  )
  return {
    status: 200,
    body: page.items.map(issue => issueJson(repo, issue, ctx.baseUrl)),
    headers: page.headers
  }
}

function update(ctx: RequestContext, params: Params): ApiResponse {
  const repo = findRepo(ctx, params)
  ctx.require('issues', 'write', PERMISSION)
  const issue = findIssue(repo, params)
  const body = requireObjectBody(ctx.body)
  const title = parseTitle(body, false)
  const text = body.body === null ? null : optionalString(body, 'body')
  const state = optionalString(body, 'state')
  const stateReason = body.state_reason === null ? null : optionalString(body, 'state_reason')
  const labels = parseLabels(ctx, repo, body.labels)
  if (state !== undefined && state !== 'open' && state !== 'closed') {
    throw invalidRequest(`For 'properties/state', "${state}" is not one of ["open", "closed"].`)
  }
  const now = ctx.model.now()
  if (title !== undefined) issue.title = title
  if (text !== undefined) issue.body = text
  if (labels !== undefined) issue.labels = labels
  if (state !== undefined && state !== issue.state) {
    issue.state = state
    issue.closedAt = state === 'closed' ? now : null
    issue.stateReason = state === 'closed' ? 'completed' : 'reopened'
  }
  if (stateReason !== undefined) issue.stateReason = stateReason
  issue.updatedAt = now
  return { status: 200, body: issueJson(repo, issue, ctx.baseUrl) }
}

function addComment(ctx: RequestContext, params: Params): ApiResponse {
  const repo = findRepo(ctx, params)
  ctx.require('issues', 'write', PERMISSION)
  const issue = findIssue(repo, params)
  const body = requireObjectBody(ctx.body)
  const text = requiredString(body, 'body')
  if (text === '') throw new ApiError(422, 'Validation Failed')
  const comment = { id: ctx.model.nextId(), body: text, createdAt: ctx.model.now() }
  issue.comments.push(comment)
  issue.updatedAt = comment.createdAt
  return { status: 201, body: commentJson(repo, issue, comment, ctx.baseUrl) }
}

function listComments(ctx: RequestContext, params: Params): ApiResponse {
  const repo = findRepo(ctx, params)
  ctx.require('issues', 'read', PERMISSION)
  const issue = findIssue(repo, params)
  const page = paginate(
    issue.comments,
    ctx.query,
    PAGE,
    `${ctx.baseUrl}/repos/${repo.owner.login}/${repo.name}/issues/${issue.number}/comments`
  )
  return {
    status: 200,
    body: page.items.map(comment => commentJson(repo, issue, comment, ctx.baseUrl)),
    headers: page.headers
  }
}

export const issueRoutes: readonly Route[] = [
  route('POST', '/repos/:owner/:repo/issues', create),
  route('GET', '/repos/:owner/:repo/issues', list),
  route('GET', '/repos/:owner/:repo/issues/:number', (ctx, params) => {
    const repo = findRepo(ctx, params)
    ctx.require('issues', 'read', PERMISSION)
    return { status: 200, body: issueJson(repo, findIssue(repo, params), ctx.baseUrl) }
  }),
  route('PATCH', '/repos/:owner/:repo/issues/:number', update),
  route('POST', '/repos/:owner/:repo/issues/:number/comments', addComment),
  route('GET', '/repos/:owner/:repo/issues/:number/comments', listComments)
]
