import type { InputName } from '../../src/config/inputs.js'

/** Action inputs by name, as a workflow's `with:` gives them; an input left out reads as ''. */
export type Inputs = Partial<Record<InputName, string>>

/**
 * A valid OAuth2 rotation with the refresh token in a GitHub secret, for the tests of what the
 * inputs parse to: each test spreads it and changes only what it is about.
 */
export const OAUTH2_INPUTS: Inputs = {
  'github-token': 'ghp_test',
  'secret-name': 'API_ACCESS_TOKEN',
  issuer: 'oauth2',
  'token-url': 'https://auth.example.com/oauth/token',
  'client-id': 'ci',
  'client-secret': 's3cret',
  'refresh-token': 'rt-current',
  'refresh-token-secret': 'OAUTH_REFRESH_TOKEN'
}
