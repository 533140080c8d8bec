import { createHash } from 'node:crypto'
import type { ActionConfig } from '../../config/rotation-config.js'
import type { Lock, Targets } from '../../engine/ports.js'
import type { RepositoryRef } from './rules.js'
import { ActionError } from '../../errors.js'
import type { PartDeps, Parts } from '../provider.js'
import { createGitHubClient, type GitHubClient } from './client.js'
import { fieldTargets } from './field-targets.js'
import { createVariableLock } from './lock.js'
import { PublicKeys } from './public-keys.js'
import { SecretPublisher } from './publisher.js'
import { createStoreClient } from './store-client.js'
import { createGitHubStore } from './store.js'
import { targetsFromConfig } from './targets.js'
import { RepositoryVariables } from './variables.js'

/**
 * GitHub's parts of a credential: its secret targets, its store (a repository secret with the
 * record in a variable), the variable lock of any store that has none of its own, and the secret a
 * replaced value waits in for its deferred revocation.
 */
export function assembleGitHub(config: ActionConfig, deps: PartDeps): Parts {
  const { log, clock, sleep } = deps
  const publish = config.publish
  // Without a token GitHub plays no part: the configuration allowed that only with nothing to write.
  if (publish.token === '') return {}
  const account = `${publish.apiUrl} ${createHash('sha256').update(publish.token).digest('hex')}`
  const client = deps.clients.get(`github ${account}`, () =>
    createGitHubClient({
      token: publish.token,
      baseUrl: publish.apiUrl,
      maxConcurrency: publish.maxConcurrency,
      writeIntervalMs: publish.writeIntervalMs,
      log
    })
  )
  // One key cache for the targets and the store: the store's repository is usually a target too.
  const keys = deps.clients.get(`github public keys ${account}`, () => new PublicKeys(client))
  const publisher = new SecretPublisher(client, log, keys)
  // The store's few writes are not paced: from mint to persist, every second the new refresh
  // token spends only in memory is a second a dying runner could lose it in.
  const storeClient = deps.clients.get(`github store ${account}`, () =>
    createStoreClient({ token: publish.token, baseUrl: publish.apiUrl, log })
  )
  const store = config.store
  // The workflow's repository: the GitHub store's, and the home of any variable lock.
  const repository = store?.repository
  const own = config.slices.github?.store
  const retiringSecret = config.retiringSecret
  return {
    targets: targetsFor(config, publisher),
    ...(repository && own
      ? {
          store: createGitHubStore({
            client: storeClient,
            repository,
            ...(own.secretName !== undefined ? { secretName: own.secretName } : {}),
            stateVariable: own.stateVariable,
            persistTimeoutMs: config.persistTimeoutMs,
            log,
            clock,
            sleep,
            keys
          })
        }
      : {}),
    // The lock of a store that has none of its own: a variable of the workflow's repository.
    ...(repository && store.lockVariable !== undefined
      ? { lock: variableLock(storeClient, repository, store.lockVariable, deps) }
      : {}),
    ...(repository && retiringSecret
      ? {
          keepRetiring: async (value: string) => {
            const scope = {
              kind: 'repository',
              type: 'actions',
              repository
            } as const
            const [result] = await publisher.publish([{ scope, name: retiringSecret }], value)
            if (result?.status === 'failed') {
              throw new ActionError(result.error ?? `could not write ${retiringSecret}`, {
                code: 'github-rejected',
                phase: 'promote'
              })
            }
          }
        }
      : {})
  }
}

/**
 * The targets: `secret-name` gets the value (or its field, for a JSON document read from a
 * store), and each `secret-fields` mapping writes one more secret from one field.
 */
function targetsFor(config: ActionConfig, publisher: SecretPublisher): Targets {
  const publish = config.publish
  const field = config.document?.field
  const groups = [
    ...(publish.secretName !== ''
      ? [
          {
            targets: targetsFromConfig(publish),
            ...(field !== undefined ? { field, plainWhole: true } : {})
          }
        ]
      : []),
    ...config.fieldMappings.map(m => ({
      targets: targetsFromConfig(publish, m.name),
      field: m.field
    }))
  ]
  return fieldTargets(publisher, groups)
}

/** The one-writer lock of a store: a repository variable only one run can create. */
function variableLock(
  client: GitHubClient,
  repository: RepositoryRef,
  name: string,
  deps: PartDeps
): Lock {
  const variables = new RepositoryVariables(client, repository, deps.clock)
  return createVariableLock({ variables, name, log: deps.log })
}
