/**
 * A minimal STS endpoint: `AssumeRoleWithWebIdentity` over the AWS query protocol (form body, XML
 * answer), which is what the SDK's default credential chain calls when `AWS_ROLE_ARN` and
 * `AWS_WEB_IDENTITY_TOKEN_FILE` are set (the GitHub OIDC path). The call is not signed. It issues
 * temporary credentials (`ASIA...` key, secret, session token) that the Secrets Manager endpoint of
 * the same server then accepts until they expire.
 */
import { randomBytes } from 'node:crypto'
import type { IssuedCredentials, WebIdentityOptions } from './types.js'

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/'

/** An STS answer: XML text. */
export interface StsResponse {
  status: number
  body: string
  /** For errors. */
  errorCode?: string
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/** STS's query-protocol error document. */
export function stsError(
  status: number,
  code: string,
  message: string,
  requestId: string
): StsResponse {
  const type = status >= 500 ? 'Receiver' : 'Sender'
  return {
    status,
    errorCode: code,
    body:
      `<ErrorResponse xmlns="${STS_NAMESPACE}">\n` +
      `  <Error>\n    <Type>${type}</Type>\n    <Code>${escapeXml(code)}</Code>\n` +
      `    <Message>${escapeXml(message)}</Message>\n  </Error>\n` +
      `  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`
  }
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function randomKeyId(): string {
  return `ASIA${[...randomBytes(16)].map(byte => UPPER_ALNUM[byte % 32] ?? 'A').join('')}`
}

/** What an STS request asked; `undefined` members were absent. */
interface AssumeRequest {
  roleArn: string | undefined
  roleSessionName: string | undefined
  webIdentityToken: string | undefined
  durationSeconds: string | undefined
}

/** The JWT's `sub`, when the token is a readable JWT. */
function subjectOf(token: string): string | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown
    if (typeof claims === 'object' && claims !== null && 'sub' in claims) {
      const sub = claims.sub
      return typeof sub === 'string' ? sub : undefined
    }
  } catch {
    return undefined
  }
  return undefined
}

/**
 * Handles one STS request (form fields already parsed). `issue` receives credentials to accept from
 * now on.
 */
export function handleSts(
  form: URLSearchParams,
  options: WebIdentityOptions,
  requestId: string,
  issue: (credentials: IssuedCredentials) => void
): StsResponse {
  const action = form.get('Action')
  if (action !== 'AssumeRoleWithWebIdentity') {
    return stsError(
      400,
      'InvalidAction',
      `Could not find operation ${action ?? ''} for version ${form.get('Version') ?? ''}`,
      requestId
    )
  }
  const request: AssumeRequest = {
    roleArn: form.get('RoleArn') ?? undefined,
    roleSessionName: form.get('RoleSessionName') ?? undefined,
    webIdentityToken: form.get('WebIdentityToken') ?? undefined,
    durationSeconds: form.get('DurationSeconds') ?? undefined
  }
  const missing = (['RoleArn', 'RoleSessionName', 'WebIdentityToken'] as const).filter(
    name => form.get(name) === null
  )
  if (missing.length > 0) {
    const details = missing
      .map(
        name =>
          `Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`
      )
      .join('; ')
    return stsError(
      400,
      'ValidationError',
      `${missing.length} validation error${missing.length === 1 ? '' : 's'} detected: ${details}`,
      requestId
    )
  }
  const roleArn = request.roleArn ?? ''
  const sessionName = request.roleSessionName ?? ''
  const token = request.webIdentityToken ?? ''
  const roleMatch = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(roleArn)
  if (roleMatch === null) {
    return stsError(400, 'ValidationError', `${roleArn} is invalid`, requestId)
  }
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    return stsError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      requestId
    )
  }
  const duration =
    request.durationSeconds === undefined
      ? (options.durationSeconds ?? 3600)
      : Number(request.durationSeconds)
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    return stsError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${String(request.durationSeconds)}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
      requestId
    )
  }
  const tokenAccepted =
    token !== '' && (options.tokens === undefined || options.tokens.includes(token))
  const roleAccepted = options.roleArns === undefined || options.roleArns.includes(roleArn)
  if (!tokenAccepted || !roleAccepted) {
    return stsError(
      403,
      'AccessDenied',
      'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      requestId
    )
  }
  const expiration = new Date(Math.floor(Date.now() / 1000) * 1000 + duration * 1000)
  const issued: IssuedCredentials = {
    accessKeyId: randomKeyId(),
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(96).toString('base64')}`,
    roleArn,
    roleSessionName: sessionName,
    webIdentityToken: token,
    expiration
  }
  issue(issued)
  const accountId = roleMatch[1] ?? '123456789012'
  const roleName = roleMatch[2] ?? 'role'
  const roleId = `AROA${randomKeyId().slice(4)}`
  const subject = subjectOf(token) ?? 'web-identity'
  return {
    status: 200,
    body:
      `<AssumeRoleWithWebIdentityResponse xmlns="${STS_NAMESPACE}">\n` +
      `  <AssumeRoleWithWebIdentityResult>\n` +
      `    <Audience>sts.amazonaws.com</Audience>\n` +
      `    <AssumedRoleUser>\n` +
      `      <AssumedRoleId>${roleId}:${escapeXml(sessionName)}</AssumedRoleId>\n` +
      `      <Arn>arn:aws:sts::${accountId}:assumed-role/${escapeXml(roleName)}/${escapeXml(sessionName)}</Arn>\n` +
      `    </AssumedRoleUser>\n` +
      `    <Provider>token.actions.githubusercontent.com</Provider>\n` +
      `    <Credentials>\n` +
      `      <AccessKeyId>${issued.accessKeyId}</AccessKeyId>\n` +
      `      <SecretAccessKey>${escapeXml(issued.secretAccessKey)}</SecretAccessKey>\n` +
      `      <SessionToken>${escapeXml(issued.sessionToken)}</SessionToken>\n` +
      `      <Expiration>${expiration.toISOString().replace(/\.\d{3}Z$/, 'Z')}</Expiration>\n` +
      `    </Credentials>\n` +
      `    <SubjectFromWebIdentityToken>${escapeXml(subject)}</SubjectFromWebIdentityToken>\n` +
      `  </AssumeRoleWithWebIdentityResult>\n` +
      `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
      `</AssumeRoleWithWebIdentityResponse>\n`
  }
}
