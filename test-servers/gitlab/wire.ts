/**
 * GitLab's wire conventions shared by the routes: its error bodies (Grape's `{"error": ...}` for
 * parameter validation, `{"message": ...}` for everything else), parameters merged from the query
 * string and a JSON or form body (`scopes[]=api`, `filter[environment_scope]=prod`), Grape's type
 * coercion, and offset pagination with GitLab's headers.
 */
import type { KernelRequest } from '../kernel/index.js'

/** What a route answers; the server serializes `body` as JSON. */
export interface ApiReply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

/** Thrown by routes and helpers; becomes the reply it carries. */
export class GitLabError extends Error {
  readonly reply: ApiReply

  constructor(status: number, body: unknown, headers?: Record<string, string>) {
    super(typeof body === 'string' ? body : JSON.stringify(body))
    this.name = 'GitLabError'
    this.reply = headers === undefined ? { status, body } : { status, body, headers }
  }
}

/** `render_api_error!`: `{"message": message}` with any status. */
export function apiError(status: number, message: unknown): GitLabError {
  return new GitLabError(status, { message })
}

/** `bad_request!(reason)`: `400 Bad request - <reason>` (or just `400 Bad request`). */
export function badRequest(reason?: string): GitLabError {
  return apiError(400, reason === undefined ? '400 Bad request' : `400 Bad request - ${reason}`)
}

/** `unauthorized!`: `{"message":"401 Unauthorized"}`. */
export function unauthorized(): GitLabError {
  return apiError(401, '401 Unauthorized')
}

/** `forbidden!(reason)`: `403 Forbidden` (or `403 Forbidden - <reason>`). */
export function forbidden(reason?: string): GitLabError {
  return apiError(403, reason === undefined ? '403 Forbidden' : `403 Forbidden - ${reason}`)
}

/** `not_found!(resource)`: `404 <resource> Not Found` (or `404 Not Found`). */
export function notFound(resource?: string): GitLabError {
  return apiError(404, resource === undefined ? '404 Not Found' : `404 ${resource} Not Found`)
}

/** `not_allowed!`: `405 Method Not Allowed`. */
export function notAllowed(): GitLabError {
  return apiError(405, '405 Method Not Allowed')
}

/** `render_validation_error!`: the model's errors by attribute, `{"message":{"key":[...]}}`. */
export function validationError(errors: Record<string, string[]>): GitLabError {
  return new GitLabError(400, { message: errors })
}

/** Grape's parameter validation: 400 `{"error":"key is missing, value is missing"}`. */
export function paramError(problems: readonly string[]): GitLabError {
  return new GitLabError(400, { error: problems.join(', ') })
}

/** Request parameters, merged from the query string and the body as Grape does. */
export type Params = Record<string, unknown>

function assign(target: Params, name: string, value: string): void {
  // `scopes[]=a` appends to an array; `filter[environment_scope]=x` nests one level.
  const arrayMatch = /^([^[\]]+)\[\]$/.exec(name)
  if (arrayMatch?.[1] !== undefined) {
    const key = arrayMatch[1]
    const existing = target[key]
    target[key] = Array.isArray(existing) ? [...(existing as unknown[]), value] : [value]
    return
  }
  const nestedMatch = /^([^[\]]+)\[([^[\]]+)\]$/.exec(name)
  if (nestedMatch?.[1] !== undefined && nestedMatch[2] !== undefined) {
    const key = nestedMatch[1]
    const existing = target[key]
    const nested: Params =
      typeof existing === 'object' && existing !== null && !Array.isArray(existing)
        ? (existing as Params)
        : {}
    nested[nestedMatch[2]] = value
    target[key] = nested
    return
  }
  target[name] = value
}

function fromSearch(search: URLSearchParams, into: Params): void {
  for (const [name, value] of search) assign(into, name, value)
}

/** Parses the query string and the body (JSON or form) into one parameter object. */
export function readParams(request: KernelRequest): Params {
  const params: Params = {}
  fromSearch(request.query, params)
  const text = request.rawBody
  if (text.trim() === '') return params
  const type = (request.headers['content-type'] ?? '').toLowerCase()
  if (type.includes('application/x-www-form-urlencoded')) {
    fromSearch(new URLSearchParams(text), params)
    return params
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text) as unknown
  } catch {
    // Grape's answer to a body it cannot parse as JSON.
    throw new GitLabError(400, { error: 'Bad Request' })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GitLabError(400, { error: 'Bad Request' })
  }
  return { ...params, ...(parsed as Params) }
}

/** A scalar parameter as text; objects and arrays are invalid for a scalar parameter. */
function scalar(value: unknown, name: string): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw paramError([`${name} is invalid`])
}

/** A string parameter; numbers are accepted as Grape coerces them. */
export function stringParam(params: Params, name: string): string | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  return scalar(value, name)
}

/** A Grape `Boolean`: true/false, or their string and 1/0 forms; anything else is invalid. */
export function booleanParam(params: Params, name: string): boolean | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (typeof value === 'boolean') return value
  const text = scalar(value, name).toLowerCase()
  if (['true', '1', 't', 'yes', 'y'].includes(text)) return true
  if (['false', '0', 'f', 'no', 'n'].includes(text)) return false
  throw paramError([`${name} is invalid`])
}

/** A Grape `Integer`. */
export function integerParam(params: Params, name: string): number | undefined {
  const value = params[name]
  if (value === undefined || value === null || value === '') return undefined
  const text = scalar(value, name)
  if (!/^-?\d+$/.test(text)) throw paramError([`${name} is invalid`])
  return Number(text)
}

/** A Grape `Date` (`YYYY-MM-DD`, also the date part of a longer ISO timestamp). */
export function dateParam(params: Params, name: string): string | undefined {
  const value = params[name]
  if (value === undefined || value === null || value === '') return undefined
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$/.exec(scalar(value, name))
  const date = match?.[1]
  if (date === undefined || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
    throw paramError([`${name} is invalid`])
  }
  // Date.parse rolls 2026-02-31 over; Grape refuses it.
  if (new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
    throw paramError([`${name} is invalid`])
  }
  return date
}

/** A Grape `DateTime`, as an instant. */
export function dateTimeParam(params: Params, name: string): Date | undefined {
  const value = params[name]
  if (value === undefined || value === null || value === '') return undefined
  const parsed = Date.parse(scalar(value, name))
  if (Number.isNaN(parsed)) throw paramError([`${name} is invalid`])
  return new Date(parsed)
}

/** An array of strings (`scopes[]=a&scopes[]=b`, a JSON array, or one comma-separated string). */
export function stringArrayParam(params: Params, name: string): string[] | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (Array.isArray(value)) return value.map(item => String(item))
  if (typeof value === 'string') return value === '' ? [] : value.split(',')
  throw paramError([`${name} is invalid`])
}

/** Page limits of GitLab's offset pagination. */
const DEFAULT_PER_PAGE = 20
const MAX_PER_PAGE = 100

/** One page and GitLab's pagination headers. */
export interface Page<T> {
  items: T[]
  headers: Record<string, string>
}

/**
 * Cuts a page out of `items` as GitLab's offset pagination does: `per_page` (default 20, at most
 * 100), `page` from 1; `X-Page`, `X-Per-Page`, `X-Next-Page`, `X-Prev-Page` (empty when none),
 * `X-Total`, `X-Total-Pages` and a `Link` header (prev, next, first, last) whose URLs keep every
 * other parameter, sorted by name as Rails' `to_query` writes them.
 */
export function paginate<T>(
  items: readonly T[],
  params: Params,
  selfUrl: string,
  query: URLSearchParams
): Page<T> {
  const requestedPerPage = integerParam(params, 'per_page')
  const perPage =
    requestedPerPage === undefined || requestedPerPage < 1
      ? DEFAULT_PER_PAGE
      : Math.min(requestedPerPage, MAX_PER_PAGE)
  const requestedPage = integerParam(params, 'page')
  const page = requestedPage === undefined || requestedPage < 1 ? 1 : requestedPage
  const totalPages = Math.max(1, Math.ceil(items.length / perPage))
  const slice = items.slice((page - 1) * perPage, page * perPage)
  const nextPage = page < totalPages ? page + 1 : undefined
  const prevPage = page > 1 ? page - 1 : undefined

  const href = (n: number): string => {
    const entries = [...query.entries()].filter(([name]) => name !== 'page' && name !== 'per_page')
    entries.push(['page', String(n)], ['per_page', String(perPage)])
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `${selfUrl}?${new URLSearchParams(entries).toString()}`
  }
  const links: string[] = []
  if (prevPage !== undefined) links.push(`<${href(prevPage)}>; rel="prev"`)
  if (nextPage !== undefined) links.push(`<${href(nextPage)}>; rel="next"`)
  links.push(`<${href(1)}>; rel="first"`)
  links.push(`<${href(totalPages)}>; rel="last"`)
  return {
    items: slice,
    headers: {
      'x-per-page': String(perPage),
      'x-page': String(page),
      'x-next-page': nextPage === undefined ? '' : String(nextPage),
      'x-prev-page': prevPage === undefined ? '' : String(prevPage),
      link: links.join(', '),
      'x-total': String(items.length),
      'x-total-pages': String(totalPages)
    }
  }
}
