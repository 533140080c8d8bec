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
  const secrets = [minted.value, minted.next].filter(secret => secret !== '')
  const unfit = (name: string, secret: string): string | undefined =>
    name.trim() === ''
      ? 'is empty'
      : secrets.some(value => name.includes(value))
        ? `holds ${secret} secret value`
        : undefined
  const { handle, replaces, ...rest } = minted
  const handleWhy = handle === undefined ? undefined : unfit(handle, 'its')
  const replacesWhy = replaces === undefined ? undefined : unfit(replaces, 'a')
  if (handleWhy === undefined && replacesWhy === undefined) return { minted }
  const kept: Minted = {
    ...rest,
    ...(handle !== undefined && handleWhy === undefined ? { handle } : {}),
    ...(replaces !== undefined && replacesWhy === undefined ? { replaces } : {})
  }
  const dropped = [
    ...(handleWhy
      ? [
          `The issuer named the new version with a handle that ${handleWhy}: it is not recorded, so this version cannot be revoked by handle; it expires on its own.`
        ]
      : []),
    ...(replacesWhy
      ? [
          `The issuer named the version it replaces with a handle that ${replacesWhy}: it is not recorded.`
        ]
      : [])
  ].join(' ')
  return { minted: kept, dropped }
}

/**
 * Takes `replaces` (`Minted.replaces`) as the handle of the published version the record names
 * without one; without any published version (a first rotation), records one: named by the
 * fingerprint of the value replaced when the run was given it, else by a stand-in fingerprint of
 * the handle (the value was never known to the run). A record that names the published version's
 * handle already keeps it: the record, not the issuer, knows what was published.
 * @param replaced the value the targets held, when the run was given it (`previous-value`)
 */
export function adoptReplaced(
  state: RotationState,
  replaces: string | undefined,
  at: string,
  replaced?: string
): void {
  if (replaces === undefined || state.published?.handle !== undefined) return
  state.published = state.published
    ? { ...state.published, handle: replaces }
    : {
        fingerprint: fingerprint(replaced ?? `replaced version ${replaces}`),
        at,
        handle: replaces
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
  const handles = new Set<string>(minted.handle === undefined ? [] : [minted.handle])
  for (const entry of candidates) {
    if (seen.has(entry.fingerprint) || handles.has(entry.handle)) continue
    if (entry.expiresAt !== undefined && Date.parse(entry.expiresAt) <= now) continue
    seen.add(entry.fingerprint)
    handles.add(entry.handle)
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
