import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderConfigDoc, renderConfigSchema, renderInputsDoc } from '../scripts/generate-docs.js'
import { loadConfigFile } from '../src/config/file/load.js'
import { INPUT_DEFAULTS } from '../src/config/inputs.js'
import { parseActionConfig } from '../src/config/rotation-config.js'
import { ConfigError, ConfigFileError } from '../src/errors.js'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')
const ROOT = fileURLToPath(new URL('..', import.meta.url))

const ACTION_YML = `
name: Example
inputs:
  first:
    description: >-
      Joins a | b, and keeps \`c|d\` in code.
    required: true
  second:
    description: |
      Line one.
      Line two.
    default: '10'
outputs:
  done:
    description: Whether | it worked.
`

const PAGE = [
  '# Example',
  '',
  'Prose before.',
  '',
  '<!-- inputs:start -->',
  'an old inputs table',
  '<!-- inputs:end -->',
  '',
  'Prose between.',
  '',
  '<!-- outputs:start -->',
  '<!-- outputs:end -->',
  '',
  'Prose after.',
  ''
].join('\n')

describe('the generated documentation', () => {
  it('docs/inputs.md is exactly what `npm run docs` makes of action.yml', () => {
    const page = read('../docs/inputs.md')
    expect(renderInputsDoc(read('../action.yml'), page)).toBe(page)
  })

  it('docs/configuration-file.md is exactly what `npm run docs` makes of the key table', () => {
    const page = read('../docs/configuration-file.md')
    expect(renderConfigDoc(page)).toBe(page)
  })

  it('config.schema.json is exactly what `npm run docs` makes of the schema', () => {
    expect(renderConfigSchema()).toBe(read('../config.schema.json'))
  })

  it('the README links to the tables instead of holding them', () => {
    const readme = read('../README.md')
    expect(readme).not.toMatch(/<!-- (inputs|outputs|config-keys):start -->/)
    expect(readme).toContain('](docs/inputs.md)')
  })
})

describe('renderInputsDoc', () => {
  const rendered = renderInputsDoc(ACTION_YML, PAGE)

  it('replaces what lies between the markers and keeps everything else', () => {
    expect(rendered).not.toContain('an old inputs table')
    expect(rendered).toContain('| `second` | Line one. Line two. | no | `10` |\n')
    for (const prose of ['# Example', 'Prose before.', 'Prose between.', 'Prose after.']) {
      expect(rendered).toContain(prose)
    }
    const outside = (text: string) =>
      text.replace(/<!-- (inputs|outputs):start -->[\s\S]*?<!-- \1:end -->/g, '')
    expect(outside(rendered)).toBe(outside(PAGE))
  })

  it('escapes pipes and folds line breaks, so each row stays one table row', () => {
    expect(rendered).toContain('| `first` | Joins a \\| b, and keeps `c\\|d` in code. | yes | |\n')
    expect(rendered).toContain('| `done` | Whether \\| it worked. |\n')
  })

  it('gives the same page when run twice', () => {
    expect(renderInputsDoc(ACTION_YML, rendered)).toBe(rendered)
  })

  it('refuses a page without the markers, naming the page and the markers', () => {
    expect(() => renderInputsDoc(ACTION_YML, '# No markers\n')).toThrow(
      'docs/inputs.md needs the markers <!-- inputs:start -->'
    )
  })

  it('refuses an input without a description', () => {
    const bare = 'inputs:\n  first:\n    required: true\n'
    expect(() => renderInputsDoc(bare, PAGE)).toThrow('inputs.first needs a description')
  })
})

/** The Markdown pages a reader follows links through: the README, the changelog and docs/. */
function pages(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap(entry => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return walk(path)
      return entry.name.endsWith('.md') ? [path] : []
    })
  return ['README.md', 'CHANGELOG.md', ...walk('docs')]
}

/** The text a reader sees: fenced blocks and code spans hold no links. */
function prose(markdown: string): string {
  return markdown
    .replace(/^( *)(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\2[^\n]*$/gm, '')
    .replace(/(`+)[\s\S]*?\1/g, '')
}

/** Every inline link and image target of a page, except those that leave the repository. */
function relativeLinks(markdown: string): string[] {
  const links: string[] = []
  const inline = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g
  for (const match of prose(markdown).matchAll(inline)) {
    const target = match[1] ?? ''
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue
    links.push(target)
  }
  return links
}

/**
 * The anchors GitHub gives a page's headings: lower case, punctuation and code marks dropped,
 * spaces turned into hyphens, and `-1`, `-2` added to repeated ones.
 */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  const withoutFences = markdown.replace(/^( *)(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\2[^\n]*$/gm, '')
  for (const match of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const text = (match[1] ?? '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    result.add(count === 0 ? slug : `${slug}-${String(count)}`)
  }
  return result
}

/** What is wrong with a link of `page`, or undefined when it leads somewhere. */
function brokenLink(page: string, link: string): string | undefined {
  const [rawPath = '', anchor] = link.split('#', 2)
  const path = decodeURIComponent(rawPath)
  const target = path === '' ? page : normalize(join(dirname(page), path))
  if (target.startsWith(`..${sep}`) || target === '..') return `${link} leaves the repository`
  if (!existsSync(join(ROOT, target))) return `${link}: ${target} does not exist`
  if (anchor === undefined || !target.endsWith('.md')) return undefined
  const known = anchors(readFileSync(join(ROOT, target), 'utf8'))
  return known.has(anchor) ? undefined : `${link}: ${target} has no heading #${anchor}`
}

describe('links between the pages', () => {
  it.each(pages())('every relative link of %s leads to a file and a heading that exist', page => {
    const broken = relativeLinks(readFileSync(join(ROOT, page), 'utf8'))
      .map(link => brokenLink(page, link))
      .filter(problem => problem !== undefined)
    expect(broken).toEqual([])
  })

  it('finds links, and gives anchors as GitHub does', () => {
    const page = [
      '# Roll back (`mode: rollback`)',
      '## Inputs',
      '## Inputs',
      '```md',
      '# Not a heading',
      '[not a link](nowhere.md)',
      '```',
      'See [one](docs/a.md#x), `[code](b.md)`, ![image](c.png) and [web](https://example.com).'
    ].join('\n')
    expect([...anchors(page)]).toEqual(['roll-back-mode-rollback', 'inputs', 'inputs-1'])
    expect(relativeLinks(page)).toEqual(['docs/a.md#x', 'c.png'])
    expect(brokenLink('README.md', 'docs/missing.md')).toBe(
      'docs/missing.md: docs/missing.md does not exist'
    )
    expect(brokenLink('docs/README.md', '../README.md#no-such-heading')).toBe(
      '../README.md#no-such-heading: README.md has no heading #no-such-heading'
    )
  })
})

/** The configuration files a page shows: fenced yaml blocks with `version: 1` and `credentials:`. */
function configFiles(page: string, markdown: string): { name: string; text: string }[] {
  const files: { name: string; text: string }[] = []
  const fence = /^( *)```ya?ml\n([\s\S]*?)^\1```/gm
  for (const match of markdown.matchAll(fence)) {
    const text = match[2] ?? ''
    if (!/^version: 1$/m.test(text) || !/^credentials:/m.test(text)) continue
    const line = markdown.slice(0, match.index).split('\n').length + 1
    files.push({ name: `${page}:${String(line)}`, text })
  }
  return files
}

/**
 * What the action says of a configuration file before its first request: the file itself, then
 * each credential as the flat inputs it stands for. Every `{ env: NAME }` is given a value.
 */
function configProblems(name: string, text: string): string[] {
  const env = new Proxy<Record<string, string>>({}, { get: (_, key) => `value-of-${String(key)}` })
  try {
    const file = loadConfigFile(text, name, env)
    return file.credentials.flatMap(credential => {
      try {
        parseActionConfig(
          { ...INPUT_DEFAULTS, 'github-token': 'writer-token', ...credential.inputs },
          { repository: 'acme/ops', apiUrl: 'https://api.github.com' },
          credential.file
        )
        return []
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error
        return error.problems.map(p => `${name}: ${credential.id}: ${p.input}: ${p.message}`)
      }
    })
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error
    return [error.message]
  }
}

describe('configuration files shown in the docs', () => {
  const shown = pages().flatMap(page => configFiles(page, readFileSync(join(ROOT, page), 'utf8')))

  it('finds the README’s and the configuration file page’s', () => {
    const names = shown.map(file => file.name.split(':')[0])
    expect(names).toEqual(expect.arrayContaining(['README.md', 'docs/configuration-file.md']))
  })

  it.each(shown.map(file => [file.name, file.text] as const))(
    'the file at %s is one the action accepts',
    (name, text) => {
      expect(configProblems(name, text)).toEqual([])
    }
  )

  it('can fail: a key the file does not have, a credential its flat inputs refuse', () => {
    const file = (issuer: string) =>
      [
        'version: 1',
        'credentials:',
        '  api:',
        `    issuer: ${issuer}`,
        '    publish:',
        '      - github: { secret: API_TOKEN }'
      ].join('\n')
    expect(configProblems('bad.yml', file('{ kind: none, valeu: { env: X } }'))).not.toEqual([])
    expect(configProblems('bad.yml', file('{ kind: oauth2 }'))).not.toEqual([])
  })
})
