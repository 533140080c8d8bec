/**
 * Fault injection in front of the provider. A fault either answers instead of the provider
 * (`answer`), or lets the provider process the request and then changes what reaches the client:
 * the token is consumed on the server, and the client loses, waits for or misreads the answer.
 */
import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Fault, FaultEndpoint, FaultHandle, FaultInjector, FaultKind } from './types.js'

/** The faults that let the provider process the request first. */
export type AfterProcessingFault = Exclude<FaultKind, { kind: 'answer' }>

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
    }
  }
  res.end = ((chunk?: unknown) => {
    intercept(chunk)
    return res
  }) as ServerResponse['end']
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
