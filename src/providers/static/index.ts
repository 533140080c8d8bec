import type { Provider } from '../provider.js'

/** A value given as it is (`issuer: none`): published, never minted, read or persisted. */
export const staticProvider: Provider = {
  name: 'static',
  issuers: { none: { consumesInput: false } },
  keys: [{ group: 'issuer', key: 'value', input: 'value', type: 'secret' }],
  docs: 'docs/providers/static.md'
}
