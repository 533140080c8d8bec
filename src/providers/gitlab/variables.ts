import { ActionError, type Phase } from '../../errors.js'
import { GitLabTransportError, segment, type GitLabAnswer, type GitLabClient } from './client.js'
import { answered, answerError, type GitLabContext } from './errors.js'

/** Whose variables: a project or a group, by path or numeric id. */
export interface VariableOwner {
  kind: 'project' | 'group'
  path: string
}

/** A variable as the store reads it; a hidden one's value is null (GitLab never shows it). */
export interface FoundVariable {
  value: string | null
  hidden: boolean
  masked: boolean
}

/** How a variable is created: GitLab's own settings, besides its key and value. */
export interface CreateSettings {
  /** Masked and hidden (GitLab hides a variable only when it creates it). */
  hidden: boolean
  protected: boolean
}

/** How a request may be cut short or repeated. */
export interface SendOptions {
  /** Aborts the request: no further attempt is sent and the one in flight is abandoned. */
  signal?: AbortSignal
  /**
   * Sent once: repeated only when it provably never reached GitLab. A delete whose answer was
   * lost may have landed, and sent again it could remove what another run created meanwhile.
   */
  once?: boolean
}

/**
 * The runner's monotonic clock in ms, read only for how much time passed: neither its offset nor a
 * runner's wrong wall clock ever matters.
 */
const localNow = (): number => performance.now()

/**
 * GitLab's clock as the runner can know it: the `Date` of GitLab's latest answer, moved on by the
 * time that passed on the runner since. Runners' clocks can be off by an hour; GitLab's is the one
 * every job of a project shares. `Date` is cut to the second and stamped somewhere within the
 * round trip, so each reading is a bound: {@link earliest} for another run's lease,
 * {@link latest} for this run's own.
 */
export class GitLabClock {
  #anchor: { date: number; sent: number; received: number } | undefined

  /** Takes the `Date` of an answer to a request sent at `sent` (runner's ms, {@link localNow}). */
  observe(date: Date | undefined, sent: number): void {
    if (date === undefined) return
    const received = localNow()
    if (this.#anchor === undefined || received >= this.#anchor.received) {
      this.#anchor = { date: date.getTime(), sent, received }
    }
  }

  /** The runner's clock now, in ms: what {@link observe} takes as `sent`. */
  static local(): number {
    return localNow()
  }

  /** GitLab's time now, never later than it; undefined before any answer with a `Date`. */
  earliest(): Date | undefined {
    const a = this.#anchor
    return a && new Date(a.date + (localNow() - a.received))
  }

  /**
   * GitLab's time now, never earlier than it: the second `Date` was cut from, and all the time
   * since the request left.
   */
  latest(): Date | undefined {
    const a = this.#anchor
    return a && new Date(a.date + 1000 + (localNow() - a.sent))
  }
}

/**
 * The CI/CD variables of one project or group, for the store, its record and its lock: one
 * request per call, every answer's `Date` read into {@link clock}. The answers the store expects
 * (absent, already there) are results; any other is an ActionError saying what it was doing.
 * Variables of the store live in the environment scope `*` only.
 * @see https://docs.gitlab.com/api/project_level_variables/
 * @see https://docs.gitlab.com/api/group_level_variables/
 */
export class OwnerVariables {
  readonly #client: GitLabClient
  readonly owner: VariableOwner
  /** GitLab's clock, from the answers these requests got. */
  readonly clock = new GitLabClock()
  /** What the token needs, for messages: where it was given. */
  readonly #tokenKey: string

  constructor(client: GitLabClient, owner: VariableOwner, tokenKey: string) {
    this.#client = client
    this.owner = owner
    this.#tokenKey = tokenKey
  }

  /** `project acme/app`, for messages. */
  get label(): string {
    return `${this.owner.kind} ${this.owner.path}`
  }

  /** The variable, or undefined when it does not exist. */
  async read(key: string, phase: Phase): Promise<FoundVariable | undefined> {
    const context = this.context(phase, `reading the variable ${key} of ${this.label}`)
    const answer = await this.#send(
      { method: 'GET', path: this.#path(key), query: SCOPE },
      context,
      {}
    )
    if (answer.status === 200) {
      const body = answer.body as { value?: unknown; hidden?: unknown; masked?: unknown }
      return {
        value: typeof body.value === 'string' ? body.value : null,
        hidden: body.hidden === true,
        masked: body.masked === true
      }
    }
    if (isVariableNotFound(this.#client, answer)) return undefined
    throw answerError(this.#client, answer, context)
  }

  /**
   * Creates the variable; false when one of that key exists already. GitLab answers such a create
   * with 400 `has already been taken` instead of replacing the value: an atomic test-and-set.
   * @throws ActionError; a lost answer is code `gitlab-unavailable` (the create may have landed)
   */
  async create(
    key: string,
    value: string,
    settings: CreateSettings,
    phase: Phase,
    send: SendOptions = {}
  ): Promise<boolean> {
    const context = this.context(phase, `creating the variable ${key} of ${this.label}`)
    const answer = await this.#send(
      {
        method: 'POST',
        path: this.#base(),
        form: {
          key,
          value,
          environment_scope: '*',
          variable_type: 'env_var',
          protected: String(settings.protected),
          // Never expanded: a `$` in a value stays as it is, and any non-space character is masked.
          raw: 'true',
          ...(settings.hidden ? { masked_and_hidden: 'true' } : { masked: 'false' })
        }
      },
      context,
      { ...send, once: true }
    )
    if (answer.status === 201) return true
    if (answer.status === 400 && /already been taken/.test(this.#client.reason(answer))) {
      return false
    }
    throw answerError(this.#client, answer, context)
  }

  /** Replaces the variable's value, keeping its settings; false when it does not exist. */
  async update(key: string, value: string, phase: Phase, send: SendOptions = {}): Promise<boolean> {
    const context = this.context(phase, `writing the variable ${key} of ${this.label}`)
    const answer = await this.#send(
      { method: 'PUT', path: this.#path(key), query: SCOPE, form: { value } },
      context,
      send
    )
    if (answer.status === 200) return true
    if (isVariableNotFound(this.#client, answer)) return false
    throw answerError(this.#client, answer, context)
  }

  /** Deletes the variable; false when it was gone already. */
  async delete(key: string, phase: Phase, send: SendOptions = {}): Promise<boolean> {
    const context = this.context(phase, `deleting the variable ${key} of ${this.label}`)
    const answer = await this.#send(
      { method: 'DELETE', path: this.#path(key), query: SCOPE },
      context,
      send
    )
    if (answer.status === 204 || answer.status === 200) return true
    if (isVariableNotFound(this.#client, answer)) return false
    throw answerError(this.#client, answer, context)
  }

  /** What a failed request of `phase` was doing, for its message. */
  context(phase: Phase, doing: string): GitLabContext {
    return {
      phase,
      doing,
      needs: `the api scope and the Maintainer role in ${this.label} (${this.#tokenKey})`,
      notFound: `the ${this.label} does not exist at ${this.#client.url}, or ${this.#tokenKey} cannot see it`
    }
  }

  async #send(
    request: Parameters<GitLabClient['send']>[0],
    context: GitLabContext,
    send: SendOptions
  ): Promise<GitLabAnswer> {
    const sent = GitLabClock.local()
    const answer = await answered(
      () =>
        this.#client.send({
          ...request,
          ...(send.signal ? { signal: send.signal } : {}),
          ...(send.once === true ? { repeat: 'unsent-only' as const } : {})
        }),
      context
    ).catch((error: unknown) => {
      // An abort says why in its own words: the lease's reason, not a lost connection.
      const reason: unknown = send.signal?.aborted === true ? send.signal.reason : undefined
      if (!(reason instanceof Error)) throw error
      throw new ActionError(`Abandoned ${context.doing}: ${reason.message}.`, {
        code: 'locked',
        phase: context.phase,
        cause: error
      })
    })
    this.clock.observe(answer.date, sent)
    return answer
  }

  #base(): string {
    return `/${this.owner.kind}s/${segment(this.owner.path)}/variables`
  }

  #path(key: string): string {
    return `${this.#base()}/${segment(key)}`
  }
}

/** Only the store's variables: those of every environment. */
const SCOPE = { 'filter[environment_scope]': '*' }

/** A 404 that names the variable, not its project or group. */
function isVariableNotFound(client: GitLabClient, answer: GitLabAnswer): boolean {
  return answer.status === 404 && /variable not found/i.test(client.reason(answer))
}

/** Whether `error` is a request that got no answer, which may have landed. */
export function isLostAnswer(error: unknown): boolean {
  const cause = error instanceof ActionError ? error.cause : error
  return cause instanceof GitLabTransportError && cause.reached
}
