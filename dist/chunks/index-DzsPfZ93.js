import { readFileSync } from 'node:fs';
import { C as CredentialsProviderError, s as setCredentialFeature } from './wiring-uWX83Bs1.js';
import { e as externalDataInterceptor } from './externalDataInterceptor-SAMFuXfC.js';
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
import 'node:https';
import 'node:process';
import './getSSOTokenFromFile-CqSO-wnB.js';

const fromWebToken = (init) => async (awsIdentityProperties) => {
    init.logger?.debug("@aws-sdk/credential-provider-web-identity - fromWebToken");
    const { roleArn, roleSessionName, webIdentityToken, providerId, policyArns, policy, durationSeconds } = init;
    let { roleAssumerWithWebIdentity } = init;
    if (!roleAssumerWithWebIdentity) {
        const { getDefaultRoleAssumerWithWebIdentity } = await import('./index-Cc6TDL9G.js');
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
