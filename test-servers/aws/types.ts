/**
 * Public types of the local AWS Secrets Manager server (and its small STS companion). Kept apart
 * from the implementation so that tests and the sandbox can import them without pulling in
 * node:http.
 */

/** One access key the server accepts, exactly as an SDK client is given it. */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  /**
   * When set, every request signed with this key must carry it in `X-Amz-Security-Token`
   * (temporary credentials, e.g. from `aws-actions/configure-aws-credentials` over OIDC).
   */
  sessionToken?: string
}

/** What STS `AssumeRoleWithWebIdentity` accepts (see {@link SecretsManagerServerOptions.sts}). */
export interface WebIdentityOptions {
  /**
   * The web identity tokens accepted (the JWT text as read from `AWS_WEB_IDENTITY_TOKEN_FILE`).
   * Any other token is refused with `InvalidIdentityToken`. Default: any non-empty token.
   */
  tokens?: string[]
  /** Role ARNs that may be assumed. Default: any well-formed role ARN. */
  roleArns?: string[]
  /** Lifetime of issued credentials when the request names none (default 3600 s). */
  durationSeconds?: number
}

/** Options of {@link startSecretsManagerServer}. */
export interface SecretsManagerServerOptions {
  /**
   * The region this endpoint serves, like `secretsmanager.<region>.amazonaws.com`. A request
   * signed for another region is refused with `InvalidSignatureException`, as AWS does.
   * Default `us-east-1`.
   */
  region?: string
  /** Twelve digits used in ARNs. Default `123456789012`. */
  accountId?: string
  /** Access keys accepted. Default: one static test key ({@link DEFAULT_CREDENTIALS}). */
  credentials?: AwsCredentials[]
  /**
   * DescribeSecret calls after a write before a replica that is `InProgress` reports `InSync`
   * (default 1: the first DescribeSecret after the write still sees `InProgress`).
   */
  replicaSyncAfterDescribes?: number
  /** Settings of the STS endpoint at {@link SecretsManagerServer.stsUrl}. */
  sts?: WebIdentityOptions
}

/** Replication state of one replica region, as `ReplicationStatus[].Status` reports it. */
export type ReplicaStatus = 'InSync' | 'Failed' | 'InProgress'

/** A replica region given to {@link SecretsManagerServer.seedSecret}. */
export interface ReplicaSeed {
  region: string
  /**
   * Initial status (default `InSync`). `Failed` is sticky: writes do not restart it; only
   * {@link SecretsManagerServer.setReplicaStatus} changes it.
   */
  status?: ReplicaStatus
  /** Default for `Failed`: `Replication failed: Secret name <name> already exists in region <region>.` */
  statusMessage?: string
}

/** What the simulated rotation Lambda does once RotateSecret has started it. */
export type RotationOutcome = 'succeed' | 'fail' | 'strand'

/**
 * A simulated rotation Lambda attached to one secret. RotateSecret runs its `createSecret` step
 * at once: a new version whose id is the ClientRequestToken, holding `next(AWSCURRENT value)`
 * under `AWSPENDING`. The rest happens after `completeAfterDescribes` DescribeSecret or
 * GetSecretValue calls on the secret have been answered:
 * - `succeed`: `finishSecret` moves `AWSCURRENT` to the new version (the old one becomes
 *   `AWSPREVIOUS`), removes `AWSPENDING` and records `LastRotatedDate`;
 * - `fail`: the Lambda failed in `testSecret` and cleaned up after itself: `AWSPENDING` is removed
 *   again and the new version is left deprecated (no label); `AWSCURRENT` never moved;
 * - `strand`: the Lambda died without cleaning up: `AWSPENDING` stays on the new version for ever,
 *   which is what AWS itself shows after a failed rotation and what blocks later RotateSecret
 *   calls ("A previous rotation isn't complete").
 */
export interface RotationSimulation {
  next: (previous: string) => string
  outcome: RotationOutcome
  /** Default 2. With 0 the rotation finishes before RotateSecret answers. */
  completeAfterDescribes?: number
  /**
   * ARN of the simulated Lambda (default
   * `arn:aws:lambda:<region>:<account>:function:rotate-<secret name>`, sanitized).
   */
  lambdaArn?: string
}

/** Options of {@link SecretsManagerServer.seedSecret}. */
export interface SeedSecretOptions {
  /** The first version's value; it holds `AWSCURRENT`. */
  secretString: string
  /** Id of the first version (default: a random UUID). */
  versionId?: string
  tags?: Record<string, string>
  replicas?: ReplicaSeed[]
  rotation?: RotationSimulation
}

/** One version of a secret, as {@link SecretsManagerServer.getSecret} reports it. */
export interface SecretVersionView {
  versionId: string
  /** Staging labels, in the order they were attached. Empty: deprecated. */
  stages: string[]
  secretString: string | undefined
  /** Base64, as received. */
  secretBinary: string | undefined
  createdDate: Date
  lastAccessedDate: Date | undefined
}

/** A replica region, as {@link SecretsManagerServer.getSecret} reports it. */
export interface ReplicaView {
  region: string
  status: ReplicaStatus
  statusMessage: string | undefined
}

/** A secret as the server holds it (a copy). */
export interface SecretView {
  name: string
  arn: string
  /** Oldest first. Deprecated versions included. */
  versions: SecretVersionView[]
  tags: Record<string, string>
  rotationEnabled: boolean
  rotationLambdaArn: string | undefined
  lastRotatedDate: Date | undefined
  lastChangedDate: Date
  createdDate: Date
  replicas: ReplicaView[]
  /**
   * The version a simulated `succeed` or `fail` rotation is working on, until its Lambda finishes
   * (a stranded rotation's Lambda has stopped: undefined).
   */
  rotationInFlight: string | undefined
}

/** One request as the server saw it. */
export interface RecordedRequest {
  /** `x-amzn-RequestId` answered (also for dropped requests, though the client never sees it). */
  requestId: string
  /** e.g. `GetSecretValue`, or `AssumeRoleWithWebIdentity` for STS; `''` when unreadable. */
  operation: string
  /** `SecretId` (or `Name` for CreateSecret) as sent: a name or an ARN. */
  secretId?: string
  /**
   * The parsed JSON body (the STS form as an object). It holds secret values: tests only, never
   * print it.
   */
  body: unknown
  /** Region of the SigV4 credential scope, when there was one. */
  region?: string
  accessKeyId?: string
  /** `Date.now()` when the request arrived. */
  time: number
  /** 0 while in flight or when the answer was dropped. */
  status: number
  /** The `__type` answered, for errors. */
  errorType?: string
  /** Set when a fault destroyed the connection instead of answering. */
  dropped?: 'before' | 'after'
}

/**
 * One injected fault, matched against each request before it is processed. `delay` only adds
 * latency and lets later faults apply too; the others answer (or drop) instead of the normal
 * handling and stop the search.
 * - `throttle`: 400 `ThrottlingException` ("Rate exceeded"), which the SDK retries;
 * - `error`: `status` (default 500) with `errorType` (default `InternalServiceError`), which the
 *   SDK retries for 500, 502, 503 and 504;
 * - `drop`: the socket is destroyed before the request is processed (nothing happens);
 * - `drop-after-processing`: the request is processed (a write really happens) and then the socket
 *   is destroyed, so the answer is lost;
 * - `delay`: waits `delayMs` before the request is processed.
 */
export interface Fault {
  kind: 'throttle' | 'error' | 'drop' | 'drop-after-processing' | 'delay'
  /** e.g. `PutSecretValue`. Default: any operation (STS included). */
  operation?: string
  /** Matches the secret by name, whether the request names it by name or by ARN. */
  secretId?: string
  /** How many matching requests it applies to (default 1). */
  times?: number
  /** `error` only (default 500). */
  status?: number
  /** `error` only (default `InternalServiceError`). */
  errorType?: string
  /** `throttle` and `error` only. */
  message?: string
  /** `delay` only. */
  delayMs?: number
}

/** A fault once added: remove it, or see how often it applied. */
export interface FaultHandle {
  remove(): void
  readonly hits: number
}

/** Adds and removes faults on a running server. */
export interface FaultInjector {
  add(fault: Fault): FaultHandle
  clear(): void
}

/** A set of temporary credentials issued by the STS endpoint. */
export interface IssuedCredentials extends Required<AwsCredentials> {
  roleArn: string
  roleSessionName: string
  webIdentityToken: string
  expiration: Date
}

/** A running local Secrets Manager server. */
export interface SecretsManagerServer {
  /** e.g. `http://127.0.0.1:43123` (no trailing slash): the `endpoint` of an SDK client. */
  readonly url: string
  /** The STS endpoint for `AWS_ENDPOINT_URL_STS`, e.g. `http://127.0.0.1:43123/sts`. */
  readonly stsUrl: string
  readonly region: string
  readonly accountId: string
  /** The first accepted key: what a test hands to its client. */
  readonly credentials: AwsCredentials
  /** Every accepted key, STS-issued ones included. */
  readonly allCredentials: ReadonlyArray<AwsCredentials>
  /** Accepts one more key from now on. */
  addCredentials(credentials: AwsCredentials): void
  /** Stops accepting a key (as if it had been deleted or revoked). */
  removeCredentials(accessKeyId: string): void
  /** Credentials issued by `AssumeRoleWithWebIdentity`, oldest first. */
  readonly issuedCredentials: ReadonlyArray<IssuedCredentials>
  /**
   * Creates a secret as if it had existed before the test: one version holding `AWSCURRENT`,
   * replicas in the given states, and optionally a simulated rotation Lambda. Throws if the name
   * exists. Returns a copy.
   */
  seedSecret(name: string, options: SeedSecretOptions): SecretView
  /** A secret by name or ARN (a copy), or undefined. */
  getSecret(nameOrArn: string): SecretView | undefined
  /** The version holding a staging label, or undefined when no version holds it. */
  stageOf(nameOrArn: string, label: string): { versionId: string; secretString: string } | undefined
  /** Sets a replica's status directly (e.g. to repair a `Failed` one). Throws if unknown. */
  setReplicaStatus(
    nameOrArn: string,
    region: string,
    status: ReplicaStatus,
    statusMessage?: string
  ): void
  readonly faults: FaultInjector
  /** Every request, in arrival order. */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Stops listening and destroys every open socket, including keep-alive ones. */
  close(): Promise<void>
}
