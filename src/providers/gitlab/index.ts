import type { FileKey, Provider } from '../provider.js'
import {
  configureGitLab,
  configureGitLabTargets,
  describeGitLab,
  GITLAB_TARGET,
  GITLAB_TOKEN,
  GITLAB_VARIABLE,
  STRATEGIES
} from './configure.js'
import { VARIABLE_TYPES } from './rules.js'

/**
 * How stale GitLab's `last_used_at` may be: it is written at most once every 10 minutes (in
 * current GitLab versions; once a day in older ones), so a use within that time may not show yet.
 */
const LAST_USE_RESOLUTION_MS = 10 * 60_000

const issuerKeys: FileKey[] = [
  { group: 'issuer', key: 'url', type: 'text' },
  { group: 'issuer', key: 'project', type: 'text' },
  { group: 'issuer', key: 'group', type: 'text' },
  { group: 'issuer', key: 'personal', type: 'flag' },
  { group: 'issuer', key: 'token-name', type: 'text' },
  { group: 'issuer', key: 'strategy', type: 'text', values: STRATEGIES },
  // The token the issuer works with is what the engine exchanges: the refresh-token input.
  { group: 'issuer', key: 'token', input: 'refresh-token', type: 'secret' },
  { group: 'issuer', key: 'expires-in', type: 'text' }
]

const storeKeys: FileKey[] = [
  { group: 'store', key: 'url', type: 'text' },
  { group: 'store', key: 'token', type: 'secret' },
  { group: 'store', key: 'project', type: 'text' },
  { group: 'store', key: 'group', type: 'text' },
  { group: 'store', key: 'variable', type: 'text' },
  { group: 'store', key: 'protected', type: 'flag' }
]

/**
 * GitLab: personal, project and group access tokens as an issuer (`gitlab-token`), CI/CD
 * variables of a project or group as a store (`gitlab-variable`: the credential, its record and
 * its lock), and as targets (`publish: - gitlab:`).
 */
export const gitlabProvider: Provider = {
  name: 'gitlab',
  issuers: {
    [GITLAB_TOKEN]: {
      consumesInput: true,
      revokes: 'handle',
      reportsLastUse: { resolutionMs: LAST_USE_RESOLUTION_MS }
    }
  },
  // A hidden variable's value is never shown again: the job's environment carries it (the
  // refresh-token input), as a workflow's secret does for the GitHub store.
  stores: { [GITLAB_VARIABLE]: { keepsVersions: false, readsLive: false } },
  target: {
    key: GITLAB_TARGET,
    keys: [
      { group: '', key: 'url', type: 'text' },
      { group: '', key: 'token', type: 'secret' },
      { group: '', key: 'project', type: 'text' },
      { group: '', key: 'group', type: 'text' },
      { group: '', key: 'variable', type: 'text' },
      { group: '', key: 'environment-scope', type: 'text' },
      { group: '', key: 'masked', type: 'flag' },
      { group: '', key: 'hidden', type: 'flag' },
      { group: '', key: 'protected', type: 'flag' },
      { group: '', key: 'raw', type: 'flag' },
      { group: '', key: 'type', type: 'text', values: VARIABLE_TYPES }
    ]
  },
  keys: [...issuerKeys, ...storeKeys],
  only: {
    role: `issuer: ${GITLAB_TOKEN}`,
    // The token it renews is the input the engine exchanges, kept where the store says.
    inputs: ['refresh-token', 'refresh-token-secret'],
    hint: `set issuer.kind: ${GITLAB_TOKEN}, or remove it`
  },
  docs: 'docs/providers/gitlab.md',
  configure: configureGitLab,
  configureTargets: configureGitLabTargets,
  describe: describeGitLab,
  // Its client loads only for a credential GitLab plays a part in.
  assemble: async (config, deps) =>
    config.slices.gitlab ? (await import('./parts.js')).assembleGitLab(config, deps) : {}
}
