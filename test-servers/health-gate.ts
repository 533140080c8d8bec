import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * The health-check endpoint as the tests see it: forwards to the OAuth2 server's protected
 * resource, or answers a set status, or holds the request (to stop a run during its check).
 */
export interface HealthGate {
  url: string
  requests: number
  answer: number | undefined
  /** Answers 401 to the Authorization headers it matches. */
  reject: ((authorization: string) => boolean) | undefined
  /** Answers 200 to the Authorization headers it matches (and `reject` does not). */
  accept: ((authorization: string) => boolean) | undefined
  hold: boolean
  onAnswer: (() => void) | undefined
  /** Awaited once before the next request is handled (then cleared): another actor's move. */
  before: (() => Promise<void>) | undefined
  close(): Promise<void>
}

export async function startHealthGate(resourceUrl: string): Promise<HealthGate> {
  const gate: HealthGate = {
    url: '',
    requests: 0,
    answer: undefined,
    reject: undefined,
    accept: undefined,
    hold: false,
    onAnswer: undefined,
    before: undefined,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      })
  }
  const server: Server = createServer((req, res) => {
    gate.requests += 1
    if (gate.hold) return
    const before = gate.before
    gate.before = undefined
    if (before) {
      before()
        .then(() => {
          handle(req, res)
        })
        .catch(() => res.writeHead(500).end())
      return
    }
    handle(req, res)
  })
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const reply = (status: number) => {
      gate.onAnswer?.()
      gate.onAnswer = undefined
      res.writeHead(status).end()
    }
    if (gate.answer !== undefined) {
      reply(gate.answer)
      return
    }
    if (gate.reject?.(req.headers.authorization ?? '')) {
      reply(401)
      return
    }
    if (gate.accept?.(req.headers.authorization ?? '')) {
      reply(200)
      return
    }
    fetch(resourceUrl, { headers: { authorization: req.headers.authorization ?? '' } })
      .then(answer => {
        reply(answer.status)
      })
      .catch(() => {
        reply(502)
      })
  }
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  gate.url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/health`
  return gate
}
