/**
 * Fault injection in front of the provider. A fault either answers instead of the provider
 * (`answer`), or lets the provider process the request and then changes what reaches the client:
 * the token is consumed on the server, and the client loses, waits for or misreads the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Fault, FaultEndpoint, FaultHandle, FaultInjector, FaultKind } from './types.js'

/** The faults that let the provider process the request first. */
export type AfterProcessingFault = Exclude<FaultKind, { kind: 'answer' | 'echo-request' }>

/** The fault that answers with the request it received. */
export type EchoFault = Extract<FaultKind, { kind: 'echo-request' }>

interface FaultState {
  readonly fault: Fault
  hits: number
}

/** The server's fault list. */
export class FaultRegistry implements FaultInjector {
  #states: FaultState[] = []

  add(fault: Fault): FaultHandle {
    if (fault.times !== undefined && !(fault.times >= 0)) {
      throw new Error(`fault times must be a number >= 0, got ${String(fault.times)}`)
    }
    const state: FaultState = { fault, hits: 0 }
    this.#states.push(state)
    return {
      remove: (): void => {
        this.#states = this.#states.filter(candidate => candidate !== state)
      },
      get hits(): number {
        return state.hits
      }
    }
  }

  clear(): void {
    this.#states = []
  }

  /** The fault that applies to one request at `endpoint`, if any; counts its hit. */
  take(endpoint: FaultEndpoint): Fault | undefined {
    for (const state of this.#states) {
      if (state.fault.endpoint !== endpoint) continue
      if (state.hits >= (state.fault.times ?? Infinity)) continue
      state.hits += 1
      return state.fault
    }
    return undefined
  }
}

/** Sends a JSON answer from the fault layer. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(payload)),
    'cache-control': 'no-store'
  })
  res.end(payload)
}

/**
 * Answers with the request quoted back as it arrived: the form body (refresh token, client secret
 * with client_secret_post, all form-encoded) and the `Authorization` header (base64 of the form-
 * encoded `client_id:client_secret` with client_secret_basic). Some servers do this in their
 * errors; whatever the client makes of the answer must not carry any of it further.
 */
export async function echoRequest(
  req: IncomingMessage,
  res: ServerResponse,
  fault: EchoFault
): Promise<void> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const quoted = `${req.method ?? 'POST'} ${req.url ?? '/'} authorization: ${req.headers.authorization ?? '(none)'} body: ${Buffer.concat(chunks).toString('utf8')}`
  const status = fault.status ?? 400
  if (fault.in === 'body') {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' })
    res.end(`cannot process the request: ${quoted}`)
    return
  }
  sendJson(res, status, {
    error: fault.error ?? 'invalid_request',
    error_description: `cannot process the request: ${quoted}`
  })
}

/**
 * Lets the provider process the request and applies `fault` to its answer, by taking over
 * `res.end`: the provider (Koa) sets its headers, then hands the whole body to one `end` call.
 * @param lifetime aborted when the server closes, so a held answer does not keep it open
 */
export function applyAfterProcessing(
  res: ServerResponse,
  fault: AfterProcessingFault,
  lifetime: AbortSignal
): void {
  const end = res.end.bind(res)
  const send = (body: string | Buffer): void => {
    res.setHeader('content-length', String(Buffer.byteLength(body)))
    end(body)
  }
  const intercept = (chunk: unknown): void => {
    const body = typeof chunk === 'string' || chunk instanceof Uint8Array ? Buffer.from(chunk) : ''
    switch (fault.kind) {
      case 'lose-response':
        res.destroy()
        return
      case 'fail-after-processing':
        res.statusCode = fault.status
        res.setHeader('content-type', 'application/json; charset=utf-8')
        send(
          JSON.stringify({
            error: 'server_error',
            error_description: 'injected fault after the request was processed'
          })
        )
        return
      case 'delay-response':
        sleep(fault.delayMs, undefined, { signal: lifetime }).then(
          () => {
            if (!res.destroyed) send(body)
          },
          () => res.destroy()
        )
        return
      case 'strip-refresh-token':
        send(res.statusCode === 200 ? withoutField(body, 'refresh_token') : body)
        return
      case 'strip-field':
        send(res.statusCode === 200 ? withoutField(body, fault.field) : body)
        return
      case 'set-field':
        send(res.statusCode === 200 ? withRawField(body, fault.field, fault.json) : body)
        return
    }
  }
  res.end = ((chunk?: unknown) => {
    intercept(chunk)
    return res
  }) as ServerResponse['end']
}

/** The answer with `field` set to the raw JSON text `json`, spliced in after serializing the rest. */
function withRawField(body: Buffer | string, field: string, json: string): Buffer | string {
  const rest = withoutField(body, field).toString()
  if (!rest.startsWith('{')) return body
  const marker = '"__set_field__":0'
  const spliced = JSON.stringify({ ...(JSON.parse(rest) as object), __set_field__: 0 })
  return spliced.replace(marker, `${JSON.stringify(field)}:${json}`)
}

function withoutField(body: Buffer | string, field: string): Buffer | string {
  try {
    const json = JSON.parse(body.toString()) as unknown
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return body
    const answer = { ...(json as Record<string, unknown>) }
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the field is the fault's
    delete answer[field]
    return JSON.stringify(answer)
  } catch {
    return body
  }
}
