/**
 * An incoming-webhook endpoint for the tests: one node:http server on 127.0.0.1 and an ephemeral
 * port that records every request, raw body included (a signature is checked over the exact
 * bytes), and answers 200 unless told otherwise.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse
} from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request as it arrived. */
export interface RecordedRequest {
  method: string
  /** The path and query, as sent. */
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
}

/** A fault, answered instead of the default 200 while its `times` last. */
export type WebhookFault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Keeps the request open without a byte of answer, until the server closes. */
  | { kind: 'hang' }
  | { kind: 'redirect'; location: string; status?: number }
  /** Answers the request back as JSON (method, path, headers, body), as a careless server does. */
  | { kind: 'echo'; status?: number }

export interface WebhookServer {
  /** The base URL, `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string
  /** Every request received, in order; recorded once its body has arrived. */
  readonly requests: RecordedRequest[]
  /** Answers `fault` to the next `times` requests (Infinity: to all), after faults queued before. */
  inject(fault: WebhookFault, times?: number): void
  close(): Promise<void>
}

export async function startWebhookServer(): Promise<WebhookServer> {
  const requests: RecordedRequest[] = []
  const faults: { fault: WebhookFault; left: number }[] = []

  const answer = (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest): void => {
    const next = faults[0]
    if (next === undefined) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
      return
    }
    next.left -= 1
    if (next.left <= 0) faults.shift()
    const fault = next.fault
    switch (fault.kind) {
      case 'status':
        res.writeHead(fault.status, fault.headers).end(fault.body ?? '')
        return
      case 'hang':
        return
      case 'redirect':
        res.writeHead(fault.status ?? 307, { location: fault.location }).end()
        return
      case 'echo':
        res.writeHead(fault.status ?? 200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            method: req.method,
            path: recorded.path,
            headers: recorded.headers,
            body: recorded.body.toString('utf8')
          })
        )
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks)
      }
      requests.push(recorded)
      answer(req, res, recorded)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${String(port)}`,
    requests,
    inject(fault, times = 1) {
      faults.push({ fault, left: times })
    },
    close: () =>
      new Promise<void>(resolve => {
        // A hanging request would otherwise keep the server open.
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      })
  }
}
