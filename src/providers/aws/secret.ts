import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient
} from '@aws-sdk/client-secrets-manager'
import { abortReason, ActionError, type Phase } from '../../errors.js'
import { toAwsError } from './errors.js'

/** Secrets Manager's staging labels. */
export const CURRENT = 'AWSCURRENT'
export const PENDING = 'AWSPENDING'
export const PREVIOUS = 'AWSPREVIOUS'

/** A replica region of the secret, as DescribeSecret reports it. */
export interface ReplicaState {
  region: string
  /** `InSync`, `InProgress` or `Failed`. */
  status: string
  message?: string
}

/** What DescribeSecret says of the secret. Never holds a value. */
export interface SecretDescription {
  arn: string
  name: string
  /** Version id → its staging labels. */
  stages: ReadonlyMap<string, readonly string[]>
  tags: Readonly<Record<string, string>>
  replicas: readonly ReplicaState[]
  rotationEnabled: boolean
  /** The rotation Lambda's ARN, when rotation is configured. */
  rotationLambda?: string
}

/** One version's value; the value is masked before it is returned. */
export interface SecretVersion {
  versionId: string
  value: string
  createdAt?: Date
}

/** The version that carries `label`, if any. */
export function versionWith(description: SecretDescription, label: string): string | undefined {
  for (const [id, labels] of description.stages) if (labels.includes(label)) return id
  return undefined
}

/**
 * One Secrets Manager secret as the store and the issuers use it: the port between them and the
 * AWS SDK. {@link AwsSecret} is the SDK's implementation; the engine's tests have an in-memory one.
 * Every failure is an {@link ActionError} naming the operation; every value read is masked first.
 */
export interface SecretApi {
  /** A name or an ARN, as the user gave it. */
  readonly secretId: string
  describe(phase: Phase): Promise<SecretDescription>
  /** Reads one version by id, or by staging label. */
  read(by: { versionId: string } | { stage: string }, phase: Phase): Promise<SecretVersion>
  /** Writes a new version whose id is `token`; a repeat with the same token and value is a no-op. */
  put(
    value: string,
    token: string,
    stages: string[],
    phase: Phase,
    signal?: AbortSignal
  ): Promise<void>
  /** Moves `label` to `to` from `from`: refused (compare-and-swap) when the label is elsewhere. */
  moveStage(
    label: string,
    to: string,
    from: string | undefined,
    phase: Phase,
    signal?: AbortSignal
  ): Promise<void>
  removeStage(label: string, from: string, phase: Phase, signal?: AbortSignal): Promise<void>
  tag(tags: Readonly<Record<string, string>>, phase: Phase, signal?: AbortSignal): Promise<void>
  untag(keys: readonly string[], phase: Phase, signal?: AbortSignal): Promise<void>
  /** Starts the rotation Lambda with `token` as the new version's id; answers that id. */
  rotate(token: string, phase: Phase): Promise<string>
}

/**
 * One Secrets Manager secret, one SDK call per method. The client is built with the SDK's own
 * configuration (region, credential chain, `AWS_ENDPOINT_URL_SECRETS_MANAGER`) and its own retries;
 * every failure becomes an {@link ActionError} that names the operation, which is also the IAM
 * action it needs. Every value read is masked before it leaves this class.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Operations.html
 */
export class AwsSecret implements SecretApi {
  readonly #client: SecretsManagerClient
  readonly #mask: (value: string) => void
  /** A name or an ARN, as the user gave it. */
  readonly secretId: string

  constructor(client: SecretsManagerClient, secretId: string, mask: (value: string) => void) {
    this.#client = client
    this.secretId = secretId
    this.#mask = mask
  }

  async describe(phase: Phase): Promise<SecretDescription> {
    const answer = await this.#call('DescribeSecret', phase, 'reading the description', () =>
      this.#client.send(new DescribeSecretCommand({ SecretId: this.secretId }))
    )
    const stages = new Map<string, readonly string[]>()
    for (const [id, labels] of Object.entries(answer.VersionIdsToStages ?? {})) {
      stages.set(id, labels)
    }
    const tags: Record<string, string> = {}
    for (const tag of answer.Tags ?? []) {
      if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? ''
    }
    return {
      arn: answer.ARN ?? this.secretId,
      name: answer.Name ?? this.secretId,
      stages,
      tags,
      replicas: (answer.ReplicationStatus ?? []).map(r => ({
        region: r.Region ?? '?',
        status: r.Status ?? 'unknown',
        ...(r.StatusMessage ? { message: r.StatusMessage } : {})
      })),
      rotationEnabled: answer.RotationEnabled ?? false,
      ...(answer.RotationLambdaARN ? { rotationLambda: answer.RotationLambdaARN } : {})
    }
  }

  /** Reads one version by id, or by staging label when `by` is a label. */
  async read(by: { versionId: string } | { stage: string }, phase: Phase): Promise<SecretVersion> {
    const which = 'versionId' in by ? `version ${by.versionId}` : by.stage
    const answer = await this.#call('GetSecretValue', phase, `reading ${which}`, () =>
      this.#client.send(
        new GetSecretValueCommand({
          SecretId: this.secretId,
          ...('versionId' in by ? { VersionId: by.versionId } : { VersionStage: by.stage })
        })
      )
    )
    if (answer.SecretString === undefined) {
      throw new ActionError(
        `${which} of secret ${this.secretId} holds binary data (SecretBinary); this action reads and writes SecretString only.`,
        { code: 'aws-rejected', phase }
      )
    }
    maskDocument(answer.SecretString, this.#mask)
    return {
      versionId: answer.VersionId ?? '',
      value: answer.SecretString,
      ...(answer.CreatedDate ? { createdAt: answer.CreatedDate } : {})
    }
  }

  /**
   * Writes a new version whose id is `token`. Secrets Manager ignores a repeat with the same token
   * and value, so a retry never makes a second version.
   */
  async put(value: string, token: string, stages: string[], phase: Phase): Promise<void> {
    await this.#call('PutSecretValue', phase, `writing version ${token}`, () =>
      this.#client.send(
        new PutSecretValueCommand({
          SecretId: this.secretId,
          SecretString: value,
          ClientRequestToken: token,
          VersionStages: stages
        })
      )
    )
  }

  /**
   * Moves `label` to version `to`, from version `from`. Secrets Manager refuses when the label is
   * not on `from`: a compare-and-swap against another writer.
   */
  async moveStage(
    label: string,
    to: string,
    from: string | undefined,
    phase: Phase,
    signal?: AbortSignal
  ): Promise<void> {
    await this.#call(
      'UpdateSecretVersionStage',
      phase,
      `moving ${label} to version ${to}`,
      () =>
        this.#client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: this.secretId,
            VersionStage: label,
            MoveToVersionId: to,
            ...(from !== undefined ? { RemoveFromVersionId: from } : {})
          }),
          aborting(signal)
        ),
      signal
    )
  }

  /** Removes `label` from version `from`. */
  async removeStage(
    label: string,
    from: string,
    phase: Phase,
    signal?: AbortSignal
  ): Promise<void> {
    await this.#call(
      'UpdateSecretVersionStage',
      phase,
      `removing ${label}`,
      () =>
        this.#client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: this.secretId,
            VersionStage: label,
            RemoveFromVersionId: from
          }),
          aborting(signal)
        ),
      signal
    )
  }

  async tag(
    tags: Readonly<Record<string, string>>,
    phase: Phase,
    signal?: AbortSignal
  ): Promise<void> {
    const entries = Object.entries(tags)
    if (entries.length === 0) return
    await this.#call(
      'TagResource',
      phase,
      'writing the tags',
      () =>
        this.#client.send(
          new TagResourceCommand({
            SecretId: this.secretId,
            Tags: entries.map(([Key, Value]) => ({ Key, Value }))
          }),
          aborting(signal)
        ),
      signal
    )
  }

  async untag(keys: readonly string[], phase: Phase, signal?: AbortSignal): Promise<void> {
    if (keys.length === 0) return
    await this.#call(
      'UntagResource',
      phase,
      'removing tags',
      () =>
        this.#client.send(
          new UntagResourceCommand({ SecretId: this.secretId, TagKeys: [...keys] }),
          aborting(signal)
        ),
      signal
    )
  }

  /** Starts the rotation Lambda with `token` as the new version's id; answers that id. */
  async rotate(token: string, phase: Phase): Promise<string> {
    const answer = await this.#call('RotateSecret', phase, 'starting the rotation', () =>
      this.#client.send(
        new RotateSecretCommand({
          SecretId: this.secretId,
          ClientRequestToken: token,
          RotateImmediately: true
        })
      )
    )
    return answer.VersionId ?? token
  }

  async #call<T>(
    operation: string,
    phase: Phase,
    doing: string,
    send: () => Promise<T>,
    signal?: AbortSignal
  ): Promise<T> {
    try {
      return await send()
    } catch (error) {
      if (signal?.aborted === true) {
        // Abandoned on purpose: the reason says why, better than the SDK's "Request aborted".
        throw new ActionError(
          `${operation} (${doing} of secret ${this.secretId}) was abandoned: ${abortReason(signal)}.`,
          { code: 'aws-unavailable', phase, cause: error }
        )
      }
      throw toAwsError(error, { operation, phase, doing: `${doing} of secret ${this.secretId}` })
    }
  }
}

/**
 * Masks a secret's value and, for a JSON document, every string in it: a field printed alone
 * must be masked as well as the whole document.
 */
export function maskDocument(value: string, mask: (value: string) => void): void {
  mask(value)
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return
  }
  const visit = (node: unknown): void => {
    if (typeof node === 'string') {
      if (node !== '') mask(node)
    } else if (typeof node === 'number' || typeof node === 'boolean') {
      // Numbers and booleans are kept: masking "1" or "true" would blank the whole log.
    } else if (Array.isArray(node)) {
      for (const item of node) visit(item)
    } else if (node !== null && typeof node === 'object') {
      for (const item of Object.values(node)) visit(item)
    }
  }
  visit(parsed)
}

/** The SDK's per-call options for an optional signal: an abort stops its retries too. */
function aborting(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {}
}
