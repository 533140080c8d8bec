import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'

/** What the server saw of one request. */
export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
}

/** A local HTTP server whose every answer a test decides; counts requests from 1. */
export interface ProbeServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  requests: SeenRequest[]
  close(): Promise<void>
}

export type ProbeHandler = (request: IncomingMessage, response: ServerResponse, n: number) => void

/** Starts a server on 127.0.0.1 that answers each request with `handler`. */
export async function startProbeServer(handler: ProbeHandler): Promise<ProbeServer> {
  const requests: SeenRequest[] = []
  const server = createServer((request, response) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers
    })
    handler(request, response, requests.length)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        // Hanging requests would keep the server open forever.
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      })
  }
}

/** A loopback address where nothing listens: a port that was free a moment ago. */
export async function refusingUrl(): Promise<string> {
  const server = createNetServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => {
    server.close(() => {
      resolve()
    })
  })
  return `http://127.0.0.1:${port}`
}
