import * as z from 'zod'
import type { GitHubClient } from './client.js'
import { parseAnswer, toGitHubError } from './request-errors.js'
import { scopeLabel, secretsPath, writePermission, type SecretScope } from './scopes.js'

const publicKeySchema = z.object({ key_id: z.string().min(1), key: z.base64() })

/** A scope's public key, as GitHub returns it. */
export type PublicKey = z.infer<typeof publicKeySchema>

/**
 * The public keys of one run: each scope's key is fetched once, however many secrets are written
 * to it, and fetched again only when GitHub refuses its `key_id` as stale.
 */
export class PublicKeys {
  readonly #client: GitHubClient
  readonly #keys = new Map<string, Promise<PublicKey>>()

  constructor(client: GitHubClient) {
    this.#client = client
  }

  /** The scope's key, from this run's cache when it was fetched already. */
  get(scope: SecretScope): Promise<PublicKey> {
    const path = secretsPath(scope)
    let key = this.#keys.get(path)
    if (!key) {
      key = this.#fetch(scope)
      this.#keys.set(path, key)
      // A failed fetch is not cached: a later call may succeed.
      key.catch(() => this.#keys.delete(path))
    }
    return key
  }

  /** Fetches the scope's key again, replacing the cached one. */
  refresh(scope: SecretScope): Promise<PublicKey> {
    this.#keys.delete(secretsPath(scope))
    return this.get(scope)
  }

  async #fetch(scope: SecretScope): Promise<PublicKey> {
    try {
      const response = await this.#client.request(`GET ${secretsPath(scope)}/public-key`)
      return parseAnswer(publicKeySchema, response.data, `the public key of ${scopeLabel(scope)}`)
    } catch (error) {
      throw toGitHubError(error, {
        phase: 'preflight',
        doing: `reading the public key of ${scopeLabel(scope)}`,
        permission: writePermission(scope),
        notFound: notFoundAdvice(scope)
      })
    }
  }
}

/** What a 404 on a scope means, naming the input to fix. */
export function notFoundAdvice(scope: SecretScope): string {
  const hidden = 'or the token cannot see it (GitHub answers 404 for both)'
  switch (scope.kind) {
    case 'repository':
      return `Repository ${scopeLabel(scope)} does not exist, ${hidden}: check 'repositories' and the token's repository access.`
    case 'environment':
      return `Environment '${scope.environment}' does not exist in ${scope.repository.owner}/${scope.repository.repo}, ${hidden}: create it under Settings > Environments, or fix the 'environment' input.`
    case 'organization':
      return `Organization '${scope.org}' does not exist, ${hidden}: check 'org', and that the token has the organization secrets permission.`
  }
}
