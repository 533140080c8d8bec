/**
 * Fault injection: each request is checked against the faults in the order they were added,
 * before the server handles it. Faults that only add delay or headers stack; the first fault that
 * answers (or drops) wins and hides the request from the faults after it.
 */
import type { Fault, FaultHandle, FaultInjector } from './types.js'

interface FaultState {
  readonly fault: Fault
  /** A private copy: a `g` or `y` flag would make `test` stateful across requests. */
  readonly pattern: RegExp | undefined
  /** Matching requests seen, counting the skipped ones. */
  seen: number
  hits: number
}

/** What the faults decided for one request. */
export interface FaultDecision {
  delayMs: number
  /** What the request waits for before it is handled (faults' `holdUntil`). */
  holds: Promise<unknown>[]
  /** Lower-cased names; added to whatever answer is sent. */
  headers: Record<string, string>
  /** The fault that answers or drops instead of the normal handler, if any. */
  terminal: Fault | undefined
}

function isTerminal(fault: Fault): boolean {
  return (
    fault.status !== undefined ||
    fault.body !== undefined ||
    fault.drop !== undefined ||
    fault.secondaryRateLimit === true
  )
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0)) {
    throw new Error(`fault ${name} must be a number >= 0, got ${String(value)}`)
  }
}

/** Lower-cases header names so a fault's header replaces the server's instead of doubling it. */
function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const lowered: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) lowered[name.toLowerCase()] = value
  return lowered
}

/** The server's fault list. */
export class FaultRegistry implements FaultInjector {
  #states: FaultState[] = []

  add(fault: Fault): FaultHandle {
    checkCount('times', fault.times)
    checkCount('skip', fault.skip)
    checkCount('delayMs', fault.delayMs)
    if (typeof fault.path === 'string' && fault.path.includes('?')) {
      throw new Error(`fault path '${fault.path}' must be a pathname without a query`)
    }
    const state: FaultState = {
      fault: { ...fault, headers: lowerCaseKeys(fault.headers) },
      pattern:
        fault.path instanceof RegExp
          ? new RegExp(fault.path.source, fault.path.flags.replace(/[gy]/g, ''))
          : undefined,
      seen: 0,
      hits: 0
    }
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
  evaluate(method: string, pathname: string): FaultDecision {
    const decision: FaultDecision = { delayMs: 0, holds: [], headers: {}, terminal: undefined }
    for (const state of this.#states) {
      const { fault } = state
      if (fault.method !== undefined && fault.method.toUpperCase() !== method) continue
      if (typeof fault.path === 'string' && fault.path !== pathname) continue
      if (state.pattern !== undefined && !state.pattern.test(pathname)) continue
      state.seen += 1
      if (state.seen <= (fault.skip ?? 0)) continue
      if (state.hits >= (fault.times ?? Infinity)) continue
      state.hits += 1
      decision.delayMs += fault.delayMs ?? 0
      if (fault.holdUntil !== undefined) decision.holds.push(fault.holdUntil)
      Object.assign(decision.headers, fault.headers)
      if (isTerminal(fault)) {
        decision.terminal = fault
        break
      }
    }
    return decision
  }
}
