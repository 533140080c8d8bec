import type { ActionConfig } from '../../config/rotation-config.js'
import type { RawInputs } from '../../config/inputs.js'
import type { Draft, PartReport } from '../provider.js'
import { parseRepository, secretNameProblem } from '../github/rules.js'
import {
  awsLockBase,
  DEFAULT_REFRESH_TOKEN_FIELD,
  parseAwsSecretConfig,
  type AwsSecretConfig,
  type VersionOwner
} from './config.js'

declare module '../../config/rotation-config.js' {
  interface ProviderSlices {
    /** The Secrets Manager secret a credential reads, and for a rotation writes. */
    aws?: {
      secret: AwsSecretConfig
      /** Who moves the staging labels, when the credential keeps its record in the secret. */
      versions?: VersionOwner
    }
  }
}

/** The kind of both roles AWS plays: `issuer: aws-secrets-manager`, `store: aws-secrets-manager`. */
export const AWS_KIND = 'aws-secrets-manager'

/** Secrets Manager is the store whenever `store-secret-id` is set, and for the AWS issuer. */
export function defaultAwsStore(raw: RawInputs, issuer: string): string | undefined {
  return raw['store-secret-id'] !== '' || issuer === AWS_KIND ? AWS_KIND : undefined
}

/**
 * The AWS part of a credential: the secret, whether the value is read from it (a sync, or what
 * the rotation Lambda made) or the refresh token kept in it, and the store with its record.
 */
export function configureAws(draft: Draft): void {
  const { raw, issuer, mode, add } = draft
  if (draft.store !== AWS_KIND) {
    if (issuer !== AWS_KIND && raw.store !== '' && raw['store-secret-id'] !== '') {
      add(
        'store-secret-id',
        `applies to store: ${AWS_KIND}; remove it, or remove store: ${raw.store}`
      )
    }
    if (issuer === AWS_KIND) {
      add('store', `must be ${AWS_KIND} with issuer: ${AWS_KIND} (AWS keeps the versions)`)
    }
    return
  }
  // The issuer exchanges what it is given: the secret keeps it (a refresh token) in a field.
  const keepsInput = draft.issues?.consumesInput === true
  const secret = parseAwsSecretConfig(
    raw,
    keepsInput ? DEFAULT_REFRESH_TOKEN_FIELD : undefined,
    add
  )
  if (!keepsInput) readValue(draft, secret)
  if (issuer === AWS_KIND) draft.issuerWaitMs = secret?.rotationTimeoutMs ?? 0
  if (!secret) return
  draft.slices.aws = { secret }
  const versioned = keepsInput || issuer === AWS_KIND || mode === 'rollback'
  if (!versioned) return
  draft.keepsRecord = true
  if (keepsInput && raw['refresh-token-secret'] !== '') {
    add(
      'refresh-token-secret',
      'applies to the GitHub store; with store-secret-id the refresh token lives in AWS'
    )
  }
  const repository = draft.context.repository
    ? parseRepository(draft.context.repository)
    : undefined
  if (!repository) {
    add(
      'store-secret-id',
      'needs GITHUB_REPOSITORY: the one-writer lock is a variable of the repository running the workflow'
    )
    return
  }
  const base = awsLockBase(raw, secret.secretId)
  const why = secretNameProblem(base)
  if (why) add('state-variable', why.replace(/secret/g, 'variable'))
  draft.storeConfig = {
    kind: AWS_KIND,
    repository,
    lockVariable: `${base}_LOCK`,
    subject: secret.secretId,
    record: {
      where: `AWS Secrets Manager secret ${secret.secretId}${secret.region ? ` in ${secret.region}` : ''}`,
      key: 'store-secret-id'
    }
  }
  draft.slices.aws.versions = keepsInput ? 'action' : 'rotation-lambda'
}

/**
 * The value comes from AWS whole (a JSON document, or one string): the value it replaced is
 * AWSPREVIOUS, and the one to verify AWSCURRENT; an input could only disagree.
 */
function readValue(draft: Draft, secret: AwsSecretConfig | undefined): void {
  const { raw, add } = draft
  draft.valueInput = 'store-secret-id'
  if (draft.issues?.given) draft.valueFrom = 'store'
  draft.document = secret?.field !== undefined ? { field: secret.field } : {}
  if (raw['previous-value'] !== '') {
    add(
      'previous-value',
      'is read from store-secret-id (AWSPREVIOUS after a rotation, AWSCURRENT for mode verify); remove it'
    )
  }
  if (raw['health-check-url'] !== '' && raw['secret-fields'] !== '' && raw['store-field'] === '') {
    add(
      'store-field',
      'is required with health-check-url and secret-fields: the check sends one field of the JSON secret, never the whole document'
    )
  }
  if (raw['recovery-public-key'] !== '') {
    add(
      'recovery-public-key',
      'applies to issuer: oauth2 (it seals a new refresh token); AWS keeps the versions of this secret'
    )
  }
}

/** The plan's line about the secret. */
export function describeAws(config: ActionConfig): PartReport {
  const aws = config.slices.aws
  if (!aws) return {}
  const { secret } = aws
  const where = `AWS Secrets Manager secret ${secret.secretId}${secret.region ? ` in ${secret.region}` : ''}`
  const field = secret.field ? `, field ${secret.field}` : ''
  return {
    lines: [
      aws.versions === 'action'
        ? `Refresh token in ${where}${field}; versions staged as AWSPENDING and promoted to AWSCURRENT.`
        : `Value read from ${where}${field}${config.issuer === AWS_KIND ? ', rotated by its rotation Lambda' : ''}.`
    ]
  }
}
