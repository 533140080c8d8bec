import { f as fromEnv } from './wiring-C1r3p6zf.js';
export { E as ENV_ACCOUNT_ID, a as ENV_CREDENTIAL_SCOPE, b as ENV_EXPIRATION, c as ENV_KEY, d as ENV_SECRET, e as ENV_SESSION } from './wiring-C1r3p6zf.js';
import './errors-CCnUE5kW.js';
import 'node:path';
import 'node:os';
import 'node:fs/promises';
import './health-config-jaeETW7D.js';
import './lists-dtTonsQ1.js';
import './duration-Cyz5SPp-.js';
import './inputs-Bh3i-bWy.js';
import './assemble-DOmHviRD.js';
import './client-j-_39E1L.js';
import './index-Cve9QuTp.js';
import 'node:timers/promises';
import './schemas-CCjUw_cu.js';
import './scopes-CFmrc5k8.js';
import './request-errors-sdmk0HZh.js';
import './wording-CXsTWj4t.js';
import './rules-BKeWwZlR.js';
import './recovery-key-CNr4Ulo4.js';
import './store-client-YzQypXoH.js';
import './targets-Disot1bN.js';
import './probe-C-yMzx8y.js';
import 'node:crypto';
import './redaction-B6IawTZe.js';
import './recovery-box-DJvnXANq.js';
import './state-C-1nfSln.js';
import './persist-retries-DY5h4BDZ.js';
import './fingerprint-BIBL6_Db.js';
import 'node:stream';
import 'node:fs';
import 'node:https';
import 'node:process';



export { fromEnv };
