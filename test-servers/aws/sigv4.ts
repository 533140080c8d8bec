/**
 * Verification of AWS Signature Version 4 (`Authorization: AWS4-HMAC-SHA256 ...` headers): the
 * signature is recomputed from the request and the configured secret key, the way AWS does, over
 * exactly the headers the client listed in `SignedHeaders`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { AwsError } from './errors.js'

/** The parts of an `Authorization` header. */
export interface ParsedAuthorization {
  accessKeyId: string
  /** `yyyymmdd` */
  date: string
  region: string
  service: string
  signedHeaders: string[]
  signature: string
}

const ALGORITHM = 'AWS4-HMAC-SHA256'

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS ' +
  'Secret Access Key and signing method. Consult the service documentation for details.'

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest()
}

function incomplete(detail: string): AwsError {
  return new AwsError('IncompleteSignatureException', detail)
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/secretsmanager/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=hex`. Undefined when there is no header at all.
 */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  if (header === undefined || header.trim() === '') return undefined
  const trimmed = header.trim()
  const fields = new Map<string, string>()
  if (trimmed.startsWith(`${ALGORITHM} `)) {
    for (const part of trimmed.slice(ALGORITHM.length).split(',')) {
      const [name, ...rest] = part.trim().split('=')
      if (name !== undefined && name !== '') fields.set(name, rest.join('='))
    }
  }
  const credential = fields.get('Credential')
  const signedHeaders = fields.get('SignedHeaders')
  const signature = fields.get('Signature')
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    const missing = ['Credential', 'Signature', 'SignedHeaders'].filter(name => !fields.has(name))
    throw incomplete(
      missing
        .map(name => `Authorization header requires '${name}' parameter.`)
        .join(' ')
        .concat(` Authorization=${trimmed}`)
    )
  }
  const scope = credential.split('/')
  const [accessKeyId, date, region, service, terminator] = scope
  if (
    scope.length !== 5 ||
    accessKeyId === undefined ||
    date === undefined ||
    region === undefined ||
    service === undefined ||
    terminator !== 'aws4_request'
  ) {
    throw incomplete(
      `Credential should be scoped to correct service: 'secretsmanager'. Credential=${credential}`
    )
  }
  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: signedHeaders.split(';'),
    signature
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(',') : value
}

/** RFC 3986 encoding as SigV4 wants it (`encodeURIComponent` leaves `!'()*` alone). */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    character => `%${character.charCodeAt(0).toString(16).toUpperCase()}`
  )
}

function canonicalQuery(search: URLSearchParams): string {
  return [...search.entries()]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, aValue], [b, bValue]) => (a === b ? (aValue < bValue ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&')
}

/** What {@link verifySignature} needs from the request. */
export interface SignedRequest {
  method: string
  /** Request target as received, query included. */
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
}

/**
 * Recomputes the signature with `secretAccessKey` and compares it with the one sent. Throws
 * `InvalidSignatureException` (AWS's wording) when they differ, when the payload hash header does
 * not match the body, or when the scope's date disagrees with `X-Amz-Date`.
 */
export function verifySignature(
  request: SignedRequest,
  auth: ParsedAuthorization,
  secretAccessKey: string
): void {
  const amzDate = headerValue(request.headers, 'x-amz-date')
  if (amzDate === undefined || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    throw incomplete(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    )
  }
  if (!amzDate.startsWith(auth.date)) {
    throw new AwsError(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`
    )
  }
  const payloadHash = sha256Hex(request.body)
  const claimedHash = headerValue(request.headers, 'x-amz-content-sha256')
  if (claimedHash !== undefined && claimedHash !== payloadHash) {
    throw new AwsError(
      'InvalidSignatureException',
      'The provided x-amz-content-sha256 header does not match what was computed.'
    )
  }
  const target = new URL(request.url, 'http://127.0.0.1')
  const sortedHeaders = [...auth.signedHeaders].sort()
  const canonicalHeaders = sortedHeaders
    .map(
      name => `${name}:${(headerValue(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`
    )
    .join('')
  const canonicalRequest = [
    request.method,
    target.pathname
      .split('/')
      .map(segment => uriEncode(decodeURIComponent(segment)))
      .join('/'),
    canonicalQuery(target.searchParams),
    canonicalHeaders,
    sortedHeaders.join(';'),
    payloadHash
  ].join('\n')
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n')
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${secretAccessKey}`, auth.date), auth.region), auth.service),
    'aws4_request'
  )
  const expected = Buffer.from(hmac(signingKey, stringToSign).toString('hex'), 'utf8')
  const provided = Buffer.from(auth.signature, 'utf8')
  if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
    throw new AwsError('InvalidSignatureException', SIGNATURE_MISMATCH)
  }
}
