/** `1 target`, `3 targets`: a count with its noun, for log lines and the summary. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`
}
