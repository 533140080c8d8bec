import { setImmediate as nextTurn } from 'node:timers/promises'

/**
 * Resolves once `condition` holds, checking it again after each turn of the event loop: a test
 * waits for what a peer recorded, never for an amount of time (Jest's timeout bounds the wait).
 */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await nextTurn()
}
