import type { InputName, RawInputs } from '../../config/inputs.js'
import { parseList } from '../../config/lists.js'
import { secretNameProblem } from './rules.js'

/** One more secret written from one field of the value (`secret-fields`: `DB_USER=username`). */
export interface FieldMapping {
  /** The GitHub secret's name. */
  name: string
  /** The JSON field whose value it gets. */
  field: string
}

/**
 * Parses `secret-fields`: `NAME=field` entries, separated by commas or newlines.
 */
export function parseFieldMappings(
  raw: RawInputs,
  add: (input: InputName, message: string) => void
): FieldMapping[] {
  const mappings: FieldMapping[] = []
  const seen = new Set<string>()
  for (const item of parseList(raw['secret-fields'])) {
    const match = /^([^=\s]+)\s*=\s*(\S.*)$/.exec(item)
    if (!match) {
      add('secret-fields', `'${item}' is not NAME=field (e.g. DB_PASSWORD=password)`)
      continue
    }
    const [, name = '', field = ''] = match
    const why = secretNameProblem(name)
    if (why) {
      add('secret-fields', `${name}: ${why}`)
      continue
    }
    const key = name.toUpperCase()
    if (seen.has(key) || key === raw['secret-name'].toUpperCase()) {
      add('secret-fields', `${name} is written twice; give each secret one field`)
      continue
    }
    seen.add(key)
    mappings.push({ name: key, field: field.trim() })
  }
  return mappings
}
