import { afterEach, describe, expect, it } from '@jest/globals'
import {
  parseHealthCheckConfig,
  type HttpHealthCheckConfig
} from '../../src/config/health-config.js'
import { readInputs, type InputName } from '../../src/config/inputs.js'
import type { HealthResult } from '../../src/engine/ports.js'
import { createHttpHealthCheck } from '../../src/health/http-health-check.js'
import { MemoryLogger } from '../support/memory-logger.js'
import {
  refusingUrl,
  startProbeServer,
  type ProbeHandler,
  type ProbeServer
} from './probe-server.js'

// Characters that change under URL encoding, to prove the value arrives intact.
const VALUE = 'hc-value+9d/2f=a1'

let server: ProbeServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function serve(handler: ProbeHandler): Promise<string> {
  server = await startProbeServer(handler)
  return server.url
}

function configFor(url: string, inputs: Partial<Record<InputName, string>> = {}) {
  const given: Partial<Record<InputName, string>> = { 'health-check-url': url, ...inputs }
  const { config, problems } = parseHealthCheckConfig(readInputs(name => given[name] ?? ''))
  expect(problems).toEqual([])
  return config as HttpHealthCheckConfig
}

/** A clock that only moves when the check sleeps: waits cost no real time. */
function fakeTime() {
  const start = Date.parse('2026-03-01T12:00:00Z')
  let now = start
  return {
    clock: { now: () => new Date(now) },
    sleep: (ms: number) => {
      now += ms
      return Promise.resolve()
    },
    elapsed: () => now - start
  }
}

function answer(status: number, body = ''): (response: Parameters<ProbeHandler>[1]) => void {
  return response => {
    response.writeHead(status, { 'content-type': 'text/plain' }).end(body)
  }
}

function bearer(request: Parameters<ProbeHandler>[0]): string | undefined {
  return request.headers.authorization
}

describe('createHttpHealthCheck against a local server', () => {
  it('retries while the new credential propagates, backing off 1 s, 2 s', async () => {
    const url = await serve((request, response, n) => {
      const accepted = n > 2 && bearer(request) === `Bearer ${VALUE}`
      answer(accepted ? 200 : 401)(response)
    })
    const time = fakeTime()
    const log = new MemoryLogger()
    const check = createHttpHealthCheck(configFor(`${url}/user`), { ...time, log })
    expect(await check.check(VALUE)).toEqual({ ok: true, attempts: 3, detail: 'HTTP 200' })
    expect(time.elapsed()).toBe(3_000)
    expect(server?.requests.map(r => `${r.method} ${r.url}`)).toEqual([
      'GET /user',
      'GET /user',
      'GET /user'
    ])
    expect(log.lines.filter(line => line.level !== 'debug')).toEqual([])
    expect(log.lines.map(line => line.message)).toEqual([
      'Health check attempt 1: HTTP 401; next in 1000 ms',
      'Health check attempt 2: HTTP 401; next in 2000 ms'
    ])
  })

  it('sends the configured method and headers, and the value URL-encoded in the URL', async () => {
    const url = await serve((request, response) => {
      const query = new URL(request.url ?? '', 'http://x').searchParams
      const good =
        request.method === 'POST' &&
        request.headers['x-api-key'] === VALUE &&
        request.headers.accept === 'application/json' &&
        query.get('key') === VALUE
      answer(good ? 204 : 400)(response)
    })
    const check = createHttpHealthCheck(
      configFor(`${url}/check?key=<token>`, {
        'health-check-method': 'POST',
        'health-check-header': 'X-Api-Key: <token>\nAccept: application/json',
        'health-check-expect': '204'
      }),
      { ...fakeTime(), log: new MemoryLogger() }
    )
    expect(await check.check(VALUE)).toEqual({ ok: true, attempts: 1, detail: 'HTTP 204' })
    expect(check.description).toBe(`POST ${url}/check?…`)
  })

  it('keeps retrying 500s until the timeout, capping the wait at 15 s, never past the deadline', async () => {
    const url = await serve((_request, response) => {
      answer(500)(response)
    })
    const time = fakeTime()
    const check = createHttpHealthCheck(configFor(url, { 'health-check-timeout': '1m' }), {
      ...time,
      log: new MemoryLogger()
    })
    // Attempts at 0, 1, 3, 7, 15, 30, 45 and 60 s.
    expect(await check.check(VALUE)).toEqual({ ok: false, attempts: 8, detail: 'HTTP 500' })
    expect(time.elapsed()).toBe(60_000)
  })

  it('stops early on no status: a 403 is retried like a 401 until the timeout', async () => {
    const url = await serve((_request, response) => {
      answer(403)(response)
    })
    const time = fakeTime()
    const check = createHttpHealthCheck(configFor(url, { 'health-check-timeout': '10s' }), {
      ...time,
      log: new MemoryLogger()
    })
    expect(await check.check(VALUE)).toEqual({ ok: false, attempts: 5, detail: 'HTTP 403' })
    expect(time.elapsed()).toBe(10_000)
  })

  it('counts an expected 4xx as success when health-check-expect lists it', async () => {
    const url = await serve((_request, response) => {
      answer(404)(response)
    })
    const check = createHttpHealthCheck(configFor(url, { 'health-check-expect': '2xx,404' }), {
      ...fakeTime(),
      log: new MemoryLogger()
    })
    expect(await check.check(VALUE)).toEqual({ ok: true, attempts: 1, detail: 'HTTP 404' })
  })

  it('gives up on a server that never answers after the attempt deadline', async () => {
    const url = await serve(() => undefined)
    const check = createHttpHealthCheck(configFor(url, { 'health-check-timeout': '0' }), {
      ...fakeTime(),
      log: new MemoryLogger(),
      attemptTimeoutMs: 100
    })
    expect(await check.check(VALUE)).toEqual({
      ok: false,
      attempts: 1,
      detail: 'timed out after 100 ms'
    })
  })

  it('says connection refused when nothing listens', async () => {
    const url = await refusingUrl()
    const time = fakeTime()
    const check = createHttpHealthCheck(configFor(url, { 'health-check-timeout': '3s' }), {
      ...time,
      log: new MemoryLogger()
    })
    expect(await check.check(VALUE)).toEqual({
      ok: false,
      attempts: 3,
      detail: 'connection refused'
    })
  })

  it('says so when the server drops the connection', async () => {
    const url = await serve(request => {
      request.socket.destroy()
    })
    const check = createHttpHealthCheck(configFor(url, { 'health-check-timeout': '0' }), {
      ...fakeTime(),
      log: new MemoryLogger()
    })
    expect(await check.check(VALUE)).toEqual({
      ok: false,
      attempts: 1,
      detail: 'connection closed before an answer'
    })
  })

  it('does not follow a redirect, which could carry the credential elsewhere', async () => {
    const url = await serve((request, response) => {
      if (request.url === '/moved') answer(200)(response)
      else response.writeHead(302, { location: '/moved' }).end()
    })
    const check = createHttpHealthCheck(configFor(url, { 'health-check-timeout': '0' }), {
      ...fakeTime(),
      log: new MemoryLogger()
    })
    expect(await check.check(VALUE)).toEqual({ ok: false, attempts: 1, detail: 'HTTP 302' })
    expect(server?.requests.map(r => r.url)).toEqual(['/'])
  })

  it('refuses, without a request, a value that cannot travel in a header', async () => {
    const url = await serve((_request, response) => {
      answer(200)(response)
    })
    const value = `${VALUE}\r\nX-Injected: 1`
    const check = createHttpHealthCheck(configFor(url), { ...fakeTime(), log: new MemoryLogger() })
    const result = await check.check(value)
    expect(result).toEqual({
      ok: false,
      attempts: 0,
      detail: expect.stringContaining('cannot be sent in a header')
    })
    expect(server?.requests).toEqual([])
  })

  it('never puts the value in a detail or a log line, even when the server echoes it', async () => {
    const url = await serve((request, response) => {
      answer(401, `invalid token ${bearer(request) ?? ''}`)(response)
    })
    const refused = await refusingUrl()
    const log = new MemoryLogger()
    const results: HealthResult[] = []
    for (const target of [`${url}/q?token=<token>`, `${refused}/q?token=<token>`]) {
      const check = createHttpHealthCheck(configFor(target, { 'health-check-timeout': '5s' }), {
        ...fakeTime(),
        log
      })
      results.push(await check.check(VALUE))
      expect(check.description).not.toContain(VALUE)
    }
    expect(results.map(r => r.detail)).toEqual(['HTTP 401', 'connection refused'])
    const printed = JSON.stringify(results) + log.text()
    expect(printed).not.toContain(VALUE)
    expect(printed).not.toContain(encodeURIComponent(VALUE))
    expect(printed).not.toContain('invalid token')
  })
})
