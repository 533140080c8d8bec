import type { Clock, Issuer, Minted, Retired } from '../../engine/ports.js'
import { ActionError, describeError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { Needed } from './capabilities.js'
import { VAULT_REFUSED } from './errors.js'
import { VaultResponseError, type VaultAnswer } from './http.js'
import { authOf, type AuthAnswer, type VaultSession } from './session.js'
import { isStaticHandle, isStaticPath, readStaticRole } from './static-role.js'

/** Where a dynamic credential is read, and with which token. */
export interface DynamicSettings {
  /** A path that answers with a lease: `database/creds/app`. */
  path: string
  /**
   * A token role (`orphan: true`) the lease's token is created against; without it,
   * `auth/token/create-orphan`.
   */
  tokenRole?: string
  /** The lease token's TTL (`768h`); without it, Vault's default for the token. */
  tokenTtl?: string
  /** The lease token's policies; without them, the login token's. */
  tokenPolicies?: readonly string[]
  /**
   * `issuer.renew-before`: a run that finds the published lease ending sooner than this renews
   * it (and the token that holds it) instead of letting it run out.
   */
  renewBeforeMs?: number
}

/**
 * The capabilities the dynamic issuer needs, for the preflight's check: the read, the token that
 * holds the lease, and (with `revokes`) the two revocations of a replaced credential. The token's
 * revocation is needed either way: it ends a token whose read failed.
 */
export function dynamicNeeds(settings: DynamicSettings, revokes: boolean): Needed[] {
  if (isStaticPath(settings.path)) {
    return [{ path: settings.path, anyOf: ['read'], for: "reading the static role's credential" }]
  }
  const renews: Needed[] =
    settings.renewBeforeMs === undefined
      ? []
      : [
          {
            path: 'sys/leases/renew',
            anyOf: ['update'],
            for: 'renewing the lease (issuer.renew-before)'
          },
          {
            path: 'auth/token/renew-accessor',
            anyOf: ['update'],
            for: 'renewing the token that holds the lease (issuer.renew-before)'
          }
        ]
  const tokenPath =
    settings.tokenRole !== undefined
      ? `auth/token/create/${settings.tokenRole}`
      : 'auth/token/create-orphan'
  return [
    { path: settings.path, anyOf: ['read'], for: 'reading the dynamic credential' },
    { path: tokenPath, anyOf: ['update'], for: 'the token that holds the lease' },
    {
      path: 'auth/token/revoke-accessor',
      anyOf: ['update'],
      for: "revoking a replaced lease's token (and one whose read failed)"
    },
    ...(revokes
      ? [
          {
            path: 'sys/leases/revoke',
            anyOf: ['update'],
            for: 'revoking the replaced lease after the grace period (retire.revoke-previous)'
          }
        ]
      : []),
    ...renews
  ]
}

/** What the dynamic issuer runs on. */
export interface DynamicOptions extends DynamicSettings {
  session: VaultSession
  mask: (secret: string) => void
  log: Logger
  clock: Clock
}

/** The handle of a dynamic credential: its lease and the accessor of the token that holds it. */
export interface LeaseHandle {
  leaseId: string
  accessor: string
  /** The lease's duration when it was issued, in seconds: what a renewal asks for again. */
  ttlS?: number
}

const HANDLE = /^lease=(\S*) accessor=(\S*)(?: ttl=(\d+))?$/

/** The handle the record keeps: public names only (a lease id, a token accessor, a duration). */
export function formatHandle(handle: LeaseHandle): string {
  const ttl = handle.ttlS !== undefined && handle.ttlS > 0 ? ` ttl=${String(handle.ttlS)}` : ''
  return `lease=${handle.leaseId} accessor=${handle.accessor}${ttl}`
}

/** Reads a handle back; undefined for one this issuer did not write. */
export function parseHandle(text: string): LeaseHandle | undefined {
  const match = HANDLE.exec(text)
  if (!match) return undefined
  const [, leaseId = '', accessor = '', ttl] = match
  if (leaseId === '' && accessor === '') return undefined
  return { leaseId, accessor, ...(ttl !== undefined ? { ttlS: Number(ttl) } : {}) }
}

/**
 * `issuer: vault-dynamic`: reads a path that answers with a lease (`database/creds/<role>`,
 * `aws/creds/<role>`, ...). The value is the JSON document of the answer's `data`, each of its
 * fields masked at once.
 *
 * The read never uses the run's login token: Vault revokes a token's leases with it, so the
 * credential would die at the run's `revoke-self`. Each read gets a token of its own that outlives
 * the run, an orphan (`auth/token/create-orphan`, or a token role with `orphan: true`); its secret
 * is forgotten after the read, and its accessor is kept with the lease id in the handle the record
 * keeps. Retiring revokes the lease (`sys/leases/revoke`), then that token
 * (`auth/token/revoke-accessor`); either one already gone counts as revoked.
 */
export function createDynamicIssuer(options: DynamicOptions): Issuer {
  return {
    kind: 'vault-dynamic',
    revokes: 'handle',
    // A token creation and a read, each tried at most once.
    mintTimeoutMs: 2 * 60_000,
    mint: () => (isStaticPath(options.path) ? readStaticRole(options) : mintDynamic(options)),
    revoke: retired => revokeDynamic(options, retired)
  }
}

async function mintDynamic(options: DynamicOptions): Promise<Minted> {
  const { session, path, mask, log, clock } = options
  const token = await createLeaseToken(options)
  mask(token.clientToken)
  let answer: VaultAnswer
  try {
    answer = await session.send(
      { method: 'GET', path, token: token.clientToken },
      {
        phase: 'mint',
        doing: `reading the dynamic credential ${path}`,
        path,
        capability: 'read',
        // A second read is a second lease: never sent again.
        idempotent: false
      }
    )
  } catch (error) {
    // A lease the read may have made dies with its token.
    await revokeAccessor(options, token.accessor).catch((failure: unknown) => {
      log.warning(
        `Could not revoke the token made for reading ${path} (accessor ${token.accessor}): ${describeError(failure)}; it expires on its own.`
      )
    })
    throw error
  }
  const body = (answer.body ?? {}) as Record<string, unknown>
  const data = body.data
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    await revokeAccessor(options, token.accessor).catch(() => undefined)
    throw new ActionError(
      `Vault's answer for ${path} holds no data: is it a path that issues credentials?`,
      {
        code: VAULT_REFUSED,
        phase: 'mint'
      }
    )
  }
  for (const field of Object.values(data as Record<string, unknown>)) {
    if (typeof field === 'string' && field !== '') mask(field)
  }
  const value = JSON.stringify(data)
  mask(value)
  const leaseId = typeof body.lease_id === 'string' ? body.lease_id : ''
  const leaseSeconds = typeof body.lease_duration === 'number' ? body.lease_duration : 0
  if (leaseId === '') {
    log.warning(
      `${path} answered without a lease: nothing revokes this credential later but its token (accessor ${token.accessor}).`
    )
  }
  const now = clock.now().getTime()
  // The credential lives as long as its lease and the token that holds it, whichever ends first.
  const ends = [leaseSeconds, token.leaseDuration].filter(s => s > 0)
  const expiresAt = ends.length > 0 ? new Date(now + Math.min(...ends) * 1000) : undefined
  if (leaseSeconds > 0 && token.leaseDuration > 0 && token.leaseDuration < leaseSeconds) {
    log.warning(
      `The token that holds the lease of ${path} expires in ${token.leaseDuration} s, before the lease (${leaseSeconds} s): the credential stops working then. Raise issuer.token-ttl (or the token role's TTL).`
    )
  }
  log.info(
    `Read ${path}: lease ${leaseId || 'none'}${leaseSeconds > 0 ? ` for ${leaseSeconds} s` : ''}, held by token accessor ${token.accessor}.`
  )
  return {
    value,
    next: '',
    rotated: false,
    ...(expiresAt ? { expiresAt } : {}),
    handle: formatHandle({ leaseId, accessor: token.accessor, ttlS: leaseSeconds })
  }
}

/** Makes the orphan token a lease is read with. */
async function createLeaseToken(options: DynamicOptions): Promise<AuthAnswer> {
  const { session, tokenRole, tokenTtl, tokenPolicies, path } = options
  const endpoint =
    tokenRole !== undefined ? `auth/token/create/${tokenRole}` : 'auth/token/create-orphan'
  const answer = await session.call(
    {
      method: 'POST',
      path: endpoint,
      body: {
        display_name: 'token-rotation',
        renewable: true,
        meta: { purpose: `lease of ${path}` },
        ...(tokenTtl !== undefined ? { ttl: tokenTtl } : {}),
        ...(tokenPolicies !== undefined ? { policies: tokenPolicies } : {})
      }
    },
    {
      phase: 'mint',
      doing: `creating the token that holds the lease of ${path}`,
      path: endpoint,
      capability: 'update',
      // A second token would be a second orphan: never sent again.
      idempotent: false
    }
  )
  const auth = authOf(answer)
  if (!auth) {
    throw new ActionError(`Vault's answer to ${endpoint} holds no token.`, {
      code: VAULT_REFUSED,
      phase: 'mint'
    })
  }
  return auth
}

async function revokeDynamic(options: DynamicOptions, retired: Retired): Promise<void> {
  if (retired.by !== 'handle') {
    throw new ActionError('The Vault dynamic issuer revokes by handle only.', {
      code: 'internal',
      phase: 'retire'
    })
  }
  if (isStaticHandle(retired.handle)) {
    // Vault rotated the old password away itself: nothing of it is left to revoke.
    options.log.info(
      `${options.path} is a static role: its replaced password (${retired.fingerprint}) ended with Vault's rotation; nothing to revoke.`
    )
    return
  }
  const handle = parseHandle(retired.handle)
  if (!handle) {
    throw new ActionError(
      `The recorded handle of ${retired.fingerprint} is not a Vault lease this action wrote; revoke it by hand.`,
      { code: 'state-invalid', phase: 'retire' }
    )
  }
  if (handle.leaseId !== '') await revokeLease(options, handle.leaseId)
  if (handle.accessor !== '') await revokeAccessor(options, handle.accessor)
}

/** `sys/leases/revoke`: Vault answers 204 for a lease already gone (revoked or expired). */
async function revokeLease(options: DynamicOptions, leaseId: string): Promise<void> {
  try {
    await options.session.call(
      { method: 'PUT', path: 'sys/leases/revoke', body: { lease_id: leaseId } },
      {
        phase: 'retire',
        doing: `revoking the lease ${leaseId}`,
        path: 'sys/leases/revoke',
        capability: 'update',
        idempotent: true
      }
    )
  } catch (error) {
    if (gone(error, /invalid lease|lease not found|not found/i)) return
    throw error
  }
}

/** `auth/token/revoke-accessor`: a token already gone (expired, revoked) is as good as revoked. */
async function revokeAccessor(options: DynamicOptions, accessor: string): Promise<void> {
  try {
    await options.session.call(
      { method: 'POST', path: 'auth/token/revoke-accessor', body: { accessor } },
      {
        phase: 'retire',
        doing: `revoking the token with accessor ${accessor}`,
        path: 'auth/token/revoke-accessor',
        capability: 'update',
        idempotent: true
      }
    )
  } catch (error) {
    if (gone(error, /invalid accessor|not found|invalid token/i)) return
    throw error
  }
}

/** Vault said the thing to revoke does not exist (any more). */
function gone(error: unknown, said: RegExp): boolean {
  const cause = error instanceof ActionError ? error.cause : error
  return (
    cause instanceof VaultResponseError &&
    (cause.status === 404 || (cause.status === 400 && cause.errors.some(e => said.test(e))))
  )
}
