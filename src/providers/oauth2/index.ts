import { ISSUER_TLS_INPUTS, ISSUER_TLS_KEYS } from '../../http/tls-inputs.js'
import type { Provider } from '../provider.js'
import { CLIENT_AUTH_METHODS } from './config.js'
import { configureOAuth2, OAUTH2_KIND } from './configure.js'

/** OAuth2: a refresh-token grant (RFC 6749 §6) mints; RFC 7009 revokes. */
export const oauth2Provider: Provider = {
  name: 'oauth2',
  issuers: { [OAUTH2_KIND]: { consumesInput: true, revokes: 'value' } },
  keys: [
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
    ...ISSUER_TLS_KEYS,
    { group: 'issuer', key: 'refresh-token', input: 'refresh-token', type: 'secret' },
    { group: 'retire', key: 'retiring-value', input: 'retiring-value', type: 'secret' }
  ],
  only: {
    role: 'issuer: oauth2',
    inputs: [
      'token-url',
      'client-id',
      'client-secret',
      'client-private-key',
      'revocation-url',
      ...ISSUER_TLS_INPUTS,
      'refresh-token',
      'refresh-token-secret',
      'retiring-value'
    ],
    hint: 'set issuer, or remove it'
  },
  docs: 'docs/providers/oauth2.md',
  configure: configureOAuth2,
  // oauth4webapi loads only for a credential this provider issues.
  assemble: async (config, deps) =>
    config.slices.oauth2 ? (await import('./parts.js')).assembleOAuth2(config, deps) : {}
}
