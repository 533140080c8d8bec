import { ActionError, describeError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { TargetResult, TargetStatus } from '../../report/result.js'
import { count } from '../../wording.js'
import type { GitHubClient } from './client.js'
import { resolveOrgAccess, type OrgAccess } from './org-access.js'
import { PublicKeys, type PublicKey } from './public-keys.js'
import { sealForGitHub } from './sealed-box.js'
import { writeWithFreshKey } from './stale-key.js'
import { scopeLabel, secretsPath, writePermission } from './scopes.js'
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
  readonly #prepared = new Map<string, Promise<Prepared>>()

  /** @param keys the run's key cache, when it is shared with the store (default: its own) */
  constructor(client: GitHubClient, log: Logger, keys = new PublicKeys(client)) {
    this.#client = client
    this.#log = log
    this.#keys = keys
  }

  /**
   * Checks that each target is writable without writing anything: its key is readable (so the
   * repository and environment exist and the token sees them) and, for an org secret, its access is
   * resolved. What it reads is kept, so a later {@link publish} of the same targets reads nothing again.
   * @returns one result per target, `planned` or `failed`, in the order of `targets`
   */
  preflight(targets: readonly SecretTarget[]): Promise<TargetResult[]> {
    return Promise.all(
      targets.map(target => this.#settle(target, () => Promise.resolve('planned' as const)))
    )
  }

  /**
   * Seals `value` for each target's scope and writes it.
   * @returns one result per target, `created`, `updated` or `failed`, in the order of `targets`
   */
  publish(targets: readonly SecretTarget[], value: string): Promise<TargetResult[]> {
    return Promise.all(
      targets.map(target => this.#settle(target, prepared => this.#write(target, value, prepared)))
    )
  }

  /** Runs one target's step and turns its outcome, whatever it is, into that target's result. */
  async #settle(
    target: SecretTarget,
    step: (prepared: Prepared) => Promise<TargetStatus>
  ): Promise<TargetResult> {
    const label = scopeLabel(target.scope)
    const base = {
      scope: target.scope.kind,
      type: target.scope.type,
      target: label,
      name: target.name
    }
    try {
      const prepared = await this.#prepare(target)
      const status = await step(prepared)
      const detail = planDetail(prepared.access)
      const verb = status === 'planned' ? `would write ${target.name}` : `${target.name} ${status}`
      this.#log.info(`${label}: ${verb}${detail ? ` (${detail})` : ''}`)
      return { ...base, status, ...(detail ? { detail } : {}) }
    } catch (error) {
      const message = describeError(error)
      this.#log.error(message, { title: `${target.name} on ${label}` })
      return { ...base, status: 'failed', error: message }
    }
  }

  /** The target's key and org access, read once per run. */
  #prepare(target: SecretTarget): Promise<Prepared> {
    const id = `${secretsPath(target.scope)}/${target.name.toUpperCase()}`
    let prepared = this.#prepared.get(id)
    if (!prepared) {
      prepared = this.#read(target)
      this.#prepared.set(id, prepared)
      prepared.catch(() => this.#prepared.delete(id))
    }
    return prepared
  }

  async #read(target: SecretTarget): Promise<Prepared> {
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
    const context = {
      phase: 'publish' as const,
      doing: `writing ${target.name} to ${scopeLabel(target.scope)}`,
      permission: writePermission(target.scope)
    }
    return writeWithFreshKey(
      prepared.key,
      key => this.#put(target, value, key, prepared.access),
      () => this.#keys.refresh(target.scope),
      context,
      () => {
        this.#log.info(
          `${scopeLabel(target.scope)}: the public key changed during the run; sealing again with the new key.`
        )
      }
    )
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
