/**
 * AppRole auth: `role_id` + `secret_id` log in; secret IDs can be made over HTTP and expire by TTL
 * or number of uses on the server clock.
 */
import { randomUUID } from 'node:crypto'
import type { LoginGrant } from './jwt.js'
import type { AppRoleRoleOptions } from './types.js'
import { badRequest, durationSeconds } from './wire.js'

interface SecretId {
  accessor: string
  createdMs: number
  expiresMs: number | undefined
  usesLeft: number | undefined
}

interface Role {
  options: AppRoleRoleOptions
  roleId: string
  secretIds: Map<string, SecretId>
}

/** One AppRole auth mount. */
export class AppRoleMount {
  readonly #roles = new Map<string, Role>()
  readonly #nowMs: () => number

  constructor(roles: Record<string, AppRoleRoleOptions>, nowMs: () => number) {
    this.#nowMs = nowMs
    for (const [name, options] of Object.entries(roles)) this.setRole(name, options)
  }

  setRole(name: string, options: AppRoleRoleOptions): void {
    const existing = this.#roles.get(name)
    const role: Role = {
      options: { ...existing?.options, ...options },
      roleId: options.role_id ?? existing?.roleId ?? randomUUID(),
      secretIds: existing?.secretIds ?? new Map<string, SecretId>()
    }
    this.#roles.set(name, role)
    for (const secretId of options.secret_ids ?? []) this.#addSecretId(role, secretId)
  }

  role(name: string): Role | undefined {
    return this.#roles.get(name)
  }

  deleteRole(name: string): void {
    this.#roles.delete(name)
  }

  roleNames(): string[] {
    return [...this.#roles.keys()].sort()
  }

  #addSecretId(role: Role, secretId: string): SecretId {
    const ttlS = durationSeconds(role.options.secret_id_ttl, 'secret_id_ttl') ?? 0
    const uses = role.options.secret_id_num_uses ?? 0
    const now = this.#nowMs()
    const entry: SecretId = {
      accessor: randomUUID(),
      createdMs: now,
      expiresMs: ttlS > 0 ? now + ttlS * 1000 : undefined,
      usesLeft: uses > 0 ? uses : undefined
    }
    role.secretIds.set(secretId, entry)
    return entry
  }

  /** `POST role/<name>/secret-id`. */
  newSecretId(name: string): Record<string, unknown> {
    const role = this.#roles.get(name)
    if (role === undefined) throw badRequest(`role "${name}" does not exist`)
    const secretId = randomUUID()
    const entry = this.#addSecretId(role, secretId)
    return {
      secret_id: secretId,
      secret_id_accessor: entry.accessor,
      secret_id_num_uses: entry.usesLeft ?? 0,
      secret_id_ttl:
        entry.expiresMs === undefined ? 0 : Math.round((entry.expiresMs - entry.createdMs) / 1000)
    }
  }

  /** `POST login`. */
  login(body: Record<string, unknown>): LoginGrant {
    const roleId = body.role_id
    if (typeof roleId !== 'string' || roleId === '') throw badRequest('missing role_id')
    const found = [...this.#roles].find(([, role]) => role.roleId === roleId)
    if (found === undefined) throw badRequest('invalid role or secret ID')
    const [name, role] = found
    if (role.options.bind_secret_id !== false) {
      const secretId = body.secret_id
      if (typeof secretId !== 'string' || secretId === '') throw badRequest('missing secret_id')
      const entry = role.secretIds.get(secretId)
      const expired = entry?.expiresMs !== undefined && entry.expiresMs <= this.#nowMs()
      if (entry === undefined || expired) throw badRequest('invalid role or secret ID')
      if (entry.usesLeft !== undefined) {
        entry.usesLeft -= 1
        if (entry.usesLeft <= 0) role.secretIds.delete(secretId)
      }
    }
    return {
      policies: role.options.token_policies ?? [],
      ttlS: durationSeconds(role.options.token_ttl, 'token_ttl') ?? 0,
      maxTtlS: durationSeconds(role.options.token_max_ttl, 'token_max_ttl') ?? 0,
      periodS: durationSeconds(role.options.token_period, 'token_period') ?? 0,
      noDefaultPolicy: role.options.token_no_default_policy === true,
      metadata: { role_name: name },
      displayName: name,
      role: name
    }
  }
}
