import { exec } from 'node:child_process';
import { promisify } from 'node:util';
import { s as setCredentialFeature, C as CredentialsProviderError, i as getProfileName } from './wiring-DpEzzSUU.js';
import { e as externalDataInterceptor } from './externalDataInterceptor-vWoB3tPm.js';
import { p as parseKnownFiles } from './parseKnownFiles-CW0ts5h5.js';
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
import './getSSOTokenFromFile-DfVz8kAm.js';

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
