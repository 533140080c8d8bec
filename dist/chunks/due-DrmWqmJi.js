/**
 * How close to its expiry a published value is rotated when only the interval is configured
 * (`rotate-before-expiry`, `schedule.before-expiry`, left unset).
 */
const DEFAULT_BEFORE_EXPIRY_MS = 15 * 60 * 1000;
/** The schedule a plan carries: the one mapping the engine and `mode: plan` both read. */
function scheduleOf(plan) {
    return {
        ...(plan.rotateIfOlderThanMs !== undefined ? { everyMs: plan.rotateIfOlderThanMs } : {}),
        ...(plan.rotateBeforeExpiryMs !== undefined
            ? { beforeExpiryMs: plan.rotateBeforeExpiryMs }
            : {}),
        ...(plan.windows ? { windows: plan.windows } : {})
    };
}
/** True when the schedule can hold a rotation back: without one, every run rotates. */
function hasSchedule(schedule) {
    return (schedule.everyMs !== undefined ||
        schedule.beforeExpiryMs !== undefined ||
        schedule.windows !== undefined);
}
/**
 * When a credential is next due for rotation, or undefined when it is due now: no schedule, never
 * rotated, a failed last run (the next run tries again), or a published value that has expired or
 * expires within `beforeExpiryMs` (a green "not due" over a dead secret would be the worst report
 * of all). Due at the earlier of the last rotation plus `everyMs` and the expiry less
 * `beforeExpiryMs`. Windows play no part here: see {@link whenDue}.
 */
function nextDueAt(state, schedule, now) {
    const { everyMs } = schedule;
    if (everyMs === undefined && schedule.beforeExpiryMs === undefined)
        return undefined;
    const last = state?.rotatedAt;
    if (last === undefined)
        return undefined;
    if ((state?.consecutiveFailures ?? 0) > 0)
        return undefined;
    const expires = state?.published?.expiresAt;
    const byExpiry = expires === undefined
        ? undefined
        : Date.parse(expires) - (schedule.beforeExpiryMs ?? DEFAULT_BEFORE_EXPIRY_MS);
    const byInterval = everyMs === undefined ? undefined : Date.parse(last) + everyMs;
    const candidates = [];
    if (byInterval !== undefined)
        candidates.push({ at: byInterval, by: 'interval' });
    if (byExpiry !== undefined)
        candidates.push({ at: byExpiry, by: 'expiry' });
    // Before-expiry alone with an issuer that gave no expiry cannot tell: the run rotates, as it
    // would with no schedule, rather than keep a value it knows nothing of.
    const first = candidates.sort((a, b) => a.at - b.at)[0];
    if (first === undefined || first.at <= now)
        return undefined;
    return { at: new Date(first.at), by: first.by };
}
/**
 * The one rule of the engine and of `mode: plan`: is a rotation due now under `schedule`, and may
 * it run (inside an allow window)? A record with a half-finished rotation (a pending version, a
 * minting mark) is finished at once, window or not: until then the user is unsure what the
 * targets hold, the one state a rotation must never leave behind.
 */
function whenDue(state, schedule, now) {
    if (state?.pending !== undefined || state?.minting !== undefined)
        return { due: true };
    const next = nextDueAt(state, schedule, now.getTime());
    const windows = schedule.windows;
    if (next) {
        const check = windows?.check(next.at);
        const rotatesAt = !check || check.open ? next.at : check.opensAt;
        return { due: false, why: 'not-due', next, ...(rotatesAt ? { rotatesAt } : {}) };
    }
    const check = windows?.check(now);
    if (check && !check.open) {
        return {
            due: false,
            why: 'not-in-window',
            ...(check.opensAt ? { rotatesAt: check.opensAt } : {})
        };
    }
    return { due: true };
}

export { DEFAULT_BEFORE_EXPIRY_MS as D, hasSchedule as h, scheduleOf as s, whenDue as w };
