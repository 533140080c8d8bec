import { describe, expect, it } from '@jest/globals'
import {
  isExpectedStatus,
  parseHealthCheckConfig,
  type HealthCheckParse
} from '../../src/config/health-config.js'
import { readInputs, type InputName } from '../../src/config/inputs.js'

function parse(inputs: Partial<Record<InputName, string>>): HealthCheckParse {
  return parseHealthCheckConfig(readInputs(name => inputs[name] ?? ''))
}

function problems(inputs: Partial<Record<InputName, string>>): Array<[string, string]> {
  const result = parse(inputs)
  expect(result.config).toBeUndefined()
  return result.problems.map(p => [p.input, p.message])
}

const URL_INPUT = { 'health-check-url': 'https://api.example.com/user' }

describe('parseHealthCheckConfig', () => {
  it('configures no health check when the URL is empty', () => {
    expect(parse({})).toEqual({ problems: [], warnings: [] })
  })

  it('names health-check inputs that would be ignored without a URL', () => {
    expect(problems({ 'health-check-method': 'POST', 'health-check-expect': '200' })).toEqual([
      ['health-check-method', expect.stringContaining('applies only with health-check-url')],
      ['health-check-expect', expect.stringContaining('applies only with health-check-url')]
    ])
  })

  it('applies the defaults: GET, a bearer header, 2xx, two minutes', () => {
    expect(parse(URL_INPUT)).toEqual({
      config: {
        url: 'https://api.example.com/user',
        method: 'GET',
        headers: [{ name: 'Authorization', value: 'Bearer <token>' }],
        expect: [{ from: 200, to: 299 }],
        timeoutMs: 120_000
      },
      problems: [],
      warnings: []
    })
  })

  it('reads several header lines, a lower-case method and a timeout', () => {
    const { config } = parse({
      ...URL_INPUT,
      'health-check-method': 'post',
      'health-check-header': 'X-Api-Key: <token>\r\n\nAccept: application/json\n',
      'health-check-timeout': '30s'
    })
    expect(config).toMatchObject({
      method: 'POST',
      headers: [
        { name: 'X-Api-Key', value: '<token>' },
        { name: 'Accept', value: 'application/json' }
      ],
      timeoutMs: 30_000
    })
  })

  it.each([
    ['200', [{ from: 200, to: 200 }]],
    ['2xx', [{ from: 200, to: 299 }]],
    [
      '2XX, 304',
      [
        { from: 200, to: 299 },
        { from: 304, to: 304 }
      ]
    ],
    [
      '200-204,401',
      [
        { from: 200, to: 204 },
        { from: 401, to: 401 }
      ]
    ],
    [
      '200 - 204\n3xx',
      [
        { from: 200, to: 204 },
        { from: 300, to: 399 }
      ]
    ]
  ])('reads health-check-expect %p', (text, ranges) => {
    expect(parse({ ...URL_INPUT, 'health-check-expect': text }).config?.expect).toEqual(ranges)
  })

  it.each([
    ['ok', 'is not a status'],
    ['20', 'is not a status'],
    ['2x', 'is not a status'],
    ['204-200', 'is an empty range'],
    ['1xx', 'is outside 200-599'],
    ['600', 'is outside 200-599'],
    [',', 'lists no status']
  ])('refuses health-check-expect %p', (text, why) => {
    expect(problems({ ...URL_INPUT, 'health-check-expect': text })).toEqual([
      ['health-check-expect', expect.stringContaining(why)]
    ])
  })

  it('matches statuses against the expected ranges', () => {
    const ranges = [
      { from: 200, to: 204 },
      { from: 401, to: 401 }
    ]
    expect([199, 200, 204, 205, 401, 403].map(s => isExpectedStatus(s, ranges))).toEqual([
      false,
      true,
      true,
      false,
      true,
      false
    ])
  })

  it('refuses plain http off loopback, saying why', () => {
    expect(problems({ 'health-check-url': 'http://api.example.com/user' })).toEqual([
      ['health-check-url', expect.stringContaining('the credential would travel in the clear')]
    ])
  })

  it.each(['http://127.0.0.1:8080/health', 'http://localhost/x', 'http://[::1]:9/'])(
    'accepts plain http on loopback: %s',
    url => {
      expect(parse({ 'health-check-url': url }).problems).toEqual([])
    }
  )

  it.each([
    ['not a url', 'is not a URL'],
    ['ftp://example.com/', 'is not a protocol for a health check'],
    ['https://user:pw@example.com/', 'holds a user name or password'],
    ['https://<token>.example.com/', 'in the path or the query only']
  ])('refuses the URL %p', (url, why) => {
    expect(problems({ 'health-check-url': url })).toEqual([
      ['health-check-url', expect.stringContaining(why)]
    ])
  })

  it('accepts <token> in the URL with a warning, and then needs it in no header', () => {
    const result = parse({
      'health-check-url': 'https://api.example.com/bot<token>/getMe?key=<token>',
      'health-check-header': 'Accept: application/json'
    })
    expect(result.problems).toEqual([])
    expect(result.config?.url).toBe('https://api.example.com/bot<token>/getMe?key=<token>')
    expect(result.warnings).toEqual([
      { input: 'health-check-url', message: expect.stringContaining('may log it') }
    ])
  })

  it('needs <token> in a header or the URL', () => {
    expect(problems({ ...URL_INPUT, 'health-check-header': 'Accept: application/json' })).toEqual([
      ['health-check-header', expect.stringContaining('no header holds <token>')]
    ])
  })

  it('names the bad header line without quoting it', () => {
    const secretish = 'hard-coded-key-5e1d'
    const found = problems({
      ...URL_INPUT,
      'health-check-header': `Authorization: Bearer <token>\nX Key: ${secretish}\nno colon ${secretish}`
    })
    expect(found).toEqual([
      ['health-check-header', expect.stringMatching(/^line 2 has an invalid header name/)],
      ['health-check-header', expect.stringMatching(/^line 3 is not a header/)]
    ])
    expect(JSON.stringify(found)).not.toContain(secretish)
  })

  it('refuses a header value fetch could not send', () => {
    expect(
      problems({ ...URL_INPUT, 'health-check-header': 'Authorization: Bearer <token> €' })
    ).toEqual([['health-check-header', expect.stringContaining('beyond Latin-1')]])
  })

  it('refuses an unknown method and a bad timeout, all at once', () => {
    expect(
      problems({ ...URL_INPUT, 'health-check-method': 'TRACE', 'health-check-timeout': '2' })
    ).toEqual([
      ['health-check-method', expect.stringContaining('use one of GET, HEAD, POST')],
      ['health-check-timeout', expect.stringContaining("'2' is not a duration")]
    ])
  })
})
