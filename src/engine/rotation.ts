import { ActionError, describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { TargetResult } from './ports.js'
import { count } from '../wording.js'
import { DEFAULT_BEFORE_EXPIRY_MS, hasSchedule, scheduleOf, whenDue } from './due.js'
import { formatDuration } from '../duration.js'
import { assess, type Assessment } from './assess.js'
import { asActionError } from './errors.js'
import { fingerprint } from './fingerprint.js'
import type {
  Audit,
  RecentRuns,
  RunOutcome,
  RunStatus,
  StepName,
  StepOutcome,
  StepRecord
} from './outcome.js'
import type { RotationPlan } from './plan.js'
import type {
  Clock,
  HealthCheck,
  Issuer,
  Lease,
  LeaseCheck,
  Lock,
  Minted,
  Retired,
  Sleep,
  Store,
  Targets,
  WriteOptions
} from './ports.js'
import { judgeUse, planRetirements } from './retirements.js'
import {
  RUNS_KEPT,
  emptyState,
  replaceCurrent,
  runFailed,
  type Handled,
  type Retirement,
  type RotationState
} from './state.js'
import {
  addUnretired,
  describeRetired,
  adoptReplaced,
  handledOf,
  replacedHandled,
  screenHandle
} from './handles.js'
import { blockedError, busyError, interruptedError, staleError } from './refusals.js'
import { describeAssessment, persistFailure, resetHint, uncertainHint } from './messages.js'

/** The parts a rotation drives, behind their ports. */
export interface EngineDeps {
  issuer: Issuer
  /** Where the refresh token and the record live; absent for an issuer that needs none. */
  store?: Store
  /** The one-writer lock of `store`: present whenever `store` is. */
  lock?: Lock
  targets: Targets
  healthCheck?: HealthCheck
  /** Seals a new credential to the recovery key, when one is configured. */
  sealForRecovery?: (value: string) => Promise<string>
  /** Called with the recovery ciphertext the moment it exists (the action sets its output). */
  onRecoveryCiphertext?: (ciphertext: string) => void
  /** Keeps a replaced value until its deferred revocation (the retiring secret). */
  keepRetiring?: (value: string) => Promise<void>
  clock: Clock
  sleep: Sleep
  log: Logger
  audit: Audit
}

/**
 * Runs one rotation (or verification, or retirement) to the end and says what happened. Never
 * throws: every failure ends in `outcome.error`, with each step's outcome in `outcome.steps`.
 */
export function runRotation(deps: EngineDeps, plan: RotationPlan): Promise<RunOutcome> {
  return new RotationRun(deps, plan).execute()
}

/** Why a rotation is held back this run: the status it ends with, and the mint row's detail. */
interface HeldBack {
  status: 'not-due' | 'not-in-window'
  detail: string
  /** What the user should know beyond the skip: an expiry the next window comes too late for. */
  warning?: string
}

/** Where the value minted this run has got to; decides what a failure still has to undo. */
interface Progress {
  minted?: Minted
  published: TargetResult[]
  /** The value a rollback put back on the targets: what they hold at the end. */
  restored?: string
}

class RotationRun {
  readonly #deps: EngineDeps
  readonly #plan: RotationPlan
  readonly #steps: StepRecord[] = []
  readonly #warnings: string[] = []
  #targets: TargetResult[] = []
  #restored: TargetResult[] = []
  #error: ActionError | undefined
  #status: RunStatus = 'failed'
  #recoveryCiphertext: string | undefined
  /** The record as this run last wrote (or read) it; undefined before the first rotation. */
  #state: RotationState | undefined
  /** Set once the record may be written: the lock is held and the input is not stale. */
  #mayWriteState = false
  /** The one-writer lock, while this run holds it. */
  #lease: Lease | undefined
  /** The lease ended during the run: record writes are skipped (said once). */
  #fenced = false
  #progress: Progress = { published: [] }
  /** The run was counted in the record (its failures count is the record's). */
  #recorded = false
  /** The credential to mint from: the store's live one when it can be read, else the input. */
  #input: string
  /** The step running now, whose phase a failed record write reports. */
  #currentStep: StepName | undefined
  /** The record's run history before this run added itself to it. */
  #runsBefore: Pick<RotationState, 'consecutiveFailures' | 'runs'> | undefined
  /** This run's outcome as the record already holds it, when the promotion wrote it along. */
  #runWritten: string | undefined

  constructor(deps: EngineDeps, plan: RotationPlan) {
    this.#deps = deps
    this.#plan = plan
    this.#input = plan.input
  }

  async execute(): Promise<RunOutcome> {
    const plan = this.#plan
    this.#deps.audit.record({
      event: 'run-started',
      run: plan.runId,
      mode: plan.mode,
      dryRun: plan.dryRun,
      issuer: this.#deps.issuer.kind,
      store: this.#deps.store?.kind ?? 'none'
    })
    try {
      if (plan.mode === 'verify') await this.#verifyOnly()
      else if (plan.dryRun) await this.#planOnly()
      else await this.#locked(() => this.#lockedMode())
    } catch (error) {
      this.#fail(asActionError(error, 'report'))
    }
    if (this.#error) this.#status = 'failed'
    this.#deps.audit.record({
      event: 'run-finished',
      run: plan.runId,
      status: this.#status,
      code: this.#error?.code,
      phase: this.#error?.phase
    })
    const { minted, restored } = this.#progress
    const published = minted !== undefined && this.#progress.published.length > 0
    // After a rollback the targets hold the value put back, whose expiry this run does not know.
    const onTargets = restored ?? minted?.value
    return {
      status: this.#status,
      rotated: published && this.#status === 'rotated',
      ...(published && onTargets !== undefined ? { version: fingerprint(onTargets) } : {}),
      ...(published && restored === undefined && minted.expiresAt
        ? { expiresAt: minted.expiresAt }
        : {}),
      ...(this.#recoveryCiphertext ? { recoveryCiphertext: this.#recoveryCiphertext } : {}),
      steps: this.#steps,
      targets: this.#targets,
      restored: this.#restored,
      ...(this.#error ? { error: this.#error } : {}),
      warnings: this.#warnings,
      ...(this.#recorded && this.#state
        ? { consecutiveFailures: this.#state.consecutiveFailures }
        : {}),
      ...(this.#recorded && this.#runsBefore?.runs.length
        ? { previousFailures: this.#runsBefore.consecutiveFailures }
        : {}),
      ...this.#nextDue(),
      ...(this.#recorded && this.#state ? { recentRuns: recentRuns(this.#state) } : {})
    }
  }

  /**
   * When the credential is next rotated, by the rule that decided this run: for the report, which
   * says when a credential comes round again, the expiry margin and the windows included.
   */
  #nextDue(): { nextDueAt?: Date } {
    const schedule = scheduleOf(this.#plan)
    if (this.#plan.mode !== 'rotate' || !hasSchedule(schedule)) return {}
    const decision = whenDue(this.#state, schedule, this.#deps.clock.now())
    return !decision.due && decision.rotatesAt ? { nextDueAt: decision.rotatesAt } : {}
  }

  // --- the modes --------------------------------------------------------------------------

  #lockedMode(): Promise<void> {
    switch (this.#plan.mode) {
      case 'retire':
        return this.#retireOnly()
      case 'rollback':
        return this.#rollbackOnly()
      default:
        return this.#rotate()
    }
  }

  async #rotate(): Promise<void> {
    const deps = this.#deps
    const { assessment, due } = await this.#step('preflight', async () => {
      const found = await this.#readAndAssess()
      const notDue = this.#heldBack(found)
      // Every target is checked before anything is consumed or written, with or without a
      // store. A run with nothing due (or outside its windows) writes nothing, not even the re-seal.
      if (notDue === undefined) {
        await this.#checkTargets()
        await deps.store?.check(this.#input)
      }
      return {
        value: { assessment: found, due: notDue },
        detail: describeAssessment(found, deps.store, deps.issuer, this.#input !== '')
      }
    })
    if (assessment.kind === 'resume' || assessment.kind === 'recovered') {
      await this.#promoteResumed(assessment.run)
    }
    if (due !== undefined) {
      this.#skip('mint', due.detail)
      this.#status = due.status
      if (due.warning !== undefined) this.#warn(due.warning)
      // Retirements were scheduled by a rotation that ran: their grace period is over either way.
      await this.#retire(this.#plan.previousValue)
      return
    }
    // A given value is published as it is: no mint, persist or promote step to report.
    const given = deps.issuer.given === true && !deps.store
    const minted = given ? await deps.issuer.mint(this.#input) : await this.#mint(assessment)
    this.#progress.minted = minted
    if (!given) await this.#persist(minted)
    await this.#publish(minted.value)
    const healthy = await this.#verify(minted.value)
    if (!healthy) {
      await this.#rollback()
      return
    }
    if (!given) await this.#promote(minted)
    this.#status = deps.store ? 'rotated' : 'published'
    this.#warnShortLived(minted)
    await this.#retire(minted.value)
  }

  async #verifyOnly(): Promise<void> {
    const current = this.#deps.issuer.current?.bind(this.#deps.issuer)
    const value = this.#plan.previousValue ?? (current ? await current() : '')
    const healthy = await this.#verify(value)
    if (healthy) this.#status = 'verified'
  }

  async #retireOnly(): Promise<void> {
    await this.#step('preflight', async () => {
      const store = this.#requireStore()
      this.#state = await store.readState()
      this.#refuseWhileBusy(store)
      return {
        value: undefined,
        detail: `${count(this.#dueRetirements().length, 'retirement')} due`
      }
    })
    this.#mayWriteState = true
    await this.#retire(this.#plan.previousValue)
    this.#status = 'retired'
  }

  /** Mode `rollback`: the store's previous version becomes current again and is republished. */
  async #rollbackOnly(): Promise<void> {
    const store = this.#requireStore()
    const revert = store.revert?.bind(store)
    if (!revert) {
      throw new ActionError(
        `Mode rollback needs a store with versions; ${store.description} has none`,
        {
          code: 'invalid-input',
          phase: 'preflight'
        }
      )
    }
    const reverting = await this.#step('preflight', async () => {
      this.#state = await store.readState()
      this.#refuseWhileBusy(store)
      // From here the run is counted in the record: a failed rollback raises the alert too.
      this.#mayWriteState = true
      await this.#checkTargets()
      const found = await revert()
      // The previous value is checked before anything moves: a rollback to a value that does not
      // work (a single-user rotation that retired it) would replace a working one.
      const check = this.#deps.healthCheck
      if (check) {
        const result = await check.check(found.value)
        if (!result.ok) {
          throw new ActionError(
            `The previous version fails the health check (${result.detail}); nothing was moved or published.`,
            { code: 'health-check-failed', phase: 'preflight' }
          )
        }
      }
      return {
        value: found,
        detail: `${count(this.#targets.length, 'target')} writable; the previous version ${check ? 'passes the health check' : 'is readable'}`
      }
    })
    const value = await this.#step('rollback', async () => {
      await reverting.commit()
      // The versions moved: the record is read again so the run's own writes start from them.
      this.#state = await store.readState()
      return {
        value: reverting.value,
        detail: `the previous version of ${store.description} is current again`
      }
    })
    this.#progress.minted = { value, next: value, rotated: false }
    await this.#publish(value)
    if (this.#error) return
    const healthy = await this.#verify(value)
    if (!healthy) return
    this.#status = 'rolled-back'
    await this.#saveStateQuietly(state => {
      state.published = { fingerprint: fingerprint(value), at: this.#now() }
    })
  }

  async #planOnly(): Promise<void> {
    const [deps, plan] = [this.#deps, this.#plan]
    const assessment = await this.#step('preflight', async () => {
      if (plan.mode === 'retire') {
        this.#state = await this.#requireStore().readState()
        const due = this.#dueRetirements().length
        return {
          value: { kind: 'normal' } as Assessment,
          detail: `${count(due, 'retirement')} due`
        }
      }
      const found = await this.#readAndAssess()
      await this.#checkTargets()
      return {
        value: found,
        detail: describeAssessment(found, deps.store, deps.issuer, this.#input !== '')
      }
    })
    const due = plan.mode === 'rotate' ? this.#heldBack(assessment) : undefined
    const next =
      plan.mode === 'retire'
        ? `would retire ${count(this.#dueRetirements().length, 'due value')}`
        : due !== undefined
          ? `would skip the rotation: ${due.detail}`
          : `would mint with ${deps.issuer.kind}, persist, publish${deps.healthCheck ? ', verify' : ''} and promote`
    this.#record('mint', 'planned', next, this.#deps.clock.now())
    this.#status = 'planned'
  }

  // --- the steps ----------------------------------------------------------------------------

  /**
   * Retire and rollback write the whole record, and rollback moves the store's versions: under a
   * run that may still be minting or promoting (its lock deleted or overwritten), either would
   * erase that run's marks. Whatever the input, a live mark refuses the run before it writes.
   */
  #refuseWhileBusy(store: Store): void {
    const found = assess(this.#state, '', this.#lease?.now())
    if (found.kind === 'busy') throw busyError(found, store)
  }

  async #readAndAssess(): Promise<Assessment> {
    const store = this.#deps.store
    if (!store) return { kind: 'first' }
    this.#state = await store.readState()
    if (store.read) this.#input = await store.read()
    const found = assess(this.#state, fingerprint(this.#input), this.#lease?.now())
    if (found.kind === 'stale') throw staleError(found, store)
    // Another run may be minting: this run writes nothing, not even its own failure, which would
    // overwrite the marks that run writes meanwhile.
    if (found.kind === 'busy') throw busyError(found, store)
    // From here the run is counted in the record: a blocked rotation is a failure that needs a
    // person (and raises the alert); it writes nothing else.
    this.#mayWriteState = true
    if (found.kind === 'blocked') throw blockedError(found, store)
    if (found.kind === 'interrupted') throw interruptedError(found, store)
    return found
  }

  /**
   * Every target must be writable before anything is consumed or written: one that is not stops
   * the run, so a run never leaves some targets with the new value and others without.
   */
  async #checkTargets(): Promise<void> {
    const results = await this.#deps.targets.preflight()
    this.#targets = results
    const failed = results.filter(r => r.status === 'failed')
    if (failed.length > 0) {
      throw new ActionError(
        `${count(failed.length, 'target')} of ${results.length} cannot be written (see the errors above); nothing was ${this.#deps.store ? 'minted or ' : ''}written`,
        { code: 'github-rejected', phase: 'preflight' }
      )
    }
  }

  /** The input was persisted by a run that stopped before promoting it: it is the live version. */
  async #promoteResumed(run: string): Promise<void> {
    await this.#step('promote', async () => {
      await this.#saveState(state => {
        replaceCurrent(state, fingerprint(this.#input), this.#now())
        // The value minted with it may be on targets: its handle waits for the next promotion.
        if (state.pending?.minted) addUnretired(state, state.pending.minted)
        adoptReplaced(state, state.pending?.replaces, this.#now(), this.#plan.previousValue)
        delete state.pending
        delete state.minting
      })
      return {
        value: undefined,
        detail: `resumed the rotation of ${run}: its refresh token is now current`
      }
    })
  }

  /**
   * A value that expires within before-expiry of its mint is due again at the very next run: say
   * so once, rather than let every run rotate in silence.
   */
  #warnShortLived(minted: Minted): void {
    const schedule = scheduleOf(this.#plan)
    const expires = minted.expiresAt
    if (expires === undefined) return
    if (schedule.everyMs === undefined && schedule.beforeExpiryMs === undefined) return
    const margin = schedule.beforeExpiryMs ?? DEFAULT_BEFORE_EXPIRY_MS
    if (expires.getTime() - margin > this.#deps.clock.now().getTime()) return
    this.#warn(
      `The new value expires at ${expires.toISOString()}, within rotate-before-expiry (${formatDuration(margin)}) of its mint: every run rotates it again. Set rotate-before-expiry below the value's lifetime.`
    )
  }

  /**
   * Why the rotation does not run now (not due, or outside every allow window), or undefined when
   * it runs. The rule is {@link whenDue}, the one `mode: plan` applies too.
   */
  #heldBack(assessment: Assessment): HeldBack | undefined {
    // A rotation to resume or refuse cannot be skipped, nor held for a window: finishing it is
    // what makes the targets' value certain again.
    if (assessment.kind !== 'normal' && assessment.kind !== 'first') return undefined
    const schedule = scheduleOf(this.#plan)
    const decision = whenDue(this.#state, schedule, this.#deps.clock.now())
    if (decision.due) return undefined
    const windows = schedule.windows ? ` (windows: ${schedule.windows.description})` : ''
    const expires = this.#state?.published?.expiresAt
    if (decision.why === 'not-due') {
      const { next, rotatesAt } = decision
      const rule =
        next.by === 'interval'
          ? 'the last rotation plus rotate-if-older-than'
          : `rotate-before-expiry before the published value expires at ${expires ?? '?'}`
      const window =
        schedule.windows === undefined || rotatesAt?.getTime() === next.at.getTime()
          ? ''
          : rotatesAt
            ? `; then rotated in the allowed window that opens at ${rotatesAt.toISOString()}${windows}`
            : `; no allowed window opens after it${windows}`
      return {
        status: 'not-due',
        detail: `not due: next due at ${next.at.toISOString()} (${rule})${window}`
      }
    }
    const opens = decision.rotatesAt
    const detail = opens
      ? `not in an allowed window; next window opens at ${opens.toISOString()}${windows}`
      : `not in an allowed window, and none opens again${windows}`
    // A window that opens only after the published value expired leaves a dead value on the
    // targets in between: a green skip must not hide that.
    const late =
      expires !== undefined && (opens === undefined || Date.parse(expires) < opens.getTime())
    return {
      status: 'not-in-window',
      detail,
      ...(late
        ? {
            warning: `The published value expires at ${expires}, before the next allowed window opens${opens ? ` (${opens.toISOString()})` : ''}: the targets hold an expired value until a rotation runs. Widen schedule.windows.`
          }
        : {})
    }
  }

  async #mint(assessment: Assessment): Promise<Minted> {
    const [deps, plan] = [this.#deps, this.#plan]
    const from = fingerprint(this.#input)
    return this.#step('mint', async () => {
      const before = this.#state?.minting
      const lease = this.#lease
      const mark = lease && { holder: lease.holder, endsBy: lease.endsBy().toISOString() }
      if (deps.store) {
        // Write-ahead: a run that dies from here on leaves a record that the input may be consumed.
        // The mark says until when this run may be minting: before that, no run takes it for a
        // run that stopped.
        await this.#saveState(state => {
          // On a first rotation the input becomes `current` here: preflight proved it is what the
          // store holds, and a rerun must be able to match it against the record.
          state.current ??= { fingerprint: from, since: this.#now() }
          // An earlier run's open question is kept: it is the one a refusal must name.
          if (assessment.kind === 'uncertain' && state.minting) {
            // This attempt can log a ciphertext: from now on a retry could revoke it.
            if (deps.sealForRecovery) state.minting.recoverable = true
            if (mark) state.minting.lease = mark
          } else {
            state.minting = {
              from,
              startedAt: this.#now(),
              run: plan.runId,
              recoverable: deps.sealForRecovery !== undefined,
              ...(mark ? { lease: mark } : {})
            }
          }
        })
      }
      // The mark is written first and the lock read after it: a run that got the lock meanwhile
      // (it was deleted, or overwritten) reads the record after this mark, and waits for it.
      if (lease) await this.#confirmLease(lease, before)
      let answer: Minted
      try {
        const replacing = this.#state?.published?.handle
        answer = await deps.issuer.mint(this.#input, replacing !== undefined ? { replacing } : {})
      } catch (error) {
        const failure = asActionError(error, 'mint')
        // Only a request whose outcome is unknown may have consumed the input; otherwise the
        // issuer answered (or was never reached) and the record can say so.
        // After an earlier run's interrupted mint the question stays open whatever this attempt
        // got, so its mark stays too.
        if (
          deps.store &&
          failure.code !== 'issuer-outcome-unknown' &&
          assessment.kind !== 'uncertain'
        ) {
          await this.#saveStateQuietly(state => {
            delete state.minting
          })
        }
        const keptMark =
          failure.code === 'issuer-outcome-unknown' || assessment.kind === 'uncertain'
        if (deps.store && keptMark) {
          await this.#saveStateQuietly(state => {
            if (!state.minting) return
            // The answer never arrived here, so no recovery ciphertext of it exists: the next run
            // may make its one attempt instead of waiting for a ciphertext that is not there.
            if (failure.code === 'issuer-outcome-unknown') state.minting.recoverable = false
            // This run's request is over: the next run need not wait for its lease to end. The
            // lease goes rather than ending "now", which another runner's estimate of GitHub's
            // clock could still read as alive.
            delete state.minting.lease
          })
        }
        throw resetHint(uncertainHint(failure, assessment), deps.store)
      }
      if (answer.rotated) await this.#sealForRecovery(answer.next)
      const { minted, dropped } = screenHandle(answer)
      if (dropped !== undefined) this.#warn(dropped)
      const version =
        minted.handle === undefined
          ? fingerprint(minted.value)
          : `${fingerprint(minted.value)} (handle ${minted.handle})`
      const detail = minted.rotated
        ? `new version ${version}; the refresh token was rotated`
        : deps.issuer.source
          ? `read version ${version}`
          : `new version ${version}`
      return { value: minted, detail }
    })
  }

  /**
   * Right before minting: this run must still hold the lock, on the lock's clock, with enough of
   * its lease left for the mint, the pending mark's write and the persist, and the margin every
   * write under the lock keeps. Otherwise it refuses.
   * @param before the minting mark before this run's, put back when this run keeps the lock
   */
  async #confirmLease(lease: Lease, before: RotationState['minting']): Promise<void> {
    const needed =
      (this.#deps.issuer.mintTimeoutMs ?? DEFAULT_MINT_TIMEOUT_MS) +
      RECORD_WRITE_BUDGET_MS +
      (this.#deps.store?.persistTimeoutMs ?? 0) +
      LEASE_WRITE_MARGIN_MS
    let check: LeaseCheck
    try {
      check = await lease.confirm(needed)
    } catch (error) {
      // Whether another run holds the lock now is unknown: this run writes nothing more.
      this.#mayWriteState = false
      throw new ActionError(
        `Refused to mint: the lock could not be read again to check that this run still holds it (${describeError(error)}). Nothing was minted. This run's minting mark stays in the rotation record: the next run waits until ${lease.endsBy().toISOString()} (the lock's clock) before it reads it as an interrupted mint.`,
        { code: 'locked', phase: 'mint', cause: error }
      )
    }
    if (check.held) return
    if (check.owned) {
      // Still this run's lock: the record is this run's to put back as it was.
      await this.#saveStateQuietly(state => {
        if (before) state.minting = before
        else delete state.minting
      })
      throw new ActionError(`Refused to mint: ${check.reason}. Nothing was minted.`, {
        code: 'locked',
        phase: 'mint'
      })
    }
    // Another run may hold the lock: anything this run writes to the record could overwrite its.
    this.#mayWriteState = false
    throw new ActionError(
      `Refused to mint: ${check.reason}. Nothing was minted, and this run writes nothing more: its minting mark stays in the rotation record, and the next run waits until ${lease.endsBy().toISOString()} (the lock's clock) before it reads it as an interrupted mint.`,
      { code: 'locked', phase: 'mint' }
    )
  }

  /** The sealed new credential goes to the log before anything else can fail. */
  async #sealForRecovery(value: string): Promise<void> {
    const seal = this.#deps.sealForRecovery
    if (!seal) return
    try {
      const ciphertext = await seal(value)
      this.#recoveryCiphertext = ciphertext
      this.#deps.log.info(
        `Recovery ciphertext of the new refresh token (only the recovery private key opens it; token-rotation recover): ${ciphertext}`
      )
      this.#deps.onRecoveryCiphertext?.(ciphertext)
    } catch (error) {
      this.#warn(`Could not seal the new refresh token for recovery: ${describeError(error)}`)
    }
  }

  async #persist(minted: Minted): Promise<void> {
    const { store } = this.#deps
    if (!store) {
      this.#skip('persist', minted.storedAs ?? 'no store: the value comes from the inputs')
      return
    }
    const handled = handledOf(minted)
    if (!minted.rotated) {
      await this.#saveStateQuietly(state => {
        delete state.minting
        // No pending mark follows: the handle is kept until this value is promoted or retired.
        if (handled) addUnretired(state, handled)
      })
      this.#skip(
        'persist',
        minted.storedAs ??
          (minted.next === ''
            ? 'nothing to keep: the issuer mints from no credential of ours'
            : 'the issuer kept the refresh token (no refresh_token in its answer)')
      )
      return
    }
    await this.#step('persist', async () => {
      const next = fingerprint(minted.next)
      await this.#saveStateQuietly(state => {
        delete state.minting
        const lease = this.#lease
        state.pending = {
          fingerprint: next,
          mintedAt: this.#now(),
          run: this.#plan.runId,
          recoverable: this.#recoveryCiphertext !== undefined,
          ...(lease
            ? { lease: { holder: lease.holder, endsBy: lease.endsBy().toISOString() } }
            : {}),
          ...(handled ? { minted: handled } : {}),
          ...(minted.replaces !== undefined ? { replaces: minted.replaces } : {})
        }
      })
      try {
        // Not cut short at the lease's end like the record's writes: the pending mark already
        // names this credential, so landing late can only complete what the record says.
        await store.persist(minted.next)
      } catch (error) {
        throw persistFailure(
          asActionError(error, 'persist'),
          store,
          this.#recoveryCiphertext,
          this.#deps.sealForRecovery !== undefined
        )
      }
      return { value: undefined, detail: `refresh token ${next} written to ${store.description}` }
    })
  }

  async #publish(value: string): Promise<void> {
    const results = await this.#step('publish', async () => {
      const results = await this.#deps.targets.publish(value)
      const written = results.filter(r => r.status === 'created' || r.status === 'updated')
      return {
        value: results,
        detail: `${count(written.length, 'target')} of ${results.length} written`,
        outcome: written.length === results.length ? 'ok' : 'failed'
      }
    })
    this.#targets = results
    this.#auditTargets('publish', results)
    this.#progress.published = results.filter(r => r.status !== 'failed')
    const failed = results.length - this.#progress.published.length
    if (failed > 0) {
      // The new value is valid: the targets that took it keep it, the others keep the old one
      // (valid until it expires). The run goes on so the refresh token is promoted, and fails.
      this.#fail(
        new ActionError(
          `${failed} of ${count(results.length, 'target')} failed and ${this.#progress.published.length} written; the failed ones still hold the previous value`,
          { code: 'github-rejected', phase: 'publish' }
        )
      )
    }
  }

  async #verify(value: string): Promise<boolean> {
    const check = this.#deps.healthCheck
    if (!check) {
      this.#skip('verify', 'no health-check-url')
      return true
    }
    return this.#step('verify', async () => {
      const result = await check.check(value)
      const detail = `${check.description}: ${result.detail} after ${count(result.attempts, 'attempt')}`
      if (!result.ok) {
        throw new ActionError(`Health check failed: ${detail}`, {
          code: 'health-check-failed',
          phase: 'verify'
        })
      }
      return { value: true, detail }
    }).catch((error: unknown) => {
      this.#fail(asActionError(error, 'verify'))
      return false
    })
  }

  /** The new value failed its check: put the targets back to the old one, keep the new refresh token. */
  async #rollback(): Promise<void> {
    const minted = this.#progress.minted
    const previous = this.#plan.previousValue ?? minted?.previous
    if (previous === undefined) {
      this.#skip(
        'rollback',
        'previous-value is not given: the targets keep the new value that failed its check'
      )
      return
    }
    const check = this.#deps.healthCheck
    if (check) {
      // When the old value fails too, the check itself is most likely what is broken (the
      // endpoint is down): the new value stays, rather than a value known not to work.
      const old = await check.check(previous).catch(() => undefined)
      if (!old?.ok) {
        this.#skip(
          'rollback',
          `previous-value fails the health check too (${old?.detail ?? 'no answer'}): the targets keep the new value`
        )
        return
      }
    }
    await this.#step('rollback', async () => {
      const undo = this.#deps.issuer.undo?.bind(this.#deps.issuer)
      if (undo && minted) await undo(minted)
      const results = await this.#deps.targets.publish(previous)
      this.#restored = results
      this.#auditTargets('rollback', results)
      const restored = results.filter(r => r.status !== 'failed').length
      if (restored === results.length) this.#progress.restored = previous
      return {
        value: undefined,
        detail: `${count(restored, 'target')} of ${results.length} put back to the previous value`,
        outcome: restored === results.length ? 'ok' : 'failed'
      }
    }).catch((error: unknown) => {
      this.#warn(`Rollback failed: ${describeError(error)}`)
    })
    // The new refresh token stays pending: it is persisted and the only valid one, and the next
    // run (which receives it) resumes from it.
  }

  async #promote(minted: Minted): Promise<void> {
    const deps = this.#deps
    if (!deps.store) {
      this.#skip('promote', 'no store')
      return
    }
    const byHandle = this.#revokes() === 'handle'
    const retiring = byHandle ? undefined : await this.#scheduleRetirement()
    if (byHandle) this.#warnNameless(minted)
    // The run is written with the promotion, as the success (or failure) it is at this point: one
    // write instead of two. The record of the run is written again only if its outcome changes.
    const outcome = this.#runOutcome('rotated')
    await this.#step('promote', async () => {
      await this.#saveState(state => {
        this.#appendRun(state, outcome)
        const now = this.#now()
        adoptReplaced(state, minted.replaces, now, this.#plan.previousValue)
        const replaced = replacedHandled(state, minted, this.#deps.clock.now().getTime())
        // An issuer that kept its credential (or stored the version itself) changed no version here.
        if (minted.rotated) replaceCurrent(state, fingerprint(minted.next), now)
        delete state.pending
        delete state.minting
        delete state.unretired
        state.published = {
          fingerprint: fingerprint(minted.value),
          at: now,
          ...(minted.expiresAt ? { expiresAt: minted.expiresAt.toISOString() } : {}),
          ...(minted.handle !== undefined ? { handle: minted.handle } : {})
        }
        state.rotatedAt = now
        if (retiring) state.retirements = [...state.retirements, retiring]
        // A target that could not be written still holds a replaced value: it stays live, and
        // named, until a promotion that every target took.
        if (this.#error !== undefined) {
          addUnretired(state, ...replaced)
        } else if (byHandle) {
          state.retirements = [...state.retirements, ...this.#retireByHandle(replaced)]
        }
      })
      this.#runWritten = outcome
      // An issuer that exchanges nothing has no refresh token to speak of: its version is the value.
      const detail =
        minted.storedAs || minted.next === ''
          ? `version ${fingerprint(minted.value)}${minted.handle ? ` (${minted.handle})` : ''} recorded as published`
          : `refresh token ${fingerprint(minted.next)} is current`
      return { value: undefined, detail }
    })
  }

  /**
   * The retirements of the values known by handle that a promotion replaces, when revoke-previous
   * asks for them: due after the grace period, or at once (this run's retire step) without one.
   * The handle is all their revocation needs, so no value is kept for it.
   */
  #retireByHandle(replaced: readonly Handled[]): Retirement[] {
    const plan = this.#plan
    if (!plan.revokePrevious) return []
    const dueAt = new Date(this.#deps.clock.now().getTime() + plan.gracePeriodMs).toISOString()
    return replaced.map(entry => ({ ...entry, dueAt }))
  }

  /**
   * Says when revoke-previous cannot revoke the value a promotion replaces, because the issuer
   * revokes by handle and none was recorded for it (published before handles were recorded).
   */
  #warnNameless(minted: Minted): void {
    const plan = this.#plan
    if (!plan.revokePrevious || this.#error !== undefined || minted.replaces !== undefined) return
    const published = this.#state?.published
    const replaced =
      published?.fingerprint ??
      (plan.previousValue === undefined ? undefined : fingerprint(plan.previousValue))
    if (replaced === undefined || published?.handle !== undefined) return
    if (replaced === fingerprint(minted.value)) return
    this.#warn(
      `The replaced value ${replaced} has no recorded handle (it was published before its handle was recorded), and ${this.#deps.issuer.kind} revokes by handle: it is not revoked, and expires on its own.`
    )
  }

  /** What the issuer's revocation takes: the value, or the handle the record keeps. */
  #revokes(): 'value' | 'handle' {
    return this.#deps.issuer.revokes ?? 'value'
  }

  /** Records the replaced value for revocation after the grace period, when that is asked for. */
  async #scheduleRetirement(): Promise<Retirement | undefined> {
    const [deps, plan] = [this.#deps, this.#plan]
    const previous = plan.previousValue
    // A target that could not be written still holds the previous value: never revoke it.
    if (
      !plan.revokePrevious ||
      previous === undefined ||
      plan.gracePeriodMs === 0 ||
      this.#error !== undefined
    ) {
      return undefined
    }
    if (!deps.keepRetiring) return undefined
    try {
      await deps.keepRetiring(previous)
    } catch (error) {
      this.#warn(
        `The replaced value could not be kept for its revocation, so it will not be revoked; it expires on its own: ${describeError(error)}`
      )
      return undefined
    }
    const dueAt = new Date(deps.clock.now().getTime() + plan.gracePeriodMs).toISOString()
    const expiresAt = this.#state?.published?.expiresAt
    return { fingerprint: fingerprint(previous), dueAt, ...(expiresAt ? { expiresAt } : {}) }
  }

  /**
   * Revokes what is due: the replaced value at once when the grace period is zero, else the
   * recorded retirements that are due and whose value this run was given. After any revocation the
   * current value is checked again: RFC 7009 lets a server drop the whole grant with one token.
   */
  async #retire(current: string | undefined): Promise<void> {
    const [deps, plan] = [this.#deps, this.#plan]
    const revoke = deps.issuer.revoke?.bind(deps.issuer)
    const revokes = this.#revokes()
    const jobs: Retired[] = []
    // An issuer that revokes by handle had the replaced values recorded as due at the promotion.
    if (
      revokes === 'value' &&
      plan.mode === 'rotate' &&
      plan.revokePrevious &&
      plan.gracePeriodMs === 0 &&
      this.#status === 'rotated' &&
      this.#error === undefined
    ) {
      if (plan.previousValue !== undefined) {
        jobs.push({
          by: 'value',
          value: plan.previousValue,
          fingerprint: fingerprint(plan.previousValue)
        })
      }
    }
    const sorted = planRetirements(
      this.#state?.retirements ?? [],
      { revokes, retiringValue: plan.retiringValue },
      deps.clock.now().getTime()
    )
    jobs.push(...sorted.jobs)
    const deferred = await this.#deferInUse(jobs)
    const left = [...sorted.left, ...deferred]
    for (const dropped of sorted.expired) {
      deps.log.info(`Retirement of ${dropped} dropped: it has expired on its own.`)
    }
    for (const missing of sorted.missing) {
      this.#warn(
        `The revocation of ${missing} is due but retiring-value does not hold it; pass retiring-value: \${{ secrets.<secret-name>_RETIRING }}.`
      )
    }
    for (const nameless of sorted.nameless) {
      this.#warn(
        `The revocation of ${nameless} is due, but no handle was recorded for it and ${deps.issuer.kind} revokes by handle: it cannot be revoked, and is dropped from the record; it expires on its own.`
      )
    }
    if (jobs.length === 0 || !revoke) {
      if (jobs.length === 0 && left.length !== (this.#state?.retirements.length ?? 0)) {
        await this.#saveStateQuietly(state => {
          state.retirements = left
        })
      }
      this.#skip(
        'retire',
        jobs.length > 0
          ? `${deps.issuer.kind} cannot revoke`
          : deferred.length > 0
            ? `${count(deferred.length, 'revocation')} deferred: still in use`
            : 'nothing due'
      )
      return
    }
    await this.#step('retire', async () => {
      for (const job of jobs) await revoke(job)
      await this.#saveStateQuietly(state => {
        state.retirements = left
      })
      let detail = `revoked ${jobs.map(describeRetired).join(', ')}`
      if (deps.healthCheck && current !== undefined) {
        const result = await deps.healthCheck.check(current)
        if (!result.ok) {
          throw new ActionError(
            `After the revocation the current value fails its health check (${result.detail}): the issuer may have revoked the whole grant along with the old token (RFC 7009 allows it). Re-authorize and store the new refresh token, and set grace-period or leave revoke-previous off for this issuer.`,
            { code: 'health-check-failed', phase: 'retire' }
          )
        }
        detail += `; the current value still passes its health check`
      }
      return { value: undefined, detail }
    }).catch((error: unknown) => {
      this.#fail(asActionError(error, 'retire'))
    })
  }

  /**
   * Takes out of `jobs` the revocations of versions still in use (`retire.when-unused-for`, by the
   * issuer's report of their last use) and returns their retirements, kept for a later run. Each
   * one is a warning; one still in use after its grace period plus the quiet time says so louder.
   * A version whose use cannot be read is kept too: revoking it could cut off whoever uses it.
   */
  async #deferInUse(jobs: Retired[]): Promise<Retirement[]> {
    const unusedForMs = this.#plan.retireWhenUnusedForMs
    const lastUsed = this.#deps.issuer.lastUsed?.bind(this.#deps.issuer)
    if (unusedForMs === undefined || !lastUsed) return []
    const deferred: Retirement[] = []
    const now = this.#deps.clock.now().getTime()
    for (const job of [...jobs]) {
      if (job.by !== 'handle') continue
      const entry = this.#state?.retirements.find(
        r => r.fingerprint === job.fingerprint && r.handle === job.handle
      )
      if (!entry) continue
      const which = describeRetired(job)
      let message: string | undefined
      try {
        const verdict = judgeUse(
          await lastUsed(job.handle),
          unusedForMs,
          Date.parse(entry.dueAt),
          now
        )
        if (verdict.revoke) continue
        const quiet = formatDuration(unusedForMs)
        message = verdict.overdue
          ? `The replaced value ${which} is still in use: ${this.#deps.issuer.kind} saw it used at ${verdict.lastUsedAt.toISOString()}, well after its grace period ended at ${entry.dueAt}. Its revocation waits until it has gone unused for ${quiet} (retire.when-unused-for). Find what still uses it and give it the current value.`
          : `The revocation of the replaced value ${which} waits: it was last used at ${verdict.lastUsedAt.toISOString()} (by the clock of ${this.#deps.issuer.kind}), and is revoked once unused for ${quiet}, from ${verdict.quietAt.toISOString()} on.`
      } catch (error) {
        message = `The revocation of the replaced value ${which} waits: when it was last used could not be read (${describeError(error)}), and revoking a value still in use would cut off whoever uses it.`
      }
      jobs.splice(jobs.indexOf(job), 1)
      deferred.push(entry)
      this.#warn(message)
    }
    return deferred
  }

  #dueRetirements(): RotationState['retirements'] {
    const now = this.#deps.clock.now().getTime()
    return (this.#state?.retirements ?? []).filter(r => Date.parse(r.dueAt) <= now)
  }

  // --- the lock and the record ---------------------------------------------------------------

  async #locked(body: () => Promise<void>): Promise<void> {
    const { store, lock } = this.#deps
    let lease: Lease | undefined
    if (store) {
      try {
        if (!lock) {
          // A store without its lock would let two runs mint from one credential.
          throw new ActionError(`The store (${store.description}) has no lock to run under.`, {
            code: 'internal',
            phase: 'preflight'
          })
        }
        lease = await lock.acquire(this.#plan.runId, this.#plan.lockTtlMs)
        this.#lease = lease
      } catch (error) {
        this.#record('preflight', 'failed', describeError(error), this.#deps.clock.now())
        this.#fail(asActionError(error, 'preflight'))
        return
      }
    }
    try {
      await body()
    } catch (error) {
      this.#fail(asActionError(error, 'report'))
    } finally {
      await this.#recordRun()
      if (lease) {
        await lease.release().catch((error: unknown) => {
          this.#warn(`Could not release the lock (it expires on its own): ${describeError(error)}`)
        })
      }
    }
  }

  /** Appends this run to the record: the last runs and the count of consecutive failures. */
  async #recordRun(): Promise<void> {
    if (!this.#mayWriteState || !this.#deps.store) return
    this.#recorded = true
    // A run that found nothing due did nothing: neither a success nor a failure of the rotation.
    // It leaves the record as it is, so it moves neither the success rate nor the failures in a
    // row (and costs no write).
    if (!this.#error && isHeldBack(this.#status)) return
    const outcome = this.#runOutcome(this.#status)
    if (outcome === this.#runWritten) return
    await this.#saveStateQuietly(state => {
      this.#appendRun(state, outcome)
      // This run is over: a pending version it leaves is the next run's to resume at once. The
      // lease goes rather than ending "now": another runner's estimate of GitHub's clock may be a
      // little behind this one's, and would read a mark ending now as still alive.
      if (state.pending?.run === this.#plan.runId) delete state.pending.lease
    })
  }

  /** What the record says of this run: its status, or why it failed. */
  #runOutcome(status: RunStatus): string {
    return this.#error ? `failed: ${this.#error.code}` : status
  }

  /**
   * Adds this run to the record's history: the last runs and the count of consecutive failures.
   * Applied twice (at the promotion, and again when the outcome changed after it), it replaces
   * its own entry instead of adding a second one.
   */
  #appendRun(state: RotationState, outcome: string): void {
    this.#runsBefore ??= { consecutiveFailures: state.consecutiveFailures, runs: state.runs }
    const before = this.#runsBefore
    state.consecutiveFailures = outcome.startsWith('failed: ') ? before.consecutiveFailures + 1 : 0
    state.runs = [
      { id: this.#plan.runId, at: this.#now(), mode: this.#plan.mode, outcome },
      ...before.runs
    ].slice(0, RUNS_KEPT)
  }

  /** Applies `change` to the record and writes it; a failure here stops the step. */
  async #saveState(change: (state: RotationState) => void): Promise<void> {
    const store = this.#requireStore()
    const next = structuredClone(this.#state ?? emptyState())
    change(next)
    const over = this.#leaseOver()
    if (over !== undefined) {
      const step = this.#currentStep
      throw new ActionError(over, {
        code: 'locked',
        phase: step === undefined ? 'report' : phaseOf(step)
      })
    }
    const write = this.#writeUnderLease()
    try {
      await store.writeState(next, write)
    } catch (error) {
      // The store cannot know which step writes its record: the failure is this step's.
      const failure = write.signal?.aborted
        ? new ActionError(this.#leaseOverMessage(), {
            code: 'locked',
            phase: 'report',
            cause: error
          })
        : asActionError(error, 'report')
      const step = this.#currentStep
      throw step === undefined || phaseOf(step) === failure.phase
        ? failure
        : new ActionError(failure.message, {
            code: failure.code,
            phase: phaseOf(step),
            retryable: failure.retryable,
            cause: failure
          })
    }
    this.#state = next
  }

  /**
   * Writes the record where the credential matters more than the record (after the input may be
   * consumed): a failure is a warning, and the run goes on to keep the new credential.
   */
  async #saveStateQuietly(change: (state: RotationState) => void): Promise<void> {
    const store = this.#deps.store
    if (!store) return
    const next = structuredClone(this.#state ?? emptyState())
    change(next)
    this.#state = next
    const over = this.#leaseOver()
    if (over !== undefined) {
      if (!this.#fenced) this.#warn(over)
      this.#fenced = true
      return
    }
    const write = this.#writeUnderLease()
    try {
      await store.writeState(next, write)
    } catch (error) {
      if (write.signal?.aborted) {
        this.#warn(this.#leaseOverMessage())
        this.#fenced = true
        return
      }
      this.#warn(`Could not update the rotation record: ${describeError(error)}`)
    }
  }

  /**
   * A write under the lock is abandoned (its retries and its request in flight) once less than
   * the margin of the lease is left: if it landed later, it could overwrite the marks of a run
   * that took the lock over.
   */
  #writeUnderLease(): WriteOptions {
    const lease = this.#lease
    return lease ? { signal: lease.deadline(LEASE_WRITE_MARGIN_MS) } : {}
  }

  /**
   * Why this run must not write the record any more: its lease may be over, and a run that took
   * the lock over writes it now (a late write would overwrite that run's marks).
   */
  #leaseOver(): string | undefined {
    const lease = this.#lease
    if (!lease || lease.leftMs() > LEASE_WRITE_MARGIN_MS) return undefined
    return this.#leaseOverMessage()
  }

  #leaseOverMessage(): string {
    return `This run's lease on the lock (${this.#lease?.holder ?? 'none'}) has ended or is about to, so the rotation record was not updated: another run may hold the lock now, and this run's write could overwrite its marks. The record keeps what this run last wrote, and the next run goes on from it. The run took longer than lock-expires-after: raise it.`
  }

  #requireStore(): Store {
    const store = this.#deps.store
    if (!store) {
      throw new ActionError('This mode needs a store; set issuer and refresh-token-secret', {
        code: 'invalid-input',
        phase: 'preflight'
      })
    }
    return store
  }

  // --- bookkeeping ---------------------------------------------------------------------------

  async #step<T>(
    name: StepName,
    body: () => Promise<{ value: T; detail: string; outcome?: StepOutcome }>
  ): Promise<T> {
    const started = this.#deps.clock.now()
    this.#currentStep = name
    return this.#deps.log.group(stepTitle(name), async () => {
      try {
        const { value, detail, outcome } = await body()
        this.#record(name, outcome ?? 'ok', detail, started)
        return value
      } catch (error) {
        const failure = asActionError(error, phaseOf(name))
        this.#record(name, 'failed', failure.message, started)
        throw failure
      }
    })
  }

  #auditTargets(step: StepName, results: readonly TargetResult[]): void {
    for (const r of results) {
      this.#deps.audit.record({
        event: 'target',
        run: this.#plan.runId,
        step,
        scope: r.scope,
        type: r.type,
        target: r.target,
        name: r.name,
        status: r.status,
        error: r.error
      })
    }
  }

  #skip(name: StepName, detail: string): void {
    this.#record(name, 'skipped', detail, this.#deps.clock.now())
  }

  #record(name: StepName, outcome: StepOutcome, detail: string, started: Date): void {
    const durationMs = Math.max(0, this.#deps.clock.now().getTime() - started.getTime())
    const record = { step: name, outcome, detail, startedAt: started.toISOString(), durationMs }
    this.#steps.push(record)
    this.#deps.audit.record({ event: 'step', run: this.#plan.runId, ...record })
    const line = `${name}: ${outcome}${detail ? ` (${detail})` : ''}`
    if (outcome === 'failed') this.#deps.log.debug(line)
    else this.#deps.log.info(line)
  }

  #fail(error: ActionError): void {
    if (this.#error === undefined) this.#error = error
    else this.#warn(error.message)
  }

  #warn(message: string): void {
    this.#warnings.push(message)
    this.#deps.log.warning(message, { title: 'Token rotation' })
  }

  #now(): string {
    return this.#deps.clock.now().toISOString()
  }
}

/** How long a mint may take when the issuer does not say. */
const DEFAULT_MINT_TIMEOUT_MS = 2 * 60_000

/** How long the write of the pending mark may take, its retries included, before it is abandoned. */
const RECORD_WRITE_BUDGET_MS = 60_000

/**
 * Lease a write under the lock leaves unused: a request abandoned at this point may still be
 * handled by the server a little later, and GitHub's clock is known only to a second.
 */
const LEASE_WRITE_MARGIN_MS = 60_000

function stepTitle(name: StepName): string {
  return name.charAt(0).toUpperCase() + name.slice(1)
}

function phaseOf(name: StepName): ActionError['phase'] {
  return name === 'rollback' ? 'verify' : name
}

/** The runs the record keeps (this one included), counted for the success rate. */
function recentRuns(state: RotationState): RecentRuns {
  return { kept: state.runs.length, failed: state.runs.filter(run => runFailed(run)).length }
}

/** A status of a run that was held back by its schedule, and so did nothing. */
function isHeldBack(status: RunStatus): boolean {
  return status === 'not-due' || status === 'not-in-window'
}
