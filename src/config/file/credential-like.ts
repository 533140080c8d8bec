/**
 * Prefixes that vendors put on their tokens so that scanners find them: found anywhere in a value
 * (`Authorization: Bearer ghp_...`, `?token=glpat-...`), where no letter, digit or _ precedes them.
 */
const TOKEN_PREFIXES: readonly [RegExp, string][] = [
  [/(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{20,}/, 'a GitHub token'],
  [/(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{20,}/, 'a GitHub token'],
  [/(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_-]{16,}/, 'a GitLab token'],
  [/(?<![A-Za-z0-9_])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/, 'an AWS access key id'],
  [/(?<![A-Za-z0-9_.])hv[sb]\.[A-Za-z0-9_-]{20,}/, 'a Vault token'],
  [/(?<![A-Za-z0-9_])xox[abpr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/(?<![A-Za-z0-9_])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./, 'a JSON Web Token']
]

/** Shortest string taken for a random secret: shorter ones are too often names or ids. */
const RANDOM_MIN_LENGTH = 32
/** Bits per character above which a string is taken for random (base64 or base62 text is ~5-6). */
const RANDOM_MIN_ENTROPY = 4.2

/**
 * Why `value` looks like a credential, or undefined: a known token prefix anywhere in it, or a
 * long string of one word in a token alphabet whose characters are spread like random ones. UUIDs,
 * URLs, names and hex digests shorter than 64 characters pass.
 */
export function looksLikeCredential(value: string): string | undefined {
  const text = value.trim()
  for (const [pattern, what] of TOKEN_PREFIXES) if (pattern.test(text)) return what
  if (text.length < RANDOM_MIN_LENGTH || !/^[A-Za-z0-9+/=_.~-]+$/.test(text)) return undefined
  if (/^[0-9a-f]{64,}$/i.test(text)) return 'a long hexadecimal string'
  if (!/[0-9]/.test(text) || !/[A-Za-z]/.test(text)) return undefined
  return entropy(text) >= RANDOM_MIN_ENTROPY ? 'a long random-looking string' : undefined
}

/** Shannon entropy of the string's characters, in bits per character. */
function entropy(text: string): number {
  const counts = new Map<string, number>()
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1)
  let bits = 0
  for (const n of counts.values()) {
    const p = n / text.length
    bits -= p * Math.log2(p)
  }
  return bits
}
