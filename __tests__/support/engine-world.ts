import { expect } from '@jest/globals'
import { fingerprint } from '../../src/engine/fingerprint.js'
import type { RunOutcome, StepName, StepOutcome } from '../../src/engine/outcome.js'
import type { RotationPlan } from '../../src/engine/plan.js'
import { runRotation, type EngineDeps } from '../../src/engine/rotation.js'
import { emptyState, type RotationState } from '../../src/engine/state.js'
import {
  MemoryAudit,
  MemoryClock,
  MemoryHealthCheck,
  MemoryIssuer,
  MemoryRecoveryKey,
  MemoryRetiringSecret,
  MemorySleep,
  MemoryStore,
  MemoryTargets,
  Runner,
  type KillPoint
} from './engine-ports.js'
import { MemoryLogger } from './memory-logger.js'

/**
 * One credential's world for the engine's tests: the issuer with its grant, the store holding the
 * refresh token and the record, the targets holding the published value, the health endpoint, the
 * recovery key and the retiring secret, and a clock. Runs happen in it one after another, each
 * with what the world gives it (the store's secret, the targets' value), like jobs of a workflow.
 */

export const TARGETS = ['acme/app', 'acme/api'] as const
export const LOCK_TTL_MS = 10 * 60 * 1000
export const HOUR = 60 * 60 * 1000

export interface WorldOptions {
  /** The record at the start: `normal` (an earlier rotation made the store's token current). */
  record?: 'none' | 'normal'
  healthCheck?: boolean
  recovery?: boolean
  retiring?: boolean
  store?: boolean
}

/** What a run's plan may override; `undefined` removes an optional field. */
export type PlanChanges = { [K in keyof RotationPlan]?: RotationPlan[K] | undefined }

export interface RunOptions {
  plan?: PlanChanges
  /** Where the run dies (see {@link Runner}). */
  kill?: KillPoint
  /** The inputs are read when the job starts: a plan built earlier, for stale inputs. */
  basePlan?: RotationPlan
}

/** A finished run: what it reported, and what it logged and audited. */
export interface RunResult {
  outcome: RunOutcome
  log: MemoryLogger
  audit: MemoryAudit
  /** The recovery ciphertexts handed to `onRecoveryCiphertext` (the action's output). */
  ciphertextOutputs: string[]
  plan: RotationPlan
}

export class World {
  readonly clock = new MemoryClock()
  readonly sleeper = new MemorySleep(this.clock)
  readonly runner = new Runner()
  readonly issuer = new MemoryIssuer(this.clock, this.runner)
  readonly store: MemoryStore | undefined
  readonly targets: MemoryTargets
  readonly health: MemoryHealthCheck | undefined
  readonly recovery: MemoryRecoveryKey | undefined
  readonly retiring: MemoryRetiringSecret | undefined
  /** The refresh and access tokens of the user's consent. */
  readonly initial: { refreshToken: string; accessToken: string }
  /** Every run's results, for the leak checks. */
  readonly runs: RunResult[] = []
  #runs = 0

  constructor(options: WorldOptions = {}) {
    this.initial = this.issuer.authorize()
    const { refreshToken, accessToken } = this.initial
    this.store =
      options.store === false
        ? undefined
        : new MemoryStore(refreshToken, this.clock, this.sleeper.sleep, this.runner)
    this.targets = new MemoryTargets(TARGETS, accessToken, this.runner)
    this.health =
      options.healthCheck === false ? undefined : new MemoryHealthCheck(this.runner, this.issuer)
    this.recovery = options.recovery === false ? undefined : new MemoryRecoveryKey(this.runner)
    this.retiring = options.retiring === true ? new MemoryRetiringSecret(this.runner) : undefined
    if (this.store && options.record !== 'none') {
      const since = new Date(this.clock.now().getTime() - 30 * 24 * HOUR).toISOString()
      this.store.setRecord({
        ...emptyState(),
        current: { fingerprint: fingerprint(refreshToken), since },
        published: { fingerprint: fingerprint(accessToken), at: since },
        rotatedAt: since
      })
    }
  }

  /** The store; the tests of this world have one. */
  get s(): MemoryStore {
    if (!this.store) throw new Error('this world has no store')
    return this.store
  }

  /** The value the targets hold now (the first target's, when they differ). */
  publishedValue(): string | undefined {
    return this.targets.valueOf(TARGETS[0])
  }

  /** The plan of the next job: the inputs are the store's secret and the targets' value. */
  plan(changes: PlanChanges = {}, base?: RotationPlan): RotationPlan {
    const previousValue = this.publishedValue()
    const retiringValue = this.retiring?.value
    const plan: PlanChanges = {
      mode: 'rotate',
      dryRun: false,
      runId: `run ${this.#runs + 1} attempt 1`,
      input: this.store?.secret ?? '',
      previousValue,
      retiringValue,
      revokePrevious: false,
      gracePeriodMs: 0,
      lockTtlMs: LOCK_TTL_MS,
      ...base,
      ...changes
    }
    for (const key of Object.keys(plan) as (keyof RotationPlan)[]) {
      if (plan[key] === undefined) Reflect.deleteProperty(plan, key)
    }
    return plan as RotationPlan
  }

  deps(log: MemoryLogger, audit: MemoryAudit, ciphertexts: string[]): EngineDeps {
    return {
      issuer: this.issuer,
      ...(this.store ? { store: this.store, lock: this.store } : {}),
      targets: this.targets,
      ...(this.health ? { healthCheck: this.health } : {}),
      ...(this.recovery ? { sealForRecovery: this.recovery.seal } : {}),
      onRecoveryCiphertext: ciphertext => {
        ciphertexts.push(ciphertext)
      },
      ...(this.retiring ? { keepRetiring: this.retiring.keep } : {}),
      clock: this.clock,
      sleep: this.sleeper.sleep,
      log,
      audit
    }
  }

  /**
   * One job: builds its plan, runs the engine to its end, and checks that no secret value leaked
   * anywhere (log, steps, warnings, error, audit, record). Resets the runner first.
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    const plan = this.plan(options.plan, options.basePlan)
    this.#runs += 1
    this.runner.reset(options.kill)
    const result = await this.#execute(plan)
    expectNoSecretLeaks(this)
    return result
  }

  /** Jobs started at the same time, on the same runner (no kill). */
  async runTogether(...plans: PlanChanges[]): Promise<RunResult[]> {
    this.runner.reset()
    const ready = plans.map(changes => {
      const plan = this.plan(changes)
      this.#runs += 1
      return plan
    })
    const results = await Promise.all(ready.map(plan => this.#execute(plan)))
    expectNoSecretLeaks(this)
    return results
  }

  async #execute(plan: RotationPlan): Promise<RunResult> {
    const log = new MemoryLogger()
    const audit = new MemoryAudit()
    const ciphertextOutputs: string[] = []
    const outcome = await runRotation(this.deps(log, audit, ciphertextOutputs), plan)
    const result = { outcome, log, audit, ciphertextOutputs, plan }
    this.runs.push(result)
    return result
  }

  /** Everything a run could observe about the world, to prove that nothing changed. */
  snapshot(): {
    secret: string | undefined
    record: RotationState | undefined
    recordWrites: number
    targets: Record<string, string>
    issued: number
    requests: number
    live: string[]
  } {
    return {
      secret: this.store?.secret,
      record: this.store?.record,
      recordWrites: this.store?.recordWrites.length ?? 0,
      targets: this.targets.values(),
      issued: this.issuer.issued.length,
      requests: this.issuer.requests,
      live: this.issuer.liveRefreshTokens()
    }
  }

  /** The targets, each holding `value`. */
  allTargets(value: string | undefined): Record<string, string | undefined> {
    return Object.fromEntries(TARGETS.map(target => [target, value]))
  }
}

/** `[step, outcome]` of each step, in order. */
export function stepsOf(outcome: RunOutcome): [StepName, StepOutcome][] {
  return outcome.steps.map(step => [step.step, step.outcome])
}

/** The detail of the first step named `name`. */
export function detailOf(outcome: RunOutcome, name: StepName): string {
  return outcome.steps.find(step => step.step === name)?.detail ?? ''
}

/** A fingerprint, for readable expectations. */
export const fp = fingerprint

/** Every text a run let out, each with where it went. */
function surfaces(world: World): { where: string; text: string }[] {
  const found: { where: string; text: string }[] = []
  world.runs.forEach((run, i) => {
    const at = `run ${i + 1}`
    for (const line of run.log.lines) found.push({ where: `${at} log`, text: line.message })
    for (const line of run.log.lines) {
      if (line.title) found.push({ where: `${at} log title`, text: line.title })
    }
    for (const event of run.audit.events) {
      found.push({ where: `${at} audit`, text: JSON.stringify(event) })
    }
    const { outcome } = run
    for (const step of outcome.steps) {
      found.push({ where: `${at} step ${step.step}`, text: JSON.stringify(step) })
    }
    for (const warning of outcome.warnings) found.push({ where: `${at} warning`, text: warning })
    for (const target of [...outcome.targets, ...outcome.restored]) {
      found.push({ where: `${at} target`, text: JSON.stringify(target) })
    }
    let error: unknown = outcome.error
    for (let depth = 0; error instanceof Error && depth < 10; depth += 1) {
      found.push({ where: `${at} error`, text: `${error.message} ${JSON.stringify(error)}` })
      error = error.cause
    }
    const { status, rotated, version, expiresAt, recoveryCiphertext } = outcome
    const headline = { status, rotated, version, expiresAt, recoveryCiphertext }
    found.push({ where: `${at} outcome`, text: JSON.stringify(headline) })
    for (const ciphertext of run.ciphertextOutputs) {
      found.push({ where: `${at} recovery-ciphertext output`, text: ciphertext })
    }
  })
  for (const [i, json] of (world.store?.recordWrites ?? []).entries()) {
    found.push({ where: `record write ${i + 1}`, text: json })
  }
  found.push({ where: 'record', text: JSON.stringify(world.store?.record ?? null) })
  for (const owner of world.store?.lockOwners ?? []) found.push({ where: 'lock', text: owner })
  return found
}

/**
 * Rule 5: no secret value, plain or base64-encoded, appears in a log line, a step, a warning, an
 * error (its causes included), an audit event, the outcome (recovery ciphertext included), the
 * lock or any record the store was given. The secrets are every refresh and access token the
 * issuer ever issued: the inputs, previous-values and retiring-values of every run.
 */
export function expectNoSecretLeaks(world: World): void {
  const secrets = world.issuer.issued
  const leaks: string[] = []
  for (const { where, text } of surfaces(world)) {
    for (const secret of secrets) {
      const encoded = Buffer.from(secret).toString('base64')
      if (text.includes(secret) || text.includes(encoded)) {
        leaks.push(`${where}: ${secret.slice(0, 6)}... in ${text.slice(0, 200)}`)
      }
    }
  }
  expect(leaks).toEqual([])
}
