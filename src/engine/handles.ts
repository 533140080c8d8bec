import { fingerprint } from './fingerprint.js'
import type { Minted, Retired } from './ports.js'
import { UNRETIRED_KEPT, type Handled, type RotationState } from './state.js'

// Handles (Minted.handle): the public names of minted values that an issuer revoking by handle
// gets back. The record keeps them, never the values they name.

/**
 * `minted` as the record may keep it: without a handle that holds one of its secrets (an issuer's
 * mistake that would put a value into a record anyone with read access sees). Says why when it
 * drops one, without repeating it.
 */
export function screenHandle(minted: Minted): { minted: Minted; dropped?: string } {
  const { handle, ...rest } = minted
  if (handle === undefined) return { minted }
  const secrets = [minted.value, minted.next].filter(secret => secret !== '')
  if (handle.trim() !== '' && !secrets.some(secret => handle.includes(secret))) return { minted }
  return {
    minted: rest,
    dropped: `The issuer named the new version with a handle that ${handle.trim() === '' ? 'is empty' : 'holds its secret value'}: it is not recorded, so this version cannot be revoked by handle; it expires on its own.`
  }
}

/** The record's entry for a minted value with a handle; undefined without one. */
export function handledOf(minted: Minted): Handled | undefined {
  if (minted.handle === undefined) return undefined
  return {
    fingerprint: fingerprint(minted.value),
    handle: minted.handle,
    ...(minted.expiresAt ? { expiresAt: minted.expiresAt.toISOString() } : {})
  }
}

/**
 * The values known by handle that a promotion of `minted` replaces: the published one and the
 * unretired ones, newest first, without `minted` itself and without those expired at `now`.
 */
export function replacedHandled(state: RotationState, minted: Minted, now: number): Handled[] {
  const published = state.published
  const candidates = [
    ...(published?.handle !== undefined
      ? [
          {
            fingerprint: published.fingerprint,
            handle: published.handle,
            ...(published.expiresAt ? { expiresAt: published.expiresAt } : {})
          }
        ]
      : []),
    ...(state.unretired ?? [])
  ]
  const own = fingerprint(minted.value)
  const seen = new Set<string>([own])
  const replaced: Handled[] = []
  for (const entry of candidates) {
    if (seen.has(entry.fingerprint) || entry.handle === minted.handle) continue
    if (entry.expiresAt !== undefined && Date.parse(entry.expiresAt) <= now) continue
    seen.add(entry.fingerprint)
    replaced.push(entry)
  }
  return replaced
}

/** Adds `entries` to the front of the record's unretired values, keeping the newest. */
export function addUnretired(state: RotationState, ...entries: Handled[]): void {
  const kept = [...entries, ...(state.unretired ?? [])]
  const unique = kept.filter(
    (entry, i) => kept.findIndex(other => other.fingerprint === entry.fingerprint) === i
  )
  if (unique.length > 0) state.unretired = unique.slice(0, UNRETIRED_KEPT)
}

/** A retired version for the report: its fingerprint, and its handle (public) when it has one. */
export function describeRetired(retired: Retired): string {
  return retired.by === 'handle'
    ? `${retired.fingerprint} (handle ${retired.handle})`
    : retired.fingerprint
}
