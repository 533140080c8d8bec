import { f as fromEnv } from './wiring-B3elLMzR.js';
export { E as ENV_ACCOUNT_ID, a as ENV_CREDENTIAL_SCOPE, b as ENV_EXPIRATION, c as ENV_KEY, d as ENV_SECRET, e as ENV_SESSION } from './wiring-B3elLMzR.js';
import './errors-CF_9s0EP.js';
import 'node:path';
import 'node:os';
import 'node:fs/promises';
import './health-config-C6Fzh1bD.js';
import './inputs-7zkIELUc.js';
import './assemble-XT4yvXFX.js';
import './store-client-OIDSYJjY.js';
import './index-Cve9QuTp.js';
import 'node:timers/promises';
import './schemas-Dfdl7A2F.js';
import './targets-C5lnLLL8.js';
import './request-errors-1V6NXe-r.js';
import './wording-o2Ay2s0n.js';
import './rules-BKeWwZlR.js';
import './recovery-key-O5oMh-8M.js';
import 'node:crypto';
import './redaction-B6IawTZe.js';
import './recovery-box-SkMvEE1F.js';
import './state-CUBcXt7N.js';
import './fingerprint-BIBL6_Db.js';
import 'node:stream';
import 'node:fs';
import 'node:https';
import 'node:process';



export { fromEnv };
