import { d as describeError } from './errors-DDD4RsHd.js';
import { p as parseAnswer, t as toGitHubError, c as createStoreClient } from './store-client-CeddLOuo.js';
import { r as repositoryName } from './index-Czz4Wkal.js';
import { o as object, n as number, a as array, s as string } from './schemas-D3_i4Iqf.js';
import './_commonjsHelpers-Bgu_3bK-.js';
import 'node:timers/promises';
import './duration-Cyz5SPp-.js';
import './wording-CXsTWj4t.js';
import './loopback-CdUp0z11.js';
import './lists-D2x1VrPX.js';
import 'node:crypto';

/** The label that marks the alert issues of this action. */
const ALERT_LABEL = 'token-rotation';
const ISSUES_PERMISSION = 'repository "Issues: write"';
const openIssues = array(object({ number: number().int(), title: string() }));
/**
 * The alert of DESIGN.md's report step: a GitHub issue opened once `threshold` runs in a row have
 * failed, commented on by each later failure, and closed by the next success. A rotation that
 * keeps failing needs a person before its access token expires; a failed scheduled run alone is
 * easy to miss. Never fails the run: a problem here is a warning.
 * @param redact removes every registered secret from what the issue says: an issue is read by
 *   everyone with access to the repository, and no runner masks it
 */
async function updateAlertIssue(client, repository, update, log, redact) {
    // No request when there is nothing to do: a failure below the threshold neither opens nor
    // comments, and a success after a recorded success has nothing to close (that run closed it).
    if (update.failed ? update.failures < update.threshold : update.previousFailures === 0)
        return;
    const { owner, repo } = repository;
    const title = redact(`Token rotation failing: ${update.subject}`);
    const run = update.runUrl ? ` ([run](${update.runUrl}))` : '';
    try {
        const answer = await client.request('GET /repos/{owner}/{repo}/issues', {
            owner,
            repo,
            state: 'open',
            labels: ALERT_LABEL,
            per_page: 100
        });
        const open = parseAnswer(openIssues, answer.data, 'the open alert issues').find(issue => issue.title === title);
        if (!update.failed) {
            if (open === undefined)
                return;
            await client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
                owner,
                repo,
                issue_number: open.number,
                body: redact(`Rotation succeeded again${run}. Closing.`)
            });
            await client.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
                owner,
                repo,
                issue_number: open.number,
                state: 'closed'
            });
            log.info(`Closed the alert issue #${String(open.number)}: the rotation works again.`);
            return;
        }
        if (update.failures < update.threshold)
            return;
        const line = `Failed ${String(update.failures)} times in a row${run}: ${update.reason ?? 'see the run'}`;
        if (open !== undefined) {
            await client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
                owner,
                repo,
                issue_number: open.number,
                body: redact(line)
            });
            log.warning(`The alert issue #${String(open.number)} has a new comment.`, { title });
            return;
        }
        const created = await client.request('POST /repos/{owner}/{repo}/issues', {
            owner,
            repo,
            title,
            labels: [ALERT_LABEL],
            body: redact([
                `The rotation of \`${update.subject}\` has failed ${String(update.failures)} runs in a row.`,
                '',
                line,
                '',
                'The job summary of each run lists its steps and what to do. This issue closes itself when a rotation succeeds.'
            ].join('\n'))
        });
        const number$1 = object({ number: number() }).safeParse(created.data);
        log.warning(`Opened the alert issue${number$1.success ? ` #${String(number$1.data.number)}` : ''} in ${repositoryName(repository)}.`, { title });
    }
    catch (error) {
        const reason = toGitHubError(error, {
            phase: 'report',
            doing: `updating the alert issue in ${repositoryName(repository)}`,
            permission: ISSUES_PERMISSION
        });
        log.warning(`${describeError(reason)} (set alert-after: 0 to turn alerts off)`, {
            title: 'Alert issue'
        });
    }
}

/**
 * The alert issue of a credential with a record, in the workflow's repository; none for a run
 * without a GitHub token (GitHub plays no part in it).
 */
async function alertOnGitHub(config, alert, deps) {
    const repository = config.slices.github?.repository;
    if (!repository || config.publish.token === '')
        return;
    // A few sequential requests, none paced: the store's client, without the targets' throttling.
    const client = createStoreClient({
        token: config.publish.token,
        baseUrl: config.publish.apiUrl,
        log: deps.log
    });
    await updateAlertIssue(client, repository, alert, deps.log, deps.redact);
}

export { alertOnGitHub };
