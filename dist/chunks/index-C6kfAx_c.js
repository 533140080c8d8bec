import { f as fromEnv } from './wiring-CS3Lg5AU.js';
export { E as ENV_ACCOUNT_ID, a as ENV_CREDENTIAL_SCOPE, b as ENV_EXPIRATION, c as ENV_KEY, d as ENV_SECRET, e as ENV_SESSION } from './wiring-CS3Lg5AU.js';
import './errors-CCnUE5kW.js';
import 'node:path';
import 'node:os';
import 'node:fs/promises';
import './backoff-CUn3El8i.js';
import './secret-document-BXmr69J9.js';
import 'node:crypto';
import './fingerprint-BIBL6_Db.js';
import './persist-retries-B2eAN27m.js';
import './duration-Cyz5SPp-.js';
import './state-C-1nfSln.js';
import './schemas-CCjUw_cu.js';
import 'node:stream';
import 'node:fs';
import 'node:https';
import 'node:process';



export { fromEnv };
