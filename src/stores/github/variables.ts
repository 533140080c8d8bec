import * as z from 'zod'
import type { GitHubClient } from '../../github/client.js'
import { hasStatus, parseAnswer } from '../../github/request-errors.js'
import { repositoryName, type RepositoryRef } from '../../github/rules.js'

/** The permission the store's variables need, as GitHub names it (reads alone are not enough). */
export const VARIABLES_PERMISSION = 'repository "Variables: write"'

/** Largest value GitHub stores in one variable: 48 KB. */
export const MAX_VARIABLE_BYTES = 48 * 1024

const variableSchema = z.object({ name: z.string(), value: z.string() })

/**
 * The Actions variables of one repository, one request per call. The answers the store expects
 * (absent, already there) are results; any other failure is Octokit's error, for the caller to
 * word with `toGitHubError`, because only the caller knows what it was doing.
 * @see https://docs.github.com/en/rest/actions/variables
 */
export class RepositoryVariables {
  readonly #client: GitHubClient
  readonly #repository: RepositoryRef

  constructor(client: GitHubClient, repository: RepositoryRef) {
    this.#client = client
    this.#repository = repository
  }

  /** `owner/repo`, for messages. */
  get repository(): string {
    return repositoryName(this.#repository)
  }

  /** The variable's value, or undefined when it does not exist (GitHub answers 404). */
  async get(name: string): Promise<string | undefined> {
    try {
      const response = await this.#client.request(
        'GET /repos/{owner}/{repo}/actions/variables/{name}',
        { ...this.#repository, name }
      )
      const variable = parseAnswer(
        variableSchema,
        response.data,
        `variable ${name} of ${this.repository}`
      )
      return variable.value
    } catch (error) {
      if (hasStatus(error, 404)) return undefined
      throw error
    }
  }

  /**
   * Creates the variable; false when one of that name exists already. GitHub answers such a
   * create with 409 instead of replacing the value, which makes it an atomic test-and-set.
   */
  async create(name: string, value: string): Promise<boolean> {
    try {
      await this.#client.request('POST /repos/{owner}/{repo}/actions/variables', {
        ...this.#repository,
        name,
        value
      })
      return true
    } catch (error) {
      if (hasStatus(error, 409)) return false
      throw error
    }
  }

  /** Replaces the variable's value; false when it does not exist. */
  async update(name: string, value: string): Promise<boolean> {
    try {
      await this.#client.request('PATCH /repos/{owner}/{repo}/actions/variables/{name}', {
        ...this.#repository,
        name,
        value
      })
      return true
    } catch (error) {
      if (hasStatus(error, 404)) return false
      throw error
    }
  }

  /** Deletes the variable; false when it was gone already. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.#client.request('DELETE /repos/{owner}/{repo}/actions/variables/{name}', {
        ...this.#repository,
        name
      })
      return true
    } catch (error) {
      if (hasStatus(error, 404)) return false
      throw error
    }
  }
}

/** What a 404 on the store's repository means, for `toGitHubError`. */
export function repositoryNotFound(repository: string): string {
  return `Repository ${repository} does not exist, or the token in 'github-token' cannot see it (GitHub answers 404 for both): the refresh token's secret and the rotation record live there, so give the token access to ${repository}.`
}
