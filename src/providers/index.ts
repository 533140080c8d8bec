import { awsProvider } from './aws/index.js'
import { githubProvider } from './github/index.js'
import { oauth2Provider } from './oauth2/index.js'
import type { IssuerCapabilities, Provider, StoreCapabilities } from './provider.js'
import { staticProvider } from './static/index.js'

/**
 * The registry: every provider, one line each. The configuration's schema, its rules, the docs'
 * tables and the kinds a credential may name are read from here.
 */
export const PROVIDERS: readonly Provider[] = [
  githubProvider,
  oauth2Provider,
  awsProvider,
  staticProvider
]

/** Every `issuer.kind`, in registry order. */
export function issuerKinds(): string[] {
  return PROVIDERS.flatMap(provider => Object.keys(provider.issuers ?? {}))
}

/** Every `store.kind`, in registry order. */
export function storeKinds(): string[] {
  return PROVIDERS.flatMap(provider => Object.keys(provider.stores ?? {}))
}

/** What the issuer of `kind` can do; undefined for a kind no provider has. */
export function issuerCapabilities(kind: string | undefined): IssuerCapabilities | undefined {
  for (const provider of PROVIDERS) {
    const issuers = provider.issuers ?? {}
    // Own keys only: `toString` is no issuer.
    if (kind !== undefined && Object.hasOwn(issuers, kind)) return issuers[kind]
  }
  return undefined
}

/** What the store of `kind` can do; undefined for a kind no provider has. */
export function storeCapabilities(kind: string | undefined): StoreCapabilities | undefined {
  for (const provider of PROVIDERS) {
    const stores = provider.stores ?? {}
    if (kind !== undefined && Object.hasOwn(stores, kind)) return stores[kind]
  }
  return undefined
}
