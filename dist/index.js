import { coreDeps } from './chunks/core-deps-byIP5u94.js';
import { d as describeError } from './chunks/wording-DfC0u_vM.js';
import { r as run } from './chunks/main-CYEoi0yj.js';
import 'os';
import 'crypto';
import 'fs';
import 'path';
import './chunks/redaction-CMInhGxk.js';
import './chunks/results-BwlmK9n9.js';
import 'node:timers/promises';
import './chunks/inputs-Bh3i-bWy.js';
import 'node:fs';
import 'node:path';

// The action's entry: the only module with side effects. It wires the real collaborators into
// run() (which, called with no arguments as @github/local-action calls it, wires the same ones);
// everything else is a pure import.
const deps = coreDeps(process.env);
try {
    await run(deps);
}
catch (error) {
    // run() reports its own failures; this is the last guard, so nothing can exit green or bare.
    // Through the run's logger: an unforeseen error may quote a secret, or a line break.
    deps.log.error(`token-rotation-action stopped unexpectedly: ${describeError(error)}`);
    deps.markFailed();
}
