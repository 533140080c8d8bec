import { X509Certificate, createPrivateKey } from 'node:crypto'
import * as z from 'zod'
import { isLoopbackHost } from '../../config/loopback.js'
import { secretReference } from '../../config/secret-reference.js'
import type { RawInputs } from '../../config/inputs.js'
import type { VaultEndpoint } from './http.js'

/** How the run logs in to Vault. Holds secrets: never log it. */
export type VaultAuthConfig =
  /**
   * JWT/OIDC login (`auth/<mount>/login`): the workflow's GitHub OIDC token for `audience`, or a
   * token the CI gave in an environment variable (GitLab's `id_tokens`).
   */
  | { method: 'jwt'; role: string; mount: string; audience: string; jwt?: string }
  /** AppRole login (`auth/<mount>/login` with `role_id` and `secret_id`). */
  | { method: 'approle'; roleId: string; secretId: string; mount: string }
  /** A token given as it is: used, never revoked (it is not the run's to end). */
  | { method: 'token'; token: string }

/** One Vault server and how the run logs in to it. Holds secrets: never log it. */
export interface VaultConnection {
  endpoint: VaultEndpoint
  auth: VaultAuthConfig
  /** Deadline of one request. */
  timeoutMs: number
}

/** Every login method, as `auth.method` takes them. */
export const AUTH_METHODS = ['jwt', 'approle', 'token'] as const

/** A request to Vault that takes longer than this is abandoned. */
export const VAULT_TIMEOUT_MS = 30_000

/**
 * The `vault:` section of a credential (or an entry of `connections.vault`), as the file is
 * written: every secret `{ env: NAME }`. Checks shapes only; {@link parseConnection} checks values.
 */
export function vaultSectionSchema(secret: z.ZodType = secretReference) {
  const mount = z.string().min(1).optional()
  return z.strictObject({
    address: z.string().min(1),
    namespace: z.string().min(1).optional(),
    'ca-certificate': z.string().min(1).optional(),
    'client-certificate': z.string().min(1).optional(),
    'client-key': secret.optional(),
    auth: z.discriminatedUnion('method', [
      z.strictObject({
        method: z.literal('jwt'),
        role: z.string().min(1),
        mount,
        audience: z.string().min(1).optional(),
        /** A token the CI put in an environment variable (GitLab `id_tokens`). */
        jwt: secret.optional()
      }),
      z.strictObject({
        method: z.literal('approle'),
        'role-id': z.string().min(1),
        'secret-id': secret,
        mount
      }),
      z.strictObject({ method: z.literal('token'), token: secret })
    ])
  })
}

/** The section once the loader has read its secrets: strings where the file has `{ env }`. */
const resolvedSection = vaultSectionSchema(z.string())

/** A connection's settings before they are checked, from the file's section or the flat inputs. */
export interface ConnectionSettings {
  address: string
  namespace?: string | undefined
  caCertificate?: string | undefined
  clientCertificate?: string | undefined
  clientKey?: string | undefined
  method: string
  role?: string | undefined
  mount?: string | undefined
  audience?: string | undefined
  jwt?: string | undefined
  roleId?: string | undefined
  secretId?: string | undefined
  token?: string | undefined
}

/** A key of {@link ConnectionSettings}, named as the file writes it under `vault:`. */
export type SettingKey =
  | 'address'
  | 'namespace'
  | 'ca-certificate'
  | 'client-certificate'
  | 'client-key'
  | 'auth.method'
  | 'auth.role'
  | 'auth.mount'
  | 'auth.audience'
  | 'auth.jwt'
  | 'auth.role-id'
  | 'auth.secret-id'
  | 'auth.token'

/** The flat input of each setting, as hashicorp/vault-action names its inputs, with `vault-`. */
export const FLAT_INPUTS = {
  address: 'vault-url',
  namespace: 'vault-namespace',
  'ca-certificate': 'vault-ca-certificate',
  'client-certificate': 'vault-client-certificate',
  'client-key': 'vault-client-key',
  'auth.method': 'vault-method',
  'auth.role': 'vault-role',
  'auth.mount': 'vault-path',
  'auth.audience': 'vault-jwt-audience',
  'auth.jwt': 'vault-jwt-token',
  'auth.role-id': 'vault-role-id',
  'auth.secret-id': 'vault-secret-id',
  'auth.token': 'vault-token'
} as const satisfies Record<SettingKey, string>

/** The connection's settings from the flat inputs; undefined when `vault-url` is not set. */
export function settingsFromInputs(raw: RawInputs): ConnectionSettings | undefined {
  if (raw['vault-url'] === '') return undefined
  const given = (value: string) => (value === '' ? undefined : value)
  return {
    address: raw['vault-url'],
    namespace: given(raw['vault-namespace']),
    caCertificate: given(raw['vault-ca-certificate']),
    clientCertificate: given(raw['vault-client-certificate']),
    clientKey: given(raw['vault-client-key']),
    method: raw['vault-method'],
    role: given(raw['vault-role']),
    mount: given(raw['vault-path']),
    audience: given(raw['vault-jwt-audience']),
    jwt: given(raw['vault-jwt-token']),
    roleId: given(raw['vault-role-id']),
    secretId: given(raw['vault-secret-id']),
    token: given(raw['vault-token'])
  }
}

/**
 * The connection's settings from the file's section (its secrets already read); undefined when it
 * does not have the section's shape, which the file's schema reported already.
 */
export function settingsFromSection(section: unknown): ConnectionSettings | undefined {
  const parsed = resolvedSection.safeParse(section)
  if (!parsed.success) return undefined
  const s = parsed.data
  const auth = s.auth
  return {
    address: s.address,
    namespace: s.namespace,
    caCertificate: s['ca-certificate'],
    clientCertificate: s['client-certificate'],
    clientKey: s['client-key'] as string | undefined,
    method: auth.method,
    ...(auth.method === 'jwt'
      ? {
          role: auth.role,
          mount: auth.mount,
          audience: auth.audience,
          jwt: auth.jwt as string | undefined
        }
      : auth.method === 'approle'
        ? {
            roleId: auth['role-id'],
            secretId: auth['secret-id'] as string,
            mount: auth.mount
          }
        : { token: auth.token as string })
  }
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g
const NAMESPACE = /^[A-Za-z0-9_.\-/]+$/
const MOUNT = /^[A-Za-z0-9_.\-/]+$/

/**
 * Checks a connection's settings: the address (https, or http on loopback only), the namespace,
 * TLS material, and the login method with what it needs. Every problem names its setting (`add`
 * maps it to the input or key path) and says what to do; values of secrets are never quoted.
 */
export function parseConnection(
  settings: ConnectionSettings,
  add: (key: SettingKey, message: string) => void
): VaultConnection | undefined {
  const before = { count: 0 }
  const problem = (key: SettingKey, message: string) => {
    before.count += 1
    add(key, message)
  }
  const address = checkAddress(settings.address, problem)
  if (settings.namespace !== undefined && !NAMESPACE.test(settings.namespace)) {
    problem('namespace', 'is not a Vault namespace: letters, digits and _ . - /')
  }
  const tls = checkTls(settings, problem)
  const auth = checkAuth(settings, address, problem)
  if (before.count > 0 || address === undefined || auth === undefined) return undefined
  return {
    endpoint: {
      address,
      ...(settings.namespace !== undefined ? { namespace: settings.namespace } : {}),
      tls
    },
    auth,
    timeoutMs: VAULT_TIMEOUT_MS
  }
}

function checkAddress(
  raw: string,
  add: (key: SettingKey, message: string) => void
): string | undefined {
  const url = URL.parse(raw)
  if (url === null) {
    add('address', "is not a URL; write Vault's address as https://vault.example.com:8200")
    return undefined
  }
  if (url.username !== '' || url.password !== '') {
    add('address', 'must not hold credentials; log in with auth instead')
    return undefined
  }
  const shown = `${url.origin}${url.pathname}`
  if (url.search !== '' || url.hash !== '') {
    add('address', `'${shown}' must have no query or #fragment`)
    return undefined
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    add(
      'address',
      `'${shown}' is not https: Vault tokens and secrets would travel in clear text (plain http is accepted only for a loopback address: 127.0.0.1, ::1, localhost)`
    )
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    add('address', `'${shown}' is not an https URL`)
    return undefined
  }
  if (/\/v1\/?$/.test(url.pathname)) {
    add('address', `'${shown}' ends with /v1: give Vault's address without it`)
    return undefined
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

function checkTls(
  settings: ConnectionSettings,
  add: (key: SettingKey, message: string) => void
): VaultEndpoint['tls'] {
  const tls: VaultEndpoint['tls'] = {}
  const ca = settings.caCertificate
  if (ca !== undefined) {
    const blocks = ca.match(CERTIFICATE_BLOCK) ?? []
    if (blocks.length === 0) {
      add('ca-certificate', 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)')
    }
    for (const block of blocks) {
      try {
        new X509Certificate(block)
      } catch {
        add('ca-certificate', 'holds a PEM block that is not a valid certificate')
      }
    }
    tls.caCertificate = ca
  }
  const certificate = settings.clientCertificate
  const key = settings.clientKey
  if ((certificate === undefined) !== (key === undefined)) {
    add(
      certificate === undefined ? 'client-certificate' : 'client-key',
      'is required with its pair: mutual TLS needs client-certificate and client-key together'
    )
    return tls
  }
  if (certificate !== undefined && key !== undefined) {
    let valid = true
    try {
      new X509Certificate(certificate)
    } catch {
      valid = false
      add('client-certificate', 'is not a PEM certificate')
    }
    try {
      createPrivateKey(key)
    } catch {
      valid = false
      add('client-key', 'is not a PEM private key (an encrypted key is not supported)')
    }
    if (valid) tls.clientCertificate = { certificatePem: certificate, keyPem: key }
  }
  return tls
}

function checkAuth(
  settings: ConnectionSettings,
  address: string | undefined,
  add: (key: SettingKey, message: string) => void
): VaultAuthConfig | undefined {
  const method = AUTH_METHODS.find(m => m === settings.method)
  const mount = (fallback: string): string | undefined => {
    const given = settings.mount ?? fallback
    if (!MOUNT.test(given) || given.startsWith('/') || given.includes('..')) {
      add('auth.mount', `'${given}' is not the path of an auth mount (such as jwt or approle)`)
      return undefined
    }
    return given.replace(/\/+$/, '')
  }
  const extra = (key: SettingKey, value: string | undefined, why: string) => {
    if (value !== undefined) add(key, `applies to ${why}; remove it`)
  }
  switch (method) {
    case 'jwt': {
      extra('auth.role-id', settings.roleId, 'method approle')
      extra('auth.secret-id', settings.secretId, 'method approle')
      extra('auth.token', settings.token, 'method token')
      if (settings.role === undefined) {
        add('auth.role', 'is required with method jwt: the Vault JWT role the run logs in as')
        return undefined
      }
      const at = mount('jwt')
      if (at === undefined) return undefined
      return {
        method,
        role: settings.role,
        mount: at,
        // A role's bound_audiences must name it: Vault's own address is what most setups bind.
        audience: settings.audience ?? address ?? '',
        ...(settings.jwt !== undefined ? { jwt: settings.jwt } : {})
      }
    }
    case 'approle': {
      extra('auth.role', settings.role, 'method jwt')
      extra('auth.audience', settings.audience, 'method jwt')
      extra('auth.jwt', settings.jwt, 'method jwt')
      extra('auth.token', settings.token, 'method token')
      if (settings.roleId === undefined) {
        add('auth.role-id', 'is required with method approle: the role_id of the AppRole')
      }
      if (settings.secretId === undefined) {
        add(
          'auth.secret-id',
          'is required with method approle: the secret_id, from a secret (never written in the workflow)'
        )
      }
      const at = mount('approle')
      if (settings.roleId === undefined || settings.secretId === undefined || at === undefined) {
        return undefined
      }
      return { method, roleId: settings.roleId, secretId: settings.secretId, mount: at }
    }
    case 'token': {
      for (const key of [
        'auth.role',
        'auth.audience',
        'auth.jwt',
        'auth.role-id',
        'auth.secret-id',
        'auth.mount'
      ] as const) {
        const value = {
          'auth.role': settings.role,
          'auth.audience': settings.audience,
          'auth.jwt': settings.jwt,
          'auth.role-id': settings.roleId,
          'auth.secret-id': settings.secretId,
          'auth.mount': settings.mount
        }[key]
        extra(key, value, 'methods jwt and approle')
      }
      if (settings.token === undefined) {
        add('auth.token', 'is required with method token: a Vault token, from a secret')
        return undefined
      }
      return { method, token: settings.token }
    }
    default:
      add(
        'auth.method',
        `'${settings.method}' is not a login method; use jwt (the workflow's OIDC token, no stored secret), approle or token`
      )
      return undefined
  }
}
