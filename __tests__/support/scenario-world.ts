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
