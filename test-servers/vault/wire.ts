/**
 * Vault's wire conventions shared by every engine: the `{"errors":[...]}` error body, Go's
 * multierror wording, durations in and out, RFC 3339 timestamps with nanoseconds, and the random
 * identifiers Vault hands out.
 */
import { randomBytes, randomUUID } from 'node:crypto'

/** Thrown by handlers: answered as `{"errors": [...]}` with the status. */
export class VaultError extends Error {
  readonly status: number
  readonly errors: readonly string[]
  /** Answered instead of `{"errors": ...}` (Vault's 404 for a deleted KV version carries data). */
  readonly body: unknown

  constructor(status: number, errors: readonly string[], body?: unknown) {
    super(errors.join('; ') || `HTTP ${status}`)
    this.name = 'VaultError'
    this.status = status
    this.errors = errors
    this.body = body
  }
}

/** Go's hashicorp/go-multierror text, which Vault puts verbatim into `errors`. */
export function multierror(messages: readonly string[]): string {
  const count = messages.length
  const lines = messages.map(message => `\t* ${message}`).join('\n')
  return `${count} error${count === 1 ? '' : 's'} occurred:\n${lines}\n\n`
}

/** 400 with one message: what a backend's `logical.ErrorResponse` becomes on the wire. */
export function badRequest(message: string): VaultError {
  return new VaultError(400, [message])
}

/** 403 for a token that lacks a capability, in Vault's exact words. */
export function permissionDenied(): VaultError {
  return new VaultError(403, [multierror(['permission denied'])])
}

/** 403 for a token that is unknown, revoked or expired (Vault 1.16 and later). */
export function invalidToken(): VaultError {
  return new VaultError(403, [multierror(['permission denied', 'invalid token'])])
}

/** 404 with an empty `errors`: how Vault says a secret, key or lease is not there. */
export function notFound(): VaultError {
  return new VaultError(404, [])
}

/** 404 for a path no mount or route serves. */
export function noRoute(path: string): VaultError {
  return new VaultError(404, [`no handler for route "${path}". route entry not found.`])
}

/** 405 for a method a path does not serve. */
export function unsupportedOperation(): VaultError {
  return new VaultError(405, [multierror(['unsupported operation'])])
}

const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400
}

/**
 * Seconds from a Vault duration field: a number of seconds (number or numeric string) or a Go
 * duration string such as `1h30m`, `90s`, `768h` (Vault also accepts `d`). Undefined when absent.
 */
export function durationSeconds(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value)
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value)
    const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)]
    if (parts.length > 0 && parts.map(part => part[0]).join('') === value) {
      return Math.floor(
        parts.reduce((sum, part) => sum + Number(part[1]) * (UNITS[part[2] ?? 's'] ?? 1), 0)
      )
    }
  }
  throw badRequest(
    `error converting input ${JSON.stringify(value)} for field "${field}": time: invalid duration ${JSON.stringify(value)}`
  )
}

/** Go's `time.Duration.String()` for whole seconds: `1h0m0s`, `30m0s`, `45s`, `0s`. */
export function goDuration(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds))
  const h = Math.floor(whole / 3600)
  const m = Math.floor((whole % 3600) / 60)
  const s = whole % 60
  if (h > 0) return `${h}h${m}m${s}s`
  if (m > 0) return `${m}m${s}s`
  return `${s}s`
}

/**
 * RFC 3339 in UTC with up to nine fraction digits, trailing zeros dropped, as Go's
 * `time.RFC3339Nano` writes Vault's timestamps (`2018-03-22T02:24:06.945319214Z`).
 */
export function rfc3339Nano(ms: number, extraNanos = 0): string {
  const date = new Date(ms)
  const base = date.toISOString().slice(0, 19)
  const nanos = (((ms % 1000) + 1000) % 1000) * 1e6 + extraNanos
  const fraction = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`
  return `${base}${fraction}Z`
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Random base62 text, as Vault's token, accessor and lease identifiers are. */
export function base62(length: number): string {
  let text = ''
  while (text.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: bytes above it would bias the first characters.
      if (byte < 248 && text.length < length) text += BASE62[byte % 62] ?? 'A'
    }
  }
  return text
}

/** A request id, as Vault puts in every answer. */
export function requestId(): string {
  return randomUUID()
}

/** A string list field: a JSON array of strings or a comma-separated string. */
export function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') {
    return value
      .split(',')
      .map(item => item.trim())
      .filter(item => item !== '')
  }
  if (Array.isArray(value) && value.every(item => typeof item === 'string')) {
    return value.map(item => item.trim()).filter(item => item !== '')
  }
  throw badRequest(`error converting input for field "${field}": expected a list of strings`)
}

/** A boolean field (JSON boolean or "true"/"false"). */
export function booleanField(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === 'false') return value === 'true'
  throw badRequest(
    `error converting input ${JSON.stringify(value)} for field "${field}": cannot parse as bool`
  )
}

/** An integer field (JSON number or numeric string). */
export function integerField(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value)
  throw badRequest(
    `error converting input ${JSON.stringify(value)} for field "${field}": cannot parse as int`
  )
}

/** A string field. */
export function stringField(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw badRequest(`error converting input for field "${field}": expected a string`)
}

/** A map of strings (Vault's `meta`, `custom_metadata`): values of other scalar types are stringified. */
export function stringMap(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`error converting input for field "${field}": expected a map`)
  }
  const map: Record<string, string> = {}
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      throw badRequest(
        `error converting input for field "${field}": value of "${key}" is not a string`
      )
    }
    map[key] = String(item)
  }
  return map
}
