import { ActionError, type ErrorCode, type Phase } from '../../errors.js'
import type { GitLabAnswer, GitLabClient } from './client.js'
import { GitLabTransportError } from './client.js'

/** What a failed request was doing, for its message. */
export interface GitLabContext {
  phase: Phase
  /** `reading the variable DEPLOY_TOKEN of acme/app`. */
  doing: string
  /** What the token needs, for 401 and 403: `the api scope and the Maintainer role in acme/app`. */
  needs: string
  /** What a 404 means here, and what to do. */
  notFound?: string
}

/** The code of a GitLab answer that is not a success. */
export function codeOf(status: number): ErrorCode {
  if (status === 401) return 'gitlab-auth'
  if (status === 403) return 'gitlab-forbidden'
  if (status === 404) return 'gitlab-not-found'
  if (status === 429) return 'gitlab-rate-limited'
  if (status >= 500) return 'gitlab-unavailable'
  return 'gitlab-rejected'
}

/**
 * An answer that is not a success, as an ActionError that says what the run was doing, what
 * GitLab said (never a value) and what to do.
 */
export function answerError(
  client: GitLabClient,
  answer: GitLabAnswer,
  context: GitLabContext
): ActionError {
  const reason = client.reason(answer)
  const what = `GitLab refused ${context.doing} (${reason})`
  let advice: string
  switch (answer.status) {
    case 401:
      advice = `: the token is unknown, expired or revoked. Give a live token with ${context.needs}.`
      break
    case 403:
      advice = `: the token lacks ${context.needs}.`
      break
    case 404:
      advice = `: ${context.notFound ?? `it does not exist, or the token cannot see it (it needs ${context.needs})`}.`
      break
    case 429:
      advice = `: GitLab's rate limit; nothing was changed by this request. Run again later.`
      break
    default:
      advice = answer.status >= 500 ? ': GitLab failed; run again later.' : '.'
  }
  return new ActionError(`${what}${advice}`, {
    code: codeOf(answer.status),
    phase: context.phase,
    retryable: answer.status === 429 || answer.status >= 500
  })
}

/** A request that got no answer, for a request that is safe to repeat. */
export function transportError(error: unknown, context: GitLabContext): ActionError {
  const detail = error instanceof Error ? error.message : 'the request failed'
  return new ActionError(
    `No answer from GitLab while ${context.doing}: ${detail}. Run again later.`,
    {
      code: 'gitlab-unavailable',
      phase: context.phase,
      retryable: true,
      cause: error
    }
  )
}

/** Runs `request`, turning a lost answer into an ActionError of `context`. */
export async function answered(
  request: () => Promise<GitLabAnswer>,
  context: GitLabContext
): Promise<GitLabAnswer> {
  try {
    return await request()
  } catch (error) {
    if (error instanceof GitLabTransportError) throw transportError(error, context)
    throw error
  }
}
