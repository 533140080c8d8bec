import { rotationStateSchema, type RotationState } from '../../engine/state.js'

/**
 * The rotation record kept in a KV v2 secret's custom_metadata: fingerprints, times, run names and
 * handles, never a value. Vault limits custom_metadata to 64 keys, each key to 128 bytes and each
 * value to 512 bytes, so the record's JSON is cut into numbered keys of at most {@link CHUNK}
 * characters (ASCII only, so characters are bytes). Keys this action did not write are kept.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2#custom_metadata
 */

/** The keys the record is cut into: `token-rotation-record-0`, `-1`, ... */
export const RECORD_PREFIX = 'token-rotation-record-'

/** Vault's limits on custom_metadata. */
export const CUSTOM_METADATA_LIMITS = { keys: 64, keyBytes: 128, valueBytes: 512 } as const

/** Characters per key: under the value limit. */
const CHUNK = 500
/** Keys the record may take at most, leaving the rest to the secret's owners. */
const MAX_CHUNKS = 32

/** How the record is thinned when it does not fit: the oldest entries go first. */
const THINNED: readonly ((state: RotationState) => RotationState)[] = [
  state => ({ ...state, runs: state.runs.slice(0, 5) }),
  state => ({ ...state, ...(state.history ? { history: state.history.slice(0, 5) } : {}) }),
  state => ({ ...state, runs: state.runs.slice(0, 1) }),
  state => ({ ...state, ...(state.unretired ? { unretired: state.unretired.slice(0, 5) } : {}) })
]

/** Whether `key` is one of the record's. */
export function isRecordKey(key: string): boolean {
  return key.startsWith(RECORD_PREFIX) && /^\d+$/.test(key.slice(RECORD_PREFIX.length))
}

/** The JSON of `state` with every non-ASCII character escaped: one byte per character. */
function asciiJson(state: RotationState): string {
  return JSON.stringify(state).replace(
    /[\u0080-\uffff]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  )
}

/** What {@link encodeRecord} made: the whole custom_metadata to write, or why it cannot. */
export type EncodedRecord =
  | { ok: true; customMetadata: Record<string, string>; thinned: boolean }
  | { ok: false; reason: string }

/**
 * The custom_metadata that holds `state` next to the secret's other keys (`existing`, whose own
 * record keys are replaced). Thins the record (older runs, older fingerprints) when it does not fit.
 */
export function encodeRecord(
  state: RotationState,
  existing: Readonly<Record<string, string>>
): EncodedRecord {
  const others = Object.fromEntries(Object.entries(existing).filter(([key]) => !isRecordKey(key)))
  const room = Math.min(MAX_CHUNKS, CUSTOM_METADATA_LIMITS.keys - Object.keys(others).length)
  let candidate = state
  for (let step = 0; ; step += 1) {
    const json = asciiJson(candidate)
    const chunks = Math.ceil(json.length / CHUNK)
    if (chunks <= room) {
      const customMetadata: Record<string, string> = { ...others }
      for (let i = 0; i < chunks; i += 1) {
        customMetadata[`${RECORD_PREFIX}${String(i)}`] = json.slice(i * CHUNK, (i + 1) * CHUNK)
      }
      return { ok: true, customMetadata, thinned: step > 0 }
    }
    const thin = THINNED[step]
    if (!thin) {
      return {
        ok: false,
        reason: `the rotation record needs ${chunks} custom_metadata keys and only ${room} are free (Vault allows ${CUSTOM_METADATA_LIMITS.keys}; the secret has ${Object.keys(others).length} of its own)`
      }
    }
    candidate = thin(candidate)
  }
}

/** What {@link decodeRecord} read. */
export type DecodedRecord =
  { ok: true; state: RotationState | undefined } | { ok: false; reason: string }

/** Reads the record back from custom_metadata; no record keys is no record (a first rotation). */
export function decodeRecord(customMetadata: Readonly<Record<string, string>>): DecodedRecord {
  let json = ''
  for (let i = 0; ; i += 1) {
    const chunk = customMetadata[`${RECORD_PREFIX}${String(i)}`]
    if (chunk === undefined) break
    json += chunk
  }
  if (json === '') return { ok: true, state: undefined }
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return { ok: false, reason: 'its record keys do not hold valid JSON (cut or edited by hand?)' }
  }
  const state = rotationStateSchema.safeParse(parsed)
  if (!state.success) {
    return { ok: false, reason: 'its record keys do not hold a rotation record this action wrote' }
  }
  return { ok: true, state: state.data }
}
