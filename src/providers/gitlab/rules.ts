/**
 * GitLab's rules for CI/CD variables and access tokens, checked before any request so that a
 * value GitLab would refuse is refused before anything is minted.
 * @see https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable
 * @see https://docs.gitlab.com/api/project_level_variables/
 */

/** A variable's key: letters, digits and `_`, at most 255 characters. */
const KEY = /^[A-Za-z0-9_]{1,255}$/

/**
 * A masked, expanded variable's value: at least 8 characters of the Base64 alphabet (both URL-safe
 * and standard) and `@ : . ~` (GitLab's `Ci::Maskable::REGEX`), on one line.
 */
const MASKED_EXPANDED = /^[a-zA-Z0-9_+=/@:.~-]{8,}$/
/** A masked, raw variable's value: at least 8 characters, none of them whitespace. */
const MASKED_RAW = /^[^ \t\r\n\f\v]{8,}$/

/** The values of a variable's `variable_type`. */
export const VARIABLE_TYPES = ['env_var', 'file'] as const
export type VariableType = (typeof VARIABLE_TYPES)[number]

/** Why `key` cannot be a variable's key, or undefined when it can. */
export function variableKeyProblem(key: string): string | undefined {
  if (KEY.test(key)) return undefined
  return key.length > 255
    ? 'is longer than the 255 characters GitLab allows for a variable key'
    : `'${key}' is not a variable key GitLab accepts: use letters, digits and _ only`
}

/**
 * Why GitLab cannot mask `value` (never quoting it), or undefined when it can.
 * @param raw the variable is not expanded: any character but whitespace may be masked
 */
export function maskProblem(value: string, raw: boolean): string | undefined {
  if ((raw ? MASKED_RAW : MASKED_EXPANDED).test(value)) return undefined
  if (value.length < 8)
    return `the value has ${String(value.length)} characters; GitLab masks values of 8 or more`
  if (/[\r\n]/.test(value)) return 'the value spans several lines; GitLab masks one line only'
  if (/\s/.test(value)) return 'the value holds whitespace, which GitLab cannot mask'
  return 'the value holds characters GitLab cannot mask in an expanded variable (only letters, digits and + / = _ - @ : . ~); set raw: true to mask any character but whitespace'
}

/**
 * What a GitLab access token looks like (`glpat-` and the Base64 URL-safe alphabet): a value of
 * this form meets the masking rules, so a masked target of a GitLab token is checked in preflight.
 */
export const TOKEN_FORM = 'glpat-0123456789abcdefghij'

/** `YYYY-MM-DD` (UTC) `days` after `now`: how GitLab writes a token's `expires_at`. */
export function expiryDate(now: Date, days: number): string {
  const shifted = new Date(now.getTime())
  shifted.setUTCDate(shifted.getUTCDate() + days)
  return shifted.toISOString().slice(0, 10)
}

/** The instant a token whose `expires_at` is `date` stops working: 00:00 UTC of that date. */
export function expiryInstant(date: string): Date | undefined {
  const at = Date.parse(`${date}T00:00:00Z`)
  return Number.isNaN(at) ? undefined : new Date(at)
}
