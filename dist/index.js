import { coreDeps } from './chunks/core-deps-CVMEaCqp.js';
import { d as describeError } from './chunks/wording-DfC0u_vM.js';
import { r as run } from './chunks/main-BsJGymdK.js';
import 'os';
import 'crypto';
import 'fs';
import 'path';
import 'http';
import 'https';
import 'net';
import 'tls';
import 'events';
import 'assert';
import 'util';
import './chunks/index-CnAiD6VR.js';
import 'node:assert';
import 'node:net';
import 'node:http';
import 'node:stream';
import 'node:buffer';
import 'node:util';
import 'node:querystring';
import 'node:events';
import 'node:diagnostics_channel';
import './chunks/_commonjsHelpers-Bgu_3bK-.js';
import 'node:tls';
import 'node:zlib';
import 'node:perf_hooks';
import 'node:util/types';
import 'node:worker_threads';
import 'node:url';
import 'node:async_hooks';
import 'node:console';
import 'node:dns';
import 'string_decoder';
import './chunks/logger-CEvuwfVS.js';
import './chunks/redaction-xVyV9imr.js';
import './chunks/results-6FR0Me-7.js';
import 'node:timers/promises';
import './chunks/inputs-Ck9cEsRc.js';
import 'node:fs';
import 'node:path';
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
