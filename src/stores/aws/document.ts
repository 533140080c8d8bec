import { ActionError, type Phase } from '../../errors.js'

/**
 * A secret's value as this action reads it: a JSON object whose `field` holds the credential, or,
 * when the value is not a JSON object, the whole string. Messages name fields, never values.
 */
export interface SecretDocument {
  /** The credential. */
  readonly credential: string
  /** The value with `credential` replaced, every other field kept as it was. */
  replace(credential: string): string
}

/**
 * Reads `field` of a JSON secret, or the whole value of a plain string secret (or of any secret,
 * without a field).
 * @param where names the version for messages: `AWSCURRENT of secret prod/oauth`
 * @throws ActionError `aws-rejected` when a JSON secret has no such string field
 */
export function parseSecretDocument(
  value: string,
  field: string | undefined,
  where: string,
  phase: Phase
): SecretDocument {
  const object = field === undefined ? undefined : jsonObject(value)
  if (field === undefined || object === undefined) {
    return { credential: value, replace: credential => credential }
  }
  const found = object[field]
  if (typeof found !== 'string' || found === '') {
    const fields = Object.keys(object)
    throw new ActionError(
      `${where} is a JSON object without a non-empty string field '${field}' (its fields: ${fields.length > 0 ? fields.join(', ') : 'none'}); set 'store-field' to the field that holds the credential.`,
      { code: 'aws-rejected', phase }
    )
  }
  return {
    credential: found,
    replace: credential => JSON.stringify({ ...object, [field]: credential })
  }
}

/** The JSON object a secret holds, or undefined for a plain string. */
export function jsonObject(value: string): Record<string, unknown> | undefined {
  if (!value.trimStart().startsWith('{')) return undefined
  try {
    const parsed: unknown = JSON.parse(value)
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
