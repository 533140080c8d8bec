/**
 * GitLab's state as the local server holds it: users (humans and the bot user behind each project
 * or group access token), projects and groups with memberships, access tokens chained into
 * families by rotation, and CI/CD variables. The rules GitLab applies to tokens live here:
 * rotation revokes at once and chains the new token to the old, a family is revoked downwards
 * from a reused token, expiry is a UTC date, the maximum lifetime is checked on creation, and
 * `last_used_at` moves at most once per granularity window.
 */
import { randomBytes } from 'node:crypto'

/** Whose tokens and variables a path names. */
export type ResourceKind = 'project' | 'group'

/** A user; `bot` users stand behind project and group access tokens. */
export interface UserRecord {
  readonly id: number
  readonly username: string
  readonly name: string
  readonly admin: boolean
  readonly bot: boolean
  readonly createdAt: Date
}

/** A project or a group. */
export interface ResourceRecord {
  readonly kind: ResourceKind
  readonly id: number
  /** `acme/app`, as GitLab's `path_with_namespace` / `full_path`. */
  readonly fullPath: string
}

/** One access token. A project or group token is a personal access token of its bot user. */
export interface TokenRecord {
  readonly id: number
  readonly name: string
  readonly description: string | null
  readonly scopes: readonly string[]
  readonly userId: number
  readonly createdAt: Date
  /** `YYYY-MM-DD` (UTC) or null for a token without expiry. */
  readonly expiresAt: string | null
  revoked: boolean
  lastUsedAt: Date | null
  /** The token this one was rotated from (GitLab's `previous_personal_access_token_id`). */
  readonly previousId: number | null
  readonly secret: string
  /** Set for project and group access tokens. */
  readonly resource: { readonly kind: ResourceKind; readonly id: number } | undefined
}

/** A CI/CD variable of a project or group. */
export interface VariableRecord {
  key: string
  value: string
  variableType: 'env_var' | 'file'
  protected: boolean
  masked: boolean
  hidden: boolean
  raw: boolean
  environmentScope: string
  description: string | null
}

/** Instance settings that shape token rules. */
export interface TokenSettings {
  /** The maximum allowable lifetime in days (GitLab: 365; 400 behind a feature flag). */
  readonly maxLifetimeDays: number
  /** Whether tokens must expire (GitLab's `require_personal_access_token_expiry`, on by default). */
  readonly requireExpiry: boolean
  /** How long `last_used_at` stays put after an update (GitLab: 10 minutes). */
  readonly lastUsedGranularityMs: number
  /** Prefix of new token values (GitLab: `glpat-`). */
  readonly tokenPrefix: string
}

/** GitLab's role levels. */
export const ACCESS_LEVELS = {
  guest: 10,
  planner: 15,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50
} as const

/** `YYYY-MM-DD` of an instant, in UTC: how GitLab writes and compares token expiry dates. */
export function utcDate(instant: Date): string {
  return instant.toISOString().slice(0, 10)
}

/** The UTC date `days` after the date of `instant`. */
export function addDays(instant: Date, days: number): string {
  const shifted = new Date(instant.getTime())
  shifted.setUTCDate(shifted.getUTCDate() + days)
  return utcDate(shifted)
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function resourceKey(kind: ResourceKind, id: number): string {
  return `${kind}:${id}`
}

/** A rotate or create that GitLab refuses with `400 Bad request - <message>`. */
export class TokenRuleError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TokenRuleError'
  }
}

/** The server's whole state. One per server: nothing is shared between servers. */
export class GitLabModel {
  readonly settings: TokenSettings
  readonly #users = new Map<number, UserRecord>()
  readonly #resources = new Map<string, ResourceRecord>()
  /** userId -> resource key -> access level. */
  readonly #memberships = new Map<number, Map<string, number>>()
  readonly #tokens = new Map<number, TokenRecord>()
  readonly #tokenBySecret = new Map<string, number>()
  readonly #variables = new Map<string, VariableRecord[]>()
  #nextUserId = 1
  #nextTokenId = 100
  #nextResourceId = 1000

  constructor(settings: TokenSettings) {
    this.settings = settings
  }

  // ---- users and resources ----

  addUser(input: { username: string; name?: string; admin?: boolean; bot?: boolean }, now: Date) {
    if (this.userByUsername(input.username) !== undefined) {
      throw new Error(`user '${input.username}' already exists`)
    }
    const user: UserRecord = {
      id: this.#nextUserId++,
      username: input.username,
      name: input.name ?? input.username,
      admin: input.admin ?? false,
      bot: input.bot ?? false,
      createdAt: now
    }
    this.#users.set(user.id, user)
    return user
  }

  user(id: number): UserRecord | undefined {
    return this.#users.get(id)
  }

  userByUsername(username: string): UserRecord | undefined {
    for (const user of this.#users.values()) if (user.username === username) return user
    return undefined
  }

  addResource(kind: ResourceKind, fullPath: string, id?: number): ResourceRecord {
    if (this.resourceByPath(kind, fullPath) !== undefined) {
      throw new Error(`${kind} '${fullPath}' already exists`)
    }
    const resource: ResourceRecord = { kind, id: id ?? this.#nextResourceId++, fullPath }
    if (this.#resources.has(resourceKey(kind, resource.id))) {
      throw new Error(`${kind} id ${resource.id} is taken`)
    }
    this.#resources.set(resourceKey(kind, resource.id), resource)
    return resource
  }

  resourceByPath(kind: ResourceKind, fullPath: string): ResourceRecord | undefined {
    for (const resource of this.#resources.values()) {
      if (resource.kind === kind && resource.fullPath.toLowerCase() === fullPath.toLowerCase()) {
        return resource
      }
    }
    return undefined
  }

  /** By numeric id or full path, as GitLab's `:id` accepts both. */
  findResource(kind: ResourceKind, idOrPath: string): ResourceRecord | undefined {
    if (/^\d+$/.test(idOrPath)) return this.#resources.get(resourceKey(kind, Number(idOrPath)))
    return this.resourceByPath(kind, idOrPath)
  }

  resource(kind: ResourceKind, id: number): ResourceRecord | undefined {
    return this.#resources.get(resourceKey(kind, id))
  }

  setMembership(userId: number, resource: ResourceRecord, level: number): void {
    let levels = this.#memberships.get(userId)
    if (levels === undefined) {
      levels = new Map()
      this.#memberships.set(userId, levels)
    }
    levels.set(resourceKey(resource.kind, resource.id), level)
  }

  /**
   * The user's effective level in a resource: a direct membership, or the highest membership in
   * any group above it (`acme` for `acme/app` and `acme/sub/app`), as GitLab inherits roles.
   */
  accessLevel(userId: number, resource: ResourceRecord): number {
    const levels = this.#memberships.get(userId)
    if (levels === undefined) return 0
    let best = levels.get(resourceKey(resource.kind, resource.id)) ?? 0
    const parts = resource.fullPath.split('/')
    for (let length = parts.length - 1; length >= 1; length -= 1) {
      const group = this.resourceByPath('group', parts.slice(0, length).join('/'))
      if (group !== undefined)
        best = Math.max(best, levels.get(resourceKey('group', group.id)) ?? 0)
    }
    return best
  }

  /** The bot users of a resource (one per project or group access token family). */
  botsOf(resource: ResourceRecord): UserRecord[] {
    return [...this.#users.values()].filter(
      user =>
        user.bot &&
        this.#memberships.get(user.id)?.has(resourceKey(resource.kind, resource.id)) === true
    )
  }

  // ---- tokens ----

  tokens(): TokenRecord[] {
    return [...this.#tokens.values()]
  }

  token(id: number): TokenRecord | undefined {
    return this.#tokens.get(id)
  }

  tokenBySecret(secret: string): TokenRecord | undefined {
    const id = this.#tokenBySecret.get(secret)
    return id === undefined ? undefined : this.#tokens.get(id)
  }

  /** Expired from 00:00 UTC of its expiry date, as GitLab compares the date with the time. */
  isExpired(token: TokenRecord, now: Date): boolean {
    return token.expiresAt !== null && now.getTime() >= Date.parse(`${token.expiresAt}T00:00:00Z`)
  }

  isActive(token: TokenRecord, now: Date): boolean {
    return !token.revoked && !this.isExpired(token, now)
  }

  /** GitLab's `expires_at_before_instance_max_expiry_date`: refused past today + max days. */
  checkLifetime(expiresAt: string | null, now: Date): void {
    if (expiresAt === null || !this.settings.requireExpiry) return
    const maxDate = addDays(now, this.settings.maxLifetimeDays)
    if (expiresAt > maxDate) throw new TokenRuleError(`Expires at must be before ${maxDate}`)
  }

  /** The expiry a new token gets when none is given: the maximum lifetime (create). */
  defaultCreateExpiry(now: Date): string | null {
    return this.settings.requireExpiry ? addDays(now, this.settings.maxLifetimeDays) : null
  }

  /** The expiry a rotated token gets when none is given: one week (rotate). */
  defaultRotateExpiry(now: Date): string | null {
    return this.settings.requireExpiry ? addDays(now, 7) : null
  }

  createToken(
    input: {
      userId: number
      name: string
      scopes: readonly string[]
      expiresAt: string | null
      description?: string | null
      previousId?: number | null
      resource?: ResourceRecord
      createdAt?: Date
      lastUsedAt?: Date | null
      secret?: string
    },
    now: Date
  ): TokenRecord {
    const secret = input.secret ?? this.#newSecret()
    if (this.#tokenBySecret.has(secret)) throw new Error('token value already in use')
    const token: TokenRecord = {
      id: this.#nextTokenId++,
      name: input.name,
      description: input.description ?? null,
      scopes: [...input.scopes],
      userId: input.userId,
      createdAt: input.createdAt ?? now,
      expiresAt: input.expiresAt,
      revoked: false,
      lastUsedAt: input.lastUsedAt ?? null,
      previousId: input.previousId ?? null,
      secret,
      resource:
        input.resource === undefined
          ? undefined
          : { kind: input.resource.kind, id: input.resource.id }
    }
    this.#tokens.set(token.id, token)
    this.#tokenBySecret.set(secret, token.id)
    return token
  }

  /**
   * GitLab's RotateService: refuses a revoked token, revokes the old token and creates its
   * successor (same name, description, scopes and user, a new id and value) in one transaction,
   * so a refused expiry leaves the old token untouched.
   */
  rotate(token: TokenRecord, expiresAt: string | undefined, now: Date): TokenRecord {
    if (token.revoked) throw new TokenRuleError('Token already revoked')
    const newExpiry = expiresAt ?? this.defaultRotateExpiry(now)
    this.checkLifetime(newExpiry, now)
    token.revoked = true
    return this.createToken(
      {
        userId: token.userId,
        name: token.name,
        description: token.description,
        scopes: token.scopes,
        expiresAt: newExpiry,
        previousId: token.id,
        ...(token.resource === undefined
          ? {}
          : { resource: this.#requireResource(token.resource.kind, token.resource.id) })
      },
      now
    )
  }

  /**
   * GitLab's RevokeTokenFamilyService: every active token rotated (directly or through others)
   * from `token` is revoked. Returns the ids it revoked.
   */
  revokeDescendants(token: TokenRecord): number[] {
    const revoked: number[] = []
    let frontier = [token.id]
    while (frontier.length > 0) {
      const children = this.tokens().filter(
        candidate => candidate.previousId !== null && frontier.includes(candidate.previousId)
      )
      for (const child of children) {
        if (!child.revoked) {
          child.revoked = true
          revoked.push(child.id)
        }
      }
      frontier = children.map(child => child.id)
    }
    return revoked
  }

  /** Every token of the rotation chain `token` belongs to, oldest first. */
  family(token: TokenRecord): TokenRecord[] {
    let root = token
    while (root.previousId !== null) {
      const previous = this.#tokens.get(root.previousId)
      if (previous === undefined) break
      root = previous
    }
    const members = [root]
    let frontier = [root.id]
    while (frontier.length > 0) {
      const children = this.tokens().filter(
        candidate => candidate.previousId !== null && frontier.includes(candidate.previousId)
      )
      members.push(...children)
      frontier = children.map(child => child.id)
    }
    return members.sort((a, b) => a.id - b.id)
  }

  /** GitLab's LastUsedService: updates only when unset or older than the granularity window. */
  touch(token: TokenRecord, now: Date): void {
    const last = token.lastUsedAt
    if (last === null || now.getTime() - last.getTime() >= this.settings.lastUsedGranularityMs) {
      token.lastUsedAt = now
    }
  }

  // ---- variables ----

  variables(resource: ResourceRecord): VariableRecord[] {
    const key = resourceKey(resource.kind, resource.id)
    let list = this.#variables.get(key)
    if (list === undefined) {
      list = []
      this.#variables.set(key, list)
    }
    return list
  }

  #requireResource(kind: ResourceKind, id: number): ResourceRecord {
    const resource = this.resource(kind, id)
    if (resource === undefined) throw new Error(`${kind} ${id} no longer exists`)
    return resource
  }

  #newSecret(): string {
    const bytes = randomBytes(20)
    let body = ''
    for (const byte of bytes) body += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length] ?? 'x'
    return `${this.settings.tokenPrefix}${body}`
  }
}
