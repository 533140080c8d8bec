// The action's entry: the only module with side effects. run() wires the real collaborators
// itself (the same call @github/local-action makes); everything else is a pure import.
import * as core from '@actions/core'
import { describeError } from './errors.js'
import { run } from './main.js'

try {
  await run()
} catch (error) {
  // run() reports its own failures; this is the last guard, so nothing can exit green or bare.
  core.setFailed(`token-rotation-action stopped unexpectedly: ${describeError(error)}`)
}
