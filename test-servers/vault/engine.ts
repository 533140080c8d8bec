/** What a route handler answers and what it is given. */
import type { Core, TokenEntry } from './core.js'

/** A handler's answer: the `data` (and more) of Vault's response envelope; undefined is 204. */
export interface EngineResult {
  /** Default 200. */
  status?: number
  data?: unknown
  warnings?: string[]
  /** The `auth` block of a login or token creation. */
  auth?: Record<string, unknown>
  lease?: { id: string; durationS: number; renewable: boolean }
  /** Fields put at the top level of the envelope besides `data` (legacy answers). */
  topLevel?: Record<string, unknown>
}

/** The operation a request performs, as ACL capabilities name them. */
export type Operation = 'read' | 'list' | 'create' | 'update' | 'delete' | 'patch'

/** What a handler knows about the request. */
export interface EngineRequest {
  readonly operation: Operation
  readonly method: string
  /** The path inside the mount, e.g. `data/ci/api` for `secret/data/ci/api`. */
  readonly rel: string
  /** The JSON body as an object ({} when empty). */
  readonly body: Record<string, unknown>
  readonly query: URLSearchParams
  readonly headers: Readonly<Record<string, string>>
  /** The namespace the request is served in. */
  readonly namespace: string
  /** The calling token; undefined on unauthenticated paths (logins). */
  readonly token: TokenEntry | undefined
  readonly core: Core
}
