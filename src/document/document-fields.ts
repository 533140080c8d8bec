import type { HealthCheck } from '../engine/ports.js'
import { valueShape } from './secret-document.js'

/**
 * The health check of one field of a JSON value, or of the whole value when it is not a JSON
 * object. A JSON document is never sent whole: it may hold fields no target was meant to get.
 */
export function fieldHealthCheck(inner: HealthCheck, field: string | undefined): HealthCheck {
  return {
    description: inner.description,
    check: async value => {
      const part = field === undefined ? plainOnly(value) : fieldOf(value, field, true)
      if (part === undefined) {
        return {
          ok: false,
          attempts: 0,
          detail:
            field === undefined
              ? 'the value is a JSON document: set store-field to the field the health check sends'
              : `the value has no string field '${field}'`
        }
      }
      return inner.check(part)
    }
  }
}

function plainOnly(value: string): string | undefined {
  return valueShape(value).kind === 'plain' ? value : undefined
}

/**
 * A string field of a JSON object value (a number or boolean as its text), or undefined.
 * @param plainWhole answer a value that is not a JSON object whole
 */
export function fieldOf(value: string, field: string, plainWhole = false): string | undefined {
  const shape = valueShape(value)
  if (shape.kind === 'plain' && plainWhole) return value
  if (shape.kind !== 'object') return undefined
  const found = shape.object[field]
  if (typeof found === 'string') return found
  if (typeof found === 'number' || typeof found === 'boolean') return String(found)
  return undefined
}
