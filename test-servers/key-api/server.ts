/**
 * A local create/revoke key API shaped like Capgo's public API, on the test-server kernel:
 * `GET /apikey`, `GET /apikey/:id`, `POST /apikey`, `DELETE /apikey/:id`, and `GET /app` as an
 * endpoint that needs a working key (a health check proves a key works and a deleted one fails).
 *
 * Capgo's wire habits kept here: the `authorization` header carries either an API key (a UUID)
 * or a user session (a JWT); `capgkey` and `x-api-key` carry keys too; keys are random UUIDs;
 * errors are `{"error": "<code>", "message": "<text>", "moreInfo": {...}}`; `:id` matches the
 * numeric id or the key itself; a delete answers `{"success": true}`.
 */
import { randomUUID } from 'node:crypto'
import {
  type KernelRequest,
  type KernelResponse,
  type KernelServer,
  TestClock,
  isJsonObject,
  startKernelServer
} from '../kernel/index.js'
import type { KeyApiServer, KeyApiServerOptions, KeyMode, KeySeed, KeyView } from './types.js'

const MODES: readonly KeyMode[] = ['read', 'upload', 'write', 'all']
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface KeyRecord {
  readonly id: number
  readonly key: string
  readonly name: string
  readonly mode: KeyMode
  readonly userId: string
  readonly limitedToOrgs: string[]
  readonly limitedToApps: string[]
  readonly expiresAt: string | null
  readonly createdAt: Date
  uses: number
  live: boolean
}

interface AppRecord {
  readonly appId: string
  readonly name: string
  readonly userId: string
}

/** Who a request is: a user session or an API key. */
type Caller =
  { kind: 'session'; userId: string } | { kind: 'apikey'; userId: string; key: KeyRecord }

/** Capgo's error answer. */
function error(
  status: number,
  code: string,
  message: string,
  moreInfo: object = {}
): KernelResponse {
  return { status, body: { error: code, message, moreInfo } }
}

class Refusal extends Error {
  readonly response: KernelResponse

  constructor(response: KernelResponse) {
    super('refused')
    this.response = response
  }
}

function base64url(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url')
}

class LocalKeyApiServer implements KeyApiServer {
  readonly clock: TestClock
  readonly defaultUserId: string
  readonly #options: KeyApiServerOptions
  readonly #keys: KeyRecord[] = []
  readonly #sessions = new Map<string, string>()
  readonly #users = new Set<string>()
  readonly #apps: AppRecord[] = []
  #kernel: KernelServer | undefined
  #nextId = 1

  constructor(options: KeyApiServerOptions) {
    this.#options = options
    this.clock = options.clock ?? new TestClock()
    this.defaultUserId = this.addUser()
  }

  get #server(): KernelServer {
    if (this.#kernel === undefined) throw new Error('the key API server is not listening')
    return this.#kernel
  }

  get url(): string {
    return this.#server.url
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

  async listen(): Promise<void> {
    this.#kernel = await startKernelServer({
      handler: request => this.#handle(request),
      clock: this.clock,
      ...(this.#options.tls === undefined ? {} : { tls: this.#options.tls }),
      errorBody: (status, message) => ({
        error: status >= 500 ? 'internal_error' : 'error',
        message: message === '' ? 'KO' : message,
        moreInfo: {}
      })
    })
  }

  close(): Promise<void> {
    return this.#server.close()
  }

  // ---- seeding ----

  addUser(): string {
    const id = randomUUID()
    this.#users.add(id)
    return id
  }

  addSession(userId: string = this.defaultUserId): string {
    if (!this.#users.has(userId)) throw new Error(`no user ${userId}`)
    // Shaped like the Supabase JWT Capgo's console sends; only its presence here makes it valid.
    const token = [
      base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })),
      base64url(JSON.stringify({ sub: userId, role: 'authenticated', jti: randomUUID() })),
      base64url(randomUUID())
    ].join('.')
    this.#sessions.set(token, userId)
    return token
  }

  endSession(token: string): void {
    this.#sessions.delete(token)
  }

  addApp(appId: string, options: { name?: string; userId?: string } = {}): void {
    this.#apps.push({
      appId,
      name: options.name ?? appId,
      userId: options.userId ?? this.defaultUserId
    })
  }

  seedKey(seed: KeySeed): { id: number; key: string } {
    const record = this.#create({
      name: seed.name,
      mode: seed.mode ?? 'all',
      userId: seed.userId ?? this.defaultUserId,
      limitedToOrgs: [...(seed.limitedToOrgs ?? [])],
      limitedToApps: [...(seed.limitedToApps ?? [])],
      expiresAt: seed.expiresAt ?? null,
      ...(seed.key === undefined ? {} : { key: seed.key })
    })
    return { id: record.id, key: record.key }
  }

  // ---- introspection ----

  keys(): KeyView[] {
    return this.#keys.map(record => ({
      id: record.id,
      key: record.key,
      name: record.name,
      mode: record.mode,
      userId: record.userId,
      limitedToOrgs: [...record.limitedToOrgs],
      limitedToApps: [...record.limitedToApps],
      expiresAt: record.expiresAt,
      createdAt: record.createdAt,
      uses: record.uses,
      live: record.live
    }))
  }

  liveKeys(name?: string): KeyView[] {
    return this.keys().filter(view => view.live && (name === undefined || view.name === name))
  }

  keyByValue(value: string): KeyView | undefined {
    return this.keys().find(view => view.key === value)
  }

  // ---- the API ----

  #create(input: {
    name: string
    mode: KeyMode
    userId: string
    limitedToOrgs: string[]
    limitedToApps: string[]
    expiresAt: string | null
    key?: string
  }): KeyRecord {
    const record: KeyRecord = {
      id: this.#nextId++,
      key: input.key ?? randomUUID(),
      name: input.name,
      mode: input.mode,
      userId: input.userId,
      limitedToOrgs: input.limitedToOrgs,
      limitedToApps: input.limitedToApps,
      expiresAt: input.expiresAt,
      createdAt: this.clock.now(),
      uses: 0,
      live: true
    }
    this.#keys.push(record)
    return record
  }

  #row(record: KeyRecord): Record<string, unknown> {
    const created = record.createdAt.toISOString()
    return {
      id: record.id,
      created_at: created,
      user_id: record.userId,
      key: record.key,
      mode: record.mode,
      updated_at: created,
      name: record.name,
      limited_to_orgs: [...record.limitedToOrgs],
      limited_to_apps: [...record.limitedToApps],
      expires_at: record.expiresAt
    }
  }

  /** Capgo's `middlewareV2`: a session, or a live, unexpired key whose mode is allowed. */
  #authenticate(request: KernelRequest, modes: readonly KeyMode[]): Caller {
    let session = request.headers.authorization
    let key = request.headers.capgkey ?? request.headers['x-api-key']
    if (session !== undefined && UUID.test(session)) {
      key = session
      session = undefined
    }
    if (session !== undefined && session !== '') {
      const userId = this.#sessions.get(session)
      if (userId === undefined) throw new Refusal(error(401, 'invalid_jwt', 'Invalid JWT'))
      return { kind: 'session', userId }
    }
    if (key === undefined || key === '') {
      throw new Refusal(error(401, 'no_jwt_apikey_or_subkey', 'No JWT, apikey or subkey provided'))
    }
    const record = this.#keys.find(candidate => candidate.live && candidate.key === key)
    const now = this.clock.nowMs()
    if (
      record === undefined ||
      !modes.includes(record.mode) ||
      (record.expiresAt !== null && Date.parse(record.expiresAt) < now)
    ) {
      throw new Refusal(error(401, 'invalid_apikey', 'Invalid apikey'))
    }
    record.uses += 1
    return { kind: 'apikey', userId: record.userId, key: record }
  }

  #limited(caller: Caller): boolean {
    return (
      caller.kind === 'apikey' &&
      (caller.key.limitedToOrgs.length > 0 || caller.key.limitedToApps.length > 0)
    )
  }

  #findOwn(caller: Caller, idOrKey: string): KeyRecord | undefined {
    return this.#keys.find(
      record =>
        record.live &&
        record.userId === caller.userId &&
        (String(record.id) === idOrKey || record.key === idOrKey)
    )
  }

  #handle(request: KernelRequest): KernelResponse {
    try {
      return this.#route(request)
    } catch (refusal: unknown) {
      if (refusal instanceof Refusal) return refusal.response
      throw refusal
    }
  }

  #route(request: KernelRequest): KernelResponse {
    const path = request.path.replace(/\/+$/, '')
    const segments = path.split('/').filter(part => part !== '')
    const [resource, id] = segments
    if (resource === 'apikey' && segments.length <= 2) {
      if (request.method === 'GET' && id === undefined) return this.#list(request)
      if (request.method === 'GET' && id !== undefined) return this.#get(request, id)
      if (request.method === 'POST' && id === undefined) return this.#post(request)
      if (request.method === 'DELETE' && id !== undefined) return this.#delete(request, id)
    }
    if (resource === 'app' && segments.length === 1 && request.method === 'GET') {
      const caller = this.#authenticate(request, MODES)
      return {
        status: 200,
        body: this.#apps
          .filter(app => app.userId === caller.userId)
          .map(app => ({ app_id: app.appId, name: app.name, owner_org: app.userId }))
      }
    }
    return error(404, 'not_found', 'Not found')
  }

  #list(request: KernelRequest): KernelResponse {
    const caller = this.#authenticate(request, ['all'])
    if (this.#limited(caller)) {
      return error(401, 'cannot_list_apikeys', 'You cannot do that as a limited API key')
    }
    return {
      status: 200,
      body: this.#keys
        .filter(record => record.live && record.userId === caller.userId)
        .map(record => this.#row(record))
    }
  }

  #get(request: KernelRequest, id: string): KernelResponse {
    const caller = this.#authenticate(request, ['all'])
    if (this.#limited(caller)) {
      return error(401, 'cannot_get_apikey', 'You cannot do that as a limited API key')
    }
    const record = this.#findOwn(caller, decodeURIComponent(id))
    if (record === undefined) return error(404, 'failed_to_get_apikey', 'Failed to get API key')
    return { status: 200, body: this.#row(record) }
  }

  #post(request: KernelRequest): KernelResponse {
    const caller = this.#authenticate(request, ['all'])
    const body: Record<string, unknown> = isJsonObject(request.body) ? request.body : {}
    const refuseKeys = this.#options.keyCreation === 'session-only'
    if (
      caller.kind === 'apikey' &&
      (refuseKeys || caller.key.mode !== 'all' || this.#limited(caller))
    ) {
      return error(
        this.#options.refusalStatus ?? 400,
        'cannot_create_apikey',
        'You cannot create API keys with this API key',
        { keyId: caller.key.id }
      )
    }
    const name = typeof body.name === 'string' ? body.name : ''
    if (name === '') return error(400, 'name_is_required', 'Name is required')
    const mode = body.mode
    if (mode === undefined || mode === null || mode === '') {
      return error(400, 'mode_is_required', 'Mode is required when no bindings are provided')
    }
    if (typeof mode !== 'string' || !MODES.includes(mode as KeyMode)) {
      return error(400, 'invalid_mode', 'Invalid mode')
    }
    const strings = (value: unknown): string[] | undefined =>
      value === undefined
        ? []
        : Array.isArray(value) && value.every(item => typeof item === 'string')
          ? value
          : undefined
    const limitedToOrgs = strings(body.limited_to_orgs)
    if (limitedToOrgs === undefined) {
      return error(400, 'invalid_limited_to_orgs', 'limited_to_orgs must be an array of org ids')
    }
    const limitedToApps = strings(body.limited_to_apps)
    if (limitedToApps === undefined) {
      return error(400, 'invalid_limited_to_apps', 'limited_to_apps must be an array of app ids')
    }
    const expiresAt = typeof body.expires_at === 'string' ? body.expires_at : null
    const record = this.#create({
      name,
      mode: mode as KeyMode,
      userId: caller.userId,
      limitedToOrgs,
      limitedToApps,
      expiresAt
    })
    return { status: 200, body: this.#row(record) }
  }

  #delete(request: KernelRequest, id: string): KernelResponse {
    const caller = this.#authenticate(request, ['all'])
    if (this.#limited(caller)) {
      return error(401, 'cannot_delete_apikey', 'You cannot do that as a limited API key')
    }
    const record = this.#findOwn(caller, decodeURIComponent(id))
    if (record === undefined) return error(404, 'api_key_not_found', 'API key not found')
    record.live = false
    return { status: 200, body: { success: true } }
  }
}

/**
 * Starts a local key API server (Capgo-shaped) on 127.0.0.1 and an ephemeral port.
 *
 * @example
 * const keys = await startKeyApiServer({ keyCreation: 'session-only' })
 * const session = keys.addSession()
 * // fetch(`${keys.url}/apikey`, { method: 'POST', headers: { authorization: session },
 * //   body: JSON.stringify({ name: 'ci-key', mode: 'all' }) })
 * await keys.close()
 */
export async function startKeyApiServer(options: KeyApiServerOptions = {}): Promise<KeyApiServer> {
  const server = new LocalKeyApiServer(options)
  await server.listen()
  return server
}
