import { f as fromEnv } from './wiring-DpEzzSUU.js';
export { E as ENV_ACCOUNT_ID, a as ENV_CREDENTIAL_SCOPE, b as ENV_EXPIRATION, c as ENV_KEY, d as ENV_SECRET, e as ENV_SESSION } from './wiring-DpEzzSUU.js';
import './errors-DDD4RsHd.js';
import 'node:path';
import 'node:os';
import 'node:fs/promises';
import './backoff-CUn3El8i.js';
import './secret-document-CqJ-VHjJ.js';
import 'node:crypto';
import './fingerprint-BIBL6_Db.js';
import './persist-retries-B2StcHuD.js';
import './duration-Cyz5SPp-.js';
import './state-VUS-4fVQ.js';
import './schemas-D3_i4Iqf.js';
import 'node:stream';
import 'node:fs';
import 'node:https';
import 'node:process';
import './index-Czz4Wkal.js';
import './wording-CXsTWj4t.js';
import './loopback-CdUp0z11.js';
import './lists-D2x1VrPX.js';



export { fromEnv };
