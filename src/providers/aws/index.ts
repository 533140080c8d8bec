import type { Provider } from '../provider.js'

// The descriptor only: the SDK loads with ./wiring.js, when a credential names this provider.

/** AWS Secrets Manager: a secret's versions as a store, its rotation Lambda as an issuer. */
export const awsProvider: Provider = {
  name: 'aws',
  issuers: { 'aws-secrets-manager': { consumesInput: false } },
  stores: { 'aws-secrets-manager': { keepsVersions: true, readsLive: true } },
  keys: [
    { group: 'issuer', key: 'rotation-timeout', input: 'rotation-timeout', type: 'text' },
    { group: 'store', key: 'secret-id', input: 'store-secret-id', type: 'text' },
    { group: 'store', key: 'region', input: 'aws-region', type: 'text' },
    { group: 'store', key: 'field', input: 'store-field', type: 'text' }
  ],
  only: {
    role: 'store: aws-secrets-manager',
    inputs: ['aws-region', 'store-field', 'secret-fields', 'rotation-timeout'],
    hint: 'set store-secret-id, or remove it'
  },
  docs: 'docs/providers/aws.md',
  assemble: async (config, deps) => {
    if (!config.awsSecret) return {}
    const { assembleAws } = await import('./wiring.js')
    return assembleAws(config, deps)
  }
}
