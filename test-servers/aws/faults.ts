/**
 * Fault injection: each request is checked against the faults in the order they were added,
 * before the server processes it. `delay` faults stack; the first fault that answers or drops wins
 * and hides the request from the faults after it. A fault that does not match leaves the request
 * alone and is not used up.
 */
import type { Fault, FaultHandle, FaultInjector } from './types.js'

interface FaultState {
  readonly fault: Fault
  hits: number
}

/** What the faults decided for one request. */
export interface FaultDecision {
  delayMs: number
  /** The fault that answers or drops instead of the normal processing, if any. */
  terminal: Fault | undefined
}

/** How a request is matched: its operation and the secret it names (by name, resolved). */
export interface FaultTarget {
  operation: string
  /** The secret's name when the request names a known secret, else the id as sent. */
  secretName: string | undefined
  /** The id as sent (a name or an ARN). */
  secretId: string | undefined
}

function check(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(value >= min)) {
    throw new Error(`fault ${name} must be a number >= ${min}, got ${String(value)}`)
  }
}

/** The server's fault list. */
export class FaultRegistry implements FaultInjector {
  #states: FaultState[] = []

  add(fault: Fault): FaultHandle {
    check('times', fault.times, 0)
    check('delayMs', fault.delayMs, 0)
    check('status', fault.status, 400)
    if (fault.kind === 'delay' && fault.delayMs === undefined) {
      throw new Error('a delay fault needs delayMs')
    }
    const state: FaultState = { fault: { ...fault }, hits: 0 }
    this.#states.push(state)
    return {
      remove: (): void => {
        this.#states = this.#states.filter(candidate => candidate !== state)
      },
      get hits(): number {
        return state.hits
      }
    }
  }

  clear(): void {
    this.#states = []
  }

  /** Decides the faults of one request and counts their hits. */
  evaluate(target: FaultTarget): FaultDecision {
    const decision: FaultDecision = { delayMs: 0, terminal: undefined }
    for (const state of this.#states) {
      const { fault } = state
      if (fault.operation !== undefined && fault.operation !== target.operation) continue
      if (
        fault.secretId !== undefined &&
        fault.secretId !== target.secretName &&
        fault.secretId !== target.secretId
      ) {
        continue
      }
      if (state.hits >= (fault.times ?? 1)) continue
      state.hits += 1
      if (fault.kind === 'delay') {
        decision.delayMs += fault.delayMs ?? 0
        continue
      }
      decision.terminal = fault
      break
    }
    return decision
  }
}
