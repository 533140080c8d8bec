import type { ActionConfig } from '../config/rotation-config.js'
import { fieldHealthCheck } from '../document/document-fields.js'
import type { EngineDeps } from '../engine/rotation.js'
import type { Audit } from '../engine/outcome.js'
import type { Clock, Sleep, Targets } from '../engine/ports.js'
import type { RotationPlan } from '../engine/plan.js'
import { ActionError } from '../errors.js'
import { createHttpHealthCheck } from '../health/http-health-check.js'
import type { Logger } from '../logger.js'
import { PROVIDERS } from '../providers/index.js'
import type { ClientCache, PartDeps, Parts } from '../providers/provider.js'
import { sealForRecovery } from '../recovery/recovery-box.js'
import { loadSodium } from '../recovery/sodium.js'
import { createClientCache } from './clients.js'

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
   * writes. A run of one credential may leave it out.
   */
  clients?: ClientCache
}

/** Targets for a credential that publishes nothing (its value only lives in its store). */
const NO_TARGETS: Targets = {
  preflight: () => Promise.resolve([]),
  publish: () => Promise.resolve([])
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
  const http = config.healthCheck
    ? createHttpHealthCheck(config.healthCheck, { sleep, clock, log })
    : undefined
  // A document read from a store may hold fields no probe was meant to get: it sends one.
  const healthCheck = http && config.document ? fieldHealthCheck(http, config.document.field) : http
  const partDeps: PartDeps = {
    log,
    mask: secret => {
      deps.mask(secret)
    },
    clock,
    sleep,
    clients: deps.clients ?? createClientCache(),
    ...(healthCheck ? { healthCheck } : {})
  }
  const built = await Promise.all(PROVIDERS.map(provider => provider.assemble(config, partDeps)))
  const first = <K extends keyof Parts>(role: K): Parts[K] | undefined =>
    built.find(parts => parts[role] !== undefined)?.[role]
  const issuer = first('reader') ?? first('issuer')
  if (!issuer) {
    throw new ActionError(`No provider builds issuer ${config.issuer}`, {
      code: 'internal',
      phase: 'preflight'
    })
  }
  const store = first('store')
  const lock = first('lock')
  const check = first('healthCheck') ?? healthCheck
  const keepRetiring = first('keepRetiring')
  if (config.mode !== 'verify') loadSodium().catch(() => undefined)
  const recoveryKey = config.recoveryPublicKey
  return {
    issuer,
    ...(store && lock ? { store, lock } : {}),
    targets: first('targets') ?? NO_TARGETS,
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

/** The engine's orders from the configuration. */
export function planFrom(config: ActionConfig): RotationPlan {
  return {
    mode: config.mode,
    dryRun: config.publish.dryRun,
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
    lockTtlMs: config.store?.lockTtlMs ?? 0
  }
}
