import type { Clock } from '../../engine/ports.js'
import type { RotationState } from '../../engine/state.js'
import { ActionError, describeError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { parseHandle, type LeaseHandle } from './dynamic.js'
import { VaultResponseError, type VaultAnswer } from './http.js'
import type { VaultSession } from './session.js'

/** What a renewal of the published lease runs on. */
export interface RenewOptions {
  session: VaultSession
  /** `issuer.renew-before`. */
  renewBeforeMs: number
  log: Logger
  clock: Clock
}

/**
 * `issuer.renew-before`: when the published credential's lease ends sooner than that, renews the
 * lease (`sys/leases/renew`) and the token that holds it (`auth/token/renew-accessor`), each for the
 * lease's first duration, and returns the record with the end Vault granted. Vault may grant less
 * than asked (the role's `max_ttl`, the token's): what it granted is read back from
 * `lease_duration`, and a short grant is a warning, since renewing cannot keep the credential past
 * it; the schedule's `before-expiry` then rotates it in time.
 *
 * Never throws: a renewal that fails leaves the record as it was, with a warning.
 * @see https://developer.hashicorp.com/vault/api-docs/system/leases#renew-lease
 */
export async function renewPublished(
  options: RenewOptions,
  state: RotationState
): Promise<RotationState> {
  const { log, clock, renewBeforeMs } = options
  const published = state.published
  const handle = published?.handle === undefined ? undefined : parseHandle(published.handle)
  if (published?.expiresAt === undefined || handle === undefined || handle.leaseId === '') {
    return state
  }
  const now = clock.now().getTime()
  const endsAt = Date.parse(published.expiresAt)
  if (endsAt - now > renewBeforeMs) return state
  if (endsAt <= now) {
    log.warning(
      `The published lease ${handle.leaseId} ended at ${iso(endsAt)}: it cannot be renewed; the next rotation replaces it.`
    )
    return state
  }
  try {
    const granted = await renew(options, handle)
    const newEnd = now + granted.seconds * 1000
    if (handle.ttlS !== undefined && granted.seconds < handle.ttlS) {
      log.warning(
        `Vault renewed the lease ${handle.leaseId} for ${String(granted.seconds)} s of the ${String(handle.ttlS)} s asked (${granted.by}): the credential now ends at ${iso(newEnd)}, and renewing cannot keep it longer. Rotate it before then (schedule.before-expiry).`
      )
    } else {
      log.info(
        `Renewed the lease ${handle.leaseId}, which ended at ${iso(endsAt)} (within issuer.renew-before): it now ends at ${iso(newEnd)}.`
      )
    }
    return { ...state, published: { ...published, expiresAt: new Date(newEnd).toISOString() } }
  } catch (error) {
    log.warning(
      `Could not renew the lease ${handle.leaseId}, which ends at ${iso(endsAt)}: ${describeError(error)}`
    )
    return state
  }
}

/** Renews the lease, then its token; the seconds the credential now has, and what bounds them. */
async function renew(
  options: RenewOptions,
  handle: LeaseHandle
): Promise<{ seconds: number; by: string }> {
  const { session } = options
  const increment = handle.ttlS !== undefined ? { increment: `${String(handle.ttlS)}s` } : {}
  let answer: VaultAnswer
  try {
    answer = await session.call(
      { method: 'PUT', path: 'sys/leases/renew', body: { lease_id: handle.leaseId, ...increment } },
      {
        phase: 'preflight',
        doing: `renewing the lease ${handle.leaseId}`,
        path: 'sys/leases/renew',
        capability: 'update',
        idempotent: true
      }
    )
  } catch (error) {
    const cause = error instanceof ActionError ? error.cause : undefined
    if (
      cause instanceof VaultResponseError &&
      cause.status === 400 &&
      cause.errors.some(e => /lease not found|invalid lease/i.test(e))
    ) {
      throw new ActionError(
        'Vault no longer has it (revoked, or expired by its own clock): the next rotation replaces it.',
        { code: 'vault-not-found', phase: 'preflight', cause: error }
      )
    }
    throw error
  }
  const body = answer.body as { lease_duration?: unknown } | undefined
  const leaseSeconds = typeof body?.lease_duration === 'number' ? body.lease_duration : 0
  let seconds = leaseSeconds
  let by = "the role's max_ttl"
  if (handle.accessor !== '') {
    const token = await session.call(
      {
        method: 'POST',
        path: 'auth/token/renew-accessor',
        body: { accessor: handle.accessor, ...increment }
      },
      {
        phase: 'preflight',
        doing: `renewing the token with accessor ${handle.accessor}, which holds the lease`,
        path: 'auth/token/renew-accessor',
        capability: 'update',
        idempotent: true
      }
    )
    // Vault leaves client_token empty in an answer by accessor: only the duration is read.
    const auth = (token.body as { auth?: { lease_duration?: unknown } } | undefined)?.auth
    const tokenSeconds = typeof auth?.lease_duration === 'number' ? auth.lease_duration : 0
    // A token that does not expire (0) bounds nothing; one that ends first ends the lease with it.
    if (tokenSeconds > 0 && tokenSeconds < seconds) {
      seconds = tokenSeconds
      by = `the max TTL of the token that holds it (accessor ${handle.accessor})`
    }
  }
  return { seconds, by }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z')
}
