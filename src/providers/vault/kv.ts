import { ActionError, type Phase } from '../../errors.js'
import { VAULT_REFUSED } from './errors.js'
import { VaultResponseError, type VaultAnswer } from './http.js'
import type { VaultSession } from './session.js'

/** One version of a KV v2 secret, as read. Its data holds secrets. */
export interface KvVersion {
  version: number
  /** Vault's clock when the version was written. */
  createdTime: Date
  data: Record<string, unknown>
  /** The secret's custom_metadata (version-agnostic). */
  customMetadata: Record<string, string>
}

/** What a read of a KV v2 secret found. */
export type KvRead =
  | { found: true; latest: KvVersion; answer: VaultAnswer }
  /**
   * No readable version: no secret at all (`currentVersion` 0), or its newest version deleted or
   * destroyed (`currentVersion` is that version, which a write's `cas` must name).
   */
  | { found: false; currentVersion: number; answer?: VaultAnswer }

/** What a write of a KV v2 secret made. */
export interface KvWritten {
  version: number
  createdTime: Date
  answer: VaultAnswer
}

/** The version-agnostic metadata of a KV v2 secret. */
export interface KvMetadata {
  currentVersion: number
  customMetadata: Record<string, string>
  casRequired: boolean
}

/**
 * A KV version 2 mount: versioned secrets, written with check-and-set (`options.cas`), and their
 * custom_metadata.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2
 */
export class KvV2 {
  readonly session: VaultSession
  readonly mount: string

  constructor(session: VaultSession, mount: string) {
    this.session = session
    this.mount = mount
  }

  dataPath(path: string): string {
    return `${this.mount}/data/${path}`
  }

  metadataPath(path: string): string {
    return `${this.mount}/metadata/${path}`
  }

  /** `mount/path`, for messages. */
  name(path: string): string {
    return `${this.mount}/${path}`
  }

  /** Reads the newest version (or `version`) of the secret at `path`. */
  async read(
    path: string,
    phase: Phase,
    options: { version?: number; signal?: AbortSignal } = {}
  ): Promise<KvRead> {
    const dataPath = this.dataPath(path)
    let answer: VaultAnswer
    try {
      answer = await this.session.call(
        {
          method: 'GET',
          path: dataPath,
          ...(options.version !== undefined ? { query: { version: String(options.version) } } : {}),
          ...(options.signal ? { signal: options.signal } : {})
        },
        {
          phase,
          doing: `reading ${options.version !== undefined ? `version ${options.version} of ` : ''}the KV secret ${this.name(path)}`,
          path: dataPath,
          capability: 'read',
          idempotent: true
        }
      )
    } catch (error) {
      const cause = error instanceof ActionError ? error.cause : undefined
      if (cause instanceof VaultResponseError && cause.status === 404) {
        // A deleted or destroyed version answers 404 with its metadata; no secret, without.
        const metadata = metadataOf(cause.body)
        if (metadata !== undefined || cause.errors.length === 0) {
          return { found: false, currentVersion: versionOf(metadata) ?? 0 }
        }
      }
      throw error
    }
    const inner = (answer.body as { data?: unknown } | undefined)?.data
    const data = (inner as { data?: unknown } | undefined)?.data
    const metadata = metadataOf(answer.body)
    const version = versionOf(metadata)
    const created = createdOf(metadata)
    if (version === undefined || created === undefined) {
      throw new ActionError(
        `Vault's answer for ${this.name(path)} is not a KV version 2 secret (no metadata.version): is ${this.mount} a KV version 2 mount?`,
        { code: VAULT_REFUSED, phase }
      )
    }
    if (typeof data !== 'object' || data === null) {
      return { found: false, currentVersion: version, answer }
    }
    return {
      found: true,
      latest: {
        version,
        createdTime: created,
        data: data as Record<string, unknown>,
        customMetadata: customOf(metadata)
      },
      answer
    }
  }

  /**
   * Writes a new version with check-and-set: `cas` is the version this write replaces (0: only if
   * the secret does not exist). Vault answers 400 when another writer got there first.
   */
  async write(
    path: string,
    data: Record<string, unknown>,
    cas: number,
    phase: Phase,
    options: { signal?: AbortSignal; doing?: string } = {}
  ): Promise<KvWritten> {
    const dataPath = this.dataPath(path)
    const answer = await this.session.call(
      {
        method: 'POST',
        path: dataPath,
        body: { options: { cas }, data },
        ...(options.signal ? { signal: options.signal } : {})
      },
      {
        phase,
        doing: options.doing ?? `writing the KV secret ${this.name(path)}`,
        path: dataPath,
        capability: cas === 0 ? 'create' : 'update',
        // With cas, a write sent twice cannot land twice.
        idempotent: true
      }
    )
    const written = (answer.body as { data?: unknown } | undefined)?.data
    const version = versionOf(written)
    const created = createdOf(written)
    if (version === undefined || created === undefined) {
      throw new ActionError(
        `Vault's answer to the write of ${this.name(path)} names no version: is ${this.mount} a KV version 2 mount?`,
        { code: VAULT_REFUSED, phase }
      )
    }
    return { version, createdTime: created, answer }
  }

  /** Reads the version-agnostic metadata; undefined when the secret has none. */
  async readMetadata(path: string, phase: Phase): Promise<KvMetadata | undefined> {
    const metadataPath = this.metadataPath(path)
    let answer: VaultAnswer
    try {
      answer = await this.session.call(
        { method: 'GET', path: metadataPath },
        {
          phase,
          doing: `reading the metadata of the KV secret ${this.name(path)}`,
          path: metadataPath,
          capability: 'read',
          idempotent: true
        }
      )
    } catch (error) {
      const cause = error instanceof ActionError ? error.cause : undefined
      if (cause instanceof VaultResponseError && cause.status === 404) return undefined
      throw error
    }
    const data = (answer.body as { data?: unknown } | undefined)?.data as
      Record<string, unknown> | undefined
    const current = data?.current_version
    return {
      currentVersion: typeof current === 'number' ? current : 0,
      customMetadata: customOf(data),
      casRequired: data?.cas_required === true
    }
  }

  /** Replaces the secret's custom_metadata (every key: pass the ones to keep). */
  async writeMetadata(
    path: string,
    customMetadata: Record<string, string>,
    phase: Phase,
    options: { signal?: AbortSignal; doing?: string } = {}
  ): Promise<void> {
    const metadataPath = this.metadataPath(path)
    await this.session.call(
      {
        method: 'POST',
        path: metadataPath,
        body: { custom_metadata: customMetadata },
        ...(options.signal ? { signal: options.signal } : {})
      },
      {
        phase,
        doing: options.doing ?? `writing the custom_metadata of the KV secret ${this.name(path)}`,
        path: metadataPath,
        capability: 'update',
        idempotent: true
      }
    )
  }
}

function metadataOf(body: unknown): Record<string, unknown> | undefined {
  const data = (body as { data?: unknown } | undefined)?.data
  const metadata = (data as { metadata?: unknown } | undefined)?.metadata
  return typeof metadata === 'object' && metadata !== null
    ? (metadata as Record<string, unknown>)
    : undefined
}

function versionOf(metadata: unknown): number | undefined {
  const version = (metadata as { version?: unknown } | undefined)?.version
  return typeof version === 'number' && Number.isInteger(version) ? version : undefined
}

function createdOf(metadata: unknown): Date | undefined {
  const created = (metadata as { created_time?: unknown } | undefined)?.created_time
  if (typeof created !== 'string') return undefined
  const date = new Date(created)
  return Number.isNaN(date.getTime()) ? undefined : date
}

function customOf(metadata: unknown): Record<string, string> {
  const custom = (metadata as { custom_metadata?: unknown } | undefined)?.custom_metadata
  if (typeof custom !== 'object' || custom === null) return {}
  return Object.fromEntries(
    Object.entries(custom).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string'
    )
  )
}
