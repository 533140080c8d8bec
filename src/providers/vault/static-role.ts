import type { Minted } from '../../engine/ports.js'
import { ActionError } from '../../errors.js'
import { VAULT_REFUSED } from './errors.js'
import type { DynamicOptions } from './dynamic.js'

/** A database static role's path: `<mount>/static-creds/<name>`. */
const STATIC_PATH = /(?:^|\/)static-creds\/[^/]+$/

/** The fields of a static role's answer that say when, not what: left out of the value. */
const ROTATION_FIELDS = new Set([
  'last_vault_rotation',
  'rotation_period',
  'ttl',
  'rotation_schedule'
])

/** The handle of a static role's password: public names only. */
const STATIC_HANDLE = /^static=(\S+) rotated=(\S*)$/

/** Whether `path` reads a static role, whose one account Vault rotates by itself. */
export function isStaticPath(path: string): boolean {
  return STATIC_PATH.test(path)
}

/** Whether a recorded handle is a static role's (nothing to revoke: Vault rotated it away). */
export function isStaticHandle(handle: string): boolean {
  return STATIC_HANDLE.test(handle)
}

/**
 * Reads a static role's current password (`database/static-creds/<name>`). Nothing is minted:
 * Vault rotates the account's password on its own (its `rotation_period`, or `rotate-role`), so
 * the run publishes what Vault holds now, checks it and commits it, and the next run after
 * Vault's rotation publishes the new one. The value is the account (`username`, `password`, …)
 * without the rotation's times, so that one password is one value; it expires when Vault rotates
 * it next (`ttl`), which a schedule's `before-expiry` turns into the next due run. No lease, so the
 * run's own token reads it.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/databases#get-static-credentials
 */
export async function readStaticRole(options: DynamicOptions): Promise<Minted> {
  const { session, path, mask, log, clock } = options
  const answer = await session.call(
    { method: 'GET', path },
    {
      phase: 'mint',
      doing: `reading the static role's credential ${path}`,
      path,
      capability: 'read',
      idempotent: true
    }
  )
  const data = (answer.body as { data?: unknown } | undefined)?.data
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ActionError(
      `Vault's answer for ${path} holds no data: is it a database static role?`,
      { code: VAULT_REFUSED, phase: 'mint' }
    )
  }
  const fields = data as Record<string, unknown>
  const account = Object.fromEntries(
    Object.entries(fields).filter(([key]) => !ROTATION_FIELDS.has(key))
  )
  for (const field of Object.values(account)) {
    if (typeof field === 'string' && field !== '') mask(field)
  }
  const value = JSON.stringify(account)
  mask(value)
  const rotated = typeof fields.last_vault_rotation === 'string' ? fields.last_vault_rotation : ''
  const ttl = typeof fields.ttl === 'number' ? fields.ttl : 0
  const expiresAt = ttl > 0 ? new Date(clock.now().getTime() + ttl * 1000) : undefined
  const when = [
    ...(rotated !== '' ? [`Vault rotated it at ${rotated}`] : []),
    ...(ttl > 0 ? [`next rotation in ${String(ttl)} s`] : [])
  ]
  log.info(
    `Read the static role's current credential from ${path}${when.length > 0 ? ` (${when.join('; ')})` : ''}.`
  )
  return {
    value,
    next: '',
    rotated: false,
    ...(expiresAt ? { expiresAt } : {}),
    handle: `static=${path} rotated=${rotated}`
  }
}
