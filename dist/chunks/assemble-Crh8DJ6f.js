import { f as fieldHealthCheck } from './document-fields-st2JkOAC.js';
import { A as ActionError } from './wording-DfC0u_vM.js';
import { i as isExpectedStatus } from './health-config-_PSp9ekk.js';
import { b as buildProbeRequest, s as sendProbe } from './probe-DovEcpH6.js';
import { R as REGISTRY } from './index-ZGtGZO2-.js';
import { s as sealForRecovery } from './recovery-box-E37AF2I1.js';
import { l as loadSodium } from './sodium-DPz47DmG.js';
import './secret-document-BIjcvmXU.js';
import './loopback-CdUp0z11.js';
import './duration-Cyz5SPp-.js';
import './inputs-DUmnAx56.js';
import './lists-D2x1VrPX.js';
import './schemas-C2DzNk62.js';
import 'node:crypto';
import './recovery-key-DSxfYKGE.js';

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 15_000;
const ATTEMPT_TIMEOUT_MS = 10_000;
/**
 * The HTTP health check: probes the configured URL with the value until it answers an expected
 * status or `timeoutMs` (on the Clock) has passed, waiting 1 s, 2 s, 4 s ... (at most 15 s) between
 * attempts. Every failure is retried, 401 and 403 included, since a new credential can take a
 * while to reach every server of the issuer. The last attempt starts at the deadline at the latest
 * and takes at most its own deadline (10 s) beyond it.
 */
function createHttpHealthCheck(config, deps) {
    const fetcher = deps.fetch ?? globalThis.fetch;
    const attemptTimeoutMs = deps.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
    const now = () => deps.clock.now().getTime();
    return {
        description: describeProbe(config),
        async check(value) {
            const request = buildProbeRequest(config, value);
            if (!request) {
                return {
                    ok: false,
                    attempts: 0,
                    detail: 'the value cannot be sent in a header: it holds a line break, a control character or a character beyond Latin-1'
                };
            }
            const deadline = now() + config.timeoutMs;
            let delay = FIRST_DELAY_MS;
            for (let attempt = 1;; attempt++) {
                const outcome = await sendProbe(request, fetcher, attemptTimeoutMs);
                if (outcome.status !== undefined && isExpectedStatus(outcome.status, config.expect)) {
                    return { ok: true, attempts: attempt, detail: outcome.detail };
                }
                const left = deadline - now();
                if (left <= 0) {
                    deps.log.debug(`Health check attempt ${attempt}: ${outcome.detail}; giving up`);
                    return { ok: false, attempts: attempt, detail: outcome.detail };
                }
                const wait = Math.min(delay, left);
                deps.log.debug(`Health check attempt ${attempt}: ${outcome.detail}; next in ${wait} ms`);
                await deps.sleep(wait);
                delay = Math.min(delay * 2, MAX_DELAY_MS);
            }
        }
    };
}
/** `GET https://api.example.com/user`, the query left out: it may hold the value or another key. */
function describeProbe(config) {
    const [path = config.url, query] = config.url.split(/[?#]/, 2);
    return `${config.method} ${path}${query === undefined ? '' : '?…'}`;
}

/**
 * Every provider's targets as one: each is checked and written in turn, and the results are
 * listed together. None for a credential that publishes nothing (its value lives in its store).
 */
function allTargets(targets) {
    const each = async (act) => {
        const results = [];
        for (const target of targets)
            results.push(...(await act(target)));
        return results;
    };
    return {
        preflight: () => each(t => t.preflight()),
        publish: value => each(t => t.publish(value))
    };
}
/**
 * Builds the engine's parts for a validated configuration: every provider of the registry builds
 * the parts it plays in this credential, loading its SDK only then, and the parts are put
 * together here. Which provider plays which role the configuration's rules settled.
 */
async function assembleEngine(config, deps) {
    const { log, clock, sleep } = deps;
    const http = config.healthCheck
        ? createHttpHealthCheck(config.healthCheck, { sleep, clock, log })
        : undefined;
    // A document read from a store may hold fields no probe was meant to get: it sends one.
    const healthCheck = http && config.document ? fieldHealthCheck(http, config.document.field) : http;
    const partDeps = {
        log,
        mask: secret => {
            deps.mask(secret);
        },
        clock,
        sleep,
        clients: deps.clients,
        ...(deps.idToken ? { idToken: deps.idToken } : {}),
        ...(healthCheck ? { healthCheck } : {})
    };
    const registry = deps.registry ?? REGISTRY;
    const built = await Promise.all(registry.providers.map(provider => provider.assemble(config, partDeps)));
    const first = (role) => built.find(parts => parts[role] !== undefined)?.[role];
    const issuer = first('reader') ?? first('issuer');
    const store = first('store');
    const lock = first('lock');
    // The configuration's rules and the parts must agree: a store without its lock, or a record
    // asked for and no store, would run without the one-writer rule or lose what it minted.
    const revokes = registry.issuerCapabilities(config.issuer)?.revokes;
    const missing = !issuer
        ? `issuer ${config.issuer}`
        : config.store && !store
            ? `store ${config.store.kind}`
            : store && !lock
                ? `the lock of store ${config.store?.kind ?? ''}`
                : revokes !== undefined && (issuer.revokes ?? 'value') !== revokes
                    ? `issuer ${config.issuer} revoking by ${revokes}, as its capabilities say`
                    : undefined;
    if (!issuer || missing) {
        throw new ActionError(`No provider builds ${missing ?? ''}: this is a bug; please report it.`, {
            code: 'internal',
            phase: 'preflight'
        });
    }
    const check = first('healthCheck') ?? healthCheck;
    const keepRetiring = first('keepRetiring');
    if (config.mode !== 'verify')
        loadSodium().catch(() => undefined);
    const recoveryKey = config.recoveryPublicKey;
    return {
        issuer,
        // Passed as built: the engine refuses a store without a lock.
        ...(store ? { store } : {}),
        ...(lock ? { lock } : {}),
        targets: allTargets(built.flatMap(parts => (parts.targets ? [parts.targets] : []))),
        ...(check ? { healthCheck: check } : {}),
        ...(recoveryKey
            ? { sealForRecovery: (value) => sealForRecovery(value, recoveryKey) }
            : {}),
        onRecoveryCiphertext: ciphertext => {
            deps.onRecoveryCiphertext(ciphertext);
        },
        ...(keepRetiring ? { keepRetiring } : {}),
        clock,
        sleep,
        log,
        audit: deps.audit
    };
}
/** The engine's orders from the configuration. */
function planFrom(config) {
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
        lockTtlMs: config.store?.lockTtlMs ?? 0
    };
}

export { assembleEngine, planFrom };
