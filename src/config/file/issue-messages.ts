import type * as z from 'zod'
import { orList } from '../../wording.js'

/** What a key must be, in the file's words: YAML's mappings, lists and scalars. */
const EXPECTED: Readonly<Record<string, string>> = {
  object: 'a mapping of keys',
  record: 'a mapping of keys',
  array: 'a list',
  string: 'text',
  boolean: 'true or false',
  number: 'a number',
  int: 'a whole number'
}

/**
 * The messages of the configuration file's problems, for zod's issues (passed as the `error` of a
 * parse): each says what the key must be in the words of a YAML file, where zod's own would say
 * "Invalid input: expected object, received undefined". The value is never quoted: one pasted in
 * the wrong place may be a secret. A schema's own message (a secret's `{ env: NAME }`, the
 * version) wins over these, as zod asks this map only for issues without one.
 */
export const fileIssueMessage: z.core.$ZodErrorMap = issue => {
  switch (issue.code) {
    case 'invalid_type':
      return typeMessage(issue.expected, issue.input)
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of ${orList(issue.values.map(String))}`
    case 'too_small':
      if (issue.origin === 'number' || issue.origin === 'int') {
        return issue.inclusive === false
          ? `must be more than ${String(issue.minimum)}`
          : `must be ${String(issue.minimum)} or more`
      }
      return issue.minimum === 1 ? 'must not be empty' : undefined
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int') {
        return issue.inclusive === false
          ? `must be less than ${String(issue.maximum)}`
          : `must be ${String(issue.maximum)} or less`
      }
      return undefined
    case 'invalid_union':
      return unionMessage(issue.errors, issue.input)
    default:
      return undefined
  }
}

function typeMessage(expected: string, input: unknown): string {
  // A missing key and a key left without a value (`store:`) are the two mistakes of a hand-written
  // file that zod words worst.
  if (input === undefined) return 'is required'
  const wanted = EXPECTED[expected] ?? expected
  if (input === null) return `is empty: it must be ${wanted}`
  if (expected === 'int' && typeof input === 'number') return 'must be a whole number'
  const message = `must be ${wanted}, not ${kindOf(input)}`
  // YAML reads `client-id: 12345` as a number and `on`-like words as booleans in older dialects.
  return expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')
    ? `${message}: put it in quotes`
    : message
}

/**
 * A value that is none of a union's options. When one option took its shape (a list) and only
 * an item is wrong, the item's own message says what; otherwise, every option is named.
 */
function unionMessage(branches: readonly (readonly z.core.$ZodIssue[])[], input: unknown): string {
  const item = branches
    .filter(issues => issues.length > 0 && issues.every(i => i.path.length > 0))
    .flat()[0]
  if (item) return `item ${item.path.map(p => `[${String(p)}]`).join('')} ${item.message}`
  const options = branches.flatMap(issues =>
    issues.flatMap(i => (i.code === 'invalid_type' && i.path.length === 0 ? [i.expected] : []))
  )
  if (options.length === 0) return 'is none of the forms this key takes; see config.schema.json'
  if (input === undefined) return 'is required'
  return `must be ${orList(options.map(o => EXPECTED[o] ?? o))}, not ${kindOf(input)}`
}

/** What a value is, without quoting it: only true and false are safe to repeat. */
function kindOf(input: unknown): string {
  if (input === null) return 'empty'
  if (Array.isArray(input)) return 'a list'
  switch (typeof input) {
    case 'string':
      return 'text'
    case 'number':
      return 'a number'
    case 'boolean':
      return String(input)
    case 'object':
      return 'a mapping'
    default:
      return typeof input
  }
}
