// The rotation record in a KV secret's custom_metadata: cut into keys within Vault's limits (64
// keys, 128-byte keys, 512-byte values), read back whole, the secret's own keys kept.
import { describe, expect, it } from '@jest/globals'
import { emptyState, type RotationState } from '../../../src/engine/state.js'
import {
  CUSTOM_METADATA_LIMITS,
  decodeRecord,
  encodeRecord,
  isRecordKey
} from '../../../src/providers/vault/record.js'

const FP = (n: number) => n.toString(16).padStart(16, '0')
const AT = '2026-12-01T10:00:00.000Z'

function bigState(): RotationState {
  return {
    ...emptyState(),
    current: { fingerprint: FP(1), since: AT },
    history: Array.from({ length: 20 }, (_, i) => FP(100 + i)),
    retirements: [
      { fingerprint: FP(2), dueAt: AT, handle: 'lease=database/creds/app/x accessor=y' }
    ],
    unretired: Array.from({ length: 20 }, (_, i) => ({
      fingerprint: FP(200 + i),
      handle: `lease=database/creds/app/${'a'.repeat(36)}-${String(i)} accessor=${'b'.repeat(24)}`
    })),
    runs: Array.from({ length: 10 }, (_, i) => ({
      id: `run ${String(1000 + i)} attempt 1 — ünïcode`,
      at: AT,
      mode: 'rotate',
      outcome: 'rotated'
    }))
  }
}

function withinLimits(custom: Record<string, string>): void {
  expect(Object.keys(custom).length).toBeLessThanOrEqual(CUSTOM_METADATA_LIMITS.keys)
  for (const [key, value] of Object.entries(custom)) {
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(CUSTOM_METADATA_LIMITS.keyBytes)
    expect(Buffer.byteLength(value)).toBeLessThanOrEqual(CUSTOM_METADATA_LIMITS.valueBytes)
  }
}

describe('the record in custom_metadata', () => {
  it('is cut into keys within Vault limits and read back as it was, non-ASCII included', () => {
    const state = bigState()
    const encoded = encodeRecord(state, { owner: 'team-payments' })
    if (!encoded.ok) throw new Error(encoded.reason)
    withinLimits(encoded.customMetadata)
    expect(encoded.thinned).toBe(false)
    expect(encoded.customMetadata.owner).toBe('team-payments')
    expect(Object.keys(encoded.customMetadata).filter(isRecordKey).length).toBeGreaterThan(1)
    expect(decodeRecord(encoded.customMetadata)).toEqual({ ok: true, state })
  })

  it('replaces its own earlier keys, so a shorter record leaves no stale chunk', () => {
    const long = encodeRecord(bigState(), {})
    if (!long.ok) throw new Error(long.reason)
    const short = encodeRecord(emptyState(), long.customMetadata)
    if (!short.ok) throw new Error(short.reason)
    expect(Object.keys(short.customMetadata)).toEqual(['token-rotation-record-0'])
    expect(decodeRecord(short.customMetadata)).toEqual({ ok: true, state: emptyState() })
  })

  it('thins the oldest runs and fingerprints when the secret leaves few keys free', () => {
    const others = Object.fromEntries(Array.from({ length: 56 }, (_, i) => [`k${String(i)}`, 'v']))
    const encoded = encodeRecord(bigState(), others)
    if (!encoded.ok) throw new Error(encoded.reason)
    withinLimits(encoded.customMetadata)
    expect(encoded.thinned).toBe(true)
    const decoded = decodeRecord(encoded.customMetadata)
    if (!decoded.ok || !decoded.state) throw new Error('not decoded')
    expect(decoded.state.current).toEqual(bigState().current)
    expect(decoded.state.retirements).toEqual(bigState().retirements)
    expect(decoded.state.runs.length).toBeLessThan(10)
  })

  it('says why when even a thinned record cannot fit', () => {
    const others = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${String(i)}`, 'v']))
    const encoded = encodeRecord(emptyState(), others)
    expect(encoded.ok).toBe(false)
    if (!encoded.ok) expect(encoded.reason).toMatch(/0 are free/)
  })

  it('reads no record as a first rotation, and an edited one as unreadable', () => {
    expect(decodeRecord({ owner: 'x' })).toEqual({ ok: true, state: undefined })
    expect(decodeRecord({ 'token-rotation-record-0': '{"schema":1,' }).ok).toBe(false)
    expect(decodeRecord({ 'token-rotation-record-0': '{"schema":2}' }).ok).toBe(false)
  })
})
