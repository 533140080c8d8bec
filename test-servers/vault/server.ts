/**
 * The local Vault server: Vault's HTTP API under `/v1` (token in `X-Vault-Token` or
 * `Authorization: Bearer`, namespace in `X-Vault-Namespace` or as a path prefix), the response
 * envelope and `{"errors":[...]}` bodies, ACL checks, and the token, lease, policy and engine
 * routes, on the shared test-server kernel (TLS/mTLS, request log, faults, clock).
 */
import {
  type KernelRequest,
  type KernelResponse,
  type KernelServer,
  TestClock,
  isJsonObject,
  json,
  startKernelServer
} from '../kernel/index.js'
import { Core, type TokenEntry } from './core.js'
import type { EngineRequest, EngineResult, Operation } from './engine.js'
import { Namespace } from './namespace.js'
import { Acl, type Capability } from './policy.js'
import type {
  CreateTokenOptions,
  KvVersionRecord,
  LeaseRecord,
  NamespaceOptions,
  TokenRecord,
  TokenRoleOptions,
  VaultServer,
  VaultServerOptions
} from './types.js'
import {
  VaultError,
  badRequest,
  booleanField,
  durationSeconds,
  invalidToken,
  noRoute,
  notFound,
  permissionDenied,
  requestId,
  rfc3339Nano,
  stringField,
  stringList,
  stringMap,
  unsupportedOperation
} from './wire.js'

const SYSTEM_TTL_S = 768 * 3600

/** Token store paths: a method they do not serve is 405, not 404. */
const TOKEN_PATHS: ReadonlySet<string> = new Set([
  'lookup-self',
  'lookup',
  'lookup-accessor',
  'renew-self',
  'renew',
  'renew-accessor',
  'revoke-self',
  'revoke',
  'revoke-accessor',
  'revoke-orphan',
  'accessors'
])
const VAULT_VERSION = '1.17.0'

/** A resolved route: what it needs and what it does. */
interface Route {
  /** Logins, health and seal status need no token. */
  unauthenticated?: boolean
  /** Whether the object exists, for POST/PUT: create when it does not, update when it does. */
  exists?: () => boolean
  /** Also needs `sudo` on the path. */
  sudo?: boolean
  mountType: string
  run: (request: EngineRequest) => EngineResult | undefined | Promise<EngineResult | undefined>
}

function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort()
}

function isAncestor(ancestor: string, namespace: string): boolean {
  return ancestor === '' || namespace === ancestor || namespace.startsWith(`${ancestor}/`)
}

function trimSlashes(text: string): string {
  return text.replace(/^\/+|\/+$/g, '')
}

class LocalVaultServer implements VaultServer {
  readonly rootToken: string
  readonly #kernel: KernelServer
  readonly #core: Core
  readonly #namespaces = new Map<string, Namespace>()
  #sealed: boolean

  constructor(kernel: KernelServer, core: Core, options: VaultServerOptions) {
    this.#kernel = kernel
    this.#core = core
    this.rootToken = options.rootToken ?? 'root'
    this.#sealed = options.sealed === true
    this.#addNamespace('', options)
    for (const [path, nsOptions] of Object.entries(options.namespaces ?? {})) {
      const clean = trimSlashes(path)
      // Ancestors of a nested namespace exist too, empty.
      const parts = clean.split('/')
      for (let i = 1; i < parts.length; i += 1) {
        const ancestor = parts.slice(0, i).join('/')
        if (!this.#namespaces.has(ancestor)) this.#addNamespace(ancestor, { kv: {} })
      }
      this.#addNamespace(clean, nsOptions)
    }
    core.createToken({
      id: this.rootToken,
      namespace: '',
      policies: ['root'],
      path: 'auth/token/root',
      displayName: 'root'
    })
    for (const [path, nsOptions] of [
      ['', options] as const,
      ...Object.entries(options.namespaces ?? {})
    ]) {
      for (const [id, seed] of Object.entries(nsOptions.tokens ?? {})) {
        this.createToken({ ...seed, id, namespace: trimSlashes(path) })
      }
    }
  }

  #addNamespace(path: string, options: NamespaceOptions): void {
    this.#core.addNamespace(path)
    this.#namespaces.set(path, new Namespace(this.#core, path, options))
  }

  // --- public surface -------------------------------------------------------------------------

  get url(): string {
    return this.#kernel.url
  }

  get tls(): VaultServer['tls'] {
    return this.#kernel.tls
  }

  get clock(): TestClock {
    return this.#kernel.clock
  }

  get log(): VaultServer['log'] {
    return this.#kernel.log
  }

  get faults(): VaultServer['faults'] {
    return this.#kernel.faults
  }

  get databaseLoginUrl(): string {
    return `${this.#kernel.url}/_db/login`
  }

  get sealed(): boolean {
    return this.#sealed
  }

  seal(): void {
    this.#sealed = true
  }

  unseal(): void {
    this.#sealed = false
  }

  close(): Promise<void> {
    return this.#kernel.close()
  }

  #namespace(name = ''): Namespace {
    const ns = this.#namespaces.get(trimSlashes(name))
    if (ns === undefined) throw new Error(`no namespace '${name}'`)
    return ns
  }

  #kvAt(
    path: string,
    namespace?: string
  ): { mount: ReturnType<Namespace['kv']['get']>; rest: string } {
    const ns = this.#namespace(namespace)
    const [mountName = '', ...rest] = trimSlashes(path).split('/')
    const mount = ns.kv.get(mountName)
    if (mount === undefined) throw new Error(`no KV mount '${mountName}' in namespace '${ns.path}'`)
    return { mount, rest: rest.join('/') }
  }

  readonly kv: VaultServer['kv'] = {
    read: (path, options = {}): KvVersionRecord | undefined => {
      this.#core.sweep()
      const { mount, rest } = this.#kvAt(path, options.namespace)
      return mount?.read(rest, options.version)
    },
    write: (path, data, options = {}): number => {
      const { mount, rest } = this.#kvAt(path, options.namespace)
      return mount?.write(rest, data) ?? 0
    },
    versions: (path, options = {}): number[] => {
      const { mount, rest } = this.#kvAt(path, options.namespace)
      return mount?.versions(rest) ?? []
    }
  }

  readonly database: VaultServer['database'] = {
    canLogin: (username, password, options = {}): boolean => {
      this.#core.sweep()
      return [...this.#namespace(options.namespace).database.values()].some(mount =>
        mount.canLogin(username, password)
      )
    },
    liveUsers: (options = {}): string[] => {
      this.#core.sweep()
      return [...this.#namespace(options.namespace).database.values()].flatMap(mount =>
        mount.liveUsers()
      )
    }
  }

  readonly aws: VaultServer['aws'] = {
    isValid: (accessKeyId, secretAccessKey, options = {}): boolean => {
      this.#core.sweep()
      return [...this.#namespace(options.namespace).aws.values()].some(mount =>
        mount.isValid(accessKeyId, secretAccessKey)
      )
    }
  }

  createToken(options: CreateTokenOptions = {}): { token: string; accessor: string } {
    const namespace = trimSlashes(options.namespace ?? '')
    this.#namespace(namespace)
    const policies = options.policies ?? []
    const entry = this.#core.createToken({
      id: options.id,
      namespace,
      policies: this.#withDefault(policies, options.no_default_policy === true),
      parent: options.parent,
      ttlS: durationSeconds(options.ttl, 'ttl'),
      explicitMaxTtlS: durationSeconds(options.explicit_max_ttl, 'explicit_max_ttl'),
      periodS: durationSeconds(options.period, 'period'),
      renewable: options.renewable,
      meta: options.meta,
      path: 'auth/token/create'
    })
    return { token: entry.id, accessor: entry.accessor }
  }

  #record(entry: TokenEntry): TokenRecord {
    return {
      id: entry.id,
      accessor: entry.accessor,
      namespace: entry.namespace,
      policies: [...entry.policies],
      orphan: entry.orphan,
      parent: entry.parent,
      expiresAt: entry.expireMs,
      renewable: entry.renewable,
      meta: entry.meta,
      path: entry.path,
      alive: this.#core.isAlive(entry)
    }
  }

  token(idOrAccessor: string): TokenRecord | undefined {
    this.#core.sweep()
    const entry = this.#core.findToken(idOrAccessor)
    return entry === undefined ? undefined : this.#record(entry)
  }

  liveTokens(namespace?: string): TokenRecord[] {
    this.#core.sweep()
    return [...this.#core.tokens.values()]
      .filter(
        entry =>
          this.#core.isAlive(entry) &&
          (namespace === undefined || entry.namespace === trimSlashes(namespace))
      )
      .map(entry => this.#record(entry))
  }

  lease(id: string): LeaseRecord | undefined {
    this.#core.sweep()
    const lease = this.#core.leases.get(id)
    if (lease === undefined) return undefined
    return {
      id: lease.id,
      namespace: lease.namespace,
      tokenAccessor:
        lease.tokenId === undefined ? undefined : this.#core.tokens.get(lease.tokenId)?.accessor,
      issuedAt: lease.issuedMs,
      expiresAt: lease.expireMs,
      renewable: lease.renewable,
      alive: this.#core.liveLease(lease.id) !== undefined
    }
  }

  liveLeases(namespace?: string): LeaseRecord[] {
    this.#core.sweep()
    return [...this.#core.leases.values()]
      .filter(lease => this.#core.liveLease(lease.id) !== undefined)
      .filter(lease => namespace === undefined || lease.namespace === trimSlashes(namespace))
      .flatMap(lease => this.lease(lease.id) ?? [])
  }

  staticPassword(
    role: string,
    options: { namespace?: string; mount?: string } = {}
  ): string | undefined {
    this.#core.sweep()
    return this.#namespace(options.namespace)
      .database.get(options.mount ?? 'database')
      ?.staticPassword(role)
  }

  appRoleId(
    role: string,
    options: { namespace?: string; mount?: string } = {}
  ): string | undefined {
    return this.#namespace(options.namespace)
      .approle.get(options.mount ?? 'approle')
      ?.role(role)?.roleId
  }

  #withDefault(policies: readonly string[], noDefault: boolean): string[] {
    if (policies.includes('root')) return ['root']
    return sortedUnique(noDefault ? policies : [...policies, 'default'])
  }

  // --- HTTP -----------------------------------------------------------------------------------

  async handle(request: KernelRequest): Promise<KernelResponse> {
    try {
      this.#core.sweep()
      if (request.path === '/_db/login') return this.#databaseLogin(request)
      if (!request.path.startsWith('/v1/')) throw new VaultError(404, [])
      return await this.#serve(request)
    } catch (error: unknown) {
      if (error instanceof VaultError) return json(error.status, { errors: error.errors })
      throw error
    }
  }

  #databaseLogin(request: KernelRequest): KernelResponse {
    if (request.method !== 'POST') throw unsupportedOperation()
    const body = isJsonObject(request.body) ? request.body : {}
    const namespace = trimSlashes(
      stringField(body.namespace, 'namespace') ?? request.headers['x-vault-namespace'] ?? ''
    )
    const ok =
      this.#namespaces.has(namespace) &&
      this.database.canLogin(
        typeof body.username === 'string' ? body.username : '',
        typeof body.password === 'string' ? body.password : '',
        { namespace }
      )
    return json(ok ? 200 : 401, { ok })
  }

  /** Splits `/v1/<namespace prefix>/<path>` with the header's namespace. */
  #locate(request: KernelRequest): { namespace: Namespace; path: string } {
    const header = trimSlashes(request.headers['x-vault-namespace'] ?? '')
    if (!this.#namespaces.has(header)) throw noRoute(request.path.slice(4))
    const segments = request.path
      .slice(4)
      .split('/')
      .map(segment => decodeURIComponent(segment))
    let namespace = header
    // The path-prefix form: `/v1/team-a/secret/...` is `secret/...` in namespace team-a.
    while (segments.length > 1) {
      const candidate = namespace === '' ? (segments[0] ?? '') : `${namespace}/${segments[0] ?? ''}`
      if (segments[0] === 'sys' || segments[0] === 'auth' || !this.#namespaces.has(candidate)) break
      namespace = candidate
      segments.shift()
    }
    return { namespace: this.#namespace(namespace), path: segments.join('/') }
  }

  async #serve(request: KernelRequest): Promise<KernelResponse> {
    const { namespace, path } = this.#locate(request)
    const method = request.method
    let operation: Operation
    if (method === 'LIST' || (method === 'GET' && request.query.get('list') === 'true'))
      operation = 'list'
    else if (method === 'GET' || method === 'HEAD') operation = 'read'
    else if (method === 'POST' || method === 'PUT') operation = 'update'
    else if (method === 'DELETE') operation = 'delete'
    else if (method === 'PATCH') operation = 'patch'
    else throw new VaultError(405, [])

    const route = this.#route(namespace, path, operation)
    if (this.#sealed && !(path === 'sys/health' || path === 'sys/seal-status')) {
      throw new VaultError(503, ['Vault is sealed'])
    }
    if (request.invalidJson) throw badRequest('failed to parse JSON input: invalid character')
    if (operation === 'update' && route.exists !== undefined && !route.exists())
      operation = 'create'

    let token: TokenEntry | undefined
    if (route.unauthenticated !== true) {
      token = this.#authenticate(request, namespace)
      const acl = this.#acl(token)
      const aclPath = this.#aclPath(token, namespace, path)
      const needed: Capability[] = [operation, ...(route.sudo === true ? (['sudo'] as const) : [])]
      if (!acl.allows(aclPath, needed)) throw permissionDenied()
    }
    const engineRequest: EngineRequest = {
      operation,
      method,
      rel: path,
      body: isJsonObject(request.body) ? request.body : {},
      query: request.query,
      headers: request.headers,
      namespace: namespace.path,
      token,
      core: this.#core
    }
    const result = await route.run(engineRequest)
    return this.#envelope(result, route.mountType)
  }

  #envelope(result: EngineResult | undefined, mountType: string): KernelResponse {
    if (result === undefined) return { status: 204 }
    return json(result.status ?? 200, {
      request_id: requestId(),
      lease_id: result.lease?.id ?? '',
      renewable: result.lease?.renewable ?? false,
      lease_duration: result.lease?.durationS ?? 0,
      data: result.data ?? null,
      wrap_info: null,
      warnings:
        result.warnings !== undefined && result.warnings.length > 0 ? result.warnings : null,
      auth: result.auth ?? null,
      mount_type: mountType,
      ...result.topLevel
    })
  }

  #authenticate(request: KernelRequest, namespace: Namespace): TokenEntry {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1]
    const id = request.headers['x-vault-token'] ?? bearer
    if (id === undefined || id === '') throw permissionDenied()
    const entry = this.#core.liveToken(id)
    // A token serves its own namespace and those below it, never a sibling's.
    if (entry === undefined || !isAncestor(entry.namespace, namespace.path)) throw invalidToken()
    return entry
  }

  #acl(token: TokenEntry): Acl {
    if (token.policies.includes('root')) return new Acl([], true)
    return new Acl(this.#namespace(token.namespace).rules(token.policies))
  }

  /** A parent namespace's token sees the path with the child namespace in front, as in Vault. */
  #aclPath(token: TokenEntry, namespace: Namespace, path: string): string {
    if (token.namespace === namespace.path) return path
    const relative =
      token.namespace === '' ? namespace.path : namespace.path.slice(token.namespace.length + 1)
    return `${relative}/${path}`
  }

  // --- routing --------------------------------------------------------------------------------

  #route(ns: Namespace, path: string, operation: Operation): Route {
    if (path.startsWith('sys/')) return this.#sysRoute(ns, path.slice(4), operation)
    if (path === 'auth/token' || path.startsWith('auth/token/'))
      return this.#tokenRoute(ns, path.slice(11), operation)
    if (path.startsWith('auth/')) return this.#authRoute(ns, path.slice(5), operation)
    const [mountName = '', ...restParts] = path.split('/')
    const rel = restParts.join('/')
    const kv = ns.kv.get(mountName)
    if (kv !== undefined) {
      return {
        mountType: 'kv',
        exists: () => kv.exists(rel),
        run: request => kv.handle({ ...request, rel })
      }
    }
    const database = ns.database.get(mountName)
    if (database !== undefined)
      return { mountType: 'database', run: request => database.handle({ ...request, rel }) }
    const aws = ns.aws.get(mountName)
    if (aws !== undefined)
      return { mountType: 'aws', run: request => aws.handle({ ...request, rel }) }
    throw noRoute(path)
  }

  #sysRoute(ns: Namespace, rel: string, operation: Operation): Route {
    const sys = (run: Route['run'], extra: Partial<Route> = {}): Route => ({
      mountType: 'system',
      run,
      ...extra
    })
    const writes = operation === 'update' || operation === 'create'
    if (rel === 'health' && operation === 'read') {
      return sys(() => this.#health(), { unauthenticated: true })
    }
    if (rel === 'seal-status' && operation === 'read') {
      return sys(
        () => ({
          topLevel: {
            type: 'shamir',
            initialized: true,
            sealed: this.#sealed,
            t: 1,
            n: 1,
            progress: 0,
            nonce: '',
            version: VAULT_VERSION,
            migration: false,
            recovery_seal: false,
            storage_type: 'inmem'
          }
        }),
        { unauthenticated: true }
      )
    }
    if (rel === 'seal' && writes) {
      return sys(
        () => {
          this.#sealed = true
          return undefined
        },
        { sudo: true }
      )
    }
    const policy = /^(?:policies\/acl|policy)(?:\/(.+))?$/.exec(rel)
    if (policy !== null)
      return sys(request => this.#policyApi(ns, policy[1], request, rel.startsWith('policy')), {
        exists: () => policy[1] !== undefined && ns.policies.has(policy[1])
      })
    if (rel === 'capabilities-self' && writes)
      return sys(request => this.#capabilitiesSelf(ns, request))
    const leases = /^(?:leases\/)?(lookup|renew|revoke|revoke-prefix)(?:\/(.+))?$/.exec(rel)
    if (leases !== null && (leases[1] !== 'lookup' || rel.startsWith('leases/'))) {
      const action = leases[1] ?? ''
      const argument = leases[2]
      if (action === 'lookup' && operation === 'list') {
        return sys(() => this.#listLeases(ns, argument ?? ''), { sudo: true })
      }
      if (!writes) throw unsupportedOperation()
      if (action === 'lookup') return sys(request => this.#lookupLease(ns, request))
      if (action === 'renew') return sys(request => this.#renewLease(ns, request, argument))
      if (action === 'revoke') return sys(request => this.#revokeLease(ns, request, argument))
      return sys(() => this.#revokePrefix(ns, argument ?? ''), { sudo: true })
    }
    throw noRoute(`sys/${rel}`)
  }

  #health(): EngineResult {
    return {
      status: this.#sealed ? 503 : 200,
      topLevel: {
        initialized: true,
        sealed: this.#sealed,
        standby: false,
        performance_standby: false,
        replication_performance_mode: 'disabled',
        replication_dr_mode: 'disabled',
        server_time_utc: Math.floor(this.#core.nowMs() / 1000),
        version: VAULT_VERSION,
        cluster_name: 'vault-cluster-test',
        cluster_id: '00000000-0000-0000-0000-000000000000'
      }
    }
  }

  #policyApi(
    ns: Namespace,
    name: string | undefined,
    request: EngineRequest,
    legacy: boolean
  ): EngineResult | undefined {
    const op = request.operation
    if (name === undefined) {
      if (op !== 'list' && !(legacy && op === 'read')) throw unsupportedOperation()
      const keys = sortedUnique([...ns.policies.keys(), ...(ns.path === '' ? ['root'] : [])])
      return { data: { keys, ...(legacy ? { policies: keys } : {}) } }
    }
    if (op === 'read') {
      if (name === 'root') return { data: { name, policy: '', rules: '' } }
      const stored = ns.policies.get(name)
      if (stored === undefined) throw notFound()
      return { data: legacy ? { name, rules: stored.text } : { name, policy: stored.text } }
    }
    if (op === 'create' || op === 'update') {
      const text = stringField(
        request.body[legacy ? 'rules' : 'policy'] ?? request.body.policy,
        'policy'
      )
      if (text === undefined) throw badRequest("'policy' parameter not supplied or empty")
      ns.setPolicy(name, text)
      return undefined
    }
    if (op === 'delete') {
      if (name === 'default' || name === 'root') throw badRequest(`cannot delete "${name}" policy`)
      ns.policies.delete(name)
      return undefined
    }
    throw unsupportedOperation()
  }

  #capabilitiesSelf(ns: Namespace, request: EngineRequest): EngineResult {
    const token = request.token
    if (token === undefined) throw permissionDenied()
    const paths = stringList(request.body.paths ?? request.body.path, 'paths') ?? []
    if (paths.length === 0) throw badRequest('paths must be supplied')
    const acl = this.#acl(token)
    const result: Record<string, string[]> = {}
    for (const path of paths) result[path] = acl.capabilities(this.#aclPath(token, ns, path))
    const union = sortedUnique(Object.values(result).flat())
    const data = { ...result, capabilities: union }
    return { data, topLevel: data }
  }

  #leaseIdFrom(request: EngineRequest, argument: string | undefined): string {
    const id = stringField(request.body.lease_id, 'lease_id') ?? argument
    if (id === undefined || id === '') throw badRequest('lease_id must be specified')
    return id
  }

  #liveLeaseIn(ns: Namespace, id: string): ReturnType<Core['liveLease']> {
    const lease = this.#core.liveLease(id)
    return lease !== undefined && lease.namespace === ns.path ? lease : undefined
  }

  #lookupLease(ns: Namespace, request: EngineRequest): EngineResult {
    const lease = this.#liveLeaseIn(ns, this.#leaseIdFrom(request, undefined))
    if (lease === undefined) throw badRequest('invalid lease')
    return {
      data: {
        id: lease.id,
        issue_time: rfc3339Nano(lease.issuedMs),
        expire_time: rfc3339Nano(lease.expireMs),
        last_renewal_time:
          lease.lastRenewalMs === undefined ? null : rfc3339Nano(lease.lastRenewalMs),
        renewable: lease.renewable,
        ttl: Math.max(0, Math.floor((lease.expireMs - this.#core.nowMs()) / 1000))
      }
    }
  }

  #renewLease(ns: Namespace, request: EngineRequest, argument: string | undefined): EngineResult {
    const id = this.#leaseIdFrom(request, argument)
    const lease = this.#liveLeaseIn(ns, id)
    if (lease === undefined) throw badRequest('lease not found')
    const granted = this.#core.renewLease(
      lease,
      durationSeconds(request.body.increment, 'increment') ?? 0
    )
    return {
      lease: { id, durationS: granted.ttlS, renewable: lease.renewable },
      warnings: granted.warnings
    }
  }

  #revokeLease(
    ns: Namespace,
    request: EngineRequest,
    argument: string | undefined
  ): EngineResult | undefined {
    const id = this.#leaseIdFrom(request, argument)
    // Revoking a lease that is unknown or already gone succeeds: the secret is gone either way.
    if (this.#liveLeaseIn(ns, id) !== undefined) this.#core.revokeLease(id)
    return undefined
  }

  #revokePrefix(ns: Namespace, prefix: string): EngineResult | undefined {
    for (const lease of this.#core.leases.values()) {
      if (lease.namespace === ns.path && lease.id.startsWith(prefix))
        this.#core.revokeLease(lease.id)
    }
    return undefined
  }

  #listLeases(ns: Namespace, prefix: string): EngineResult {
    const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`
    const keys = new Set<string>()
    for (const lease of this.#core.leases.values()) {
      if (lease.namespace !== ns.path || this.#core.liveLease(lease.id) === undefined) continue
      if (!lease.id.startsWith(base)) continue
      const rest = lease.id.slice(base.length)
      const slash = rest.indexOf('/')
      keys.add(slash < 0 ? rest : rest.slice(0, slash + 1))
    }
    if (keys.size === 0) throw notFound()
    return { data: { keys: [...keys].sort() } }
  }

  // --- tokens ---------------------------------------------------------------------------------

  #tokenRoute(ns: Namespace, rel: string, operation: Operation): Route {
    const route = (run: Route['run'], extra: Partial<Route> = {}): Route => ({
      mountType: 'token',
      run,
      ...extra
    })
    const writes = operation === 'update' || operation === 'create'
    const self = (request: EngineRequest): TokenEntry => {
      if (request.token === undefined) throw permissionDenied()
      return request.token
    }
    const create = /^create(?:-orphan|\/(.+))?$/.exec(rel)
    if (create !== null && writes) {
      return route(request => this.#createToken(ns, request, rel === 'create-orphan', create[1]))
    }
    if (rel === 'lookup-self' && (operation === 'read' || writes)) {
      return route(request => ({ data: this.#lookupData(self(request), true) }))
    }
    if ((rel === 'lookup' || rel === 'lookup-accessor') && writes) {
      return route(request => ({
        data: this.#lookupData(
          this.#target(ns, request, rel === 'lookup-accessor'),
          rel === 'lookup'
        )
      }))
    }
    if ((rel === 'renew-self' || rel === 'renew' || rel === 'renew-accessor') && writes) {
      return route(request => {
        const entry =
          rel === 'renew-self' ? self(request) : this.#target(ns, request, rel === 'renew-accessor')
        const granted = this.#core.renewToken(
          entry,
          durationSeconds(request.body.increment, 'increment') ?? 0
        )
        return {
          auth: this.#authBlock(entry, granted.ttlS, rel !== 'renew-accessor'),
          warnings: granted.warnings
        }
      })
    }
    if ((rel === 'revoke-self' || rel === 'revoke' || rel === 'revoke-accessor') && writes) {
      return route(request => {
        const entry =
          rel === 'revoke-self'
            ? self(request)
            : this.#target(ns, request, rel === 'revoke-accessor')
        this.#core.revokeToken(entry.id)
        return undefined
      })
    }
    if (rel === 'revoke-orphan' && writes) {
      return route(
        request => {
          this.#core.revokeToken(this.#target(ns, request, false).id, true)
          return undefined
        },
        { sudo: true }
      )
    }
    if (rel === 'accessors' && operation === 'list') {
      return route(
        () => ({
          data: {
            keys: [...this.#core.tokens.values()]
              .filter(entry => entry.namespace === ns.path && this.#core.isAlive(entry))
              .map(entry => entry.accessor)
          }
        }),
        { sudo: true }
      )
    }
    const role = /^roles(?:\/(.+))?$/.exec(rel)
    if (role !== null) {
      return route(request => this.#tokenRoleApi(ns, role[1], request), {
        exists: () => role[1] !== undefined && ns.tokenRoles.has(role[1])
      })
    }
    if (TOKEN_PATHS.has(rel) || create !== null) throw unsupportedOperation()
    throw noRoute(`auth/token/${rel}`)
  }

  /** The token a request names by `token` or `accessor`, in the request's namespace. */
  #target(ns: Namespace, request: EngineRequest, byAccessor: boolean): TokenEntry {
    const field = byAccessor ? 'accessor' : 'token'
    const value = stringField(request.body[field], field)
    if (value === undefined || value === '') throw badRequest(`missing ${field}`)
    const entry = byAccessor ? this.#core.liveTokenByAccessor(value) : this.#core.liveToken(value)
    if (entry === undefined || entry.namespace !== ns.path) {
      throw badRequest(byAccessor ? 'invalid accessor' : 'bad token')
    }
    return entry
  }

  #authBlock(entry: TokenEntry, leaseDurationS: number, withToken = true): Record<string, unknown> {
    return {
      client_token: withToken ? entry.id : '',
      accessor: entry.accessor,
      policies: entry.policies,
      token_policies: entry.policies,
      metadata: entry.meta,
      lease_duration: leaseDurationS,
      renewable: entry.renewable,
      entity_id: '',
      token_type: 'service',
      orphan: entry.orphan,
      mfa_requirement: null,
      num_uses: 0
    }
  }

  #lookupData(entry: TokenEntry, withId: boolean): Record<string, unknown> {
    const data: Record<string, unknown> = {
      accessor: entry.accessor,
      creation_time: Math.floor(entry.createdMs / 1000),
      creation_ttl: entry.creationTtlS,
      display_name: entry.displayName,
      entity_id: '',
      expire_time: entry.expireMs === undefined ? null : rfc3339Nano(entry.expireMs),
      explicit_max_ttl: entry.explicitMaxTtlS,
      id: withId ? entry.id : '',
      issue_time: rfc3339Nano(entry.createdMs),
      meta: entry.meta,
      num_uses: 0,
      orphan: entry.orphan,
      path: entry.path,
      policies: entry.policies,
      renewable: entry.renewable,
      ttl: this.#core.ttlLeft(entry),
      type: 'service'
    }
    if (entry.lastRenewalMs !== undefined) {
      data.last_renewal = rfc3339Nano(entry.lastRenewalMs)
      data.last_renewal_time = Math.floor(entry.lastRenewalMs / 1000)
    }
    if (entry.periodS > 0) data.period = entry.periodS
    if (entry.role !== undefined) data.role = entry.role
    return data
  }

  #createToken(
    ns: Namespace,
    request: EngineRequest,
    orphanEndpoint: boolean,
    roleName: string | undefined
  ): EngineResult {
    const parent = request.token
    if (parent === undefined) throw permissionDenied()
    const body = request.body
    const isRoot = parent.policies.includes('root')
    const isSudo =
      isRoot || this.#acl(parent).allows(this.#aclPath(parent, ns, 'auth/token/create'), ['sudo'])
    const parentPolicies = parent.policies.filter(name => name !== 'root')
    const noDefault = booleanField(body.no_default_policy, 'no_default_policy') === true
    let policies = stringList(body.policies, 'policies')
    let orphan = orphanEndpoint
    let periodS = durationSeconds(body.period, 'period') ?? 0
    let explicitMaxS = durationSeconds(body.explicit_max_ttl, 'explicit_max_ttl') ?? 0
    let renewable = booleanField(body.renewable, 'renewable') ?? true
    let role: TokenRoleOptions | undefined
    if (roleName !== undefined) {
      role = ns.tokenRoles.get(roleName)
      if (role === undefined) throw badRequest(`unknown role ${roleName}`)
      const allowed = role.allowed_policies ?? []
      const disallowed = role.disallowed_policies ?? []
      policies ??= allowed.length > 0 ? [...allowed] : parentPolicies
      const asked = policies.filter(name => name !== 'default')
      if (allowed.length > 0 && !asked.every(name => allowed.includes(name))) {
        throw badRequest(
          `token policies (${JSON.stringify(asked)}) must be subset of the role's allowed policies (${JSON.stringify(allowed)})`
        )
      }
      if (allowed.length === 0 && !isRoot && !asked.every(name => parentPolicies.includes(name))) {
        throw badRequest(
          'token policies must be subset of parent token policies when role allowed_policies is empty'
        )
      }
      const forbidden = asked.filter(name => disallowed.includes(name))
      if (forbidden.length > 0) {
        throw badRequest(
          `token policies (${JSON.stringify(asked)}) contain disallowed policies (${JSON.stringify(forbidden)})`
        )
      }
      orphan = role.orphan === true
      periodS = durationSeconds(role.token_period, 'token_period') ?? periodS
      explicitMaxS =
        durationSeconds(role.token_explicit_max_ttl, 'token_explicit_max_ttl') ?? explicitMaxS
      renewable = role.renewable ?? renewable
    } else {
      if (policies === undefined) policies = isRoot ? [...parent.policies] : parentPolicies
      else if (
        !isRoot &&
        !policies.filter(name => name !== 'default').every(name => parentPolicies.includes(name))
      ) {
        throw badRequest('child policies must be subset of parent')
      }
      if (booleanField(body.no_parent, 'no_parent') === true) {
        if (!isSudo) throw badRequest('root or sudo privileges required to create orphan token')
        orphan = true
      }
      if (periodS > 0 && !isSudo)
        throw badRequest('root or sudo privileges required to create periodic token')
    }
    const displayName = stringField(body.display_name, 'display_name')
    const entry = this.#core.createToken({
      namespace: ns.path,
      policies: this.#withDefault(policies, noDefault || role?.token_no_default_policy === true),
      parent: orphan ? undefined : parent.id,
      ttlS: durationSeconds(body.ttl ?? body.lease, 'ttl'),
      explicitMaxTtlS: explicitMaxS,
      periodS,
      renewable,
      meta: stringMap(body.meta ?? body.metadata, 'meta') ?? null,
      displayName: displayName === undefined ? 'token' : `token-${displayName}`,
      path:
        roleName === undefined
          ? `auth/token/${orphanEndpoint ? 'create-orphan' : 'create'}`
          : `auth/token/create/${roleName}`,
      role: roleName
    })
    return { auth: this.#authBlock(entry, entry.creationTtlS) }
  }

  #tokenRoleApi(
    ns: Namespace,
    name: string | undefined,
    request: EngineRequest
  ): EngineResult | undefined {
    const op = request.operation
    if (name === undefined) {
      if (op !== 'list') throw unsupportedOperation()
      if (ns.tokenRoles.size === 0) throw notFound()
      return { data: { keys: [...ns.tokenRoles.keys()].sort() } }
    }
    if (op === 'read') {
      const role = ns.tokenRoles.get(name)
      if (role === undefined) throw notFound()
      return {
        data: {
          name,
          allowed_policies: role.allowed_policies ?? [],
          disallowed_policies: role.disallowed_policies ?? [],
          orphan: role.orphan === true,
          renewable: role.renewable ?? true,
          token_period: durationSeconds(role.token_period, 'token_period') ?? 0,
          token_explicit_max_ttl:
            durationSeconds(role.token_explicit_max_ttl, 'token_explicit_max_ttl') ?? 0,
          token_no_default_policy: role.token_no_default_policy === true,
          token_type: 'default-service'
        }
      }
    }
    if (op === 'create' || op === 'update') {
      const body = request.body
      const previous = ns.tokenRoles.get(name) ?? {}
      const role: TokenRoleOptions = { ...previous }
      const allowed = stringList(body.allowed_policies, 'allowed_policies')
      if (allowed !== undefined) role.allowed_policies = allowed
      const disallowed = stringList(body.disallowed_policies, 'disallowed_policies')
      if (disallowed !== undefined) role.disallowed_policies = disallowed
      const orphan = booleanField(body.orphan, 'orphan')
      if (orphan !== undefined) role.orphan = orphan
      const renewable = booleanField(body.renewable, 'renewable')
      if (renewable !== undefined) role.renewable = renewable
      const period = durationSeconds(body.token_period ?? body.period, 'token_period')
      if (period !== undefined) role.token_period = period
      const max = durationSeconds(
        body.token_explicit_max_ttl ?? body.explicit_max_ttl,
        'token_explicit_max_ttl'
      )
      if (max !== undefined) role.token_explicit_max_ttl = max
      const noDefault = booleanField(body.token_no_default_policy, 'token_no_default_policy')
      if (noDefault !== undefined) role.token_no_default_policy = noDefault
      ns.tokenRoles.set(name, role)
      return undefined
    }
    if (op === 'delete') {
      ns.tokenRoles.delete(name)
      return undefined
    }
    throw unsupportedOperation()
  }

  // --- auth methods ---------------------------------------------------------------------------

  #authRoute(ns: Namespace, rel: string, operation: Operation): Route {
    const [mount = '', ...restParts] = rel.split('/')
    const rest = restParts.join('/')
    const writes = operation === 'update' || operation === 'create'
    const jwt = ns.jwt.get(mount)
    if (jwt !== undefined) {
      if (rest === 'login' && writes) {
        return {
          mountType: 'jwt',
          unauthenticated: true,
          run: async request => this.#login(ns, mount, await jwt.login(request.body))
        }
      }
      if (rest === 'config') {
        return {
          mountType: 'jwt',
          run: request => {
            if (request.operation === 'read') return { data: jwt.configuration() }
            if (!writes) throw unsupportedOperation()
            jwt.configure(request.body)
            return undefined
          }
        }
      }
      const role = /^role(?:\/(.+))?$/.exec(rest)
      if (role !== null) {
        return {
          mountType: 'jwt',
          exists: () => role[1] !== undefined && jwt.role(role[1]) !== undefined,
          run: request => {
            const name = role[1]
            if (name === undefined) {
              if (request.operation !== 'list') throw unsupportedOperation()
              const keys = jwt.roleNames()
              if (keys.length === 0) throw notFound()
              return { data: { keys } }
            }
            if (request.operation === 'read') {
              const found = jwt.role(name)
              if (found === undefined) throw notFound()
              return { data: { role_type: 'jwt', ...found } }
            }
            if (request.operation === 'delete') {
              jwt.deleteRole(name)
              return undefined
            }
            if (request.operation !== 'create' && request.operation !== 'update')
              throw unsupportedOperation()
            jwt.setRole(name, request.body as unknown as Parameters<typeof jwt.setRole>[1])
            return undefined
          }
        }
      }
      throw noRoute(`auth/${rel}`)
    }
    const approle = ns.approle.get(mount)
    if (approle !== undefined) {
      if (rest === 'login' && writes) {
        return {
          mountType: 'approle',
          unauthenticated: true,
          run: request => this.#login(ns, mount, approle.login(request.body))
        }
      }
      const role = /^role\/([^/]+)(?:\/(role-id|secret-id))?$/.exec(rest)
      if (role !== null) {
        const name = role[1] ?? ''
        const sub = role[2]
        return {
          mountType: 'approle',
          exists: () => sub !== undefined || approle.role(name) !== undefined,
          run: request => {
            if (sub === 'role-id') {
              const found = approle.role(name)
              if (found === undefined) throw badRequest(`role "${name}" does not exist`)
              if (request.operation === 'read') return { data: { role_id: found.roleId } }
              const roleId = stringField(request.body.role_id, 'role_id')
              if (roleId === undefined) throw badRequest('missing role_id')
              approle.setRole(name, { role_id: roleId })
              return undefined
            }
            if (sub === 'secret-id') {
              if (request.operation !== 'create' && request.operation !== 'update')
                throw unsupportedOperation()
              return { data: approle.newSecretId(name) }
            }
            if (request.operation === 'read') {
              const found = approle.role(name)
              if (found === undefined) throw notFound()
              // The role's secrets stay out of its description, as in Vault.
              const options: Record<string, unknown> = { bind_secret_id: true, ...found.options }
              Reflect.deleteProperty(options, 'secret_ids')
              Reflect.deleteProperty(options, 'role_id')
              return { data: options }
            }
            if (request.operation === 'delete') {
              approle.deleteRole(name)
              return undefined
            }
            if (request.operation !== 'create' && request.operation !== 'update')
              throw unsupportedOperation()
            approle.setRole(name, request.body)
            return undefined
          }
        }
      }
      throw noRoute(`auth/${rel}`)
    }
    throw noRoute(`auth/${rel}`)
  }

  #login(
    ns: Namespace,
    mount: string,
    grant: Awaited<ReturnType<import('./jwt.js').JwtMount['login']>>
  ): EngineResult {
    const entry = this.#core.createToken({
      namespace: ns.path,
      policies: this.#withDefault(grant.policies, grant.noDefaultPolicy),
      ttlS: grant.ttlS,
      maxTtlS: grant.maxTtlS,
      periodS: grant.periodS,
      meta: grant.metadata,
      displayName: `${mount}-${grant.displayName}`,
      path: `auth/${mount}/login`,
      role: grant.role
    })
    return { auth: this.#authBlock(entry, entry.creationTtlS) }
  }
}

/**
 * Starts a local Vault server on 127.0.0.1 and an ephemeral port, speaking Vault's HTTP API for
 * KV v2, tokens, policies, leases, JWT and AppRole login, and the database and AWS engines.
 *
 * @example
 * const vault = await startVaultServer({ tls: 'mtls', database: { database: { roles: { app: { default_ttl: '1h', max_ttl: '2h' } } } } })
 * // ...client: address vault.url, token vault.rootToken, CA vault.tls.ca, client cert vault.tls.clientCertificate...
 * vault.clock.advance(3_600_000) // the lease expires, its account cannot log in
 * await vault.close()
 */
export async function startVaultServer(options: VaultServerOptions = {}): Promise<VaultServer> {
  const clock = options.clock ?? new TestClock()
  const core = new Core(
    clock,
    durationSeconds(options.default_lease_ttl, 'default_lease_ttl') ?? SYSTEM_TTL_S,
    durationSeconds(options.max_lease_ttl, 'max_lease_ttl') ?? SYSTEM_TTL_S
  )
  let server: LocalVaultServer | undefined
  const kernel = await startKernelServer({
    clock,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    // Faults and crashes answer in Vault's shape too.
    errorBody: (_status, message) => ({ errors: message === '' ? [] : [message] }),
    handler: async request => {
      if (server === undefined) return json(503, { errors: ['Vault is starting'] })
      return server.handle(request)
    }
  })
  try {
    server = new LocalVaultServer(kernel, core, options)
  } catch (error: unknown) {
    await kernel.close()
    throw error
  }
  return server
}
