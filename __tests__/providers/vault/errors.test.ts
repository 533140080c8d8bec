// The code and the message of each kind of failure Vault answers, as the run reports it: a script
// tells a login refused from a short policy, a missing path, a lost check-and-set and a Vault that
// cannot answer now, and every message says what to do.
import { describe, expect, it } from '@jest/globals'
import { vaultError, type VaultDoing } from '../../../src/providers/vault/errors.js'
import {
  VaultResponseError,
  VaultTransportError,
  type VaultRequest
} from '../../../src/providers/vault/http.js'

const request: VaultRequest = { method: 'POST', path: 'secret/data/ci/api' }
const doing: VaultDoing = {
  phase: 'persist',
  doing: 'writing the new credential to secret/ci/api',
  path: 'secret/data/ci/api',
  capability: 'update',
  idempotent: true
}

function answered(status: number, errors: string[]) {
  return vaultError(new VaultResponseError(request, status, errors, { errors }), doing)
}

describe('the codes of Vault failures', () => {
  it.each([
    [
      403,
      ['1 error occurred:\n\t* permission denied\n\n'],
      'vault-forbidden',
      /lacks `update` on secret\/data\/ci\/api; see docs\/providers\/vault.md#policies/
    ],
    [403, ['permission denied', 'invalid token'], 'vault-auth', /expired or been revoked/],
    [
      404,
      [],
      'vault-not-found',
      /found nothing at secret\/data\/ci\/api .*check the mount and the path/
    ],
    [
      400,
      ['check-and-set parameter did not match the current version'],
      'vault-conflict',
      /another writer wrote secret\/data\/ci\/api .*concurrency group/
    ],
    [400, ['invalid request'], 'vault-rejected', /\(Vault: invalid request\)/],
    [503, ['Vault is sealed'], 'vault-unavailable', /Vault is sealed; unseal it and run again/],
    [429, [], 'vault-unavailable', /could not serve/]
  ])('%i %j is %s', (status, errors, code, message) => {
    const error = answered(status, errors)
    expect(error.code).toBe(code)
    expect(error.message).toMatch(message)
    expect(error.phase).toBe('persist')
  })

  it('reports no answer as vault-unavailable, retryable when the request may be sent again', () => {
    const lost = vaultError(
      new VaultTransportError('the connection was reset', true, undefined),
      doing
    )
    expect([lost.code, lost.retryable]).toEqual(['vault-unavailable', true])
    const once = vaultError(new VaultTransportError('the connection was reset', true, undefined), {
      ...doing,
      idempotent: false
    })
    expect([once.code, once.retryable]).toEqual(['vault-unavailable', false])
  })
})
