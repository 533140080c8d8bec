import { setTimeout as delay } from 'node:timers/promises'
import type { Clock, Sleep } from '../engine/ports.js'

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() }

/** The real wait. */
export const realSleep: Sleep = ms => delay(ms)
