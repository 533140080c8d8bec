/** JSON helpers shared by kernel servers and their route handlers. */

/** What a handler answers; the kernel serializes it. */
export interface KernelResponse {
  status: number
  /** Serialized as JSON (`content-type: application/json`); left out for 204 and 304. */
  body?: unknown
  /** Sent as is instead of `body` (e.g. text or a form); set `content-type` in `headers`. */
  raw?: string
  headers?: Record<string, string>
}

/** A JSON answer. */
export function json(
  status: number,
  body: unknown,
  headers?: Record<string, string>
): KernelResponse {
  return headers === undefined ? { status, body } : { status, body, headers }
}

/** An answer without a body (204 by default). */
export function empty(status = 204, headers?: Record<string, string>): KernelResponse {
  return headers === undefined ? { status } : { status, headers }
}

/** The result of {@link parseJson}. */
export type ParsedJson = { ok: true; value: unknown } | { ok: false; error: string }

/** Parses a request body: empty text is `undefined`, not an error. */
export function parseJson(text: string): ParsedJson {
  if (text.trim() === '') return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (error: unknown) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
}

/** A JSON object (not null, not an array), narrowed. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
