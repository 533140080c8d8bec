/**
 * JSON pointers (RFC 6901) into an API's answer: where the new key's value and id are.
 *
 * One departure from the RFC, for the list's `items`: a lone `/` names the whole answer (as `''`
 * does), since an answer that is a list is far more common than a member named by the empty string.
 * @see https://www.rfc-editor.org/rfc/rfc6901
 */

/** Why `pointer` is not a JSON pointer, or undefined when it is one. */
export function pointerProblem(pointer: string): string | undefined {
  if (pointer === '' || pointer.startsWith('/')) {
    return /~(?![01])/.test(pointer)
      ? 'is not a JSON pointer: ~ must be written ~0, and / inside a name ~1 (RFC 6901)'
      : undefined
  }
  return `is not a JSON pointer: it starts with / (/key, /data/0/id), or is empty for the whole answer`
}

/** The tokens of a valid pointer, unescaped. */
function tokens(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return []
  return pointer
    .slice(1)
    .split('/')
    .map(token => token.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** What a pointer found: the value, or that nothing is there. */
export type Found = { found: true; value: unknown } | { found: false }

/** The value `pointer` names in `document`. */
export function readPointer(document: unknown, pointer: string): Found {
  let at: unknown = document
  for (const token of tokens(pointer)) {
    if (Array.isArray(at)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return { found: false }
      const index = Number(token)
      if (index >= at.length) return { found: false }
      at = at[index] as unknown
    } else if (typeof at === 'object' && at !== null && Object.hasOwn(at, token)) {
      at = (at as Record<string, unknown>)[token]
    } else {
      return { found: false }
    }
  }
  return { found: true, value: at }
}

/**
 * A value found by pointer as text: a non-empty string, or a number (an id is often one), else
 * undefined.
 */
export function textAt(document: unknown, pointer: string): string | undefined {
  const found = readPointer(document, pointer)
  if (!found.found) return undefined
  const { value } = found
  if (typeof value === 'string' && value !== '') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

/** The names of an answer's top-level fields, for a message: never their values. */
export function fieldNames(document: unknown): string {
  if (Array.isArray(document)) return `a list of ${String(document.length)}`
  if (typeof document !== 'object' || document === null) return `not a JSON object`
  const names = Object.keys(document).slice(0, 12)
  return names.length === 0 ? 'an empty object' : `fields ${names.join(', ')}`
}
