// Bundles the action into ES modules for Node, as the runner loads them.
import commonjs from '@rollup/plugin-commonjs'
import json from '@rollup/plugin-json'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import typescript from '@rollup/plugin-typescript'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

const METADATA = 'token-rotation:metadata'

/**
 * The module `token-rotation:metadata` (typed in src/cli/metadata.d.ts): package.json's version and
 * action.yml's input descriptions, read here at build time, so the CLI's `--version` and `--help`
 * read nothing at run time and action.yml stays the one source of what each input means.
 */
function cliMetadata() {
  return {
    name: 'cli-metadata',
    resolveId: source => (source === METADATA ? `\0${METADATA}` : null),
    load(id) {
      if (id !== `\0${METADATA}`) return null
      this.addWatchFile('package.json')
      this.addWatchFile('action.yml')
      const { version } = JSON.parse(readFileSync('package.json', 'utf8'))
      const { inputs } = parse(readFileSync('action.yml', 'utf8'))
      const descriptions = Object.fromEntries(
        Object.entries(inputs).map(([name, input]) => [name, input.description])
      )
      return [
        `export const version = ${JSON.stringify(version)}`,
        `export const inputDescriptions = ${JSON.stringify(descriptions)}`
      ].join('\n')
    }
  }
}

const plugins = () => [
  cliMetadata(),
  typescript({ tsconfig: './tsconfig.build.json' }),
  nodeResolve({ preferBuiltins: true, exportConditions: ['node', 'import', 'default'] }),
  commonjs(),
  json()
]

const onwarn = (warning, warn) => {
  // Dependencies use `this` at top level (@actions/core's helpers), import in cycles, and place
  // /* @__PURE__ */ comments where Rollup cannot use them (zod): all harmless in the bundle, and
  // they would drown the warnings that matter.
  const harmless = ['THIS_IS_UNDEFINED', 'CIRCULAR_DEPENDENCY', 'INVALID_ANNOTATION']
  if (!harmless.includes(warning.code)) warn(warning)
}

// @actions/core imports @actions/http-client (and with it undici and tunnel) for getIDToken, and
// @actions/exec for its platform details; the action uses neither. Their modules have no effect
// a run needs when nothing of theirs is called, so they are left out of the bundle unless used.
const unusedUnlessCalled = /node_modules\/(@actions\/(http-client|exec|io)|tunnel)\//

export default {
  // The action as the runner loads it (`runs.main: dist/index.js`), and the same engine as a
  // command for other CI systems. Code both use is one shared chunk; the AWS SDK is a chunk of its
  // own, loaded only by a run that names a Secrets Manager secret.
  input: { index: 'src/index.ts', cli: 'src/cli.ts' },
  output: {
    dir: 'dist',
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    banner: chunk => (chunk.isEntry && chunk.name === 'cli' ? '#!/usr/bin/env node' : '')
  },
  plugins: plugins(),
  treeshake: { moduleSideEffects: id => !unusedUnlessCalled.test(id) },
  onwarn
}
