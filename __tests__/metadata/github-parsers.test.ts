// GitHub's own parsers over every action and workflow this repository ships or shows: the action
// metadata as the runner loads it (expressions in it are evaluated, so `${{ secrets.X }}` in a
// description stops every workflow at "Set up job"), the workflows in .github/workflows and
// examples/, and the workflows in README.md and docs/ (with its subfolders). Reading action.yml as plain YAML (as
// __tests__/config/action-yml.test.ts does) cannot see any of this.
import { beforeEach, describe, expect, it } from '@jest/globals'
import { validate, type ValidationConfig } from '@actions/languageservice'
import type { ActionMetadata, ActionReference } from '@actions/languageservice/action'
import { clearCache } from '@actions/languageservice/utils/workflow-cache'
import {
  convertWorkflowTemplate,
  isMapping,
  isString,
  NoOperationTraceWriter,
  parseWorkflow
} from '@actions/workflow-parser'
import { convertActionTemplate } from '@actions/workflow-parser/actions/action-template'
import { parseAction } from '@actions/workflow-parser/actions/action-parser'
import { ErrorPolicy } from '@actions/workflow-parser/model/convert'
import type { TemplateContext } from '@actions/workflow-parser/templates/template-context'
import { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token'
import type { FileReference } from '@actions/workflow-parser/workflows/file-reference'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TextDocument } from 'vscode-languageserver-textdocument'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** A workflow users call (`uses: OWNER/REPO/.github/workflows/rotate-reusable.yml@ref`). */
const REUSABLE = '.github/workflows/rotate-reusable.yml'
/** The one that rotates every credential of a configuration file over a matrix. */
const FLEET = '.github/workflows/rotate-fleet.yml'
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'coverage', '.sandbox'])

/** One problem a parser found, where a person would look for it. */
type Problem = string

/** A workflow text and where it came from: a file, or a fenced block of a Markdown file. */
interface Source {
  /** `path` or `path:line` of the block's first line, relative to the repository. */
  name: string
  text: string
  /**
   * The line of its file where `text`'s first line is: 1 for a whole file, less when a wrapper put
   * lines before the block.
   */
  offset: number
}

function walk(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    if (SKIPPED_DIRS.has(entry.name)) return []
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return walk(path, keep)
    return keep(path) ? [relative(ROOT, path)] : []
  })
}

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

/** Every action.yml in the repository: the action itself and any sub-action added later. */
const actionFiles = () => walk(ROOT, path => /(^|\/)action\.ya?ml$/.test(path))

/** The workflow files: this repository's own, and the examples users copy. */
function workflowFiles(): string[] {
  return ['.github/workflows', 'examples', 'docs']
    .filter(dir => existsSync(join(ROOT, dir)))
    .flatMap(dir => walk(join(ROOT, dir), path => /\.ya?ml$/.test(path)))
}

/**
 * The workflows a Markdown file shows, as fenced yaml blocks (indented ones too, inside lists): a
 * block with `jobs:` is a workflow (an `on:` is supplied when the block leaves it out), and a
 * block that is a list of steps using this action is checked inside a job made for it.
 */
function markdownWorkflows(name: string, markdown: string): Source[] {
  const sources: Source[] = []
  const fence = /^( *)```ya?ml\n([\s\S]*?)^\1```/gm
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    const indent = match[1] ?? ''
    const body = (match[2] ?? '')
      .split('\n')
      .map(line => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join('\n')
    const line = markdown.slice(0, match.index).split('\n').length + 1
    const where = `${name}:${line}`
    if (/^jobs:/m.test(body)) {
      const text = /^on:/m.test(body) ? body : `${body}\non: workflow_dispatch\n`
      sources.push({ name: where, text, offset: line })
    } else if (/^- uses: \S+token-rotation-action@/m.test(body)) {
      const wrapper = ['on: workflow_dispatch', 'jobs:', '  shown:', '    runs-on: ubuntu-latest']
      const steps = body.split('\n').map(text => `      ${text}`)
      const text = [...wrapper, '    steps:', ...steps].join('\n')
      sources.push({ name: where, text, offset: line - wrapper.length - 1 })
    }
  }
  return sources
}

const markdownFiles = () => [
  'README.md',
  ...(existsSync(join(ROOT, 'docs')) ? walk(join(ROOT, 'docs'), path => path.endsWith('.md')) : [])
]

/** The parse of an action.yml the runner would make, and its errors. */
function loadAction(name: string, text: string) {
  const result = parseAction({ name, content: text }, new NoOperationTraceWriter())
  const template = result.value
    ? convertActionTemplate(result.context, result.value, {
        errorPolicy: ErrorPolicy.TryConversion
      })
    : undefined
  return { template, errors: contextProblems(name, 1, result.context) }
}

function contextProblems(name: string, offset: number, context: TemplateContext): Problem[] {
  return context.errors
    .getErrors()
    .map(error => `${at(name, offset, error.range?.start.line)}: ${error.rawMessage}`)
}

/** `file:line` of a 1-based line of a source's text. */
function at(name: string, offset: number, line: number | undefined): string {
  const file = name.split(':')[0] ?? name
  return line === undefined ? file : `${file}:${offset + line - 1}`
}

/** The inputs of an action.yml, as the language service matches a step's `with:` against them. */
function actionMetadata(text: string, name = 'action.yml'): ActionMetadata {
  const { template } = loadAction(name, text)
  const inputs: NonNullable<ActionMetadata['inputs']> = {}
  for (const input of template?.inputs ?? []) {
    inputs[input.id] = {
      description: input.description ?? '',
      ...(input.required === undefined ? {} : { required: input.required }),
      ...(input.default === undefined ? {} : { default: input.default.toString() })
    }
  }
  return { name: template?.name ?? '', description: template?.description ?? '', inputs }
}

/** The texts the parsers resolve references against; tests substitute a broken one. */
interface Repository {
  /** action.yml path (relative) to its text. */
  actions: Record<string, string>
  /** The reusable workflows (those with `on: workflow_call`), by path, to their text. */
  reusable: Record<string, string>
}

/** This repository's workflows that others call with `uses: OWNER/REPO/<path>@ref`. */
function reusableWorkflows(): Record<string, string> {
  const paths = walk(join(ROOT, '.github/workflows'), path => /\.ya?ml$/.test(path))
  return Object.fromEntries(
    paths
      .map(path => [path, read(path)] as const)
      .filter(([, text]) => /^ {2}workflow_call:/m.test(text))
  )
}

const realRepository = (): Repository => ({
  actions: Object.fromEntries(actionFiles().map(path => [path, read(path)])),
  reusable: reusableWorkflows()
})

/** The action a step's `uses:` names, when it is this repository's: its action.yml path. */
function ownAction(uses: string): string | undefined {
  const local = /^\.\/(.*?)\/?$/.exec(uses)
  if (local) return join(local[1] ?? '', 'action.yml')
  const remote = /^[^/]+\/token-rotation-action(?:\/(.+?))?@/.exec(uses)
  if (remote) return join(remote[1] ?? '', 'action.yml')
  return undefined
}

function validationConfig(repo: Repository): ValidationConfig {
  return {
    actionsMetadataProvider: {
      fetchActionMetadata: (ref: ActionReference) => {
        const path = ownAction(`${ref.owner}/${ref.name}${ref.path ? `/${ref.path}` : ''}@`)
        if (path === undefined) {
          // Another publisher's action: its inputs are not ours to check (no inputs: skipped).
          return Promise.resolve({ name: ref.name, description: '' })
        }
        const text = repo.actions[path]
        return Promise.resolve(text === undefined ? undefined : actionMetadata(text, path))
      }
    },
    fileProvider: {
      getFileContent: (ref: FileReference) => {
        // Any owner and ref: the docs call it as acme/workflows/...@main or OWNER/...@v1.
        const content = repo.reusable[ref.path]
        if (content !== undefined) return Promise.resolve({ name: ref.path, content })
        return Promise.reject(
          new Error(`${ref.path} is not a reusable workflow of this repository`)
        )
      }
    }
  }
}

/**
 * What the language service (the validation behind VS Code's GitHub Actions extension) reports on
 * an action.yml or a workflow: schema, expressions and their contexts, and each step's inputs.
 */
async function languageService(source: Source, repo: Repository): Promise<Problem[]> {
  // The URI decides how it is read: a path ending in action.yml is an action, the rest workflows.
  const uri = `file:///repo/${source.name.replace(/:/g, '/L')}`
  const document = TextDocument.create(uri, 'yaml', 1, source.text)
  const diagnostics = await validate(document, validationConfig(repo))
  return diagnostics.map(diagnostic => {
    const message =
      typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value
    return `${at(source.name, source.offset, diagnostic.range.start.line + 1)}: ${message}`
  })
}

/**
 * What workflow-parser reports on a workflow (parse, then conversion with the reusable workflow
 * fetched, which checks the `with:` a caller passes against its `on.workflow_call.inputs`), and
 * each `with:` key given to this repository's action by a local path (`uses: ./`), which the
 * language service leaves unchecked.
 */
async function workflowParser(source: Source, repo: Repository): Promise<Problem[]> {
  const parsed = parseWorkflow(
    { name: source.name, content: source.text },
    new NoOperationTraceWriter()
  )
  const problems: Problem[] = []
  if (parsed.value) {
    await convertWorkflowTemplate(
      parsed.context,
      parsed.value,
      validationConfig(repo).fileProvider,
      { fetchReusableWorkflowDepth: 1, errorPolicy: ErrorPolicy.TryConversion }
    )
    problems.push(...localActionInputs(source, parsed.value, repo))
  }
  return [...contextProblems(source.name, source.offset, parsed.context), ...problems]
}

function localActionInputs(source: Source, root: TemplateToken, repo: Repository): Problem[] {
  const problems: Problem[] = []
  for (const [, step] of TemplateToken.traverse(root)) {
    if (step.definition?.key !== 'regular-step' || !isMapping(step)) continue
    const uses = step.find('uses')
    if (!uses || !isString(uses) || !uses.value.startsWith('./')) continue
    const path = ownAction(uses.value) ?? ''
    const text = repo.actions[path]
    const where = at(source.name, source.offset, uses.range?.start.line)
    if (text === undefined) {
      problems.push(`${where}: uses: ${uses.value} names no action.yml of this repository`)
      continue
    }
    const inputs = actionMetadata(text, path).inputs ?? {}
    const given = step.find('with')
    const keys = given && isMapping(given) ? [...given].map(pair => pair.key) : []
    for (const key of keys) {
      if (!(key.toString() in inputs)) {
        const line = at(source.name, source.offset, key.range?.start.line)
        problems.push(`${line}: Invalid action input '${key.toString()}' (not in ${path})`)
      }
    }
    const names = new Set(keys.map(key => key.toString()))
    for (const [name, input] of Object.entries(inputs)) {
      if (input.required && input.default === undefined && !names.has(name)) {
        problems.push(`${where}: Missing required input \`${name}\` (${path})`)
      }
    }
  }
  return problems
}

async function workflowProblems(source: Source, repo = realRepository()): Promise<Problem[]> {
  const problems = [
    ...(await workflowParser(source, repo)),
    ...(await languageService(source, repo))
  ]
  return [...new Set(problems)]
}

async function actionProblems(name: string, text: string): Promise<Problem[]> {
  const source = { name, text, offset: 1 }
  const problems = [
    ...loadAction(name, text).errors,
    ...(await languageService(source, realRepository()))
  ]
  return [...new Set(problems)]
}

beforeEach(() => {
  // The language service caches each parse by document URI; every case here starts clean.
  clearCache()
})

describe('action.yml, as the runner loads it', () => {
  it.each(actionFiles())('%s has no error', async path => {
    expect(await actionProblems(path, read(path))).toEqual([])
  })

  it('has a description the Marketplace accepts (1 to 124 characters)', () => {
    const lengths = actionFiles().map(path => {
      const description = loadAction(path, read(path)).template?.description ?? ''
      return { path, length: description.length }
    })
    expect(lengths.filter(({ length }) => length === 0 || length >= 125)).toEqual([])
  })

  it('reports an expression in an input description, as the runner does at "Set up job"', async () => {
    const bad = read('action.yml').replace(
      /^( {2}refresh-token:\n {4}description: >-\n)/m,
      '$1      Pass `${{ secrets.OAUTH_REFRESH_TOKEN }}` here.\n'
    )
    expect(bad).not.toBe(read('action.yml'))
    const problems = await actionProblems('action.yml', bad)
    expect(problems).toContainEqual(
      expect.stringMatching(/^action\.yml:\d+: Unrecognized named-value: 'secrets'$/)
    )
  })
})

describe('workflows', () => {
  const files = workflowFiles()
  const shown = markdownFiles().flatMap(path => markdownWorkflows(path, read(path)))

  it('finds this repository’s workflows, the examples and the workflows the README and docs/ show', () => {
    expect(files).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', REUSABLE, FLEET]))
    expect(Object.keys(realRepository().reusable).sort()).toEqual([FLEET, REUSABLE])
    expect(files.some(path => path.startsWith('examples/'))).toBe(true)
    // The README's three workflows, and the pages that show workflows, in docs/ and its subfolders.
    expect(shown.filter(source => source.name.startsWith('README.md:')).length).toBe(3)
    const pages = new Set(shown.map(source => source.name.split(':')[0]))
    expect([...pages]).toEqual(
      expect.arrayContaining([
        'docs/configuration-file.md',
        'docs/org-scale.md',
        'docs/providers/aws.md',
        'docs/providers/github.md',
        'docs/providers/oauth2.md',
        'docs/providers/static.md'
      ])
    )
  })

  it.each(files)('%s has no error', async path => {
    expect(await workflowProblems({ name: path, text: read(path), offset: 1 })).toEqual([])
  })

  it.each(shown.map(source => [source.name, source] as const))(
    'the workflow at %s has no error',
    async (_name, source) => {
      expect(await workflowProblems(source)).toEqual([])
    }
  )
})

describe('the checks can fail', () => {
  const workflow = (steps: string) =>
    [
      'on: workflow_dispatch',
      'jobs:',
      '  rotate:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      steps
    ].join('\n')

  it('reports a with: key this action does not have, given as OWNER/token-rotation-action@v1', async () => {
    const text = workflow(
      [
        '      - uses: OWNER/token-rotation-action@v1',
        '        with:',
        '          github-token: ${{ secrets.ROTATION_TOKEN }}',
        '          refresh_token: ${{ secrets.OAUTH_REFRESH_TOKEN }}'
      ].join('\n')
    )
    expect(await workflowProblems({ name: 'bad.yml', text, offset: 1 })).toContain(
      "bad.yml:9: Invalid action input 'refresh_token'"
    )
  })

  it('reports a with: key and a missing required input, given to uses: ./', async () => {
    const text = workflow(
      ['      - uses: ./', '        with:', '          secret_name: API_TOKEN'].join('\n')
    )
    expect(await workflowProblems({ name: 'bad.yml', text, offset: 1 })).toEqual(
      expect.arrayContaining([
        "bad.yml:8: Invalid action input 'secret_name' (not in action.yml)",
        'bad.yml:6: Missing required input `github-token` (action.yml)'
      ])
    )
  })

  it('reports an input the reusable workflow does not declare', async () => {
    const text = [
      'on: workflow_dispatch',
      'jobs:',
      '  rotate:',
      `    uses: acme/workflows/${REUSABLE}@main`,
      '    with:',
      '      token-url: https://auth.example.com/oauth/token',
      '      client-id: ci-deployer',
      '      health-check-url: https://api.example.com/v1/me',
      '      client-secret: oops',
      '    secrets: inherit'
    ].join('\n')
    expect(await workflowProblems({ name: 'bad.yml', text, offset: 1 })).toContain(
      'bad.yml:9: Invalid input, client-secret is not defined in the referenced workflow.'
    )
  })

  it('reports an input the fleet workflow does not declare, and a workflow it does not have', async () => {
    const caller = (path: string, input: string) =>
      [
        'on: workflow_dispatch',
        'jobs:',
        '  rotate:',
        `    uses: acme/workflows/${path}@main`,
        '    with:',
        '      config: .github/token-rotation.yml',
        `      ${input}: 3`,
        '    secrets: inherit'
      ].join('\n')
    expect(
      await workflowProblems({ name: 'ok.yml', text: caller(FLEET, 'shards'), offset: 1 })
    ).toEqual([])
    expect(
      await workflowProblems({ name: 'bad.yml', text: caller(FLEET, 'shard-count'), offset: 1 })
    ).toContain('bad.yml:7: Invalid input, shard-count is not defined in the referenced workflow.')
    const missing = '.github/workflows/rotate-everything.yml'
    expect(
      await workflowProblems({ name: 'missing.yml', text: caller(missing, 'shards'), offset: 1 })
    ).toContain('missing.yml:4: Unable to find reusable workflow')
  })

  it('reports an input given to this action that a broken action.yml lacks', async () => {
    const repo = realRepository()
    repo.actions['action.yml'] = (repo.actions['action.yml'] ?? '').replace(
      /^ {2}dry-run:$/m,
      '  dry-run-renamed:'
    )
    const text = workflow(
      [
        '      - uses: ./',
        '        with:',
        '          github-token: x',
        '          dry-run: true'
      ].join('\n')
    )
    expect(await workflowProblems({ name: 'bad.yml', text, offset: 1 }, repo)).toContain(
      "bad.yml:9: Invalid action input 'dry-run' (not in action.yml)"
    )
  })

  it('reports an expression context a workflow key does not allow, at the line in the README', async () => {
    const markdown = [
      '# Title',
      '',
      '```yaml',
      'on: workflow_dispatch',
      'jobs:',
      '  rotate:',
      '    runs-on: ${{ secrets.RUNNER }}',
      '    steps:',
      '      - run: echo',
      '```',
      ''
    ].join('\n')
    const [source] = markdownWorkflows('DOC.md', markdown)
    expect(source).toBeDefined()
    if (!source) return
    expect(await workflowProblems(source)).toContainEqual(
      expect.stringMatching(/^DOC\.md:7: Unrecognized named-value: 'secrets'/)
    )
  })
})
