// The action's entry: the only module with side effects. It wires the real collaborators into
// run() (which, called with no arguments as @github/local-action calls it, wires the same ones);
// everything else is a pure import.
import { coreDeps } from './action/core-deps.js'
import { describeError } from './errors.js'
import { run } from './main.js'

const deps = coreDeps(process.env)
try {
  await run(deps)
} catch (error) {
  // run() reports its own failures; this is the last guard, so nothing can exit green or bare.
  // Through the run's logger: an unforeseen error may quote a secret, or a line break.
  deps.log.error(`token-rotation-action stopped unexpectedly: ${describeError(error)}`)
  deps.markFailed()
}
