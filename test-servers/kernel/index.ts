/**
 * What every local test server shares: listening on 127.0.0.1 over HTTP, HTTPS or mTLS with
 * throwaway certificates, a request log, fault rules, a movable clock and JSON helpers.
 */
export { TestClock } from './clock.js'
export type { TestClockOptions } from './clock.js'
export { FaultRules, isTerminal } from './faults.js'
export type { FaultDecision, FaultHandle, FaultRequest, FaultRule } from './faults.js'
export { empty, isJsonObject, json, parseJson } from './json.js'
export type { KernelResponse, ParsedJson } from './json.js'
export { RequestLog } from './log.js'
export type { LoggedRequest, RequestMatch } from './log.js'
export { startKernelServer } from './server.js'
export type {
  KernelHandler,
  KernelRequest,
  KernelServer,
  KernelServerOptions,
  KernelTlsOptions,
  TlsMode
} from './server.js'
export { generateTlsMaterial, issuedBy } from './tls.js'
export type { CertificateAndKey, TlsMaterial, TlsMaterialOptions } from './tls.js'
