/**
 * The local GitLab server: the `/api/v4` pipeline as a kernel handler (the kernel listens, logs,
 * applies fault rules and keeps the clock), GitLab's throttle, and seeding and introspection for
 * tests.
 */
import { STATUS_CODES } from 'node:http'
import {
  type FaultHandle,
  type KernelRequest,
  type KernelResponse,
  type KernelServer,
  TestClock,
  startKernelServer
} from '../kernel/index.js'
import { type Route, dispatch } from './api.js'
import {
  ACCESS_LEVELS,
  GitLabModel,
  type ResourceKind,
  type ResourceRecord,
  type TokenRecord,
  type VariableRecord
} from './model.js'
import { tokenRoutes } from './routes-tokens.js'
import { variableRouteList } from './routes-variables.js'
import type {
  AccessLevel,
  Authentication,
  GitLabServer,
  GitLabServerOptions,
  RateLimitFault,
  SeededToken,
  TokenSeed,
  TokenView,
  VariableSeed
} from './types.js'
import { validateVariable } from './variables.js'

const ROUTES: readonly Route[] = [...tokenRoutes, ...variableRouteList]
const API_PREFIX = '/api/v4'

function levelNumber(level: AccessLevel): number {
  return typeof level === 'number' ? level : ACCESS_LEVELS[level]
}

interface Throttle {
  readonly fault: RateLimitFault
  readonly pattern: RegExp | undefined
  hits: number
}

function throttleMatches(throttle: Throttle, request: KernelRequest): boolean {
  const { fault } = throttle
  if (throttle.hits >= (fault.times ?? 1)) return false
  if (fault.method !== undefined && fault.method.toUpperCase() !== request.method) return false
  if (typeof fault.path === 'string') return fault.path === request.path
  return throttle.pattern === undefined || throttle.pattern.test(request.path)
}

class LocalGitLabServer implements GitLabServer {
  readonly clock: TestClock
  readonly #model: GitLabModel
  readonly #options: GitLabServerOptions
  readonly #authentications: Authentication[] = []
  #throttles: Throttle[] = []
  #kernel: KernelServer | undefined

  constructor(options: GitLabServerOptions) {
    this.#options = options
    this.clock = options.clock ?? new TestClock()
    this.#model = new GitLabModel({
      maxLifetimeDays: options.maxTokenLifetimeDays ?? 365,
      requireExpiry: options.requireTokenExpiry ?? true,
      lastUsedGranularityMs: options.lastUsedGranularityMs ?? 10 * 60 * 1000,
      tokenPrefix: options.tokenPrefix ?? 'glpat-'
    })
  }

  get #server(): KernelServer {
    if (this.#kernel === undefined) throw new Error('the GitLab server is not listening')
    return this.#kernel
  }

  get url(): string {
    return this.#server.url
  }

  get apiUrl(): string {
    return `${this.#server.url}${API_PREFIX}`
  }

  get faults(): KernelServer['faults'] {
    return this.#server.faults
  }

  get log(): KernelServer['log'] {
    return this.#server.log
  }

  get tls(): KernelServer['tls'] {
    return this.#server.tls
  }

  get authentications(): ReadonlyArray<Authentication> {
    return this.#authentications
  }

  async listen(): Promise<void> {
    this.#kernel = await startKernelServer({
      handler: request => this.#handle(request),
      clock: this.clock,
      ...(this.#options.tls === undefined ? {} : { tls: this.#options.tls }),
      ...(this.#options.latencyMs === undefined ? {} : { latencyMs: this.#options.latencyMs }),
      // GitLab's own shape for an error it raises: `{"message":"500 Internal Server Error"}`.
      errorBody: (status, message) => ({
        message: `${status} ${message === '' ? (STATUS_CODES[status] ?? 'Error') : message}`
      })
    })
  }

  close(): Promise<void> {
    return this.#server.close()
  }

  countRequests(filter: { method?: string; path?: string | RegExp; status?: number } = {}): number {
    return this.log.entries.filter(
      request =>
        (filter.method === undefined || request.method === filter.method.toUpperCase()) &&
        (filter.path === undefined ||
          (typeof filter.path === 'string'
            ? request.path === filter.path
            : filter.path.test(request.path))) &&
        (filter.status === undefined || request.status === filter.status)
    ).length
  }

  rateLimit(fault: RateLimitFault = {}): FaultHandle {
    const throttle: Throttle = {
      fault: { ...fault },
      pattern:
        fault.path instanceof RegExp
          ? new RegExp(fault.path.source, fault.path.flags.replace(/[gy]/g, ''))
          : undefined,
      hits: 0
    }
    this.#throttles.push(throttle)
    return {
      remove: (): void => {
        this.#throttles = this.#throttles.filter(candidate => candidate !== throttle)
      },
      get hits(): number {
        return throttle.hits
      }
    }
  }

  /** Rack::Attack's throttled answer in GitLab: plain text and the RateLimit-* headers. */
  #throttled(fault: RateLimitFault): KernelResponse {
    const retryAfter = fault.retryAfterSeconds ?? 60
    const limit = fault.limit ?? 600
    const reset = new Date(this.clock.nowMs() + retryAfter * 1000)
    return {
      status: 429,
      raw: 'Retry later\n',
      headers: {
        'content-type': 'text/plain',
        'ratelimit-name': fault.name ?? 'throttle_authenticated_api',
        'ratelimit-limit': String(limit),
        'ratelimit-observed': String(limit + 1),
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(Math.floor(reset.getTime() / 1000)),
        'ratelimit-resettime': reset.toUTCString(),
        'retry-after': String(retryAfter)
      }
    }
  }

  // ---- seeding ----

  addUser(username: string, options: { admin?: boolean; name?: string } = {}): { id: number } {
    const user = this.#model.addUser(
      {
        username,
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.admin === undefined ? {} : { admin: options.admin })
      },
      this.clock.now()
    )
    return { id: user.id }
  }

  addProject(fullPath: string, options: { id?: number } = {}): { id: number; fullPath: string } {
    const project = this.#model.addResource('project', fullPath, options.id)
    return { id: project.id, fullPath: project.fullPath }
  }

  addGroup(fullPath: string, options: { id?: number } = {}): { id: number; fullPath: string } {
    const group = this.#model.addResource('group', fullPath, options.id)
    return { id: group.id, fullPath: group.fullPath }
  }

  addMember(username: string, kind: ResourceKind, fullPath: string, level: AccessLevel): void {
    const user = this.#model.userByUsername(username)
    if (user === undefined) throw new Error(`no user '${username}'`)
    this.#model.setMembership(user.id, this.#resource(kind, fullPath), levelNumber(level))
  }

  seedPersonalToken(username: string, seed: TokenSeed): SeededToken {
    const user = this.#model.userByUsername(username)
    if (user === undefined) throw new Error(`no user '${username}'`)
    const token = this.#seedToken(user.id, seed, undefined)
    return { id: token.id, token: token.secret, userId: user.id, username: user.username }
  }

  seedResourceToken(
    kind: ResourceKind,
    fullPath: string,
    seed: TokenSeed & { accessLevel?: AccessLevel }
  ): SeededToken {
    const resource = this.#resource(kind, fullPath)
    const now = this.clock.now()
    const bot = this.#model.addUser(
      {
        username: `${kind}_${resource.id}_bot_${this.#model.tokens().length + 1}`,
        name: seed.name,
        bot: true
      },
      now
    )
    this.#model.setMembership(bot.id, resource, levelNumber(seed.accessLevel ?? 'maintainer'))
    const token = this.#seedToken(bot.id, seed, resource)
    return { id: token.id, token: token.secret, userId: bot.id, username: bot.username }
  }

  seedVariable(kind: ResourceKind, fullPath: string, seed: VariableSeed): void {
    const list = this.#model.variables(this.#resource(kind, fullPath))
    const variable: VariableRecord = {
      key: seed.key,
      value: seed.value,
      variableType: seed.variableType ?? 'env_var',
      protected: seed.protected ?? false,
      masked: seed.masked ?? seed.hidden ?? false,
      hidden: seed.hidden ?? false,
      raw: seed.raw ?? false,
      environmentScope: seed.environmentScope ?? '*',
      description: seed.description ?? null
    }
    const errors = validateVariable(variable, list)
    if (Object.keys(errors).length > 0) {
      throw new Error(`GitLab would refuse this variable: ${JSON.stringify(errors)}`)
    }
    list.push(variable)
  }

  // ---- introspection ----

  tokens(
    filter: { name?: string; kind?: TokenView['kind']; resourcePath?: string } = {}
  ): TokenView[] {
    return this.#model
      .tokens()
      .map(token => this.#view(token))
      .filter(
        view =>
          (filter.name === undefined || view.name === filter.name) &&
          (filter.kind === undefined || view.kind === filter.kind) &&
          (filter.resourcePath === undefined || view.resourcePath === filter.resourcePath)
      )
  }

  activeTokens(name: string): TokenView[] {
    return this.tokens({ name }).filter(view => view.active)
  }

  tokenById(id: number): TokenView | undefined {
    const token = this.#model.token(id)
    return token === undefined ? undefined : this.#view(token)
  }

  tokenByValue(value: string): TokenView | undefined {
    const token = this.#model.tokenBySecret(value)
    return token === undefined ? undefined : this.#view(token)
  }

  family(id: number): TokenView[] {
    const token = this.#model.token(id)
    if (token === undefined) throw new Error(`no token ${id}`)
    return this.#model.family(token).map(member => this.#view(member))
  }

  revokeToken(id: number): void {
    const token = this.#model.token(id)
    if (token === undefined) throw new Error(`no token ${id}`)
    token.revoked = true
  }

  variables(kind: ResourceKind, fullPath: string): VariableRecord[] {
    return this.#model.variables(this.#resource(kind, fullPath)).map(variable => ({ ...variable }))
  }

  variable(
    kind: ResourceKind,
    fullPath: string,
    key: string,
    environmentScope = '*'
  ): VariableRecord | undefined {
    return this.variables(kind, fullPath).find(
      variable => variable.key === key && variable.environmentScope === environmentScope
    )
  }

  #resource(kind: ResourceKind, fullPath: string): ResourceRecord {
    const resource = this.#model.resourceByPath(kind, fullPath)
    if (resource === undefined) throw new Error(`no ${kind} '${fullPath}'`)
    return resource
  }

  #seedToken(userId: number, seed: TokenSeed, resource: ResourceRecord | undefined): TokenRecord {
    const now = this.clock.now()
    return this.#model.createToken(
      {
        userId,
        name: seed.name,
        scopes: seed.scopes,
        expiresAt:
          seed.expiresAt === undefined ? this.#model.defaultCreateExpiry(now) : seed.expiresAt,
        description: seed.description ?? null,
        ...(resource === undefined ? {} : { resource }),
        ...(seed.createdAt === undefined ? {} : { createdAt: seed.createdAt }),
        ...(seed.lastUsedAt === undefined ? {} : { lastUsedAt: seed.lastUsedAt }),
        ...(seed.token === undefined ? {} : { secret: seed.token })
      },
      now
    )
  }

  #view(token: TokenRecord): TokenView {
    const now = this.clock.now()
    const user = this.#model.user(token.userId)
    const resource =
      token.resource === undefined
        ? undefined
        : this.#model.resource(token.resource.kind, token.resource.id)
    const family = this.#model.family(token)
    const expired = this.#model.isExpired(token, now)
    return {
      id: token.id,
      name: token.name,
      kind: resource === undefined ? 'personal' : resource.kind,
      ...(resource === undefined
        ? {}
        : {
            resourcePath: resource.fullPath,
            accessLevel: this.#model.accessLevel(token.userId, resource)
          }),
      userId: token.userId,
      username: user?.username ?? '',
      token: token.secret,
      scopes: [...token.scopes],
      expiresAt: token.expiresAt,
      createdAt: token.createdAt,
      lastUsedAt: token.lastUsedAt,
      revoked: token.revoked,
      expired,
      active: !token.revoked && !expired,
      previousId: token.previousId,
      familyRootId: family[0]?.id ?? token.id
    }
  }

  #handle(request: KernelRequest): KernelResponse {
    const throttle = this.#throttles.find(candidate => throttleMatches(candidate, request))
    if (throttle !== undefined) {
      throttle.hits += 1
      return this.#throttled(throttle.fault)
    }
    const path = request.path
    if (path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) {
      return { status: 404, body: { error: '404 Not Found' } }
    }
    const now = this.clock.now()
    const outcome = dispatch(ROUTES, request, path.slice(API_PREFIX.length), this.#model, now)
    if (outcome.principal !== undefined) {
      this.#authentications.push({
        method: request.method,
        path,
        tokenId: outcome.principal.id,
        tokenName: outcome.principal.name,
        at: now
      })
    }
    const { reply } = outcome
    return {
      status: reply.status,
      ...(reply.body === undefined ? {} : { body: reply.body }),
      ...(reply.headers === undefined ? {} : { headers: reply.headers })
    }
  }
}

/**
 * Starts a local GitLab REST API server (`/api/v4`) on 127.0.0.1 and an ephemeral port: personal,
 * project and group access tokens with GitLab's rotation, revocation, token families, expiry and
 * lifetime rules; project and group CI/CD variables with its masking and hiding rules; paging;
 * and fault rules (429 with `Retry-After`, 5xx, dropped connections).
 *
 * @example
 * const gitlab = await startGitLabServer()
 * gitlab.addUser('alice')
 * gitlab.addProject('acme/app')
 * gitlab.addMember('alice', 'project', 'acme/app', 'maintainer')
 * const { token } = gitlab.seedPersonalToken('alice', { name: 'ci', scopes: ['api'] })
 * // fetch(`${gitlab.apiUrl}/user`, { headers: { 'PRIVATE-TOKEN': token } })
 * await gitlab.close()
 */
export async function startGitLabServer(options: GitLabServerOptions = {}): Promise<GitLabServer> {
  const server = new LocalGitLabServer(options)
  await server.listen()
  return server
}
