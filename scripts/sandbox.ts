// `npm run sandbox`: full runs of the bundled action (dist/index.js) against local peers on
// 127.0.0.1, as a user would run it on GitHub, printing what the runner would show:
//   1. publishing a given value to several targets (local GitHub API server): one target that
//      fails its check stops the run before anything is written, then an org secret is written;
//   2. two OAuth2 rotations in a row: oidc-provider with rotating refresh tokens as the issuer, the
//      local GitHub server as the store (refresh token secret + record variable) and the target,
//      then the peers' state is checked;
//   3. AWS Secrets Manager (a local server speaking its wire protocol, driven by the real AWS SDK):
//      an OAuth2 rotation with the refresh token in a secret's versions, then a sync of a JSON
//      secret's fields to two GitHub secrets;
//   4. Vault (sandbox/vault.ts): a dynamic database credential published by field and checked by a
//      command health check, its replaced lease revoked after the grace period, and an OAuth2
//      refresh token kept in KV v2;
//   5. GitLab (sandbox/gitlab-token.ts): a project access token renewed by create-then-revoke,
//      published to a GitHub secret and a hidden CI/CD variable, the old one revoked after the grace;
//   6. the HTTP key issuer (sandbox/key-api.ts): the Capgo recipe against a Capgo-shaped key API;
//   7. GitLab CI (sandbox/gitlab-job.ts): dist/cli.js in a simulated GitLab job (Vault JWT login
//      with the job's ID token), writing its report folder.
// After each run the servers' state is checked, one line per check. Exits non-zero when a check
// fails. `npm run sandbox -- vault gitlab` runs only the parts named (publish, oauth2, aws, vault,
// gitlab, key-api, gitlab-job).
// Secret values are never printed: `::add-mask::` lines are dropped and every known secret is
// replaced by *** in what is shown, as the runner would; a value that needed replacing is a leak
// and fails the sandbox.
import { fingerprint } from '../src/engine/fingerprint.js'
import { generateRecoveryKeyPair } from '../src/recovery/recovery-key.js'
import { openRecovery } from '../src/recovery/recovery-box.js'
import { leaks, runAction } from '../test-servers/action-runner.js'
import { startSecretsManagerServer } from '../test-servers/aws/index.js'
import { startGitHubServer } from '../test-servers/github/index.js'
import { startOAuth2Server } from '../test-servers/oauth2/index.js'
import {
  TOKEN,
  check,
  failures,
  masked,
  prettyJson,
  secrets,
  section,
  show
} from './sandbox/common.js'
import { gitlabJobDemo } from './sandbox/gitlab-job.js'
import { gitlabTokenDemo } from './sandbox/gitlab-token.js'
import { keyApiDemo } from './sandbox/key-api.js'
import { vaultDemo } from './sandbox/vault.js'

async function publishDemo(): Promise<void> {
  const server = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write' } },
    latencyMs: 20
  })
  try {
    server.addOrganization('acme')
    server.addRepository('acme/api', { environments: ['production', 'staging'] })
    server.addRepository('acme/web', { environments: ['production'] })
    server.addRepository('acme/worker')
    section(
      'Publishing a given value to GitHub secrets',
      `Local GitHub API server on ${server.url} with acme/api, acme/web, acme/worker.`
    )

    const env = { GITHUB_API_URL: server.url, GITHUB_REPOSITORY: 'acme/api' }
    const value = `sandbox-${Date.now().toString(36)}`
    secrets.add(value)

    const envRun = await runAction({
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
    show(
      'Publish 1: environment secrets in two repositories (acme/web has no staging: its check fails, so nothing is written)',
      envRun
    )
    const orgRun = await runAction({
      inputs: {
        'github-token': TOKEN,
        'secret-name': 'DEPLOY_TOKEN',
        value,
        org: 'acme',
        'selected-repositories': 'acme/web, acme/worker'
      },
      env
    })
    show('Publish 2: one organization secret shared with selected repositories', orgRun)
    const stored = server.getSecret('orgs/acme/actions/secrets/DEPLOY_TOKEN')
    console.log('--- checks ---')
    check(
      envRun.exitCode === 1 &&
        server.getSecret('repos/acme/api/environments/production/secrets/DEPLOY_TOKEN') ===
          undefined,
      'the environment run failed at preflight and wrote none of its 4 targets'
    )
    check(orgRun.exitCode === 0, 'the org secret run exited 0')
    check(
      stored?.value === value,
      `the server opened the sealed org secret to the published value (visibility ${stored?.visibility}, repository ids ${JSON.stringify(stored?.selectedRepositoryIds)})`
    )
  } finally {
    await server.close()
  }
}

const REPO = 'acme/api'
const REFRESH_SECRET = 'OAUTH_REFRESH_TOKEN'
const ACCESS_SECRET = 'API_ACCESS_TOKEN'
const STATE_VARIABLE = `${REFRESH_SECRET}_STATE`
const secretPath = (name: string) => `repos/${REPO}/actions/secrets/${name}`

async function oauth2Demo(): Promise<void> {
  const github = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write', variables: 'write', issues: 'write' } },
    latencyMs: 20
  })
  const oauth = await startOAuth2Server()
  try {
    github.addRepository(REPO)
    const keys = await generateRecoveryKeyPair()
    const first = await oauth.mintRefreshToken()
    github.seedSecret(secretPath(REFRESH_SECRET), first)
    for (const value of [first, oauth.clients.basic.clientSecret, keys.privateKey]) {
      secrets.add(value)
    }
    const secretValue = (name: string) => github.getSecret(secretPath(name))?.value
    section(
      'OAuth2: a rotating refresh token kept in a GitHub secret',
      `Local OAuth2 server (oidc-provider, rotating refresh tokens) on ${oauth.issuer}; ` +
        `local GitHub API server on ${github.url} with ${REPO}.\n` +
        `A first refresh token was minted (as if alice had just authorized the client) and seeded ` +
        `into the secret ${REFRESH_SECRET}; a recovery key pair was generated.`
    )

    for (let i = 1; i <= 2; i++) {
      // What the job's `${{ secrets.NAME }}` would read when it starts.
      const refresh = secretValue(REFRESH_SECRET) ?? ''
      const previous = secretValue(ACCESS_SECRET)
      const run = await runAction({
        inputs: {
          'github-token': TOKEN,
          issuer: 'oauth2',
          'token-url': oauth.tokenUrl,
          'client-id': oauth.clients.basic.clientId,
          'client-secret': oauth.clients.basic.clientSecret,
          'refresh-token': refresh,
          'refresh-token-secret': REFRESH_SECRET,
          'secret-name': ACCESS_SECRET,
          'health-check-url': oauth.resourceUrl,
          'health-check-timeout': '5s',
          'recovery-public-key': keys.publicKey,
          'write-interval': '10ms',
          ...(previous === undefined ? {} : { 'previous-value': previous })
        },
        env: {
          GITHUB_API_URL: github.url,
          GITHUB_REPOSITORY: REPO,
          GITHUB_RUN_ID: String(1000 + i),
          GITHUB_RUN_ATTEMPT: '1'
        }
      })
      const live = secretValue(REFRESH_SECRET) ?? ''
      const access = secretValue(ACCESS_SECRET) ?? ''
      secrets.add(live)
      secrets.add(access)
      show(
        `OAuth2 rotation ${i}: refresh ${REFRESH_SECRET} at the token endpoint, persist the new refresh token, publish ${ACCESS_SECRET}, health-check it at the resource`,
        run
      )

      console.log('--- checks ---')
      check(run.exitCode === 0 && run.errors.length === 0, 'exit code 0, no error annotation')
      check(
        run.outputs.status === 'rotated' && run.outputs.rotated === 'true',
        'outputs: status rotated, rotated true'
      )
      check(live !== '' && live !== refresh, `${REFRESH_SECRET} holds a new refresh token`)
      check(
        access !== '' && (await oauth.isAccessTokenActive(access)),
        `the new ${ACCESS_SECRET} works at the protected resource`
      )
      if (previous !== undefined) {
        // revoke-previous is off: the replaced access token runs out on its own.
        check(
          access !== previous && (await oauth.isAccessTokenActive(previous)),
          `the replaced ${ACCESS_SECRET} still works (no revoke-previous: it expires on its own)`
        )
      }
      check(
        !(await oauth.isRefreshTokenActive(refresh)),
        'the refresh token this run was given is dead (consumed by the rotation)'
      )
      check(
        await oauth.isRefreshTokenActive(live),
        `the refresh token in ${REFRESH_SECRET} is live`
      )
      check(await oauth.isGrantAlive(first), 'the grant is alive (no reuse revoked it)')
      let opened = false
      try {
        opened =
          (await openRecovery(run.outputs['recovery-ciphertext'] ?? '', keys.privateKey)) === live
      } catch {
        opened = false
      }
      check(
        opened,
        'the recovery-ciphertext output opens with the private key to the live refresh token'
      )
      const found = [...secrets].flatMap(secret => leaks(run, secret))
      check(
        found.length === 0,
        `no secret value in stdout, stderr, summary, audit log or outputs${found.length ? ` (found in ${found.join(', ')})` : ''}`
      )
      const variable = github.getVariable(REPO, STATE_VARIABLE)
      const recordText = variable?.value ?? ''
      check(
        recordText !== '' && ![...secrets].some(secret => recordText.includes(secret)),
        `the record variable ${STATE_VARIABLE} exists and holds no secret value`
      )
      const record = parseRecord(recordText)
      check(
        record.current?.fingerprint === fingerprint(live) &&
          record.previous?.fingerprint === fingerprint(refresh) &&
          record.published?.fingerprint === fingerprint(access) &&
          record.published.fingerprint === run.outputs.version &&
          record.consecutiveFailures === 0,
        'the record names the live refresh token as current, the consumed one as previous, the published access token (= output version), 0 failures'
      )
      console.log(`--- record variable ${STATE_VARIABLE} (fingerprints and times, no values) ---`)
      console.log(prettyJson(recordText))
    }
  } finally {
    await oauth.close()
    await github.close()
  }
}

async function awsDemo(): Promise<void> {
  const github = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write', variables: 'write', issues: 'write' } },
    latencyMs: 20
  })
  const oauth = await startOAuth2Server()
  const aws = await startSecretsManagerServer()
  try {
    github.addRepository(REPO)
    const first = await oauth.mintRefreshToken()
    aws.seedSecret('prod/oauth', {
      secretString: JSON.stringify({ client: 'reporting', refresh_token: first })
    })
    aws.seedSecret('prod/db', {
      secretString: JSON.stringify({ username: 'reporting', password: 'sandbox-db-password' }),
      replicas: [{ region: 'eu-west-1', status: 'InProgress' }]
    })
    for (const value of [first, 'sandbox-db-password', aws.credentials.secretAccessKey]) {
      secrets.add(value)
    }
    section(
      'AWS Secrets Manager: a refresh token in a secret, and a sync of a JSON secret',
      `Local AWS Secrets Manager server on ${aws.url} (the real AWS SDK reaches it through AWS_ENDPOINT_URL_SECRETS_MANAGER) ` +
        `with prod/oauth (a JSON secret holding the first refresh token) and prod/db (a database login, replicated to eu-west-1).`
    )
    const env = {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: '2001',
      GITHUB_RUN_ATTEMPT: '1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true'
    }
    const tokenOf = (label: string) => {
      const text = aws.stageOf('prod/oauth', label)?.secretString ?? '{}'
      return (JSON.parse(text) as { refresh_token?: string }).refresh_token ?? ''
    }
    const rotation = await runAction({
      inputs: {
        'github-token': TOKEN,
        issuer: 'oauth2',
        'store-secret-id': 'prod/oauth',
        'token-url': oauth.tokenUrl,
        'client-id': oauth.clients.basic.clientId,
        'client-secret': oauth.clients.basic.clientSecret,
        'secret-name': ACCESS_SECRET,
        'health-check-url': oauth.resourceUrl,
        'write-interval': '10ms'
      },
      env
    })
    const live = tokenOf('AWSCURRENT')
    const access = github.getSecret(secretPath(ACCESS_SECRET))?.value ?? ''
    secrets.add(live)
    secrets.add(access)
    for (const version of aws.getSecret('prod/oauth')?.versions ?? []) {
      secrets.add(version.secretString ?? '')
    }
    show(
      'AWS 1: OAuth2 rotation with the refresh token in Secrets Manager: AWSCURRENT read, the new token staged as AWSPENDING, promoted after the health check',
      rotation
    )
    console.log('--- checks ---')
    check(
      rotation.exitCode === 0 && rotation.errors.length === 0,
      'exit code 0, no error annotation'
    )
    check(tokenOf('AWSPREVIOUS') === first, 'AWSPREVIOUS holds the consumed refresh token')
    check(
      live !== first && (await oauth.isRefreshTokenActive(live)),
      'AWSCURRENT holds the live one'
    )
    check(await oauth.isAccessTokenActive(access), `the new ${ACCESS_SECRET} works`)
    check(await oauth.isGrantAlive(first), 'the grant is alive')
    const tags = JSON.stringify(aws.getSecret('prod/oauth')?.tags ?? {})
    check(
      ![...secrets].some(secret => secret !== '' && tags.includes(secret)),
      "the secret's tags (the rest of the record) hold no value"
    )
    console.log(`--- tags of prod/oauth ---\n${prettyJson(tags)}`)

    const sync = await runAction({
      inputs: {
        'github-token': TOKEN,
        'store-secret-id': 'prod/db',
        'secret-fields': 'DB_USER=username, DB_PASSWORD=password',
        'write-interval': '10ms'
      },
      env: { ...env, GITHUB_RUN_ID: '2002' }
    })
    show(
      'AWS 2: sync prod/db to two secrets, one per JSON field, once its replica is in sync',
      sync
    )
    console.log('--- checks ---')
    check(sync.exitCode === 0 && sync.errors.length === 0, 'exit code 0, no error annotation')
    check(
      github.getSecret(secretPath('DB_USER'))?.value === 'reporting' &&
        github.getSecret(secretPath('DB_PASSWORD'))?.value === 'sandbox-db-password',
      'DB_USER and DB_PASSWORD hold the fields'
    )
    for (const run of [rotation, sync]) {
      const found = [...secrets].flatMap(secret => (secret === '' ? [] : leaks(run, secret)))
      check(
        found.length === 0,
        `no secret value in what the run printed or wrote${found.length ? ` (found in ${found.join(', ')})` : ''}`
      )
    }
  } finally {
    await aws.close()
    await oauth.close()
    await github.close()
  }
}

interface RotationRecord {
  current?: { fingerprint?: string }
  previous?: { fingerprint?: string }
  published?: { fingerprint?: string }
  consecutiveFailures?: number
}

function parseRecord(text: string): RotationRecord {
  try {
    return JSON.parse(text) as RotationRecord
  } catch {
    return {}
  }
}

/** The parts, in order; `npm run sandbox -- vault gitlab` runs only those named. */
const PARTS: Record<string, () => Promise<void>> = {
  publish: publishDemo,
  oauth2: oauth2Demo,
  aws: awsDemo,
  vault: vaultDemo,
  gitlab: gitlabTokenDemo,
  'key-api': keyApiDemo,
  'gitlab-job': gitlabJobDemo
}
const asked = process.argv.slice(2)
const unknown = asked.filter(name => !(name in PARTS))
if (unknown.length > 0) {
  console.error(`Unknown part(s): ${unknown.join(', ')}. Parts: ${Object.keys(PARTS).join(', ')}.`)
  process.exit(2)
}
const started = Date.now()
for (const [name, part] of Object.entries(PARTS)) {
  if (asked.length > 0 && !asked.includes(name)) continue
  try {
    await part()
  } catch (error: unknown) {
    // A part that throws (a server that would not start, a bug in the sandbox) fails loudly, and
    // the other parts still run.
    check(
      false,
      `part ${name} stopped: ${masked(error instanceof Error ? (error.stack ?? error.message) : String(error))}`
    )
  }
}
console.log(
  `\n${failures.length === 0 ? 'All checks passed' : `${failures.length} check(s) FAILED:\n  - ${failures.join('\n  - ')}`} (${((Date.now() - started) / 1000).toFixed(1)} s).`
)
if (failures.length > 0) process.exitCode = 1
