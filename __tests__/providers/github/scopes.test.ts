import { describe, expect, it } from '@jest/globals'
import {
  scopeLabel,
  secretsPath,
  writePermission,
  type SecretScope
} from '../../../src/providers/github/scopes.js'

const repository = { owner: 'octo', repo: 'app' }

describe('secret scopes', () => {
  it.each<[SecretScope, string, string, string]>([
    [
      { kind: 'repository', type: 'actions', repository },
      '/repos/octo/app/actions/secrets',
      'octo/app',
      'repository "Secrets: write"'
    ],
    [
      { kind: 'repository', type: 'dependabot', repository },
      '/repos/octo/app/dependabot/secrets',
      'octo/app',
      'repository "Dependabot secrets: write"'
    ],
    [
      { kind: 'environment', type: 'actions', repository, environment: 'prod eu/1' },
      '/repos/octo/app/environments/prod%20eu%2F1/secrets',
      'octo/app (prod eu/1)',
      'repository "Environments: write"'
    ],
    [
      { kind: 'organization', type: 'actions', org: 'octo' },
      '/orgs/octo/actions/secrets',
      'octo',
      'organization "Secrets: write"'
    ],
    [
      { kind: 'organization', type: 'dependabot', org: 'octo' },
      '/orgs/octo/dependabot/secrets',
      'octo',
      'organization "Dependabot secrets: write"'
    ]
  ])('%j has its own path, label and permission', (scope, path, label, permission) => {
    expect(secretsPath(scope)).toBe(path)
    expect(scopeLabel(scope)).toBe(label)
    expect(writePermission(scope)).toBe(permission)
  })
})
