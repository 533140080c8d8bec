import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createHmac, timingSafeEqual } from 'node:crypto'
import {
  SIGNATURE_HEADER,
  sendWebhookAlert,
  webhookDue,
  webhookPayload,
  type WebhookAlert,
  type WebhookDeps,
  type WebhookEvent,
  type WebhookPayload
} from '../../src/report/webhook.js'
import { startWebhookServer, type WebhookServer } from '../../test-servers/webhook/server.js'
import { MemoryLogger } from '../support/memory-logger.js'

/** Stands for the token Slack embeds in its webhook URLs: it must appear in no log line. */
const URL_TOKEN = 'T0FAKE/B0FAKE/xoxFakeWebhookToken123'
const SECRET = 'webhook-signing-secret'
const RUN_URL = 'https://github.com/acme/api/actions/runs/42'

/** An alert that names no earlier run and no run URL. */
const bare: WebhookAlert = { credential: 'partner-api', failed: true, failures: 3, threshold: 3 }

const failing: WebhookAlert = {
  ...bare,
  previousFailures: 2,
  reason: 'the token endpoint answered invalid_grant.',
  runUrl: RUN_URL
}

let server: WebhookServer
let log: MemoryLogger
let waits: number[]

beforeEach(async () => {
  server = await startWebhookServer()
  log = new MemoryLogger()
  waits = []
})

afterEach(async () => {
  await server.close()
})

function webhookUrl(base = server.url): string {
  return `${base}/services/${URL_TOKEN}`
}

function deps(extra: Partial<WebhookDeps> = {}): WebhookDeps {
  return {
    log,
    // Records the waits asked for and returns at once: no test really waits.
    sleep: ms => {
      waits.push(ms)
      return Promise.resolve()
    },
    redact: text => text,
    ...extra
  }
}

function received(index = 0): WebhookPayload {
  const request = server.requests[index]
  if (request === undefined) throw new Error(`the server saw no request ${String(index)}`)
  return JSON.parse(request.body.toString('utf8')) as WebhookPayload
}

function warnings(): string[] {
  return log.lines.filter(line => line.level === 'warning').map(line => line.message)
}

function expectNoUrlLogged(): void {
  expect(log.text()).not.toContain(URL_TOKEN)
  expect(log.text()).not.toContain('xoxFake')
  expect(log.text()).not.toContain(server.url)
}

describe('webhookDue', () => {
  const cases: [string, Partial<WebhookAlert>, WebhookEvent | undefined][] = [
    [
      'a failure below the threshold',
      { failed: true, failures: 2, previousFailures: 1 },
      undefined
    ],
    ['the failure that reaches the threshold', { failed: true, failures: 3 }, 'failed'],
    ['each later failure', { failed: true, failures: 7, previousFailures: 6 }, 'failed'],
    ['a success after a success', { failed: false, failures: 0, previousFailures: 0 }, undefined],
    [
      'a success after failures below the threshold',
      { failed: false, failures: 0, previousFailures: 2 },
      undefined
    ],
    [
      'the success that ends an alerted streak',
      { failed: false, failures: 0, previousFailures: 3 },
      'recovered'
    ],
    [
      'a success after a long streak',
      { failed: false, failures: 0, previousFailures: 9 },
      'recovered'
    ],
    ['a success with no earlier run recorded', { failed: false, failures: 0 }, undefined],
    ['any failure with alerts off', { failed: true, failures: 5, threshold: 0 }, undefined],
    [
      'a success with alerts off',
      { failed: false, failures: 0, previousFailures: 5, threshold: 0 },
      undefined
    ],
    [
      'the first failure with a threshold of 1',
      { failed: true, failures: 1, previousFailures: 0, threshold: 1 },
      'failed'
    ]
  ]
  it.each(cases)('%s', (_name, change, due) => {
    expect(webhookDue({ ...bare, ...change })).toBe(due)
  })
})

describe('webhookPayload', () => {
  it('says in one line what failed, why and where, redacted and safe for Slack', () => {
    const payload = webhookPayload(
      { ...failing, reason: 'refused <!channel>\n  sekret-value & more.' },
      'failed',
      text => text.replaceAll('sekret-value', '***')
    )
    expect(payload).toEqual({
      text: `Token rotation of partner-api failed 3 times in a row: refused &lt;!channel&gt; *** &amp; more. Run: ${RUN_URL}`,
      credential: 'partner-api',
      status: 'failed',
      error: 'refused <!channel> *** & more.',
      consecutive_failures: 3,
      run_url: RUN_URL
    })
  })

  it('counts the failures a recovery ended, and has no error', () => {
    const payload = webhookPayload(
      { ...bare, failed: false, failures: 0, previousFailures: 1 },
      'recovered',
      t => t
    )
    expect(payload).toEqual({
      text: 'Token rotation of partner-api recovered after 1 failed run.',
      credential: 'partner-api',
      status: 'recovered',
      consecutive_failures: 1,
      run_url: null
    })
  })
})

describe('sendWebhookAlert', () => {
  it('posts a Slack-compatible JSON body, signed with the secret over the exact bytes', async () => {
    const outcome = await sendWebhookAlert({ url: webhookUrl(), secret: SECRET }, failing, deps())
    expect(outcome).toBe('sent')
    expect(server.requests).toHaveLength(1)
    const request = server.requests[0]
    expect(request?.method).toBe('POST')
    expect(request?.path).toBe(`/services/${URL_TOKEN}`)
    expect(request?.headers['content-type']).toBe('application/json')
    expect(request?.headers['user-agent']).toBe('token-rotation-action')
    const header = request?.headers[SIGNATURE_HEADER.toLowerCase()]
    expect(typeof header).toBe('string')
    const expected = `sha256=${createHmac('sha256', SECRET)
      .update(request?.body ?? '')
      .digest('hex')}`
    expect(timingSafeEqual(Buffer.from(String(header)), Buffer.from(expected))).toBe(true)
    const payload = received()
    expect(typeof payload.text).toBe('string')
    expect(payload.text.length).toBeGreaterThan(0)
    expect(payload.text).not.toContain('\n')
    expect(payload).toMatchObject({
      credential: 'partner-api',
      status: 'failed',
      consecutive_failures: 3
    })
    expectNoUrlLogged()
  })

  it('sends no signature header without a secret', async () => {
    expect(await sendWebhookAlert({ url: webhookUrl() }, failing, deps())).toBe('sent')
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0]?.headers[SIGNATURE_HEADER.toLowerCase()]).toBeUndefined()
  })

  it('sends the recovery once the streak ends, and nothing when nothing is due', async () => {
    const recovery = { ...failing, failed: false, failures: 0, previousFailures: 4 }
    expect(await sendWebhookAlert({ url: webhookUrl() }, recovery, deps())).toBe('sent')
    expect(received().status).toBe('recovered')
    expect(received().text).toBe(
      `Token rotation of partner-api recovered after 4 failed runs. Run: ${RUN_URL}`
    )
    const calm = { ...recovery, previousFailures: 0 }
    const early = { ...failing, failures: 1, previousFailures: 0 }
    expect(await sendWebhookAlert({ url: webhookUrl() }, calm, deps())).toBe('not-due')
    expect(await sendWebhookAlert({ url: webhookUrl() }, early, deps())).toBe('not-due')
    expect(server.requests).toHaveLength(1)
    expect(log.lines.filter(line => line.level === 'warning')).toEqual([])
  })

  it('passes every text through redact before sending', async () => {
    const alert = { ...failing, reason: 'sekret-value was refused' }
    const redact = (text: string) => text.replaceAll('sekret-value', '***')
    await sendWebhookAlert({ url: webhookUrl() }, alert, deps({ redact }))
    expect(server.requests[0]?.body.toString('utf8')).not.toContain('sekret-value')
    expect(received().error).toBe('*** was refused')
  })

  it('retries a 503, and succeeds on the second attempt', async () => {
    server.inject({ kind: 'status', status: 503 })
    expect(await sendWebhookAlert({ url: webhookUrl(), secret: SECRET }, failing, deps())).toBe(
      'sent'
    )
    expect(server.requests).toHaveLength(2)
    expect(server.requests[1]?.body.equals(server.requests[0]?.body ?? Buffer.alloc(0))).toBe(true)
    expect(warnings()).toEqual([])
  })

  it('waits what a 429 asks for, up to a minute', async () => {
    server.inject({ kind: 'status', status: 429, headers: { 'retry-after': '5' } })
    expect(await sendWebhookAlert({ url: webhookUrl() }, failing, deps())).toBe('sent')
    expect(server.requests).toHaveLength(2)
    expect(waits).toEqual([5000])
  })

  it('gives up at once when a 429 asks for longer than a minute', async () => {
    server.inject({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } })
    expect(await sendWebhookAlert({ url: webhookUrl() }, failing, deps())).toBe('failed')
    expect(server.requests).toHaveLength(1)
    expect(warnings()).toEqual([
      'The webhook answered HTTP 429 and asked to wait 3600 s, longer than a run waits; the alert was not delivered.'
    ])
  })

  it('warns after three 5xx answers, and does not fail', async () => {
    server.inject({ kind: 'status', status: 502 }, Infinity)
    expect(await sendWebhookAlert({ url: webhookUrl() }, failing, deps())).toBe('failed')
    expect(server.requests).toHaveLength(3)
    expect(warnings()).toEqual([
      'The webhook answered HTTP 502 (3 attempts); the alert was not delivered.'
    ])
  })

  it('does not retry a 400, nor quote a body that echoes the request', async () => {
    server.inject({ kind: 'echo', status: 400 })
    expect(await sendWebhookAlert({ url: webhookUrl(), secret: SECRET }, failing, deps())).toBe(
      'failed'
    )
    expect(server.requests).toHaveLength(1)
    expect(warnings()).toEqual(['The webhook answered HTTP 400; the alert was not delivered.'])
    expect(log.text()).not.toContain('invalid_grant')
    expectNoUrlLogged()
  })

  it('does not follow a 307: the redirect target sees nothing, and the warning names no URL', async () => {
    const elsewhere = await startWebhookServer()
    try {
      server.inject({ kind: 'redirect', location: `${elsewhere.url}/collect` }, Infinity)
      const outcome = await sendWebhookAlert({ url: webhookUrl(), secret: SECRET }, failing, deps())
      expect(outcome).toBe('failed')
      expect(server.requests).toHaveLength(1)
      expect(elsewhere.requests).toEqual([])
      expect(warnings()).toEqual([
        'The webhook answered with a redirect (HTTP 307), which is not followed: set the URL it redirects to; the alert was not delivered.'
      ])
      expect(log.text()).not.toContain(elsewhere.url)
      expectNoUrlLogged()
    } finally {
      await elsewhere.close()
    }
  })

  it('times out on a webhook that never answers, each attempt', async () => {
    server.inject({ kind: 'hang' }, Infinity)
    const outcome = await sendWebhookAlert(
      { url: webhookUrl() },
      failing,
      deps({ timeoutMs: 1000 })
    )
    expect(outcome).toBe('failed')
    expect(server.requests).toHaveLength(3)
    expect(warnings()).toEqual([
      'The webhook did not answer: timed out after 1 s (3 attempts); the alert was not delivered.'
    ])
    expectNoUrlLogged()
  })

  it('names a refused connection without the URL', async () => {
    const gone = await startWebhookServer()
    await gone.close()
    const outcome = await sendWebhookAlert({ url: webhookUrl(gone.url) }, failing, deps())
    expect(outcome).toBe('failed')
    expect(warnings()).toEqual([
      'The webhook did not answer: connection refused (3 attempts); the alert was not delivered.'
    ])
    expect(log.text()).not.toContain(URL_TOKEN)
    expect(log.text()).not.toContain(gone.url)
  })

  it('says an unparsable URL is invalid without quoting it', async () => {
    const outcome = await sendWebhookAlert({ url: `not a url ${URL_TOKEN}` }, failing, deps())
    expect(outcome).toBe('failed')
    expect(warnings()).toEqual(['The webhook URL is not a valid URL; the alert was not delivered.'])
    expect(log.text()).not.toContain(URL_TOKEN)
  })
})
