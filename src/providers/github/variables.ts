import { RequestError } from '@octokit/request-error'
import * as z from 'zod'
import type { Clock } from '../../engine/ports.js'
import { sendOptions, type GitHubClient, type SendOptions } from './client.js'
import { hasStatus, parseAnswer } from './request-errors.js'
import { repositoryName, type RepositoryRef } from './rules.js'

/** The permission the store's variables need, as GitHub names it (reads alone are not enough). */
export const VARIABLES_PERMISSION = 'repository "Variables: write"'

/** Largest value GitHub stores in one variable: 48 KB. */
export const MAX_VARIABLE_BYTES = 48 * 1024

const variableSchema = z.object({
  name: z.string(),
  value: z.string(),
  created_at: z.iso.datetime().optional(),
  updated_at: z.iso.datetime().optional()
})

/** A variable as GitHub returns it: its value and when GitHub last wrote it, on GitHub's clock. */
export interface Variable {
  value: string
  /** GitHub's `updated_at` (`created_at` when it has none): when the value was last written. */
  updatedAt: Date
}

/** The runner's own clock, read only for how much time passed: its offset never matters. */
const SYSTEM_CLOCK: Clock = { now: () => new Date() }

/**
 * GitHub's clock as the runner can know it: the `Date` header of GitHub's latest answer, moved on
 * by the time that passed on the runner since. Runners' clocks can be off by an hour; GitHub's is
 * the one clock every run of a workflow shares, and the one `updated_at` is written with.
 */
export class GitHubClock {
  readonly #local: Clock
  #anchor: { date: number; sent: number; received: number } | undefined

  constructor(local: Clock = SYSTEM_CLOCK) {
    this.#local = local
  }

  /** The runner's clock, in ms: only differences of it are used. */
  localNow(): number {
    return this.#local.now().getTime()
  }

  /** Takes the `Date` of an answer to a request sent at `sent` (runner's ms). */
  observe(header: unknown, sent: number): void {
    const date = typeof header === 'string' ? Date.parse(header) : Number.NaN
    if (Number.isNaN(date)) return
    const received = this.localNow()
    if (this.#anchor === undefined || received >= this.#anchor.received) {
      this.#anchor = { date, sent, received }
    }
  }

  /** True once an answer with a `Date` header was seen. */
  get known(): boolean {
    return this.#anchor !== undefined
  }

  /**
   * A time on GitHub's clock no later than when it handled the latest request (the request was
   * handled within its round trip, before `Date` was stamped; `updated_at` is cut to the second).
   */
  handledNoEarlierThan(): Date | undefined {
    const a = this.#anchor
    return a && new Date(a.date - (a.received - a.sent) - 1000)
  }

  /**
   * GitHub's time now, never later than it: `Date` is cut to the second and stamped before the
   * answer travelled. Used to judge whether another run's lease is over.
   */
  earliest(): Date | undefined {
    const a = this.#anchor
    return a && new Date(a.date + (this.localNow() - a.received))
  }

  /**
   * GitHub's time now, never earlier than it: the second `Date` was cut from, and all the time
   * since the request left. Used to judge how much of this run's own lease is left.
   */
  latest(): Date | undefined {
    const a = this.#anchor
    return a && new Date(a.date + 1000 + (this.localNow() - a.sent))
  }
}

/**
 * The Actions variables of one repository, one request per call. The answers the store expects
 * (absent, already there) are results; any other failure is Octokit's error, for the caller to
 * word with `toGitHubError`, because only the caller knows what it was doing. Every answer's
 * `Date` header feeds {@link RepositoryVariables.clock}.
 * @see https://docs.github.com/en/rest/actions/variables
 */
export class RepositoryVariables {
  readonly #client: GitHubClient
  readonly #repository: RepositoryRef
  /** GitHub's clock, from the answers these requests got. */
  readonly clock: GitHubClock

  constructor(client: GitHubClient, repository: RepositoryRef, clock?: Clock) {
    this.#client = client
    this.#repository = repository
    this.clock = new GitHubClock(clock)
  }

  /** `owner/repo`, for messages. */
  get repository(): string {
    return repositoryName(this.#repository)
  }

  /** The variable's value, or undefined when it does not exist (GitHub answers 404). */
  async get(name: string): Promise<string | undefined> {
    return (await this.read(name))?.value
  }

  /** The variable with the time GitHub last wrote it, or undefined when it does not exist. */
  async read(name: string): Promise<Variable | undefined> {
    const sent = this.clock.localNow()
    try {
      const response = await this.#client.request(
        'GET /repos/{owner}/{repo}/actions/variables/{name}',
        { ...this.#repository, name }
      )
      this.clock.observe(response.headers.date, sent)
      const variable = parseAnswer(
        variableSchema,
        response.data,
        `variable ${name} of ${this.repository}`
      )
      const at = variable.updated_at ?? variable.created_at
      return { value: variable.value, updatedAt: new Date(at ?? 0) }
    } catch (error) {
      this.#observeError(error, sent)
      if (hasStatus(error, 404)) return undefined
      throw error
    }
  }

  /**
   * Creates the variable; false when one of that name exists already. GitHub answers such a
   * create with 409 instead of replacing the value, which makes it an atomic test-and-set.
   */
  async create(name: string, value: string, send: SendOptions = {}): Promise<boolean> {
    const sent = this.clock.localNow()
    try {
      const response = await this.#client.request('POST /repos/{owner}/{repo}/actions/variables', {
        ...this.#repository,
        name,
        value,
        ...sendOptions(send)
      })
      this.clock.observe(response.headers.date, sent)
      return true
    } catch (error) {
      this.#observeError(error, sent)
      if (hasStatus(error, 409)) return false
      throw error
    }
  }

  /** Replaces the variable's value; false when it does not exist. */
  async update(name: string, value: string, send: SendOptions = {}): Promise<boolean> {
    const sent = this.clock.localNow()
    try {
      const response = await this.#client.request(
        'PATCH /repos/{owner}/{repo}/actions/variables/{name}',
        { ...this.#repository, name, value, ...sendOptions(send) }
      )
      this.clock.observe(response.headers.date, sent)
      return true
    } catch (error) {
      this.#observeError(error, sent)
      if (hasStatus(error, 404)) return false
      throw error
    }
  }

  /**
   * Deletes the variable; false when it was gone already.
   * @param send `once`: send it once, with no retry: a delete whose answer was lost may have
   *   landed, and sent again it could remove a variable that another run created meanwhile
   */
  async delete(name: string, send: SendOptions = {}): Promise<boolean> {
    const sent = this.clock.localNow()
    try {
      const response = await this.#client.request(
        'DELETE /repos/{owner}/{repo}/actions/variables/{name}',
        { ...this.#repository, name, ...sendOptions(send) }
      )
      this.clock.observe(response.headers.date, sent)
      return true
    } catch (error) {
      this.#observeError(error, sent)
      if (hasStatus(error, 404)) return false
      throw error
    }
  }

  #observeError(error: unknown, sent: number): void {
    if (error instanceof RequestError) this.clock.observe(error.response?.headers.date, sent)
  }
}

/** What a 404 on the store's repository means, for `toGitHubError`. */
export function repositoryNotFound(repository: string): string {
  return `Repository ${repository} does not exist, or the token in 'github-token' cannot see it (GitHub answers 404 for both): the refresh token's secret and the rotation record live there, so give the token access to ${repository}.`
}
