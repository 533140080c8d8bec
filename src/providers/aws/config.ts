import { DURATION_HINT, parseDuration } from '../../duration.js'
import type { InputName, RawInputs } from '../../config/inputs.js'

/** The Secrets Manager secret a run reads, and for a rotation writes. */
export interface AwsSecretConfig {
  /** A name or an ARN (`store-secret-id`). */
  secretId: string
  /** `aws-region`; without it the SDK's own configuration decides (AWS_REGION, profiles). */
  region?: string
  /** The JSON field that holds the credential (`store-field`); without it, the whole value. */
  field?: string
  /** How long to wait for AWS's rotation Lambda (`rotation-timeout`). */
  rotationTimeoutMs: number
}

/** Who moves the secret's staging labels. */
export type VersionOwner =
  /** This action: it stages AWSPENDING and promotes it (an OAuth2 refresh token). */
  | 'action'
  /** AWS's rotation Lambda: the action only reads the versions and keeps its record. */
  | 'rotation-lambda'

const ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/
const NAME = /^[\w/+=.@-]{1,512}$/
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/
/** The field the OAuth2 refresh token is kept in when `store-field` is not set. */
export const DEFAULT_REFRESH_TOKEN_FIELD = 'refresh_token'

/**
 * Validates the inputs of an AWS Secrets Manager secret.
 * @param defaultField the field the credential is kept in when `store-field` is empty
 */
export function parseAwsSecretConfig(
  raw: RawInputs,
  defaultField: string | undefined,
  add: (input: InputName, message: string) => void
): AwsSecretConfig | undefined {
  const secretId = raw['store-secret-id']
  if (secretId === '') {
    add(
      'store-secret-id',
      'is required with store: aws-secrets-manager: the name or ARN of the Secrets Manager secret'
    )
    return undefined
  }
  if (!ARN.test(secretId) && !NAME.test(secretId)) {
    add(
      'store-secret-id',
      `'${secretId}' is neither a secret name (letters, digits and /_+=.@-) nor a Secrets Manager ARN`
    )
  }
  const region = raw['aws-region']
  if (region !== '' && !REGION.test(region)) {
    add('aws-region', `'${region}' is not an AWS region; write it as e.g. us-east-1`)
  }
  const field = raw['store-field'] || defaultField
  const timeout = parseDuration(raw['rotation-timeout'])
  if (timeout === undefined) {
    add('rotation-timeout', `'${raw['rotation-timeout']}' is not a duration; use ${DURATION_HINT}`)
  } else if (timeout <= 0) {
    add('rotation-timeout', 'must be longer than 0: the rotation Lambda needs time to finish')
  }
  return {
    secretId,
    ...(region !== '' ? { region } : {}),
    ...(field ? { field } : {}),
    rotationTimeoutMs: timeout ?? 0
  }
}

/**
 * The lock variable for a secret kept outside GitHub: `state-variable`, or a name made from the
 * secret's own (`prod/oauth` → `TOKEN_ROTATION_PROD_OAUTH`), with `_LOCK` appended.
 */
export function awsLockBase(raw: RawInputs, secretId: string): string {
  if (raw['state-variable'] !== '') return raw['state-variable'].toUpperCase()
  const name = secretId.startsWith('arn:') ? (secretId.split(':secret:')[1] ?? secretId) : secretId
  const cleaned = name
    .replace(/-[A-Za-z0-9]{6}$/, secretId.startsWith('arn:') ? '' : '$&')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase()
  return `TOKEN_ROTATION_${cleaned}`.slice(0, 200)
}
