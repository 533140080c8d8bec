import { f as fromEnv } from './wiring-uWX83Bs1.js';
export { E as ENV_ACCOUNT_ID, a as ENV_CREDENTIAL_SCOPE, b as ENV_EXPIRATION, c as ENV_KEY, d as ENV_SECRET, e as ENV_SESSION } from './wiring-uWX83Bs1.js';
import './errors-BzXSIE85.js';
import 'node:path';
import 'node:os';
import 'node:fs/promises';
import './health-config-IwEPQ6eI.js';
import './inputs-7zkIELUc.js';
import './assemble-CaYTRyaZ.js';
import './store-client-CjTuRVpe.js';
import './index-Cve9QuTp.js';
import 'node:timers/promises';
import './schemas-Dfdl7A2F.js';
import './targets-C5lnLLL8.js';
import './request-errors-Cd-UPVS5.js';
import './wording-o2Ay2s0n.js';
import './rules-BKeWwZlR.js';
import './recovery-key-DAe9InGe.js';
import 'node:crypto';
import './redaction-B6IawTZe.js';
import './recovery-box-CKnilpgv.js';
import './state-CUBcXt7N.js';
import './fingerprint-BIBL6_Db.js';
import 'node:stream';
import 'node:fs';
import 'node:https';
import 'node:process';



export { fromEnv };
