/**
 * GitHub's documented rules for secrets and repository names, checked before any request so that a
 * bad input fails in preflight instead of on the tenth repository.
 * @see https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions#naming-your-secrets
 */
/** Largest secret value GitHub stores: 48 KB. */
const MAX_SECRET_BYTES = 48 * 1024;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
/** Why a secret name is invalid, or undefined when it is valid. */
function secretNameProblem(name) {
    if (name.length === 0)
        return 'is empty; give the name of the secret to write';
    if (!SECRET_NAME.test(name)) {
        return `'${name}' is not a valid secret name: use only letters, digits and underscores, not starting with a digit`;
    }
    if (/^GITHUB_/i.test(name)) {
        return `'${name}' starts with GITHUB_, which GitHub reserves; choose another name`;
    }
    return undefined;
}
/** Why a secret value cannot be stored, or undefined when it can. Never quotes the value. */
function secretValueProblem(value) {
    if (value.length === 0)
        return 'is empty; GitHub does not store empty secrets';
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_SECRET_BYTES) {
        return `is ${bytes} bytes; GitHub stores at most ${MAX_SECRET_BYTES} bytes (48 KB) per secret`;
    }
    return undefined;
}
/** Parses `owner/repo`, or returns undefined when the text is not a repository name. */
function parseRepository(text) {
    const parts = text.split('/');
    if (parts.length !== 2)
        return undefined;
    const [owner, repo] = parts;
    if (!OWNER.test(owner) || !REPO.test(repo) || repo === '.' || repo === '..')
        return undefined;
    return { owner, repo };
}
/** Whether an organization or user login is well formed. */
function isValidLogin(login) {
    return OWNER.test(login);
}
/** `owner/repo`, as GitHub writes it. */
function repositoryName(ref) {
    return `${ref.owner}/${ref.repo}`;
}

export { secretValueProblem as a, isValidLogin as i, parseRepository as p, repositoryName as r, secretNameProblem as s };
