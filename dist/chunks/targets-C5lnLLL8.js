/**
 * The REST path of a scope's secrets collection, with every variable part URL-encoded once
 * (environment names may hold spaces and other characters).
 * @see https://docs.github.com/en/rest/actions/secrets
 * @see https://docs.github.com/en/rest/dependabot/secrets
 */
function secretsPath(scope) {
    const e = encodeURIComponent;
    switch (scope.kind) {
        case 'repository':
            return `/repos/${e(scope.repository.owner)}/${e(scope.repository.repo)}/${scope.type}/secrets`;
        case 'environment':
            return `/repos/${e(scope.repository.owner)}/${e(scope.repository.repo)}/environments/${e(scope.environment)}/secrets`;
        case 'organization':
            return `/orgs/${e(scope.org)}/${scope.type}/secrets`;
    }
}
/** How the `result` output and the summary name a scope: `owner/repo`, `owner/repo (env)` or `org`. */
function scopeLabel(scope) {
    switch (scope.kind) {
        case 'repository':
            return `${scope.repository.owner}/${scope.repository.repo}`;
        case 'environment':
            return `${scope.repository.owner}/${scope.repository.repo} (${scope.environment})`;
        case 'organization':
            return scope.org;
    }
}
/** The token permission that writing a secret in this scope needs, as GitHub names it. */
function writePermission(scope) {
    if (scope.kind === 'environment')
        return 'repository "Environments: write"';
    const level = scope.kind === 'organization' ? 'organization' : 'repository';
    return `${level} "${scope.type === 'dependabot' ? 'Dependabot secrets' : 'Secrets'}: write"`;
}

/**
 * The targets a configuration names, in the order they are reported: the organization secret
 * first, then each repository, or each environment of each repository.
 * @param name the secret's name in each target; `secret-name` unless a field mapping names another
 */
function targetsFromConfig(config, name = config.secretName) {
    const targets = [];
    if (config.org) {
        const { login, visibility, selectedRepositories } = config.org;
        targets.push({
            scope: { kind: 'organization', type: config.secretType, org: login },
            name,
            access: {
                ...(visibility ? { visibility } : {}),
                ...(selectedRepositories ? { selectedRepositories } : {})
            }
        });
    }
    for (const repository of config.repositories) {
        if (config.environments.length === 0) {
            targets.push({ scope: { kind: 'repository', type: config.secretType, repository }, name });
            continue;
        }
        for (const environment of config.environments) {
            targets.push({
                scope: { kind: 'environment', type: 'actions', repository, environment },
                name
            });
        }
    }
    return targets;
}

export { secretsPath as a, scopeLabel as s, targetsFromConfig as t, writePermission as w };
