import type { HealthCheckConfig } from '../config/health-config.js'
import type { ActionConfig } from '../config/rotation-config.js'
import { fieldHealthCheck } from '../document/document-fields.js'
import type { EngineDeps } from '../engine/rotation.js'
import type { Audit } from '../engine/outcome.js'
import type { Clock, HealthCheck, Sleep, TargetResult, Targets } from '../engine/ports.js'
import type { RotationPlan } from '../engine/plan.js'
import { ActionError } from '../errors.js'
import { createCommandHealthCheck } from '../health/command-health-check.js'
import { createHttpHealthCheck } from '../health/http-health-check.js'
import type { Logger } from '../logger.js'
import { REGISTRY, type Registry } from '../providers/index.js'
import type { ClientCache, PartDeps, Parts } from '../providers/provider.js'
import { sealForRecovery } from '../recovery/recovery-box.js'
import { loadSodium } from '../recovery/sodium.js'

/** What the parts need from the run. */
export interface AssemblyDeps {
  log: Logger
  mask(secret: string): void
  clock: Clock
  sleep: Sleep
  audit: Audit
  onRecoveryCiphertext(ciphertext: string): void
  /**
   * The run's clients: every credential of a run shares them, so one limiter paces all their
   * writes; the run closes them when it is over.
   */
  clients: ClientCache
  /** The workflow's OpenID Connect token, where the run has one: see {@link PartDeps.idToken}. */
  idToken?: (audience: string) => Promise<string>
  /** The providers; the action's own unless a test adds one. */
  registry?: Registry
  /**
   * The run's redactor. A command health check quotes a line of its stderr only through it, so a
   * run without it quotes none.
   */
  redact?: (text: string) => string
  /** The runner's environment, which a command health check inherits; the process's own if absent. */
  env?: Readonly<Record<string, string | undefined>>
  /** Where a command health check runs: the workspace; the current directory if absent. */
  workspace?: string
}

/**
 * Every provider's targets as one: each is checked and written in turn, and the results are
 * listed together. None for a credential that publishes nothing (its value lives in its store).
 */
function allTargets(targets: readonly Targets[]): Targets {
  const each = async (act: (t: Targets) => Promise<TargetResult[]>) => {
    const results: TargetResult[] = []
    for (const target of targets) results.push(...(await act(target)))
    return results
  }
  return {
    preflight: () => each(t => t.preflight()),
    publish: value => each(t => t.publish(value))
  }
}

/**
 * Builds the engine's parts for a validated configuration: every provider of the registry builds
 * the parts it plays in this credential, loading its SDK only then, and the parts are put
 * together here. Which provider plays which role the configuration's rules settled.
 */
export async function assembleEngine(
  config: ActionConfig,
  deps: AssemblyDeps
): Promise<EngineDeps> {
  const { log, clock, sleep } = deps
  const healthCheck = config.healthCheck
    ? buildHealthCheck(config, config.healthCheck, deps)
    : undefined
  const partDeps: PartDeps = {
    log,
    mask: secret => {
      deps.mask(secret)
    },
    clock,
    sleep,
    clients: deps.clients,
    ...(deps.idToken ? { idToken: deps.idToken } : {}),
    ...(healthCheck ? { healthCheck } : {})
  }
  const registry = deps.registry ?? REGISTRY
  const built = await Promise.all(
    registry.providers.map(provider => provider.assemble(config, partDeps))
  )
  const first = <K extends keyof Parts>(role: K): Parts[K] | undefined =>
    built.find(parts => parts[role] !== undefined)?.[role]
  const issuer = first('reader') ?? first('issuer')
  const store = first('store')
  const lock = first('lock')
  // The configuration's rules and the parts must agree: a store without its lock, or a record
  // asked for and no store, would run without the one-writer rule or lose what it minted.
  const revokes = registry.issuerCapabilities(config.issuer)?.revokes
  const missing = !issuer
    ? `issuer ${config.issuer}`
    : config.store && !store
      ? `store ${config.store.kind}`
      : store && !lock
        ? `the lock of store ${config.store?.kind ?? ''}`
        : revokes !== undefined && (issuer.revokes ?? 'value') !== revokes
          ? `issuer ${config.issuer} revoking by ${revokes}, as its capabilities say`
          : undefined
  if (!issuer || missing) {
    throw new ActionError(`No provider builds ${missing ?? ''}: this is a bug; please report it.`, {
      code: 'internal',
      phase: 'preflight'
    })
  }
  const check = first('healthCheck') ?? healthCheck
  const keepRetiring = first('keepRetiring')
  if (config.mode !== 'verify') loadSodium().catch(() => undefined)
  const recoveryKey = config.recoveryPublicKey
  return {
    issuer,
    // Passed as built: the engine refuses a store without a lock.
    ...(store ? { store } : {}),
    ...(lock ? { lock } : {}),
    targets: allTargets(built.flatMap(parts => (parts.targets ? [parts.targets] : []))),
    ...(check ? { healthCheck: check } : {}),
    ...(recoveryKey
      ? { sealForRecovery: (value: string) => sealForRecovery(value, recoveryKey) }
      : {}),
    onRecoveryCiphertext: ciphertext => {
      deps.onRecoveryCiphertext(ciphertext)
    },
    ...(keepRetiring ? { keepRetiring } : {}),
    clock,
    sleep,
    log,
    audit: deps.audit
  }
}

/** The configured health check: an HTTP probe, or a command run on this machine. */
function buildHealthCheck(
  config: ActionConfig,
  health: HealthCheckConfig,
  deps: AssemblyDeps
): HealthCheck {
  const { log, clock, sleep } = deps
  if (health.kind === 'command') {
    // The command runs here and gets the value whole, each field in its own variable.
    return createCommandHealthCheck(health, {
      log,
      clock,
      sleep,
      mask: secret => {
        deps.mask(secret)
      },
      ...(deps.redact ? { redact: deps.redact } : {}),
      ...(deps.env ? { env: deps.env } : {}),
      ...(deps.workspace !== undefined ? { cwd: deps.workspace } : {})
    })
  }
  const http = createHttpHealthCheck(health, { sleep, clock, log })
  // A document read from a store may hold fields no probe was meant to get: it sends one.
  return config.document ? fieldHealthCheck(http, config.document.field) : http
}

/** The engine's orders from the configuration. */
export function planFrom(config: ActionConfig): RotationPlan {
  return {
    mode: config.mode,
    dryRun: config.dryRun,
    runId: config.runId,
    input: config.refreshToken,
    ...(config.previousValue !== undefined ? { previousValue: config.previousValue } : {}),
    ...(config.retiringValue !== undefined ? { retiringValue: config.retiringValue } : {}),
    ...(config.rotateIfOlderThanMs !== undefined
      ? { rotateIfOlderThanMs: config.rotateIfOlderThanMs }
      : {}),
    ...(config.rotateBeforeExpiryMs !== undefined
      ? { rotateBeforeExpiryMs: config.rotateBeforeExpiryMs }
      : {}),
    ...(config.windows ? { windows: config.windows } : {}),
    revokePrevious: config.revokePrevious,
    gracePeriodMs: config.gracePeriodMs,
    ...(config.retireWhenUnusedForMs !== undefined
      ? { retireWhenUnusedForMs: config.retireWhenUnusedForMs }
      : {}),
    lockTtlMs: config.store?.lockTtlMs ?? 0
  }
}
