/**
 * The placeholders of the request templates, where each may appear, and how a template becomes a
 * request. A template is checked when the configuration is read (every placeholder known, in a
 * request that has it); it is filled only when its request is sent.
 */

/** Every placeholder, with what it stands for (the docs' table says the same). */
export const PLACEHOLDERS = {
  admin: 'the credential that calls the API: issuer.admin, or the current key without it',
  id: 'the id of the key being revoked',
  'old-id': 'the id of the key the new one replaces (empty on the first rotation)',
  now: 'the time the request is sent (ISO 8601, UTC)',
  nonce: 'a random token, new for each create request: names the key so a lost answer can find it',
  credential: 'the credential id in the configuration file (empty for flat inputs)'
} as const

export type Placeholder = keyof typeof PLACEHOLDERS

/** The requests an issuer sends, each with the placeholders it may use. */
export type RequestKind = 'create' | 'revoke' | 'list'

const ALLOWED: Readonly<Record<RequestKind, readonly Placeholder[]>> = {
  create: ['admin', 'old-id', 'now', 'nonce', 'credential'],
  revoke: ['admin', 'id', 'now', 'credential'],
  list: ['admin', 'now', 'credential']
}

const PLACEHOLDER = /<([A-Za-z][A-Za-z0-9_-]*)>/g

/** The placeholders a text uses, in order. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map(match => match[1] ?? '')
}

/** Why `name` may not appear in this part of a `kind` request, or undefined when it may. */
export function placeholderProblem(
  name: string,
  kind: RequestKind,
  part: 'url' | 'header' | 'body'
): string | undefined {
  const allowed = ALLOWED[kind]
  const list = allowed.map(p => `<${p}>`).join(', ')
  if (!Object.hasOwn(PLACEHOLDERS, name)) {
    return `<${name}> is not a placeholder; ${kind} may use ${list}`
  }
  if (!allowed.includes(name as Placeholder)) {
    return `<${name}> has no value in ${kind}; ${kind} may use ${list}`
  }
  if (name === 'admin' && part === 'url') {
    return '<admin> may not be in a URL (URLs are logged and kept by proxies): send it in a header or the body'
  }
  return undefined
}

/** The values of the placeholders for one request; a placeholder without one becomes ''. */
export type Values = Partial<Record<Placeholder, string>>

function fill(text: string, values: Values, encode: (value: string) => string): string {
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(PLACEHOLDERS, name) ? encode(values[name as Placeholder] ?? '') : whole
  )
}

/** A URL template filled: each value percent-encoded, so an id cannot change the path. */
export function fillUrl(template: string, values: Values): string {
  return fill(template, values, encodeURIComponent)
}

/** A header or body text filled as it is. */
export function fillText(template: string, values: Values): string {
  return fill(template, values, value => value)
}

/** A JSON body template filled: every string in it, at any depth; keys are left as they are. */
export function fillBody(template: unknown, values: Values): unknown {
  if (typeof template === 'string') return fillText(template, values)
  if (Array.isArray(template)) return template.map(item => fillBody(item, values))
  if (typeof template === 'object' && template !== null) {
    return Object.fromEntries(
      Object.entries(template).map(([key, value]) => [key, fillBody(value, values)])
    )
  }
  return template
}

/** Whether a request template uses `name` anywhere. */
export function uses(
  template: { url: string; headers?: Record<string, string> | undefined; body?: unknown },
  name: Placeholder
): boolean {
  const texts = [
    template.url,
    ...Object.values(template.headers ?? {}),
    ...stringsIn(template.body)
  ]
  return texts.some(text => placeholdersIn(text).includes(name))
}

/** Every string of a JSON value, with its path. */
export function stringsWithPaths(
  value: unknown,
  path: (string | number)[] = []
): { text: string; path: (string | number)[] }[] {
  if (typeof value === 'string') return [{ text: value, path }]
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsWithPaths(item, [...path, i]))
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => stringsWithPaths(item, [...path, key]))
  }
  return []
}

function stringsIn(value: unknown): string[] {
  return stringsWithPaths(value).map(entry => entry.text)
}
