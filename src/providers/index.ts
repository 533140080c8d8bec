import { awsProvider } from './aws/index.js'
import { githubProvider } from './github/index.js'
import { gitlabProvider } from './gitlab/index.js'
import { httpProvider } from './http/index.js'
import { oauth2Provider } from './oauth2/index.js'
import type { IssuerCapabilities, Provider, StoreCapabilities } from './provider.js'
import { staticProvider } from './static/index.js'
import { vaultProvider } from './vault/index.js'

/**
 * The registry: every provider, one line each. The configuration's schema, its rules, the docs'
 * tables and the kinds a credential may name are read from here.
 */
export const PROVIDERS: readonly Provider[] = [
  githubProvider,
  oauth2Provider,
  awsProvider,
  vaultProvider,
  gitlabProvider,
  httpProvider,
  staticProvider
]

/** A set of providers and what the rules ask of them. */
export interface Registry {
  readonly providers: readonly Provider[]
  /** Every `issuer.kind`, in registry order. */
  issuerKinds(): string[]
  /** Every `store.kind`, in registry order. */
  storeKinds(): string[]
  /** What the issuer of `kind` can do; undefined for a kind no provider has. */
  issuerCapabilities(kind: string | undefined): IssuerCapabilities | undefined
  /** What the store of `kind` can do; undefined for a kind no provider has. */
  storeCapabilities(kind: string | undefined): StoreCapabilities | undefined
}

/** The registry of `providers`: the action's is {@link REGISTRY}; tests may add to it. */
export function createRegistry(providers: readonly Provider[]): Registry {
  const find = <T>(
    kind: string | undefined,
    roles: (provider: Provider) => Readonly<Record<string, T>> | undefined
  ): T | undefined => {
    for (const provider of providers) {
      const byKind = roles(provider) ?? {}
      // Own keys only: `toString` is no kind.
      if (kind !== undefined && Object.hasOwn(byKind, kind)) return byKind[kind]
    }
    return undefined
  }
  return {
    providers,
    issuerKinds: () => providers.flatMap(provider => Object.keys(provider.issuers ?? {})),
    storeKinds: () => providers.flatMap(provider => Object.keys(provider.stores ?? {})),
    issuerCapabilities: kind => find(kind, provider => provider.issuers),
    storeCapabilities: kind => find(kind, provider => provider.stores)
  }
}

/** The action's registry. */
export const REGISTRY: Registry = createRegistry(PROVIDERS)

/** Every `issuer.kind` of the action's registry. */
export function issuerKinds(): string[] {
  return REGISTRY.issuerKinds()
}

/** Every `store.kind` of the action's registry. */
export function storeKinds(): string[] {
  return REGISTRY.storeKinds()
}

/** What the issuer of `kind` can do, in the action's registry. */
export function issuerCapabilities(kind: string | undefined): IssuerCapabilities | undefined {
  return REGISTRY.issuerCapabilities(kind)
}

/** What the store of `kind` can do, in the action's registry. */
export function storeCapabilities(kind: string | undefined): StoreCapabilities | undefined {
  return REGISTRY.storeCapabilities(kind)
}
