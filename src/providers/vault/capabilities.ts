import { ActionError, type Phase } from '../../errors.js'
import { POLICIES_DOC, VAULT_FORBIDDEN } from './errors.js'
import { VaultResponseError } from './http.js'
import type { VaultSession } from './session.js'

/** A capability a path needs, and what for (for the message when it is missing). */
export interface Needed {
  path: string
  /** Any one of these will do (`create` or `update` for a write that may create). */
  anyOf: readonly string[]
  for: string
}

/**
 * Checks, without writing anything, that the run's token has what each path needs: Vault's
 * `sys/capabilities-self` (in Vault's default policy) answers the token's capabilities on each
 * path. A token without it, or a Vault that does not answer it, is not checked here: the write
 * itself then says what is missing.
 * @returns the paths checked, or undefined when Vault could not say
 * @throws ActionError naming the first capability missing, before anything is consumed
 */
export async function requireCapabilities(
  session: VaultSession,
  needed: readonly Needed[],
  phase: Phase
): Promise<boolean> {
  const paths = [...new Set(needed.map(n => n.path))]
  let body: unknown
  try {
    const answer = await session.call(
      { method: 'POST', path: 'sys/capabilities-self', body: { paths } },
      {
        phase,
        doing: "checking the run's capabilities",
        path: 'sys/capabilities-self',
        capability: 'update',
        idempotent: true
      }
    )
    body = answer.body
  } catch (error) {
    const cause = error instanceof ActionError ? error.cause : undefined
    // Not allowed or not served: the writes will tell.
    if (cause instanceof VaultResponseError && cause.status < 500) return false
    throw error
  }
  const of = (path: string): string[] | undefined => {
    const record = body as Record<string, unknown> | undefined
    const data = record?.data as Record<string, unknown> | undefined
    const found =
      data?.[path] ??
      record?.[path] ??
      (paths.length === 1 ? (data?.capabilities ?? record?.capabilities) : undefined)
    return Array.isArray(found)
      ? found.filter((c): c is string => typeof c === 'string')
      : undefined
  }
  for (const need of needed) {
    const has = of(need.path)
    if (has === undefined) return false
    if (has.includes('root')) continue
    if (has.includes('deny') || !need.anyOf.some(c => has.includes(c))) {
      throw new ActionError(
        `The run's Vault token lacks \`${need.anyOf.join('` or `')}\` on ${need.path} (it has: ${has.length > 0 ? has.join(', ') : 'none'}), which ${need.for} needs: add it to the token's policy; see ${POLICIES_DOC}. Nothing was minted or written.`,
        { code: VAULT_FORBIDDEN, phase }
      )
    }
  }
  return true
}
