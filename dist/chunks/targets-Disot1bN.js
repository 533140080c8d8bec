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

export { targetsFromConfig as t };
