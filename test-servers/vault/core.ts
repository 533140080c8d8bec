/**
 * The state every engine shares: tokens (with parents, TTLs and accessors) and leases (owned by
 * the token that created them), on the server clock. Revoking a token revokes its non-orphan
 * children and every lease it created; expiry does the same when the clock passes it, at the
 * next {@link Core.sweep} (run before every request and every introspection call), as Vault's
 * expiration manager does in the background.
 */
import type { TestClock } from '../kernel/index.js'
import { badRequest, base62, goDuration } from './wire.js'

/** A token as the server keeps it. */
export interface TokenEntry {
  readonly id: string
  readonly accessor: string
  readonly namespace: string
  readonly policies: string[]
  parent: string | undefined
  orphan: boolean
  readonly createdMs: number
  lastRenewalMs: number | undefined
  /** Undefined: never expires (root tokens). */
  expireMs: number | undefined
  readonly creationTtlS: number
  readonly explicitMaxTtlS: number
  readonly periodS: number
  /** The backend's cap (a role's token_max_ttl); 0: the system maximum. */
  readonly maxTtlS: number
  readonly renewable: boolean
  readonly meta: Record<string, string> | null
  readonly displayName: string
  readonly path: string
  readonly role: string | undefined
  revoked: boolean
}

/** A lease as the server keeps it. */
export interface LeaseEntry {
  readonly id: string
  readonly namespace: string
  /** The token that created it; undefined when none did (never the case over HTTP). */
  readonly tokenId: string | undefined
  readonly issuedMs: number
  lastRenewalMs: number | undefined
  expireMs: number
  readonly renewable: boolean
  /** The backend's TTL for a renewal without `increment` (a role's default_ttl); 0: system default. */
  readonly defaultTtlS: number
  /** The backend's cap from issue time (a role's max_ttl); 0: the system maximum. */
  readonly maxTtlS: number
  revoked: boolean
  /** What the secret engine undoes (drops the database account, deletes the key). */
  readonly onRevoke: () => void
}

/** What a token is made from. */
export interface TokenSpec {
  namespace: string
  policies: string[]
  parent?: string | undefined
  id?: string | undefined
  ttlS?: number | undefined
  explicitMaxTtlS?: number | undefined
  periodS?: number | undefined
  maxTtlS?: number | undefined
  renewable?: boolean | undefined
  meta?: Record<string, string> | null | undefined
  displayName?: string | undefined
  path: string
  role?: string | undefined
}

/** The outcome of a TTL calculation. */
export interface GrantedTtl {
  ttlS: number
  warnings: string[]
}

/**
 * Vault's `framework.CalculateTTL`: a period wins (capped by the maximum); otherwise the
 * increment asked for, else the backend's TTL, else the system default; never past the start
 * plus the effective maximum (the system's, narrowed by the backend's and the explicit one).
 */
export function calculateTtl(input: {
  nowMs: number
  startMs: number
  incrementS: number
  backendTtlS: number
  periodS: number
  backendMaxS: number
  explicitMaxS: number
  systemDefaultS: number
  systemMaxS: number
}): GrantedTtl {
  const warnings: string[] = []
  let maxS = input.systemMaxS
  if (input.backendMaxS > 0 && input.backendMaxS < maxS) maxS = input.backendMaxS
  if (input.explicitMaxS > 0 && input.explicitMaxS < maxS) maxS = input.explicitMaxS
  let ttlS: number
  let maxValidMs: number | undefined
  if (input.periodS > 0) {
    ttlS = Math.min(input.periodS, maxS)
    if (input.periodS > maxS) {
      warnings.push(
        `period of "${goDuration(input.periodS)}" exceeded the effective max_ttl of "${goDuration(maxS)}"; period value is capped accordingly`
      )
    }
    if (input.explicitMaxS > 0) maxValidMs = input.startMs + input.explicitMaxS * 1000
  } else {
    ttlS =
      input.incrementS > 0
        ? input.incrementS
        : input.backendTtlS > 0
          ? input.backendTtlS
          : input.systemDefaultS
    maxValidMs = input.startMs + maxS * 1000
  }
  if (maxValidMs !== undefined) {
    const maxValidS = Math.floor((maxValidMs - input.nowMs) / 1000)
    if (maxValidS <= 0) throw badRequest('past the max TTL, cannot renew')
    if (ttlS > maxValidS) {
      warnings.push(
        `TTL of "${goDuration(ttlS)}" exceeded the effective max_ttl of "${goDuration(maxValidS)}"; TTL value is capped accordingly`
      )
      ttlS = maxValidS
    }
  }
  return { ttlS, warnings }
}

/** Tokens and leases of every namespace, on one clock. */
export class Core {
  readonly clock: TestClock
  readonly defaultTtlS: number
  readonly maxTtlS: number
  readonly tokens = new Map<string, TokenEntry>()
  readonly #accessors = new Map<string, string>()
  readonly leases = new Map<string, LeaseEntry>()
  /** Namespace path to the short id Vault appends to its tokens, accessors and leases. */
  readonly #namespaceIds = new Map<string, string>([['', '']])
  /** Hooks run by sweep(): engines' own clock-driven work (static role rotation). */
  readonly #timers: Array<(nowMs: number) => void> = []

  constructor(clock: TestClock, defaultTtlS: number, maxTtlS: number) {
    this.clock = clock
    this.defaultTtlS = defaultTtlS
    this.maxTtlS = maxTtlS
  }

  nowMs(): number {
    return this.clock.nowMs()
  }

  /** Registers a namespace, giving it the id Vault appends to identifiers made in it. */
  addNamespace(path: string): void {
    if (!this.#namespaceIds.has(path)) this.#namespaceIds.set(path, base62(5))
  }

  /** `.<nsid>` for a child namespace, '' for the root one. */
  suffix(namespace: string): string {
    const id = this.#namespaceIds.get(namespace) ?? ''
    return id === '' ? '' : `.${id}`
  }

  onSweep(timer: (nowMs: number) => void): void {
    this.#timers.push(timer)
  }

  /** Revokes what the clock has expired and runs the engines' timers. */
  sweep(): void {
    const now = this.nowMs()
    for (const token of this.tokens.values()) {
      if (!token.revoked && token.expireMs !== undefined && token.expireMs <= now) {
        this.revokeToken(token.id)
      }
    }
    for (const lease of this.leases.values()) {
      if (!lease.revoked && lease.expireMs <= now) this.revokeLease(lease.id)
    }
    for (const timer of this.#timers) timer(now)
  }

  // --- tokens ---------------------------------------------------------------------------------

  createToken(spec: TokenSpec): TokenEntry {
    const now = this.nowMs()
    const suffix = this.suffix(spec.namespace)
    const id = spec.id ?? `hvs.${base62(24)}${suffix}`
    if (this.tokens.has(id)) throw badRequest('cannot create a token with a duplicate ID')
    const root = spec.policies.includes('root')
    let expireMs: number | undefined
    let creationTtlS = 0
    // Root-policy tokens without a TTL never expire; every other token gets one.
    if (!(root && (spec.ttlS ?? 0) === 0 && (spec.periodS ?? 0) === 0)) {
      const granted = calculateTtl({
        nowMs: now,
        startMs: now,
        incrementS: spec.ttlS ?? 0,
        backendTtlS: 0,
        periodS: spec.periodS ?? 0,
        backendMaxS: spec.maxTtlS ?? 0,
        explicitMaxS: spec.explicitMaxTtlS ?? 0,
        systemDefaultS: this.defaultTtlS,
        systemMaxS: this.maxTtlS
      })
      creationTtlS = granted.ttlS
      expireMs = now + granted.ttlS * 1000
    }
    const entry: TokenEntry = {
      id,
      accessor: `${base62(24)}${suffix}`,
      namespace: spec.namespace,
      policies: spec.policies,
      parent: spec.parent,
      orphan: spec.parent === undefined,
      createdMs: now,
      lastRenewalMs: undefined,
      expireMs,
      creationTtlS,
      explicitMaxTtlS: spec.explicitMaxTtlS ?? 0,
      periodS: spec.periodS ?? 0,
      maxTtlS: spec.maxTtlS ?? 0,
      renewable: expireMs !== undefined && spec.renewable !== false,
      meta: spec.meta ?? null,
      displayName: spec.displayName ?? 'token',
      path: spec.path,
      role: spec.role,
      revoked: false
    }
    this.tokens.set(entry.id, entry)
    this.#accessors.set(entry.accessor, entry.id)
    return entry
  }

  /** A live token by id. */
  liveToken(id: string): TokenEntry | undefined {
    const entry = this.tokens.get(id)
    return entry !== undefined && this.isAlive(entry) ? entry : undefined
  }

  /** A live token by accessor. */
  liveTokenByAccessor(accessor: string): TokenEntry | undefined {
    const id = this.#accessors.get(accessor)
    return id === undefined ? undefined : this.liveToken(id)
  }

  /** Any token (alive or not) by id or accessor. */
  findToken(idOrAccessor: string): TokenEntry | undefined {
    return this.tokens.get(idOrAccessor) ?? this.tokens.get(this.#accessors.get(idOrAccessor) ?? '')
  }

  isAlive(entry: TokenEntry): boolean {
    if (entry.revoked) return false
    if (entry.expireMs !== undefined && entry.expireMs <= this.nowMs()) return false
    if (entry.parent === undefined) return true
    const parent = this.tokens.get(entry.parent)
    return parent !== undefined && this.isAlive(parent)
  }

  /** Revokes a token, its leases and (unless `orphanChildren`) its descendants. */
  revokeToken(id: string, orphanChildren = false): void {
    const entry = this.tokens.get(id)
    if (entry === undefined || entry.revoked) return
    entry.revoked = true
    for (const lease of this.leases.values()) {
      if (lease.tokenId === id) this.revokeLease(lease.id)
    }
    for (const child of this.tokens.values()) {
      if (child.parent !== id) continue
      if (orphanChildren) {
        child.parent = undefined
        child.orphan = true
      } else {
        this.revokeToken(child.id)
      }
    }
  }

  /** Renews a token per CalculateTTL from its creation time; answers what was granted. */
  renewToken(entry: TokenEntry, incrementS: number): GrantedTtl {
    if (!entry.renewable) throw badRequest('lease is not renewable')
    const now = this.nowMs()
    const granted = calculateTtl({
      nowMs: now,
      startMs: entry.createdMs,
      incrementS,
      backendTtlS: entry.creationTtlS,
      periodS: entry.periodS,
      backendMaxS: entry.maxTtlS,
      explicitMaxS: entry.explicitMaxTtlS,
      systemDefaultS: this.defaultTtlS,
      systemMaxS: this.maxTtlS
    })
    entry.expireMs = now + granted.ttlS * 1000
    entry.lastRenewalMs = now
    return granted
  }

  /** Seconds left before a token expires (0 for one that never does). */
  ttlLeft(entry: TokenEntry): number {
    return entry.expireMs === undefined
      ? 0
      : Math.max(0, Math.floor((entry.expireMs - this.nowMs()) / 1000))
  }

  // --- leases ---------------------------------------------------------------------------------

  /** Registers a lease for a secret read by `tokenId` at `path` (`database/creds/app`). */
  registerLease(input: {
    namespace: string
    path: string
    tokenId: string | undefined
    defaultTtlS: number
    maxTtlS: number
    renewable?: boolean
    onRevoke: () => void
  }): LeaseEntry {
    const now = this.nowMs()
    const granted = calculateTtl({
      nowMs: now,
      startMs: now,
      incrementS: 0,
      backendTtlS: input.defaultTtlS,
      periodS: 0,
      backendMaxS: input.maxTtlS,
      explicitMaxS: 0,
      systemDefaultS: this.defaultTtlS,
      systemMaxS: this.maxTtlS
    })
    const entry: LeaseEntry = {
      id: `${input.path}/${base62(24)}${this.suffix(input.namespace)}`,
      namespace: input.namespace,
      tokenId: input.tokenId,
      issuedMs: now,
      lastRenewalMs: undefined,
      expireMs: now + granted.ttlS * 1000,
      renewable: input.renewable !== false,
      defaultTtlS: input.defaultTtlS,
      maxTtlS: input.maxTtlS,
      revoked: false,
      onRevoke: input.onRevoke
    }
    this.leases.set(entry.id, entry)
    return entry
  }

  liveLease(id: string): LeaseEntry | undefined {
    const lease = this.leases.get(id)
    return lease !== undefined && !lease.revoked && lease.expireMs > this.nowMs()
      ? lease
      : undefined
  }

  revokeLease(id: string): void {
    const lease = this.leases.get(id)
    if (lease === undefined || lease.revoked) return
    lease.revoked = true
    lease.onRevoke()
  }

  /** Renews a lease per CalculateTTL from its issue time; answers what was granted. */
  renewLease(lease: LeaseEntry, incrementS: number): GrantedTtl {
    if (!lease.renewable) throw badRequest('lease is not renewable')
    const now = this.nowMs()
    const granted = calculateTtl({
      nowMs: now,
      startMs: lease.issuedMs,
      incrementS,
      backendTtlS: lease.defaultTtlS,
      periodS: 0,
      backendMaxS: lease.maxTtlS,
      explicitMaxS: 0,
      systemDefaultS: this.defaultTtlS,
      systemMaxS: this.maxTtlS
    })
    lease.expireMs = now + granted.ttlS * 1000
    lease.lastRenewalMs = now
    return granted
  }
}
