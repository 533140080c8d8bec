import { isLoopbackHost } from '../../config/loopback.js'
import type { TlsSettings } from '../../http/transport.js'
import type { KeyObject } from 'node:crypto'
import {
  checkCertificates,
  checkPrivateKey,
  keyMismatch,
  PAIR_PROBLEMS,
  type Checked
} from '../../http/tls-inputs.js'
import * as z from 'zod'
import type { InputProblem } from '../../errors.js'
import type { InputName, RawInputs } from '../../config/inputs.js'
import { orList } from '../../wording.js'

/** How the client authenticates at the token and revocation endpoints. */
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'none',
  'private_key_jwt',
  'tls_client_auth'
] as const

export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number]

/** The JWS algorithm of a `private_key_jwt` client assertion, chosen by the key's type. */
export type ClientAssertionAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'EdDSA'

/** The client's credentials, as its authentication method needs them. */
export type ClientAuthentication =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientSecret: string }
  | { method: 'none' }
  | { method: 'tls_client_auth' }
  | { method: 'private_key_jwt'; privateKeyPem: string; algorithm: ClientAssertionAlgorithm }

/** TLS settings of every request to the OAuth2 server; TLS 1.2 is the minimum. */
export type OAuth2TlsConfig = TlsSettings

/** The OAuth2 issuer as the inputs configure it; holds secrets, never log it. */
export interface OAuth2IssuerConfig {
  tokenUrl: string
  /** RFC 7009 revocation endpoint; without it the issuer cannot revoke. */
  revocationUrl?: string
  clientId: string
  clientAuth: ClientAuthentication
  /** Space-separated scopes to ask for; absent: the scopes of the original grant. */
  scope?: string
  tls: OAuth2TlsConfig
  /** Deadline of one HTTP request, connection included. */
  timeoutMs: number
}

/** The inputs {@link parseOAuth2Config} reads; the whole {@link RawInputs} fits. */
export type OAuth2Inputs = Pick<
  RawInputs,
  | 'token-url'
  | 'client-id'
  | 'client-secret'
  | 'client-auth'
  | 'client-private-key'
  | 'scope'
  | 'revocation-url'
  | 'client-certificate'
  | 'client-key'
  | 'ca-certificate'
>

/** What {@link parseOAuth2Config} found. */
export interface OAuth2ConfigParse {
  /** Absent when a problem was found. */
  config?: OAuth2IssuerConfig
  problems: InputProblem[]
}

/** A request that takes longer than this is abandoned (and, for a refresh, never replayed). */
export const OAUTH2_TIMEOUT_MS = 30_000

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

type Ctx = z.RefinementCtx

function problem(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: 'custom', message })
  return z.NEVER
}

const endpoint = (required: boolean) => (raw: string, ctx: Ctx) => {
  if (raw === '') {
    return required
      ? problem(
          ctx,
          'is required with issuer: oauth2: the token endpoint of the OAuth2 server (https)'
        )
      : undefined
  }
  const url = URL.parse(raw)
  // Not quoted: a URL that does not parse may still hold a password in its user part.
  if (url === null) return problem(ctx, 'is not a URL')
  if (url.username !== '' || url.password !== '') {
    return problem(
      ctx,
      'must not hold credentials; pass them as client-id and client-secret (from a secret)'
    )
  }
  const shown = `${url.origin}${url.pathname}`
  if (url.hash !== '') return problem(ctx, `'${shown}' must not have a #fragment`)
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return problem(
      ctx,
      `'${shown}' is not https: the refresh token and the client's credentials would travel in clear text (plain http is accepted only for loopback test servers: 127.0.0.1, ::1, localhost)`
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return problem(ctx, `'${shown}' is not an https URL`)
  }
  return url.href
}

/** A zod transform from a shared check: its value, or its problem as the input's issue. */
const checked =
  <T>(check: (raw: string) => Checked<T>) =>
  (raw: string, ctx: Ctx): T | undefined => {
    if (raw === '') return undefined
    const result = check(raw)
    return 'problem' in result ? problem(ctx, result.problem) : result.value
  }

const certificates = checked(checkCertificates)

/** A private key input, parsed without ever echoing it. */
const privateKey = checked(checkPrivateKey)

/** One schema per input: each turns the raw text into its typed value, or says what is wrong. */
const fields = {
  'token-url': z.string().transform(endpoint(true)),
  'revocation-url': z.string().transform(endpoint(false)),
  'client-id': z.string().transform((raw, ctx) => {
    if (raw === '') {
      return problem(
        ctx,
        'is required with issuer: oauth2: the client identifier registered with the OAuth2 server'
      )
    }
    return raw
  }),
  'client-secret': z.string(),
  'client-auth': z.string().transform((raw, ctx) => {
    const method = CLIENT_AUTH_METHODS.find(candidate => candidate === raw)
    return (
      method ??
      problem(ctx, `'${raw}' is not a client authentication method; use ${listOfMethods()}`)
    )
  }),
  'client-private-key': z.string().transform(privateKey),
  scope: z.string().transform((raw, ctx) => {
    const scopes = raw.split(/\s+/).filter(scope => scope !== '')
    if (scopes.length === 0) return undefined
    const bad = scopes.find(scope => !SCOPE_TOKEN.test(scope))
    if (bad !== undefined) {
      return problem(
        ctx,
        `'${bad}' is not a scope: scopes are separated by spaces and hold no quotes or backslashes`
      )
    }
    return scopes.join(' ')
  }),
  'client-certificate': z.string().transform(certificates),
  'client-key': z.string().transform(privateKey),
  'ca-certificate': z.string().transform(certificates)
}

type ParsedInputs = z.output<z.ZodObject<typeof fields>>

function listOfMethods(): string {
  return orList(CLIENT_AUTH_METHODS)
}

/** The JWS algorithm for a client assertion key, or why the key cannot sign one. */
function assertionAlgorithm(
  key: KeyObject
): { algorithm: ClientAssertionAlgorithm } | { problem: string } {
  const details = key.asymmetricKeyDetails
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return (details?.modulusLength ?? 0) >= 2048
        ? { algorithm: 'RS256' }
        : {
            problem: 'is an RSA key shorter than 2048 bits, which servers refuse; use a longer key'
          }
    case 'ec':
      if (details?.namedCurve === 'prime256v1') return { algorithm: 'ES256' }
      if (details?.namedCurve === 'secp384r1') return { algorithm: 'ES384' }
      break
    case 'ed25519':
      return { algorithm: 'EdDSA' }
  }
  return {
    problem:
      'cannot sign a client assertion here; use an RSA (2048 bits or more), EC P-256, EC P-384 or Ed25519 key'
  }
}

/**
 * Rules between inputs: the credentials each authentication method needs, and nothing it would
 * silently ignore (a secret set for the wrong method usually means client-auth is wrong).
 */
function clientAuthentication(
  inputs: Partial<ParsedInputs>,
  secret: string,
  add: (input: InputName, message: string) => void
): ClientAuthentication | undefined {
  const method = inputs['client-auth']
  if (method === undefined) return undefined
  const privateKey = inputs['client-private-key']
  const usesSecret = method === 'client_secret_basic' || method === 'client_secret_post'
  if (!usesSecret && secret !== '') {
    add(
      'client-secret',
      `is set but client-auth is ${method}, which does not use it; remove it, or set client-auth to client_secret_basic or client_secret_post`
    )
  }
  if (method !== 'private_key_jwt' && privateKey !== undefined) {
    add(
      'client-private-key',
      `is set but client-auth is ${method}; set client-auth to private_key_jwt, or remove it`
    )
  }
  switch (method) {
    case 'client_secret_basic':
    case 'client_secret_post':
      if (secret === '') {
        add(
          'client-secret',
          `is required with client-auth ${method}; pass the client secret from a secret, or set client-auth to the method the client is registered with`
        )
        return undefined
      }
      return { method, clientSecret: secret }
    case 'private_key_jwt': {
      if (privateKey === undefined) {
        add(
          'client-private-key',
          'is required with client-auth private_key_jwt: the PEM private key whose public key the client registered'
        )
        return undefined
      }
      const choice = assertionAlgorithm(privateKey.key)
      if ('problem' in choice) {
        add('client-private-key', choice.problem)
        return undefined
      }
      return { method, privateKeyPem: privateKey.pem, algorithm: choice.algorithm }
    }
    case 'none':
    case 'tls_client_auth':
      return { method }
  }
}

function tlsSettings(
  inputs: Partial<ParsedInputs>,
  raw: OAuth2Inputs,
  add: (input: InputName, message: string) => void
): OAuth2TlsConfig {
  const tls: OAuth2TlsConfig = {}
  if (inputs['ca-certificate'] !== undefined) tls.caCertificate = inputs['ca-certificate']
  const certificateGiven = raw['client-certificate'] !== ''
  const keyGiven = raw['client-key'] !== ''
  if (certificateGiven && !keyGiven) {
    add('client-key', PAIR_PROBLEMS['client-key'])
  }
  if (keyGiven && !certificateGiven) {
    add('client-certificate', PAIR_PROBLEMS['client-certificate'])
  }
  const certificate = inputs['client-certificate']
  const key = inputs['client-key']
  if (certificate !== undefined && key !== undefined) {
    const mismatch = keyMismatch(certificate, key.key)
    if (mismatch) add('client-key', mismatch)
    tls.clientCertificate = { certificatePem: certificate, keyPem: key.pem }
  }
  if (inputs['client-auth'] === 'tls_client_auth') {
    if (!certificateGiven && !keyGiven) {
      add(
        'client-certificate',
        'is required with client-auth tls_client_auth (RFC 8705): the certificate the server knows the client by, with client-key'
      )
    }
    if (inputs['token-url']?.startsWith('http:') === true) {
      add(
        'client-auth',
        'tls_client_auth needs an https token-url: the client certificate is presented in the TLS handshake'
      )
    }
  }
  return tls
}

/**
 * Validates the OAuth2 inputs at once, without any network call, and returns the typed
 * configuration. Every problem names its input and says what would be valid.
 */
export function parseOAuth2Config(raw: OAuth2Inputs): OAuth2ConfigParse {
  const problems: InputProblem[] = []
  const add = (input: InputName, message: string): void => {
    problems.push({ input, message })
  }
  const inputs: Partial<ParsedInputs> = {}
  for (const name of Object.keys(fields) as (keyof typeof fields)[]) {
    const result = fields[name].safeParse(raw[name])
    if (result.success) Object.assign(inputs, { [name]: result.data })
    else for (const issue of result.error.issues) add(name, issue.message)
  }
  const clientAuth = clientAuthentication(inputs, raw['client-secret'], add)
  const tls = tlsSettings(inputs, raw, add)
  const tokenUrl = inputs['token-url']
  const clientId = inputs['client-id']
  if (
    problems.length > 0 ||
    clientAuth === undefined ||
    tokenUrl === undefined ||
    clientId === undefined
  ) {
    return { problems }
  }
  const config: OAuth2IssuerConfig = {
    tokenUrl,
    clientId,
    clientAuth,
    tls,
    timeoutMs: OAUTH2_TIMEOUT_MS
  }
  if (inputs['revocation-url'] !== undefined) config.revocationUrl = inputs['revocation-url']
  if (inputs.scope !== undefined) config.scope = inputs.scope
  return { config, problems }
}
