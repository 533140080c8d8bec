import type { ActionConfig } from '../../config/rotation-config.js'
import type { Logger } from '../../logger.js'
import type { CredentialAlert } from '../provider.js'
import { updateAlertIssue } from './alert-issue.js'
import { createStoreClient } from './store-client.js'

/**
 * The alert issue of a credential with a record, in the workflow's repository; none for a run
 * without a GitHub token (GitHub plays no part in it).
 */
export async function alertOnGitHub(
  config: ActionConfig,
  alert: CredentialAlert,
  deps: { log: Logger; redact: (text: string) => string }
): Promise<void> {
  const repository = config.slices.github?.repository
  if (!repository || config.publish.token === '') return
  // A few sequential requests, none paced: the store's client, without the targets' throttling.
  const client = createStoreClient({
    token: config.publish.token,
    baseUrl: config.publish.apiUrl,
    log: deps.log
  })
  await updateAlertIssue(client, repository, alert, deps.log, deps.redact)
}
