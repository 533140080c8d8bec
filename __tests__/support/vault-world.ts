import type { ActionRun } from '../../test-servers/action-runner.js'
import type { VaultServer } from '../../test-servers/vault/index.js'

/**
 * The least privilege of an OAuth2 refresh token kept in KV at `secret/ci/api`, as
 * docs/providers/vault.md#policies shows it.
 */
export const KV_STORE_POLICY = `
path "secret/data/ci/api"      { capabilities = ["read", "update"] }
path "secret/metadata/ci/api"  { capabilities = ["update"] }
path "secret/data/ci/api.lock" { capabilities = ["read", "create", "update"] }
`

/** The least privilege of the dynamic credential `database/creds/app`, as the docs show it. */
export const DYNAMIC_POLICY = `
path "database/creds/app"          { capabilities = ["read"] }
path "auth/token/create-orphan"    { capabilities = ["update"] }
path "sys/leases/revoke"           { capabilities = ["update"] }
path "auth/token/revoke-accessor"  { capabilities = ["update"] }
path "secret/metadata/token-rotation/database/creds/app" { capabilities = ["read", "create", "update"] }
path "secret/data/token-rotation/database/creds/app.lock" { capabilities = ["read", "create", "update"] }
`

/** What `issuer.renew-before` adds to {@link DYNAMIC_POLICY}. */
export const RENEW_POLICY = `
path "sys/leases/renew"          { capabilities = ["update"] }
path "auth/token/renew-accessor" { capabilities = ["update"] }
`

/** A policy with one line of `policy` cut off: the line that holds `path`. */
export function withoutPath(policy: string, path: string): string {
  return policy
    .split('\n')
    .filter(line => !line.includes(`"${path}"`))
    .join('\n')
}

/**
 * Every secret the Vault server saw or holds: each token a request carried, each login's JWT and
 * secret_id, and every string field of every version of the KV secrets named. None may appear in
 * a run's output.
 */
export function vaultSecrets(vault: VaultServer, kvPaths: readonly string[] = []): string[] {
  const found = new Set<string>()
  for (const entry of vault.log.entries) {
    const token = entry.headers['x-vault-token']
    if (token !== undefined && token !== '') found.add(token)
    const body = entry.body
    if (typeof body === 'object' && body !== null) {
      for (const key of ['jwt', 'secret_id', 'token']) {
        const value = (body as Record<string, unknown>)[key]
        if (typeof value === 'string' && value !== '') found.add(value)
      }
    }
  }
  for (const path of kvPaths) {
    for (const version of vault.kv.versions(path)) {
      const data = vault.kv.read(path, { version })?.data ?? {}
      for (const value of Object.values(data)) {
        if (typeof value === 'string' && value.length >= 8) found.add(value)
      }
    }
  }
  return [...found]
}

/** The live tokens of the server that a run made by logging in (not seeded, not lease tokens). */
export function liveLoginTokens(vault: VaultServer): string[] {
  return vault
    .liveTokens()
    .filter(token => /^auth\/[^/]+\/login$/.test(token.path))
    .map(token => token.accessor)
}

/** The `results` output of a run. */
export interface RunResult {
  credential: string
  status: string
  rotated: boolean
  /** The published value's fingerprint. */
  version: string
  published: number
  failed: number
  error?: string
  code?: string
}

export function results(action: ActionRun): RunResult[] {
  return JSON.parse(action.outputs.results ?? '[]') as RunResult[]
}

/**
 * The custom_metadata last written to the KV secret `mount/path` (in `namespace`), as the request
 * log holds it: the record of a store that keeps only its record has no version to read it from.
 */
export function lastCustomMetadata(
  vault: VaultServer,
  mount: string,
  path: string
): Record<string, string> | undefined {
  const written = vault.log.entries.filter(
    entry =>
      entry.method === 'POST' &&
      entry.path === `/v1/${mount}/metadata/${path}` &&
      entry.status >= 200 &&
      entry.status < 300
  )
  const body = written.at(-1)?.body as { custom_metadata?: Record<string, string> } | undefined
  return body?.custom_metadata
}

/** The error code of each credential's run, as its audit record ends it (undefined: no error). */
export function auditCodes(action: ActionRun): (string | undefined)[] {
  return action.audit
    .split('\n')
    .filter(line => line.trim() !== '')
    .map(line => JSON.parse(line) as { event?: string; code?: string })
    .filter(entry => entry.event === 'run-finished')
    .map(entry => entry.code)
}
