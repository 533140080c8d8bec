/** `1 target`, `3 targets`: a count with its noun, for log lines and the summary. */
function count(n, singular, plural = `${singular}s`) {
    return `${n} ${n === 1 ? singular : plural}`;
}

export { count as c };
