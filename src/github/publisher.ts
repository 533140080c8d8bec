import { ActionError, describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { TargetResult } from '../report/result.js'
import { count } from '../report/wording.js'
import type { GitHubClient } from './client.js'
import { resolveOrgAccess, type OrgAccess } from './org-access.js'
import { PublicKeys, type PublicKey } from './public-keys.js'
import { hasStatus, toGitHubError } from './request-errors.js'
import { sealForGitHub } from './sealed-box.js'
import { scopeLabel, secretsPath } from './scopes.js'
import type { SecretTarget } from './targets.js'

/** What one target needs before its write: its key, and for an org secret its access. */
interface Prepared {
  key: PublicKey
  access?: OrgAccess
}

/**
 * Writes one value to many secret targets. Every target gets its own result: one that fails does
 * not stop or hide the others. Concurrency and write spacing are the client's (see
 * {@link createGitHubClient}), so all targets are started at once and the client paces them.
 */
export class SecretPublisher {
  readonly #client: GitHubClient
  readonly #log: Logger
  readonly #keys: PublicKeys

  constructor(client: GitHubClient, log: Logger) {
    this.#client = client
    this.#log = log
    this.#keys = new PublicKeys(client)
  }

  /**
   * Seals `value` for each target's scope and writes it; with `dryRun`, only checks that each
   * target is writable (key readable, environment present, repositories resolved) and plans.
   * @returns one result per target, in the order of `targets`
   */
  publish(
    targets: readonly SecretTarget[],
    value: string,
    options: { dryRun: boolean }
  ): Promise<TargetResult[]> {
    return Promise.all(targets.map(target => this.#publishOne(target, value, options.dryRun)))
  }

  async #publishOne(target: SecretTarget, value: string, dryRun: boolean): Promise<TargetResult> {
    const label = scopeLabel(target.scope)
    const base = {
      scope: target.scope.kind,
      type: target.scope.type,
      target: label,
      name: target.name
    }
    try {
      const prepared = await this.#prepare(target)
      if (dryRun) {
        const detail = planDetail(prepared.access)
        this.#log.info(`[plan] ${label}: would write ${target.name}${detail ? ` (${detail})` : ''}`)
        return { ...base, status: 'planned', ...(detail ? { detail } : {}) }
      }
      const status = await this.#write(target, value, prepared)
      const detail = planDetail(prepared.access)
      this.#log.info(`${label}: ${target.name} ${status}${detail ? ` (${detail})` : ''}`)
      return { ...base, status, ...(detail ? { detail } : {}) }
    } catch (error) {
      const message = describeError(error)
      this.#log.error(message, { title: `${target.name} on ${label}` })
      return { ...base, status: 'failed', error: message }
    }
  }

  async #prepare(target: SecretTarget): Promise<Prepared> {
    const key = await this.#keys.get(target.scope)
    if (target.scope.kind !== 'organization') return { key }
    const access = await resolveOrgAccess(
      this.#client,
      target.scope,
      target.name,
      target.access ?? {}
    )
    return { key, access }
  }

  /** PUTs the sealed value; when GitHub refuses the key as stale, fetches it again and retries once. */
  async #write(
    target: SecretTarget,
    value: string,
    prepared: Prepared
  ): Promise<'created' | 'updated'> {
    const doing = `writing ${target.name} to ${scopeLabel(target.scope)}`
    try {
      return await this.#put(target, value, prepared.key, prepared.access)
    } catch (error) {
      if (!hasStatus(error, 422)) throw toGitHubError(error, { phase: 'publish', doing })
      const fresh = await this.#keys.refresh(target.scope)
      if (fresh.key_id === prepared.key.key_id)
        throw toGitHubError(error, { phase: 'publish', doing })
      this.#log.info(
        `${scopeLabel(target.scope)}: the public key changed during the run; sealing again with the new key.`
      )
      try {
        return await this.#put(target, value, fresh, prepared.access)
      } catch (retryError) {
        throw toGitHubError(retryError, { phase: 'publish', doing })
      }
    }
  }

  async #put(
    target: SecretTarget,
    value: string,
    key: PublicKey,
    access: OrgAccess | undefined
  ): Promise<'created' | 'updated'> {
    const body = {
      encrypted_value: await sealForGitHub(value, key.key),
      key_id: key.key_id,
      ...(access ? { visibility: access.visibility } : {}),
      ...(access?.selectedRepositoryIds
        ? { selected_repository_ids: access.selectedRepositoryIds }
        : {})
    }
    const response = await this.#client.request(`PUT ${secretsPath(target.scope)}/{secret_name}`, {
      secret_name: target.name,
      ...body
    })
    if (response.status === 201) return 'created'
    if (response.status === 204) return 'updated'
    throw new ActionError(
      `Writing ${target.name} to ${scopeLabel(target.scope)}: unexpected answer ${response.status}`,
      {
        code: 'github-rejected',
        phase: 'publish'
      }
    )
  }
}

function planDetail(access: OrgAccess | undefined): string | undefined {
  if (!access) return undefined
  const state =
    access.exists === undefined ? '' : access.exists ? 'existing secret, ' : 'new secret, '
  const ids = access.selectedRepositoryIds
  return `${state}visibility ${access.visibility}${ids ? `, ${count(ids.length, 'repository', 'repositories')}` : ''}`
}
