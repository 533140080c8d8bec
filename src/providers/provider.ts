import type * as z from 'zod'
import type { InputName, RawInputs } from '../config/inputs.js'
import type {
  ActionConfig,
  ActionContext,
  ProviderSlices,
  StoreConfig
} from '../config/rotation-config.js'
import type { Mode } from '../engine/plan.js'
import type { InputProblem } from '../errors.js'
import type { Clock, HealthCheck, Issuer, Lock, Sleep, Store, Targets } from '../engine/ports.js'
import type { Logger } from '../logger.js'

/**
 * How a key of the configuration file is written, and so how it becomes its flat input's text:
 * - `text`: a string, taken as it is;
 * - `secret`: only `{ env: NAME }`, read from the step's environment (a secret is never written
 *   in the file);
 * - `list`: a list of strings (or one string), joined with commas;
 * - `flag`: true or false;
 * - `count`: a whole number;
 * - `object`: a mapping checked by the key's own {@link FileKey.schema} (an HTTP issuer's
 *   `create: { method, url, body }`), file-only, whose value (its `{ env: NAME }` secrets read)
 *   the provider finds in {@link FileSlice.objects}.
 */
export type KeyType = 'text' | 'secret' | 'list' | 'flag' | 'count' | 'object'

/** The groups of a credential whose keys are objects; `publish` is a list, described apart. */
export const CREDENTIAL_GROUPS = [
  'issuer',
  'store',
  'health-check',
  'schedule',
  'retire',
  'alerts'
] as const

export type CredentialGroup = (typeof CREDENTIAL_GROUPS)[number]

/** One key of a credential in the configuration file, and the flat input it stands for. */
export interface FileKey {
  /** Its group in a credential (`issuer`), or '' for a key of the credential itself. */
  readonly group: CredentialGroup | ''
  readonly key: string
  /**
   * The flat input it stands for; absent for a key only the file has, whose value the provider
   * reads from {@link FileSlice.keys} (`store.mount`).
   */
  readonly input?: InputName
  readonly type: KeyType
  /** Allowed values, when the key takes one of a few words. */
  readonly values?: readonly string[]
  /** The shape of an `object` key's value. */
  readonly schema?: z.ZodType
}

/**
 * What an issuer can do, as data the configuration's rules read instead of its name (DESIGN.md:
 * "a provider declares capabilities that the rules read").
 */
export interface IssuerCapabilities {
  /**
   * It exchanges the credential it is given for a new one, and the old one dies (a rotating
   * refresh token): an old version must never be presented again, so nothing rolls back to it.
   */
  readonly consumesInput: boolean
  /**
   * How a replaced published value is revoked: by the value itself (RFC 7009), or by its public
   * handle (a lease, token or key id) kept in the record; absent, it is not revoked at all.
   */
  readonly revokes?: 'value' | 'handle'
  /**
   * It mints nothing: the value is given as it is, or read from the store (a sync), so the
   * credential keeps no record of its own rotations.
   */
  readonly given?: boolean
  /**
   * It can tell when a version it issued was last used ({@link Issuer.lastUsed}), so a retirement
   * may wait until the old version has gone unused for a while (`retire.when-unused-for`), and how
   * stale what it says may be: a use within `resolutionMs` may not show yet (GitLab records
   * `last_used_at` at most every 10 minutes), so a shorter quiet time would prove nothing.
   */
  readonly reportsLastUse?: { readonly resolutionMs: number }
}

/** What a store can do, as data the rules read. */
export interface StoreCapabilities {
  /** It keeps the replaced version, so mode `rollback` can make it current again. */
  readonly keepsVersions: boolean
  /**
   * The run can read the live credential from it (AWS Secrets Manager), so no input carries it;
   * a GitHub secret only the workflow can read.
   */
  readonly readsLive: boolean
}

/**
 * One outside system and every role it plays: the unit of extension. A new provider is a folder
 * under src/providers/ with its descriptor, and one line in the registry (src/providers/index.ts).
 */
export interface Provider {
  readonly name: string
  /** Issuer kinds (`issuer.kind`) it provides, each with its capabilities. */
  readonly issuers?: Readonly<Record<string, IssuerCapabilities>>
  /** Store kinds (`store.kind`) it provides. */
  readonly stores?: Readonly<Record<string, StoreCapabilities>>
  /** The key of a `publish` entry it writes (`github`), with that entry's keys. */
  readonly target?: { readonly key: string; readonly keys: readonly FileKey[] }
  /** Keys of a credential it owns in the configuration file, with the flat inputs they map to. */
  readonly keys: readonly FileKey[]
  /**
   * Sections of a credential it owns in the configuration file, each checked by its zod schema
   * (`vault: { address, auth: { … } }`): what does not fit one key per flat input. A secret in a
   * section is written `{ env: NAME }` (use `secretReference`), and the provider gets the value.
   * Credentials that share one may name it instead (`vault: team-a`), written once under the
   * file's `connections:` (`connections: { vault: { team-a: { … } } }`).
   */
  readonly sections?: Readonly<Record<string, z.ZodType>>
  /**
   * Flat inputs that mean something only when this provider plays the role it names: set
   * without it, they are refused, naming what to set instead.
   */
  readonly only?: {
    readonly role: string
    readonly inputs: readonly InputName[]
    readonly hint: string
  }
  /** Its page in docs/, for the generated tables. */
  readonly docs: string
  /**
   * The store kind it claims for a credential whose `store` input is empty (AWS: whenever
   * `store-secret-id` is set); undefined when it claims none. Without a claim, the first store.
   */
  defaultStore?(raw: RawInputs, issuer: string): string | undefined
  /**
   * Validates and records its inputs for the roles it plays in one credential (issuer, store), on
   * the draft every provider fills in turn.
   */
  configure?(draft: Draft): void
  /**
   * Validates and records its targets' inputs, once every provider has configured its roles:
   * what the targets publish depends on where the others found the value.
   */
  configureTargets?(draft: Draft): void
  /** What it says of the roles it plays in a credential: the plan's lines, names, advice. */
  describe?(config: ActionConfig): PartReport
  /**
   * Refuses, before any write, credentials that together ask more of its API than it allows
   * (GitHub's hourly budget of writes, per token): the credentials of one run, or of one plan.
   */
  refuse?(configs: readonly ActionConfig[]): string | undefined
  /**
   * Alerts where people look (GitHub: an issue in the workflow's repository) once a credential
   * has failed `threshold` runs in a row, and says so again when it recovers. Never throws: a
   * problem here is a warning.
   * @param redact removes every registered secret from what the alert says
   */
  alert?(
    config: ActionConfig,
    alert: CredentialAlert,
    deps: { log: Logger; redact: (text: string) => string }
  ): Promise<void>
  /**
   * Builds the engine's parts this provider plays in a credential (none when it plays no role
   * there), loading its SDK or client only now: a run pays for the providers it uses.
   */
  assemble(config: ActionConfig, deps: PartDeps): Promise<Parts>
}

/**
 * The run's clients, one per API and credential: a provider asks here rather than building its
 * own, so the credentials of one run share one client, and one limiter paces all their writes
 * (GitHub's budget is per token, not per credential).
 */
export interface ClientCache {
  /**
   * The client under `key`, made by `make` the first time it is asked for.
   * @param close ends what the client holds once the run is over, whatever happened (Vault:
   *   revokes the run's own login token); it never throws, and says what it could not do
   */
  get<T>(key: string, make: () => T, close?: (client: T) => Promise<void>): T
}

/** What a provider's parts need from the run. */
export interface PartDeps {
  log: Logger
  /** Masks a secret from now on, in every encoding it can take. */
  mask(secret: string): void
  clock: Clock
  sleep: Sleep
  clients: ClientCache
  /**
   * The workflow's OpenID Connect token for `audience` (GitHub Actions, with `id-token: write`),
   * for a login that needs no long-lived secret. Absent where the run has none (a CLI run reads
   * its CI's token from an environment variable instead, which its configuration names).
   */
  idToken?: (audience: string) => Promise<string>
  /**
   * The health check the credential configures (an HTTP probe, or a command that takes a JSON value
   * whole: {@link HealthCheck.takesDocument}), before any provider wraps it.
   */
  healthCheck?: HealthCheck
}

/**
 * The parts one provider builds for one credential. A role is filled by one provider: the
 * configuration's rules saw to that before any part was built.
 */
export interface Parts {
  issuer?: Issuer
  /**
   * Reads the published value from this provider's store, for a credential whose issuer mints
   * nothing (`issuer: none` with a store that holds the value: a sync).
   */
  reader?: Issuer
  store?: Store
  /** The one-writer lock of the credential's store, wherever that store lives. */
  lock?: Lock
  targets?: Targets
  /** Replaces the configured health check (AWS waits for its replicas before checking). */
  healthCheck?: HealthCheck
  /** Keeps a replaced value until its deferred revocation, for an issuer that revokes by value. */
  keepRetiring?(value: string): Promise<void>
}

/**
 * One credential's configuration while the providers fill it in: what the run chose (kinds and
 * mode) and the inputs, then what each provider found. Problems name the input and what to do.
 */
export interface Draft {
  readonly raw: RawInputs
  readonly context: ActionContext
  /** The issuer and store kinds, when they are valid ones; the store is chosen even for a sync. */
  readonly issuer: string | undefined
  readonly store: string | undefined
  /** What the issuer can do, when its kind is valid. */
  readonly issues: IssuerCapabilities | undefined
  readonly mode: Mode | undefined
  add: (input: InputName, message: string) => void
  /** Adds problems a parser found, each naming its input. */
  report: (problems: readonly InputProblem[]) => void
  /** What the configuration file gives this credential beyond its flat inputs. */
  readonly file: FileSlice
  /** Each provider's settings, under its name. */
  slices: ProviderSlices
  /** The store and its lock, when the credential keeps a record. */
  storeConfig?: Omit<StoreConfig, 'lockTtlMs'>
  /**
   * Set by the store's provider when the credential keeps a record, even if its inputs were
   * wrong: the record's own inputs (`state-variable`) then apply.
   */
  keepsRecord?: boolean
  /** Where the published value comes from; the issuer's unless a provider reads it from its store. */
  valueFrom: 'issuer' | 'store'
  /** The input that names where the value is read, for messages (`store-secret-id`). */
  valueInput?: InputName
  /** Set when the value is a document: see {@link ActionConfig.document}. */
  document?: { field?: string }
  /** More secrets written from the value's fields (`secret-fields`). */
  fieldMappings: ActionConfig['fieldMappings']
  /** How long the run may wait on the issuer besides the mint (AWS's rotation Lambda). */
  issuerWaitMs: number
  /** The targets' settings, set by the provider that writes them. */
  publish?: ActionConfig['publish']
}

/**
 * What the configuration file gives a credential beyond its flat inputs, with every `{ env: NAME }`
 * already read (and masked). Empty for a run of flat inputs.
 */
export interface FileSlice {
  /** The credential's id in the file (`capgo-key`); absent for a run of flat inputs. */
  readonly credential?: string
  /** Keys without a flat input, as text, by key path: `store.mount`. */
  readonly keys: Readonly<Record<string, string>>
  /**
   * Providers' sections ({@link Provider.sections}), checked by their schemas, by name; a section
   * that named a connection is that connection's entry.
   */
  readonly sections: Readonly<Record<string, unknown>>
  /** The values of `object` keys, checked by their schemas, by key path: `issuer.create`. */
  readonly objects: Readonly<Record<string, unknown>>
  /**
   * `publish` entries of targets whose keys have no flat inputs, in the file's order: `key` is
   * the entry's target (`gitlab`), `index` its place in `publish`, for messages.
   */
  readonly targets: readonly {
    key: string
    index: number
    entry: Readonly<Record<string, unknown>>
  }[]
}

/** The file slice of a run of flat inputs. */
export const NO_FILE: FileSlice = Object.freeze({
  keys: Object.freeze({}),
  sections: Object.freeze({}),
  objects: Object.freeze({}),
  targets: Object.freeze([])
})

/** What a provider says of its part in a credential, for the plan, the log and the report. */
export interface PartReport {
  /** Its lines of the plan about where the value comes from and is kept, in the log. */
  readonly lines?: readonly string[]
  /** Its lines of the plan about where the value is published: printed after every `lines`. */
  readonly targetLines?: readonly string[]
  /** What it writes, for headlines: the secrets' names. */
  readonly names?: readonly string[]
  /** How many writes a rotation makes. */
  readonly writes?: number
  /** Worth a warning before the run (rate limits ahead). */
  readonly warnings?: readonly Remark[]
  /** Worth a notice: a cheaper way to the same end; the summary repeats it. */
  readonly notices?: readonly Remark[]
}

/** A remark of a provider's: an annotation's title and its text. */
export interface Remark {
  readonly title: string
  readonly message: string
}

/** What an alert says of a credential's recent runs. Holds no value. */
export interface CredentialAlert {
  /** The credential, as the title names it: the refresh-token secret. */
  subject: string
  failed: boolean
  /** Failed runs in a row, this one included. */
  failures: number
  /**
   * Failed runs in a row before this one, as the record said; absent when the record names no
   * earlier run (a first run, or a record deleted to start afresh).
   */
  previousFailures?: number
  /** Failures in a row that open the issue. */
  threshold: number
  /** Why this run failed (safe to print). */
  reason?: string
  runUrl?: string
}
