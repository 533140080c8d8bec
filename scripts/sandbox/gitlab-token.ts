// The sandbox's GitLab part: a project access token renewed by create-then-revoke through
// dist/index.js, against the local GitLab and GitHub servers. Each rotation creates a token like
// the newest live one of its name, publishes it to a GitHub secret and to a hidden GitLab CI/CD
// variable, checks it against GitLab, and records the replaced token's id; a job 16 minutes later
// (its clock and GitLab's moved) revokes that token by id, the grace period over.
import { runAction, type ActionRun } from '../../test-servers/action-runner.js'
import { startGitHubServer } from '../../test-servers/github/index.js'
import { startGitLabServer } from '../../test-servers/gitlab/index.js'
import {
  MINUTE,
  TOKEN,
  check,
  checkNoLeaks,
  checksFollow,
  later,
  makeWorkspace,
  outcomes,
  remember,
  section,
  show
} from './common.js'

const REPO = 'acme/api'
const PROJECT = 'acme/app'

export async function gitlabTokenDemo(): Promise<void> {
  const gitlab = await startGitLabServer()
  const github = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write', variables: 'write', issues: 'write' } },
    latencyMs: 20
  })
  const workspace = await makeWorkspace('gitlab')
  try {
    github.addRepository(REPO)
    gitlab.addUser('maria')
    gitlab.addProject(PROJECT)
    gitlab.addMember('maria', 'project', PROJECT, 'maintainer')
    const admin = gitlab.seedPersonalToken('maria', { name: 'ci-admin', scopes: ['api'] })
    const first = gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['read_api'],
      accessLevel: 'developer'
    })
    github.seedSecret(`repos/${REPO}/actions/secrets/GITLAB_ADMIN_TOKEN`, admin.token)
    remember(admin.token, first.token)
    await workspace.write(
      'rotation.yml',
      `version: 1
credentials:
  deploy-token:
    issuer: { kind: gitlab-token, url: ${gitlab.url}, project: ${PROJECT}, token-name: deploy-bot, strategy: create-then-revoke, token: { env: GITLAB_ADMIN_TOKEN }, expires-in: 30d }
    store: { kind: github, secret: GITLAB_ADMIN_TOKEN }
    publish:
      - github: { secret: DEPLOY_TOKEN, repositories: [${REPO}] }
      - gitlab: { url: ${gitlab.url}, token: { env: GITLAB_ADMIN_TOKEN }, project: ${PROJECT}, variable: DEPLOY_TOKEN, hidden: true }
    health-check: { url: ${gitlab.apiUrl}/personal_access_tokens/self, timeout: 5s }
    retire: { revoke-previous: true, grace-period: 15m }
`
    )
    section(
      'GitLab: a project access token renewed by create-then-revoke',
      `Local GitLab on ${gitlab.url} with project ${PROJECT}, maria (Maintainer) and her admin token ci-admin; ` +
        `the project token deploy-bot (read_api, Developer) made by hand. Local GitHub API server on ${github.url} ` +
        `with ${REPO}, whose secret GITLAB_ADMIN_TOKEN holds the admin token.\n` +
        `rotation.yml publishes each new deploy-bot token to the GitHub secret DEPLOY_TOKEN and to the hidden ` +
        `CI/CD variable DEPLOY_TOKEN of ${PROJECT}, and revokes the replaced one 15 minutes later.`
    )

    const published = () =>
      github.getSecret(`repos/${REPO}/actions/secrets/DEPLOY_TOKEN`)?.value ?? ''
    const variable = () => gitlab.variable('project', PROJECT, 'DEPLOY_TOKEN')
    let runId = 4000
    const run = async (env: Record<string, string> = {}, mode?: string): Promise<ActionRun> => {
      runId += 1
      const action = await runAction({
        inputs: {
          'github-token': TOKEN,
          config: 'rotation.yml',
          'write-interval': '10ms',
          ...(mode ? { mode } : {})
        },
        env: {
          GITHUB_API_URL: github.url,
          GITHUB_REPOSITORY: REPO,
          GITHUB_RUN_ID: String(runId),
          GITHUB_RUN_ATTEMPT: '1',
          GITHUB_WORKSPACE: workspace.dir,
          // What the job's `env: GITLAB_ADMIN_TOKEN: ${{ secrets.GITLAB_ADMIN_TOKEN }}` reads.
          GITLAB_ADMIN_TOKEN:
            github.getSecret(`repos/${REPO}/actions/secrets/GITLAB_ADMIN_TOKEN`)?.value ?? '',
          ...env
        }
      })
      remember(...gitlab.tokens().map(token => token.token))
      return action
    }
    /** Asks GitLab who the token is, as a job holding it would: 200 while it works. */
    const use = async (token: string) =>
      (
        await fetch(`${gitlab.apiUrl}/personal_access_tokens/self`, {
          headers: { 'private-token': token }
        })
      ).status

    const one = await run()
    const second = published()
    show('GitLab 1: create a second deploy-bot token, publish it twice, check it', one)
    checksFollow()
    check(
      one.exitCode === 0 && one.errors.length === 0,
      `exit code 0, no error annotation (${outcomes(one)})`
    )
    const made = gitlab.tokenByValue(second)
    check(
      made !== undefined &&
        made.id !== first.id &&
        made.active &&
        made.scopes.join() === 'read_api' &&
        made.accessLevel === 30,
      `DEPLOY_TOKEN holds a new active deploy-bot token (id ${made?.id}), with the scopes and role of the one it replaces (read_api, Developer), expiring ${made?.expiresAt}`
    )
    const hidden = variable()
    check(
      hidden?.value === second && hidden.hidden && hidden.masked,
      `the CI/CD variable DEPLOY_TOKEN of ${PROJECT} holds it, hidden and masked`
    )
    check((await use(second)) === 200, 'the new token works at GitLab')
    check(
      gitlab.tokenById(first.id)?.active === true,
      'the hand-made token is left alone (no record names it: revoke it yourself)'
    )
    check(
      github.getSecret(`repos/${REPO}/actions/secrets/GITLAB_ADMIN_TOKEN`)?.value === admin.token &&
        (await use(admin.token)) === 200,
      'the admin token is not consumed: GITLAB_ADMIN_TOKEN still holds it, and it works'
    )
    checkNoLeaks([one])

    const two = await run()
    const third = published()
    show(
      'GitLab 2: a third token; the second is scheduled for revocation after the 15m grace',
      two,
      {
        brief: true
      }
    )
    checksFollow()
    check(
      two.exitCode === 0 && outcomes(two) === 'deploy-token rotated',
      `exit code 0 (${outcomes(two)})`
    )
    check(
      third !== second && variable()?.value === third,
      'DEPLOY_TOKEN (secret and variable) holds a third token'
    )
    check((await use(second)) === 200, 'the replaced token still works (grace period)')
    checkNoLeaks([two])

    gitlab.clock.advance(16 * MINUTE)
    const three = await run(later(16 * MINUTE), 'retire')
    show("GitLab 3: 16 minutes later (the job's clock and GitLab's moved), mode retire", three, {
      brief: true
    })
    checksFollow()
    check(
      three.exitCode === 0 && three.errors.length === 0,
      `exit code 0, no error annotation (${outcomes(three)})`
    )
    check(
      gitlab.tokenByValue(second)?.revoked === true,
      `the second token (id ${made?.id}) is revoked, by its id`
    )
    check(
      (await use(third)) === 200 && variable()?.value === third && published() === third,
      'the published token still works, in both places'
    )
    check(
      gitlab.activeTokens('deploy-bot').length === 2,
      'deploy-bot has 2 active tokens: the published one and the hand-made one'
    )
    checkNoLeaks([three])
  } finally {
    await workspace.remove()
    await github.close()
    await gitlab.close()
  }
}
