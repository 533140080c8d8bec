import { expect } from '@jest/globals'
import {
  type OAuth2IssuerConfig,
  type OAuth2Inputs,
  parseOAuth2Config
} from '../../../src/providers/oauth2/config.js'
import type { Issuer } from '../../../src/engine/ports.js'
import { ActionError, type ErrorCode } from '../../../src/errors.js'
import { createOAuth2Issuer } from '../../../src/providers/oauth2/issuer.js'
import type { OAuth2Server } from '../../../test-servers/oauth2/index.js'
import { MemoryLogger } from '../../support/memory-logger.js'

/** The OAuth2 inputs as the runner passes them: every one set, '' when not given. */
export function inputsFor(
  server: OAuth2Server,
  overrides: Partial<OAuth2Inputs> = {}
): OAuth2Inputs {
  return {
    'token-url': server.tokenUrl,
    'client-id': server.clients.basic.clientId,
    'client-secret': server.clients.basic.clientSecret,
    'client-auth': 'client_secret_basic',
    'client-private-key': '',
    scope: '',
    'revocation-url': server.revocationUrl,
    'client-certificate': '',
    'client-key': '',
    'ca-certificate': '',
    ...overrides
  }
}

/** Parses inputs that must be valid. */
export function configFrom(inputs: OAuth2Inputs): OAuth2IssuerConfig {
  const { config, problems } = parseOAuth2Config(inputs)
  expect(problems).toEqual([])
  if (config === undefined) throw new Error('no configuration')
  return config
}

/** An issuer with recording deps: what it masked, logged and waited for. */
export interface Harness {
  issuer: Issuer
  masks: string[]
  log: MemoryLogger
  sleeps: number[]
}

export interface HarnessOptions {
  /** Runs instead of waiting; `n` counts the waits from 1. */
  onSleep?: (n: number) => Promise<void>
  config?: Partial<OAuth2IssuerConfig>
}

/** The issuer under test, configured from inputs as the action would. */
export function harness(inputs: OAuth2Inputs, options: HarnessOptions = {}): Harness {
  const masks: string[] = []
  const sleeps: number[] = []
  const log = new MemoryLogger()
  const issuer = createOAuth2Issuer(
    { ...configFrom(inputs), ...options.config },
    {
      mask: secret => masks.push(secret),
      log,
      sleep: async ms => {
        sleeps.push(ms)
        await options.onSleep?.(sleeps.length)
      },
      clock: { now: () => new Date('2026-01-01T00:00:00Z') }
    }
  )
  return { issuer, masks, log, sleeps }
}

/** The ActionError `promise` rejects with, checked to carry `code`. */
export async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<ActionError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason
  )
  expect(error).toBeInstanceOf(ActionError)
  expect((error as ActionError).code).toBe(code)
  return error as ActionError
}

/** The status the protected resource answers for a Bearer token. */
export async function resourceStatus(server: OAuth2Server, accessToken: string): Promise<number> {
  const response = await fetch(server.resourceUrl, {
    headers: { authorization: `Bearer ${accessToken}` }
  })
  await response.body?.cancel()
  return response.status
}
