/**
 * A clock tests move by hand. A server reads time only through it, so a test checks a one-hour
 * TTL by advancing the clock an hour instead of waiting.
 */

/** Options of {@link TestClock}. */
export interface TestClockOptions {
  /** The clock's time at creation (default: the real time). */
  start?: Date | number
  /**
   * Stand still until moved (default true): time passes only through {@link TestClock.advance}
   * and {@link TestClock.set}. With false it follows the real clock, offset by every move.
   */
  frozen?: boolean
}

/** The server-side clock: frozen or following real time, always movable. */
export class TestClock {
  /** The clock's time minus the real one, in ms, when it follows real time. */
  #offsetMs: number
  /** The clock's time when frozen; undefined while it follows real time. */
  #frozenAt: number | undefined

  constructor(options: TestClockOptions = {}) {
    const start = options.start === undefined ? Date.now() : Number(options.start)
    this.#offsetMs = start - Date.now()
    this.#frozenAt = options.frozen === false ? undefined : start
  }

  /** Milliseconds since the epoch, on this clock. */
  nowMs(): number {
    return this.#frozenAt ?? Date.now() + this.#offsetMs
  }

  now(): Date {
    return new Date(this.nowMs())
  }

  /** Whole seconds since the epoch, as JWT and many APIs count. */
  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000)
  }

  /** Moves the clock forward (or back, with a negative amount). */
  advance(ms: number): void {
    if (!Number.isFinite(ms)) throw new Error(`clock.advance needs a finite number, got ${ms}`)
    if (this.#frozenAt === undefined) this.#offsetMs += ms
    else this.#frozenAt += ms
  }

  /** Sets the clock to an instant. */
  set(instant: Date | number): void {
    const target = Number(instant)
    if (this.#frozenAt === undefined) this.#offsetMs = target - Date.now()
    else this.#frozenAt = target
  }

  /** Stops the clock where it is. */
  freeze(): void {
    this.#frozenAt = this.nowMs()
  }

  /** Lets the clock run with real time again, from where it stands. */
  unfreeze(): void {
    if (this.#frozenAt === undefined) return
    this.#offsetMs = this.#frozenAt - Date.now()
    this.#frozenAt = undefined
  }

  get frozen(): boolean {
    return this.#frozenAt !== undefined
  }
}
