/**
 * Public types of the local OAuth2 server. Kept apart from the implementation so that tests and
 * the sandbox can import them without pulling in oidc-provider.
 */

/** The JWS algorithms the `private_key_jwt` client has a key for. */
export type JwtAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'EdDSA'

/** The registered clients, one per client authentication method, with their credentials. */
export interface TestClients {
  basic: { clientId: string; clientSecret: string }
  post: { clientId: string; clientSecret: string }
  public: { clientId: string }
  privateKeyJwt: {
    clientId: string
    /** PKCS#8 PEM of the client's ES256 key. */
    privateKeyPem: string
    /** PKCS#8 PEM of one registered key per algorithm. */
    privateKeys: Record<JwtAlgorithm, string>
  }
  /** RFC 8705 `tls_client_auth`: authenticated by the fixture client certificate. */
  tlsClientAuth: { clientId: string; subjectDn: string }
}

/** The fixture certificates (PEM text) of `fixtures/`: see its README.md. */
export interface TlsFixtures {
  /** The test CA that issued the server and client certificates. */
  ca: string
  /** A CA that issued nothing here: trusting only it makes the server's certificate untrusted. */
  otherCa: string
  /** For 127.0.0.1, ::1 and localhost. */
  serverCertificate: string
  serverKey: string
  /** Subject `CN=mtls-client`, the `tls_client_auth` client's registered DN. */
  clientCertificate: string
  clientKey: string
}

/** Options of {@link startOAuth2Server}. */
export interface OAuth2ServerOptions {
  /**
   * Serve HTTPS with the fixture server certificate, asking every client for a certificate (mTLS).
   * Default false: plain HTTP on 127.0.0.1.
   */
  tls?: boolean
  /**
   * With `tls`: refuse the TLS handshake of a client without a certificate from the test CA. Default
   * false: a client without one connects, and only `tls_client_auth` needs it.
   */
  requireClientCertificate?: boolean
  /** Lifetime of access tokens in seconds (default 3600). */
  accessTokenTtlSeconds?: number
  /** Lifetime of refresh tokens in seconds (default 14 days). */
  refreshTokenTtlSeconds?: number
  /**
   * Issue a new refresh token on every refresh and revoke the grant when a used one is presented
   * again (default true; oidc-provider's own default rotates only public clients).
   */
  rotateRefreshToken?: boolean
  /** Added to every request before it is processed, in ms (default 0), like a distant server. */
  latencyMs?: number
}

/** The endpoints a fault can apply to. */
export type FaultEndpoint = 'token' | 'revocation'

/** What a fault does to a request it matches. */
export type FaultKind =
  /** Answers `status` at once: the provider never sees the request. */
  | { kind: 'answer'; status: number; body?: Record<string, unknown> }
  /** The provider processes the request, then the connection is closed without an answer. */
  | { kind: 'lose-response' }
  /** The provider processes the request, and the client gets `status` instead of its answer. */
  | { kind: 'fail-after-processing'; status: number }
  /** The provider processes the request; its answer is held for `delayMs` before it is sent. */
  | { kind: 'delay-response'; delayMs: number }
  /**
   * The provider processes the request; `refresh_token` is removed from a successful answer. With
   * `rotateRefreshToken: false` this is a server that does not rotate and says so by leaving the
   * field out (RFC 6749 section 6); with rotation on, the removed token was the only live one.
   */
  | { kind: 'strip-refresh-token' }
  /** The provider processes the request; `field` is removed from a successful answer. */
  | { kind: 'strip-field'; field: string }
  /**
   * The provider processes the request; `field` of a successful answer is set to `json`, raw JSON
   * text written as it is (`9223372036854775807`, a "never expires" some servers send, is not a
   * number JavaScript can hold exactly).
   */
  | { kind: 'set-field'; field: string; json: string }
  /**
   * A hostile or careless server: answers `status` (default 400) at once, quoting the request it
   * received, its form body and its `Authorization` header as sent, in the `error_description`
   * of an OAuth error `error` (default `invalid_request`), or, with `in: 'body'`, as a plain-text
   * body. The provider never sees the request.
   */
  | { kind: 'echo-request'; status?: number; error?: string; in?: 'description' | 'body' }

/** One fault on one endpoint. */
export type Fault = FaultKind & {
  endpoint: FaultEndpoint
  /** How many matching requests it applies to (default: all of them). */
  times?: number
}

/** A fault that was added; `hits` counts the requests it applied to. */
export interface FaultHandle {
  remove(): void
  readonly hits: number
}

/** The server's fault list: faults apply in the order they were added, the first match wins. */
export interface FaultInjector {
  add(fault: Fault): FaultHandle
  clear(): void
}

/** What {@link OAuth2Server.mintRefreshToken} creates. */
export interface MintOptions {
  /** Default: the `client_secret_basic` client. */
  clientId?: string
  /** Default: `offline_access api:read`. `offline_access` is what lets the grant refresh. */
  scope?: string
  /** The resource owner (default `alice`). */
  accountId?: string
}

/** A running local OAuth2 server: oidc-provider with rotating refresh tokens. */
export interface OAuth2Server {
  /** `http://127.0.0.1:<port>` (or https with `tls`). */
  readonly issuer: string
  readonly tokenUrl: string
  readonly revocationUrl: string
  /** A protected endpoint: 200 JSON for a live Bearer access token, 401 otherwise. */
  readonly resourceUrl: string
  readonly clients: TestClients
  readonly faults: FaultInjector
  /** Requests that arrived at the token endpoint, faulted ones included. */
  readonly tokenRequests: number
  /** Requests that arrived at the revocation endpoint, faulted ones included. */
  readonly revocationRequests: number
  /**
   * Creates a grant with `offline_access` consent and a refresh token for it, as if the resource
   * owner had just authorized the client. Returns the refresh token.
   */
  mintRefreshToken(options?: MintOptions): Promise<string>
  /** True while the refresh token would be accepted: known, unexpired and not used yet. */
  isRefreshTokenActive(refreshToken: string): Promise<boolean>
  /** True while the access token would be accepted at {@link resourceUrl}. */
  isAccessTokenActive(accessToken: string): Promise<boolean>
  /**
   * True while the grant that `refreshToken` started (as returned by {@link mintRefreshToken})
   * can still refresh: the grant exists and one of its refresh tokens is unused and unexpired,
   * whichever that is after rotations. False once the provider revoked the grant.
   */
  isGrantAlive(refreshToken: string): Promise<boolean>
  /** Closes the listening socket: new connections are refused until {@link acceptConnections}. */
  refuseConnections(): Promise<void>
  /** Listens again, on the same port. */
  acceptConnections(): Promise<void>
  close(): Promise<void>
}
