import { ActionError, type Phase } from '../../errors.js'
import { sendOptions, type GitHubClient, type SendOptions } from './client.js'
import { PublicKeys, type PublicKey } from './public-keys.js'
import { repositoryName, type RepositoryRef } from './rules.js'
import { sealForGitHub } from './sealed-box.js'
import { writeWithFreshKey } from './stale-key.js'
import { secretsPath, writePermission, type SecretScope } from './scopes.js'
import { repositoryNotFound } from './variables.js'

/**
 * The repository secret that holds the refresh token. Writes go through the same building blocks
 * as the publisher (the run's key cache, the sealed box, `toGitHubError`'s per-status advice), but
 * a failed write throws its {@link ActionError} instead of becoming a target's result: the store
 * must tell a 403 (stop) from a 503 (try again), and `SecretPublisher.publish` keeps only the
 * message, logging each failure as an error annotation even when a later attempt succeeds.
 */
export class RepositorySecret {
  readonly name: string
  readonly #client: GitHubClient
  readonly #keys: PublicKeys
  readonly #scope: SecretScope
  readonly #repository: string

  /** @param keys the run's key cache, shared with the targets (default: its own) */
  constructor(
    client: GitHubClient,
    repository: RepositoryRef,
    name: string,
    keys = new PublicKeys(client)
  ) {
    this.name = name
    this.#client = client
    this.#keys = keys
    this.#scope = { kind: 'repository', type: 'actions', repository }
    this.#repository = repositoryName(repository)
  }

  /**
   * Starts reading the repository's key, for a write that is likely to follow; a failure is left
   * to that write, which reads the key again and reports it.
   */
  prefetchKey(): void {
    this.#keys.get(this.#scope).catch(() => undefined)
  }

  /**
   * Seals `value` with the repository's key and writes it. When GitHub refuses the key as stale
   * (422) and a fresh read returns another key, seals again once with that one.
   * @param phase the step the write belongs to, for the error
   * @param send `once`: the PUT is sent once, without the client's retries (the caller retries
   *   within its own time budget); `signal`: abandons it
   */
  async write(value: string, phase: Phase, send: SendOptions = {}): Promise<void> {
    const context = {
      phase,
      doing: `writing ${this.name} to ${this.#repository}`,
      permission: writePermission(this.#scope),
      notFound: repositoryNotFound(this.#repository)
    }
    await writeWithFreshKey(
      await this.#key(phase),
      key => this.#put(value, key, send),
      () => this.#key(phase, true),
      context
    )
  }

  async #key(phase: Phase, refresh = false): Promise<PublicKey> {
    try {
      return await (refresh ? this.#keys.refresh(this.#scope) : this.#keys.get(this.#scope))
    } catch (error) {
      if (!(error instanceof ActionError)) throw error
      // PublicKeys words a 404 for publish targets (it names the 'repositories' input); here the
      // repository is the workflow's own.
      const message =
        error.code === 'github-not-found'
          ? `Reading the public key of ${this.#repository} failed: GitHub answered 404. ${repositoryNotFound(this.#repository)}`
          : error.message
      throw new ActionError(message, {
        code: error.code,
        phase,
        retryable: error.retryable,
        cause: error
      })
    }
  }

  async #put(value: string, key: PublicKey, send: SendOptions): Promise<void> {
    await this.#client.request(`PUT ${secretsPath(this.#scope)}/{secret_name}`, {
      secret_name: this.name,
      encrypted_value: await sealForGitHub(value, key.key),
      key_id: key.key_id,
      ...sendOptions(send)
    })
  }
}
