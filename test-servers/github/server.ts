/**
 * The HTTP side: one node:http server on 127.0.0.1 and an ephemeral port, with authentication,
 * fault injection, latency, rate limits, request recording and GitHub's common headers around the
 * route handlers.
 */
import { randomBytes } from 'node:crypto'
import {
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
  createServer
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import sodium from 'libsodium-wrappers'
import { FaultRegistry } from './faults.js'
import { ApiError, type ApiResponse, errorBody } from './http.js'
import {
  GitHubModel,
  type SecretAccess,
  copySecret,
  issueRecord,
  repositoryRecord
} from './model.js'
import { PrimaryRateLimits, RetryLedger, WriteLimiter, WriteSpacing } from './rate-limits.js'
import { type RequestContext, type Route, dispatch } from './router.js'
import { issueRoutes } from './routes-issues.js'
import { repoRoutes } from './routes-repos.js'
import { handleSecrets } from './routes-secrets.js'
import { variableRoutes } from './routes-variables.js'
import { type ParsedSecretPath, parseSecretPath, splitPath } from './scope-path.js'
import type {
  Fault,
  GitHubServer,
  GitHubServerOptions,
  IssueRecord,
  Permission,
  RecordedRequest,
  RepositoryRecord,
  SecretVisibility,
  StoredSecret,
  TokenGrant,
  VariableRecord
} from './types.js'

const DEFAULT_TOKENS: Readonly<Record<string, TokenGrant>> = Object.freeze({
  'test-token': { secrets: 'write', variables: 'write', issues: 'write' }
})

const WRITE_METHODS: ReadonlySet<string> = new Set(['PUT', 'POST', 'PATCH', 'DELETE'])

const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'

const ROUTES: readonly Route[] = [...repoRoutes, ...variableRoutes, ...issueRoutes]

function secondaryRateLimitBody(requestId: string): ReturnType<typeof errorBody> {
  return errorBody(
    403,
    'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
      `If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
    RATE_LIMIT_DOCS
  )
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex').toUpperCase()
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new ApiError(400, 'Problems parsing JSON')
  }
}

function grants(grant: TokenGrant, area: keyof TokenGrant, level: Permission): boolean {
  const held = grant[area]
  return held === 'write' || (held === 'read' && level === 'read')
}

class LocalGitHubServer implements GitHubServer {
  readonly faults = new FaultRegistry()
  readonly #model = new GitHubModel(() => this.now().getTime())
  readonly #http: Server
  readonly #tokens: ReadonlyMap<string, TokenGrant>
  readonly #latencyMs: number
  readonly #writes: WriteLimiter
  readonly #rateLimits = new PrimaryRateLimits()
  readonly #retryLedger = new RetryLedger()
  readonly #writeSpacing: WriteSpacing
  readonly #requests: RecordedRequest[] = []
  readonly #opened: string[] = []
  readonly #received: string[] = []
  /** Aborted by close(), so that requests sleeping on latency stop at once. */
  readonly #lifetime = new AbortController()
  /** GitHub's clock minus the real one, in ms. */
  #clockOffsetMs: number
  #inFlight = 0
  #maxInFlight = 0
  #sequence = 0
  #url = ''
  #closing: Promise<void> | undefined

  constructor(options: GitHubServerOptions) {
    this.#tokens = new Map(Object.entries(options.tokens ?? DEFAULT_TOKENS))
    this.#latencyMs = options.latencyMs ?? 0
    this.#clockOffsetMs = options.clockOffsetMs ?? 0
    this.#writes = new WriteLimiter(options.writesPerMinute)
    this.#writeSpacing = new WriteSpacing(options.writeSpacingMs)
    this.#http = createServer((req, res) => {
      void this.#handle(req, res)
    })
    // Longer than a client's idle keep-alive (undici: 4 s), so the client always closes an idle
    // socket first: a server closing it as the client reuses it answers ECONNRESET.
    this.#http.keepAliveTimeout = 30_000
  }

  get url(): string {
    return this.#url
  }

  get clockOffsetMs(): number {
    return this.#clockOffsetMs
  }

  set clockOffsetMs(offset: number) {
    this.#clockOffsetMs = offset
  }

  now(): Date {
    return new Date(Date.now() + this.#clockOffsetMs)
  }

  get requests(): ReadonlyArray<RecordedRequest> {
    return this.#requests
  }

  get maxInFlight(): number {
    return this.#maxInFlight
  }

  get refusedWrites(): number {
    return this.#writes.refused
  }

  get earlyRetries(): number {
    return this.#retryLedger.early
  }

  get crowdedWrites(): number {
    return this.#writeSpacing.crowded
  }

  get openedValues(): ReadonlyArray<string> {
    return this.#opened
  }

  get receivedCiphertexts(): ReadonlyArray<string> {
    return this.#received
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject)
      this.#http.listen(0, '127.0.0.1', () => {
        this.#http.off('error', reject)
        resolve()
      })
    })
    const { port } = this.#http.address() as AddressInfo
    this.#url = `http://127.0.0.1:${port}`
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve, reject) => {
      this.#lifetime.abort()
      this.#http.close(error => {
        if (error === undefined) resolve()
        else reject(error)
      })
      // Keep-alive sockets would otherwise hold close() open until the client lets go.
      this.#http.closeAllConnections()
    })
    return this.#closing
  }

  addRepository(
    fullName: string,
    options: {
      id?: number
      environments?: string[]
      private?: boolean
      ownerType?: 'Organization' | 'User'
    } = {}
  ): RepositoryRecord {
    return repositoryRecord(this.#model.addRepository(fullName, options))
  }

  addEnvironment(fullName: string, environment: string): void {
    this.#model.addEnvironment(fullName, environment)
  }

  addOrganization(login: string): void {
    this.#model.addOrganization(login)
  }

  getSecret(path: string): StoredSecret | undefined {
    const parsed = this.#parseSecretApiPath(path, true)
    const [name] = parsed.rest
    const scope = this.#model.resolveScope(parsed.scope)
    if (scope === undefined || name === undefined) return undefined
    const secret = scope.secrets.secrets.get(name.toUpperCase())
    return secret === undefined ? undefined : copySecret(secret)
  }

  seedSecret(
    path: string,
    value: string,
    extras: { visibility?: SecretVisibility; selectedRepositoryIds?: number[] } = {}
  ): void {
    const parsed = this.#parseSecretApiPath(path, true)
    const [name] = parsed.rest
    if (name === undefined) throw new Error(`'${path}' names no secret`)
    const scope = this.#model.resolveScope(parsed.scope)
    if (scope === undefined) throw new Error(`'${path}': repository, environment or org missing`)
    let access: SecretAccess | undefined
    if (scope.org !== undefined) {
      const visibility = extras.visibility ?? 'all'
      if (visibility !== 'selected' && extras.selectedRepositoryIds !== undefined) {
        throw new Error('selectedRepositoryIds needs visibility "selected"')
      }
      access = { visibility, selectedRepositoryIds: extras.selectedRepositoryIds }
    } else if (extras.visibility !== undefined || extras.selectedRepositoryIds !== undefined) {
      throw new Error(`'${path}' is not an organization secret; it has no visibility`)
    }
    this.#model.writeSecret(scope, name, value, access, false)
  }

  rotatePublicKey(scopePath: string): void {
    const parsed = this.#parseSecretApiPath(scopePath, false)
    const scope = this.#model.resolveScope(parsed.scope)
    if (scope === undefined)
      throw new Error(`'${scopePath}': repository, environment or org missing`)
    scope.secrets.keys.rotate()
  }

  getVariable(fullName: string, name: string): VariableRecord | undefined {
    const variable = this.#model.findRepoByFullName(fullName)?.variables.get(name.toUpperCase())
    return variable === undefined ? undefined : { ...variable }
  }

  seedVariable(fullName: string, name: string, value: string, at?: Date): void {
    const repo = this.#model.findRepoByFullName(fullName)
    if (repo === undefined) throw new Error(`repository '${fullName}' does not exist`)
    this.#model.writeVariable(repo, name, value, at)
  }

  getIssues(fullName: string): IssueRecord[] {
    return (this.#model.findRepoByFullName(fullName)?.issues ?? []).map(issueRecord)
  }

  /** Parses a test-facing secrets path; `withName` says whether a secret name must follow. */
  #parseSecretApiPath(path: string, withName: boolean): ParsedSecretPath {
    const segments = splitPath(path)
    const parsed = segments === undefined ? undefined : parseSecretPath(segments)
    const expected = withName ? 1 : 0
    if (parsed === undefined || parsed.rest.length !== expected) {
      const example = withName
        ? 'repos/octo/app/actions/secrets/TOKEN'
        : 'repos/octo/app/actions/secrets'
      throw new Error(`'${path}' is not a secrets path like '${example}'`)
    }
    return parsed
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now()
    this.#inFlight += 1
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight)
    const method = (req.method ?? 'GET').toUpperCase()
    const target = new URL(req.url ?? '/', 'http://127.0.0.1')
    const record: RecordedRequest = {
      method,
      path: target.pathname,
      url: req.url ?? '/',
      status: 0,
      startedAt,
      endedAt: 0
    }
    const token = bearerToken(req.headers.authorization)
    if (token !== undefined) record.token = token
    this.#requests.push(record)
    this.#retryLedger.arrived(`${token ?? ''} ${method} ${target.pathname}`, startedAt)
    if (WRITE_METHODS.has(method)) this.#writeSpacing.arrived(startedAt)
    // 'close' fires both after a full answer and when a fault destroys the socket.
    res.once('close', () => {
      this.#inFlight -= 1
      record.endedAt = Date.now()
    })

    this.#sequence += 1
    const requestId = `${hex(2)}:${this.#sequence.toString(16).toUpperCase()}:${hex(3)}:${hex(3)}:${Math.floor(
      startedAt / 1000
    )
      .toString(16)
      .toUpperCase()}`

    try {
      const bodyText = await readBody(req)
      const decision = this.faults.evaluate(method, target.pathname)
      const delayMs = this.#latencyMs + decision.delayMs
      if (delayMs > 0) await sleep(delayMs, undefined, { signal: this.#lifetime.signal })
      if (decision.holds.length > 0) {
        const signal = this.#lifetime.signal
        await Promise.race([
          Promise.allSettled(decision.holds),
          new Promise(resolve => {
            signal.addEventListener('abort', resolve, { once: true })
          })
        ])
        signal.throwIfAborted()
      }
      const fault = decision.terminal

      if (fault?.drop === 'before') {
        this.#drop(res, record, 'before')
        return
      }
      const response =
        fault !== undefined && fault.drop === undefined
          ? this.#faultResponse(fault, requestId)
          : this.#process(method, target, bodyText, token, requestId)
      if (fault?.drop === 'after') {
        this.#drop(res, record, 'after')
        return
      }
      this.#send(res, record, response, requestId, token, decision.headers)
    } catch (error: unknown) {
      // Nothing can be answered on a closed server, a destroyed socket or a half-sent answer.
      if (this.#lifetime.signal.aborted || res.destroyed || res.headersSent) {
        res.destroy()
        return
      }
      const message = error instanceof Error ? error.message : String(error)
      this.#send(
        res,
        record,
        { status: 500, body: errorBody(500, `Test server error: ${message}`) },
        requestId,
        token,
        {}
      )
    }
  }

  /** Authentication, the secondary write limit, then the routes. */
  #process(
    method: string,
    target: URL,
    bodyText: string,
    token: string | undefined,
    requestId: string
  ): ApiResponse {
    try {
      const grant = token === undefined ? undefined : this.#tokens.get(token)
      if (grant === undefined) throw new ApiError(401, 'Bad credentials')
      if (WRITE_METHODS.has(method)) {
        const verdict = this.#writes.admit(Date.now())
        if (!verdict.admitted) {
          return {
            status: 403,
            body: secondaryRateLimitBody(requestId),
            headers: { 'retry-after': String(verdict.retryAfterSeconds) }
          }
        }
      }
      const segments = splitPath(target.pathname)
      if (segments === undefined) throw new ApiError(404, 'Not Found')
      const ctx: RequestContext = {
        method,
        segments,
        query: target.searchParams,
        body: method === 'GET' || method === 'HEAD' ? undefined : parseJson(bodyText),
        baseUrl: this.#url,
        model: this.#model,
        require: (area, level, permissionName) => {
          if (grants(grant, area, level)) return
          throw new ApiError(403, 'Resource not accessible by integration', {
            headers: { 'x-accepted-github-permissions': `${permissionName}=${level}` }
          })
        },
        received: ciphertext => {
          this.#received.push(ciphertext)
        },
        opened: value => {
          this.#opened.push(value)
        }
      }
      const secretPath = parseSecretPath(segments)
      return secretPath === undefined ? dispatch(ROUTES, ctx) : handleSecrets(ctx, secretPath)
    } catch (error: unknown) {
      if (error instanceof ApiError) return error.toResponse()
      throw error
    }
  }

  #faultResponse(fault: Fault, requestId: string): ApiResponse {
    if (fault.secondaryRateLimit === true) {
      return {
        status: fault.status ?? 403,
        body: fault.body ?? secondaryRateLimitBody(requestId),
        headers: { 'retry-after': '1' }
      }
    }
    const status = fault.status ?? 500
    return {
      status,
      body: fault.body ?? errorBody(status, STATUS_CODES[status] ?? 'Injected fault')
    }
  }

  #drop(res: ServerResponse, record: RecordedRequest, when: 'before' | 'after'): void {
    record.dropped = when
    res.destroy()
  }

  #send(
    res: ServerResponse,
    record: RecordedRequest,
    response: ApiResponse,
    requestId: string,
    token: string | undefined,
    faultHeaders: Record<string, string>
  ): void {
    const known = token !== undefined && this.#tokens.has(token)
    const headers: Record<string, string> = {
      // As GitHub does on every answer, on the server's own clock (which tests may set off).
      date: this.now().toUTCString(),
      'x-github-request-id': requestId,
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      ...this.#rateLimits.consume(known ? token : undefined, Date.now()),
      ...response.headers,
      ...faultHeaders
    }
    let payload: string | undefined
    if (response.status !== 204 && response.status !== 304 && response.body !== undefined) {
      payload = JSON.stringify(response.body)
      headers['content-type'] = 'application/json; charset=utf-8'
      headers['content-length'] = String(Buffer.byteLength(payload))
    }
    record.status = response.status
    this.#retryLedger.asked(`${token ?? ''} ${record.method} ${record.path}`, headers, Date.now())
    res.writeHead(response.status, headers)
    res.end(payload)
  }
}

/**
 * Starts a local GitHub REST API server on 127.0.0.1 and an ephemeral port. Every scope gets its
 * own real libsodium key pair, and every sealed box PUT to it is really opened.
 *
 * @example
 * const github = await startGitHubServer()
 * github.addRepository('octo/app', { environments: ['prod eu'] })
 * // ...point the client at github.url with token 'test-token'...
 * await github.close()
 */
export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  await sodium.ready
  const server = new LocalGitHubServer(options)
  await server.listen()
  return server
}
