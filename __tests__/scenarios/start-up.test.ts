// What `node dist/index.js` loads before run() begins: the entry and the chunks it imports
// statically. libsodium, undici and zod are not among them; they load when a run needs them.
import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { DIST_INDEX } from '../../test-servers/action-runner.js'

/** The files Node loads for `file` before any of its code runs: its static imports, recursively. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen
  seen.add(file)
  const code = readFileSync(file, 'utf8')
  // `import … from './x.js'` and `import './x.js'`; `import('./x.js')` is a dynamic import.
  for (const match of code.matchAll(
    /^import\s+(?:[^'"()]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm
  )) {
    staticClosure(join(dirname(file), match[1] ?? ''), seen)
  }
  return seen
}

/** A string each library's own code holds, and no code of ours. */
const LIBRARIES = {
  libsodium: '_sodium_init',
  undici: 'undici.globalDispatcher',
  zod: 'ZodError'
}

describe('the start-up of dist/index.js', () => {
  it('loads neither libsodium, undici nor zod before run() begins', () => {
    const files = [...staticClosure(DIST_INDEX)]
    const loaded = Object.entries(LIBRARIES)
      .filter(([, marker]) => files.some(file => readFileSync(file, 'utf8').includes(marker)))
      .map(([name]) => name)
    expect(loaded).toEqual([])
  })

  it('still bundles each of them, in a chunk loaded later', () => {
    const chunks = join(dirname(DIST_INDEX), 'chunks')
    const all = readdirSync(chunks)
      .map(name => readFileSync(join(chunks, name), 'utf8'))
      .join('\n')
    for (const marker of Object.values(LIBRARIES)) expect(all).toContain(marker)
  })
})
