// The JUnit report a GitLab job shows in its Tests tab: one test case per credential, passed,
// failed with its reason, or skipped when not due; every text redacted, then escaped.
import { describe, expect, it } from '@jest/globals'
import { XMLParser } from 'fast-xml-parser'
import { renderJUnit, type JUnitInput } from '../../src/report/junit.js'

const SECRET = 'tok<&>"secret'

function input(overrides: Partial<JUnitInput> = {}): JUnitInput {
  return {
    results: [
      { credential: 'api', status: 'rotated', version: 'ab12', published: 2, failed: 0 },
      {
        credential: 'web',
        status: 'failed',
        published: 0,
        failed: 1,
        error: `The issuer refused the refresh token ${SECRET} <invalid_grant>.\nSecond line`
      },
      {
        credential: 'ops',
        status: 'skipped',
        reason: 'not-due',
        next_due: '2030-01-02T00:00:00.000Z'
      }
    ],
    runName: 'GitLab job 456 of pipeline 123 in acme/app',
    runUrl: 'https://gitlab.example.com/acme/app/-/jobs/456',
    startedAt: new Date('2030-01-01T00:00:00.000Z'),
    durationMs: 1500,
    redact: text => text.split(SECRET).join('***'),
    ...overrides
  }
}

interface Case {
  '@_classname': string
  '@_name': string
  failure?: { '#text': string; '@_message': string; '@_type': string }
  skipped?: { '#text': string; '@_message': string }
  'system-out'?: string
}

function parse(xml: string) {
  const parser = new XMLParser({ ignoreAttributes: false, isArray: name => name === 'testcase' })
  return parser.parse(xml) as {
    testsuites: {
      '@_tests': string
      '@_failures': string
      '@_skipped': string
      testsuite: {
        testcase: Case[]
        properties: { property: Array<{ '@_name': string; '@_value': string }> }
      }
    }
  }
}

describe('renderJUnit', () => {
  it('writes one test case per credential: passed, failed with the reason, skipped when not due', () => {
    const xml = renderJUnit(input())
    const { testsuites } = parse(xml)

    expect([testsuites['@_tests'], testsuites['@_failures'], testsuites['@_skipped']]).toEqual([
      '3',
      '1',
      '1'
    ])
    const [api, web, ops] = testsuites.testsuite.testcase
    expect(api).toEqual({
      '@_classname': 'token-rotation',
      '@_name': 'api',
      'system-out': 'rotated, version ab12, 2 target(s) written'
    })
    expect(web?.failure).toEqual({
      '@_message': 'The issuer refused the refresh token *** <invalid_grant>.',
      '@_type': 'failed',
      '#text': 'The issuer refused the refresh token *** <invalid_grant>.\nSecond line'
    })
    expect(ops?.skipped).toEqual({
      '@_message': 'not due',
      '#text': 'not due; next due 2030-01-02T00:00:00.000Z'
    })
    expect(testsuites.testsuite.properties.property).toEqual([
      { '@_name': 'run', '@_value': 'GitLab job 456 of pipeline 123 in acme/app' },
      { '@_name': 'run_url', '@_value': 'https://gitlab.example.com/acme/app/-/jobs/456' }
    ])
    expect(xml).not.toContain('secret')
  })

  it('fails one case with the errors when the run stopped before any credential', () => {
    const xml = renderJUnit(
      input({ results: [], stopped: ['rotation.yml:3: credentials.api.issuer: is not a key here'] })
    )
    const { testsuites } = parse(xml)
    expect(testsuites['@_failures']).toBe('1')
    expect(testsuites.testsuite.testcase[0]?.failure?.['#text']).toBe(
      'The run stopped before any credential ran: rotation.yml:3: credentials.api.issuer: is not a key here'
    )
  })

  it('drops the characters XML 1.0 cannot hold', () => {
    const xml = renderJUnit(
      input({ results: [{ credential: 'a', status: 'failed', error: 'bell\u0007 and tab\t' }] })
    )
    expect(parse(xml).testsuites.testsuite.testcase[0]?.failure?.['#text']).toBe('bell and tab')
  })
})
