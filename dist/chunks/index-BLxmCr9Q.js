import { exec } from 'node:child_process';
import { promisify } from 'node:util';
import { s as setCredentialFeature, C as CredentialsProviderError, i as getProfileName } from './wiring-C1r3p6zf.js';
import { e as externalDataInterceptor } from './externalDataInterceptor-DvABg6Hi.js';
import { p as parseKnownFiles } from './parseKnownFiles-CAaYIqLr.js';
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
import './getSSOTokenFromFile-BVkzf4NL.js';

const getValidatedProcessCredentials = (profileName, data, profiles) => {
    if (data.Version !== 1) {
        throw Error(`Profile ${profileName} credential_process did not return Version 1.`);
    }
    if (data.AccessKeyId === undefined || data.SecretAccessKey === undefined) {
        throw Error(`Profile ${profileName} credential_process returned invalid credentials.`);
    }
    if (data.Expiration) {
        const currentTime = new Date();
        const expireTime = new Date(data.Expiration);
        if (expireTime < currentTime) {
            throw Error(`Profile ${profileName} credential_process returned expired credentials.`);
        }
    }
    let accountId = data.AccountId;
    if (!accountId && profiles?.[profileName]?.aws_account_id) {
        accountId = profiles[profileName].aws_account_id;
    }
    const credentials = {
        accessKeyId: data.AccessKeyId,
        secretAccessKey: data.SecretAccessKey,
        ...(data.SessionToken && { sessionToken: data.SessionToken }),
        ...(data.Expiration && { expiration: new Date(data.Expiration) }),
        ...(data.CredentialScope && { credentialScope: data.CredentialScope }),
        ...(accountId && { accountId }),
    };
    setCredentialFeature(credentials, "CREDENTIALS_PROCESS", "w");
    return credentials;
};

const resolveProcessCredentials = async (profileName, profiles, logger) => {
    const profile = profiles[profileName];
    if (profiles[profileName]) {
        const credentialProcess = profile["credential_process"];
        if (credentialProcess !== undefined) {
            const execPromise = promisify(externalDataInterceptor?.getTokenRecord?.().exec ?? exec);
            try {
                const { stdout } = await execPromise(credentialProcess);
                let data;
                try {
                    data = JSON.parse(stdout.trim());
                }
                catch {
                    throw Error(`Profile ${profileName} credential_process returned invalid JSON.`);
                }
                return getValidatedProcessCredentials(profileName, data, profiles);
            }
            catch (error) {
                throw new CredentialsProviderError(error.message, { logger });
            }
        }
        else {
            throw new CredentialsProviderError(`Profile ${profileName} did not contain credential_process.`, { logger });
        }
    }
    else {
        throw new CredentialsProviderError(`Profile ${profileName} could not be found in shared credentials file.`, {
            logger,
        });
    }
};

const fromProcess = (init = {}) => async ({ callerClientConfig } = {}) => {
    init.logger?.debug("@aws-sdk/credential-provider-process - fromProcess");
    const profiles = await parseKnownFiles(init);
    return resolveProcessCredentials(getProfileName({
        profile: init.profile ?? callerClientConfig?.profile,
    }), profiles, init.logger);
};

export { fromProcess };
