import { fingerprint } from '../../engine/fingerprint.js'
import { DEFAULT_PERSIST_TIMEOUT_MS, persistWithRetries } from '../../engine/persist-retries.js'
import type { Clock, Sleep, Store, WriteOptions } from '../../engine/ports.js'
import type { RotationState } from '../../engine/state.js'
import { ActionError, describeError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { requireCapabilities, type Needed } from './capabilities.js'
import { isCasMismatch } from './errors.js'
import type { KvV2 } from './kv.js'
import { decodeRecord, encodeRecord, RECORD_PREFIX } from './record.js'

/** What the KV store runs on. */
export interface KvStoreOptions {
  kv: KvV2
  /** The secret's path on the mount. */
  path: string
  /**
   * The field that holds the credential (an OAuth2 refresh token); absent for a store that keeps
   * only the record (of an issuer whose values live elsewhere: a dynamic secret's leases).
   */
  field?: string
  /** The lock secret's path, whose capabilities the preflight checks too. */
  lockPath: string
  /**
   * What the credential's other Vault parts need (the dynamic issuer's read, token and
   * revocations): checked in the same preflight, so that a policy short of one fails the run
   * before anything is minted, not at a retirement after the grace period.
   */
  alsoNeeded?: readonly Needed[]
  /**
   * Brings the record read up to date with the credential's issuer before the run judges it
   * (`issuer.renew-before`: the published lease renewed, its new end recorded).
   */
  refreshState?: (state: RotationState) => Promise<RotationState>
  persistTimeoutMs?: number
  log: Logger
  clock: Clock
  sleep: Sleep
}

/** The part of the persist budget kept for one attempt (the client tries a request 3 times). */
const VAULT_ATTEMPT_MS = 20_000

/** The secret as this run knows it: read once, then kept in step with this run's writes. */
interface Snapshot {
  /** The newest version (0: no secret yet, for a store of the record only). */
  version: number
  createdTime?: Date
  data: Record<string, unknown>
  /** The credential in `field` of the newest version; '' for a store of the record only. */
  credential: string
  customMetadata: Record<string, string>
}

/** A {@link Store} whose versions can be read and moved back. */
export type VaultStore = Store & Required<Pick<Store, 'read' | 'revert'>>

/**
 * The store in a Vault KV version 2 secret. The credential lives in `field` of the newest version
 * (every other field is kept), and the write-ahead record lives in the secret's custom_metadata:
 * fingerprints and times, never a value.
 *
 * - The live credential is the newest version's: the run mints from it, no input carries it.
 * - The new credential is written as a new version with `cas` set to the version read, so a write
 *   after another writer's is refused (400) and never replaces it; a retry after a lost answer
 *   finds its own value there and counts as done.
 * - The record's `pending` names the new credential before it is written: a run that finds the
 *   newest version to be the pending one resumes it (promotes it, then rotates from it) instead of
 *   minting from the consumed one.
 * - A newest version this action never saw (stored by hand after a re-authorization) is live, and
 *   marks minted from another credential are superseded; one it knows to be consumed is refused.
 * - `revert` reads the version before the newest and writes it back as a new version, with `cas`.
 *
 * Without `field` the store keeps only the record, in the custom_metadata of a secret that needs
 * no version at all.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2
 */
export function createKvStore(options: KvStoreOptions): VaultStore {
  return new KvStore(options)
}

class KvStore implements VaultStore {
  readonly kind = 'vault-kv'
  readonly description: string
  readonly resetHint: string
  readonly persistTimeoutMs: number
  readonly #options: KvStoreOptions
  #snapshot: Snapshot | undefined

  constructor(options: KvStoreOptions) {
    this.#options = options
    this.persistTimeoutMs = options.persistTimeoutMs ?? DEFAULT_PERSIST_TIMEOUT_MS
    const { kv, path, field } = options
    this.description =
      field === undefined
        ? `the custom_metadata of Vault KV secret ${kv.name(path)}`
        : `Vault KV secret ${kv.name(path)} (field ${field})`
    this.resetHint = `remove the rotation record from the secret's custom_metadata (vault kv metadata patch -mount=${kv.mount} -remove-custom-metadata=${RECORD_PREFIX}0 ... ${path}, every ${RECORD_PREFIX}<n> key)`
  }

  async read(): Promise<string> {
    return (await this.#load()).credential
  }

  async readState(): Promise<RotationState | undefined> {
    const snapshot = await this.#load()
    const decoded = decodeRecord(snapshot.customMetadata)
    if (!decoded.ok) {
      throw new ActionError(
        `The rotation record in ${this.description} cannot be read: ${decoded.reason}. To start afresh, ${this.resetHint}.`,
        { code: 'state-invalid', phase: 'preflight' }
      )
    }
    const state = decoded.state
    if (state === undefined) return state
    if (this.#options.field === undefined) return this.#refreshed(state)
    const live = fingerprint(snapshot.credential)
    if (state.pending?.fingerprint === live || state.current?.fingerprint === live) return state
    const consumed = new Set([...(state.history ?? []), state.previous?.fingerprint])
    if (consumed.has(live)) {
      throw new ActionError(
        `Version ${snapshot.version} of ${this.description} holds a credential this action has already exchanged (${live}): it was written again after its rotation (a restore, or infrastructure code applying an old value?). Presenting it would revoke the grant, so nothing was sent or written. Store the live refresh token (or a new one after re-authorizing) and run again.`,
        { code: 'stale-input', phase: 'preflight' }
      )
    }
    // Stored by hand (after a recovery or a re-authorization): it is live, and what earlier runs
    // marked about other credentials no longer applies.
    this.#options.log.info(
      `Version ${snapshot.version} of ${this.description} holds a credential this action has not seen (${live}); it is taken as the live one.`
    )
    const fresh: RotationState = {
      ...state,
      current: { fingerprint: live, since: (snapshot.createdTime ?? new Date(0)).toISOString() }
    }
    delete fresh.pending
    delete fresh.minting
    return fresh
  }

  /**
   * The record brought up to date by `refreshState`, and written back at once when it changed: a
   * run that then finds nothing due writes no record, and what Vault now holds (a lease renewed)
   * must not be lost with it. A failed write is a warning: the change is in Vault already.
   */
  async #refreshed(state: RotationState): Promise<RotationState> {
    const refresh = this.#options.refreshState
    if (!refresh) return state
    const next = await refresh(state)
    if (next === state) return state
    await this.writeState(next).catch((error: unknown) => {
      this.#options.log.warning(
        `Could not record the renewed lease in ${this.description}: ${describeError(error)}`
      )
    })
    return next
  }

  async writeState(next: RotationState, write: WriteOptions = {}): Promise<void> {
    const snapshot = await this.#load()
    const encoded = encodeRecord(next, snapshot.customMetadata)
    if (!encoded.ok) {
      throw new ActionError(
        `Could not write the rotation record to ${this.description}: ${encoded.reason}.`,
        {
          code: 'state-invalid',
          phase: 'report'
        }
      )
    }
    const { kv, path } = this.#options
    await kv.writeMetadata(path, encoded.customMetadata, 'report', {
      ...(write.signal ? { signal: write.signal } : {}),
      doing: `writing the rotation record to ${this.description}`
    })
    snapshot.customMetadata = encoded.customMetadata
  }

  async check(): Promise<void> {
    const { kv, path, field, lockPath, alsoNeeded = [] } = this.#options
    await this.#load()
    const needed: Needed[] = [
      {
        path: kv.metadataPath(path),
        anyOf: ['update', 'create'],
        for: 'the rotation record (custom_metadata)'
      },
      { path: kv.dataPath(lockPath), anyOf: ['update', 'create'], for: 'the one-writer lock' }
    ]
    if (field !== undefined) {
      needed.unshift({
        path: kv.dataPath(path),
        anyOf: ['update'],
        for: 'writing the new credential'
      })
    }
    await requireCapabilities(kv.session, [...alsoNeeded, ...needed], 'preflight')
  }

  async persist(credential: string): Promise<void> {
    const { kv, path, field, log, clock, sleep } = this.#options
    if (field === undefined) {
      throw new ActionError(`${this.description} keeps no credential to write.`, {
        code: 'internal',
        phase: 'persist'
      })
    }
    const snapshot = await this.#load()
    const data = { ...snapshot.data, [field]: credential }
    const where = `${this.description} (version ${snapshot.version + 1}, cas ${snapshot.version})`
    await persistWithRetries({
      write: async () => {
        try {
          const written = await kv.write(path, data, snapshot.version, 'persist', {
            doing: `writing the new credential to ${kv.name(path)}`
          })
          snapshot.version = written.version
          snapshot.createdTime = written.createdTime
        } catch (error) {
          const cause = error instanceof ActionError ? error.cause : error
          if (!isCasMismatch(cause)) throw error
          await this.#afterCasMismatch(credential, snapshot, error)
        }
      },
      where,
      timeoutMs: this.persistTimeoutMs,
      attemptMs: VAULT_ATTEMPT_MS,
      clock,
      sleep,
      log
    })
    snapshot.data = data
    snapshot.credential = credential
  }

  /**
   * A write refused by check-and-set: this run's own earlier attempt landed (its answer was lost),
   * or another writer got there first. The secret is read again to tell which.
   */
  async #afterCasMismatch(credential: string, snapshot: Snapshot, error: unknown): Promise<void> {
    const { kv, path, field = '' } = this.#options
    const read = await kv.read(path, 'persist')
    if (read.found && read.latest.data[field] === credential) {
      snapshot.version = read.latest.version
      snapshot.createdTime = read.latest.createdTime
      return
    }
    throw new ActionError(
      `Another writer changed ${this.description} during this rotation: it is at version ${read.found ? read.latest.version : read.currentVersion}, and this run read version ${snapshot.version}. The new credential was not written over it (check-and-set). Make sure one workflow rotates this credential (a concurrency group); the new credential is in the recovery ciphertext if a recovery key is set.`,
      { code: 'store-conflict', phase: 'persist', cause: error }
    )
  }

  async revert(): Promise<{ value: string; commit: () => Promise<void> }> {
    const { kv, path, field, log } = this.#options
    const snapshot = await this.#load()
    if (field === undefined || snapshot.version < 2) {
      throw new ActionError(`${this.description} has no earlier version to roll back to.`, {
        code: 'invalid-input',
        phase: 'preflight'
      })
    }
    const from = snapshot.version
    const earlier = await kv.read(path, 'preflight', { version: from - 1 })
    const value = earlier.found ? earlier.latest.data[field] : undefined
    if (!earlier.found || typeof value !== 'string' || value === '') {
      throw new ActionError(
        `Version ${from - 1} of ${this.description} ${earlier.found ? `has no field ${field}` : 'is deleted or destroyed'}: there is nothing to roll back to.`,
        { code: 'invalid-input', phase: 'preflight' }
      )
    }
    const data = earlier.latest.data
    const commit = async () => {
      try {
        await kv.write(path, data, from, 'promote', {
          doing: `writing version ${from - 1} of ${kv.name(path)} back`
        })
      } catch (error) {
        const cause = error instanceof ActionError ? error.cause : error
        if (!isCasMismatch(cause)) throw error
        throw new ActionError(
          `${this.description} changed while this run rolled it back (it is no longer at version ${from}): another writer changed the secret. Nothing was published; run again once it is done.`,
          { code: 'store-conflict', phase: 'promote', cause: error }
        )
      }
      log.info(`${this.description}: version ${from - 1} written back over version ${from}.`)
      this.#snapshot = undefined
    }
    return { value, commit }
  }

  async #load(): Promise<Snapshot> {
    if (this.#snapshot) return this.#snapshot
    const { kv, path, field } = this.#options
    if (field === undefined) {
      const metadata = await kv.readMetadata(path, 'preflight')
      this.#snapshot = {
        version: metadata?.currentVersion ?? 0,
        data: {},
        credential: '',
        customMetadata: metadata?.customMetadata ?? {}
      }
      return this.#snapshot
    }
    const read = await kv.read(path, 'preflight')
    if (!read.found) {
      throw new ActionError(
        `${this.description} ${read.currentVersion === 0 ? 'does not exist' : `has no readable version (version ${read.currentVersion} is deleted or destroyed)`}: store the first credential in it (vault kv put -mount=${kv.mount} ${path} ${field}=...) and run again.`,
        { code: 'invalid-input', phase: 'preflight' }
      )
    }
    const credential = read.latest.data[field]
    if (typeof credential !== 'string' || credential === '') {
      const fields = Object.keys(read.latest.data)
      throw new ActionError(
        `Version ${read.latest.version} of ${this.description} has no non-empty string field ${field} (its fields: ${fields.length > 0 ? fields.join(', ') : 'none'}): set store.field to the field that holds the credential, or store it there.`,
        { code: 'invalid-input', phase: 'preflight' }
      )
    }
    this.#snapshot = {
      version: read.latest.version,
      createdTime: read.latest.createdTime,
      data: read.latest.data,
      credential,
      customMetadata: read.latest.customMetadata
    }
    return this.#snapshot
  }
}
