import type { ActionConfig } from '../../config/rotation-config.js'
import type { PartDeps, Parts } from '../provider.js'
import { createHttpIssuer } from './issuer.js'

/** The key API issuer of a credential that creates and deletes keys over HTTP. */
export function assembleHttp(config: ActionConfig, deps: PartDeps): Parts {
  const http = config.slices.http
  if (!http) return {}
  // undici carries the requests: it loads while the first GitHub requests are in flight.
  import('undici').catch(() => undefined)
  return {
    issuer: createHttpIssuer(http, {
      mask: secret => {
        deps.mask(secret)
      },
      log: deps.log,
      sleep: deps.sleep,
      clock: deps.clock,
      ...(config.previousValue !== undefined ? { current: config.previousValue } : {})
    })
  }
}
