import { describe, expect, it } from '@jest/globals'
import {
  describeHealthCheck,
  isExpectedStatus,
  parseHealthCheckConfig,
  type HealthCheckParse,
  type HttpHealthCheckConfig
} from '../../src/config/health-config.js'
import { readInputs, type InputName } from '../../src/config/inputs.js'

function parse(inputs: Partial<Record<InputName, string>>): HealthCheckParse {
  return parseHealthCheckConfig(readInputs(name => inputs[name] ?? ''))
}

/** The HTTP check the inputs ask for; fails the test when they ask for none, or for a command. */
function httpConfig(inputs: Partial<Record<InputName, string>>): HttpHealthCheckConfig | undefined {
  const { config } = parse(inputs)
  return config?.kind === 'http' ? config : undefined
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
        kind: 'http',
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
    expect(httpConfig({ ...URL_INPUT, 'health-check-expect': text })?.expect).toEqual(ranges)
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
    expect(result.config?.kind === 'http' && result.config.url).toBe(
      'https://api.example.com/bot<token>/getMe?key=<token>'
    )
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

const COMMAND_INPUT = { 'health-check-command': './scripts/db-login.sh --quiet' }

describe('parseHealthCheckConfig with health-check-command', () => {
  it('configures a command check with the default timeout', () => {
    expect(parse(COMMAND_INPUT)).toEqual({
      config: { kind: 'command', command: './scripts/db-login.sh --quiet', timeoutMs: 120_000 },
      problems: [],
      warnings: []
    })
  })

  it('takes health-check-timeout for a command too', () => {
    expect(parse({ ...COMMAND_INPUT, 'health-check-timeout': '45s' }).config).toEqual({
      kind: 'command',
      command: './scripts/db-login.sh --quiet',
      timeoutMs: 45_000
    })
  })

  it('refuses a command and a URL together, naming both inputs', () => {
    expect(problems({ ...COMMAND_INPUT, ...URL_INPUT })).toEqual([
      [
        'health-check-command',
        expect.stringMatching(/^and health-check-url are both set; .*remove one/)
      ]
    ])
  })

  it('refuses the inputs that mean something to an HTTP probe only, each by name', () => {
    expect(
      problems({
        ...COMMAND_INPUT,
        'health-check-method': 'POST',
        'health-check-header': 'X-Key: <token>',
        'health-check-expect': '200'
      })
    ).toEqual(
      ['health-check-method', 'health-check-header', 'health-check-expect'].map(input => [
        input,
        expect.stringContaining(
          'applies to health-check-url only; a health-check-command passes when it exits 0'
        )
      ])
    )
  })

  it('refuses <token> in a command: nothing replaces it, and a command line is public', () => {
    expect(problems({ 'health-check-command': 'psql "password=<token>"' })).toEqual([
      [
        'health-check-command',
        expect.stringContaining('read the value from the environment variable TOKEN_ROTATION_VALUE')
      ]
    ])
  })

  it('refuses a bad timeout with a command, and with both kinds set reports it as well', () => {
    expect(problems({ ...COMMAND_INPUT, 'health-check-timeout': 'soon' })).toEqual([
      ['health-check-timeout', expect.stringContaining("'soon' is not a duration")]
    ])
    expect(problems({ ...COMMAND_INPUT, ...URL_INPUT, 'health-check-timeout': 'soon' })).toEqual([
      ['health-check-command', expect.stringContaining('both set')],
      ['health-check-timeout', expect.stringContaining("'soon' is not a duration")]
    ])
  })

  it('names a timeout set without any check, offering both kinds', () => {
    expect(problems({ 'health-check-timeout': '30s' })).toEqual([
      [
        'health-check-timeout',
        expect.stringContaining('with health-check-url or health-check-command')
      ]
    ])
  })

  it('describes each kind without a value: the command as written, the URL without its query', () => {
    const command = parse(COMMAND_INPUT).config
    const http = parse({ 'health-check-url': 'https://api.example.com/v1/me?key=<token>' }).config
    expect(command && describeHealthCheck(command)).toBe('command ./scripts/db-login.sh --quiet')
    expect(http && describeHealthCheck(http)).toBe('GET https://api.example.com/v1/me?…')
  })
})
