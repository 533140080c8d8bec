/**
 * AWS JSON 1.1 errors: HTTP 400 (or 5xx) with `{"__type": code, "message": text}` and the same code
 * in `x-amzn-ErrorType`. Messages are AWS's own wording where it is known (see the report in the
 * test file's header); the rest is marked as ours.
 */

/** Thrown by the handlers to answer with an AWS error. */
export class AwsError extends Error {
  readonly code: string
  readonly status: number

  constructor(code: string, message: string, status = 400) {
    super(message)
    this.name = 'AwsError'
    this.code = code
    this.status = status
  }
}

/** AWS's wording for an unknown secret, whatever the operation. */
export function secretNotFound(): AwsError {
  return new AwsError(
    'ResourceNotFoundException',
    "Secrets Manager can't find the specified secret."
  )
}

/** One failed constraint, reported in Coral's style by {@link validationError}. */
export interface Violation {
  /** Value as AWS quotes it (`null` for a missing member). */
  value: string
  /** Member path in camelCase, e.g. `tags.1.member.key`. */
  path: string
  constraint: string
}

/**
 * The front-end validation error of AWS JSON services, e.g.
 * `1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must have
 * length less than or equal to 512`.
 */
export function validationError(violations: readonly Violation[]): AwsError {
  const count = violations.length
  const details = violations
    .map(
      violation =>
        `Value ${violation.value === 'null' ? 'null' : `'${violation.value}'`} at '${violation.path}' failed to satisfy constraint: ${violation.constraint}`
    )
    .join('; ')
  return new AwsError(
    'ValidationException',
    `${count} validation error${count === 1 ? '' : 's'} detected: ${details}`
  )
}

/** Checks a length constraint, adding a violation when it fails. */
export function checkLength(
  violations: Violation[],
  path: string,
  value: string,
  min: number,
  max: number
): void {
  // Counted in UTF-16 code units, as AWS's Java front end counts them.
  const length = value.length
  if (length < min) {
    violations.push({
      value,
      path,
      constraint: `Member must have length greater than or equal to ${min}`
    })
  } else if (length > max) {
    violations.push({
      value,
      path,
      constraint: `Member must have length less than or equal to ${max}`
    })
  }
}
