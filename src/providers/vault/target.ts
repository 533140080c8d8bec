import { fieldOf } from '../../document/document-fields.js'
import { valueShape } from '../../document/secret-document.js'
import type { TargetResult, Targets } from '../../engine/ports.js'
import { ActionError, describeError } from '../../errors.js'
import { requireCapabilities } from './capabilities.js'
import { isCasMismatch } from './errors.js'
import type { KvV2 } from './kv.js'

/** One `publish` entry `vault: { mount, path, field }`. */
export interface KvTargetEntry {
  mount: string
  path: string
  /**
   * The KV field that gets the value (for a JSON document value: its field of that name); absent
   * for a document value, whose every field is written.
   */
  field?: string
}

/** Attempts of one target's read and write when another writer gets in between. */
const CAS_ATTEMPTS = 3

/**
 * Writes the published value into KV version 2 secrets: each entry reads the secret's newest
 * version, then writes a new one with `cas` set to it, every other field kept. One
 * {@link TargetResult} per entry; a failure fails that entry only.
 */
export function createKvTargets(
  entries: readonly { entry: KvTargetEntry; kv: KvV2 }[],
  where: string
): Targets {
  const result = (
    entry: KvTargetEntry,
    status: TargetResult['status'],
    extra: Partial<TargetResult> = {}
  ): TargetResult => ({
    scope: 'vault',
    type: 'kv-v2',
    target: where,
    name: `${entry.mount}/${entry.path}${entry.field !== undefined ? ` (field ${entry.field})` : ''}`,
    status,
    ...extra
  })
  return {
    preflight: async () => {
      const results: TargetResult[] = []
      for (const { entry, kv } of entries) {
        try {
          const checked = await requireCapabilities(
            kv.session,
            [
              {
                path: kv.dataPath(entry.path),
                anyOf: ['read'],
                for: 'reading the target secret (its other fields are kept)'
              },
              {
                path: kv.dataPath(entry.path),
                anyOf: ['update', 'create'],
                for: 'writing the target secret'
              }
            ],
            'preflight'
          )
          if (!checked) await kv.read(entry.path, 'preflight')
          results.push(
            result(entry, 'planned', {
              detail: `would write a new version of ${kv.name(entry.path)} with cas`
            })
          )
        } catch (error) {
          results.push(result(entry, 'failed', { error: describeError(error) }))
        }
      }
      return results
    },
    publish: async value => {
      const results: TargetResult[] = []
      for (const { entry, kv } of entries) {
        try {
          const created = await writeEntry(kv, entry, value)
          results.push(result(entry, created ? 'created' : 'updated'))
        } catch (error) {
          results.push(result(entry, 'failed', { error: describeError(error) }))
        }
      }
      return results
    }
  }
}

/** Writes one entry; true when the secret was created. */
async function writeEntry(kv: KvV2, entry: KvTargetEntry, value: string): Promise<boolean> {
  const fields = fieldsOf(value, entry.field)
  for (let attempt = 1; ; attempt += 1) {
    const read = await kv.read(entry.path, 'publish')
    const cas = read.found ? read.latest.version : read.currentVersion
    const data = { ...(read.found ? read.latest.data : {}), ...fields }
    try {
      await kv.write(entry.path, data, cas, 'publish', {
        doing: `writing the new value to ${kv.name(entry.path)}`
      })
      return cas === 0
    } catch (error) {
      const cause = error instanceof ActionError ? error.cause : error
      if (!isCasMismatch(cause) || attempt >= CAS_ATTEMPTS) throw error
    }
  }
}

/** The fields an entry writes: the value in its field, or a document's fields. */
function fieldsOf(value: string, field: string | undefined): Record<string, unknown> {
  const shape = valueShape(value)
  if (field === undefined) {
    if (shape.kind !== 'object') {
      throw new ActionError(
        'the value is not a JSON document: name the KV field it goes to (field)',
        {
          code: 'invalid-input',
          phase: 'publish'
        }
      )
    }
    return shape.object
  }
  if (shape.kind === 'plain') return { [field]: value }
  const part = fieldOf(value, field)
  if (part === undefined) {
    throw new ActionError(`the value is a JSON document without a string field '${field}'`, {
      code: 'invalid-input',
      phase: 'publish'
    })
  }
  return { [field]: part }
}
