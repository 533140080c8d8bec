import { afterEach, describe, expect, it } from '@jest/globals'
import { X509Certificate } from 'node:crypto'
import { Agent, fetch as undiciFetch } from 'undici'
import {
  type KernelServer,
  type KernelServerOptions,
  TestClock,
  empty,
  generateTlsMaterial,
  issuedBy,
  json,
  startKernelServer
} from '../../test-servers/kernel/index.js'

const servers: KernelServer[] = []
const agents: Agent[] = []

afterEach(async () => {
  await Promise.all(agents.splice(0).map(async agent => agent.close()))
  await Promise.all(servers.splice(0).map(async server => server.close()))
})

async function start(options: Partial<KernelServerOptions> = {}): Promise<KernelServer> {
  const server = await startKernelServer({
    handler: request =>
      json(200, { method: request.method, path: request.path, body: request.body ?? null }),
    ...options
  })
  servers.push(server)
  return server
}

function agent(connect: ConstructorParameters<typeof Agent>[0]): Agent {
  const made = new Agent(connect)
  agents.push(made)
  return made
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error: unknown) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    return cause?.code ?? cause?.message ?? String(error)
  }
  throw new Error('the request succeeded')
}

describe('kernel server over http', () => {
  it('answers from the handler and logs the request with its parsed body and status', async () => {
    const server = await start()
    const response = await fetch(`${server.url}/v1/thing?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Custom': 'yes' },
      body: JSON.stringify({ a: 1 })
    })

    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ method: 'POST', path: '/v1/thing', body: { a: 1 } })
    const [entry] = server.log.entries
    expect(entry).toMatchObject({
      seq: 1,
      method: 'POST',
      path: '/v1/thing',
      query: { x: '1' },
      body: { a: 1 },
      status: 200
    })
    expect(entry?.headers['x-custom']).toBe('yes')
    expect(server.log.count({ method: 'post', path: /^\/v1\// })).toBe(1)
    expect(server.log.counts()).toEqual({ 'POST /v1/thing': 1 })
  })

  it('keeps a body that is not JSON as text and tells the handler', async () => {
    const server = await start({
      handler: request => json(200, { invalid: request.invalidJson, raw: request.rawBody })
    })
    const response = await fetch(server.url, { method: 'POST', body: 'not json' })

    expect(await response.json()).toEqual({ invalid: true, raw: 'not json' })
    expect(server.log.last()?.body).toBe('not json')
  })

  it('answers 500 in the protocol error shape when the handler throws', async () => {
    const server = await start({
      handler: () => {
        throw new Error('boom')
      },
      errorBody: (_status, message) => ({ errors: [message] })
    })
    const response = await fetch(server.url)

    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ errors: ['test server error: boom'] })
  })

  it('refuses a body over the limit with 413 without calling the handler', async () => {
    let called = false
    const server = await start({
      maxBodyBytes: 10,
      handler: () => {
        called = true
        return empty()
      }
    })
    const response = await fetch(server.url, { method: 'POST', body: 'x'.repeat(11) })

    expect(response.status).toBe(413)
    expect(called).toBe(false)
  })
})

describe('fault rules', () => {
  it('answers a given status, body and headers, a limited number of times', async () => {
    const server = await start({ errorBody: status => ({ errors: [`status ${status}`] }) })
    const fault = server.faults.add({
      method: 'GET',
      path: '/a',
      status: 503,
      headers: { 'Retry-After': '2' },
      times: 1
    })

    const first = await fetch(`${server.url}/a`)
    const second = await fetch(`${server.url}/a`)

    expect(first.status).toBe(503)
    expect(first.headers.get('retry-after')).toBe('2')
    expect(await first.json()).toEqual({ errors: ['status 503'] })
    expect(second.status).toBe(200)
    expect(fault.hits).toBe(1)
    expect(server.log.entries.map(entry => entry.status)).toEqual([503, 200])
  })

  it('matches by path pattern and predicate on the body, and skips the first matches', async () => {
    const server = await start()
    server.faults.add({
      path: /^\/v1\/x/,
      when: request => (request.body as { n?: number } | undefined)?.n === 2,
      skip: 1,
      status: 429
    })
    const post = async (n: number): Promise<number> =>
      (await fetch(`${server.url}/v1/x`, { method: 'POST', body: JSON.stringify({ n }) })).status

    expect([await post(2), await post(1), await post(2), await post(2)]).toEqual([
      200, 200, 429, 429
    ])
  })

  it('drops the connection before or after handling', async () => {
    let handled = 0
    const server = await start({
      handler: () => {
        handled += 1
        return empty()
      }
    })
    server.faults.add({ path: '/before', drop: 'before', times: 1 })
    server.faults.add({ path: '/after', drop: 'after', times: 1 })

    expect(await failure(fetch(`${server.url}/before`))).toMatch(
      /ECONNRESET|UND_ERR_SOCKET|other side closed/
    )
    expect(handled).toBe(0)
    expect(await failure(fetch(`${server.url}/after`))).toMatch(
      /ECONNRESET|UND_ERR_SOCKET|other side closed/
    )
    expect(handled).toBe(1)
    expect(server.log.entries.map(entry => entry.dropped)).toEqual(['before', 'after'])
  })

  it('stacks latency across rules and holds a request until a test releases it', async () => {
    const server = await start()
    const first = server.faults.add({ path: '/slow', delayMs: 30 })
    const second = server.faults.add({ path: '/slow', delayMs: 30 })
    await (await fetch(`${server.url}/slow`)).text()
    // Both delays applied to the one request: the rules stack, what the server counted says so.
    expect([first.hits, second.hits]).toEqual([1, 1])

    let release = (): void => undefined
    const gate = new Promise<void>(resolve => {
      release = resolve
    })
    server.faults.add({ path: '/held', holdUntil: gate })
    let answered = false
    const pending = fetch(`${server.url}/held`).then(response => {
      answered = true
      return response.status
    })
    await new Promise(resolve => setImmediate(resolve))
    expect(answered).toBe(false)
    release()
    expect(await pending).toBe(200)
  })

  it('close() ends a held request and open keep-alive sockets at once', async () => {
    const server = await startKernelServer({ handler: () => empty() })
    server.faults.add({ holdUntil: new Promise(() => undefined) })
    const pending = failure(fetch(server.url))
    await new Promise(resolve => setTimeout(resolve, 20))
    await server.close()
    expect(await pending).toBeTruthy()
  })
})

describe('clock', () => {
  it('stands still until moved, and can follow real time', () => {
    const clock = new TestClock({ start: new Date('2030-01-01T00:00:00Z') })
    clock.advance(90_000)
    expect(clock.now().toISOString()).toBe('2030-01-01T00:01:30.000Z')
    expect(clock.nowSeconds()).toBe(Date.parse('2030-01-01T00:01:30Z') / 1000)
    clock.set(0)
    expect(clock.nowMs()).toBe(0)

    const running = new TestClock({ frozen: false })
    running.advance(3_600_000)
    expect(running.nowMs() - Date.now()).toBeGreaterThan(3_590_000)
    running.freeze()
    expect(running.frozen).toBe(true)
  })

  it("is the server's Date header", async () => {
    const clock = new TestClock({ start: new Date('2031-05-06T07:08:09Z') })
    const server = await start({ clock })
    const response = await fetch(server.url)
    expect(response.headers.get('date')).toBe('Tue, 06 May 2031 07:08:09 GMT')
  })
})

describe('TLS material and mTLS', () => {
  it('makes a CA whose server certificate covers 127.0.0.1, ::1 and localhost', () => {
    const material = generateTlsMaterial()
    const server = new X509Certificate(material.serverCertificate)

    expect(issuedBy(material.serverCertificate, material.ca)).toBe(true)
    expect(issuedBy(material.clientCertificate, material.ca)).toBe(true)
    expect(issuedBy(material.serverCertificate, material.otherCa)).toBe(false)
    expect(issuedBy(material.untrustedClientCertificate, material.otherCa)).toBe(true)
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(server.checkIP('::1')).toBe('::1')
    expect(server.checkHost('localhost')).toBe('localhost')
    expect(new X509Certificate(material.ca).ca).toBe(true)
    expect(new X509Certificate(material.issueClientCertificate('ci').certificate).subject).toBe(
      'CN=ci'
    )
  })

  it('serves https that a client trusting the CA accepts and one trusting another CA refuses', async () => {
    const server = await start({ tls: 'tls' })
    const material = server.tls
    if (material === undefined) throw new Error('no TLS material')

    const trusted = await undiciFetch(server.url, {
      dispatcher: agent({ connect: { ca: material.ca } })
    })
    expect(server.url).toMatch(/^https:/)
    expect(trusted.status).toBe(200)
    await trusted.body?.cancel()
    expect(
      await failure(
        undiciFetch(server.url, { dispatcher: agent({ connect: { ca: material.otherCa } }) })
      )
    ).toMatch(/CERT|certificate|self.signed/i)
  })

  it('refuses TLS below 1.2', async () => {
    const server = await start({ tls: 'tls' })
    const ca = server.tls?.ca ?? ''
    expect(
      await failure(
        undiciFetch(server.url, {
          dispatcher: agent({ connect: { ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' } })
        })
      )
    ).toBeTruthy()
  })

  it('mTLS: accepts the test client certificate, refuses none and one from another CA', async () => {
    const server = await start({
      tls: 'mtls',
      handler: request => json(200, { cn: request.clientCommonName ?? null })
    })
    const material = server.tls
    if (material === undefined) throw new Error('no TLS material')

    const accepted = await undiciFetch(server.url, {
      dispatcher: agent({
        connect: { ca: material.ca, cert: material.clientCertificate, key: material.clientKey }
      })
    })
    expect(await accepted.json()).toEqual({ cn: 'test-client' })
    expect(
      await failure(
        undiciFetch(server.url, { dispatcher: agent({ connect: { ca: material.ca } }) })
      )
    ).toBeTruthy()
    expect(
      await failure(
        undiciFetch(server.url, {
          dispatcher: agent({
            connect: {
              ca: material.ca,
              cert: material.untrustedClientCertificate,
              key: material.untrustedClientKey
            }
          })
        })
      )
    ).toBeTruthy()
    expect(server.log.count()).toBe(1)
  })
})
