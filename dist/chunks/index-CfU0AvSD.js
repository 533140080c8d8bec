import { f as fromEnv } from './wiring-D_SJns8V.js';
export { E as ENV_ACCOUNT_ID, a as ENV_CREDENTIAL_SCOPE, b as ENV_EXPIRATION, c as ENV_KEY, d as ENV_SECRET, e as ENV_SESSION } from './wiring-D_SJns8V.js';
import './errors-CCnUE5kW.js';
import 'node:path';
import 'node:os';
import 'node:fs/promises';
import './health-config-C_QJLZjm.js';
import './lists-dtTonsQ1.js';
import './inputs-CyzXTeZq.js';
import './assemble-BwAJP0it.js';
import './client-WR82y8qK.js';
import './index-Cve9QuTp.js';
import 'node:timers/promises';
import './schemas-CCjUw_cu.js';
import './scopes-CFmrc5k8.js';
import './request-errors-sdmk0HZh.js';
import './wording-CXsTWj4t.js';
import './rules-BKeWwZlR.js';
import './recovery-key-CNr4Ulo4.js';
import './store-client-f8PPBKqs.js';
import './targets-Disot1bN.js';
import './probe-DSBWvK0N.js';
import 'node:crypto';
import './redaction-B6IawTZe.js';
import './recovery-box-DJvnXANq.js';
import './state-DsLb6gi0.js';
import './persist-retries-CYbXAg8H.js';
import './fingerprint-BIBL6_Db.js';
import 'node:stream';
import 'node:fs';
import 'node:https';
import 'node:process';



export { fromEnv };
