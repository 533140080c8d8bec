/**
 * ACL policies: Vault's HCL (or JSON) policy text reduced to path rules, and the capability check
 * with Vault's matching and priority rules (exact path, `*` suffix glob, `+` segment wildcard).
 */
import { badRequest } from './wire.js'

/** A capability a policy may grant on a path. */
export type Capability =
  'create' | 'read' | 'update' | 'delete' | 'list' | 'patch' | 'sudo' | 'deny'

const CAPABILITIES: ReadonlySet<string> = new Set([
  'create',
  'read',
  'update',
  'delete',
  'list',
  'patch',
  'sudo',
  'deny'
])

/** Vault's older `policy = "read"` shorthand. */
const SHORTHAND: Readonly<Record<string, readonly Capability[]>> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo']
}

/** One `path "..." { capabilities = [...] }` block. */
export interface PathRule {
  path: string
  capabilities: Capability[]
}

/** Vault's built-in `default` policy, reduced to the paths this server serves. */
export const DEFAULT_POLICY = `
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
path "sys/capabilities-self" { capabilities = ["update"] }
path "sys/leases/lookup" { capabilities = ["update"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/renew" { capabilities = ["update"] }
`

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:"])(#|\/\/).*$/gm, '$1')
}

function capabilityList(path: string, raw: unknown): Capability[] {
  if (!Array.isArray(raw))
    throw badRequest(`failed to parse policy: path "${path}": capabilities must be a list`)
  return raw.map(item => {
    if (typeof item !== 'string' || !CAPABILITIES.has(item)) {
      throw badRequest(
        `failed to parse policy: path "${path}": invalid capability "${String(item)}"`
      )
    }
    return item as Capability
  })
}

function fromJson(document: unknown): PathRule[] {
  const paths = (document as { path?: unknown }).path
  if (typeof paths !== 'object' || paths === null) return []
  return Object.entries(paths as Record<string, { capabilities?: unknown; policy?: unknown }>).map(
    ([path, body]) => ({
      path,
      capabilities:
        body.capabilities !== undefined
          ? capabilityList(path, body.capabilities)
          : [...(SHORTHAND[String(body.policy)] ?? [])]
    })
  )
}

/** Parses a policy document: Vault's HCL form or its JSON form. */
export function parsePolicy(text: string): PathRule[] {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    try {
      return fromJson(JSON.parse(trimmed))
    } catch (error: unknown) {
      if (error instanceof SyntaxError) throw badRequest(`failed to parse policy: ${error.message}`)
      throw error
    }
  }
  const rules: PathRule[] = []
  const source = stripComments(text)
  const block = /path\s+"([^"]*)"\s*\{([^}]*)\}/g
  let consumed = ''
  for (const match of source.matchAll(block)) {
    const [whole, path = '', body = ''] = match
    consumed += whole
    const list = /capabilities\s*=\s*\[([^\]]*)\]/.exec(body)
    const shorthand = /policy\s*=\s*"([^"]*)"/.exec(body)
    if (list !== null) {
      const items = [...(list[1] ?? '').matchAll(/"([^"]*)"/g)].map(item => item[1])
      rules.push({ path, capabilities: capabilityList(path, items) })
    } else if (shorthand !== null) {
      const caps = SHORTHAND[shorthand[1] ?? '']
      if (caps === undefined)
        throw badRequest(
          `failed to parse policy: path "${path}": invalid policy "${shorthand[1] ?? ''}"`
        )
      rules.push({ path, capabilities: [...caps] })
    } else {
      rules.push({ path, capabilities: [] })
    }
  }
  // Anything left besides whitespace is text this parser did not understand: refuse it, as
  // Vault refuses HCL it cannot parse, rather than silently granting less.
  const rest = source.replace(block, '').trim()
  if (rest !== '' || (consumed === '' && trimmed !== '')) {
    throw badRequest(
      'failed to parse policy: expected path blocks such as path "secret/*" { capabilities = ["read"] }'
    )
  }
  return rules
}

interface CompiledRule {
  path: string
  capabilities: Set<Capability>
  glob: boolean
  plusCount: number
  /** Index of the first `+` or `*`, or Infinity for an exact path. */
  firstWildcard: number
  pattern: RegExp
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function compile(path: string, capabilities: Set<Capability>): CompiledRule {
  const glob = path.endsWith('*')
  const stem = glob ? path.slice(0, -1) : path
  const segments = stem.split('/')
  const plusCount = segments.filter(segment => segment === '+').length
  const plusAt = segments.findIndex(segment => segment === '+')
  const plusIndex =
    plusAt < 0 ? Infinity : segments.slice(0, plusAt).join('/').length + (plusAt > 0 ? 1 : 0)
  const firstWildcard = Math.min(plusIndex, glob ? path.length - 1 : Infinity)
  const body = segments.map(segment => (segment === '+' ? '[^/]*' : escape(segment))).join('/')
  return {
    path,
    capabilities,
    glob,
    plusCount,
    firstWildcard,
    pattern: new RegExp(`^${body}${glob ? '.*' : ''}$`, 's')
  }
}

/** Vault's documented priority: true when `a` is lower priority than `b`. */
function lowerPriority(a: CompiledRule, b: CompiledRule): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard < b.firstWildcard
  if (a.glob !== b.glob) return a.glob
  if (a.plusCount !== b.plusCount) return a.plusCount > b.plusCount
  if (a.path.length !== b.path.length) return a.path.length < b.path.length
  return a.path < b.path
}

/** The merged rules of a token's policies. */
export class Acl {
  readonly #root: boolean
  readonly #rules: CompiledRule[]

  /** `root` grants everything; otherwise rules of the same path merge, `deny` winning. */
  constructor(rules: readonly PathRule[], root = false) {
    this.#root = root
    const merged = new Map<string, Set<Capability>>()
    for (const rule of rules) {
      const caps = merged.get(rule.path) ?? new Set<Capability>()
      for (const capability of rule.capabilities) caps.add(capability)
      merged.set(rule.path, caps)
    }
    this.#rules = [...merged].map(([path, caps]) =>
      compile(path, caps.has('deny') ? new Set(['deny']) : caps)
    )
  }

  /** The capabilities granted on `path` (`root` for a root token, `deny` when none). */
  capabilities(path: string): string[] {
    if (this.#root) return ['root']
    let best: CompiledRule | undefined
    for (const rule of this.#rules) {
      if (!rule.pattern.test(path)) continue
      if (best === undefined || lowerPriority(best, rule)) best = rule
    }
    if (best === undefined || best.capabilities.has('deny') || best.capabilities.size === 0) {
      return ['deny']
    }
    return [...best.capabilities].sort()
  }

  /** Whether every capability asked for is granted on `path`. */
  allows(path: string, needed: readonly Capability[]): boolean {
    if (this.#root) return true
    const granted = new Set(this.capabilities(path))
    return needed.every(capability => granted.has(capability))
  }
}
