/**
 * GitLab's CI/CD variable rules, with its exact messages:
 * - key: present, at most 255 characters, only letters, digits and `_`;
 * - unique per (key, environment scope): `(KEY) has already been taken`;
 * - a masked value: at least 8 characters on one line; when the variable is expanded (not raw)
 *   only the Base64 alphabet plus `@ : . ~` (`Ci::Maskable::REGEX`), when raw any non-space
 *   character (`MASK_AND_RAW_REGEX`); otherwise `value: is invalid`;
 * - hidden needs masked, is set only on create (`masked_and_hidden`), and a hidden variable's
 *   visibility can never change afterwards.
 */
import type { VariableRecord } from './model.js'

/** `Ci::Maskable::REGEX`: masked and expanded. */
const MASKED_EXPANDED = /^[a-zA-Z0-9_+=/@:.~-]{8,}$/
/** `Ci::Maskable::MASK_AND_RAW_REGEX`: masked and raw; Ruby's `\S` is ASCII whitespace only. */
const MASKED_RAW = /^[^ \t\r\n\f\v]{8,}$/
const KEY_FORMAT = /^[a-zA-Z0-9_]+$/

/** Errors by attribute, as `render_validation_error!` sends them. */
export type ModelErrors = Record<string, string[]>

function add(errors: ModelErrors, attribute: string, message: string): void {
  ;(errors[attribute] ??= []).push(message)
}

/** Whether `value` may be masked with the given `raw` setting. */
export function maskable(value: string, raw: boolean): boolean {
  return (raw ? MASKED_RAW : MASKED_EXPANDED).test(value)
}

/**
 * Validates a variable as it would be saved. `others` are the owner's other variables (the one
 * being updated left out); `previous` is the stored state on update.
 */
export function validateVariable(
  variable: VariableRecord,
  others: readonly VariableRecord[],
  previous?: VariableRecord
): ModelErrors {
  const errors: ModelErrors = {}
  // GitLab strips the key before validating it.
  const key = variable.key
  if (key === '') add(errors, 'key', "can't be blank")
  if (key.length > 255) add(errors, 'key', 'is too long (maximum is 255 characters)')
  if (key !== '' && !KEY_FORMAT.test(key)) {
    add(errors, 'key', "can contain only letters, digits and '_'.")
  }
  if (
    others.some(other => other.key === key && other.environmentScope === variable.environmentScope)
  ) {
    add(errors, 'key', `(${key}) has already been taken`)
  }
  if (variable.masked && !maskable(variable.value, variable.raw)) add(errors, 'value', 'is invalid')
  if (previous === undefined) {
    if (variable.hidden && !variable.masked) {
      add(errors, 'masked', 'should be true when variable is hidden')
    }
  } else if (previous.hidden && previous.masked !== variable.masked) {
    add(errors, 'base', 'The visibility setting cannot be changed for masked and hidden variables.')
  }
  return errors
}

/** The API entity: a hidden variable's value is `null`, always. */
export function variableEntity(variable: VariableRecord): Record<string, unknown> {
  return {
    variable_type: variable.variableType,
    key: variable.key,
    value: variable.hidden ? null : variable.value,
    hidden: variable.hidden,
    protected: variable.protected,
    masked: variable.masked,
    raw: variable.raw,
    environment_scope: variable.environmentScope,
    description: variable.description
  }
}
