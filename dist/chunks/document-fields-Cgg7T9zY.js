import { v as valueShape } from './secret-document-CqJ-VHjJ.js';

/**
 * The health check of one field of a JSON value, or of the whole value when it is not a JSON
 * object. A JSON document is never sent whole: it may hold fields no target was meant to get.
 */
function fieldHealthCheck(inner, field) {
    return {
        description: inner.description,
        check: async (value) => {
            const part = field === undefined ? plainOnly(value) : fieldOf(value, field, true);
            if (part === undefined) {
                return {
                    ok: false,
                    attempts: 0,
                    detail: field === undefined
                        ? 'the value is a JSON document: set store-field to the field the health check sends'
                        : `the value has no string field '${field}'`
                };
            }
            return inner.check(part);
        }
    };
}
function plainOnly(value) {
    return valueShape(value).kind === 'plain' ? value : undefined;
}
/**
 * A string field of a JSON object value (a number or boolean as its text), or undefined.
 * @param plainWhole answer a value that is not a JSON object whole
 */
function fieldOf(value, field, plainWhole = false) {
    const shape = valueShape(value);
    if (shape.kind === 'plain' && plainWhole)
        return value;
    if (shape.kind !== 'object')
        return undefined;
    const found = shape.object[field];
    if (typeof found === 'string')
        return found;
    if (typeof found === 'number' || typeof found === 'boolean')
        return String(found);
    return undefined;
}

export { fieldOf as a, fieldHealthCheck as f };
