import type { Issuer } from '../../engine/ports.js'

/**
 * `issuer: none`: nothing is minted; the value given as an input is published as it is (the value
 * was already masked when the inputs were read).
 */
export function createStaticIssuer(value: string): Issuer {
  return {
    kind: 'none',
    source: "the 'value' input",
    given: true,
    mint: () => Promise.resolve({ value, next: '', rotated: false })
  }
}
