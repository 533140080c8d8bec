import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import type * as z from 'zod'
import { ConfigFileError, type FileProblem } from '../../errors.js'
import type { InputName, RawInputs } from '../inputs.js'
import { looksLikeCredential } from './credential-like.js'
import { fileIssueMessage } from './issue-messages.js'
import {
  credentialKeysOf,
  flatTargetOf,
  keyPathOf,
  PUBLIC_KEYS,
  type FileKey,
  type TargetKeys
} from './keys.js'
import {
  FILE_SCHEMAS,
  fileSchemasOf,
  type CredentialEntry,
  type SecretReference,
  type WebhookReference,
  type WindowEntry
} from './schema.js'
import { REGISTRY, type Registry } from '../../providers/index.js'
import type { FileSlice } from '../../providers/provider.js'
import { parseDuration } from '../../duration.js'
import type { WindowSpec } from '../../schedule/windows.js'

/** One credential of the file, as the flat inputs it stands for. */
export interface FileCredential {
  readonly id: string
  /** The inputs the file sets for it (defaults merged in); the rest keep action.yml's defaults. */
  readonly inputs: Partial<RawInputs>
  /** Values read from the environment for `{ env: NAME }` keys: secrets the caller masks. */
  readonly secrets: readonly string[]
  /** Where its alerts are POSTed besides the issue (`alerts.webhook`); both are secrets. */
  readonly webhook?: { url: string; secret?: string }
  /**
   * When a due rotation may run (`schedule.windows`), validated. No flat input stands for it: a
   * single credential's workflow has its own `on.schedule`.
   */
  readonly windows?: readonly WindowSpec[]
  /** What the file gives it beyond its flat inputs: keys, sections and targets of providers. */
  readonly file: FileSlice
  /**
   * Where an input of this credential was set, or a key path of it (`store.mount`,
   * `publish[1].gitlab.variable`), for a message about it.
   */
  locate(input: string): Omit<FileProblem, 'message'>
}

/** A valid configuration file. */
export interface ConfigFile {
  readonly source: string
  /** In the file's order. */
  readonly credentials: readonly FileCredential[]
}

type Path = readonly (string | number)[]
type Credential = CredentialEntry

/** What reading one credential needs besides the credential. */
interface Reading {
  keys: readonly FileKey[]
  /** The file's `connections:`, by section and name, as the schema checked them. */
  connections: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>
  flat: TargetKeys | undefined
  registry: Registry
  env: Readonly<Record<string, string | undefined>>
  lineOf: (path: Path) => number | undefined
  problems: FileProblem[]
}

/**
 * Reads a configuration file: YAML, checked against its schema, every secret taken from the
 * environment (`{ env: NAME }`) and each credential turned into the flat inputs it stands for.
 * Every problem of the file is reported at once, before any network call.
 * @param source the file's path for messages, or `the config input`
 * @param env where `{ env: NAME }` values are read: the step's environment
 * @param selected the ids that run (all when empty): only their secrets must be in `env`
 * @param registry the providers whose keys, sections and targets the file may have
 * @throws ConfigFileError listing every problem, each with its line and key path
 */
export function loadConfigFile(
  text: string,
  source: string,
  env: Readonly<Record<string, string | undefined>>,
  selected: readonly string[] = [],
  registry: Registry = REGISTRY
): ConfigFile {
  const schemas = registry === REGISTRY ? FILE_SCHEMAS : fileSchemasOf(registry)
  const keys = credentialKeysOf(registry)
  const flat = flatTargetOf(registry)
  // Only the credentials that run need their secrets in this step's environment.
  const runs = (id: string): boolean => selected.length === 0 || selected.includes(id)
  const lines = new LineCounter()
  const document = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false
  })
  if (document.errors.length > 0) {
    throw new ConfigFileError(
      source,
      document.errors.map(error => ({
        path: '',
        line: lines.linePos(error.pos[0]).line,
        // The first line only: the rest quotes the file, which may hold what does not belong there.
        message: `not valid YAML: ${error.message.split('\n')[0] ?? ''}`
      }))
    )
  }
  const lineOf = (path: Path): number | undefined => findLine(document, lines, path)
  const data: unknown = document.toJS()
  if (data === null || data === undefined) {
    throw new ConfigFileError(source, [
      { path: '', message: 'is empty: it needs version: 1 and credentials; see config.schema.json' }
    ])
  }
  const problems: FileProblem[] = [...pastedCredentials(data, [], lineOf)]
  const parsed = schemas.file.safeParse(data, { error: fileIssueMessage })
  if (!parsed.success) {
    for (const issue of parsed.error.issues.flatMap(inBranch)) {
      const path = issue.path.filter(p => typeof p !== 'symbol')
      // A key that looks like a credential is never repeated: pastedCredentials named its place.
      if (!path.every(quotable)) continue
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys.filter(quotable)) {
          problems.push({
            path: pathText([...path, key]),
            line: lineOf([...path, key]),
            message: 'is not a key here; see config.schema.json'
          })
        }
      } else {
        problems.push({
          path: pathText(path),
          line: lineOf(path),
          message:
            issue.code === 'invalid_key'
              ? 'is not a credential id: lower-case letters, digits and single hyphens'
              : issue.message
        })
      }
    }
    // The credentials that are valid on their own still report what their mapping finds (an
    // unset environment variable): every problem at once.
    const file = typeof data === 'object' ? (data as Record<string, unknown>) : {}
    const defaults = schemas.credential.safeParse(file.defaults ?? {})
    const shared = schemas.connections.safeParse(file.connections ?? {})
    const connections = shared.success ? shared.data : {}
    const listed = file.credentials
    if (defaults.success && typeof listed === 'object' && listed !== null) {
      for (const [id, credential] of Object.entries(listed)) {
        if (!quotable(id)) continue
        const valid = schemas.credential.safeParse(credential)
        if (valid.success && runs(id)) {
          toInputs(id, valid.data, defaults.data, {
            keys,
            connections,
            flat,
            registry,
            env,
            lineOf,
            problems
          })
        }
      }
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigFileError(source, once(problems))

  const defaults = parsed.data.defaults ?? {}
  const credentials = Object.entries(parsed.data.credentials).map(([id, credential]) =>
    toInputs(id, credential, defaults, {
      keys,
      connections: parsed.data.connections ?? {},
      flat,
      registry,
      env: runs(id) ? env : {},
      lineOf,
      problems: runs(id) ? problems : []
    })
  )
  if (credentials.length === 0) {
    problems.push({
      path: 'credentials',
      line: lineOf(['credentials']),
      message: 'lists no credential'
    })
  }
  if (problems.length > 0) throw new ConfigFileError(source, once(problems))
  return { source, credentials }
}

/**
 * A union's issues, where one of its options is a mapping that took the value's shape (a section
 * written out rather than a connection's name): that option's own issues, each at its key, so a
 * problem is named where it is. Other issues, and a union of text and list, as they are.
 */
function inBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue]
  const taken = issue.errors.find(
    branch => branch.length > 0 && branch.every(i => typeof i.path[0] === 'string')
  )
  if (!taken) return [issue]
  return taken.flatMap(i => inBranch({ ...i, path: [...issue.path, ...i.path] }))
}

/** The flat inputs of one credential, its defaults merged under it, and its file slice. */
function toInputs(
  id: string,
  credential: Credential,
  defaults: Credential,
  reading: Reading
): FileCredential {
  const { env, lineOf, problems } = reading
  const inputs: Partial<RawInputs> = {}
  const fileKeys: Record<string, string> = {}
  const objects: Record<string, unknown> = {}
  const secrets: string[] = []
  const setAt = new Map<string, Path>()
  const own: Path = ['credentials', id]
  const set = (key: FileKey, value: unknown, at: Path): void => {
    const text = inputText(key, value, at, env, secrets, problems, lineOf)
    if (text === undefined) return
    if (key.input !== undefined) {
      inputs[key.input] = text
      setAt.set(key.input, at)
    } else {
      const path = key.group === '' ? key.key : `${key.group}.${key.key}`
      fileKeys[path] = text
      setAt.set(path, at)
    }
  }
  const read = (value: unknown, at: Path): unknown => readSecrets(value, at, reading, secrets)
  for (const key of reading.keys) {
    const path = key.group === '' ? [key.key] : [key.group, key.key]
    const mine = valueAt(credential, path)
    const value = mine ?? valueAt(defaults, path)
    if (value === undefined) continue
    const at: Path = [...(mine !== undefined ? own : ['defaults']), ...path]
    if (key.type === 'object') {
      objects[path.join('.')] = read(value, at)
      setAt.set(path.join('.'), at)
    } else set(key, value, at)
  }
  const webhook = webhookOf(id, credential, defaults, env, secrets, problems, lineOf)
  const windows = windowsOf(credential) ?? windowsOf(defaults)
  const sections: Record<string, unknown> = {}
  for (const name of reading.registry.providers.flatMap(p => Object.keys(p.sections ?? {}))) {
    const mine = valueAt(credential, [name])
    const value = mine ?? valueAt(defaults, [name])
    if (value === undefined) continue
    let at: Path = [...(mine !== undefined ? own : ['defaults']), name]
    let section: unknown = value
    if (typeof value === 'string') {
      // A shared entry of `connections:`, named: its own place is where a problem in it is.
      section = reading.connections[name]?.[value]
      if (section === undefined) {
        problems.push(
          withLine(
            {
              path: pathText(at),
              message: `names no connection: add ${value} under connections.${name}, or write its settings here`
            },
            lineOf(at)
          )
        )
        continue
      }
      at = ['connections', name, value]
    }
    sections[name] = read(section, at)
    setAt.set(name, at)
  }
  const publish = credential.publish ?? defaults.publish
  const publishAt: Path = credential.publish ? [...own, 'publish'] : ['defaults', 'publish']
  const targets: FileSlice['targets'][number][] = []
  const flatEntries: { index: number; entry: Record<string, unknown> }[] = []
  for (const [index, entry] of (publish ?? []).entries()) {
    const [key, target] = Object.entries(entry)[0] ?? []
    if (key === undefined || target === undefined) continue
    if (key === reading.flat?.key) {
      flatEntries.push({ index, entry: target })
    } else {
      const at: Path = [...publishAt, index, key]
      targets.push({ key, index, entry: read(target, at) as Record<string, unknown> })
      setAt.set(`publish[${String(index)}].${key}`, at)
    }
  }
  if (reading.flat && flatEntries.length > 0) {
    mergeTargets(reading.flat, flatEntries, publishAt, set, problems, lineOf)
  }
  return {
    id,
    inputs,
    secrets,
    ...(webhook ? { webhook } : {}),
    ...(windows ? { windows } : {}),
    file: { keys: fileKeys, sections, objects, targets },
    locate: input => {
      // A key path names itself (`store.mount`), or the nearest part of it the file has
      // (`publish[1].gitlab` for `publish[1].gitlab.variable`). Never a group alone: `issuer` is
      // also the input that `issuer.kind` sets.
      const parts = input.split('.')
      for (let n = parts.length; n >= Math.min(2, parts.length); n -= 1) {
        const at = setAt.get(parts.slice(0, n).join('.'))
        if (at) {
          const path = [...at, ...parts.slice(n)]
          return { path: pathText(path), line: lineOf(path) }
        }
      }
      // Not set: name the key that would set it, at the credential.
      const key = keyPathOf(input as InputName) ?? (input.includes('.') ? input : undefined)
      return { path: pathText(key ? [...own, key] : own), line: lineOf(own) }
    }
  }
}

/**
 * A section's or target's value with every `{ env: NAME }` read from the environment: the schema
 * checked the shape, this reads the secrets (each kept to be masked), naming an unset variable
 * at its key path.
 */
function readSecrets(value: unknown, at: Path, reading: Reading, secrets: string[]): unknown {
  if (Array.isArray(value))
    return value.map((item, i) => readSecrets(item, [...at, i], reading, secrets))
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value)
  const [only] = entries
  if (entries.length === 1 && only?.[0] === 'env' && typeof only[1] === 'string') {
    return inputText(SECRET_KEY, value, at, reading.env, secrets, reading.problems, reading.lineOf)
  }
  return Object.fromEntries(
    entries.map(([key, item]) => [key, readSecrets(item, [...at, key], reading, secrets)])
  )
}

/** The credential's webhook (its own, else the defaults'), read from the environment. */
function webhookOf(
  id: string,
  credential: Credential,
  defaults: Credential,
  env: Readonly<Record<string, string | undefined>>,
  secrets: string[],
  problems: FileProblem[],
  lineOf: (path: Path) => number | undefined
): { url: string; secret?: string } | undefined {
  // The schema checked it; its type is lost where the alerts group meets the keys table.
  const own = credential.alerts?.webhook as WebhookReference | undefined
  const webhook = own ?? (defaults.alerts?.webhook as WebhookReference | undefined)
  if (!webhook) return undefined
  const at: Path = [...(own ? ['credentials', id] : ['defaults']), 'alerts', 'webhook']
  const read = (key: 'url' | 'secret', reference: SecretReference): string | undefined =>
    inputText(SECRET_KEY, reference, [...at, key], env, secrets, problems, lineOf)
  const url = read('url', webhook.url)
  const secret = webhook.secret && read('secret', webhook.secret)
  if (url === undefined) return undefined
  return secret === undefined ? { url } : { url, secret }
}

/** A credential's allow windows, which the schema checked. */
function windowsOf(credential: Credential): WindowSpec[] | undefined {
  // The schema checked them; their type is lost where the schedule group meets the keys table.
  const windows = credential.schedule?.windows as WindowEntry[] | undefined
  return windows?.map(({ cron, duration }) => ({
    cron: cron.trim(),
    duration,
    durationMs: parseDuration(duration) ?? 0
  }))
}

/** How a webhook's secrets are read: like any secret-valued key. */
const SECRET_KEY: FileKey = {
  group: 'alerts',
  key: 'webhook',
  input: 'alert-after',
  type: 'secret'
}

/**
 * Merges the `publish` entries into the flat target inputs, which write every secret of a
 * credential to the same targets: an entry's `field` becomes a `secret-fields` mapping, and the
 * targets of all entries are their union, which must not change what any entry asked for.
 */
function mergeTargets(
  flat: TargetKeys,
  publish: readonly { index: number; entry: Record<string, unknown> }[],
  at: Path,
  set: (key: FileKey, value: unknown, at: Path) => void,
  problems: FileProblem[],
  lineOf: (path: Path) => number | undefined
): void {
  const key = (input: InputName): FileKey => flat.keys.find(k => k.input === input) as FileKey
  const lists = new Map<InputName, { values: string[]; at: Path }>()
  const single = new Map<InputName, { value: string; at: Path }>()
  const fields: string[] = []
  let environments: { value: string; at: Path } | undefined
  publish.forEach(({ index, entry: target }) => {
    const here: Path = [...at, index, flat.key]
    const conflict = (name: string, message: string): void => {
      problems.push(withLine({ path: pathText([...here, name]), message }, lineOf([...here, name])))
    }
    const secret = target.secret
    if (typeof secret !== 'string') {
      conflict('secret', 'is required: the name of the secret to write')
    } else if (typeof target.field === 'string') {
      fields.push(`${secret}=${target.field}`)
    } else {
      const before = single.get('secret-name')
      if (before && before.value !== secret) {
        conflict(
          'secret',
          `is not ${before.value} (${pathText(before.at)}): a credential's whole value is written under one name; publish its fields with field:`
        )
      } else single.set('secret-name', { value: secret, at: [...here, 'secret'] })
    }
    if (target.repositories !== undefined) {
      // Environments apply to every listed repository: entries with repositories must agree.
      const envs = listOf(target.environments).join(', ')
      if (environments && environments.value !== envs) {
        conflict(
          'environments',
          `differ from ${pathText(environments.at)}: every entry with repositories must name the same environments (or none), since they are written to all of them`
        )
      } else environments ??= { value: envs, at: [...here, 'environments'] }
    }
    for (const input of ['repositories', 'environment', 'selected-repositories'] as const) {
      const name = key(input).key
      const values = listOf(target[name])
      if (values.length === 0) continue
      const entry = lists.get(input) ?? { values: [], at: [...here, name] }
      entry.values.push(...values.filter(v => !entry.values.includes(v)))
      lists.set(input, entry)
    }
    for (const input of ['org', 'visibility', 'secret-type'] as const) {
      const name = key(input).key
      const value = target[name]
      if (typeof value !== 'string') continue
      const before = single.get(input)
      if (before && before.value !== value) {
        conflict(
          name,
          `is not ${before.value} (${pathText(before.at)}): the entries of a credential must agree`
        )
      } else single.set(input, { value, at: [...here, name] })
    }
  })
  for (const [input, { value, at: where }] of single) set(key(input), value, where)
  for (const [input, { values, at: where }] of lists) set(key(input), values, where)
  if (fields.length > 0) set(key('secret-fields'), fields.join(', '), at)
}

/** A key's value as its flat input's text; undefined (with a problem) when it cannot be one. */
function inputText(
  key: FileKey,
  value: unknown,
  at: Path,
  env: Readonly<Record<string, string | undefined>>,
  secrets: string[],
  problems: FileProblem[],
  lineOf: (path: Path) => number | undefined
): string | undefined {
  switch (key.type) {
    case 'secret': {
      const name = (value as SecretReference).env
      const secret = env[name]
      if (secret === undefined || secret === '') {
        problems.push(
          withLine(
            {
              path: pathText(at),
              message: `the environment variable ${name} is not set: map the secret into the step's env (${name}: \${{ secrets.${name} }})`
            },
            lineOf(at)
          )
        )
        return undefined
      }
      secrets.push(secret)
      return secret
    }
    case 'object':
      // Never a flat input: an object key's value goes to its provider as it is.
      return undefined
    case 'list':
      return listOf(value).join(', ')
    case 'flag':
    case 'count':
      return String(value)
    case 'text':
      return String(value)
  }
}

function listOf(value: unknown): string[] {
  if (value === undefined) return []
  return (Array.isArray(value) ? value : [value]).map(String)
}

function valueAt(credential: Credential, path: readonly string[]): unknown {
  let node: unknown = credential
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return node
}

/**
 * Values that look like a credential pasted where it does not belong (a known token prefix, or a
 * long random string), anywhere in the file except the keys whose values are public.
 */
function pastedCredentials(
  node: unknown,
  path: Path,
  lineOf: (path: Path) => number | undefined
): FileProblem[] {
  if (typeof node === 'string') {
    const why = looksLikeCredential(node)
    return why
      ? [
          withLine(
            {
              path: pathText(path),
              message: `looks like a credential (${why}): never write one in the file; put it in a secret and refer to it with { env: NAME }`
            },
            lineOf(path)
          )
        ]
      : []
  }
  if (Array.isArray(node))
    return node.flatMap((item, i) => pastedCredentials(item, [...path, i], lineOf))
  if (typeof node === 'object' && node !== null) {
    return Object.entries(node).flatMap(([key, value]): FileProblem[] => {
      const why = looksLikeCredential(key)
      // Named by where it is, never by itself (a token pasted as `value: { ghp_... }` is a key).
      if (why) {
        return [
          withLine(
            {
              path: pathText(path),
              message: `has a key that looks like a credential (${why}): never write one in the file; put it in a secret and refer to it with { env: NAME }`
            },
            lineOf(path)
          )
        ]
      }
      return PUBLIC_KEYS.has(key) ? [] : pastedCredentials(value, [...path, key], lineOf)
    })
  }
  return []
}

/** Whether a key of the file may be repeated in a message: not when it looks like a credential. */
function quotable(key: string | number): boolean {
  return typeof key === 'number' || looksLikeCredential(key) === undefined
}

/**
 * The line of the key at `path` (of the item, in a list), or of the nearest one above it that
 * exists. The key's own line, not its value's: a block mapping's value starts on the next line.
 */
function findLine(document: Document, lines: LineCounter, path: Path): number | undefined {
  for (let depth = path.length; depth > 0; depth -= 1) {
    const parent: unknown =
      depth === 1 ? document.contents : document.getIn(path.slice(0, depth - 1), true)
    const last = path[depth - 1]
    let node: unknown
    if (isMap(parent)) {
      node = parent.items.find(pair =>
        isScalar(pair.key) ? String(pair.key.value) === String(last) : false
      )?.key
    } else if (isSeq(parent) && typeof last === 'number') {
      node = parent.items[last]
    }
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line
  }
  return undefined
}

/** `credentials.api.publish[0].github.secret` */
function pathText(path: Path): string {
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${String(part)}]` : i === 0 ? part : `.${part}`
    )
    .join('')
}

/** Each problem once: a key of `defaults` is read, and found wrong, for every credential. */
function once(problems: readonly FileProblem[]): FileProblem[] {
  const seen = new Set<string>()
  return problems.filter(problem => {
    const key = `${problem.path}\n${problem.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function withLine(problem: FileProblem, line: number | undefined): FileProblem {
  return line === undefined ? problem : { ...problem, line }
}

/**
 * A message about a flat input, in the words of the file: a workflow expression that fills an
 * input from a secret (`${{ secrets.NAME }}`) becomes the file's `{ env: NAME }`. The key names
 * themselves are the same in both.
 */
export function inFileWords(message: string): string {
  return message.replace(/\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, '{ env: $1 }')
}
