import { randomBytes } from 'node:crypto'
import {
  empty,
  isJsonObject,
  json,
  startKernelServer,
  TestClock,
  type KernelRequest,
  type KernelResponse,
  type KernelServer,
  type TlsMode
} from '../../../test-servers/kernel/index.js'

// A stand-in for the local Vault server another branch is building (test-servers/vault/): just
// enough of Vault's HTTP API, with its documented answers, for these tests to run until it lands.

/** A policy: capabilities by ACL path (a trailing `*` matches any rest). */
export type Policy = Record<string, string[]>

interface Token {
  id: string
  accessor: string
  policy: Policy
  expiresAt?: number
  orphan: boolean
  parent?: string
  revoked: boolean
}

interface KvEntry {
  versions: { data: Record<string, unknown> | null; created: number; deleted: boolean }[]
  custom: Record<string, string>
}

interface Lease {
  id: string
  token: string
  expiresAt: number
  revoked: boolean
  username: string
  password: string
}

/** The stand-in's state, for assertions. */
export interface MiniVault {
  readonly url: string
  readonly server: KernelServer
  readonly clock: TestClock
  readonly rootToken: string
  /** Makes a token with `policy`; returns its id. */
  token(policy: Policy, ttlSeconds?: number): string
  /** Lets AppRole `roleId`/`secretId` log in with `policy`. */
  approle(roleId: string, secretId: string, policy: Policy): void
  /** Seeds a KV v2 secret version at `mount/path`. */
  put(mount: string, path: string, data: Record<string, unknown>): void
  /** The KV secret's versions and custom_metadata. */
  kv(mount: string, path: string): KvEntry | undefined
  /** Tokens that are live now (not revoked, not expired). */
  liveTokens(): { accessor: string; orphan: boolean }[]
  /** Whether a database username/password pair works now. */
  works(username: string, password: string): boolean
  leases(): Lease[]
  close(): Promise<void>
}

function allowed(policy: Policy, path: string, capability: string): boolean {
  for (const [pattern, caps] of Object.entries(policy)) {
    const match = pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern
    if (match && (caps.includes(capability) || caps.includes('root'))) return true
  }
  return false
}

function capabilitiesOf(policy: Policy, path: string): string[] {
  const found = new Set<string>()
  for (const [pattern, caps] of Object.entries(policy)) {
    const match = pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern
    if (match) for (const c of caps) found.add(c)
  }
  return [...found]
}

const errors = (status: number, ...messages: string[]): KernelResponse =>
  json(status, { errors: messages })

/** Starts the stand-in on 127.0.0.1. */
export async function startMiniVault(options: { tls?: TlsMode } = {}): Promise<MiniVault> {
  const clock = new TestClock({ frozen: false })
  const tokens = new Map<string, Token>()
  const approles = new Map<string, { secretId: string; policy: Policy }>()
  const kv = new Map<string, KvEntry>()
  const leases: Lease[] = []
  const id = () => randomBytes(12).toString('hex')
  const makeToken = (policy: Policy, ttl: number | undefined, orphan: boolean, parent?: string) => {
    const token: Token = {
      id: `hvs.${id()}`,
      accessor: id(),
      policy,
      orphan,
      revoked: false,
      ...(ttl !== undefined ? { expiresAt: clock.nowMs() + ttl * 1000 } : {}),
      ...(parent !== undefined ? { parent } : {})
    }
    tokens.set(token.id, token)
    return token
  }
  const live = (token: Token | undefined): token is Token =>
    token !== undefined &&
    !token.revoked &&
    (token.expiresAt === undefined || token.expiresAt > clock.nowMs())
  const revoke = (token: Token) => {
    token.revoked = true
    for (const lease of leases) if (lease.token === token.id) lease.revoked = true
    for (const child of tokens.values())
      if (child.parent === token.id && !child.revoked) revoke(child)
  }
  const root = makeToken({ '*': ['root'] }, undefined, true)
  const auth = (token: Token) =>
    json(200, {
      auth: {
        client_token: token.id,
        accessor: token.accessor,
        lease_duration: token.expiresAt ? Math.round((token.expiresAt - clock.nowMs()) / 1000) : 0,
        renewable: true
      }
    })
  const meta = (entry: KvEntry, version: number) => {
    const v = entry.versions[version - 1]
    return {
      created_time: new Date(v?.created ?? 0).toISOString(),
      custom_metadata: entry.custom,
      deletion_time: v?.deleted ? new Date(v.created).toISOString() : '',
      destroyed: false,
      version
    }
  }

  const handler = (request: KernelRequest): KernelResponse => {
    const path = request.path.replace(/^\/v1\//, '')
    const body = isJsonObject(request.body) ? request.body : {}
    if (/^auth\/[^/]+\/login$/.test(path) && path.includes('approle')) {
      const role = approles.get(String(body.role_id))
      if (!role || role.secretId !== body.secret_id) return errors(400, 'invalid role or secret ID')
      return auth(makeToken(role.policy, 1800, true))
    }
    const token = tokens.get(request.headers['x-vault-token'] ?? '')
    if (!live(token)) return errors(403, 'permission denied')
    const need = (capability: string): KernelResponse | undefined =>
      allowed(token.policy, path, capability)
        ? undefined
        : errors(403, '1 error occurred:\n\t* permission denied\n\n')
    if (path === 'auth/token/revoke-self') {
      revoke(token)
      return empty()
    }
    if (path === 'auth/token/renew-self') return auth(token)
    if (path === 'sys/capabilities-self') {
      const paths = Array.isArray(body.paths) ? body.paths.map(String) : []
      const result = Object.fromEntries(paths.map(p => [p, capabilitiesOf(token.policy, p)]))
      return json(200, { ...result, data: result })
    }
    if (path === 'auth/token/create-orphan') {
      const denied = need('update')
      if (denied) return denied
      const ttl = typeof body.ttl === 'string' ? Number.parseInt(body.ttl, 10) : 3600
      return auth(makeToken(token.policy, ttl, true))
    }
    if (path === 'auth/token/revoke-accessor') {
      const denied = need('update')
      if (denied) return denied
      const target = [...tokens.values()].find(t => t.accessor === body.accessor)
      if (!target) return errors(400, 'invalid accessor')
      revoke(target)
      return empty()
    }
    if (path === 'sys/leases/revoke') {
      const denied = need('update')
      if (denied) return denied
      const lease = leases.find(l => l.id === body.lease_id)
      if (lease) lease.revoked = true
      return empty()
    }
    const creds = /^database\/creds\/([^/]+)$/.exec(path)
    if (creds) {
      const denied = need('read')
      if (denied) return denied
      const lease: Lease = {
        id: `${path}/${id()}`,
        token: token.id,
        expiresAt: clock.nowMs() + 3600_000,
        revoked: false,
        username: `v-${creds[1] ?? ''}-${id().slice(0, 8)}`,
        password: `A1a-${id()}`
      }
      leases.push(lease)
      return json(200, {
        lease_id: lease.id,
        lease_duration: 3600,
        renewable: true,
        data: { username: lease.username, password: lease.password }
      })
    }
    const kvMatch = /^([^/]+)\/(data|metadata)\/(.+)$/.exec(path)
    if (kvMatch) {
      const [, mount = '', kind, key = ''] = kvMatch
      const entry = kv.get(`${mount}/${key}`)
      if (kind === 'data' && request.method === 'GET') {
        const denied = need('read')
        if (denied) return denied
        if (!entry || entry.versions.length === 0) return errors(404)
        const version = Number(request.query.get('version') ?? entry.versions.length)
        const v = entry.versions[version - 1]
        if (!v) return errors(404)
        if (v.deleted) return json(404, { data: { data: null, metadata: meta(entry, version) } })
        return json(200, { data: { data: v.data, metadata: meta(entry, version) } })
      }
      if (kind === 'data' && (request.method === 'POST' || request.method === 'PUT')) {
        const denied = need(entry && entry.versions.length > 0 ? 'update' : 'create')
        if (denied) return denied
        const options = isJsonObject(body.options) ? body.options : {}
        const current = entry?.versions.length ?? 0
        if (options.cas !== undefined && options.cas !== current) {
          return errors(400, 'check-and-set parameter did not match the current version')
        }
        const next = entry ?? { versions: [], custom: {} }
        next.versions.push({
          data: isJsonObject(body.data) ? body.data : {},
          created: clock.nowMs(),
          deleted: false
        })
        kv.set(`${mount}/${key}`, next)
        const version = next.versions.length
        const m = meta(next, version)
        return json(200, {
          data: {
            created_time: m.created_time,
            custom_metadata: m.custom_metadata,
            deletion_time: '',
            destroyed: false,
            version
          }
        })
      }
      if (kind === 'data' && request.method === 'DELETE') {
        const denied = need('delete')
        if (denied) return denied
        const last = entry?.versions.at(-1)
        if (last) last.deleted = true
        return empty()
      }
      if (kind === 'metadata' && request.method === 'GET') {
        const denied = need('read')
        if (denied) return denied
        if (!entry) return errors(404)
        return json(200, {
          data: {
            current_version: entry.versions.length,
            custom_metadata: entry.custom,
            cas_required: false
          }
        })
      }
      if (kind === 'metadata' && request.method === 'POST') {
        const denied = need(entry ? 'update' : 'create')
        if (denied) return denied
        const custom = isJsonObject(body.custom_metadata) ? body.custom_metadata : undefined
        if (custom) {
          const pairs = Object.entries(custom)
          if (pairs.length > 64) return errors(400, 'custom_metadata: more than 64 keys')
          for (const [k, v] of pairs) {
            if (Buffer.byteLength(k) > 128) return errors(400, `custom_metadata key too long: ${k}`)
            if (typeof v !== 'string' || Buffer.byteLength(v) > 512)
              return errors(400, `custom_metadata value too long for key ${k}`)
          }
        }
        const next = entry ?? { versions: [], custom: {} }
        if (custom)
          next.custom = Object.fromEntries(Object.entries(custom).map(([k, v]) => [k, String(v)]))
        kv.set(`${mount}/${key}`, next)
        return empty()
      }
    }
    return errors(404, `no handler for route "${path}"`)
  }

  const server = await startKernelServer({
    handler,
    clock,
    tls: options.tls ?? 'none',
    errorBody: (_status, message) => ({ errors: [message] })
  })
  return {
    url: server.url,
    server,
    clock,
    rootToken: root.id,
    token: (policy, ttl) => makeToken(policy, ttl, false).id,
    approle: (roleId, secretId, policy) => {
      approles.set(roleId, { secretId, policy })
    },
    put: (mount, path, data) => {
      const entry = kv.get(`${mount}/${path}`) ?? { versions: [], custom: {} }
      entry.versions.push({ data, created: clock.nowMs(), deleted: false })
      kv.set(`${mount}/${path}`, entry)
    },
    kv: (mount, path) => kv.get(`${mount}/${path}`),
    liveTokens: () =>
      [...tokens.values()]
        .filter(t => live(t) && t !== root)
        .map(t => ({ accessor: t.accessor, orphan: t.orphan })),
    works: (username, password) =>
      leases.some(
        l =>
          l.username === username &&
          l.password === password &&
          !l.revoked &&
          l.expiresAt > clock.nowMs() &&
          live(tokens.get(l.token))
      ),
    leases: () => leases,
    close: () => server.close()
  }
}
