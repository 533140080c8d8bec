// The action's entry: the only module with side effects. It wires the real collaborators into
// run(); everything else is a pure import.
import * as core from '@actions/core'
import { coreDeps } from './action/core-deps.js'
import { describeError } from './errors.js'
import { run } from './main.js'

try {
  await run(coreDeps(process.env))
} catch (error) {
  // run() reports its own failures; this is the last guard, so nothing can exit green or bare.
  core.setFailed(`token-rotation-action stopped unexpectedly: ${describeError(error)}`)
}
