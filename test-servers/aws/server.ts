/**
 * The HTTP side: one node:http server on 127.0.0.1 and an ephemeral port speaking AWS JSON 1.1
 * (`POST /`, `X-Amz-Target: secretsmanager.<Operation>`) with real SigV4 verification, fault
 * injection and request recording around the operations; and STS `AssumeRoleWithWebIdentity` under
 * `/sts`.
 */
import { randomUUID } from 'node:crypto'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { AwsError } from './errors.js'
import { FaultRegistry } from './faults.js'
import { SecretsModel } from './model.js'
import { Input, OPERATIONS } from './operations.js'
import { type ParsedAuthorization, parseAuthorization, verifySignature } from './sigv4.js'
import { type StsResponse, handleSts, stsError } from './sts.js'
import type {
  AwsCredentials,
  Fault,
  IssuedCredentials,
  RecordedRequest,
  ReplicaStatus,
  SecretView,
  SecretsManagerServer,
  SecretsManagerServerOptions,
  SeedSecretOptions,
  WebIdentityOptions
} from './types.js'

/** The key a server accepts when given none. */
export const DEFAULT_CREDENTIALS: Readonly<AwsCredentials> = Object.freeze({
  accessKeyId: 'AKIALOCALTEST0000001',
  secretAccessKey: 'local/test/secret/access/key/0000000000'
})

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1'
const TARGET_PREFIX = 'secretsmanager.'
/** AWS refuses a signature whose X-Amz-Date is more than 5 minutes away from its clock. */
const MAX_SKEW_MS = 5 * 60 * 1000

interface Answer {
  status: number
  body: string
  contentType: string
  errorCode?: string
}

function jsonAnswer(status: number, body: unknown): Answer {
  return { status, body: JSON.stringify(body), contentType: JSON_CONTENT_TYPE }
}

function errorAnswer(error: AwsError): Answer {
  return {
    ...jsonAnswer(error.status, { __type: error.code, message: error.message }),
    errorCode: error.code
  }
}

function stsAnswer(response: StsResponse): Answer {
  const answer: Answer = { status: response.status, body: response.body, contentType: 'text/xml' }
  if (response.errorCode !== undefined) answer.errorCode = response.errorCode
  return answer
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

/** `20261124T101500Z` to a Date. */
function parseAmzDate(text: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text)
  if (match === null) return new Date(NaN)
  const [, y, mo, d, h, mi, s] = match.map(Number)
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0))
}

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')
}

interface AcceptedKey {
  credentials: AwsCredentials
  expiration?: Date
}

class LocalSecretsManagerServer implements SecretsManagerServer {
  readonly faults = new FaultRegistry()
  readonly region: string
  readonly accountId: string
  readonly #model: SecretsModel
  readonly #http: Server
  readonly #keys = new Map<string, AcceptedKey>()
  readonly #firstKey: AwsCredentials
  readonly #sts: WebIdentityOptions
  readonly #requests: RecordedRequest[] = []
  readonly #issued: IssuedCredentials[] = []
  /** Aborted by close(), so that requests sleeping on a delay stop at once. */
  readonly #lifetime = new AbortController()
  #url = ''
  #closing: Promise<void> | undefined

  constructor(options: SecretsManagerServerOptions) {
    this.region = options.region ?? 'us-east-1'
    this.accountId = options.accountId ?? '123456789012'
    if (!/^\d{12}$/.test(this.accountId)) throw new Error('accountId must be 12 digits')
    const sync = options.replicaSyncAfterDescribes ?? 1
    if (!(sync >= 0)) throw new Error('replicaSyncAfterDescribes must be >= 0')
    this.#model = new SecretsModel(this.region, this.accountId, sync)
    const keys = options.credentials ?? [{ ...DEFAULT_CREDENTIALS }]
    const first = keys[0]
    if (first === undefined) throw new Error('credentials must hold at least one key')
    this.#firstKey = { ...first }
    for (const key of keys) this.addCredentials(key)
    this.#sts = options.sts ?? {}
    this.#http = createServer((req, res) => {
      void this.#handle(req, res)
    })
  }

  get url(): string {
    return this.#url
  }

  get stsUrl(): string {
    return `${this.#url}/sts`
  }

  get credentials(): AwsCredentials {
    return { ...this.#firstKey }
  }

  get allCredentials(): ReadonlyArray<AwsCredentials> {
    return [...this.#keys.values()].map(key => ({ ...key.credentials }))
  }

  get issuedCredentials(): ReadonlyArray<IssuedCredentials> {
    return this.#issued.map(issued => ({ ...issued, expiration: new Date(issued.expiration) }))
  }

  get requests(): ReadonlyArray<RecordedRequest> {
    return this.#requests
  }

  addCredentials(credentials: AwsCredentials): void {
    if (credentials.accessKeyId === '' || credentials.secretAccessKey === '') {
      throw new Error('accessKeyId and secretAccessKey must not be empty')
    }
    this.#keys.set(credentials.accessKeyId, { credentials: { ...credentials } })
  }

  removeCredentials(accessKeyId: string): void {
    this.#keys.delete(accessKeyId)
  }

  seedSecret(name: string, options: SeedSecretOptions): SecretView {
    if (this.#model.find(name) !== undefined) throw new Error(`secret '${name}' already exists`)
    const tags = new Map(Object.entries(options.tags ?? {}))
    for (const replica of options.replicas ?? []) {
      if (replica.region === this.region) throw new Error('a replica needs another region')
    }
    const secret = this.#model.create(name, {
      tags,
      replicas: options.replicas ?? [],
      simulation: options.rotation
    })
    const versionId = options.versionId ?? SecretsModel.newVersionId()
    const version = this.#model.addVersion(secret, versionId, {
      secretString: options.secretString
    })
    this.#model.attach(secret, version, 'AWSCURRENT')
    return this.#model.view(secret)
  }

  getSecret(nameOrArn: string): SecretView | undefined {
    const secret = this.#model.find(nameOrArn)
    return secret === undefined ? undefined : this.#model.view(secret)
  }

  stageOf(
    nameOrArn: string,
    label: string
  ): { versionId: string; secretString: string } | undefined {
    const secret = this.#model.find(nameOrArn)
    const version = secret === undefined ? undefined : this.#model.holderOf(secret, label)
    if (version === undefined) return undefined
    return { versionId: version.id, secretString: version.secretString ?? '' }
  }

  setReplicaStatus(
    nameOrArn: string,
    region: string,
    status: ReplicaStatus,
    statusMessage?: string
  ): void {
    const secret = this.#model.find(nameOrArn)
    if (secret === undefined) throw new Error(`secret '${nameOrArn}' does not exist`)
    this.#model.setReplicaStatus(secret, region, status, statusMessage)
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

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID()
    const record: RecordedRequest = {
      requestId,
      operation: '',
      body: undefined,
      time: Date.now(),
      status: 0
    }
    this.#requests.push(record)
    try {
      const body = await readBody(req)
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
      const isSts = path === '/sts' || path.startsWith('/sts/')
      let form: URLSearchParams | undefined
      let input: Record<string, unknown> | undefined
      let parseError: AwsError | undefined
      if (isSts) {
        form = new URLSearchParams(body.toString('utf8'))
        record.operation = form.get('Action') ?? ''
        record.body = Object.fromEntries(form)
      } else {
        const target = header(req, 'x-amz-target') ?? ''
        record.operation = target.startsWith(TARGET_PREFIX)
          ? target.slice(TARGET_PREFIX.length)
          : ''
        try {
          const parsed = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as unknown)
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
            throw new Error('not an object')
          }
          input = parsed as Record<string, unknown>
          record.body = input
          const id =
            input.SecretId ?? (record.operation === 'CreateSecret' ? input.Name : undefined)
          if (typeof id === 'string') record.secretId = id
        } catch {
          parseError = new AwsError(
            'SerializationException',
            'Start of structure or map found where not expected.'
          )
          record.body = body.toString('utf8')
        }
      }
      let auth: ParsedAuthorization | undefined
      let authError: AwsError | undefined
      try {
        auth = parseAuthorization(header(req, 'authorization'))
      } catch (error: unknown) {
        if (!(error instanceof AwsError)) throw error
        authError = error
      }
      if (auth !== undefined) {
        record.region = auth.region
        record.accessKeyId = auth.accessKeyId
      }

      const decision = this.faults.evaluate({
        operation: record.operation,
        secretId: record.secretId,
        secretName:
          record.secretId === undefined ? undefined : this.#model.find(record.secretId)?.name
      })
      if (decision.delayMs > 0) {
        await sleep(decision.delayMs, undefined, { signal: this.#lifetime.signal })
      }
      const fault = decision.terminal
      if (fault?.kind === 'drop') {
        record.dropped = 'before'
        res.destroy()
        return
      }

      let answer: Answer
      if (fault !== undefined && fault.kind !== 'drop-after-processing') {
        answer = this.#faultAnswer(fault, isSts, requestId)
      } else if (isSts && form !== undefined) {
        answer = stsAnswer(
          handleSts(form, this.#sts, requestId, issued => {
            this.#issued.push(issued)
            this.#keys.set(issued.accessKeyId, {
              credentials: {
                accessKeyId: issued.accessKeyId,
                secretAccessKey: issued.secretAccessKey,
                sessionToken: issued.sessionToken
              },
              expiration: issued.expiration
            })
          })
        )
      } else {
        answer = this.#process(req, body, record.operation, input, parseError, auth, authError)
      }

      if (fault?.kind === 'drop-after-processing') {
        record.dropped = 'after'
        res.destroy()
        return
      }
      this.#send(res, record, answer, requestId)
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
        errorAnswer(new AwsError('InternalServiceError', `Test server error: ${message}`, 500)),
        requestId
      )
    }
  }

  /** Authentication, then the operation. */
  #process(
    req: IncomingMessage,
    body: Buffer,
    operation: string,
    input: Record<string, unknown> | undefined,
    parseError: AwsError | undefined,
    auth: ParsedAuthorization | undefined,
    authError: AwsError | undefined
  ): Answer {
    try {
      if (authError !== undefined) throw authError
      this.#authenticate(req, body, auth)
      const handler = OPERATIONS.get(operation)
      if (req.method !== 'POST' || handler === undefined) {
        throw new AwsError('UnknownOperationException', '')
      }
      if (parseError !== undefined || input === undefined) {
        throw parseError ?? new AwsError('SerializationException', 'Empty body')
      }
      return jsonAnswer(200, handler({ model: this.#model }, new Input(input)))
    } catch (error: unknown) {
      if (error instanceof AwsError) return errorAnswer(error)
      throw error
    }
  }

  #authenticate(req: IncomingMessage, body: Buffer, auth: ParsedAuthorization | undefined): void {
    if (auth === undefined) {
      throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token')
    }
    if (auth.service !== 'secretsmanager') {
      throw new AwsError(
        'InvalidSignatureException',
        `Credential should be scoped to correct service: 'secretsmanager'. `
      )
    }
    const key = this.#keys.get(auth.accessKeyId)
    const invalidToken = new AwsError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.'
    )
    if (key === undefined) throw invalidToken
    const sentToken = header(req, 'x-amz-security-token')
    if (sentToken !== key.credentials.sessionToken) throw invalidToken
    if (key.expiration !== undefined && key.expiration.getTime() <= Date.now()) {
      throw new AwsError(
        'ExpiredTokenException',
        'The security token included in the request is expired'
      )
    }
    if (auth.region !== this.region) {
      throw new AwsError(
        'InvalidSignatureException',
        `Credential should be scoped to a valid region, not '${auth.region}'. `
      )
    }
    verifySignature(
      { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body },
      auth,
      key.credentials.secretAccessKey
    )
    const signedAt = parseAmzDate(header(req, 'x-amz-date') ?? '')
    const now = Date.now()
    if (Math.abs(now - signedAt.getTime()) > MAX_SKEW_MS) {
      const early = signedAt.getTime() < now
      const bound = new Date(early ? now - MAX_SKEW_MS : now + MAX_SKEW_MS)
      throw new AwsError(
        'InvalidSignatureException',
        `Signature ${early ? 'expired' : 'not yet current'}: ${amzDate(signedAt)} is now ${early ? 'earlier' : 'later'} than ${amzDate(bound)} (${amzDate(new Date(now))} ${early ? '-' : '+'} 5 min.)`
      )
    }
  }

  #faultAnswer(fault: Fault, isSts: boolean, requestId: string): Answer {
    const status = fault.kind === 'throttle' ? 400 : (fault.status ?? 500)
    const code =
      fault.kind === 'throttle'
        ? 'ThrottlingException'
        : (fault.errorType ?? 'InternalServiceError')
    const message =
      fault.message ??
      (fault.kind === 'throttle' ? 'Rate exceeded' : 'An error occurred on the server side.')
    if (isSts) {
      return stsAnswer(
        stsError(status, fault.kind === 'throttle' ? 'Throttling' : code, message, requestId)
      )
    }
    return errorAnswer(new AwsError(code, message, status))
  }

  #send(res: ServerResponse, record: RecordedRequest, answer: Answer, requestId: string): void {
    const headers: Record<string, string> = {
      'x-amzn-RequestId': requestId,
      'content-type': answer.contentType,
      'content-length': String(Buffer.byteLength(answer.body))
    }
    if (answer.errorCode !== undefined) {
      headers['x-amzn-ErrorType'] = answer.errorCode
      record.errorType = answer.errorCode
    }
    record.status = answer.status
    res.writeHead(answer.status, headers)
    res.end(answer.body)
  }
}

/**
 * Starts a local AWS Secrets Manager endpoint on 127.0.0.1 and an ephemeral port. Point the real
 * `@aws-sdk/client-secrets-manager` at it with `endpoint: server.url` (or the environment variable
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`), `region: server.region` and
 * `credentials: server.credentials`.
 *
 * @example
 * const aws = await startSecretsManagerServer()
 * aws.seedSecret('app/token', { secretString: 'v1' })
 * const client = new SecretsManagerClient({ endpoint: aws.url, region: aws.region, credentials: aws.credentials })
 * // ...
 * await aws.close()
 */
export async function startSecretsManagerServer(
  options: SecretsManagerServerOptions = {}
): Promise<SecretsManagerServer> {
  const server = new LocalSecretsManagerServer(options)
  await server.listen()
  return server
}
