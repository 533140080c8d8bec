import { f as fromEnv } from './wiring-BO3L0hWW.js';
export { E as ENV_ACCOUNT_ID, a as ENV_CREDENTIAL_SCOPE, b as ENV_EXPIRATION, c as ENV_KEY, d as ENV_SECRET, e as ENV_SESSION } from './wiring-BO3L0hWW.js';
import './wording-DfC0u_vM.js';
import 'node:path';
import 'node:os';
import 'node:fs/promises';
import './backoff-CUn3El8i.js';
import './secret-document-BIjcvmXU.js';
import 'node:crypto';
import './fingerprint-BIBL6_Db.js';
import './persist-retries-gEkNA15A.js';
import './duration-Cyz5SPp-.js';
import './state-q1oUUnbG.js';
import './schemas-D3_i4Iqf.js';
import 'node:stream';
import 'node:fs';
import 'node:https';
import 'node:process';
import './index-CP-_KTnk.js';
import './loopback-CdUp0z11.js';
import './lists-D2x1VrPX.js';



export { fromEnv };
