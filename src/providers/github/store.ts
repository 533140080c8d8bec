import type { Clock, Sleep, Store } from '../../engine/ports.js'
import { ActionError } from '../../errors.js'
import { DEFAULT_REQUEST_TIMEOUT_MS, type GitHubClient } from './client.js'
import type { PublicKeys } from './public-keys.js'
import { repositoryName, type RepositoryRef } from './rules.js'
import type { Logger } from '../../logger.js'
import { DEFAULT_PERSIST_TIMEOUT_MS, persistWithRetries } from '../../engine/persist-retries.js'
import { RepositorySecret } from './secret.js'
import { StateVariable } from './state-variable.js'
import { RepositoryVariables } from './variables.js'

/** Where the GitHub store keeps things, and what it runs on. */
export interface GitHubStoreOptions {
  client: GitHubClient
  /** The repository holding the secret and both variables; usually the workflow's own. */
  repository: RepositoryRef
  /**
   * The repository Actions secret that holds the refresh token; absent for a record-only store (an
   * issuer that exchanges nothing and revokes by handle: nothing is persisted).
   */
  secretName?: string
  /** The repository Actions variable that holds the write-ahead record. */
  stateVariable: string
  log: Logger
  clock: Clock
  sleep: Sleep
  /** How long {@link Store.persist} may take in all, retries included (`persist-timeout`, default 2m). */
  persistTimeoutMs?: number
  /** The client's request timeout: the longest one persist attempt takes (default 10 s). */
  requestTimeoutMs?: number
  /**
   * The run's public-key cache, shared with the targets: a target in the store's repository
   * then costs no second read of its key (default: the store's own cache).
   */
  keys?: PublicKeys
}

/**
 * The store for GitHub: the refresh token in a repository Actions secret, the write-ahead record
 * in a repository Actions variable of the same repository (its lock is another variable there:
 * {@link createVariableLock}).
 *
 * Requests per call, when nothing fails: `readState`
 * 1, `writeState` 1 (2 for the first record), `check` 1 (PUT), `persist` 1. The repository's public
 * key is read once, alongside `readState` (a rotation's next step is `check`), from the cache shared
 * with the targets when one is given.
 * @see https://docs.github.com/en/rest/actions/variables
 * @see https://docs.github.com/en/rest/actions/secrets
 */
export function createGitHubStore(options: GitHubStoreOptions): Store {
  const { client, repository, secretName, log, sleep } = options
  const timeoutMs = options.persistTimeoutMs ?? DEFAULT_PERSIST_TIMEOUT_MS
  if (!(timeoutMs > 0)) {
    throw new ActionError(`persistTimeoutMs must be more than 0, got ${timeoutMs}`, {
      code: 'internal',
      phase: 'config'
    })
  }
  const name = repositoryName(repository)
  const variables = new RepositoryVariables(client, repository, options.clock)
  const state = new StateVariable(variables, options.stateVariable)
  const resetHint = `delete the rotation record, the variable ${options.stateVariable} (gh variable delete ${options.stateVariable} --repo ${name})`
  if (secretName === undefined) {
    return {
      kind: 'github',
      description: `record in variable ${options.stateVariable} of ${name}`,
      resetHint,
      readState: () => state.read(),
      writeState: (next, write) => state.write(next, write),
      // No secret to check: the lock, a variable beside the record, proved the write access.
      check: () => Promise.resolve(),
      persistTimeoutMs: timeoutMs,
      persist: () =>
        Promise.reject(
          new ActionError(
            `The record-only store in variable ${options.stateVariable} of ${name} keeps no value: only an issuer that exchanges its credential persists one.`,
            { code: 'internal', phase: 'persist' }
          )
        )
    }
  }
  const secret = new RepositorySecret(client, repository, secretName, options.keys)
  return {
    kind: 'github',
    description: `secret ${secretName} of ${name}`,
    resetHint,
    readState: () => {
      // The key goes out with the record's read instead of after it: one round trip fewer.
      secret.prefetchKey()
      return state.read()
    },
    writeState: (next, write) => state.write(next, write),
    check: current => secret.write(current, 'preflight'),
    persistTimeoutMs: timeoutMs,
    persist: value =>
      persistWithRetries({
        // One request per attempt: the loop retries within the budget, the client does not.
        write: () => secret.write(value, 'persist', { once: true }),
        where: `secret ${secretName} of ${name}`,
        timeoutMs,
        attemptMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        clock: options.clock,
        sleep,
        log
      })
  }
}
