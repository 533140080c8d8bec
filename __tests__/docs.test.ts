import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { renderDocs } from '../scripts/generate-docs.js'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

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

const README = [
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

describe('README.md', () => {
  it('is exactly what `npm run docs` makes of action.yml', () => {
    const readme = read('../README.md')
    expect(renderDocs(read('../action.yml'), readme)).toBe(readme)
  })
})

describe('renderDocs', () => {
  const rendered = renderDocs(ACTION_YML, README)

  it('replaces what lies between the markers and keeps everything else', () => {
    expect(rendered).not.toContain('an old inputs table')
    expect(rendered).toContain('| `second` | Line one. Line two. | no | `10` |\n')
    for (const prose of ['# Example', 'Prose before.', 'Prose between.', 'Prose after.']) {
      expect(rendered).toContain(prose)
    }
    const outside = (text: string) =>
      text.replace(/<!-- (inputs|outputs):start -->[\s\S]*?<!-- \1:end -->/g, '')
    expect(outside(rendered)).toBe(outside(README))
  })

  it('escapes pipes and folds line breaks, so each row stays one table row', () => {
    expect(rendered).toContain('| `first` | Joins a \\| b, and keeps `c\\|d` in code. | yes | |\n')
    expect(rendered).toContain('| `done` | Whether \\| it worked. |\n')
  })

  it('gives the same README when run twice', () => {
    expect(renderDocs(ACTION_YML, rendered)).toBe(rendered)
  })

  it('refuses a README without the markers, naming them', () => {
    expect(() => renderDocs(ACTION_YML, '# No markers\n')).toThrow('<!-- inputs:start -->')
  })

  it('refuses an input without a description', () => {
    const bare = 'inputs:\n  first:\n    required: true\n'
    expect(() => renderDocs(bare, README)).toThrow('inputs.first needs a description')
  })
})
