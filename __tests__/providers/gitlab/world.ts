// The local GitLab server as the provider's tests meet it: an instance with a project, a group, a
// maintainer with a personal access token (the admin of create-then-revoke), and clients built the
// way the provider builds them.
import { GitLabClient } from '../../../src/providers/gitlab/client.js'
import {
  type GitLabServer,
  type SeededToken,
  startGitLabServer
} from '../../../test-servers/gitlab/index.js'

export const PROJECT = 'acme/app'
export const GROUP = 'acme'

export interface GitLabWorld {
  gitlab: GitLabServer
  /** A maintainer's personal access token with the api scope. */
  admin: SeededToken
  /** A client of the server for `token`. */
  client(token: string): GitLabClient
  /** The sleeps the clients asked for, in ms: no test waits on wall time. */
  slept: number[]
}

/** Starts the server and seeds it; close `gitlab` in `afterEach`. */
export async function startWorld(): Promise<GitLabWorld> {
  const gitlab = await startGitLabServer()
  gitlab.addUser('maria')
  gitlab.addGroup(GROUP)
  gitlab.addProject(PROJECT)
  gitlab.addMember('maria', 'group', GROUP, 'owner')
  const admin = gitlab.seedPersonalToken('maria', { name: 'ci-admin', scopes: ['api'] })
  const slept: number[] = []
  const sleep = (ms: number): Promise<void> => {
    slept.push(ms)
    return Promise.resolve()
  }
  return {
    gitlab,
    admin,
    slept,
    client: token => new GitLabClient({ url: gitlab.url, token, sleep })
  }
}
