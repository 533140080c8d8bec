import { A as ActionError } from './errors-DDD4RsHd.js';

/** Tells a JSON object from a plain string, and both from broken JSON. */
function valueShape(value) {
    const trimmed = value.trimStart();
    if (!trimmed.startsWith('{'))
        return { kind: 'plain' };
    try {
        const parsed = JSON.parse(value);
        return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
            ? { kind: 'object', object: parsed }
            : { kind: 'invalid' };
    }
    catch {
        // The parser's message quotes the text around the error, which is the secret: not kept.
        return { kind: 'invalid' };
    }
}
/**
 * Reads `field` of a JSON secret, or the whole value of a plain string secret (or of any secret,
 * without a field).
 * @param where names the version for messages: `AWSCURRENT of secret prod/oauth`
 * @throws ActionError `aws-rejected` when a JSON secret has no such string field, or starts like
 *   JSON and does not parse
 */
function parseSecretDocument(value, field, where, phase) {
    const plain = { credential: value, replace: (credential) => credential };
    if (field === undefined)
        return plain;
    const shape = valueShape(value);
    if (shape.kind === 'plain')
        return plain;
    if (shape.kind === 'invalid') {
        throw new ActionError(`${where} starts like a JSON object but is not valid JSON; fix the secret's value (it is not used whole: it may hold other fields).`, { code: 'aws-rejected', phase });
    }
    const found = shape.object[field];
    if (typeof found !== 'string' || found === '') {
        const fields = Object.keys(shape.object);
        throw new ActionError(`${where} is a JSON object without a non-empty string field '${field}' (its fields: ${fields.length > 0 ? fields.join(', ') : 'none'}); set 'store-field' to the field that holds the credential.`, { code: 'aws-rejected', phase });
    }
    return {
        credential: found,
        replace: credential => JSON.stringify({ ...shape.object, [field]: credential })
    };
}

export { parseSecretDocument as p, valueShape as v };
