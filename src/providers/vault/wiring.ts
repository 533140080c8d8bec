import { createHash } from 'node:crypto'
import type { ActionConfig } from '../../config/rotation-config.js'
import type { PartDeps, Parts } from '../provider.js'
import type { VaultConnection } from './config.js'
import { VAULT_DYNAMIC } from './configure.js'
import { createDynamicIssuer, dynamicNeeds } from './dynamic.js'
import { KvV2 } from './kv.js'
import { createKvLock, VaultClock } from './lock.js'
import { renewPublished } from './renew.js'
import { VaultSession } from './session.js'
import { createKvStore } from './store.js'
import { createKvTargets } from './target.js'

/**
 * The Vault parts of a credential: the KV store and its lock, the dynamic issuer, the KV targets.
 * They share the run's one session per Vault server and login (`deps.clients`): one login for
 * every credential that names the same connection, revoked once the run is over.
 */
export function assembleVault(config: ActionConfig, deps: PartDeps): Parts {
  const slice = config.slices.vault
  if (!slice) return {}
  const { log, clock, sleep } = deps
  const session = deps.clients.get(
    sessionKey(slice.connection),
    () =>
      new VaultSession(slice.connection, {
        mask: secret => {
          deps.mask(secret)
        },
        idToken: deps.idToken,
        log,
        clock,
        sleep
      }),
    session => session.close()
  )
  const vaultClock = deps.clients.get(
    `vault clock ${slice.connection.endpoint.address}`,
    () => new VaultClock()
  )
  const store = slice.store
  // Renewing is a write: only a rotation that may write renews (not a dry run, not verify).
  const renewBeforeMs =
    config.issuer === VAULT_DYNAMIC && config.mode === 'rotate' && !config.dryRun
      ? slice.dynamic?.renewBeforeMs
      : undefined
  const kv = store ? new KvV2(session, store.mount) : undefined
  /** Whether this credential's run holds its lock now. */
  const holding = { held: false }
  const targets = slice.targets ?? []
  return {
    ...(store && kv
      ? {
          store: createKvStore({
            kv,
            path: store.path,
            ...(store.field !== undefined ? { field: store.field } : {}),
            lockPath: store.lockPath,
            ...(config.issuer === VAULT_DYNAMIC && slice.dynamic
              ? { alsoNeeded: dynamicNeeds(slice.dynamic, config.revokePrevious) }
              : {}),
            ...(renewBeforeMs !== undefined
              ? {
                  // Only under the lock: the renewal's record write must not cross another
                  // run's (a `mode: plan` job reads the record without the lock).
                  refreshState: state =>
                    holding.held
                      ? renewPublished({ session, renewBeforeMs, log, clock }, state)
                      : Promise.resolve(state)
                }
              : {}),
            persistTimeoutMs: config.persistTimeoutMs,
            log,
            clock,
            sleep
          }),
          lock: createKvLock({
            kv,
            path: store.lockPath,
            clock: vaultClock,
            log,
            onHeld: held => {
              holding.held = held
            }
          })
        }
      : {}),
    ...(config.issuer === VAULT_DYNAMIC && slice.dynamic
      ? {
          issuer: createDynamicIssuer({
            ...slice.dynamic,
            session,
            mask: secret => {
              deps.mask(secret)
            },
            log,
            clock
          })
        }
      : {}),
    ...(targets.length > 0
      ? {
          targets: createKvTargets(
            targets.map(entry => ({ entry, kv: new KvV2(session, entry.mount) })),
            session.where
          )
        }
      : {})
  }
}

/** One session per server, namespace and login: the key never holds a secret, only its hash. */
function sessionKey(connection: VaultConnection): string {
  const { endpoint, auth } = connection
  const secret =
    auth.method === 'token'
      ? auth.token
      : auth.method === 'approle'
        ? `${auth.roleId} ${auth.secretId}`
        : `${auth.role} ${auth.audience} ${auth.jwt ?? ''}`
  const digest = createHash('sha256')
    .update(`${auth.method} ${'mount' in auth ? auth.mount : ''} ${secret}`)
    .update(JSON.stringify(endpoint.tls))
    .digest('hex')
  return `vault ${endpoint.address} ${endpoint.namespace ?? ''} ${digest}`
}
