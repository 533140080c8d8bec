import type { Provider } from '../provider.js'
import { vaultSectionSchema } from './config.js'
import {
  configureVault,
  configureVaultTargets,
  defaultVaultStore,
  describeVault,
  targetEntrySchema,
  VAULT_DYNAMIC,
  VAULT_KV,
  VAULT_TARGET
} from './configure.js'

// The descriptor only: the client loads with ./wiring.js, when a credential names Vault.

/**
 * HashiCorp Vault: a KV version 2 secret as a store (versions with check-and-set, the record in
 * its custom_metadata, a lock of its own), dynamic secrets with leases as an issuer, and KV
 * secrets as targets. One login per run and connection, revoked when the run ends.
 */
export const vaultProvider: Provider = {
  name: 'vault',
  issuers: { [VAULT_DYNAMIC]: { consumesInput: false, revokes: 'handle' } },
  stores: { [VAULT_KV]: { keepsVersions: true, readsLive: true } },
  target: {
    key: VAULT_TARGET,
    keys: [
      { group: '', key: 'mount', type: 'text' },
      { group: '', key: 'path', type: 'text' },
      { group: '', key: 'field', type: 'text' }
    ]
  },
  keys: [
    { group: 'issuer', key: 'path', type: 'text' },
    { group: 'issuer', key: 'token-role', type: 'text' },
    { group: 'issuer', key: 'token-ttl', type: 'text' },
    { group: 'issuer', key: 'token-policies', type: 'list' },
    { group: 'issuer', key: 'field', type: 'text' },
    { group: 'issuer', key: 'renew-before', type: 'text' },
    { group: 'store', key: 'mount', type: 'text' },
    { group: 'store', key: 'path', type: 'text' }
  ],
  sections: { vault: vaultSectionSchema() },
  only: {
    role: `a Vault store, issuer or target (store: ${VAULT_KV}, issuer: ${VAULT_DYNAMIC}, publish: - vault:)`,
    inputs: [
      'vault-url',
      'vault-namespace',
      'vault-method',
      'vault-role',
      'vault-path',
      'vault-jwt-audience',
      'vault-jwt-token',
      'vault-token',
      'vault-role-id',
      'vault-secret-id',
      'vault-ca-certificate',
      'vault-client-certificate',
      'vault-client-key',
      'vault-kv-mount',
      'vault-kv-path',
      'vault-creds-path',
      // store.field is AWS's key too: the field of a refresh token kept in KV.
      'store-field'
    ],
    hint: `set store: ${VAULT_KV} or issuer: ${VAULT_DYNAMIC}, or remove it`
  },
  docs: 'docs/providers/vault.md',
  defaultStore: defaultVaultStore,
  configure: configureVault,
  configureTargets: configureVaultTargets,
  describe: describeVault,
  assemble: async (config, deps) => {
    if (!config.slices.vault) return {}
    const { assembleVault } = await import('./wiring.js')
    return assembleVault(config, deps)
  }
}

/** The schema of a `publish` entry's `vault:` keys. */
export { targetEntrySchema }
