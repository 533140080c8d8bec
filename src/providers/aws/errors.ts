import { ActionError, describeError, type ErrorCode, type Phase } from '../../errors.js'

/** What the action was doing when AWS answered with an error, for the message. */
export interface AwsCallContext {
  phase: Phase
  /** The Secrets Manager operation, which is also the IAM action it needs. */
  operation: string
  /** e.g. "reading AWSCURRENT of prod/oauth" */
  doing: string
}

/** The fields of an AWS SDK v3 error this module reads; the error itself is never kept. */
interface SdkErrorShape {
  name?: unknown
  message?: unknown
  $fault?: unknown
  $metadata?: { httpStatusCode?: number; requestId?: string }
}

const AUTH = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'SignatureDoesNotMatch',
  'CredentialsProviderError'
])

/** Operations that read or write a value, and so use the secret's KMS key. */
const VALUE_OPERATIONS = new Set(['GetSecretValue', 'PutSecretValue'])

/** Failures of the connection itself, before or instead of an answer. */
const NETWORK =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|socket hang up|TimeoutError|other side closed/i

/**
 * Turns an AWS SDK error into an {@link ActionError} whose message says what failed and what to
 * do. SDK errors carry the request; none of it is kept: only the error's name, AWS's message
 * (which never holds a secret value) and the request id reach the message.
 */
export function toAwsError(error: unknown, context: AwsCallContext): ActionError {
  if (error instanceof ActionError) return error
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape
  const name = typeof shape.name === 'string' ? shape.name : 'Error'
  const message = redacted(typeof shape.message === 'string' ? shape.message : describeError(error))
  const status = shape.$metadata?.httpStatusCode
  const requestId = shape.$metadata?.requestId
  const [code, advice] = classify(name, message, status, shape.$fault, context)
  const answered =
    status !== undefined
      ? `AWS answered ${name} (HTTP ${String(status)}${requestId ? `, request id ${requestId}` : ''}): ${message}`
      : `${name}: ${message}`
  return new ActionError(
    `${capitalize(context.doing)} failed: ${answered.trim().replace(/[.\s]+$/, '')}. ${advice}`.trim(),
    {
      code,
      phase: context.phase,
      retryable: code === 'aws-unavailable',
      cause: { name, status, requestId, operation: context.operation }
    }
  )
}

function classify(
  name: string,
  message: string,
  status: number | undefined,
  fault: unknown,
  context: AwsCallContext
): [ErrorCode, string] {
  if (AUTH.has(name) || /could not load credentials/i.test(message)) {
    return [
      'aws-auth',
      'Check the AWS credentials: configure them before this step, e.g. aws-actions/configure-aws-credentials with role-to-assume (OIDC, no stored keys). The SDK reads them from its default chain: environment, web identity token, shared config, container or instance role.'
    ]
  }
  if (/region is missing/i.test(message)) {
    return ['aws-rejected', "Set the 'aws-region' input, or AWS_REGION in the environment."]
  }
  if (name === 'AccessDeniedException' || status === 403) {
    const kms = VALUE_OPERATIONS.has(context.operation)
      ? ' A customer-managed KMS key also needs kms:Decrypt (reads) or kms:GenerateDataKey (writes).'
      : ''
    return [
      'aws-forbidden',
      `The AWS principal needs secretsmanager:${context.operation} on the secret (see "IAM policies" in docs/providers/aws.md).${kms}`
    ]
  }
  if (name === 'ResourceNotFoundException') {
    return [
      'aws-not-found',
      "Check 'store-secret-id' (a name or the full ARN) and 'aws-region' (the secret's region)."
    ]
  }
  if (name === 'DecryptionFailure' || name === 'EncryptionFailure') {
    return [
      'aws-forbidden',
      'The secret is encrypted with a KMS key this principal cannot use: grant kms:Decrypt (reads) and kms:GenerateDataKey (writes) on it.'
    ]
  }
  if (
    name === 'ThrottlingException' ||
    name === 'InternalServiceError' ||
    name === 'TimeoutError' ||
    fault === 'server' ||
    (status !== undefined && status >= 500) ||
    (status === undefined && NETWORK.test(`${name} ${message}`))
  ) {
    return ['aws-unavailable', 'AWS kept failing after the SDK retries; run again later.']
  }
  return [status === undefined ? 'internal' : 'aws-rejected', '']
}

/**
 * AWS quotes the request's Authorization header in some signature errors (the access key id,
 * the credential scope, the signature): cut from there on.
 */
function redacted(message: string): string {
  // A JSON parser's message quotes the text around the error: the answer, which may be a value.
  if (
    /Unexpected token|Unexpected end of JSON|is not valid JSON|in JSON at position/.test(message)
  ) {
    return 'the answer was not the JSON expected'
  }
  return message.replace(
    /(Authorization|Credential|Signature|X-Amz-Security-Token)\s*[=:].*$/is,
    '$1 (redacted)'
  )
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
