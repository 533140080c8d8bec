import type { InputName } from '../inputs.js'
import { PROVIDERS, REGISTRY, type Registry } from '../../providers/index.js'
import { CREDENTIAL_GROUPS, type FileKey } from '../../providers/provider.js'

export type { CredentialGroup, FileKey, KeyType } from '../../providers/provider.js'
export { CREDENTIAL_GROUPS }

/**
 * Every key of a credential outside `publish`, with the flat input it maps to: the one table the
 * schema, the mapping to flat inputs, the messages and the documentation are made from. A flat
 * input keeps its name in its group, less the group's own prefix (`health-check-timeout` is
 * `health-check.timeout`).
 */
export const CREDENTIAL_KEYS: readonly FileKey[] = credentialKeysOf(REGISTRY)

/** Every key of a credential outside `publish`, for the providers of `registry`. */
export function credentialKeysOf(registry: Registry): readonly FileKey[] {
  // A key several providers read (the issuer's TLS keys) is one object, listed once.
  return inGroupOrder([
    ...new Set<FileKey>([
      {
        group: 'issuer',
        key: 'kind',
        input: 'issuer',
        type: 'text',
        values: registry.issuerKinds()
      },
      { group: 'store', key: 'kind', input: 'store', type: 'text', values: registry.storeKinds() },
      ...registry.providers.flatMap(provider => provider.keys),
      { group: 'store', key: 'lock-expires-after', input: 'lock-expires-after', type: 'text' },
      { group: 'store', key: 'persist-timeout', input: 'persist-timeout', type: 'text' },
      { group: 'health-check', key: 'url', input: 'health-check-url', type: 'text' },
      { group: 'health-check', key: 'command', input: 'health-check-command', type: 'text' },
      { group: 'health-check', key: 'method', input: 'health-check-method', type: 'text' },
      { group: 'health-check', key: 'header', input: 'health-check-header', type: 'text' },
      { group: 'health-check', key: 'expect', input: 'health-check-expect', type: 'text' },
      { group: 'health-check', key: 'timeout', input: 'health-check-timeout', type: 'text' },
      { group: 'schedule', key: 'every', input: 'rotate-if-older-than', type: 'text' },
      { group: 'schedule', key: 'before-expiry', input: 'rotate-before-expiry', type: 'text' },
      { group: 'retire', key: 'grace-period', input: 'grace-period', type: 'text' },
      { group: 'retire', key: 'revoke-previous', input: 'revoke-previous', type: 'flag' },
      { group: 'retire', key: 'when-unused-for', input: 'retire-when-unused-for', type: 'text' },
      { group: 'alerts', key: 'after', input: 'alert-after', type: 'count' },
      { group: '', key: 'recovery-public-key', input: 'recovery-public-key', type: 'text' },
      { group: '', key: 'previous-value', input: 'previous-value', type: 'secret' }
    ])
  ])
}

/** One target a `publish` entry may name (`github:`), with its keys. */
export type TargetKeys = NonNullable<Registry['providers'][number]['target']>

/**
 * The target whose keys are the flat target inputs (`secret-name`, `repositories`, ...): its
 * `publish` entries become those inputs. The other targets' entries go to their providers whole.
 */
export function flatTargetOf(registry: Registry): TargetKeys | undefined {
  return registry.providers
    .map(provider => provider.target)
    .find(target => target !== undefined && target.keys.every(key => key.input !== undefined))
}

/** The keys of one `publish` entry of the flat target, and the flat inputs they map to. */
export const FLAT_TARGET_KEYS: readonly FileKey[] = flatTargetOf(REGISTRY)?.keys ?? []

/**
 * The providers that read a key, for the docs: `oauth2`, `oauth2, gitlab, http` for a shared one,
 * or '' for a key of every credential.
 */
export function providerOf(key: FileKey): string {
  return PROVIDERS.filter(provider => provider.keys.includes(key))
    .map(provider => provider.name)
    .join(', ')
}

/** `keys` grouped as a credential is written (issuer, store, ...; the credential's own last). */
function inGroupOrder(keys: FileKey[]): FileKey[] {
  const rank = (key: FileKey) =>
    key.group === '' ? CREDENTIAL_GROUPS.length : CREDENTIAL_GROUPS.indexOf(key.group)
  return keys.sort((a, b) => rank(a) - rank(b))
}

/**
 * Inputs that apply to the whole run, next to `config`. Every other input describes one
 * credential and is refused next to `config`: the file says it.
 */
export const RUN_WIDE_INPUTS: readonly InputName[] = [
  'github-token',
  'write-interval',
  'max-concurrency',
  'mode',
  'dry-run',
  'audit-log',
  'config',
  'credentials',
  'shards',
  'secrets'
]

/** Keys whose values are public although they look random: never taken for a pasted secret. */
export const PUBLIC_KEYS: ReadonlySet<string> = new Set([
  'recovery-public-key',
  'ca-certificate',
  'client-certificate'
])

/** Where a flat input lives in a credential, for messages and the docs: `issuer.client-secret`. */
export function keyPathOf(input: InputName): string | undefined {
  const key = CREDENTIAL_KEYS.find(k => k.input === input)
  if (key) return key.group === '' ? key.key : `${key.group}.${key.key}`
  const flat = flatTargetOf(REGISTRY)
  const target = flat?.keys.find(k => k.input === input)
  return flat && target ? `publish[].${flat.key}.${target.key}` : undefined
}
