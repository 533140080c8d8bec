import type { ClientCache } from '../providers/provider.js'

/**
 * The clients of one run, kept by key: made once, shared by every credential of the run. One per
 * run, never module-wide: two runs in one process (tests, the CLI) share nothing.
 */
export function createClientCache(): ClientCache {
  const clients = new Map<string, unknown>()
  return {
    get<T>(key: string, make: () => T): T {
      if (!clients.has(key)) clients.set(key, make())
      // Each key is made by one provider, with one type: what it stored is what it reads back.
      return clients.get(key) as T
    }
  }
}
