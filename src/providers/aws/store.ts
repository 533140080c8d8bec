import { fingerprint } from '../../engine/fingerprint.js'
import type { Clock, Sleep, Store, WriteOptions } from '../../engine/ports.js'
import type { RotationState } from '../../engine/state.js'
import { ActionError, describeError, type Phase } from '../../errors.js'
import type { Logger } from '../../logger.js'
import {
  CURRENT,
  PENDING,
  PREVIOUS,
  versionWith,
  type SecretApi,
  type SecretDescription
} from './secret.js'
import type { VersionOwner } from './config.js'
import { DEFAULT_PERSIST_TIMEOUT_MS, persistWithRetries } from '../../engine/persist-retries.js'
import { parseSecretDocument } from '../../document/secret-document.js'
import { resolveLive, type KnownVersion, type LiveVersion } from './live-version.js'
import { pendingFrom, readRecordTags, recordTags, TAG_PREFIX, withConsumed } from './record-tags.js'
import { versionToken } from './version-token.js'

/** What the AWS Secrets Manager store runs on. */
export interface AwsStoreOptions {
  secret: SecretApi
  /**
   * The JSON field that holds the credential (a plain string secret is the credential); without
   * one, the whole value is the credential.
   */
  field?: string
  owner: VersionOwner
  log: Logger
  clock: Clock
  sleep: Sleep
  /** How long {@link Store.persist} may take in all, retries included (`persist-timeout`, default 2m). */
  persistTimeoutMs?: number
  /** At most this many attempts of {@link Store.persist} (default: as many as the budget holds). */
  persistAttempts?: number
}

/**
 * The part of the persist budget kept for one attempt: the SDK retries a call itself (three
 * attempts with backoff), and an answer usually comes within seconds.
 */
const AWS_ATTEMPT_MS = 15_000

/** The secret as this run knows it: read once, then kept in step with this run's own writes. */
interface Snapshot {
  description: SecretDescription
  current: KnownVersion
  pending?: KnownVersion
  /** The record's tags as they are in AWS now. */
  tags: Record<string, string>
}

/** What the secret holds now, as {@link resolveLive} decides it. */
function resolve(snapshot: Snapshot, description: string): LiveVersion {
  const record = readRecordTags(snapshot.tags)
  const from = pendingFrom(snapshot.tags)
  return resolveLive({
    current: snapshot.current,
    ...(snapshot.pending ? { staged: snapshot.pending } : {}),
    ...(record.pending ? { mark: { pending: record.pending, ...(from ? { from } : {}) } } : {}),
    consumed: record.history ?? [],
    description
  })
}

/** A {@link Store} whose versions can be read and moved back. */
export type VersionedStore = Store & Required<Pick<Store, 'read' | 'revert'>>

/**
 * The store for AWS Secrets Manager: the credential lives in the secret (a JSON field, or the
 * whole string), and the write-ahead state is the secret's own versions. The new credential is
 * staged as AWSPENDING with a deterministic ClientRequestToken (a retry is the same version) and
 * promoted with UpdateSecretVersionStage from the version read as AWSCURRENT, a compare-and-swap
 * that fails when another writer moved it; AWSPREVIOUS then holds the old version. A run that
 * finds this action's AWSPENDING on another version than AWSCURRENT resumes from it: for OAuth2,
 * the pending refresh token is the live one. The rest of the record (the minting mark, times,
 * failures) is kept in the secret's tags, never a value.
 *
 * Requests when nothing fails: `readState` 2 (DescribeSecret, GetSecretValue; one more when a
 * version is pending), `check` 1 (an idempotent PutSecretValue of the version read, which Secrets
 * Manager ignores: it proves the write permission without writing), `persist` 1, a promotion 1,
 * each record write 1 or 2 (TagResource, UntagResource).
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html
 */
export function createAwsSecretsStore(options: AwsStoreOptions): VersionedStore {
  return new AwsSecretsStore(options)
}

class AwsSecretsStore implements VersionedStore {
  readonly kind = 'aws-secrets-manager'
  readonly description: string
  readonly resetHint: string
  readonly persistTimeoutMs: number
  readonly #options: AwsStoreOptions
  #snapshot: Snapshot | undefined

  constructor(options: AwsStoreOptions) {
    this.#options = options
    this.persistTimeoutMs = options.persistTimeoutMs ?? DEFAULT_PERSIST_TIMEOUT_MS
    const id = options.secret.secretId
    this.description = `AWS Secrets Manager secret ${id}`
    this.resetHint = `remove the minting and pending marks from the secret (aws secretsmanager untag-resource --secret-id ${id} --tag-keys ${TAG_PREFIX}minting ${TAG_PREFIX}pending)`
  }

  /** The live credential: the staged version's when the run resumes from it, else AWSCURRENT's. */
  async read(): Promise<string> {
    const snapshot = await this.#load()
    return resolve(snapshot, this.description).live.document.credential
  }

  async readState(): Promise<RotationState> {
    const snapshot = await this.#load()
    const { current } = snapshot
    // The record's pending entry comes from the versions and the mark together.
    const record = readRecordTags(snapshot.tags)
    delete record.pending
    const { pending } = resolve(snapshot, this.description)
    return {
      schema: 1,
      current: {
        fingerprint: fingerprint(current.document.credential),
        since: (current.createdAt ?? new Date(0)).toISOString()
      },
      ...(pending ? { pending } : {}),
      ...record
    }
  }

  /**
   * Makes the secret match `next`: the staging labels are the record's versions, so a `current`
   * that is the staged pending version is a promotion (compare-and-swap from the version read as
   * AWSCURRENT); the rest goes to tags. A `pending` is written by {@link persist}, not here.
   */
  async writeState(next: RotationState, write: WriteOptions = {}): Promise<void> {
    const snapshot = await this.#load()
    const phase: Phase = 'promote'
    const currentFp = fingerprint(snapshot.current.document.credential)
    if (next.current && next.current.fingerprint !== currentFp) {
      const pending = snapshot.pending
      if (!pending || fingerprint(pending.document.credential) !== next.current.fingerprint) {
        throw new ActionError(
          `The rotation record asks for version ${next.current.fingerprint} to be current, but ${this.description} has no such version staged.`,
          { code: 'internal', phase }
        )
      }
      await this.#promote(pending, snapshot, write.signal)
    }
    // A mark already written keeps what it was minted from; a new one was minted from the live
    // credential (the engine promotes a resumed version before it mints).
    const from = !next.pending
      ? undefined
      : readRecordTags(snapshot.tags).pending?.fingerprint === next.pending.fingerprint
        ? pendingFrom(snapshot.tags)
        : fingerprint(resolve(snapshot, this.description).live.document.credential)
    // The credential the new one was minted from is consumed from this write on: recorded with the
    // mark, not at the promotion, which a run can die before.
    const history = from !== undefined ? withConsumed(next.history, from) : next.history
    const wanted = recordTags({ ...next, ...(history ? { history } : {}) }, from)
    const { secret } = this.#options
    const changed = Object.fromEntries(
      Object.entries(wanted).filter(([key, value]) => snapshot.tags[key] !== value)
    )
    const removed = Object.keys(snapshot.tags).filter(key => !(key in wanted))
    await secret.tag(changed, phase, write.signal)
    await secret.untag(removed, phase, write.signal)
    snapshot.tags = wanted
  }

  async check(): Promise<void> {
    const snapshot = await this.#load()
    if (this.#options.owner === 'rotation-lambda') return
    const { live } = resolve(snapshot, this.description)
    const staged = live !== snapshot.current
    // Secrets Manager ignores a PutSecretValue whose token and value are an existing version's:
    // the write permission is proven before anything is consumed, and nothing changes.
    await this.#options.secret.put(
      live.value,
      live.versionId,
      [staged ? PENDING : CURRENT],
      'preflight'
    )
  }

  async persist(credential: string): Promise<void> {
    const snapshot = await this.#load()
    const { secret, log, clock, sleep } = this.#options
    const base = snapshot.pending ?? snapshot.current
    const value = base.document.replace(credential)
    const versionId = versionToken(snapshot.description.arn, value)
    await persistWithRetries({
      write: () => secret.put(value, versionId, [PENDING], 'persist'),
      where: `${this.description} (as ${PENDING}, version ${versionId})`,
      timeoutMs: this.persistTimeoutMs,
      attemptMs: AWS_ATTEMPT_MS,
      ...(this.#options.persistAttempts !== undefined
        ? { attempts: this.#options.persistAttempts }
        : {}),
      clock,
      sleep,
      log
    })
    snapshot.pending = {
      versionId,
      value,
      document: parseSecretDocument(value, this.#options.field, 'the new version', 'persist')
    }
  }

  async revert(): Promise<{ value: string; commit: () => Promise<void> }> {
    const { secret, log } = this.#options
    const { description } = await this.#load()
    const currentId = versionWith(description, CURRENT)
    const previousId = versionWith(description, PREVIOUS)
    if (!currentId || !previousId) {
      throw new ActionError(`${this.description} has no ${PREVIOUS} version to roll back to.`, {
        code: 'aws-rejected',
        phase: 'preflight'
      })
    }
    const previous = await secret.read({ versionId: previousId }, 'preflight')
    const commit = async () => {
      try {
        await secret.moveStage(CURRENT, previousId, currentId, 'promote')
      } catch (error) {
        // Two rollbacks that want the same version, or this run's request sent again after a
        // lost answer: either way the secret is where this run wants it.
        const failure = await this.#casFailure(
          error,
          previousId,
          () =>
            `${CURRENT} of ${this.description} moved while this run rolled it back: another writer changed the secret. Nothing was published; run again once it is done.`
        )
        if (failure !== undefined) throw failure
      }
      log.info(
        `${CURRENT} of ${this.description} moved back from version ${currentId} to ${previousId}.`
      )
      this.#snapshot = undefined
    }
    return { value: previous.value, commit }
  }

  async #promote(pending: KnownVersion, snapshot: Snapshot, signal?: AbortSignal): Promise<void> {
    const { secret } = this.#options
    try {
      await secret.moveStage(
        CURRENT,
        pending.versionId,
        snapshot.current.versionId,
        'promote',
        signal
      )
    } catch (error) {
      const failure = await this.#casFailure(error, undefined, (now: string | undefined) =>
        now === pending.versionId
          ? // Another run that resumed the same version, or this run's own request sent again
            // after a lost answer: the two cannot be told apart, and a run that goes on to mint
            // next to another one presents the same token twice. It stops here.
            `${CURRENT} of ${this.description} is already on version ${pending.versionId}: another run promoted it at the same time, or this run's request was sent again after its answer was lost. This run stops here; the next run goes on from that version.`
          : `${CURRENT} of ${this.description} is no longer on version ${snapshot.current.versionId}, where this run read it: another writer changed the secret during this rotation. This run's version ${pending.versionId} was not promoted and stays ${PENDING}. Make sure one workflow rotates this secret (a concurrency group), then run again: the next run resumes from ${PENDING}.`
      )
      if (failure !== undefined) throw failure
    }
    snapshot.current = pending
    delete snapshot.pending
    // AWSPENDING would otherwise stay on this version: once a later version is stored by hand, it
    // would look like a staged rotation of an old, consumed token.
    await secret
      .removeStage(PENDING, pending.versionId, 'promote', signal)
      .catch((error: unknown) => {
        this.#options.log.warning(
          `Could not remove ${PENDING} from version ${pending.versionId} of ${this.description} (it is current, so nothing is pending): ${describeError(error)}`
        )
      })
  }

  /**
   * UpdateSecretVersionStage refuses with InvalidParameterException when the label is not on the
   * version named in RemoveFromVersionId: another writer won the compare-and-swap, or this run's
   * own request already moved it (its answer was lost and the SDK sent it again). The secret is
   * read again to say which version holds AWSCURRENT now.
   * @param done the version that means the move is done, when that is safe to go on from
   * @param message the conflict's message, given where AWSCURRENT is now
   * @returns the error to throw, or undefined when AWSCURRENT is on `done`
   */
  async #casFailure(
    error: unknown,
    done: string | undefined,
    message: (now: string | undefined) => string
  ): Promise<Error | undefined> {
    if (!(error instanceof ActionError)) {
      return error instanceof Error
        ? error
        : new ActionError(describeError(error), { code: 'internal', phase: 'promote' })
    }
    if (!/InvalidParameterException/.test(error.message)) return error
    const found = await this.#options.secret.describe(error.phase).catch(() => undefined)
    const now = found ? versionWith(found, CURRENT) : undefined
    if (done !== undefined && now === done) return undefined
    return new ActionError(`${message(now)} ${error.message}`, {
      code: 'store-conflict',
      phase: error.phase,
      cause: error
    })
  }

  async #load(): Promise<Snapshot> {
    if (this.#snapshot) return this.#snapshot
    const { secret, owner } = this.#options
    const description = await secret.describe('preflight')
    const currentId = versionWith(description, CURRENT)
    if (!currentId) {
      throw new ActionError(
        `${this.description} has no ${CURRENT} version: store the first credential in it (aws secretsmanager put-secret-value --secret-id ${secret.secretId} --secret-string ...).`,
        { code: 'aws-rejected', phase: 'preflight' }
      )
    }
    const current = await this.#readVersion(currentId, `${CURRENT} of ${this.description}`)
    const pendingId = versionWith(description, PENDING)
    let pending: KnownVersion | undefined
    // A version that was current once (AWSPREVIOUS) is consumed, whatever label it still carries.
    const pendingLabels = pendingId === undefined ? [] : (description.stages.get(pendingId) ?? [])
    if (
      owner === 'action' &&
      pendingId !== undefined &&
      pendingId !== currentId &&
      !pendingLabels.includes(PREVIOUS)
    ) {
      pending = await this.#readVersion(pendingId, `${PENDING} of ${this.description}`)
      if (versionToken(description.arn, pending.value) !== pendingId) {
        throw new ActionError(
          `${PENDING} of ${this.description} is on version ${pendingId}, which this action did not write (a rotation Lambda, or a hand-made version): another rotation is in progress or stranded, and this run cannot tell which credential is live. Nothing was minted or written. Finish that rotation, or remove the label (aws secretsmanager update-secret-version-stage --secret-id ${secret.secretId} --version-stage ${PENDING} --remove-from-version-id ${pendingId}), and run again.`,
          { code: 'rotation-pending', phase: 'preflight' }
        )
      }
    }
    if (owner === 'action' && description.rotationEnabled) {
      this.#options.log.warning(
        `${this.description} also has rotation turned on in Secrets Manager: its rotation Lambda and this action would both replace the credential. Turn one of them off (aws secretsmanager cancel-rotate-secret --secret-id ${secret.secretId}).`,
        { title: 'Token rotation' }
      )
    }
    const tags = Object.fromEntries(
      Object.entries(description.tags).filter(([key]) => key.startsWith(TAG_PREFIX))
    )
    this.#snapshot = { description, current, ...(pending ? { pending } : {}), tags }
    return this.#snapshot
  }

  async #readVersion(versionId: string, where: string): Promise<KnownVersion> {
    const read = await this.#options.secret.read({ versionId }, 'preflight')
    return {
      versionId,
      value: read.value,
      document: parseSecretDocument(read.value, this.#options.field, where, 'preflight'),
      ...(read.createdAt ? { createdAt: read.createdAt } : {})
    }
  }
}
