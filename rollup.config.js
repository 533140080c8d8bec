// Bundles the action into one ES module, as the runner loads it: `runs.main: dist/index.js`.
import commonjs from '@rollup/plugin-commonjs'
import json from '@rollup/plugin-json'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import typescript from '@rollup/plugin-typescript'

const plugins = () => [
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

export default [
  {
    // The action, as the runner loads it.
    input: 'src/index.ts',
    output: { file: 'dist/index.js', format: 'es', inlineDynamicImports: true },
    plugins: plugins(),
    onwarn
  },
  {
    // The same engine as a command for other CI systems.
    input: 'src/cli.ts',
    output: {
      file: 'dist/cli.js',
      format: 'es',
      inlineDynamicImports: true,
      banner: '#!/usr/bin/env node'
    },
    plugins: plugins(),
    onwarn
  }
]
