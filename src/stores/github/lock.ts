import * as z from 'zod'
import type { Clock, Lease } from '../../engine/ports.js'
import { ActionError, describeError } from '../../errors.js'
import { toGitHubError } from '../../github/request-errors.js'
import type { Logger } from '../../logger.js'
import { repositoryNotFound, VARIABLES_PERMISSION, type RepositoryVariables } from './variables.js'

/** The lock variable's value: who holds it and until when. Never a secret. */
const lockSchema = z.object({
  owner: z.string(),
  acquiredAt: z.iso.datetime(),
  expiresAt: z.iso.datetime()
})

type LockRecord = z.infer<typeof lockSchema>

/** What {@link acquireVariableLock} needs. */
export interface VariableLockOptions {
  variables: RepositoryVariables
  /** The lock variable's name. */
  name: string
  log: Logger
  clock: Clock
}

/**
 * Takes the one-writer lock: a repository variable that only one run can create, because GitHub
 * answers a create of an existing variable with 409. A lock found past its expiry (its run died
 * without releasing it) or unreadable is deleted and the create tried once more.
 *
 * One race remains: two runs that find the same expired lock at the same moment may both delete
 * it and both create their own, the later delete removing the earlier run's fresh lock. Variables
 * have no conditional delete to close it. The state fingerprint check is the second line of
 * defence: the run that rotates second finds its input no longer current and refuses.
 * @param owner names this run, for the message another run gets
 * @throws ActionError `locked` when a live run holds the lock; `github-*` when GitHub refuses
 */
export async function acquireVariableLock(
  options: VariableLockOptions,
  owner: string,
  ttlMs: number
): Promise<Lease> {
  const { variables, name, log, clock } = options
  const now = clock.now()
  const mine: LockRecord = {
    owner,
    acquiredAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString()
  }
  try {
    for (let attempt = 1; ; attempt += 1) {
      if (await variables.create(name, JSON.stringify(mine))) break
      const text = await variables.get(name)
      // Released between our create and our read: the create may be tried again.
      if (text === undefined && attempt === 1) continue
      const held = text === undefined ? undefined : parseLock(text)
      // A create whose answer was lost and that the client sent again finds its own lock.
      if (held && sameLock(held, mine)) break
      if (held && Date.parse(held.expiresAt) > now.getTime()) throw lockedError(held, options)
      if (attempt > 1) throw contestedError(options)
      log.warning(
        held
          ? `Taking over the lock ${name} of ${variables.repository}: ${held.owner} took it at ${held.acquiredAt} and it expired at ${held.expiresAt} (that run most likely died).`
          : `Taking over the lock ${name} of ${variables.repository}: its value is not a lock this action wrote.`
      )
      await variables.delete(name)
    }
  } catch (error) {
    throw toGitHubError(error, {
      phase: 'preflight',
      doing: `taking the lock ${name} of ${variables.repository}`,
      permission: VARIABLES_PERMISSION,
      notFound: repositoryNotFound(variables.repository)
    })
  }
  return { release: () => release(options, mine) }
}

/**
 * Deletes the lock if it is still ours. Another run's lock (ours expired and was taken over) is
 * left alone. A failure is only a warning: the lock expires on its own.
 */
async function release(options: VariableLockOptions, mine: LockRecord): Promise<void> {
  const { variables, name, log } = options
  try {
    const text = await variables.get(name)
    if (text === undefined) return
    const held = parseLock(text)
    if (!held || !sameLock(held, mine)) {
      log.warning(
        `Left the lock ${name} of ${variables.repository} in place: it is no longer this run's${held ? ` but ${held.owner}'s` : ''} (this run's lock expired at ${mine.expiresAt} and was taken over).`
      )
      return
    }
    await variables.delete(name)
  } catch (error) {
    const reason = toGitHubError(error, {
      phase: 'report',
      doing: `releasing the lock ${name} of ${variables.repository}`,
      permission: VARIABLES_PERMISSION
    })
    log.warning(
      `${describeError(reason)} The lock expires on its own at ${mine.expiresAt}; until then other runs wait for it.`
    )
  }
}

function parseLock(text: string): LockRecord | undefined {
  try {
    const parsed = lockSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

function sameLock(a: LockRecord, b: LockRecord): boolean {
  return a.owner === b.owner && a.acquiredAt === b.acquiredAt
}

function lockedError(held: LockRecord, options: VariableLockOptions): ActionError {
  const { name, variables } = options
  return new ActionError(
    `Another rotation holds the lock ${name} of ${variables.repository}: ${held.owner}, since ${held.acquiredAt}; it expires at ${held.expiresAt}. Wait for that run to finish and run again, or, if that run is known to be dead, delete the repository variable ${name} (gh variable delete ${name} --repo ${variables.repository}) and run again.`,
    { code: 'locked', phase: 'preflight' }
  )
}

function contestedError(options: VariableLockOptions): ActionError {
  const { name, variables } = options
  return new ActionError(
    `The lock ${name} of ${variables.repository} changed hands while this run was taking it: another run is starting at the same time. Run again once it has finished.`,
    { code: 'locked', phase: 'preflight' }
  )
}
