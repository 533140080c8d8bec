import { createStaticIssuer } from './issuer.js'
import type { Provider } from '../provider.js'

/** A value given as it is (`issuer: none`): published, never minted, read or persisted. */
export const staticProvider: Provider = {
  name: 'static',
  issuers: { none: { consumesInput: false, given: true } },
  keys: [{ group: 'issuer', key: 'value', input: 'value', type: 'secret' }],
  docs: 'docs/providers/static.md',
  // The value given is the issuer, unless the store reads the value (a sync): the store's provider
  // then gives the reader.
  assemble: config =>
    Promise.resolve(
      config.issuer === 'none' && config.valueFrom === 'issuer'
        ? { issuer: createStaticIssuer(config.publish.value) }
        : {}
    )
}
