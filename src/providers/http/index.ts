import { ISSUER_TLS_INPUTS, ISSUER_TLS_KEYS } from '../../http/tls-inputs.js'
import type { Provider } from '../provider.js'
import { HTTP_KIND, configureHttp, describeHttp } from './configure.js'
import { createSchema, listSchema, revokeSchema } from './schema.js'

/**
 * Any API that creates keys and deletes them by id (Capgo's `/apikey`): request templates in the
 * configuration file, the new key's value and id read by JSON pointer, deletion by the id the
 * record keeps.
 */
export const httpProvider: Provider = {
  name: 'http',
  issuers: { [HTTP_KIND]: { consumesInput: false, revokes: 'handle' } },
  keys: [
    { group: 'issuer', key: 'admin', type: 'secret' },
    { group: 'issuer', key: 'create', type: 'object', schema: createSchema },
    { group: 'issuer', key: 'revoke', type: 'object', schema: revokeSchema },
    { group: 'issuer', key: 'list', type: 'object', schema: listSchema },
    // An API behind a private CA, or one that asks for a client certificate.
    ...ISSUER_TLS_KEYS
  ],
  only: {
    role: `issuer: ${HTTP_KIND}`,
    inputs: [...ISSUER_TLS_INPUTS],
    hint: `set issuer.kind: ${HTTP_KIND}, or remove it`
  },
  docs: 'docs/providers/http.md',
  configure: configureHttp,
  describe: describeHttp,
  // The requests' client loads only for a credential this provider issues.
  assemble: async (config, deps) =>
    config.slices.http ? (await import('./parts.js')).assembleHttp(config, deps) : {}
}
