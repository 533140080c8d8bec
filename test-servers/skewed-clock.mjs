// Loaded into a run with `node --import` to put its clock SKEWED_CLOCK_MS off (negative: behind):
// a runner whose clock is wrong. Only the clock moves; timers and everything else are untouched.
import process from 'node:process'

const offset = Number(process.env.SKEWED_CLOCK_MS ?? '0')
const RealDate = globalThis.Date

class SkewedDate extends RealDate {
  /** @param {[] | [string | number | Date]} args */
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset)
    else super(...args)
  }

  static now() {
    return RealDate.now() + offset
  }
}

globalThis.Date = SkewedDate
