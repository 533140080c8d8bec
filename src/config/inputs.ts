/**
 * The action's inputs as the code knows them. action.yml is the public contract; a test checks that
 * every name and default here matches it, so the two cannot drift.
 */
export const INPUT_DEFAULTS = {
  'github-token': '',
  'secret-name': '',
  value: '',
  repositories: '',
  environment: '',
  org: '',
  visibility: '',
  'selected-repositories': '',
  'secret-type': 'actions',
  'max-concurrency': '10',
  'write-interval': '1s',
  'dry-run': 'false',
  issuer: 'none',
  mode: 'rotate',
  'token-url': '',
  'client-id': '',
  'client-secret': '',
  'client-auth': 'client_secret_basic',
  'client-private-key': '',
  scope: '',
  'revocation-url': '',
  'client-certificate': '',
  'client-key': '',
  'ca-certificate': '',
  'refresh-token': '',
  'refresh-token-secret': '',
  'state-variable': '',
  'lock-expires-after': '30m',
  'persist-timeout': '2m',
  store: '',
  'store-secret-id': '',
  'aws-region': '',
  'store-field': '',
  'secret-fields': '',
  'rotation-timeout': '10m',
  'vault-url': '',
  'vault-namespace': '',
  'vault-method': 'jwt',
  'vault-role': '',
  'vault-path': '',
  'vault-jwt-audience': '',
  'vault-jwt-token': '',
  'vault-token': '',
  'vault-role-id': '',
  'vault-secret-id': '',
  'vault-ca-certificate': '',
  'vault-client-certificate': '',
  'vault-client-key': '',
  'vault-kv-mount': 'secret',
  'vault-kv-path': '',
  'vault-creds-path': '',
  'recovery-public-key': '',
  'previous-value': '',
  'health-check-url': '',
  'health-check-command': '',
  'health-check-method': 'GET',
  'health-check-header': 'Authorization: Bearer <token>',
  'health-check-expect': '2xx',
  'health-check-timeout': '2m',
  'rotate-if-older-than': '',
  'rotate-before-expiry': '',
  'revoke-previous': 'false',
  'grace-period': '15m',
  'retire-when-unused-for': '',
  'retiring-value': '',
  'audit-log': '',
  'alert-after': '3',
  config: '',
  credentials: '',
  shards: '1',
  secrets: ''
} as const satisfies Record<string, string>

export type InputName = keyof typeof INPUT_DEFAULTS

export type RawInputs = Record<InputName, string>

/** Reads one raw input by its action.yml name; returns '' when it is not set. */
export type InputReader = (name: InputName) => string

/**
 * Inputs that hold secrets, with the environment variable the CLI reads each from. They are never
 * taken from a command line (where `ps` and shell history show them), and masked the moment they
 * are read.
 */
export const SECRET_INPUTS = {
  'github-token': 'GITHUB_TOKEN',
  value: 'TOKEN_ROTATION_VALUE',
  'refresh-token': 'TOKEN_ROTATION_REFRESH_TOKEN',
  'client-secret': 'TOKEN_ROTATION_CLIENT_SECRET',
  'client-private-key': 'TOKEN_ROTATION_CLIENT_PRIVATE_KEY',
  'client-key': 'TOKEN_ROTATION_CLIENT_KEY',
  'previous-value': 'TOKEN_ROTATION_PREVIOUS_VALUE',
  'retiring-value': 'TOKEN_ROTATION_RETIRING_VALUE',
  'vault-jwt-token': 'TOKEN_ROTATION_VAULT_JWT',
  'vault-token': 'TOKEN_ROTATION_VAULT_TOKEN',
  'vault-secret-id': 'TOKEN_ROTATION_VAULT_SECRET_ID',
  'vault-client-key': 'TOKEN_ROTATION_VAULT_CLIENT_KEY',
  secrets: 'TOKEN_ROTATION_SECRETS'
} as const satisfies Partial<Record<InputName, string>>

export type SecretInputName = keyof typeof SECRET_INPUTS

/** Secret inputs taken byte for byte: published values, where a trailing newline may be meant. */
const VERBATIM: ReadonlySet<InputName> = new Set(['value', 'previous-value', 'retiring-value'])

/** True for an input that holds a secret. */
export function isSecretInput(name: InputName): name is SecretInputName {
  return Object.hasOwn(SECRET_INPUTS, name)
}

/**
 * Reads every input once, trimming whitespace except for published values (taken byte for byte)
 * and applying action.yml's defaults, which the runner applies but the CLI and tests do not.
 */
export function readInputs(read: InputReader): RawInputs {
  const raw = {} as RawInputs
  for (const name of Object.keys(INPUT_DEFAULTS) as InputName[]) {
    const given = VERBATIM.has(name) ? read(name) : read(name).trim()
    raw[name] = given === '' ? INPUT_DEFAULTS[name] : given
  }
  return raw
}
