import { createHash } from 'node:crypto'
import type { ActionConfig } from '../../config/rotation-config.js'
import type { PartDeps, Parts } from '../provider.js'
import { GitLabClient } from './client.js'
import { GitLabTokenIssuer } from './issuer.js'
import { createGitLabLock } from './lock.js'
import { createGitLabStore } from './store.js'
import { VariableTargets } from './targets.js'
import { OwnerVariables } from './variables.js'

/**
 * GitLab's parts of a credential: the token issuer, the variable store with its lock, and the
 * variable targets. One client per
 * instance and token for the whole run (the run's client cache), so credentials that share a
 * token share its client.
 */
export function assembleGitLab(config: ActionConfig, deps: PartDeps): Parts {
  const own = config.slices.gitlab
  if (!own) return {}
  const client = (url: string, token: string): GitLabClient =>
    deps.clients.get(`gitlab ${url} ${createHash('sha256').update(token).digest('hex')}`, () => {
      deps.mask(token)
      return new GitLabClient({ url, token, sleep: deps.sleep })
    })
  const parts: Parts = {}
  const issuer = own.issuer
  if (issuer) {
    parts.issuer = new GitLabTokenIssuer(issuer, {
      client: token => client(issuer.url, token),
      token: config.refreshToken,
      mask: secret => {
        deps.mask(secret)
      }
    })
  }
  const store = own.store
  if (store) {
    const variables = new OwnerVariables(client(store.url, store.token), store.owner, 'store.token')
    parts.store = createGitLabStore({
      variables,
      variable: store.variable,
      stateVariable: store.stateVariable,
      protected: store.protected,
      persistTimeoutMs: config.persistTimeoutMs,
      log: deps.log,
      clock: deps.clock,
      sleep: deps.sleep
    })
    parts.lock = createGitLabLock({ variables, name: store.lockVariable, log: deps.log })
  }
  const targets = own.targets ?? []
  if (targets.length > 0) {
    parts.targets = new VariableTargets(targets, target => client(target.url, target.token))
  }
  return parts
}
