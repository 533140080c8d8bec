import type { InputName } from '../inputs.js'
import { CLIENT_AUTH_METHODS } from '../../providers/oauth2/config.js'

/**
 * How a key of the configuration file is written, and so how it becomes its flat input's text:
 * - `text`: a string, taken as it is;
 * - `secret`: only `{ env: NAME }`, read from the step's environment (a secret is never written
 *   in the file);
 * - `list`: a list of strings (or one string), joined with commas;
 * - `flag`: true or false;
 * - `count`: a whole number.
 */
export type KeyType = 'text' | 'secret' | 'list' | 'flag' | 'count'

/** One key of a credential in the configuration file, and the flat input it stands for. */
export interface FileKey {
  /** Its group in a credential (`issuer`), or '' for a key of the credential itself. */
  readonly group: CredentialGroup | ''
  readonly key: string
  readonly input: InputName
  readonly type: KeyType
  /** Allowed values, when the key takes one of a few words. */
  readonly values?: readonly string[]
}

/** The groups of a credential whose keys are objects; `publish` is a list, described apart. */
export const CREDENTIAL_GROUPS = [
  'issuer',
  'store',
  'health-check',
  'schedule',
  'retire',
  'alerts'
] as const

export type CredentialGroup = (typeof CREDENTIAL_GROUPS)[number]

/**
 * Every key of a credential outside `publish`, with the flat input it maps to: the one table the
 * schema, the mapping to flat inputs, the messages and the documentation are made from. A flat
 * input keeps its name in its group, less the group's own prefix (`health-check-timeout` is
 * `health-check.timeout`).
 */
export const CREDENTIAL_KEYS: readonly FileKey[] = [
  {
    group: 'issuer',
    key: 'kind',
    input: 'issuer',
    type: 'text',
    values: ['oauth2', 'aws-secrets-manager', 'none']
  },
  { group: 'issuer', key: 'value', input: 'value', type: 'secret' },
  { group: 'issuer', key: 'token-url', input: 'token-url', type: 'text' },
  { group: 'issuer', key: 'client-id', input: 'client-id', type: 'text' },
  { group: 'issuer', key: 'client-secret', input: 'client-secret', type: 'secret' },
  {
    group: 'issuer',
    key: 'client-auth',
    input: 'client-auth',
    type: 'text',
    values: CLIENT_AUTH_METHODS
  },
  { group: 'issuer', key: 'client-private-key', input: 'client-private-key', type: 'secret' },
  { group: 'issuer', key: 'scope', input: 'scope', type: 'text' },
  { group: 'issuer', key: 'revocation-url', input: 'revocation-url', type: 'text' },
  { group: 'issuer', key: 'client-certificate', input: 'client-certificate', type: 'text' },
  { group: 'issuer', key: 'client-key', input: 'client-key', type: 'secret' },
  { group: 'issuer', key: 'ca-certificate', input: 'ca-certificate', type: 'text' },
  { group: 'issuer', key: 'refresh-token', input: 'refresh-token', type: 'secret' },
  { group: 'issuer', key: 'rotation-timeout', input: 'rotation-timeout', type: 'text' },
  {
    group: 'store',
    key: 'kind',
    input: 'store',
    type: 'text',
    values: ['github', 'aws-secrets-manager']
  },
  { group: 'store', key: 'secret', input: 'refresh-token-secret', type: 'text' },
  { group: 'store', key: 'state-variable', input: 'state-variable', type: 'text' },
  { group: 'store', key: 'secret-id', input: 'store-secret-id', type: 'text' },
  { group: 'store', key: 'region', input: 'aws-region', type: 'text' },
  { group: 'store', key: 'field', input: 'store-field', type: 'text' },
  { group: 'store', key: 'lock-expires-after', input: 'lock-expires-after', type: 'text' },
  { group: 'store', key: 'persist-timeout', input: 'persist-timeout', type: 'text' },
  { group: 'health-check', key: 'url', input: 'health-check-url', type: 'text' },
  { group: 'health-check', key: 'method', input: 'health-check-method', type: 'text' },
  { group: 'health-check', key: 'header', input: 'health-check-header', type: 'text' },
  { group: 'health-check', key: 'expect', input: 'health-check-expect', type: 'text' },
  { group: 'health-check', key: 'timeout', input: 'health-check-timeout', type: 'text' },
  { group: 'schedule', key: 'every', input: 'rotate-if-older-than', type: 'text' },
  { group: 'schedule', key: 'before-expiry', input: 'rotate-before-expiry', type: 'text' },
  { group: 'retire', key: 'grace-period', input: 'grace-period', type: 'text' },
  { group: 'retire', key: 'revoke-previous', input: 'revoke-previous', type: 'flag' },
  { group: 'retire', key: 'retiring-value', input: 'retiring-value', type: 'secret' },
  { group: 'alerts', key: 'after', input: 'alert-after', type: 'count' },
  { group: '', key: 'recovery-public-key', input: 'recovery-public-key', type: 'text' },
  { group: '', key: 'previous-value', input: 'previous-value', type: 'secret' }
]

/** The keys of one `publish` entry's `github:` target, and the flat inputs they map to. */
export const GITHUB_TARGET_KEYS: readonly FileKey[] = [
  { group: '', key: 'secret', input: 'secret-name', type: 'text' },
  { group: '', key: 'field', input: 'secret-fields', type: 'text' },
  { group: '', key: 'repositories', input: 'repositories', type: 'list' },
  { group: '', key: 'environments', input: 'environment', type: 'list' },
  { group: '', key: 'org', input: 'org', type: 'text' },
  {
    group: '',
    key: 'visibility',
    input: 'visibility',
    type: 'text',
    values: ['all', 'private', 'selected']
  },
  { group: '', key: 'selected-repositories', input: 'selected-repositories', type: 'list' },
  { group: '', key: 'type', input: 'secret-type', type: 'text', values: ['actions', 'dependabot'] }
]

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
  const target = GITHUB_TARGET_KEYS.find(k => k.input === input)
  return target ? `publish[].github.${target.key}` : undefined
}
