import { _ as _isoDateTime, Z as ZodISODateTime, o as object, n as number, a as array, s as string, b as boolean, l as literal } from './schemas-D3_i4Iqf.js';

function datetime(params) {
    return _isoDateTime(ZodISODateTime, params);
}

/**
 * The write-ahead record of a rotation (DESIGN.md, "Write-ahead state"). It holds fingerprints and
 * times, never a value: it lives in a repository variable that anyone with read access can see.
 */
const HISTORY_KEPT_MAX = 50;
const HANDLE_LENGTH_MAX = 512;
const UNRETIRED_KEPT_MAX = 50;
const fingerprint = string().regex(/^[0-9a-f]{16}$/);
const time = datetime();
const version = object({ fingerprint, since: time });
/**
 * A version's public name where it was issued (`Minted.handle`): a lease, token or key id,
 * never a value. What an issuer that revokes by handle gets back.
 */
const handle = string().min(1).max(HANDLE_LENGTH_MAX);
/**
 * A published value known by its handle that may still be live: minted and not (yet) promoted, or
 * replaced while a target may still hold it. Revocable by handle, long after its value is gone.
 */
const handled = object({
    /** Fingerprint of the value. */
    fingerprint,
    handle,
    /** When the value expires on its own: past that, there is nothing left to revoke. */
    expiresAt: time.optional()
});
/** A value that is due to be retired (revoked) once its grace period is over. */
const retirement = object({
    /** Fingerprint of the published value to revoke (the old access token). */
    fingerprint,
    dueAt: time,
    /** When the value expires on its own: past that, there is nothing left to revoke. */
    expiresAt: time.optional(),
    /** Its handle, when it has one: an issuer that revokes by handle needs nothing else. */
    handle: handle.optional()
});
/**
 * One run of the record. A store that keeps only the newest run in full (AWS tags, 256 characters
 * each) keeps the others as their outcome alone: `ok` or `failed`.
 */
const runRecord = object({
    id: string().optional(),
    at: time.optional(),
    mode: string().optional(),
    /** The run's status (`rotated`, `not-due`, ...) or `failed: <code>`. */
    outcome: string()
});
const rotationStateSchema = object({
    schema: literal(1),
    /** The store's live credential (the refresh token in its secret). */
    current: version.optional(),
    /** The credential `current` replaced. */
    previous: version.optional(),
    /** A run is exchanging `current`: it may or may not be consumed. */
    minting: object({
        from: fingerprint,
        startedAt: time,
        run: string(),
        /** The run had a recovery key: a token it received is in its log, sealed. */
        recoverable: boolean().optional(),
        /**
         * The lock the run minted under, and the latest its lease can end (the lock's clock, not the
         * runner's): until then the run may still be minting, and the mark is not taken for stopped.
         */
        lease: object({ holder: string(), endsBy: time }).optional()
    })
        .optional(),
    /** A minted credential that is being persisted or was persisted but not yet promoted. */
    pending: object({
        fingerprint,
        mintedAt: time,
        run: string(),
        /** The run logged a recovery ciphertext of it. */
        recoverable: boolean(),
        /**
         * As for `minting`: until then the run that minted it may still be publishing and checking
         * it, and will promote it itself; it is cut short when that run ends.
         */
        lease: object({ holder: string(), endsBy: time }).optional(),
        /**
         * The value minted along with it, when the issuer gave it a handle: a run that resumes this
         * version still knows how to revoke that value once it is replaced.
         */
        minted: handled.optional(),
        /** The handle the minted version replaces (`Minted.replaces`), for a run that resumes it. */
        replaces: handle.optional()
    })
        .optional(),
    /** Fingerprints of earlier versions, newest first: a token among them is consumed. */
    history: array(fingerprint).max(HISTORY_KEPT_MAX).optional(),
    /** The published value (access token) now on the targets. */
    published: object({ fingerprint, at: time, expiresAt: time.optional(), handle: handle.optional() })
        .optional(),
    /**
     * Values known by handle, besides `published`, that may still be live: minted by a run that
     * stopped or failed before promoting them, or replaced while a target may still hold them. The
     * next promotion whose every target took the new value retires them (revoke-previous) or lets
     * them go. Newest first.
     */
    unretired: array(handled).max(UNRETIRED_KEPT_MAX).optional(),
    rotatedAt: time.optional(),
    consecutiveFailures: number().int().min(0),
    retirements: array(retirement),
    /** The last runs, newest first. */
    runs: array(runRecord)
});
/** How many runs the record keeps. */
const RUNS_KEPT = 10;
/** How many earlier versions the record remembers. */
const HISTORY_KEPT = 20;
/** How many unretired values the record keeps (a run of failures leaves one each). */
const UNRETIRED_KEPT = 20;
/** Makes `next` the current version, the current one previous, and remembers it as consumed. */
function replaceCurrent(state, next, since) {
    if (state.current?.fingerprint === next)
        return;
    if (state.current) {
        state.previous = state.current;
        state.history = [state.current.fingerprint, ...(state.history ?? [])].slice(0, HISTORY_KEPT);
    }
    state.current = { fingerprint: next, since };
}
/** The state before the first rotation. */
function emptyState() {
    return { schema: 1, consecutiveFailures: 0, retirements: [], runs: [] };
}
/** Whether a run of the record failed: `failed: <code>` in full, `failed` kept compact. */
function runFailed(run) {
    return run.outcome === 'failed' || run.outcome.startsWith('failed:');
}

export { RUNS_KEPT as R, UNRETIRED_KEPT as U, runFailed as a, rotationStateSchema as b, datetime as d, emptyState as e, replaceCurrent as r };
