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

export { secretsPath as a, scopeLabel as s, writePermission as w };
