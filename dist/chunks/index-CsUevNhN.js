import { i as isLoopbackHost } from './lists-dtTonsQ1.js';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { o as orList } from './wording-CXsTWj4t.js';
import { s as string, N as NEVER } from './schemas-CCjUw_cu.js';

/** How the client authenticates at the token and revocation endpoints. */
const CLIENT_AUTH_METHODS = [
    'client_secret_basic',
    'client_secret_post',
    'none',
    'private_key_jwt',
    'tls_client_auth'
];
/** A request that takes longer than this is abandoned (and, for a refresh, never replayed). */
const OAUTH2_TIMEOUT_MS = 30_000;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
function problem(ctx, message) {
    ctx.addIssue({ code: 'custom', message });
    return NEVER;
}
const endpoint = (required) => (raw, ctx) => {
    if (raw === '') {
        return required
            ? problem(ctx, 'is required with issuer: oauth2: the token endpoint of the OAuth2 server (https)')
            : undefined;
    }
    const url = URL.parse(raw);
    if (url === null)
        return problem(ctx, `'${raw}' is not a URL`);
    if (url.username !== '' || url.password !== '') {
        return problem(ctx, 'must not hold credentials; pass them as client-id and client-secret (from a secret)');
    }
    const shown = `${url.origin}${url.pathname}`;
    if (url.hash !== '')
        return problem(ctx, `'${shown}' must not have a #fragment`);
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        return problem(ctx, `'${shown}' is not https: the refresh token and the client's credentials would travel in clear text (plain http is accepted only for loopback test servers: 127.0.0.1, ::1, localhost)`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        return problem(ctx, `'${shown}' is not an https URL`);
    }
    return url.href;
};
const certificates = (raw, ctx) => {
    if (raw === '')
        return undefined;
    const blocks = raw.match(CERTIFICATE_BLOCK) ?? [];
    if (blocks.length === 0) {
        return problem(ctx, 'is not a PEM certificate (-----BEGIN CERTIFICATE----- ...)');
    }
    for (const [index, block] of blocks.entries()) {
        try {
            new X509Certificate(block);
        }
        catch {
            const which = blocks.length > 1 ? `certificate ${index + 1} of ${blocks.length}` : 'it';
            return problem(ctx, `is not a valid PEM certificate: ${which} does not parse`);
        }
    }
    return blocks.join('\n');
};
/** A private key input, parsed without ever echoing it. */
const privateKey = (raw, ctx) => {
    if (raw === '')
        return undefined;
    // OpenSSL 3 reports a missing passphrase as an interrupted operation; the PEM says it plainly.
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(raw)) {
        return problem(ctx, 'is an encrypted private key; pass it unencrypted (PKCS#8 or PKCS#1 PEM) from a secret');
    }
    try {
        return { pem: raw, key: createPrivateKey({ key: raw, format: 'pem' }) };
    }
    catch {
        return problem(ctx, 'is not a PEM private key (-----BEGIN PRIVATE KEY----- ...)');
    }
};
/** One schema per input: each turns the raw text into its typed value, or says what is wrong. */
const fields = {
    'token-url': string().transform(endpoint(true)),
    'revocation-url': string().transform(endpoint(false)),
    'client-id': string().transform((raw, ctx) => {
        if (raw === '') {
            return problem(ctx, 'is required with issuer: oauth2: the client identifier registered with the OAuth2 server');
        }
        return raw;
    }),
    'client-secret': string(),
    'client-auth': string().transform((raw, ctx) => {
        const method = CLIENT_AUTH_METHODS.find(candidate => candidate === raw);
        return (method ??
            problem(ctx, `'${raw}' is not a client authentication method; use ${listOfMethods()}`));
    }),
    'client-private-key': string().transform(privateKey),
    scope: string().transform((raw, ctx) => {
        const scopes = raw.split(/\s+/).filter(scope => scope !== '');
        if (scopes.length === 0)
            return undefined;
        const bad = scopes.find(scope => !SCOPE_TOKEN.test(scope));
        if (bad !== undefined) {
            return problem(ctx, `'${bad}' is not a scope: scopes are separated by spaces and hold no quotes or backslashes`);
        }
        return scopes.join(' ');
    }),
    'client-certificate': string().transform(certificates),
    'client-key': string().transform(privateKey),
    'ca-certificate': string().transform(certificates)
};
function listOfMethods() {
    return orList(CLIENT_AUTH_METHODS);
}
/** The JWS algorithm for a client assertion key, or why the key cannot sign one. */
function assertionAlgorithm(key) {
    const details = key.asymmetricKeyDetails;
    switch (key.asymmetricKeyType) {
        case 'rsa':
            return (details?.modulusLength ?? 0) >= 2048
                ? { algorithm: 'RS256' }
                : {
                    problem: 'is an RSA key shorter than 2048 bits, which servers refuse; use a longer key'
                };
        case 'ec':
            if (details?.namedCurve === 'prime256v1')
                return { algorithm: 'ES256' };
            if (details?.namedCurve === 'secp384r1')
                return { algorithm: 'ES384' };
            break;
        case 'ed25519':
            return { algorithm: 'EdDSA' };
    }
    return {
        problem: 'cannot sign a client assertion here; use an RSA (2048 bits or more), EC P-256, EC P-384 or Ed25519 key'
    };
}
/**
 * Rules between inputs: the credentials each authentication method needs, and nothing it would
 * silently ignore (a secret set for the wrong method usually means client-auth is wrong).
 */
function clientAuthentication(inputs, secret, add) {
    const method = inputs['client-auth'];
    if (method === undefined)
        return undefined;
    const privateKey = inputs['client-private-key'];
    const usesSecret = method === 'client_secret_basic' || method === 'client_secret_post';
    if (!usesSecret && secret !== '') {
        add('client-secret', `is set but client-auth is ${method}, which does not use it; remove it, or set client-auth to client_secret_basic or client_secret_post`);
    }
    if (method !== 'private_key_jwt' && privateKey !== undefined) {
        add('client-private-key', `is set but client-auth is ${method}; set client-auth to private_key_jwt, or remove it`);
    }
    switch (method) {
        case 'client_secret_basic':
        case 'client_secret_post':
            if (secret === '') {
                add('client-secret', `is required with client-auth ${method}; pass the client secret from a secret, or set client-auth to the method the client is registered with`);
                return undefined;
            }
            return { method, clientSecret: secret };
        case 'private_key_jwt': {
            if (privateKey === undefined) {
                add('client-private-key', 'is required with client-auth private_key_jwt: the PEM private key whose public key the client registered');
                return undefined;
            }
            const choice = assertionAlgorithm(privateKey.key);
            if ('problem' in choice) {
                add('client-private-key', choice.problem);
                return undefined;
            }
            return { method, privateKeyPem: privateKey.pem, algorithm: choice.algorithm };
        }
        case 'none':
        case 'tls_client_auth':
            return { method };
    }
}
function tlsSettings(inputs, raw, add) {
    const tls = {};
    if (inputs['ca-certificate'] !== undefined)
        tls.caCertificate = inputs['ca-certificate'];
    const certificateGiven = raw['client-certificate'] !== '';
    const keyGiven = raw['client-key'] !== '';
    if (certificateGiven && !keyGiven) {
        add('client-key', 'is required with client-certificate: the private key of that certificate');
    }
    if (keyGiven && !certificateGiven) {
        add('client-certificate', 'is required with client-key: the certificate of that private key');
    }
    const certificate = inputs['client-certificate'];
    const key = inputs['client-key'];
    if (certificate !== undefined && key !== undefined) {
        // The first certificate is the client's own; any others are its chain.
        if (!new X509Certificate(certificate).checkPrivateKey(key.key)) {
            add('client-key', 'does not belong to client-certificate (their public keys differ); pass the key the certificate was issued for');
        }
        tls.clientCertificate = { certificatePem: certificate, keyPem: key.pem };
    }
    if (inputs['client-auth'] === 'tls_client_auth') {
        if (!certificateGiven && !keyGiven) {
            add('client-certificate', 'is required with client-auth tls_client_auth (RFC 8705): the certificate the server knows the client by, with client-key');
        }
        if (inputs['token-url']?.startsWith('http:') === true) {
            add('client-auth', 'tls_client_auth needs an https token-url: the client certificate is presented in the TLS handshake');
        }
    }
    return tls;
}
/**
 * Validates the OAuth2 inputs at once, without any network call, and returns the typed
 * configuration. Every problem names its input and says what would be valid.
 */
function parseOAuth2Config(raw) {
    const problems = [];
    const add = (input, message) => {
        problems.push({ input, message });
    };
    const inputs = {};
    for (const name of Object.keys(fields)) {
        const result = fields[name].safeParse(raw[name]);
        if (result.success)
            Object.assign(inputs, { [name]: result.data });
        else
            for (const issue of result.error.issues)
                add(name, issue.message);
    }
    const clientAuth = clientAuthentication(inputs, raw['client-secret'], add);
    const tls = tlsSettings(inputs, raw, add);
    const tokenUrl = inputs['token-url'];
    const clientId = inputs['client-id'];
    if (problems.length > 0 ||
        clientAuth === undefined ||
        tokenUrl === undefined ||
        clientId === undefined) {
        return { problems };
    }
    const config = {
        tokenUrl,
        clientId,
        clientAuth,
        tls,
        timeoutMs: OAUTH2_TIMEOUT_MS
    };
    if (inputs['revocation-url'] !== undefined)
        config.revocationUrl = inputs['revocation-url'];
    if (inputs.scope !== undefined)
        config.scope = inputs.scope;
    return { config, problems };
}

// The descriptor only: the SDK loads with ./wiring.js, when a credential names this provider.
/** AWS Secrets Manager: a secret's versions as a store, its rotation Lambda as an issuer. */
const awsProvider = {
    name: 'aws',
    issuers: { 'aws-secrets-manager': { consumesInput: false } },
    stores: { 'aws-secrets-manager': { keepsVersions: true, readsLive: true } },
    keys: [
        { group: 'issuer', key: 'rotation-timeout', input: 'rotation-timeout', type: 'text' },
        { group: 'store', key: 'secret-id', input: 'store-secret-id', type: 'text' },
        { group: 'store', key: 'region', input: 'aws-region', type: 'text' },
        { group: 'store', key: 'field', input: 'store-field', type: 'text' }
    ],
    only: {
        role: 'store: aws-secrets-manager',
        inputs: ['aws-region', 'store-field', 'secret-fields', 'rotation-timeout'],
        hint: 'set store-secret-id, or remove it'
    },
    docs: 'docs/providers/aws.md',
    assemble: async (config, deps) => {
        if (!config.awsSecret)
            return {};
        const { assembleAws } = await import('./wiring-CS3Lg5AU.js').then(function (n) { return n.aV; });
        return assembleAws(config, deps);
    }
};

/**
 * GitHub: repository, environment, organization and Dependabot secrets as targets; a repository
 * secret as a store, with its record and its lock in repository variables.
 */
const githubProvider = {
    name: 'github',
    stores: { github: { keepsVersions: false, readsLive: false } },
    target: {
        key: 'github',
        keys: [
            { group: '', key: 'secret', input: 'secret-name', type: 'text' },
            { group: '', key: 'field', input: 'secret-fields', type: 'text' },
            { group: '', key: 'repositories', input: 'repositories', type: 'list' },
            { group: '', key: 'environments', input: 'environment', type: 'list' },
            { group: '', key: 'org', input: 'org', type: 'text' },
            {
                group: '',
                key: 'visibility',
                input: 'visibility',
                type: 'text',
                values: ['all', 'private', 'selected']
            },
            { group: '', key: 'selected-repositories', input: 'selected-repositories', type: 'list' },
            {
                group: '',
                key: 'type',
                input: 'secret-type',
                type: 'text',
                values: ['actions', 'dependabot']
            }
        ]
    },
    keys: [
        { group: 'store', key: 'secret', input: 'refresh-token-secret', type: 'text' },
        { group: 'store', key: 'state-variable', input: 'state-variable', type: 'text' }
    ],
    docs: 'docs/providers/github.md',
    assemble: async (config, deps) => (await import('./parts-BDPSHCKC.js')).assembleGitHub(config, deps)
};

/** OAuth2: a refresh-token grant (RFC 6749 §6) mints; RFC 7009 revokes. */
const oauth2Provider = {
    name: 'oauth2',
    issuers: { oauth2: { consumesInput: true, revokes: 'value' } },
    keys: [
        { group: 'issuer', key: 'token-url', input: 'token-url', type: 'text' },
        { group: 'issuer', key: 'client-id', input: 'client-id', type: 'text' },
        { group: 'issuer', key: 'client-secret', input: 'client-secret', type: 'secret' },
        {
            group: 'issuer',
            key: 'client-auth',
            input: 'client-auth',
            type: 'text',
            values: CLIENT_AUTH_METHODS
        },
        { group: 'issuer', key: 'client-private-key', input: 'client-private-key', type: 'secret' },
        { group: 'issuer', key: 'scope', input: 'scope', type: 'text' },
        { group: 'issuer', key: 'revocation-url', input: 'revocation-url', type: 'text' },
        { group: 'issuer', key: 'client-certificate', input: 'client-certificate', type: 'text' },
        { group: 'issuer', key: 'client-key', input: 'client-key', type: 'secret' },
        { group: 'issuer', key: 'ca-certificate', input: 'ca-certificate', type: 'text' },
        { group: 'issuer', key: 'refresh-token', input: 'refresh-token', type: 'secret' },
        { group: 'retire', key: 'retiring-value', input: 'retiring-value', type: 'secret' }
    ],
    only: {
        role: 'issuer: oauth2',
        inputs: [
            'token-url',
            'client-id',
            'client-secret',
            'client-private-key',
            'revocation-url',
            'client-certificate',
            'client-key',
            'ca-certificate',
            'refresh-token',
            'refresh-token-secret',
            'retiring-value'
        ],
        hint: 'set issuer, or remove it'
    },
    docs: 'docs/providers/oauth2.md',
    assemble: async (config, deps) => (await import('./parts-Cr_jYlbL.js')).assembleOAuth2(config, deps)
};

/**
 * `issuer: none`: nothing is minted; the value given as an input is published as it is (the value
 * was already masked when the inputs were read).
 */
function createStaticIssuer(value) {
    return {
        kind: 'none',
        source: "the 'value' input",
        given: true,
        mint: () => Promise.resolve({ value, next: '', rotated: false })
    };
}

/** A value given as it is (`issuer: none`): published, never minted, read or persisted. */
const staticProvider = {
    name: 'static',
    issuers: { none: { consumesInput: false } },
    keys: [{ group: 'issuer', key: 'value', input: 'value', type: 'secret' }],
    docs: 'docs/providers/static.md',
    // The value given is the issuer, unless the store reads the value (a sync): the store's provider
    // then gives the reader.
    assemble: config => Promise.resolve(config.issuer === 'none' && config.valueFrom === 'issuer'
        ? { issuer: createStaticIssuer(config.publish.value) }
        : {})
};

/**
 * The registry: every provider, one line each. The configuration's schema, its rules, the docs'
 * tables and the kinds a credential may name are read from here.
 */
const PROVIDERS = [
    githubProvider,
    oauth2Provider,
    awsProvider,
    staticProvider
];
/** Every `issuer.kind`, in registry order. */
function issuerKinds() {
    return PROVIDERS.flatMap(provider => Object.keys(provider.issuers ?? {}));
}
/** Every `store.kind`, in registry order. */
function storeKinds() {
    return PROVIDERS.flatMap(provider => Object.keys(provider.stores ?? {}));
}
/** What the issuer of `kind` can do; undefined for a kind no provider has. */
function issuerCapabilities(kind) {
    for (const provider of PROVIDERS) {
        const issuers = provider.issuers ?? {};
        // Own keys only: `toString` is no issuer.
        if (kind !== undefined && Object.hasOwn(issuers, kind))
            return issuers[kind];
    }
    return undefined;
}
/** What the store of `kind` can do; undefined for a kind no provider has. */
function storeCapabilities(kind) {
    for (const provider of PROVIDERS) {
        const stores = provider.stores ?? {};
        if (kind !== undefined && Object.hasOwn(stores, kind))
            return stores[kind];
    }
    return undefined;
}

export { PROVIDERS as P, issuerCapabilities as a, storeKinds as b, issuerKinds as i, parseOAuth2Config as p, storeCapabilities as s };
