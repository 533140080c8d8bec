import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  startSecretsManagerServer,
  type AwsCredentials,
  type SecretsManagerServer
} from '../../test-servers/aws/index.js'
import { startGitHubServer, type GitHubServer } from '../../test-servers/github/index.js'
import { startHealthGate, type HealthGate } from '../../test-servers/health-gate.js'
import { startOAuth2Server, type OAuth2Server } from '../../test-servers/oauth2/index.js'

/** The repository every scenario's workflow runs in, and whose secrets and variables it writes. */
export const SCENARIO_REPO = 'octo/app'

/**
 * The local peers of an OAuth2 rotation scenario, as the bundled action meets them in a job: the
 * GitHub server holding {@link SCENARIO_REPO}, a real rotating OAuth2 server (oidc-provider), and a
 * health gate in front of that server's resource endpoint.
 */
export interface OAuth2Peers {
  readonly github: GitHubServer
  readonly oauth: OAuth2Server
  readonly gate: HealthGate
  /** Closes the gate first, then the OAuth2 server, then GitHub: the reverse of their start. */
  close(): Promise<void>
}

/** Starts the {@link OAuth2Peers} of one test; close them in its `afterEach`. */
export async function startOAuth2Peers(): Promise<OAuth2Peers> {
  const github = await startGitHubServer()
  github.addRepository(SCENARIO_REPO)
  const oauth = await startOAuth2Server()
  const gate = await startHealthGate(oauth.resourceUrl)
  return {
    github,
    oauth,
    gate,
    async close() {
      await gate.close()
      await oauth.close()
      await github.close()
    }
  }
}

/** The GitHub server's key of the repository secret `name` of {@link SCENARIO_REPO}. */
export function secretPath(name: string): string {
  return `repos/${SCENARIO_REPO}/actions/secrets/${name}`
}

/**
 * Mints the grant's first refresh token and stores it as the repository secret `secretName`, as a
 * person does once before the first scheduled rotation. Returns the token (a secret the runs' output
 * must never show).
 */
export async function seedRefreshTokenSecret(
  peers: OAuth2Peers,
  secretName: string
): Promise<string> {
  const first = await peers.oauth.mintRefreshToken()
  peers.github.seedSecret(secretPath(secretName), first)
  return first
}

/**
 * The action inputs every OAuth2 scenario passes alike: the GitHub token the GitHub server accepts,
 * the issuer with its token URL and confidential client, and the health gate as the check. Each
 * scenario adds where the refresh token lives, the target and its own pacing.
 */
export function oauth2Inputs(peers: OAuth2Peers): Record<string, string> {
  return {
    'github-token': 'test-token',
    issuer: 'oauth2',
    'token-url': peers.oauth.tokenUrl,
    'client-id': peers.oauth.clients.basic.clientId,
    'client-secret': peers.oauth.clients.basic.clientSecret,
    'health-check-url': peers.gate.url
  }
}

/** The credentials aws-actions/configure-aws-credentials exports after assuming a role (OIDC). */
export const AWS_ROLE_SESSION: AwsCredentials = {
  accessKeyId: 'ASIATESTROLESESSION1',
  secretAccessKey: 'role-session-secret-key-for-tests-0123456789',
  sessionToken: 'role-session-token-for-tests'
}

/**
 * The local Secrets Manager server, which accepts only {@link AWS_ROLE_SESSION}, and an empty home
 * directory for the AWS SDK's shared files so that nothing of this machine's AWS setup is read.
 */
export interface AwsPeer {
  readonly aws: SecretsManagerServer
  readonly home: string
  /** Closes the server and removes the home directory. */
  close(): Promise<void>
}

/** Starts the {@link AwsPeer} of one test; close it in its `afterEach`. */
export async function startAwsPeer(): Promise<AwsPeer> {
  const aws = await startSecretsManagerServer({ credentials: [AWS_ROLE_SESSION] })
  const home = await mkdtemp(join(tmpdir(), 'aws-home-'))
  return {
    aws,
    home,
    async close() {
      await aws.close()
      await rm(home, { recursive: true, force: true })
    }
  }
}

/** The environment of a job that ran aws-actions/configure-aws-credentials first. */
export function awsJobEnv(peer: AwsPeer): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: peer.aws.url,
    AWS_REGION: peer.aws.region,
    AWS_ACCESS_KEY_ID: AWS_ROLE_SESSION.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_ROLE_SESSION.secretAccessKey,
    AWS_SESSION_TOKEN: AWS_ROLE_SESSION.sessionToken ?? '',
    // Nothing from this machine: no shared config, no instance metadata.
    AWS_CONFIG_FILE: join(peer.home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(peer.home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true'
  }
}

/**
 * Mints the grant's first refresh token and stores it in the Secrets Manager secret `secretId`, as
 * JSON beside another field (`client`) that every rotation must keep. Returns the token.
 */
export async function seedAwsRefreshToken(
  oauth: OAuth2Server,
  peer: AwsPeer,
  secretId: string
): Promise<string> {
  const first = await oauth.mintRefreshToken()
  peer.aws.seedSecret(secretId, {
    secretString: JSON.stringify({ client: 'reporting', refresh_token: first })
  })
  return first
}

/** The GitHub server's request path of the repository variable `name` of {@link SCENARIO_REPO}. */
export function variablePath(name: string): string {
  return `/repos/${SCENARIO_REPO}/actions/variables/${name}`
}

/**
 * Deletes the repository variable `name` as an operator would (`gh variable delete`), behind the
 * action's back. Returns the HTTP status GitHub answered (204 when the variable was there).
 */
export async function deleteVariable(github: GitHubServer, name: string): Promise<number> {
  const answer = await fetch(`${github.url}${variablePath(name)}`, {
    method: 'DELETE',
    headers: { authorization: 'Bearer test-token' }
  })
  return answer.status
}
