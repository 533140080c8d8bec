import type { HealthCheck, Targets } from '../../engine/ports.js'
import type { TargetResult } from '../../report/result.js'
import { valueShape } from '../../document/secret-document.js'
import type { SecretPublisher } from './publisher.js'
import { scopeLabel } from './scopes.js'
import type { SecretTarget } from './targets.js'

/** One group of targets and the part of the value it gets. */
export interface FieldGroup {
  targets: readonly SecretTarget[]
  /** The JSON field whose value these targets get; undefined for the whole value. */
  field?: string
  /** A value that is not a JSON object is taken whole (`store-field`), not as a missing field. */
  plainWhole?: boolean
}

/**
 * The Targets port for a value that is a JSON document: each group of targets (one secret name
 * each) gets one field of it, or the whole value. A field that is missing fails that group's
 * targets with a message naming the field, never the value; the others are still written.
 */
export function fieldTargets(publisher: SecretPublisher, groups: readonly FieldGroup[]): Targets {
  const all = groups.flatMap(group => group.targets)
  return {
    preflight: () => publisher.preflight(all),
    publish: async value => {
      const results: TargetResult[] = []
      for (const group of groups) {
        const part =
          group.field === undefined ? value : fieldOf(value, group.field, group.plainWhole)
        if (part === undefined) {
          results.push(...group.targets.map(t => missing(t, group.field ?? '')))
          continue
        }
        results.push(...(await publisher.publish(group.targets, part)))
      }
      return results
    }
  }
}

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

function missing(target: SecretTarget, field: string): TargetResult {
  return {
    scope: target.scope.kind,
    type: target.scope.type,
    target: scopeLabel(target.scope),
    name: target.name,
    status: 'failed',
    error: `the value is not a JSON object with a field '${field}' (secret-fields)`
  }
}
