import type { CredentialAlert } from '../provider.js'
import * as z from 'zod'
import { describeError } from '../../errors.js'
import type { GitHubClient } from './client.js'
import { parseAnswer, toGitHubError } from './request-errors.js'
import { repositoryName, type RepositoryRef } from './rules.js'
import type { Logger } from '../../logger.js'

/** The label that marks the alert issues of this action. */
export const ALERT_LABEL = 'token-rotation'

const ISSUES_PERMISSION = 'repository "Issues: write"'

const openIssues = z.array(z.object({ number: z.number().int(), title: z.string() }))

/** What the alert is about and what this run said. Holds no value. */
export type AlertUpdate = CredentialAlert

/**
 * The alert of DESIGN.md's report step: a GitHub issue opened once `threshold` runs in a row have
 * failed, commented on by each later failure, and closed by the next success. A rotation that
 * keeps failing needs a person before its access token expires; a failed scheduled run alone is
 * easy to miss. Never fails the run: a problem here is a warning.
 * @param redact removes every registered secret from what the issue says: an issue is read by
 *   everyone with access to the repository, and no runner masks it
 */
export async function updateAlertIssue(
  client: GitHubClient,
  repository: RepositoryRef,
  update: AlertUpdate,
  log: Logger,
  redact: (text: string) => string
): Promise<void> {
  // No request when there is nothing to do: a failure below the threshold neither opens nor
  // comments, and a success after a recorded success has nothing to close (that run closed it).
  if (update.failed ? update.failures < update.threshold : update.previousFailures === 0) return
  const { owner, repo } = repository
  const title = redact(`Token rotation failing: ${update.subject}`)
  const run = update.runUrl ? ` ([run](${update.runUrl}))` : ''
  try {
    const answer = await client.request('GET /repos/{owner}/{repo}/issues', {
      owner,
      repo,
      state: 'open',
      labels: ALERT_LABEL,
      per_page: 100
    })
    const open = parseAnswer(openIssues, answer.data, 'the open alert issues').find(
      issue => issue.title === title
    )
    if (!update.failed) {
      if (open === undefined) return
      await client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        owner,
        repo,
        issue_number: open.number,
        body: redact(`Rotation succeeded again${run}. Closing.`)
      })
      await client.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
        owner,
        repo,
        issue_number: open.number,
        state: 'closed'
      })
      log.info(`Closed the alert issue #${String(open.number)}: the rotation works again.`)
      return
    }
    if (update.failures < update.threshold) return
    const line = `Failed ${String(update.failures)} times in a row${run}: ${update.reason ?? 'see the run'}`
    if (open !== undefined) {
      await client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        owner,
        repo,
        issue_number: open.number,
        body: redact(line)
      })
      log.warning(`The alert issue #${String(open.number)} has a new comment.`, { title })
      return
    }
    const created = await client.request('POST /repos/{owner}/{repo}/issues', {
      owner,
      repo,
      title,
      labels: [ALERT_LABEL],
      body: redact(
        [
          `The rotation of \`${update.subject}\` has failed ${String(update.failures)} runs in a row.`,
          '',
          line,
          '',
          'The job summary of each run lists its steps and what to do. This issue closes itself when a rotation succeeds.'
        ].join('\n')
      )
    })
    const number = z.object({ number: z.number() }).safeParse(created.data)
    log.warning(
      `Opened the alert issue${number.success ? ` #${String(number.data.number)}` : ''} in ${repositoryName(repository)}.`,
      { title }
    )
  } catch (error) {
    const reason = toGitHubError(error, {
      phase: 'report',
      doing: `updating the alert issue in ${repositoryName(repository)}`,
      permission: ISSUES_PERMISSION
    })
    log.warning(`${describeError(reason)} (set alert-after: 0 to turn alerts off)`, {
      title: 'Alert issue'
    })
  }
}
