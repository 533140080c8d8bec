import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Clock } from '../engine/ports.js'
import type { Audit, AuditEvent } from '../engine/outcome.js'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'

/**
 * The JSON-lines audit file: one line per lifecycle event, appended the moment it happens so a
 * killed run still leaves its trail. Events never carry a value (the engine records fingerprints).
 * A file that cannot be written is one warning, never a failed rotation.
 * @param redact removes every registered secret from a line: an event's message may quote a peer
 *   that echoed one (the runner masks the log, never this file)
 */
export function createAuditFile(
  path: string,
  clock: Clock,
  log: Logger,
  redact: (text: string) => string
): Audit {
  let broken = false
  return {
    record(event: AuditEvent) {
      if (broken) return
      try {
        mkdirSync(dirname(path), { recursive: true })
        const line = JSON.stringify({ time: clock.now().toISOString(), ...event })
        appendFileSync(path, `${redact(line)}\n`, { mode: 0o600 })
      } catch (error) {
        broken = true
        log.warning(`Could not write the audit log ${path}: ${describeError(error)}`, {
          title: 'Audit log'
        })
      }
    }
  }
}
