/**
 * A small router: patterns of path segments with `:name` parameters, matched against segments
 * that were URL-decoded exactly once. Secrets paths go through their own parser first because
 * five scopes share one set of operations.
 */
import { ApiError, type ApiResponse, notFound } from './http.js'
import type { GitHubModel } from './model.js'
import type { Permission, TokenGrant } from './types.js'

/** Everything a handler may use about the request being served. */
export interface RequestContext {
  readonly method: string
  /** Path segments, each URL-decoded once. */
  readonly segments: readonly string[]
  readonly query: URLSearchParams
  /** Parsed JSON body, or undefined when there was none. */
  readonly body: unknown
  /** The server's own URL, for links in bodies and headers. */
  readonly baseUrl: string
  readonly model: GitHubModel
  /**
   * Throws GitHub's 403 unless the token holds `level` in `area`. `permissionName` is the
   * fine-grained permission GitHub names in `x-accepted-github-permissions`.
   */
  require(area: keyof TokenGrant, level: Permission, permissionName: string): void
  /** Records a plaintext opened from a sealed box, for leak checks. */
  opened(value: string): void
  /** Records a sealed box as received, for leak checks. */
  received(ciphertext: string): void
}

/** Named path parameters of a matched route. */
export class Params {
  readonly #values: ReadonlyMap<string, string>

  constructor(values: ReadonlyMap<string, string>) {
    this.#values = values
  }

  get(name: string): string {
    const value = this.#values.get(name)
    if (value === undefined) throw new Error(`route has no parameter '${name}'`)
    return value
  }
}

export type Handler = (ctx: RequestContext, params: Params) => ApiResponse

export interface Route {
  readonly method: string
  readonly pattern: readonly string[]
  readonly handler: Handler
}

/** A route for `method` and a path such as `/repos/:owner/:repo`. */
export function route(method: string, path: string, handler: Handler): Route {
  return { method, pattern: path.split('/').filter(part => part !== ''), handler }
}

function match(pattern: readonly string[], segments: readonly string[]): Params | undefined {
  if (pattern.length !== segments.length) return undefined
  const values = new Map<string, string>()
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index]
    if (segment === undefined) return undefined
    if (part.startsWith(':')) values.set(part.slice(1), segment)
    else if (part !== segment) return undefined
  }
  return new Params(values)
}

/** Runs the first route whose method and pattern match; GitHub answers 404 for anything else. */
export function dispatch(routes: readonly Route[], ctx: RequestContext): ApiResponse {
  for (const candidate of routes) {
    if (candidate.method !== ctx.method) continue
    const params = match(candidate.pattern, ctx.segments)
    if (params !== undefined) return candidate.handler(ctx, params)
  }
  throw notFound()
}

/** Reads an optional string field, answering GitHub's 422 when it has another type. */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field]
  if (value === undefined) return undefined
  if (typeof value !== 'string') {
    throw new ApiError(
      422,
      `Invalid request.\n\nFor 'properties/${field}', the value is not a string.`
    )
  }
  return value
}

/** Reads a required string field, answering GitHub's 422 when it is missing or not a string. */
export function requiredString(body: Record<string, unknown>, field: string): string {
  const value = optionalString(body, field)
  if (value === undefined)
    throw new ApiError(422, `Invalid request.\n\n"${field}" wasn't supplied.`)
  return value
}
