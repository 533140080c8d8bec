import { readFileSync } from 'node:fs';
import { C as CredentialsProviderError, s as setCredentialFeature } from './wiring-C1r3p6zf.js';
import { e as externalDataInterceptor } from './externalDataInterceptor-DvABg6Hi.js';
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
import 'node:https';
import 'node:process';
import './getSSOTokenFromFile-BVkzf4NL.js';

const fromWebToken = (init) => async (awsIdentityProperties) => {
    init.logger?.debug("@aws-sdk/credential-provider-web-identity - fromWebToken");
    const { roleArn, roleSessionName, webIdentityToken, providerId, policyArns, policy, durationSeconds } = init;
    let { roleAssumerWithWebIdentity } = init;
    if (!roleAssumerWithWebIdentity) {
        const { getDefaultRoleAssumerWithWebIdentity } = await import('./index-DJg6_ftU.js');
        roleAssumerWithWebIdentity = getDefaultRoleAssumerWithWebIdentity({
            ...init.clientConfig,
            credentialProviderLogger: init.logger,
            parentClientConfig: {
                ...awsIdentityProperties?.callerClientConfig,
                ...init.parentClientConfig,
            },
        }, init.clientPlugins);
    }
    return roleAssumerWithWebIdentity({
        RoleArn: roleArn,
        RoleSessionName: roleSessionName ?? `aws-sdk-js-session-${Date.now()}`,
        WebIdentityToken: webIdentityToken,
        ProviderId: providerId,
        PolicyArns: policyArns,
        Policy: policy,
        DurationSeconds: durationSeconds,
    });
};

const ENV_TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE";
const ENV_ROLE_ARN = "AWS_ROLE_ARN";
const ENV_ROLE_SESSION_NAME = "AWS_ROLE_SESSION_NAME";
const fromTokenFile = (init = {}) => async (awsIdentityProperties) => {
    init.logger?.debug("@aws-sdk/credential-provider-web-identity - fromTokenFile");
    const webIdentityTokenFile = init?.webIdentityTokenFile ?? process.env[ENV_TOKEN_FILE];
    const roleArn = init?.roleArn ?? process.env[ENV_ROLE_ARN];
    const roleSessionName = init?.roleSessionName ?? process.env[ENV_ROLE_SESSION_NAME];
    if (!webIdentityTokenFile || !roleArn) {
        throw new CredentialsProviderError("Web identity configuration not specified", {
            logger: init.logger,
        });
    }
    const credentials = await fromWebToken({
        ...init,
        webIdentityToken: externalDataInterceptor?.getTokenRecord?.()[webIdentityTokenFile] ??
            readFileSync(webIdentityTokenFile, { encoding: "ascii" }),
        roleArn,
        roleSessionName,
    })(awsIdentityProperties);
    if (webIdentityTokenFile === process.env[ENV_TOKEN_FILE]) {
        setCredentialFeature(credentials, "CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN", "h");
    }
    return credentials;
};

export { fromTokenFile, fromWebToken };
