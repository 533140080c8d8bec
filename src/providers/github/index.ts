import type { Provider } from '../provider.js'
import {
  configureGitHub,
  configureGitHubTargets,
  describeGitHub,
  GITHUB_STORE,
  refuseGitHub
} from './configure.js'

/**
 * GitHub: repository, environment, organization and Dependabot secrets as targets; a repository
 * secret as a store, with its record and its lock in repository variables.
 */
export const githubProvider: Provider = {
  name: 'github',
  stores: { [GITHUB_STORE]: { keepsVersions: false, readsLive: false } },
  target: {
    key: 'github',
    keys: [
      { group: '', key: 'secret', input: 'secret-name', type: 'text' },
      { group: '', key: 'field', input: 'secret-fields', type: 'text' },
      { group: '', key: 'repositories', input: 'repositories', type: 'list' },
      { group: '', key: 'environments', input: 'environment', type: 'list' },
      { group: '', key: 'org', input: 'org', type: 'text' },
      {
        group: '',
        key: 'visibility',
        input: 'visibility',
        type: 'text',
        values: ['all', 'private', 'selected']
      },
      { group: '', key: 'selected-repositories', input: 'selected-repositories', type: 'list' },
      {
        group: '',
        key: 'type',
        input: 'secret-type',
        type: 'text',
        values: ['actions', 'dependabot']
      }
    ]
  },
  keys: [
    { group: 'store', key: 'secret', input: 'refresh-token-secret', type: 'text' },
    { group: 'store', key: 'state-variable', input: 'state-variable', type: 'text' }
  ],
  docs: 'docs/providers/github.md',
  configure: configureGitHub,
  configureTargets: configureGitHubTargets,
  describe: describeGitHub,
  refuse: refuseGitHub,
  alert: async (config, alert, deps) => {
    if (config.publish.token === '') return
    const { alertOnGitHub } = await import('./alert.js')
    await alertOnGitHub(config, alert, deps)
  },
  // Octokit loads only for a credential GitHub plays a part in (a token says so).
  assemble: async (config, deps) =>
    config.publish.token === '' ? {} : (await import('./parts.js')).assembleGitHub(config, deps)
}
