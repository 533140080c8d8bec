import type { Draft } from '../provider.js'
import { parseOAuth2Config, type OAuth2IssuerConfig } from './config.js'

declare module '../../config/rotation-config.js' {
  interface ProviderSlices {
    /** The token endpoint, the client and its authentication, for `issuer: oauth2`. */
    oauth2?: OAuth2IssuerConfig
  }
}

/** The kind of the OAuth2 issuer. */
export const OAUTH2_KIND = 'oauth2'

/** The OAuth2 issuer of a credential that names it: its client, and whether it can revoke. */
export function configureOAuth2(draft: Draft): void {
  if (draft.issuer !== OAUTH2_KIND) return
  const parsed = parseOAuth2Config(draft.raw)
  draft.report(parsed.problems)
  if (parsed.config) draft.slices.oauth2 = parsed.config
  // RFC 7009 revocation is optional for a server: without its endpoint nothing is revoked.
  if (draft.raw['revoke-previous'].toLowerCase() === 'true' && draft.raw['revocation-url'] === '') {
    draft.add('revoke-previous', 'needs revocation-url with issuer: oauth2: where to revoke')
  }
}
