/**
 * The secrets as the server holds them, and the rules that do not depend on the wire: staging
 * labels (each on at most one version; AWSPREVIOUS follows AWSCURRENT), replication status, and the
 * simulated rotation Lambda.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type {
  ReplicaSeed,
  ReplicaStatus,
  RotationSimulation,
  SecretView,
  SecretVersionView
} from './types.js'

export const AWSCURRENT = 'AWSCURRENT'
export const AWSPREVIOUS = 'AWSPREVIOUS'
export const AWSPENDING = 'AWSPENDING'

export interface VersionRecord {
  readonly id: string
  readonly secretString: string | undefined
  readonly secretBinary: string | undefined
  /** In the order attached. */
  stages: string[]
  readonly createdDate: Date
  lastAccessedDate: Date | undefined
}

export interface ReplicaRecord {
  readonly region: string
  status: ReplicaStatus
  statusMessage: string | undefined
  /** DescribeSecret answers still to come before an `InProgress` replica is `InSync`. */
  describesUntilSync: number
}

/** A rotation started by RotateSecret whose Lambda has not finished yet. */
export interface RotationRun {
  readonly versionId: string
  /** DescribeSecret/GetSecretValue answers still to come before the Lambda finishes. */
  remaining: number
}

export interface SecretRecord {
  readonly name: string
  readonly arn: string
  description: string | undefined
  /** Insertion order is creation order. */
  readonly versions: Map<string, VersionRecord>
  readonly tags: Map<string, string>
  readonly createdDate: Date
  lastChangedDate: Date
  lastAccessedDate: Date | undefined
  rotationEnabled: boolean
  rotationLambdaArn: string | undefined
  rotationRules: Record<string, unknown> | undefined
  lastRotatedDate: Date | undefined
  readonly replicas: ReplicaRecord[]
  simulation: RotationSimulation | undefined
  run: RotationRun | undefined
}

const ARN_SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** The six random characters AWS appends to a secret's name in its ARN. */
function arnSuffix(): string {
  return [...randomBytes(6)]
    .map(byte => ARN_SUFFIX_ALPHABET[byte % ARN_SUFFIX_ALPHABET.length] ?? 'x')
    .join('')
}

/** Midnight UTC of the day: AWS reports LastAccessedDate rounded down to the day. */
export function dayOf(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))
}

function failedMessage(name: string, region: string): string {
  return `Replication failed: Secret name ${name} already exists in region ${region}.`
}

/** Every secret of one account and region. */
export class SecretsModel {
  readonly #secrets = new Map<string, SecretRecord>()
  readonly region: string
  readonly accountId: string
  readonly #replicaSyncAfter: number

  constructor(region: string, accountId: string, replicaSyncAfterDescribes: number) {
    this.region = region
    this.accountId = accountId
    this.#replicaSyncAfter = replicaSyncAfterDescribes
  }

  /** By name, full ARN, or partial ARN (the ARN without the random suffix). */
  find(id: string): SecretRecord | undefined {
    const byName = this.#secrets.get(id)
    if (byName !== undefined) return byName
    if (!id.startsWith('arn:')) return undefined
    for (const secret of this.#secrets.values()) {
      if (secret.arn === id || secret.arn.slice(0, -7) === id) return secret
    }
    return undefined
  }

  create(
    name: string,
    fields: {
      description?: string | undefined
      tags?: ReadonlyMap<string, string>
      replicas?: readonly ReplicaSeed[]
      simulation?: RotationSimulation | undefined
    }
  ): SecretRecord {
    if (this.#secrets.has(name)) throw new Error(`secret '${name}' exists`)
    const now = new Date()
    const secret: SecretRecord = {
      name,
      arn: `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${arnSuffix()}`,
      description: fields.description,
      versions: new Map(),
      tags: new Map(fields.tags ?? []),
      createdDate: now,
      lastChangedDate: now,
      lastAccessedDate: undefined,
      rotationEnabled: false,
      rotationLambdaArn: undefined,
      rotationRules: undefined,
      lastRotatedDate: undefined,
      replicas: (fields.replicas ?? []).map(seed => {
        const asked = seed.status ?? 'InSync'
        const status = asked === 'InProgress' && this.#replicaSyncAfter === 0 ? 'InSync' : asked
        const defaultMessage =
          status === 'Failed'
            ? failedMessage(name, seed.region)
            : status === 'InSync'
              ? 'Replication succeeded'
              : undefined
        return {
          region: seed.region,
          status,
          statusMessage: seed.statusMessage ?? defaultMessage,
          describesUntilSync: status === 'InProgress' ? this.#replicaSyncAfter : 0
        }
      }),
      simulation: fields.simulation,
      run: undefined
    }
    if (fields.simulation !== undefined) {
      secret.rotationEnabled = true
      secret.rotationLambdaArn =
        fields.simulation.lambdaArn ??
        `arn:aws:lambda:${this.region}:${this.accountId}:function:rotate-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(
          0,
          140
        )
    }
    this.#secrets.set(name, secret)
    return secret
  }

  /** Adds a version with no labels; the caller attaches them. */
  addVersion(
    secret: SecretRecord,
    id: string,
    value: { secretString?: string | undefined; secretBinary?: string | undefined }
  ): VersionRecord {
    const version: VersionRecord = {
      id,
      secretString: value.secretString,
      secretBinary: value.secretBinary,
      stages: [],
      createdDate: new Date(),
      lastAccessedDate: undefined
    }
    secret.versions.set(id, version)
    return version
  }

  holderOf(secret: SecretRecord, label: string): VersionRecord | undefined {
    for (const version of secret.versions.values()) {
      if (version.stages.includes(label)) return version
    }
    return undefined
  }

  /**
   * Attaches `label` to `target`, taking it off whichever version held it. Moving AWSCURRENT
   * gives its former holder AWSPREVIOUS (taken off its own former holder), as AWS does.
   */
  attach(secret: SecretRecord, target: VersionRecord, label: string): void {
    const holder = this.holderOf(secret, label)
    if (holder === target) return
    if (holder !== undefined) this.detach(holder, label)
    target.stages.push(label)
    if (label === AWSCURRENT && holder !== undefined) {
      const previous = this.holderOf(secret, AWSPREVIOUS)
      if (previous !== undefined) this.detach(previous, AWSPREVIOUS)
      holder.stages.push(AWSPREVIOUS)
    }
  }

  detach(version: VersionRecord, label: string): void {
    version.stages = version.stages.filter(stage => stage !== label)
  }

  /** A write happened: LastChangedDate moves and healthy replicas start catching up. */
  written(secret: SecretRecord): void {
    secret.lastChangedDate = new Date()
    for (const replica of secret.replicas) {
      if (replica.status === 'Failed') continue
      replica.status = 'InProgress'
      replica.statusMessage = undefined
      replica.describesUntilSync = this.#replicaSyncAfter
      if (replica.describesUntilSync === 0) this.#synced(replica)
    }
  }

  #synced(replica: ReplicaRecord): void {
    replica.status = 'InSync'
    replica.statusMessage = 'Replication succeeded'
  }

  /** After a DescribeSecret answer: replicas and the rotation Lambda move on. */
  described(secret: SecretRecord): void {
    for (const replica of secret.replicas) {
      if (replica.status !== 'InProgress') continue
      replica.describesUntilSync -= 1
      if (replica.describesUntilSync <= 0) this.#synced(replica)
    }
    this.#pollRotation(secret)
  }

  /** After a GetSecretValue answer: the rotation Lambda moves on. */
  read(secret: SecretRecord): void {
    this.#pollRotation(secret)
  }

  #pollRotation(secret: SecretRecord): void {
    const run = secret.run
    if (run === undefined) return
    run.remaining -= 1
    if (run.remaining <= 0) this.finishRotation(secret)
  }

  /**
   * The Lambda's `createSecret` step: a new version (id = token) holding the next value under
   * AWSPENDING. Finishes at once when the simulation says 0 polls.
   */
  startRotation(secret: SecretRecord, simulation: RotationSimulation, token: string): void {
    const current = this.holderOf(secret, AWSCURRENT)
    const next = simulation.next(current?.secretString ?? '')
    const version = this.addVersion(secret, token, { secretString: next })
    this.attach(secret, version, AWSPENDING)
    this.written(secret)
    if (simulation.outcome === 'strand') {
      secret.run = undefined
      return
    }
    secret.run = { versionId: token, remaining: simulation.completeAfterDescribes ?? 2 }
    if (secret.run.remaining <= 0) this.finishRotation(secret)
  }

  /** The Lambda's last step: `finishSecret` on success, clean-up on failure. */
  finishRotation(secret: SecretRecord): void {
    const run = secret.run
    const simulation = secret.simulation
    secret.run = undefined
    if (run === undefined || simulation === undefined) return
    const version = secret.versions.get(run.versionId)
    // Someone else already resolved the pending version (e.g. an engine resuming it).
    if (version?.stages.includes(AWSPENDING) !== true) return
    if (simulation.outcome === 'succeed') {
      this.attach(secret, version, AWSCURRENT)
      this.detach(version, AWSPENDING)
      secret.lastRotatedDate = new Date()
    } else {
      this.detach(version, AWSPENDING)
    }
    this.written(secret)
  }

  view(secret: SecretRecord): SecretView {
    return {
      name: secret.name,
      arn: secret.arn,
      versions: [...secret.versions.values()].map(versionView),
      tags: Object.fromEntries(secret.tags),
      rotationEnabled: secret.rotationEnabled,
      rotationLambdaArn: secret.rotationLambdaArn,
      lastRotatedDate: copyDate(secret.lastRotatedDate),
      lastChangedDate: new Date(secret.lastChangedDate),
      createdDate: new Date(secret.createdDate),
      replicas: secret.replicas.map(replica => ({
        region: replica.region,
        status: replica.status,
        statusMessage: replica.statusMessage
      })),
      rotationInFlight: secret.run?.versionId
    }
  }

  setReplicaStatus(
    secret: SecretRecord,
    region: string,
    status: ReplicaStatus,
    statusMessage: string | undefined
  ): void {
    const replica = secret.replicas.find(candidate => candidate.region === region)
    if (replica === undefined) {
      throw new Error(`secret '${secret.name}' has no replica in ${region}`)
    }
    replica.status = status
    replica.statusMessage =
      statusMessage ??
      (status === 'Failed'
        ? failedMessage(secret.name, region)
        : status === 'InSync'
          ? 'Replication succeeded'
          : undefined)
    replica.describesUntilSync = status === 'InProgress' ? this.#replicaSyncAfter : 0
  }

  /** A fresh version id, as the SDK would send (a UUID). */
  static newVersionId(): string {
    return randomUUID()
  }
}

function copyDate(date: Date | undefined): Date | undefined {
  return date === undefined ? undefined : new Date(date)
}

function versionView(version: VersionRecord): SecretVersionView {
  return {
    versionId: version.id,
    stages: [...version.stages],
    secretString: version.secretString,
    secretBinary: version.secretBinary,
    createdDate: new Date(version.createdDate),
    lastAccessedDate: copyDate(version.lastAccessedDate)
  }
}
