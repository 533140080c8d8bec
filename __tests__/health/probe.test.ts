import { describe, expect, it } from '@jest/globals'
import { describeProbeFailure } from '../../src/health/probe.js'

const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause })
const withCode = (code: string, message = `${code} https://api.example.com/?key=secret-31c`) =>
  Object.assign(new Error(message), { code })

describe('describeProbeFailure', () => {
  it.each([
    [fetchFailed(withCode('ENOTFOUND')), 'host not found'],
    [fetchFailed(withCode('UND_ERR_CONNECT_TIMEOUT')), 'connection timed out'],
    [fetchFailed(withCode('UND_ERR_HEADERS_TIMEOUT')), 'timed out waiting for the answer'],
    [
      fetchFailed(withCode('UNABLE_TO_VERIFY_LEAF_SIGNATURE')),
      'TLS certificate not accepted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)'
    ],
    [fetchFailed(new AggregateError([withCode('ECONNREFUSED')])), 'connection refused'],
    [fetchFailed(withCode('EHOSTUNREACH')), 'network error (EHOSTUNREACH)'],
    [fetchFailed(withCode('not a code: secret-31c')), 'network error'],
    [new TypeError('Headers.append: "secret-31c" is an invalid header value.'), 'network error'],
    [
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      'timed out after 10 s'
    ],
    ['a string', 'network error']
  ])('names %p by its code only', (error, detail) => {
    expect(describeProbeFailure(error, 10_000)).toBe(detail)
  })
})
