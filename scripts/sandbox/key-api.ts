// The sandbox's key API part: the Capgo recipe (docs/recipes/capgo.md) pointed at the local
// Capgo-shaped key API, through dist/index.js. The http issuer creates a key with the admin key,
// publishes it to a GitHub secret, proves it against GET /app (which needs a valid key), and
// deletes the key it replaced by id once the grace period is over: a job 16 minutes later.
import { runAction, type ActionRun } from '../../test-servers/action-runner.js'
import { startGitHubServer } from '../../test-servers/github/index.js'
import { startKeyApiServer } from '../../test-servers/key-api/index.js'
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

export async function keyApiDemo(): Promise<void> {
  const keys = await startKeyApiServer()
  const github = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write', variables: 'write', issues: 'write' } },
    latencyMs: 20
  })
  const workspace = await makeWorkspace('key-api')
  try {
    github.addRepository(REPO)
    keys.addApp('com.acme.app')
    const admin = keys.seedKey({ name: 'admin', mode: 'all' }).key
    remember(admin)
    // The recipe as docs/recipes/capgo.md gives it, with the local API's address.
    await workspace.write(
      'rotation.yml',
      `version: 1
credentials:
  capgo-key:
    issuer:
      kind: http
      admin: { env: CAPGO_ADMIN_KEY }
      create:
        method: POST
        url: ${keys.url}/apikey
        headers: { authorization: '<admin>' }
        body: { name: 'ci-key-<nonce>', mode: all }
        value: /key
        id: /id
      revoke:
        method: DELETE
        url: '${keys.url}/apikey/<id>'
        headers: { authorization: '<admin>' }
      list:
        method: GET
        url: ${keys.url}/apikey
        headers: { authorization: '<admin>' }
        items: /
        id: /id
        name: /name
    publish:
      - github: { secret: CAPGO_API_KEY, repositories: [${REPO}] }
    health-check: { url: ${keys.url}/app, header: 'authorization: <token>', timeout: 5s }
    retire: { grace-period: 15m, revoke-previous: true }
`
    )
    section(
      'HTTP key issuer: a Capgo-shaped API key (the recipe of docs/recipes/capgo.md)',
      `Local key API on ${keys.url} (POST/GET /apikey, DELETE /apikey/:id, GET /app), with the admin key (mode all) ` +
        `and app com.acme.app. Local GitHub API server on ${github.url} with ${REPO}.`
    )

    const published = () =>
      github.getSecret(`repos/${REPO}/actions/secrets/CAPGO_API_KEY`)?.value ?? ''
    let runId = 5000
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
          CAPGO_ADMIN_KEY: admin,
          ...env
        }
      })
      remember(...keys.keys().map(key => key.key))
      return action
    }

    const one = await run()
    const key1 = published()
    show('Key API 1: create a key, publish it, check it at GET /app', one)
    checksFollow()
    check(
      one.exitCode === 0 && one.errors.length === 0,
      `exit code 0, no error annotation (${outcomes(one)})`
    )
    const made = keys.keyByValue(key1)
    check(
      made?.live === true && made.mode === 'all' && /^ci-key-/.test(made.name),
      `CAPGO_API_KEY holds a live key (id ${made?.id}, name ${made?.name})`
    )
    check((made?.uses ?? 0) >= 1, 'the health check used it (GET /app)')
    checkNoLeaks([one])

    const two = await run()
    const key2 = published()
    show('Key API 2: a second key; the first is scheduled for deletion after the 15m grace', two, {
      brief: true
    })
    checksFollow()
    check(
      two.exitCode === 0 && outcomes(two) === 'capgo-key rotated',
      `exit code 0 (${outcomes(two)})`
    )
    check(
      key2 !== key1 && keys.keyByValue(key2)?.live === true,
      'CAPGO_API_KEY holds a second live key'
    )
    check(keys.keyByValue(key1)?.live === true, 'the first key still works (grace period)')
    checkNoLeaks([two])

    const three = await run(later(16 * MINUTE), 'retire')
    show("Key API 3: 16 minutes later (the job's clock moved), mode retire", three, { brief: true })
    checksFollow()
    check(
      three.exitCode === 0 && three.errors.length === 0,
      `exit code 0, no error annotation (${outcomes(three)})`
    )
    check(keys.keyByValue(key1)?.live === false, 'the first key is deleted')
    const deletes = keys.log.filter({ method: 'DELETE' }).map(r => r.path)
    check(
      deletes.length === 1 && deletes[0] === `/apikey/${made?.id}`,
      `deleted by id: the one DELETE was ${deletes.join(', ')} (no key in any path)`
    )
    check(
      keys.keyByValue(key2)?.live === true &&
        published() === key2 &&
        keys.keyByValue(admin)?.live === true,
      'the published key is live; the admin key too'
    )
    check(
      keys
        .liveKeys()
        .map(k => k.name)
        .filter(name => name.startsWith('ci-key-')).length === 1,
      'one ci-key-* key is live'
    )
    checkNoLeaks([three])
  } finally {
    await workspace.remove()
    await github.close()
    await keys.close()
  }
}
