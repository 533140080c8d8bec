import { f as fromEnv } from './wiring-BDsDvvL1.js';
export { E as ENV_ACCOUNT_ID, a as ENV_CREDENTIAL_SCOPE, b as ENV_EXPIRATION, c as ENV_KEY, d as ENV_SECRET, e as ENV_SESSION } from './wiring-BDsDvvL1.js';
import './fingerprint-B6gmnTa9.js';
import 'node:crypto';
import 'node:path';
import 'node:os';
import 'node:fs/promises';
import 'node:stream';
import 'node:fs';
import 'node:https';
import 'node:process';



export { fromEnv };
