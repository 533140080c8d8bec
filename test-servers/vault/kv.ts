/**
 * A KV version 2 secrets engine mount, after hashicorp/vault-plugin-secrets-kv: versions with
 * check-and-set, `cas_required` per mount and per secret, `max_versions`, soft delete, undelete,
 * destroy, and metadata with `custom_metadata` under Vault's limits.
 */
import { randomInt } from 'node:crypto'
import type { Core } from './core.js'
import type { EngineRequest, EngineResult } from './engine.js'
import type { KvMountOptions, KvVersionRecord } from './types.js'
import {
  badRequest,
  booleanField,
  durationSeconds,
  goDuration,
  integerField,
  multierror,
  notFound,
  rfc3339Nano,
  unsupportedOperation
} from './wire.js'

/** Vault keeps ten versions when neither the mount nor the secret says otherwise. */
const DEFAULT_MAX_VERSIONS = 10
/** Limits of `custom_metadata` (path_metadata.go in vault-plugin-secrets-kv). */
const MAX_CUSTOM_METADATA_KEYS = 64
const MAX_CUSTOM_METADATA_KEY_LENGTH = 128
const MAX_CUSTOM_METADATA_VALUE_LENGTH = 512
const CUSTOM_METADATA_PREFIX = 'custom_metadata validation failed'

interface Instant {
  ms: number
  /** Nanoseconds past the millisecond, so timestamps show nine digits like Vault's. */
  nanos: number
}

interface KvVersion {
  data: Record<string, unknown> | null
  created: Instant
  deletion: Instant | undefined
  destroyed: boolean
}

interface KvSecret {
  versions: Map<number, KvVersion>
  currentVersion: number
  oldestVersion: number
  created: Instant | undefined
  updated: Instant | undefined
  maxVersions: number
  casRequired: boolean
  deleteVersionAfterS: number
  customMetadata: Record<string, string> | null
}

function stamp(instant: Instant | undefined): string {
  return instant === undefined ? '' : rfc3339Nano(instant.ms, instant.nanos)
}

function printable(text: string): boolean {
  // Go's strutil.Printable: every rune unicode.IsPrint.
  return !/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(text)
}

/** Vault's validateCustomMetadata, with its wording. */
export function validateCustomMetadata(metadata: Record<string, string>): string | undefined {
  const keys = Object.keys(metadata)
  if (keys.length > MAX_CUSTOM_METADATA_KEYS) {
    return multierror([
      `${CUSTOM_METADATA_PREFIX}: payload must contain at most ${MAX_CUSTOM_METADATA_KEYS} keys, provided ${keys.length}`
    ])
  }
  const errors: string[] = []
  for (const [key, value] of Object.entries(metadata)) {
    // Go measures bytes, not characters.
    const keyLength = Buffer.byteLength(key)
    const valueLength = Buffer.byteLength(value)
    if (keyLength === 0 || keyLength > MAX_CUSTOM_METADATA_KEY_LENGTH) {
      errors.push(
        `${CUSTOM_METADATA_PREFIX}: length of key ${JSON.stringify(key)} is ${keyLength} but must be 0 < len(key) <= ${MAX_CUSTOM_METADATA_KEY_LENGTH}`
      )
    }
    if (valueLength === 0 || valueLength > MAX_CUSTOM_METADATA_VALUE_LENGTH) {
      errors.push(
        `${CUSTOM_METADATA_PREFIX}: length of value for key ${JSON.stringify(key)} is ${valueLength} but must be 0 < len(value) <= ${MAX_CUSTOM_METADATA_VALUE_LENGTH}`
      )
    }
    if (!printable(key)) {
      errors.push(
        `${CUSTOM_METADATA_PREFIX}: key ${JSON.stringify(key)} (${key}) contains unprintable characters`
      )
    }
    if (!printable(value)) {
      errors.push(
        `${CUSTOM_METADATA_PREFIX}: value for key ${JSON.stringify(key)} contains unprintable characters`
      )
    }
  }
  return errors.length === 0 ? undefined : multierror(errors)
}

function customMetadataField(value: unknown, allowNulls: boolean): Record<string, string | null> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(`${CUSTOM_METADATA_PREFIX}: expected a map of strings`)
  }
  const map: Record<string, string | null> = {}
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === null && allowNulls) map[key] = null
    else if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
      map[key] = String(item)
    } else
      throw badRequest(`${CUSTOM_METADATA_PREFIX}: value of ${JSON.stringify(key)} is not a string`)
  }
  return map
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch
  const base: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {}
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) Reflect.deleteProperty(base, key)
    else base[key] = mergePatch(base[key], value)
  }
  return base
}

function versionsField(body: Record<string, unknown>): number[] {
  const raw = body.versions
  const list = Array.isArray(raw)
    ? raw
    : typeof raw === 'string'
      ? raw.split(',')
      : raw === undefined
        ? []
        : [raw]
  const versions = list.map(
    item => integerField(typeof item === 'string' ? item.trim() : item, 'versions') ?? 0
  )
  if (versions.length === 0) throw badRequest('no version number provided')
  return versions
}

/** One KV v2 mount. */
export class KvMount {
  readonly #core: Core
  #maxVersions: number
  #casRequired: boolean
  #deleteVersionAfterS = 0
  readonly #secrets = new Map<string, KvSecret>()

  constructor(core: Core, options: KvMountOptions) {
    this.#core = core
    this.#maxVersions = options.max_versions ?? 0
    this.#casRequired = options.cas_required ?? false
  }

  #now(): Instant {
    return { ms: this.#core.nowMs(), nanos: randomInt(1, 1_000_000) }
  }

  /** For the ACL: whether a write to `rel` creates (false) or updates (true). */
  exists(rel: string): boolean {
    const match = /^(?:data|metadata)\/(.+)$/.exec(rel)
    return match?.[1] !== undefined && this.#secrets.has(match[1])
  }

  // --- direct access for tests ----------------------------------------------------------------

  read(path: string, version?: number): KvVersionRecord | undefined {
    const secret = this.#secrets.get(path)
    if (secret === undefined) return undefined
    const number = version ?? secret.currentVersion
    const entry = secret.versions.get(number)
    if (entry === undefined) return undefined
    const gone =
      entry.destroyed || (entry.deletion !== undefined && entry.deletion.ms <= this.#core.nowMs())
    return {
      version: number,
      data: gone || entry.data === null ? null : structuredClone(entry.data),
      created_time: stamp(entry.created),
      deletion_time: stamp(entry.deletion),
      destroyed: entry.destroyed,
      custom_metadata: secret.customMetadata === null ? null : { ...secret.customMetadata }
    }
  }

  write(path: string, data: Record<string, unknown>): number {
    return this.#addVersion(this.#secretFor(path), structuredClone(data)).number
  }

  versions(path: string): number[] {
    return [...(this.#secrets.get(path)?.versions.keys() ?? [])]
  }

  // --- HTTP -----------------------------------------------------------------------------------

  handle(request: EngineRequest): EngineResult | undefined {
    const { rel, operation } = request
    if (rel === 'config') return this.#config(request)
    const match = /^(data|metadata|delete|undelete|destroy)\/(.*)$/.exec(rel)
    const kind = match?.[1]
    const path = match?.[2] ?? ''
    if (kind === undefined || (path === '' && !(kind === 'metadata' && operation === 'list'))) {
      if (kind === undefined) {
        // A KV v1 style path on a v2 mount: Vault answers 404 with this warning.
        return {
          status: 404,
          data: null,
          warnings: [
            "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation."
          ]
        }
      }
      throw badRequest('missing path')
    }
    switch (kind) {
      case 'data':
        if (operation === 'read') return this.#readData(path, request)
        if (operation === 'create' || operation === 'update') return this.#writeData(path, request)
        if (operation === 'patch') return this.#patchData(path, request)
        if (operation === 'delete') return this.#deleteLatest(path)
        break
      case 'metadata':
        if (operation === 'read') return this.#readMetadata(path)
        if (operation === 'list') return this.#list(path)
        if (operation === 'create' || operation === 'update')
          return this.#writeMetadata(path, request)
        if (operation === 'patch') return this.#patchMetadata(path, request)
        this.#secrets.delete(path)
        return undefined
      default:
        if (operation === 'create' || operation === 'update')
          return this.#versionAction(kind, path, request)
    }
    throw unsupportedOperation()
  }

  #config(request: EngineRequest): EngineResult | undefined {
    if (request.operation === 'read') {
      return {
        data: {
          cas_required: this.#casRequired,
          delete_version_after: goDuration(this.#deleteVersionAfterS),
          max_versions: this.#maxVersions
        }
      }
    }
    if (request.operation !== 'create' && request.operation !== 'update')
      throw unsupportedOperation()
    this.#maxVersions = integerField(request.body.max_versions, 'max_versions') ?? this.#maxVersions
    this.#casRequired = booleanField(request.body.cas_required, 'cas_required') ?? this.#casRequired
    this.#deleteVersionAfterS =
      durationSeconds(request.body.delete_version_after, 'delete_version_after') ??
      this.#deleteVersionAfterS
    return undefined
  }

  #secretFor(path: string): KvSecret {
    let secret = this.#secrets.get(path)
    if (secret === undefined) {
      secret = {
        versions: new Map(),
        currentVersion: 0,
        oldestVersion: 0,
        created: undefined,
        updated: undefined,
        maxVersions: 0,
        casRequired: false,
        deleteVersionAfterS: 0,
        customMetadata: null
      }
      this.#secrets.set(path, secret)
    }
    return secret
  }

  #versionMetadata(secret: KvSecret, number: number, entry: KvVersion): Record<string, unknown> {
    return {
      created_time: stamp(entry.created),
      custom_metadata: secret.customMetadata,
      deletion_time: stamp(entry.deletion),
      destroyed: entry.destroyed,
      version: number
    }
  }

  /** Vault's validateCheckAndSetOption, with its wording. */
  #checkAndSet(secret: KvSecret | undefined, body: Record<string, unknown>): void {
    const options = body.options
    const cas =
      typeof options === 'object' && options !== null && !Array.isArray(options)
        ? (options as Record<string, unknown>).cas
        : undefined
    if (cas !== undefined && cas !== null) {
      const parsed =
        typeof cas === 'number'
          ? cas
          : typeof cas === 'string' && /^\d+$/.test(cas)
            ? Number(cas)
            : NaN
      if (!Number.isInteger(parsed)) throw badRequest('error parsing check-and-set parameter')
      if (parsed !== (secret?.currentVersion ?? 0)) {
        throw badRequest('check-and-set parameter did not match the current version')
      }
    } else if (this.#casRequired || secret?.casRequired === true) {
      throw badRequest('check-and-set parameter required for this call')
    }
  }

  #addVersion(
    secret: KvSecret,
    data: Record<string, unknown>
  ): { number: number; entry: KvVersion } {
    const created = this.#now()
    const afterS =
      secret.deleteVersionAfterS > 0 ? secret.deleteVersionAfterS : this.#deleteVersionAfterS
    const entry: KvVersion = {
      data,
      created,
      deletion: afterS > 0 ? { ms: created.ms + afterS * 1000, nanos: created.nanos } : undefined,
      destroyed: false
    }
    secret.currentVersion += 1
    secret.versions.set(secret.currentVersion, entry)
    secret.updated = created
    secret.created ??= created
    // As AddVersion does: the larger of the two settings, else ten.
    const limit = Math.max(secret.maxVersions, this.#maxVersions) || DEFAULT_MAX_VERSIONS
    if (secret.currentVersion - secret.oldestVersion >= limit) {
      const last = secret.currentVersion - limit
      for (let n = secret.oldestVersion; n <= last; n += 1) secret.versions.delete(n)
      secret.oldestVersion = last + 1
    }
    return { number: secret.currentVersion, entry }
  }

  #readData(path: string, request: EngineRequest): EngineResult {
    const secret = this.#secrets.get(path)
    if (secret === undefined) throw notFound()
    const asked = integerField(request.query.get('version') ?? undefined, 'version') ?? 0
    const number = asked > 0 ? asked : secret.currentVersion
    const entry = secret.versions.get(number)
    if (entry === undefined) throw notFound()
    const metadata = this.#versionMetadata(secret, number, entry)
    const deleted = entry.deletion !== undefined && entry.deletion.ms <= this.#core.nowMs()
    if (deleted || entry.destroyed) return { status: 404, data: { data: null, metadata } }
    return { data: { data: structuredClone(entry.data), metadata } }
  }

  #writeData(path: string, request: EngineRequest): EngineResult {
    const data = request.body.data
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw badRequest('no data provided')
    }
    this.#checkAndSet(this.#secrets.get(path), request.body)
    const secret = this.#secretFor(path)
    const { number, entry } = this.#addVersion(
      secret,
      structuredClone(data as Record<string, unknown>)
    )
    return { data: this.#versionMetadata(secret, number, entry) }
  }

  #patchData(path: string, request: EngineRequest): EngineResult {
    if (request.body.data === undefined) throw badRequest('no data provided')
    const secret = this.#secrets.get(path)
    if (secret === undefined) throw notFound()
    this.#checkAndSet(secret, request.body)
    const current = secret.versions.get(secret.currentVersion)
    if (current === undefined) throw notFound()
    const deleted = current.deletion !== undefined && current.deletion.ms <= this.#core.nowMs()
    if (deleted || current.destroyed) {
      return { status: 404, data: this.#versionMetadata(secret, secret.currentVersion, current) }
    }
    const patched = mergePatch(current.data, request.body.data) as Record<string, unknown>
    const { number, entry } = this.#addVersion(secret, patched)
    return { data: this.#versionMetadata(secret, number, entry) }
  }

  #deleteLatest(path: string): EngineResult | undefined {
    const secret = this.#secrets.get(path)
    const entry = secret?.versions.get(secret.currentVersion)
    if (entry !== undefined && !entry.destroyed && entry.deletion === undefined) {
      entry.deletion = this.#now()
    }
    return undefined
  }

  #versionAction(kind: string, path: string, request: EngineRequest): EngineResult | undefined {
    const versions = versionsField(request.body)
    const secret = this.#secrets.get(path)
    if (secret === undefined) return undefined
    for (const number of versions) {
      const entry = secret.versions.get(number)
      if (entry === undefined) continue
      if (kind === 'delete') {
        const deleted = entry.deletion !== undefined && entry.deletion.ms <= this.#core.nowMs()
        if (!entry.destroyed && !deleted) entry.deletion = this.#now()
      } else if (kind === 'undelete') {
        if (!entry.destroyed) entry.deletion = undefined
      } else {
        entry.destroyed = true
        entry.data = null
      }
    }
    return undefined
  }

  #readMetadata(path: string): EngineResult {
    const secret = this.#secrets.get(path)
    if (secret === undefined) throw notFound()
    const versions: Record<string, unknown> = {}
    for (const [number, entry] of secret.versions) {
      versions[String(number)] = {
        created_time: stamp(entry.created),
        deletion_time: stamp(entry.deletion),
        destroyed: entry.destroyed
      }
    }
    return {
      data: {
        cas_required: secret.casRequired,
        created_time: stamp(secret.created),
        current_version: secret.currentVersion,
        custom_metadata: secret.customMetadata,
        delete_version_after: goDuration(secret.deleteVersionAfterS),
        max_versions: secret.maxVersions,
        oldest_version: secret.oldestVersion,
        updated_time: stamp(secret.updated),
        versions
      }
    }
  }

  #list(prefix: string): EngineResult {
    if (prefix !== '' && !prefix.endsWith('/')) prefix = `${prefix}/`
    const keys = new Set<string>()
    for (const path of this.#secrets.keys()) {
      if (!path.startsWith(prefix)) continue
      const rest = path.slice(prefix.length)
      const slash = rest.indexOf('/')
      keys.add(slash < 0 ? rest : rest.slice(0, slash + 1))
    }
    if (keys.size === 0) throw notFound()
    return { data: { keys: [...keys].sort() } }
  }

  #applyMetadataFields(
    secret: KvSecret,
    body: Record<string, unknown>,
    custom: Record<string, string> | undefined
  ): string[] {
    const warnings: string[] = []
    const maxVersions = integerField(body.max_versions, 'max_versions')
    if (maxVersions !== undefined) secret.maxVersions = maxVersions
    const casRequired = booleanField(body.cas_required, 'cas_required')
    if (casRequired !== undefined) {
      secret.casRequired = casRequired
      if (!casRequired && this.#casRequired) {
        warnings.push(
          '"cas_required" set to false, but is mandated by backend config. This value will be ignored.'
        )
      }
    }
    const after = durationSeconds(body.delete_version_after, 'delete_version_after')
    if (after !== undefined) secret.deleteVersionAfterS = after
    if (custom !== undefined) secret.customMetadata = custom
    return warnings
  }

  #writeMetadata(path: string, request: EngineRequest): EngineResult | undefined {
    const { body } = request
    const fields = ['max_versions', 'cas_required', 'delete_version_after', 'custom_metadata']
    if (!fields.some(field => body[field] !== undefined)) return undefined
    let custom: Record<string, string> | undefined
    if (body.custom_metadata !== undefined && body.custom_metadata !== null) {
      custom = customMetadataField(body.custom_metadata, false) as Record<string, string>
      const problem = validateCustomMetadata(custom)
      if (problem !== undefined) throw badRequest(problem)
    }
    const existed = this.#secrets.has(path)
    const secret = this.#secretFor(path)
    if (!existed) secret.created = this.#now()
    const warnings = this.#applyMetadataFields(secret, body, custom)
    return warnings.length > 0 ? { data: null, warnings } : undefined
  }

  #patchMetadata(path: string, request: EngineRequest): EngineResult | undefined {
    const secret = this.#secrets.get(path)
    if (secret === undefined) throw notFound()
    let custom: Record<string, string> | undefined
    if (request.body.custom_metadata !== undefined && request.body.custom_metadata !== null) {
      const patch = customMetadataField(request.body.custom_metadata, true)
      const merged: Record<string, string> = { ...(secret.customMetadata ?? {}) }
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) Reflect.deleteProperty(merged, key)
        else merged[key] = value
      }
      const problem = validateCustomMetadata(merged)
      if (problem !== undefined) throw badRequest(problem)
      custom = merged
    }
    const warnings = this.#applyMetadataFields(secret, request.body, custom)
    return warnings.length > 0 ? { data: null, warnings } : undefined
  }
}
