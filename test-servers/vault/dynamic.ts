/**
 * Secrets engines whose credentials live on a lease: the database engine (dynamic roles at
 * `creds/<role>`, static roles rotated on the server clock at `static-creds/<name>`) and a small
 * AWS engine (`creds/<role>`). A credential works exactly while its lease is alive: revoking the
 * lease, or the token that read it, or letting it expire, drops the account.
 */
import { randomBytes } from 'node:crypto'
import type { Core } from './core.js'
import type { EngineRequest, EngineResult } from './engine.js'
import type { AwsMountOptions, DatabaseMountOptions, DatabaseStaticRoleOptions } from './types.js'
import {
  badRequest,
  base62,
  durationSeconds,
  noRoute,
  notFound,
  rfc3339Nano,
  stringField,
  unsupportedOperation
} from './wire.js'

interface DynamicRole {
  dbName: string
  defaultTtlS: number
  maxTtlS: number
}

interface StaticRole {
  dbName: string
  username: string
  rotationPeriodS: number
  password: string
  lastRotationMs: number
}

/** Vault's default password policy makes 20 characters with every class present. */
function password(): string {
  return `A1a-${base62(16)}`
}

function ttlField(value: unknown, field: string): number {
  return durationSeconds(value, field) ?? 0
}

function requireToken(request: EngineRequest): string {
  // A lease always belongs to the token that read it; only authenticated paths reach here.
  const id = request.token?.id
  if (id === undefined) throw badRequest('a token is required')
  return id
}

/** One database secrets engine mount. */
export class DatabaseMount {
  readonly #core: Core
  readonly #mount: string
  readonly #roles = new Map<string, DynamicRole>()
  readonly #staticRoles = new Map<string, StaticRole>()
  /** Accounts created for leases, by username. */
  readonly #users = new Map<string, { password: string; leaseId: string }>()

  constructor(core: Core, mount: string, options: DatabaseMountOptions) {
    this.#core = core
    this.#mount = mount
    for (const [name, role] of Object.entries(options.roles ?? {})) {
      this.#roles.set(name, {
        dbName: role.db_name ?? 'db',
        defaultTtlS: ttlField(role.default_ttl, 'default_ttl'),
        maxTtlS: ttlField(role.max_ttl, 'max_ttl')
      })
    }
    for (const [name, role] of Object.entries(options.static_roles ?? {}))
      this.#setStaticRole(name, role)
    // Vault's rotation queue: a static role whose period has passed gets a new password.
    core.onSweep(now => {
      for (const role of this.#staticRoles.values()) {
        if (role.rotationPeriodS > 0 && role.lastRotationMs + role.rotationPeriodS * 1000 <= now) {
          this.#rotate(role)
        }
      }
    })
  }

  #setStaticRole(name: string, role: DatabaseStaticRoleOptions): void {
    const periodS = ttlField(role.rotation_period, 'rotation_period')
    if (periodS < 5) throw badRequest('rotation_period must be 5 seconds or more')
    this.#staticRoles.set(name, {
      dbName: role.db_name ?? 'db',
      username: role.username,
      rotationPeriodS: periodS,
      password: role.password ?? password(),
      lastRotationMs: this.#core.nowMs()
    })
  }

  #rotate(role: StaticRole): void {
    role.password = password()
    role.lastRotationMs = this.#core.nowMs()
  }

  canLogin(username: string, secret: string): boolean {
    const user = this.#users.get(username)
    if (user !== undefined)
      return user.password === secret && this.#core.liveLease(user.leaseId) !== undefined
    return [...this.#staticRoles.values()].some(
      role => role.username === username && role.password === secret
    )
  }

  liveUsers(): string[] {
    return [...this.#users.keys(), ...[...this.#staticRoles.values()].map(role => role.username)]
  }

  staticPassword(name: string): string | undefined {
    return this.#staticRoles.get(name)?.password
  }

  handle(request: EngineRequest): EngineResult | undefined {
    const [kind = '', ...restParts] = request.rel.split('/')
    const name = restParts.join('/')
    const op = request.operation
    if (kind === 'creds' && name !== '') {
      if (op !== 'read') throw unsupportedOperation()
      return this.#creds(request, name)
    }
    if (kind === 'static-creds' && name !== '') {
      if (op !== 'read') throw unsupportedOperation()
      return this.#staticCreds(name)
    }
    if (kind === 'rotate-role' && name !== '') {
      if (op !== 'update' && op !== 'create') throw unsupportedOperation()
      const role = this.#staticRoles.get(name)
      if (role === undefined) throw badRequest(`unable to find static role "${name}"`)
      this.#rotate(role)
      return undefined
    }
    if (kind === 'roles') return this.#rolesApi(request, name)
    if (kind === 'static-roles') return this.#staticRolesApi(request, name)
    throw noRoute(`${this.#mount}/${request.rel}`)
  }

  #creds(request: EngineRequest, name: string): EngineResult {
    const role = this.#roles.get(name)
    if (role === undefined) throw badRequest(`unknown role: ${name}`)
    const tokenId = requireToken(request)
    const display = (request.token?.displayName ?? 'token')
      .replace(/[^A-Za-z0-9-]/g, '-')
      .slice(0, 8)
    const username =
      `v-${display}-${name.slice(0, 8)}-${base62(20)}-${Math.floor(this.#core.nowMs() / 1000)}`.slice(
        0,
        63
      )
    const secret = password()
    const lease = this.#core.registerLease({
      namespace: request.namespace,
      path: `${this.#mount}/creds/${name}`,
      tokenId,
      defaultTtlS: role.defaultTtlS,
      maxTtlS: role.maxTtlS,
      onRevoke: () => {
        this.#users.delete(username)
      }
    })
    this.#users.set(username, { password: secret, leaseId: lease.id })
    const durationS = Math.round((lease.expireMs - lease.issuedMs) / 1000)
    return {
      data: { username, password: secret },
      lease: { id: lease.id, durationS, renewable: true }
    }
  }

  #staticCreds(name: string): EngineResult {
    const role = this.#staticRoles.get(name)
    if (role === undefined) throw badRequest(`unknown role: ${name}`)
    const next = role.lastRotationMs + role.rotationPeriodS * 1000
    return {
      data: {
        last_vault_rotation: rfc3339Nano(role.lastRotationMs),
        password: role.password,
        rotation_period: role.rotationPeriodS,
        ttl: Math.max(0, Math.floor((next - this.#core.nowMs()) / 1000)),
        username: role.username
      }
    }
  }

  #rolesApi(request: EngineRequest, name: string): EngineResult | undefined {
    const op = request.operation
    if (name === '' && op === 'list') {
      if (this.#roles.size === 0) throw notFound()
      return { data: { keys: [...this.#roles.keys()].sort() } }
    }
    if (name === '') throw noRoute(`${this.#mount}/roles`)
    if (op === 'read') {
      const role = this.#roles.get(name)
      if (role === undefined) throw notFound()
      return {
        data: { db_name: role.dbName, default_ttl: role.defaultTtlS, max_ttl: role.maxTtlS }
      }
    }
    if (op === 'create' || op === 'update') {
      this.#roles.set(name, {
        dbName: stringField(request.body.db_name, 'db_name') ?? 'db',
        defaultTtlS: ttlField(request.body.default_ttl, 'default_ttl'),
        maxTtlS: ttlField(request.body.max_ttl, 'max_ttl')
      })
      return undefined
    }
    if (op === 'delete') {
      this.#roles.delete(name)
      return undefined
    }
    throw unsupportedOperation()
  }

  #staticRolesApi(request: EngineRequest, name: string): EngineResult | undefined {
    const op = request.operation
    if (name === '' && op === 'list') {
      if (this.#staticRoles.size === 0) throw notFound()
      return { data: { keys: [...this.#staticRoles.keys()].sort() } }
    }
    if (name === '') throw noRoute(`${this.#mount}/static-roles`)
    if (op === 'read') {
      const role = this.#staticRoles.get(name)
      if (role === undefined) throw notFound()
      return {
        data: {
          db_name: role.dbName,
          last_vault_rotation: rfc3339Nano(role.lastRotationMs),
          rotation_period: role.rotationPeriodS,
          username: role.username
        }
      }
    }
    if (op === 'create' || op === 'update') {
      const username = stringField(request.body.username, 'username')
      if (username === undefined)
        throw badRequest('username is a required field to create a static account')
      this.#setStaticRole(name, {
        username,
        rotation_period: ttlField(request.body.rotation_period, 'rotation_period'),
        db_name: stringField(request.body.db_name, 'db_name') ?? 'db'
      })
      return undefined
    }
    if (op === 'delete') {
      this.#staticRoles.delete(name)
      return undefined
    }
    throw unsupportedOperation()
  }
}

/** One AWS secrets engine mount, reduced to leased `creds/<role>` access keys. */
export class AwsMount {
  readonly #core: Core
  readonly #mount: string
  readonly #roles: Map<string, { defaultTtlS: number; maxTtlS: number }>
  readonly #keys = new Map<string, { secret: string; leaseId: string }>()

  constructor(core: Core, mount: string, options: AwsMountOptions) {
    this.#core = core
    this.#mount = mount
    this.#roles = new Map(
      Object.entries(options.roles ?? {}).map(([name, role]) => [
        name,
        {
          defaultTtlS: ttlField(role.default_ttl, 'default_ttl'),
          maxTtlS: ttlField(role.max_ttl, 'max_ttl')
        }
      ])
    )
  }

  isValid(accessKeyId: string, secretAccessKey: string): boolean {
    const key = this.#keys.get(accessKeyId)
    return (
      key !== undefined &&
      key.secret === secretAccessKey &&
      this.#core.liveLease(key.leaseId) !== undefined
    )
  }

  handle(request: EngineRequest): EngineResult {
    const match = /^(?:creds|sts)\/(.+)$/.exec(request.rel)
    const name = match?.[1]
    if (name === undefined) throw noRoute(`${this.#mount}/${request.rel}`)
    if (request.operation !== 'read' && request.operation !== 'update') throw unsupportedOperation()
    const role = this.#roles.get(name)
    if (role === undefined) throw badRequest(`Role "${name}" not found`)
    const accessKey = `AKIA${randomBytes(12).toString('hex').toUpperCase().slice(0, 16)}`
    const secretKey = base62(40)
    const lease = this.#core.registerLease({
      namespace: request.namespace,
      path: `${this.#mount}/creds/${name}`,
      tokenId: requireToken(request),
      defaultTtlS: role.defaultTtlS,
      maxTtlS: role.maxTtlS,
      onRevoke: () => {
        this.#keys.delete(accessKey)
      }
    })
    this.#keys.set(accessKey, { secret: secretKey, leaseId: lease.id })
    return {
      data: { access_key: accessKey, secret_key: secretKey, security_token: null },
      lease: {
        id: lease.id,
        durationS: Math.round((lease.expireMs - lease.issuedMs) / 1000),
        renewable: true
      }
    }
  }
}
