import type { ClientCache } from '../providers/provider.js'

/** The clients of one run, and what ends them once the run is over. */
export interface RunClients extends ClientCache {
  /**
   * Ends every client that asked to be ended, the last made first, each whatever the others did:
   * called once, when the run is over, whether it succeeded or not.
   */
  close(): Promise<void>
}

/**
 * The clients of one run, kept by key: made once, shared by every credential of the run. One per
 * run, never module-wide: two runs in one process (tests, the CLI) share nothing.
 */
export function createClientCache(): RunClients {
  const clients = new Map<string, unknown>()
  const closers: (() => Promise<void>)[] = []
  return {
    get<T>(key: string, make: () => T, close?: (client: T) => Promise<void>): T {
      if (!clients.has(key)) {
        const client = make()
        clients.set(key, client)
        if (close) closers.push(() => close(client))
      }
      // Each key is made by one provider, with one type: what it stored is what it reads back.
      return clients.get(key) as T
    },
    async close() {
      // A closer says what it could not do itself; one that throws anyway must not stop the rest.
      for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined)
    }
  }
}
