import * as z from 'zod'
import { isLoopbackHost } from '../../config/loopback.js'
import { pointerProblem } from './pointer.js'
import {
  fillUrl,
  placeholderProblem,
  placeholdersIn,
  stringsWithPaths,
  type RequestKind
} from './templates.js'

// The shapes of `issuer.create`, `issuer.revoke` and `issuer.list`. Their refinements name the
// key that is wrong (zod's path) and never quote a header or a body: only URLs and placeholders,
// which hold no secret (<admin> is refused in a URL).

/** The methods a request template may use. */
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const pointer = z.string().superRefine((text, ctx) => {
  const problem = pointerProblem(text)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})

/** The keys every request template has. */
const requestShape = {
  method: z.enum(METHODS).optional(),
  url: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  /** A JSON object; its strings may hold placeholders. */
  body: z.record(z.string(), z.unknown()).optional()
}

/** Checks what zod's shapes cannot: the URL, header names and every placeholder, each where it is. */
function checkRequest(kind: RequestKind) {
  return (
    request: { url: string; headers?: Record<string, string> | undefined; body?: unknown },
    ctx: z.RefinementCtx
  ): void => {
    const at = (path: (string | number)[], message: string) => {
      ctx.addIssue({ code: 'custom', path, message })
    }
    for (const name of placeholdersIn(request.url)) {
      const problem = placeholderProblem(name, kind, 'url')
      if (problem) at(['url'], problem)
    }
    const urlProblem = endpointProblem(request.url)
    if (urlProblem) at(['url'], urlProblem)
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (!HEADER_NAME.test(name)) at(['headers', name], 'is not an HTTP header name')
      if (/[\r\n]/.test(value)) at(['headers', name], 'holds a line break, which no header may')
      for (const placeholder of placeholdersIn(value)) {
        const problem = placeholderProblem(placeholder, kind, 'header')
        if (problem) at(['headers', name], problem)
      }
    }
    for (const { text, path } of stringsWithPaths(request.body)) {
      for (const placeholder of placeholdersIn(text)) {
        const problem = placeholderProblem(placeholder, kind, 'body')
        if (problem) at(['body', ...path], problem)
      }
    }
  }
}

/**
 * Why a URL template cannot be sent, or undefined: its placeholders filled with a sample id, it
 * must be an https URL (plain http only to a loopback test server) without credentials.
 */
export function endpointProblem(template: string): string | undefined {
  const url = URL.parse(fillUrl(template, { id: '1', 'old-id': '1', now: 'x', credential: 'x' }))
  if (url === null) return 'is not a URL'
  const shown = `${url.origin}${url.pathname}`
  if (url.username !== '' || url.password !== '') {
    return 'must not hold credentials: send them in a header with <admin>'
  }
  if (url.hash !== '') return `'${shown}' must not have a #fragment`
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return `'${shown}' is not https: the keys would travel in clear text (plain http is accepted only for loopback test servers: 127.0.0.1, ::1, localhost)`
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `'${shown}' is not an https URL`
  return undefined
}

/** `issuer.create`: the request that creates a key, and where its value and id are in the answer. */
export const createSchema = z
  .strictObject({
    ...requestShape,
    /** The new key's value in the answer (a JSON pointer). */
    value: pointer,
    /** The new key's id in the answer (a JSON pointer): what revokes it later. */
    id: pointer
  })
  .superRefine(checkRequest('create'))

/** `issuer.revoke`: the request that deletes a key by its id (`<id>`). */
export const revokeSchema = z.strictObject(requestShape).superRefine(checkRequest('revoke'))

/**
 * `issuer.list`: the request that lists keys, and where each key's id and name are, so that a key
 * whose create answer was lost can be found by the run's `<nonce>` in its name.
 */
export const listSchema = z
  .strictObject({
    ...requestShape,
    /** The list in the answer (a JSON pointer); absent, `''` or `/`: the answer itself. */
    items: pointer.optional(),
    id: pointer,
    name: pointer
  })
  .superRefine(checkRequest('list'))

export type CreateTemplate = z.infer<typeof createSchema>
export type RevokeTemplate = z.infer<typeof revokeSchema>
export type ListTemplate = z.infer<typeof listSchema>
