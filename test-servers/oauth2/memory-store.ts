/**
 * The provider's storage: one in-memory map per server, so two servers in one test process never
 * share tokens, and the test helpers can ask which tokens of a grant are still usable.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider'

interface Entry {
  payload: AdapterPayload
  /** Epoch ms; undefined: does not expire. */
  expiresAt: number | undefined
}

/** All models' records of one provider, keyed by model name then id. */
export class MemoryStore {
  readonly #models = new Map<string, Map<string, Entry>>()

  /** The adapter the provider creates for one model (`AccessToken`, `RefreshToken`, `Grant`, ...). */
  adapterFor(modelName: string): Adapter {
    const entries = this.#entries(modelName)
    const live = (id: string): AdapterPayload | undefined => {
      const entry = entries.get(id)
      if (entry === undefined) return undefined
      if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
        entries.delete(id)
        return undefined
      }
      return entry.payload
    }
    const findBy = (field: 'uid' | 'userCode', value: string): AdapterPayload | undefined => {
      for (const id of entries.keys()) {
        const payload = live(id)
        if (payload?.[field] === value) return payload
      }
      return undefined
    }
    return {
      upsert: (id, payload, expiresIn) => {
        const expiresAt = expiresIn === undefined ? undefined : Date.now() + expiresIn * 1000
        entries.set(id, { payload: { ...payload }, expiresAt })
        return Promise.resolve()
      },
      find: id => Promise.resolve(live(id)),
      findByUid: uid => Promise.resolve(findBy('uid', uid)),
      findByUserCode: userCode => Promise.resolve(findBy('userCode', userCode)),
      consume: id => {
        const entry = entries.get(id)
        if (entry !== undefined) {
          entry.payload = { ...entry.payload, consumed: Math.floor(Date.now() / 1000) }
        }
        return Promise.resolve()
      },
      destroy: id => {
        entries.delete(id)
        return Promise.resolve()
      },
      revokeByGrantId: grantId => {
        for (const [id, entry] of entries) {
          if (entry.payload.grantId === grantId) entries.delete(id)
        }
        return Promise.resolve()
      }
    }
  }

  /** The unexpired records of one model that belong to `grantId`. */
  membersOf(modelName: string, grantId: string): AdapterPayload[] {
    const now = Date.now()
    return [...this.#entries(modelName).values()]
      .filter(entry => entry.payload.grantId === grantId)
      .filter(entry => entry.expiresAt === undefined || entry.expiresAt > now)
      .map(entry => entry.payload)
  }

  #entries(modelName: string): Map<string, Entry> {
    let entries = this.#models.get(modelName)
    if (entries === undefined) {
      entries = new Map()
      this.#models.set(modelName, entries)
    }
    return entries
  }
}
