import * as z from 'zod'
import type { ActionConfig } from '../../config/rotation-config.js'
import type { InputName, RawInputs } from '../../config/inputs.js'
import { parseList } from '../../config/lists.js'
import { DURATION_HINT, formatDuration, parseDuration } from '../../duration.js'
import { NO_FILE, type Draft, type PartReport } from '../provider.js'
import {
  FLAT_INPUTS,
  parseConnection,
  settingsFromInputs,
  settingsFromSection,
  type SettingKey,
  type VaultConnection
} from './config.js'
import type { DynamicSettings } from './dynamic.js'
import { isStaticPath } from './static-role.js'
import type { KvTargetEntry } from './target.js'

declare module '../../config/rotation-config.js' {
  interface ProviderSlices {
    /** The Vault server a credential uses, and each role Vault plays in it. */
    vault?: VaultSlice
  }
}

/** What a credential asks of Vault. Holds secrets (the connection's): never log it. */
export interface VaultSlice {
  connection: VaultConnection
  /** `store: vault-kv`: the secret, its field (absent: the record only) and its lock. */
  store?: { mount: string; path: string; field?: string; lockPath: string }
  /** `issuer: vault-dynamic`. */
  dynamic?: DynamicSettings
  /** `publish: - vault: { … }` entries, in the file's order. */
  targets?: KvTargetEntry[]
}

/** `store: vault-kv`. */
export const VAULT_KV = 'vault-kv'
/** `issuer: vault-dynamic`. */
export const VAULT_DYNAMIC = 'vault-dynamic'
/** The key of a `publish` entry that writes into Vault. */
export const VAULT_TARGET = 'vault'
/** The field the refresh token is kept in when none is named. */
export const DEFAULT_FIELD = 'refresh_token'

const KV_PATH = /^[A-Za-z0-9_.@=+\-/]+$/
const TOKEN_ROLE = /^[A-Za-z0-9_.-]+$/

/** The schema of a `publish` entry's `vault:` keys, as the file writes them. */
export const targetEntrySchema = z.strictObject({
  mount: z.string().min(1).optional(),
  path: z.string().min(1),
  field: z.string().min(1).optional()
})

/** Vault's KV store is claimed for the dynamic issuer, whose record it keeps. */
export function defaultVaultStore(raw: RawInputs, issuer: string): string | undefined {
  return issuer === VAULT_DYNAMIC || raw['vault-kv-path'] !== '' ? VAULT_KV : undefined
}

/**
 * The Vault parts of a credential: the connection (the file's `vault:` section, or the `vault-*`
 * inputs), the KV store with its record and lock, and the dynamic issuer.
 */
export function configureVault(draft: Draft): void {
  const store = draft.store === VAULT_KV
  const issuer = draft.issuer === VAULT_DYNAMIC
  if (!store && !issuer) return
  const connection = connectionOf(draft)
  const { raw, add, report } = draft
  // A flat run names its inputs; a file run its keys.
  const keyProblem = (key: string, input: InputName, message: string) => {
    if (draft.file === NO_FILE) add(input, message)
    else report([{ input: key, message }])
  }
  let dynamic: DynamicSettings | undefined
  if (issuer) {
    dynamic = dynamicSettings(draft, keyProblem)
    if (!store) {
      add(
        'store',
        `must be ${VAULT_KV} with issuer: ${VAULT_DYNAMIC}: the leases to revoke are recorded in a KV secret's custom_metadata`
      )
    }
    if (draft.mode === 'rollback') {
      add(
        'mode',
        `rollback does not apply to issuer: ${VAULT_DYNAMIC}: Vault issues a new credential each time; a replaced one is revoked, not restored`
      )
    }
    // The value is the lease's data, a JSON document: targets publish it by field.
    const field = draft.file.keys['issuer.field']
    draft.document = field !== undefined ? { field } : {}
    if (raw['health-check-url'] !== '' && field === undefined) {
      report([
        {
          input: 'issuer.field',
          message:
            'is required with an HTTP health check: the check sends one field of the credential (password, say), never the whole document'
        }
      ])
    }
  }
  let kv: VaultSlice['store']
  if (store) {
    const consumes = draft.issues?.consumesInput === true
    if (!consumes && !issuer) {
      add(
        'store',
        `${VAULT_KV} keeps a credential the issuer exchanges (issuer: oauth2) or the record of issuer: ${VAULT_DYNAMIC}; this issuer needs neither`
      )
    }
    kv = storeSettings(draft, dynamic, consumes, keyProblem)
  }
  if (!connection) return
  draft.slices.vault = {
    ...draft.slices.vault,
    connection,
    ...(kv ? { store: kv } : {}),
    ...(dynamic ? { dynamic } : {})
  }
  if (kv) {
    draft.keepsRecord = true
    draft.storeConfig = {
      kind: VAULT_KV,
      subject: `${kv.mount}/${kv.path}`,
      record: {
        where: `KV secret ${kv.mount}/${kv.path} of ${connection.endpoint.address}${connection.endpoint.namespace ? ` (namespace ${connection.endpoint.namespace})` : ''}`,
        key: 'store.path'
      }
    }
  }
}

/** The `publish: - vault: { … }` entries. */
export function configureVaultTargets(draft: Draft): void {
  const entries = draft.file.targets.filter(target => target.key === VAULT_TARGET)
  if (entries.length === 0) return
  const connection = draft.slices.vault?.connection ?? connectionOf(draft)
  const targets: KvTargetEntry[] = []
  for (const { entry, index } of entries) {
    const parsed = targetEntrySchema.safeParse(entry)
    const at = `publish[${String(index)}].${VAULT_TARGET}`
    if (!parsed.success) continue
    const { mount = 'secret', path, field } = parsed.data
    if (!KV_PATH.test(path) || path.startsWith('/') || path.includes('..')) {
      draft.report([{ input: `${at}.path`, message: `'${path}' is not a KV secret's path` }])
      continue
    }
    if (field === undefined && draft.document === undefined) {
      draft.report([
        {
          input: `${at}.field`,
          message: 'is required: the KV field the value is written to (value, access_token, ...)'
        }
      ])
      continue
    }
    targets.push({ mount, path, ...(field !== undefined ? { field } : {}) })
  }
  if (!connection) return
  draft.slices.vault = { ...draft.slices.vault, connection, targets }
}

/** The connection from the file's section, else the flat inputs; problems named where they are. */
function connectionOf(draft: Draft): VaultConnection | undefined {
  const section = draft.file.sections[VAULT_TARGET]
  if (section !== undefined) {
    const settings = settingsFromSection(section)
    if (!settings) return undefined
    return parseConnection(settings, (key, message) => {
      draft.report([{ input: `vault.${key}`, message }])
    })
  }
  const settings = settingsFromInputs(draft.raw)
  if (!settings) {
    draft.add(
      'vault-url',
      'is required for Vault: its address (or, in the configuration file, a vault: section with address and auth)'
    )
    return undefined
  }
  return parseConnection(settings, (key: SettingKey, message) => {
    draft.add(FLAT_INPUTS[key], message)
  })
}

function storeSettings(
  draft: Draft,
  dynamic: DynamicSettings | undefined,
  consumes: boolean,
  problem: (key: string, input: InputName, message: string) => void
): VaultSlice['store'] {
  const { raw } = draft
  const mount = draft.file.keys['store.mount'] ?? raw['vault-kv-mount']
  let path = draft.file.keys['store.path'] ?? raw['vault-kv-path']
  if (path === '' && dynamic) path = `token-rotation/${dynamic.path}`
  // Without its issuer's path the record's default path is unknown: that problem is said already.
  if (path === '' && draft.issuer === VAULT_DYNAMIC) return undefined
  if (path === '') {
    problem(
      'store.path',
      'vault-kv-path',
      `is required with store: ${VAULT_KV}: the KV secret whose ${DEFAULT_FIELD} field holds the refresh token (ci/api, say)`
    )
    return undefined
  }
  let ok = true
  if (!KV_PATH.test(mount) || mount.startsWith('/') || mount.endsWith('/')) {
    problem('store.mount', 'vault-kv-mount', `'${mount}' is not the path of a KV version 2 mount`)
    ok = false
  }
  if (!KV_PATH.test(path) || path.startsWith('/') || path.endsWith('/') || path.includes('..')) {
    problem('store.path', 'vault-kv-path', `'${path}' is not a KV secret's path (ci/api, say)`)
    ok = false
  }
  const field = consumes ? raw['store-field'] || DEFAULT_FIELD : undefined
  if (!consumes && raw['store-field'] !== '') {
    draft.add(
      'store-field',
      `applies to a refresh token kept in ${VAULT_KV}; issuer: ${VAULT_DYNAMIC} keeps only its record there`
    )
  }
  if (!ok) return undefined
  return { mount, path, ...(field !== undefined ? { field } : {}), lockPath: `${path}.lock` }
}

function dynamicSettings(
  draft: Draft,
  problem: (key: string, input: InputName, message: string) => void
): DynamicSettings | undefined {
  const { raw, file } = draft
  const path = file.keys['issuer.path'] ?? raw['vault-creds-path']
  if (path === '') {
    problem(
      'issuer.path',
      'vault-creds-path',
      `is required with issuer: ${VAULT_DYNAMIC}: the path that issues credentials with a lease (database/creds/app, say)`
    )
    return undefined
  }
  if (!KV_PATH.test(path) || path.startsWith('/') || path.includes('..')) {
    problem('issuer.path', 'vault-creds-path', `'${path}' is not a Vault path`)
    return undefined
  }
  const tokenRole = file.keys['issuer.token-role']
  if (tokenRole !== undefined && !TOKEN_ROLE.test(tokenRole)) {
    draft.report([
      { input: 'issuer.token-role', message: `'${tokenRole}' is not a token role's name` }
    ])
  }
  const tokenTtl = file.keys['issuer.token-ttl']
  if (tokenTtl !== undefined && (parseDuration(tokenTtl) ?? 0) <= 0) {
    draft.report([
      {
        input: 'issuer.token-ttl',
        message: `'${tokenTtl}' is not a duration longer than 0; use ${DURATION_HINT}`
      }
    ])
  }
  const policies = file.keys['issuer.token-policies']
  const renewBefore = file.keys['issuer.renew-before']
  const renewBeforeMs = renewBefore === undefined ? undefined : parseDuration(renewBefore)
  if (isStaticPath(path)) {
    const leaseKeys = {
      'issuer.renew-before': renewBefore,
      'issuer.token-role': tokenRole,
      'issuer.token-ttl': tokenTtl,
      'issuer.token-policies': policies
    }
    for (const [key, value] of Object.entries(leaseKeys)) {
      if (value === undefined) continue
      draft.report([
        {
          input: key,
          message: `applies to a credential with a lease; ${path} is a static role, whose password Vault rotates by itself: remove it`
        }
      ])
    }
  }
  if (renewBefore !== undefined && (renewBeforeMs ?? 0) <= 0) {
    draft.report([
      {
        input: 'issuer.renew-before',
        message: `'${renewBefore}' is not a duration longer than 0; use ${DURATION_HINT}`
      }
    ])
  }
  return {
    path,
    ...(tokenRole !== undefined ? { tokenRole } : {}),
    ...(tokenTtl !== undefined
      ? { tokenTtl: `${String(Math.round((parseDuration(tokenTtl) ?? 0) / 1000))}s` }
      : {}),
    ...(policies !== undefined ? { tokenPolicies: parseList(policies) } : {}),
    ...(renewBeforeMs !== undefined && renewBeforeMs > 0 ? { renewBeforeMs } : {})
  }
}

/** The plan's lines about Vault. */
export function describeVault(config: ActionConfig): PartReport {
  const vault = config.slices.vault
  if (!vault) return {}
  const { address, namespace } = vault.connection.endpoint
  const at = `${address}${namespace !== undefined ? ` (namespace ${namespace})` : ''}`
  const auth = vault.connection.auth
  const login =
    auth.method === 'token'
      ? 'with the given token'
      : `with ${auth.method} at auth/${auth.mount}${auth.method === 'jwt' ? ` as role ${auth.role}` : ''}; its token is revoked when the run ends`
  const lines = [`Vault at ${at}, logged in ${login}.`]
  const store = vault.store
  if (vault.dynamic) {
    lines.push(
      isStaticPath(vault.dynamic.path)
        ? `Credential read from the static role ${vault.dynamic.path}: Vault rotates its password; each new one is published, checked and recorded.`
        : `Credential read from ${vault.dynamic.path}, each lease with a token of its own (${vault.dynamic.tokenRole !== undefined ? `token role ${vault.dynamic.tokenRole}` : 'an orphan'}); replaced leases revoked by lease id.`
    )
    if (vault.dynamic.renewBeforeMs !== undefined) {
      lines.push(
        `The published lease is renewed when it ends within ${formatDuration(vault.dynamic.renewBeforeMs)}.`
      )
    }
  }
  if (store) {
    lines.push(
      store.field !== undefined
        ? `Refresh token in KV secret ${store.mount}/${store.path}, field ${store.field}; new versions written with cas; record in its custom_metadata.`
        : `Record in the custom_metadata of KV secret ${store.mount}/${store.path}.`,
      `One-writer lock: KV secret ${store.mount}/${store.lockPath}.`
    )
  }
  const targets = vault.targets ?? []
  return {
    lines,
    targetLines: targets.map(
      t =>
        `Vault KV secret ${t.mount}/${t.path}${t.field !== undefined ? `, field ${t.field}` : ', every field of the value'}.`
    ),
    names: targets.map(t => `${t.mount}/${t.path}`),
    writes: targets.length
  }
}
