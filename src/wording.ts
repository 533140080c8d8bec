/** `1 target`, `3 targets`: a count with its noun, for log lines and the summary. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`
}

/** `a`, `a or b`, `a, b or c`: the choices a message offers. */
export function orList(words: readonly string[]): string {
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1] ?? ''}`
}
