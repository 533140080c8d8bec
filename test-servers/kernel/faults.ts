/**
 * Fault rules: each request is checked against the rules in the order they were added, before
 * the server handles it. Rules that only add latency, headers or a hold stack; the first rule
 * that answers or drops wins and hides the request from the rules after it. A rule that does not
 * match is not used up.
 */

/** What a rule's predicate sees of a request. */
export interface FaultRequest {
  readonly method: string
  /** Pathname as received, without the query. */
  readonly path: string
  readonly query: URLSearchParams
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>
  /** The parsed JSON body (raw text when not JSON; undefined when empty). */
  readonly body: unknown
}

/**
 * One fault. Without `status`, `body` or `drop` it only adds delay, headers or a hold to the
 * normal answer and lets later rules apply too; otherwise it answers instead of the server.
 */
export interface FaultRule {
  /** Default: any method. */
  method?: string
  /** A string is an exact pathname (no query); default any path. */
  path?: string | RegExp
  /** Further condition on the request (its body, a header...). */
  when?: (request: FaultRequest) => boolean
  /** How many matching requests it applies to (default Infinity). */
  times?: number
  /** Let this many matching requests through first (default 0). */
  skip?: number
  /** Answer with this status (default body: the server's own error shape for it)... */
  status?: number
  /** ...this JSON body... */
  body?: unknown
  /** ...and these extra headers (also added to a normal answer by a non-answering rule). */
  headers?: Record<string, string>
  /**
   * Destroy the socket without answering: `before` = the request is never handled; `after` = it
   * is handled (a write really happens) and then the answer is lost.
   */
  drop?: 'before' | 'after'
  /** Extra latency before the request is handled, in real ms; stacks across rules. */
  delayMs?: number
  /** Holds the request, unhandled, until this settles: lands a request exactly when a test says. */
  holdUntil?: Promise<unknown>
}

/** A rule once added. */
export interface FaultHandle {
  remove(): void
  /** Requests this rule applied to (skipped ones not counted). */
  readonly hits: number
}

/** What the rules decided for one request. */
export interface FaultDecision {
  delayMs: number
  holds: Promise<unknown>[]
  /** Lower-cased names; added to whatever answer is sent. */
  headers: Record<string, string>
  /** The rule that answers or drops instead of the server, if any. */
  terminal: FaultRule | undefined
}

interface RuleState {
  readonly rule: FaultRule
  /** A private copy: a `g` or `y` flag would make `test` stateful across requests. */
  readonly pattern: RegExp | undefined
  seen: number
  hits: number
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0)) {
    throw new Error(`fault ${name} must be a number >= 0, got ${String(value)}`)
  }
}

function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const lowered: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) lowered[name.toLowerCase()] = value
  return lowered
}

/** Whether a rule answers (or drops) instead of the server. */
export function isTerminal(rule: FaultRule): boolean {
  return rule.status !== undefined || rule.body !== undefined || rule.drop !== undefined
}

/** A server's fault rules. */
export class FaultRules {
  #states: RuleState[] = []

  /** Adds a rule; rules are matched in the order added. */
  add(rule: FaultRule): FaultHandle {
    checkCount('times', rule.times)
    checkCount('skip', rule.skip)
    checkCount('delayMs', rule.delayMs)
    if (rule.status !== undefined && !(rule.status >= 100 && rule.status <= 599)) {
      throw new Error(`fault status must be an HTTP status, got ${rule.status}`)
    }
    if (typeof rule.path === 'string' && rule.path.includes('?')) {
      throw new Error(`fault path '${rule.path}' must be a pathname without a query`)
    }
    const state: RuleState = {
      rule: { ...rule, headers: lowerCaseKeys(rule.headers) },
      pattern:
        rule.path instanceof RegExp
          ? new RegExp(rule.path.source, rule.path.flags.replace(/[gy]/g, ''))
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
  evaluate(request: FaultRequest): FaultDecision {
    const decision: FaultDecision = { delayMs: 0, holds: [], headers: {}, terminal: undefined }
    for (const state of this.#states) {
      const { rule } = state
      if (rule.method !== undefined && rule.method.toUpperCase() !== request.method) continue
      if (typeof rule.path === 'string' && rule.path !== request.path) continue
      if (state.pattern !== undefined && !state.pattern.test(request.path)) continue
      if (rule.when !== undefined && !rule.when(request)) continue
      state.seen += 1
      if (state.seen <= (rule.skip ?? 0)) continue
      if (state.hits >= (rule.times ?? Infinity)) continue
      state.hits += 1
      decision.delayMs += rule.delayMs ?? 0
      if (rule.holdUntil !== undefined) decision.holds.push(rule.holdUntil)
      Object.assign(decision.headers, rule.headers)
      if (isTerminal(rule)) {
        decision.terminal = rule
        break
      }
    }
    return decision
  }
}
