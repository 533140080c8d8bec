import { coreDeps } from './chunks/core-deps-CnTSVUwQ.js';
import { d as describeError } from './chunks/errors-DDD4RsHd.js';
import { r as run } from './chunks/main-CAsI0DTo.js';
import 'os';
import 'crypto';
import 'fs';
import 'path';
import './chunks/logger-CEvuwfVS.js';
import './chunks/redaction-Cn2Yd9gW.js';
import './chunks/results-D1YWpyhU.js';
import 'node:timers/promises';
import './chunks/inputs-Ck9cEsRc.js';
import 'node:fs';
import 'node:path';
import './chunks/wording-CXsTWj4t.js';
import './chunks/identity-C2FKYTys.js';

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
