import type { Provider } from '../provider.js'
import { AWS_KIND, configureAws, defaultAwsStore, describeAws } from './configure.js'

// The descriptor only: the SDK loads with ./wiring.js, when a credential names this provider.

/** AWS Secrets Manager: a secret's versions as a store, its rotation Lambda as an issuer. */
export const awsProvider: Provider = {
  name: 'aws',
  issuers: { [AWS_KIND]: { consumesInput: false } },
  stores: { [AWS_KIND]: { keepsVersions: true, readsLive: true } },
  keys: [
    { group: 'issuer', key: 'rotation-timeout', input: 'rotation-timeout', type: 'text' },
    { group: 'store', key: 'secret-id', input: 'store-secret-id', type: 'text' },
    { group: 'store', key: 'region', input: 'aws-region', type: 'text' },
    { group: 'store', key: 'field', input: 'store-field', type: 'text' }
  ],
  only: {
    role: 'store: aws-secrets-manager',
    inputs: ['aws-region', 'store-field', 'rotation-timeout'],
    hint: 'set store-secret-id, or remove it'
  },
  docs: 'docs/providers/aws.md',
  defaultStore: defaultAwsStore,
  configure: configureAws,
  describe: describeAws,
  assemble: async (config, deps) => {
    if (!config.slices.aws) return {}
    const { assembleAws } = await import('./wiring.js')
    return assembleAws(config, deps)
  }
}
