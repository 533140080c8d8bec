// `npm run docs`: rewrites what is generated from a source of truth, so the two cannot drift: the
// Inputs and Outputs tables of docs/inputs.md from action.yml, the key table of
// docs/configuration-file.md from the file's key table (src/config/file/keys.ts, made from the
// provider registry, src/providers/index.ts), and
// config.schema.json from the file's zod schema. `npm run docs -- --check` writes nothing and fails
// when any of them is out of date.
import { readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parse } from 'yaml'
import {
  CREDENTIAL_KEYS,
  FLAT_TARGET_KEYS,
  flatTargetOf,
  providerOf,
  RUN_WIDE_INPUTS,
  type FileKey
} from '../src/config/file/keys.js'
import { configJsonSchema } from '../src/config/file/schema.js'
import { REGISTRY } from '../src/providers/index.js'

/** One input as action.yml declares it. */
interface ActionInput {
  description: string
  required: boolean
  default?: string
}

/** The parts of action.yml that docs/inputs.md documents. */
interface ActionMetadata {
  inputs: [name: string, input: ActionInput][]
  outputs: [name: string, description: string][]
}

/**
 * The regions this script owns, each between `<!-- NAME:start -->` and `<!-- NAME:end -->`, and the
 * page that holds each (named in errors).
 */
const REGION_PAGES = {
  inputs: 'docs/inputs.md',
  outputs: 'docs/inputs.md',
  'config-keys': 'docs/configuration-file.md'
} as const

type RegionName = keyof typeof REGION_PAGES

const INPUTS_DOC = new URL('../docs/inputs.md', import.meta.url)
const ACTION_YML = new URL('../action.yml', import.meta.url)
const CONFIG_DOC = new URL('../docs/configuration-file.md', import.meta.url)
const CONFIG_SCHEMA = new URL('../config.schema.json', import.meta.url)

/**
 * docs/inputs.md with its generated regions rewritten from action.yml; everything outside the
 * markers is kept byte for byte. Pure: the same texts always give the same result.
 * @throws Error when action.yml lacks what the tables need, or a region's markers are missing
 */
export function renderInputsDoc(actionYmlText: string, docText: string): string {
  const action = readActionMetadata(actionYmlText)
  const withInputs = replaceRegion(docText, 'inputs', inputsTable(action))
  return replaceRegion(withInputs, 'outputs', outputsTable(action))
}

/** The configuration file's page with its key table rewritten from the key table of the code. */
export function renderConfigDoc(docText: string): string {
  return replaceRegion(docText, 'config-keys', configKeysTable(), 'src/config/file/keys.ts')
}

/** Every key of a credential, with its flat input and how it is written. */
export function configKeysTable(): string {
  const how = (key: FileKey): string =>
    key.type === 'secret'
      ? '`{ env: NAME }`'
      : key.type === 'list'
        ? 'list'
        : key.type === 'flag'
          ? 'true or false'
          : key.type === 'count'
            ? 'number'
            : key.values
              ? key.values.map(v => code(v)).join(', ')
              : 'text'
  const flat = flatTargetOf(REGISTRY)?.key ?? ''
  const rows = [
    ...CREDENTIAL_KEYS.map(key => [
      code(key.group === '' ? key.key : `${key.group}.${key.key}`),
      key.input ? code(key.input) : '',
      how(key),
      providerOf(key)
    ]),
    ...FLAT_TARGET_KEYS.map(key => [
      code(`publish[].${flat}.${key.key}`),
      key.input
        ? code(key.input === 'secret-fields' ? 'secret-fields (NAME=field)' : key.input)
        : '',
      how(key),
      flat
    ]),
    [code('schedule.windows[].cron'), '', 'cron, five fields, UTC', ''],
    [code('schedule.windows[].duration'), '', 'duration', ''],
    [code('alerts.webhook.url'), '', '`{ env: NAME }`', ''],
    [code('alerts.webhook.secret'), '', '`{ env: NAME }`', '']
  ]
  const runWide = RUN_WIDE_INPUTS.map(name => code(name)).join(', ')
  return `${table(['Key in a credential', 'Flat input', 'Value', 'Provider'], rows)}

Run-wide inputs, set next to \`config\` and not in the file: ${runWide}.`
}

/** config.schema.json: the file's JSON Schema, for editors. */
export function renderConfigSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`
}

/** Inputs as a Markdown table, in action.yml's order. */
export function inputsTable(action: ActionMetadata): string {
  const rows = action.inputs.map(([name, input]) => [
    code(name),
    cell(input.description),
    input.required ? 'yes' : 'no',
    input.default === undefined || input.default === '' ? '' : code(input.default)
  ])
  return table(['Input', 'Description', 'Required', 'Default'], rows)
}

/** Outputs as a Markdown table, in action.yml's order. */
export function outputsTable(action: ActionMetadata): string {
  const rows = action.outputs.map(([name, description]) => [code(name), cell(description)])
  return table(['Output', 'Description'], rows)
}

/**
 * Text made safe for one table cell: line breaks folded into spaces (a cell is one line) and `|`
 * escaped (it would end the cell; GitHub's Markdown unescapes `\|` even inside code spans).
 */
export function cell(text: string): string {
  return text
    .trim()
    .replace(/\s*\r?\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
}

/**
 * Replaces what lies between a region's two markers. The generated text is fenced with
 * prettier-ignore comments, so `prettier --write` keeps it exactly as generated.
 */
export function replaceRegion(
  text: string,
  region: RegionName,
  content: string,
  from: string = 'action.yml'
): string {
  const start = `<!-- ${region}:start -->`
  const end = `<!-- ${region}:end -->`
  const at = text.indexOf(start)
  const to = text.indexOf(end)
  const page = REGION_PAGES[region]
  if (at === -1 || to === -1 || to < at) {
    throw new Error(
      `${page} needs the markers ${start} and ${end}, in that order, around the ${region} table.`
    )
  }
  if (text.indexOf(start, at + 1) !== -1 || text.indexOf(end, to + 1) !== -1) {
    throw new Error(`${page} has the markers of the ${region} table more than once.`)
  }
  const body = [
    '<!-- prettier-ignore-start -->',
    `<!-- Generated from ${from} by \`npm run docs\`: edit ${from}, not this table. -->`,
    '',
    content,
    '',
    '<!-- prettier-ignore-end -->'
  ].join('\n')
  return `${text.slice(0, at + start.length)}\n${body}\n${text.slice(to)}`
}

/** Reads the inputs and outputs of action.yml, checking each has what a table row needs. */
export function readActionMetadata(actionYmlText: string): ActionMetadata {
  const doc: unknown = parse(actionYmlText)
  if (!isRecord(doc)) throw new Error('action.yml: expected a mapping at the top level.')
  const inputs = Object.entries(section(doc, 'inputs')).map(
    ([name, raw]): [string, ActionInput] => {
      const entry = entryOf('inputs', name, raw)
      const required = entry.required ?? false
      if (typeof required !== 'boolean' && required !== 'true' && required !== 'false') {
        throw new Error(`action.yml: inputs.${name}.required must be true or false.`)
      }
      const input: ActionInput = {
        description: descriptionOf('inputs', name, entry),
        required: required === true || required === 'true'
      }
      if (entry.default !== undefined && entry.default !== null) {
        input.default = scalarText('inputs', name, entry.default)
      }
      return [name, input]
    }
  )
  const outputs = Object.entries(section(doc, 'outputs')).map(([name, raw]): [string, string] => [
    name,
    descriptionOf('outputs', name, entryOf('outputs', name, raw))
  ])
  return { inputs, outputs }
}

function section(doc: Record<string, unknown>, key: 'inputs' | 'outputs'): Record<string, unknown> {
  const value = doc[key] ?? {}
  if (!isRecord(value)) throw new Error(`action.yml: ${key} must be a mapping.`)
  return value
}

function entryOf(key: string, name: string, raw: unknown): Record<string, unknown> {
  if (!isRecord(raw)) throw new Error(`action.yml: ${key}.${name} must be a mapping.`)
  return raw
}

function descriptionOf(key: string, name: string, entry: Record<string, unknown>): string {
  const description = entry.description
  if (typeof description !== 'string' || description.trim() === '') {
    throw new Error(`action.yml: ${key}.${name} needs a description for docs/inputs.md.`)
  }
  return description
}

function scalarText(key: string, name: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw new Error(`action.yml: ${key}.${name}.default must be a string, number or boolean.`)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A code span that survives backticks in its text and pipes in a table. */
function code(text: string): string {
  const runs = text.match(/`+/g) ?? []
  const fence = '`'.repeat(Math.max(0, ...runs.map(run => run.length)) + 1)
  const padded = fence.length > 1 ? ` ${text} ` : text
  return cell(`${fence}${padded}${fence}`)
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`.replace(/ +\|/g, ' |')
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/** The command line: rewrite the generated files, or with `--check` only compare. Exit code. */
function main(args: string[]): number {
  const unknown = args.filter(arg => arg !== '--check')
  if (unknown.length > 0) {
    console.error(
      `generate-docs: unknown argument ${unknown.join(' ')}; usage: generate-docs [--check]`
    )
    return 2
  }
  const check = args.includes('--check')
  const actionYml = readFileSync(ACTION_YML, 'utf8')
  const generated: [URL, (current: string) => string][] = [
    [INPUTS_DOC, current => renderInputsDoc(actionYml, current)],
    [CONFIG_DOC, renderConfigDoc],
    [CONFIG_SCHEMA, () => renderConfigSchema()]
  ]
  let stale = 0
  for (const [file, render] of generated) {
    const current = readOrEmpty(file)
    const expected = render(current)
    const name = fileURLToPath(file)
    if (expected === current) continue
    if (check) {
      console.error(`${name} is out of date (${firstDifference(current, expected)}).`)
      stale += 1
      continue
    }
    writeFileSync(file, expected)
    console.log(`Updated ${name}.`)
  }
  if (stale > 0) {
    console.error('Run `npm run docs` and commit the files it writes.')
    return 1
  }
  if (check) console.log('The generated documentation matches its sources.')
  return 0
}

function readOrEmpty(file: URL): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n')
  const e = expected.split('\n')
  let line = 0
  while (line < a.length && line < e.length && a[line] === e[line]) line++
  return `first difference at line ${line + 1}`
}

function isMainModule(): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href
  } catch {
    return false
  }
}

if (isMainModule()) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (error) {
    console.error(`generate-docs: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  }
}
