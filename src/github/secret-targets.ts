import type { Targets } from '../engine/ports.js'
import type { SecretPublisher } from './publisher.js'
import type { SecretTarget } from './targets.js'

/** The engine's Targets port over the publisher: the same targets for every write of the run. */
export function secretTargets(
  publisher: SecretPublisher,
  targets: readonly SecretTarget[]
): Targets {
  return {
    preflight: () => publisher.preflight(targets),
    publish: value => publisher.publish(targets, value)
  }
}
