// `npm run sandbox`: a full run of the bundled action against a local GitHub API server on
// 127.0.0.1, as a user would run it on GitHub, printing what the runner would show.
import { runAction, type ActionRun } from '../test-servers/action-runner.js'
import { startGitHubServer } from '../test-servers/github/index.js'

const TOKEN = 'sandbox-token'

async function main(): Promise<void> {
  const server = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write' } },
    latencyMs: 20
  })
  try {
    server.addOrganization('acme')
    server.addRepository('acme/api', { environments: ['production', 'staging'] })
    server.addRepository('acme/web', { environments: ['production'] })
    server.addRepository('acme/worker')
    console.log(`Local GitHub API server on ${server.url} with acme/api, acme/web, acme/worker.\n`)

    const env = { GITHUB_API_URL: server.url, GITHUB_REPOSITORY: 'acme/api' }
    const value = `sandbox-${Date.now().toString(36)}`

    show(
      'Run 1: environment secrets in two repositories (acme/web has no staging: one target fails)',
      await runAction({
        inputs: {
          'github-token': TOKEN,
          'secret-name': 'DEPLOY_TOKEN',
          value,
          repositories: 'acme/api, acme/web',
          environment: 'production, staging',
          'write-interval': '0.2s'
        },
        env
      })
    )
    show(
      'Run 2: one organization secret shared with selected repositories',
      await runAction({
        inputs: {
          'github-token': TOKEN,
          'secret-name': 'DEPLOY_TOKEN',
          value,
          org: 'acme',
          'selected-repositories': 'acme/web, acme/worker'
        },
        env
      })
    )
    const stored = server.getSecret('orgs/acme/actions/secrets/DEPLOY_TOKEN')
    console.log(
      `The server opened the sealed org secret: ${stored?.value === value ? 'it holds the published value' : 'MISMATCH'}, ` +
        `visibility ${stored?.visibility}, repository ids ${JSON.stringify(stored?.selectedRepositoryIds)}.`
    )
  } finally {
    await server.close()
  }
}

function show(title: string, run: ActionRun): void {
  const rule = '='.repeat(100)
  console.log(`${rule}\n${title}\n${rule}`)
  console.log(
    '--- log (what the runner prints; ::commands:: are turned into annotations and masks) ---'
  )
  process.stdout.write(run.stdout)
  if (run.stderr) process.stdout.write(`--- stderr ---\n${run.stderr}`)
  console.log(`--- exit code ${run.exitCode}; outputs ---`)
  for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}: ${value}`)
  console.log('--- job summary ---')
  console.log(run.summary)
}

await main()
