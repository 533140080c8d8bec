import { describe, expect, it } from '@jest/globals'
import { describeRequest, parseRetryAfter } from '../../../src/providers/github/retry-after.js'

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-24T08:00:00Z')
  it.each([
    ['0', 0],
    ['7', 7],
    [' 12 ', 12],
    ['Tue, 24 Nov 2026 08:00:05 GMT', 5],
    ['Tue, 24 Nov 2026 07:59:00 GMT', 0]
  ])('reads %p as %d s', (header, seconds) => {
    expect(parseRetryAfter(header, now)).toBe(seconds)
  })
  it.each(['soon', '-1', '1.5'])('refuses %p', header => {
    expect(parseRetryAfter(header, now)).toBeUndefined()
  })
})

describe('describeRequest', () => {
  it('fills the route parameters in, encoded, without the host', () => {
    expect(
      describeRequest({
        method: 'PUT',
        url: 'http://127.0.0.1:1/repos/octo/app/environments/prod%20eu/secrets/{secret_name}',
        secret_name: 'API_TOKEN'
      })
    ).toBe('PUT /repos/octo/app/environments/prod%20eu/secrets/API_TOKEN')
  })
})
