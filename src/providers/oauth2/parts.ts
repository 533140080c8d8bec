import type { ActionConfig } from '../../config/rotation-config.js'
import type { PartDeps, Parts } from '../provider.js'
import { createOAuth2Issuer } from './issuer.js'

/** The OAuth2 issuer of a credential that mints with a refresh-token grant. */
export function assembleOAuth2(config: ActionConfig, deps: PartDeps): Parts {
  const oauth2 = config.slices.oauth2
  if (!oauth2) return {}
  // undici carries the token requests: it loads while the first GitHub requests are in flight.
  import('undici').catch(() => undefined)
  const { log, sleep } = deps
  return {
    issuer: createOAuth2Issuer(oauth2, {
      mask: secret => {
        deps.mask(secret)
      },
      log,
      sleep
    })
  }
}
