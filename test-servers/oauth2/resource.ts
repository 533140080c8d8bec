/**
 * The protected resource: what the action's health check probes. It accepts exactly the access
 * tokens the provider would: known, unexpired and not revoked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type Provider from 'oidc-provider'
import { sendJson } from './faults.js'

export const RESOURCE_PATH = '/api/me'

function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1]
}

/** Answers 200 with the token's subject, client and scope, or 401 as RFC 6750 words it. */
export async function handleResource(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse
): Promise<void> {
  const value = bearerToken(req.headers.authorization)
  const token = value === undefined ? undefined : await provider.AccessToken.find(value)
  if (token === undefined) {
    res.setHeader(
      'www-authenticate',
      value === undefined ? 'Bearer' : 'Bearer error="invalid_token"'
    )
    sendJson(res, 401, {
      error: 'invalid_token',
      error_description: 'the access token is missing, expired or revoked'
    })
    return
  }
  sendJson(res, 200, { sub: token.accountId, client_id: token.clientId, scope: token.scope })
}
