import type { Targets } from '../../engine/ports.js'
import type { TargetResult } from '../../report/result.js'
import { fieldOf } from '../../document/document-fields.js'
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
