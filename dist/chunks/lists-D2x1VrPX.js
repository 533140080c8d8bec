/**
 * Splits a list input: items are separated by newlines or commas, trimmed, blanks dropped.
 * The one convention for every list input of the action.
 */
function parseList(raw) {
    return raw
        .split(/[\n,]/)
        .map(item => item.trim())
        .filter(item => item.length > 0);
}

export { parseList as p };
