/** `1 target`, `3 targets`: a count with its noun, for log lines and the summary. */
function count(n, singular, plural = `${singular}s`) {
    return `${n} ${n === 1 ? singular : plural}`;
}
/** `a`, `a or b`, `a, b or c`: the choices a message offers. */
function orList(words) {
    return words.length <= 1
        ? (words[0] ?? '')
        : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1] ?? ''}`;
}

export { count as c, orList as o };
