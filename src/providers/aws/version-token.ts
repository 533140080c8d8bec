import { createHash } from 'node:crypto'

/**
 * The ClientRequestToken (and so the version id) of a version this action writes: a UUID-shaped
 * digest of the secret's ARN and the exact value. A retry of the same write is the same token,
 * which Secrets Manager answers as done instead of making a second version; and a version found
 * later can be recognised as this action's own by recomputing the token from its value.
 *
 * The digest is of a high-entropy credential, domain-separated from the record's fingerprints.
 */
export function versionToken(secretArn: string, value: string): string {
  const hex = createHash('sha256')
    .update('token-rotation-action version\0')
    .update(secretArn)
    .update('\0')
    .update(value)
    .digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}
