/**
 * The Secrets Manager operations: reading the JSON input the way AWS validates it, applying it to
 * the model, and shaping the JSON output (dates as epoch seconds, as AWS JSON 1.1 sends them).
 */
import { AwsError, type Violation, checkLength, secretNotFound, validationError } from './errors.js'
import {
  AWSCURRENT,
  AWSPENDING,
  type SecretRecord,
  SecretsModel,
  type VersionRecord,
  dayOf
} from './model.js'
import type { ReplicaSeed } from './types.js'

type Json = Record<string, unknown>

/** Reads one operation's input, answering AWS's errors for missing or mistyped members. */
export class Input {
  readonly #body: Json

  constructor(body: Json) {
    this.#body = body
  }

  #typed<T>(name: string, check: (value: unknown) => value is T, kind: string): T | undefined {
    const value = this.#body[name]
    if (value === undefined || value === null) return undefined
    if (!check(value)) {
      throw new AwsError('SerializationException', `${kind} expected for member '${name}'`)
    }
    return value
  }

  string(name: string): string | undefined {
    return this.#typed(name, (value): value is string => typeof value === 'string', 'String')
  }

  /** A required string: `Value null at 'path' ... Member must not be null` when missing. */
  required(name: string): string {
    const value = this.string(name)
    if (value === undefined) {
      throw validationError([
        { value: 'null', path: camel(name), constraint: 'Member must not be null' }
      ])
    }
    return value
  }

  boolean(name: string): boolean | undefined {
    return this.#typed(name, (value): value is boolean => typeof value === 'boolean', 'Boolean')
  }

  number(name: string): number | undefined {
    return this.#typed(name, (value): value is number => typeof value === 'number', 'Number')
  }

  list(name: string): unknown[] | undefined {
    return this.#typed(name, (value): value is unknown[] => Array.isArray(value), 'List')
  }

  object(name: string): Json | undefined {
    return this.#typed(
      name,
      (value): value is Json =>
        typeof value === 'object' && value !== null && !Array.isArray(value),
      'Structure'
    )
  }
}

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

/** Epoch seconds with milliseconds, as AWS JSON 1.1 writes timestamps. */
function epoch(date: Date): number {
  return date.getTime() / 1000
}

/** What every handler gets. */
export interface OperationContext {
  readonly model: SecretsModel
}

export type Handler = (ctx: OperationContext, input: Input) => Json

function findSecret(ctx: OperationContext, input: Input): SecretRecord {
  const id = input.required('SecretId')
  const violations: Violation[] = []
  checkLength(violations, 'secretId', id, 1, 2048)
  if (violations.length > 0) throw validationError(violations)
  const secret = ctx.model.find(id)
  if (secret === undefined) throw secretNotFound()
  return secret
}

/** `ClientRequestToken` becomes the version id: 32 to 64 characters. */
function versionToken(input: Input): string {
  const token = input.string('ClientRequestToken')
  if (token === undefined) return SecretsModel.newVersionId()
  if (token.length < 32 || token.length > 64) {
    throw new AwsError(
      'InvalidParameterException',
      'ClientRequestToken must be 32-64 characters long.'
    )
  }
  return token
}

interface SecretValue {
  secretString: string | undefined
  secretBinary: string | undefined
}

function secretValue(input: Input): SecretValue {
  const secretString = input.string('SecretString')
  const secretBinary = input.string('SecretBinary')
  if (secretString !== undefined && secretBinary !== undefined) {
    throw new AwsError(
      'InvalidParameterException',
      "You can't specify both a binary secret value and a string secret value in the same secret."
    )
  }
  const violations: Violation[] = []
  if (secretString !== undefined) {
    checkLength(violations, 'secretString', '*'.repeat(Buffer.byteLength(secretString)), 1, 65536)
  }
  if (violations.length > 0) {
    // The value itself is sensitive: AWS does not echo it back either.
    throw validationError(violations.map(violation => ({ ...violation, value: '***' })))
  }
  return { secretString, secretBinary }
}

function sameValue(version: VersionRecord, value: SecretValue): boolean {
  return version.secretString === value.secretString && version.secretBinary === value.secretBinary
}

function tokenInUse(secret: SecretRecord, token: string): AwsError {
  return new AwsError(
    'ResourceExistsException',
    `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${secret.arn}.`
  )
}

/** AWS's tag pattern (letters, digits, spaces and `_ . : / = + - @`), from its tagging APIs. */
const TAG_PATTERN = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u
const TAG_PATTERN_TEXT = String.raw`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`
const MAX_TAGS = 50

function checkTagText(
  violations: Violation[],
  path: string,
  text: string,
  min: number,
  max: number
): void {
  checkLength(violations, path, text, min, max)
  if (!TAG_PATTERN.test(text)) {
    violations.push({
      value: text,
      path,
      constraint: `Member must satisfy regular expression pattern: ${TAG_PATTERN_TEXT}`
    })
  }
}

/** Reads `Tags` ([{Key, Value}]) with AWS's limits: key 1-128, value 0-256 characters. */
function readTags(input: Input): Map<string, string> {
  const tags = new Map<string, string>()
  const violations: Violation[] = []
  for (const [index, raw] of (input.list('Tags') ?? []).entries()) {
    const tag = new Input(typeof raw === 'object' && raw !== null ? (raw as Json) : {})
    const key = tag.string('Key')
    const value = tag.string('Value') ?? ''
    const path = `tags.${index + 1}.member`
    if (key === undefined) {
      violations.push({ value: 'null', path: `${path}.key`, constraint: 'Member must not be null' })
      continue
    }
    checkTagText(violations, `${path}.key`, key, 1, 128)
    checkTagText(violations, `${path}.value`, value, 0, 256)
    tags.set(key, value)
  }
  if (violations.length > 0) throw validationError(violations)
  return tags
}

function tooManyTags(): AwsError {
  return new AwsError('LimitExceededException', `A secret can have at most ${MAX_TAGS} tags.`)
}

function tagList(tags: ReadonlyMap<string, string>): { Key: string; Value: string }[] {
  return [...tags].map(([Key, Value]) => ({ Key, Value }))
}

function replicationStatus(secret: SecretRecord): Json[] {
  return secret.replicas.map(replica => {
    const entry: Json = {
      Region: replica.region,
      KmsKeyId: 'alias/aws/secretsmanager',
      Status: replica.status
    }
    if (replica.statusMessage !== undefined) entry.StatusMessage = replica.statusMessage
    return entry
  })
}

/** `{ARN, Name}` plus `ReplicationStatus` when the secret has replicas. */
function identity(secret: SecretRecord): Json {
  const out: Json = { ARN: secret.arn, Name: secret.name }
  if (secret.replicas.length > 0) out.ReplicationStatus = replicationStatus(secret)
  return out
}

function readReplicaRegions(ctx: OperationContext, input: Input): ReplicaSeed[] {
  const seeds: ReplicaSeed[] = []
  for (const raw of input.list('AddReplicaRegions') ?? []) {
    const region = new Input(typeof raw === 'object' && raw !== null ? (raw as Json) : {}).string(
      'Region'
    )
    if (region === undefined || !/^([a-z]+-)+\d+$/.test(region) || region === ctx.model.region) {
      throw new AwsError('InvalidParameterException', 'Invalid replica region.')
    }
    seeds.push({ region, status: 'InProgress' })
  }
  return seeds
}

const createSecret: Handler = (ctx, input) => {
  const name = input.required('Name')
  const violations: Violation[] = []
  checkLength(violations, 'name', name, 1, 512)
  if (violations.length > 0) throw validationError(violations)
  const value = secretValue(input)
  const hasValue = value.secretString !== undefined || value.secretBinary !== undefined
  const tokenGiven = input.string('ClientRequestToken') !== undefined
  const token = versionToken(input)
  const tags = readTags(input)
  if (tags.size > MAX_TAGS) throw tooManyTags()
  const replicas = readReplicaRegions(ctx, input)

  const existing = ctx.model.find(name)
  if (existing !== undefined) {
    // A retry of a create whose answer was lost: the same token and value are ignored.
    const version = tokenGiven ? existing.versions.get(token) : undefined
    if (version !== undefined) {
      if (!sameValue(version, value)) throw tokenInUse(existing, token)
      return { ...identity(existing), VersionId: version.id }
    }
    throw new AwsError(
      'ResourceExistsException',
      `The operation failed because the secret ${name} already exists.`
    )
  }
  const secret = ctx.model.create(name, {
    description: input.string('Description'),
    tags,
    replicas
  })
  const out = identity(secret)
  if (hasValue) {
    const version = ctx.model.addVersion(secret, token, value)
    ctx.model.attach(secret, version, AWSCURRENT)
    out.VersionId = version.id
  }
  return out
}

const describeSecret: Handler = (ctx, input) => {
  const secret = findSecret(ctx, input)
  const out: Json = { ARN: secret.arn, Name: secret.name }
  if (secret.description !== undefined) out.Description = secret.description
  out.RotationEnabled = secret.rotationEnabled
  if (secret.rotationLambdaArn !== undefined) out.RotationLambdaARN = secret.rotationLambdaArn
  if (secret.rotationRules !== undefined) out.RotationRules = secret.rotationRules
  if (secret.lastRotatedDate !== undefined) out.LastRotatedDate = epoch(secret.lastRotatedDate)
  out.LastChangedDate = epoch(secret.lastChangedDate)
  if (secret.lastAccessedDate !== undefined) out.LastAccessedDate = epoch(secret.lastAccessedDate)
  if (secret.tags.size > 0) out.Tags = tagList(secret.tags)
  const versionIdsToStages: Record<string, string[]> = {}
  for (const version of secret.versions.values()) {
    if (version.stages.length > 0) versionIdsToStages[version.id] = [...version.stages]
  }
  out.VersionIdsToStages = versionIdsToStages
  out.CreatedDate = epoch(secret.createdDate)
  if (secret.replicas.length > 0) {
    out.PrimaryRegion = ctx.model.region
    out.ReplicationStatus = replicationStatus(secret)
  }
  ctx.model.described(secret)
  return out
}

const getSecretValue: Handler = (ctx, input) => {
  const secret = findSecret(ctx, input)
  const versionId = input.string('VersionId')
  const versionStage = input.string('VersionStage')
  let version: VersionRecord | undefined
  if (versionId !== undefined) {
    version = secret.versions.get(versionId)
    if (version === undefined) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
      )
    }
    if (versionStage !== undefined && !version.stages.includes(versionStage)) {
      throw new AwsError(
        'InvalidRequestException',
        'You provided a VersionStage that is not associated to the provided VersionId.'
      )
    }
  } else {
    const stage = versionStage ?? AWSCURRENT
    version = ctx.model.holderOf(secret, stage)
    if (version === undefined) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${stage}`
      )
    }
  }
  const out: Json = { ARN: secret.arn, Name: secret.name, VersionId: version.id }
  if (version.secretString !== undefined) out.SecretString = version.secretString
  if (version.secretBinary !== undefined) out.SecretBinary = version.secretBinary
  out.VersionStages = [...version.stages]
  out.CreatedDate = epoch(version.createdDate)
  const today = dayOf(new Date())
  version.lastAccessedDate = today
  secret.lastAccessedDate = today
  ctx.model.read(secret)
  return out
}

function readStages(input: Input): string[] | undefined {
  const raw = input.list('VersionStages')
  if (raw === undefined) return undefined
  const violations: Violation[] = []
  if (raw.length < 1 || raw.length > 20) {
    violations.push({
      value: JSON.stringify(raw),
      path: 'versionStages',
      constraint:
        raw.length < 1
          ? 'Member must have length greater than or equal to 1'
          : 'Member must have length less than or equal to 20'
    })
  }
  const stages: string[] = []
  for (const [index, stage] of raw.entries()) {
    if (typeof stage !== 'string') {
      throw new AwsError('SerializationException', `String expected in member 'VersionStages'`)
    }
    checkLength(violations, `versionStages.${index + 1}.member`, stage, 1, 256)
    if (!stages.includes(stage)) stages.push(stage)
  }
  if (violations.length > 0) throw validationError(violations)
  return stages
}

const putSecretValue: Handler = (ctx, input) => {
  const secret = findSecret(ctx, input)
  const token = versionToken(input)
  const value = secretValue(input)
  if (value.secretString === undefined && value.secretBinary === undefined) {
    throw new AwsError(
      'InvalidParameterException',
      'You must provide either SecretString or SecretBinary.'
    )
  }
  const stages = readStages(input) ?? [AWSCURRENT]
  const existing = secret.versions.get(token)
  if (existing !== undefined) {
    // Same token, same value: the request is ignored (idempotent); another value: refused.
    if (!sameValue(existing, value)) throw tokenInUse(secret, token)
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: existing.id,
      VersionStages: [...existing.stages]
    }
  }
  if (secret.versions.size === 0 && !stages.includes(AWSCURRENT)) stages.unshift(AWSCURRENT)
  const version = ctx.model.addVersion(secret, token, value)
  for (const stage of stages) ctx.model.attach(secret, version, stage)
  ctx.model.written(secret)
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.id,
    VersionStages: [...version.stages]
  }
}

const updateSecretVersionStage: Handler = (ctx, input) => {
  const secret = findSecret(ctx, input)
  const label = input.required('VersionStage')
  const moveTo = input.string('MoveToVersionId')
  const removeFrom = input.string('RemoveFromVersionId')
  const violations: Violation[] = []
  checkLength(violations, 'versionStage', label, 1, 256)
  if (moveTo !== undefined) checkLength(violations, 'moveToVersionId', moveTo, 32, 64)
  if (removeFrom !== undefined) checkLength(violations, 'removeFromVersionId', removeFrom, 32, 64)
  if (violations.length > 0) throw validationError(violations)
  if (moveTo === undefined && removeFrom === undefined) {
    throw new AwsError(
      'InvalidParameterException',
      'You must specify MoveToVersionId, RemoveFromVersionId, or both.'
    )
  }
  const target = moveTo === undefined ? undefined : secret.versions.get(moveTo)
  if (moveTo !== undefined && target === undefined) {
    throw new AwsError('InvalidParameterException', `Not a valid version: ${moveTo}`)
  }
  const holder = ctx.model.holderOf(secret, label)

  if (target !== undefined) {
    if (holder !== undefined && holder !== target) {
      // The compare-and-swap: the caller must name the version it takes the label from.
      if (removeFrom === undefined) {
        throw new AwsError(
          'InvalidParameterException',
          `The parameter RemoveFromVersionId can't be empty. Staging label ${label} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`
        )
      }
      if (removeFrom !== holder.id) {
        throw new AwsError(
          'InvalidParameterException',
          `When you move staging label ${label}, if you specify RemoveFromVersionId, it must be set to the version that currently has the staging label ${label}.`
        )
      }
    } else if (removeFrom !== undefined && removeFrom !== holder?.id) {
      throw new AwsError(
        'InvalidParameterException',
        `The staging label ${label} is not attached to version ${removeFrom}.`
      )
    }
    ctx.model.attach(secret, target, label)
  } else {
    if (holder === undefined || holder.id !== removeFrom) {
      throw new AwsError(
        'InvalidParameterException',
        `The staging label ${label} is not attached to version ${String(removeFrom)}.`
      )
    }
    if (label === AWSCURRENT) {
      throw new AwsError(
        'InvalidParameterException',
        `You can't remove the staging label ${AWSCURRENT} from a version without moving it to another version with MoveToVersionId.`
      )
    }
    ctx.model.detach(holder, label)
  }
  ctx.model.written(secret)
  return { ARN: secret.arn, Name: secret.name }
}

const listSecretVersionIds: Handler = (ctx, input) => {
  const secret = findSecret(ctx, input)
  const includeDeprecated = input.boolean('IncludeDeprecated') ?? false
  const maxResults = input.number('MaxResults')
  const nextToken = input.string('NextToken')
  if (
    maxResults !== undefined &&
    (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)
  ) {
    throw validationError([
      {
        value: String(maxResults),
        path: 'maxResults',
        constraint:
          maxResults < 1
            ? 'Member must have value greater than or equal to 1'
            : 'Member must have value less than or equal to 100'
      }
    ])
  }
  const all = [...secret.versions.values()].filter(
    version => includeDeprecated || version.stages.length > 0
  )
  let start = 0
  if (nextToken !== undefined) {
    start = Number(Buffer.from(nextToken, 'base64url').toString('utf8'))
    if (!Number.isInteger(start) || start < 0) {
      throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.')
    }
  }
  const end = start + (maxResults ?? 100)
  const out: Json = {
    Versions: all.slice(start, end).map(version => {
      const entry: Json = {
        VersionId: version.id,
        VersionStages: [...version.stages],
        CreatedDate: epoch(version.createdDate),
        KmsKeyIds: ['DefaultEncryptionKey']
      }
      if (version.lastAccessedDate !== undefined) {
        entry.LastAccessedDate = epoch(version.lastAccessedDate)
      }
      return entry
    }),
    ARN: secret.arn,
    Name: secret.name
  }
  if (end < all.length) out.NextToken = Buffer.from(String(end), 'utf8').toString('base64url')
  return out
}

function readRotationRules(input: Input): Json | undefined {
  const rules = input.object('RotationRules')
  if (rules === undefined) return undefined
  const days = new Input(rules).number('AutomaticallyAfterDays')
  if (days !== undefined && (days < 1 || days > 1000)) {
    throw new AwsError(
      'InvalidParameterException',
      'RotationRules.AutomaticallyAfterDays must be within 1-1000.'
    )
  }
  return { ...rules }
}

const rotateSecret: Handler = (ctx, input) => {
  const secret = findSecret(ctx, input)
  const token = versionToken(input)
  const lambdaArn = input.string('RotationLambdaARN')
  const rules = readRotationRules(input)
  const rotateImmediately = input.boolean('RotateImmediately') ?? true

  const configuredArn = lambdaArn ?? secret.rotationLambdaArn
  if (configuredArn === undefined) {
    throw new AwsError(
      'InvalidRequestException',
      'No Lambda rotation function ARN is associated with this secret.'
    )
  }
  const simulation = secret.simulation
  if (simulation === undefined || configuredArn !== secret.rotationLambdaArn) {
    throw new AwsError(
      'AccessDeniedException',
      'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.'
    )
  }
  const pending = ctx.model.holderOf(secret, AWSPENDING)
  const current = ctx.model.holderOf(secret, AWSCURRENT)
  if (pending !== undefined && pending !== current) {
    // A retry of this very rotation (same token) is answered again rather than refused.
    if (pending.id === token) return { ARN: secret.arn, Name: secret.name, VersionId: token }
    throw new AwsError(
      'InvalidRequestException',
      "A previous rotation isn't complete. That rotation will be reattempted."
    )
  }
  if (secret.versions.has(token)) throw tokenInUse(secret, token)

  if (rules !== undefined) secret.rotationRules = rules
  secret.rotationEnabled = true
  if (!rotateImmediately) return { ARN: secret.arn, Name: secret.name }
  ctx.model.startRotation(secret, simulation, token)
  return { ARN: secret.arn, Name: secret.name, VersionId: token }
}

const tagResource: Handler = (ctx, input) => {
  const secret = findSecret(ctx, input)
  if (input.list('Tags') === undefined) {
    throw validationError([{ value: 'null', path: 'tags', constraint: 'Member must not be null' }])
  }
  const tags = readTags(input)
  const merged = new Map([...secret.tags, ...tags])
  if (merged.size > MAX_TAGS) throw tooManyTags()
  for (const [key, value] of tags) secret.tags.set(key, value)
  secret.lastChangedDate = new Date()
  return {}
}

const untagResource: Handler = (ctx, input) => {
  const secret = findSecret(ctx, input)
  const keys = input.list('TagKeys')
  if (keys === undefined) {
    throw validationError([
      { value: 'null', path: 'tagKeys', constraint: 'Member must not be null' }
    ])
  }
  const violations: Violation[] = []
  const names: string[] = []
  for (const [index, key] of keys.entries()) {
    if (typeof key !== 'string') {
      throw new AwsError('SerializationException', `String expected in member 'TagKeys'`)
    }
    checkTagText(violations, `tagKeys.${index + 1}.member`, key, 1, 128)
    names.push(key)
  }
  if (violations.length > 0) throw validationError(violations)
  for (const key of names) secret.tags.delete(key)
  secret.lastChangedDate = new Date()
  return {}
}

/** Every operation the server speaks, by the name in `X-Amz-Target: secretsmanager.<name>`. */
export const OPERATIONS: ReadonlyMap<string, Handler> = new Map([
  ['CreateSecret', createSecret],
  ['DescribeSecret', describeSecret],
  ['GetSecretValue', getSecretValue],
  ['PutSecretValue', putSecretValue],
  ['UpdateSecretVersionStage', updateSecretVersionStage],
  ['ListSecretVersionIds', listSecretVersionIds],
  ['RotateSecret', rotateSecret],
  ['TagResource', tagResource],
  ['UntagResource', untagResource]
])
