/**
 * Wire-level helpers shared by the route handlers: GitHub's error shape, its timestamps and its
 * pagination (`per_page`/`page` with a `link` header).
 */

/** Where GitHub points generic errors. */
export const REST_DOCS = 'https://docs.github.com/rest'

/** What a handler answers; the server adds the common headers. */
export interface ApiResponse {
  status: number
  /** JSON body; left out for 204. */
  body?: unknown
  headers?: Record<string, string>
}

/** GitHub's error body: `status` is a string, as GitHub has sent it since 2024. */
export function errorBody(
  status: number,
  message: string,
  documentationUrl: string = REST_DOCS
): { message: string; documentation_url: string; status: string } {
  return { message, documentation_url: documentationUrl, status: String(status) }
}

/** Thrown by handlers to answer with a GitHub-style error. */
export class ApiError extends Error {
  readonly status: number
  readonly headers: Record<string, string>
  readonly documentationUrl: string

  constructor(
    status: number,
    message: string,
    options: { headers?: Record<string, string>; documentationUrl?: string } = {}
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.headers = options.headers ?? {}
    this.documentationUrl = options.documentationUrl ?? REST_DOCS
  }

  toResponse(): ApiResponse {
    return {
      status: this.status,
      body: errorBody(this.status, this.message, this.documentationUrl),
      headers: this.headers
    }
  }
}

/** 404 exactly as GitHub words it, whatever is missing (GitHub does not say which). */
export function notFound(): ApiError {
  return new ApiError(404, 'Not Found')
}

/** GitHub's schema-validation 422, e.g. `Invalid request.\n\n"key_id" wasn't supplied.`. */
export function invalidRequest(detail: string): ApiError {
  return new ApiError(422, `Invalid request.\n\n${detail}`)
}

/** ISO 8601 with seconds and no fraction, as GitHub writes times (`2026-11-24T08:00:00Z`). */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Page size limits of one list endpoint. */
export interface PageLimits {
  defaultPerPage: number
  maxPerPage: number
}

/** One page of a list and the `link` header that points to its neighbours. */
export interface Page<T> {
  items: T[]
  headers: Record<string, string>
}

function positiveInteger(text: string | null): number | undefined {
  if (text === null || !/^\d+$/.test(text)) return undefined
  const value = Number(text)
  return value >= 1 ? value : undefined
}

/**
 * Cuts one page out of `items` the way GitHub does: `per_page` clamped to the endpoint's maximum,
 * `page` from 1, and a `link` header with `prev`, `next`, `last`, `first` (in GitHub's order)
 * whose URLs keep every other query parameter.
 */
export function paginate<T>(
  items: readonly T[],
  query: URLSearchParams,
  limits: PageLimits,
  selfUrl: string
): Page<T> {
  const perPage = Math.min(
    positiveInteger(query.get('per_page')) ?? limits.defaultPerPage,
    limits.maxPerPage
  )
  const page = positiveInteger(query.get('page')) ?? 1
  const lastPage = Math.max(1, Math.ceil(items.length / perPage))
  const slice = items.slice((page - 1) * perPage, page * perPage)

  const pageUrl = (n: number): string => {
    const params = new URLSearchParams(query)
    params.set('page', String(n))
    return `<${selfUrl}?${params.toString()}>`
  }
  const links: string[] = []
  if (page > 1) links.push(`${pageUrl(Math.min(page - 1, lastPage))}; rel="prev"`)
  if (page < lastPage) {
    links.push(`${pageUrl(page + 1)}; rel="next"`)
    links.push(`${pageUrl(lastPage)}; rel="last"`)
  }
  if (page > 1) links.push(`${pageUrl(1)}; rel="first"`)
  return { items: slice, headers: links.length > 0 ? { link: links.join(', ') } : {} }
}

/** Narrows a parsed JSON body to an object, answering 400 like GitHub otherwise. */
export function requireObjectBody(body: unknown): Record<string, unknown> {
  // An empty body reads as {}, so the caller reports the missing fields by name.
  if (body === undefined) return {}
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'Problems parsing JSON')
  }
  return body as Record<string, unknown>
}
