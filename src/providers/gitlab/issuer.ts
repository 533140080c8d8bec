import type { Issuer, LastUse, Minted, Retired } from '../../engine/ports.js'
import { ActionError } from '../../errors.js'
import { GitLabTransportError, segment, type GitLabAnswer, type GitLabClient } from './client.js'
import { GITLAB_TOKEN, ownerLabel, type TokenIssuerSettings } from './configure.js'
import { answered, answerError, type GitLabContext } from './errors.js'
import { expiryDate, expiryInstant } from './rules.js'

/** What the issuer needs from the run. */
export interface TokenIssuerDeps {
  /** The client that authenticates with `token` (one per token and instance for the run). */
  client(token: string): GitLabClient
  /** The admin token of create-then-revoke (the input), for revocations and `last_used_at`. */
  token: string
  mask(secret: string): void
}

/** An access token as GitLab's API shows it (`Entities::PersonalAccessToken` and resource tokens). */
interface TokenEntity {
  id: number
  name: string
  revoked?: boolean
  active?: boolean
  scopes?: string[]
  expires_at?: string | null
  last_used_at?: string | null
  created_at?: string
  user_id?: number
  access_level?: number
  description?: string | null
  /** Only in the answers of create and rotate. */
  token?: string
}

/** The longest one mint may take: a few reads and one create or rotate, each 30 s at most. */
const MINT_TIMEOUT_MS = 3 * 60_000

const REAUTHORIZE =
  'Create a new token with the same name, scopes and role in GitLab, store it where issuer.token reads it, and run again'

/**
 * The `gitlab-token` issuer: a personal, project or group access token, found by its name.
 *
 * - `rotate`: the token rotates itself (`POST …/access_tokens/self/rotate`, GitLab 17.9; the `api`
 *   or `self_rotate` scope). GitLab revokes the old token in the same step, so the request is
 *   never repeated once it may have reached GitLab: a rotate with a revoked token makes GitLab
 *   revoke every token rotated from it. Before it, the token is read back (`GET
 *   /personal_access_tokens/self`, which revokes nothing): a revoked token is never presented to
 *   the rotate endpoint.
 * - `create-then-revoke`: an admin token creates a token with the same name, scopes and role and
 *   a new expiry; the old one is revoked by id once the new one is published and proven, after
 *   the grace period, and (with `retire.when-unused-for`) once GitLab saw no use of it for that long.
 * @see https://docs.gitlab.com/api/project_access_tokens/
 * @see https://docs.gitlab.com/api/personal_access_tokens/
 */
export class GitLabTokenIssuer implements Issuer {
  readonly kind = GITLAB_TOKEN
  readonly revokes = 'handle' as const
  readonly mintTimeoutMs = MINT_TIMEOUT_MS
  readonly #settings: TokenIssuerSettings
  readonly #deps: TokenIssuerDeps

  constructor(settings: TokenIssuerSettings, deps: TokenIssuerDeps) {
    this.#settings = settings
    this.#deps = deps
  }

  mint(current: string): Promise<Minted> {
    return this.#settings.strategy === 'rotate' ? this.#rotate(current) : this.#create(current)
  }

  async revoke(retired: Retired): Promise<void> {
    if (retired.by !== 'handle') {
      throw new ActionError(`${GITLAB_TOKEN} revokes by token id only; this is a bug.`, {
        code: 'internal',
        phase: 'retire'
      })
    }
    const client = this.#deps.client(this.#deps.token)
    const context = this.#context(
      'retire',
      `revoking the token ${this.#name()} with id ${retired.handle}`
    )
    const answer = await answered(
      () => client.send({ method: 'DELETE', path: this.#tokenPath(retired.handle) }),
      context
    )
    // Gone already counts as revoked: a revocation is repeated safely.
    if (answer.status === 204 || answer.status === 200 || answer.status === 404) return
    throw answerError(client, answer, context)
  }

  async lastUsed(handle: string): Promise<LastUse> {
    const client = this.#deps.client(this.#deps.token)
    const context = this.#context('retire', `reading the token ${this.#name()} with id ${handle}`)
    const answer = await answered(
      () => client.send({ method: 'GET', path: this.#tokenPath(handle) }),
      context
    )
    const now = answer.date
    if (!now) {
      throw new ActionError(
        `GitLab's answer about the token ${this.#name()} carried no Date header, and whether a token is still in use is judged on GitLab's clock only. Check the proxy between the runner and GitLab: it must pass the Date header.`,
        { code: 'gitlab-rejected', phase: 'retire' }
      )
    }
    // A token that is gone, revoked or expired is used by no one any more.
    if (answer.status === 404) return { now }
    if (answer.status !== 200) throw answerError(client, answer, context)
    const token = answer.body as TokenEntity
    if (token.revoked === true || token.active === false) return { now }
    const at = token.last_used_at ? Date.parse(token.last_used_at) : Number.NaN
    return Number.isNaN(at) ? { now } : { lastUsedAt: new Date(at), now }
  }

  // --- rotate ---------------------------------------------------------------------------------

  async #rotate(current: string): Promise<Minted> {
    const client = this.#deps.client(current)
    const self = await this.#self(client)
    const days = this.#settings.expiresInDays
    const now = client.now()
    if (!now) throw this.#noDate()
    const expiresAt = expiryDate(now, days)
    const owner = this.#settings.owner
    const path =
      owner.kind === 'personal'
        ? '/personal_access_tokens/self/rotate'
        : `/${owner.kind}s/${segment(owner.path)}/access_tokens/self/rotate`
    const context = this.#context('mint', `rotating the token ${this.#name()}`)
    let answer: GitLabAnswer
    try {
      answer = await client.send({
        method: 'POST',
        path,
        form: { expires_at: expiresAt },
        repeat: 'unsent-only'
      })
    } catch (error) {
      if (error instanceof GitLabTransportError && !error.reached) {
        throw new ActionError(
          `The rotate request for the token ${this.#name()} never reached GitLab (${error.message}): nothing was rotated, and the token still works. Run again.`,
          { code: 'issuer-unreachable', phase: 'mint', retryable: true, cause: error }
        )
      }
      throw new ActionError(
        `The rotate request for the token ${this.#name()} (id ${String(self.id)}) may have reached GitLab, and no answer came (${error instanceof Error ? error.message : 'the request failed'}): GitLab may have revoked it and made a successor this run never saw. It is not sent again: rotating a revoked token makes GitLab revoke every token rotated from it. The next run reads the token first (which revokes nothing): if it still works, that run rotates it; if it is revoked, ${REAUTHORIZE.toLowerCase()}.`,
        { code: 'issuer-outcome-unknown', phase: 'mint', cause: error }
      )
    }
    if (answer.status === 200 || answer.status === 201) {
      return this.#minted(answer, current, true)
    }
    if (answer.status >= 500) {
      throw new ActionError(
        `GitLab failed while rotating the token ${this.#name()} (${client.reason(answer)}): the rotation may or may not have happened. It is not sent again (rotating a revoked token makes GitLab revoke every token rotated from it); the next run reads the token first and tells.`,
        { code: 'issuer-outcome-unknown', phase: 'mint' }
      )
    }
    throw this.#refusal(client, answer, context)
  }

  /** The token itself, read without changing anything: it must be live and have the right name. */
  async #self(client: GitLabClient): Promise<TokenEntity> {
    const context = this.#context('mint', `reading the token ${this.#name()} before rotating it`)
    const answer = await answered(
      () => client.send({ method: 'GET', path: '/personal_access_tokens/self' }),
      context
    )
    if (answer.status === 401) {
      throw new ActionError(
        `GitLab refused the token given as issuer.token (${client.reason(answer)}): it is revoked or expired. It was not presented to the rotate endpoint, where a revoked token makes GitLab revoke every token rotated from it. If an earlier run's rotate answer was lost, the token it made is lost with it: ${REAUTHORIZE}.`,
        { code: 'reauthorization-needed', phase: 'mint' }
      )
    }
    if (answer.status !== 200) throw answerError(client, answer, context)
    const token = answer.body as TokenEntity
    if (token.name !== this.#settings.tokenName) {
      throw new ActionError(
        `The token given as issuer.token is named '${token.name}', not '${this.#settings.tokenName}' (issuer.token-name): nothing was rotated. Give the token named ${this.#settings.tokenName}, or fix issuer.token-name.`,
        { code: 'invalid-input', phase: 'mint' }
      )
    }
    return token
  }

  // --- create-then-revoke ---------------------------------------------------------------------

  async #create(current: string): Promise<Minted> {
    const client = this.#deps.client(current)
    const { template, userId } = await this.#template(client)
    const now = client.now()
    if (!now) throw this.#noDate()
    const owner = this.#settings.owner
    const form: Record<string, string | readonly string[]> = {
      name: this.#settings.tokenName,
      scopes: template.scopes ?? [],
      expires_at: expiryDate(now, this.#settings.expiresInDays),
      ...(template.description ? { description: template.description } : {}),
      ...(owner.kind !== 'personal' && template.access_level !== undefined
        ? { access_level: String(template.access_level) }
        : {})
    }
    const path =
      owner.kind === 'personal'
        ? `/users/${String(userId)}/personal_access_tokens`
        : `/${owner.kind}s/${segment(owner.path)}/access_tokens`
    const context = this.#context('mint', `creating a token named ${this.#name()}`)
    let answer: GitLabAnswer
    try {
      answer = await client.send({ method: 'POST', path, form, repeat: 'unsent-only' })
    } catch (error) {
      if (error instanceof GitLabTransportError && !error.reached) {
        throw new ActionError(
          `The request to create a token named ${this.#name()} never reached GitLab (${error.message}): nothing was created. Run again.`,
          { code: 'issuer-unreachable', phase: 'mint', retryable: true, cause: error }
        )
      }
      throw new ActionError(
        `The request to create a token named ${this.#name()} may have reached GitLab, and no answer came (${error instanceof Error ? error.message : 'the request failed'}): GitLab may hold a new token this run never saw. It is not sent again blindly; the admin token is not consumed and the old token still works, so the next run creates another. A token left over expires on ${String(form.expires_at)}; revoke it in GitLab (the newest token named ${this.#settings.tokenName} that no target holds) if you want it gone sooner.`,
        { code: 'issuer-outcome-unknown', phase: 'mint', cause: error }
      )
    }
    if (answer.status === 201 || answer.status === 200) {
      // The token copied is the one the new one replaces: a record that names none (a token made
      // by hand, before the first rotation) takes its id, so it is revoked like every later one.
      return { ...this.#minted(answer, current, false), replaces: String(template.id) }
    }
    throw this.#refusal(client, answer, context)
  }

  /** The live token of that name to copy scopes and role from: the newest one. */
  async #template(client: GitLabClient): Promise<{ template: TokenEntity; userId?: number }> {
    const owner = this.#settings.owner
    const context = this.#context('mint', `listing the tokens named ${this.#name()}`)
    let userId: number | undefined
    let path: string
    const query: Record<string, string> = { state: 'active', search: this.#settings.tokenName }
    if (owner.kind === 'personal') {
      const user = await answered(() => client.send({ method: 'GET', path: '/user' }), context)
      if (user.status !== 200) throw answerError(client, user, context)
      userId = (user.body as { id: number }).id
      path = '/personal_access_tokens'
      query.user_id = String(userId)
    } else path = `/${owner.kind}s/${segment(owner.path)}/access_tokens`
    let listed: Awaited<ReturnType<GitLabClient['list']>>
    try {
      listed = await client.list(path, query)
    } catch (error) {
      if (error instanceof GitLabTransportError) {
        throw new ActionError(
          `No answer from GitLab while ${context.doing}: ${error.message}. Nothing was created. Run again.`,
          { code: 'issuer-unreachable', phase: 'mint', retryable: true, cause: error }
        )
      }
      throw error
    }
    if ('failed' in listed) throw answerError(client, listed.failed, context)
    const named = (listed.items as TokenEntity[])
      .filter(token => token.name === this.#settings.tokenName && token.active !== false)
      .sort((a, b) => b.id - a.id)
    const [template] = named
    if (!template) {
      throw new ActionError(
        `No live token named ${this.#settings.tokenName} in ${ownerLabel(owner)}: create-then-revoke copies the scopes and role of the current token. Create it once in GitLab with the scopes and role new tokens should have, publish it, and run again.`,
        { code: 'issuer-rejected', phase: 'mint' }
      )
    }
    return userId === undefined ? { template } : { template, userId }
  }

  // --- shared -------------------------------------------------------------------------------

  /** The new token, masked before anything else happens to it. */
  #minted(answer: GitLabAnswer, current: string, rotated: boolean): Minted {
    const token = answer.body as TokenEntity
    const value = token.token
    if (typeof value !== 'string' || value === '') {
      throw new ActionError(
        `GitLab's answer for the token ${this.#name()} holds no token value; nothing can be published.`,
        { code: 'issuer-rejected', phase: 'mint' }
      )
    }
    this.#deps.mask(value)
    const expiresAt = token.expires_at ? expiryInstant(token.expires_at) : undefined
    return {
      value,
      next: rotated ? value : current,
      rotated,
      handle: String(token.id),
      ...(expiresAt ? { expiresAt } : {})
    }
  }

  /** A refused create or rotate: nothing changed, and the message says why in GitLab's words. */
  #refusal(client: GitLabClient, answer: GitLabAnswer, context: GitLabContext): ActionError {
    const reason = client.reason(answer)
    if (answer.status === 400 && /expires at/i.test(reason)) {
      return new ActionError(
        `GitLab refused the new token's expiry (${reason}): issuer.expires-in (${String(this.#settings.expiresInDays)} days) is longer than this instance allows. Nothing changed. Shorten issuer.expires-in.`,
        { code: 'issuer-rejected', phase: 'mint' }
      )
    }
    if (answer.status === 401) {
      return new ActionError(
        `GitLab refused the token given as issuer.token while ${context.doing} (${reason}): it is revoked or expired. Nothing changed. ${REAUTHORIZE}.`,
        { code: 'reauthorization-needed', phase: 'mint' }
      )
    }
    if (answer.status === 405 && this.#settings.strategy === 'rotate') {
      return new ActionError(
        `GitLab refused to let the token rotate itself (${reason}): a project or group access token rotates itself only at its own project or group. Check issuer.project / issuer.group. Nothing changed.`,
        { code: 'issuer-rejected', phase: 'mint' }
      )
    }
    const error = answerError(client, answer, context)
    return new ActionError(`${error.message} Nothing changed.`, {
      code: answer.status === 429 ? 'gitlab-rate-limited' : 'issuer-rejected',
      phase: 'mint',
      retryable: error.retryable
    })
  }

  #tokenPath(id: string): string {
    const owner = this.#settings.owner
    return owner.kind === 'personal'
      ? `/personal_access_tokens/${segment(id)}`
      : `/${owner.kind}s/${segment(owner.path)}/access_tokens/${segment(id)}`
  }

  #context(phase: GitLabContext['phase'], doing: string): GitLabContext {
    const owner = this.#settings.owner
    const needs =
      this.#settings.strategy === 'rotate'
        ? 'the api or self_rotate scope'
        : owner.kind === 'personal'
          ? 'the api scope of an administrator'
          : `the api scope and the ${owner.kind === 'project' ? 'Maintainer' : 'Owner'} role in ${owner.path}`
    return {
      phase,
      doing,
      needs,
      notFound: `${ownerLabel(owner)} or the token does not exist at ${this.#settings.url}, or issuer.token cannot see it (it needs ${needs})`
    }
  }

  #name(): string {
    return `${this.#settings.tokenName} of ${ownerLabel(this.#settings.owner)}`
  }

  #noDate(): ActionError {
    return new ActionError(
      `GitLab's answers carry no Date header: a new token's expiry is set on GitLab's clock. Check the proxy between the runner and GitLab: it must pass the Date header.`,
      { code: 'gitlab-rejected', phase: 'mint' }
    )
  }
}
