/**
 * Real libsodium X25519 key pairs, one per secrets scope, so a box sealed for one scope really
 * fails to open in another, exactly as on GitHub.
 */
import { randomInt } from 'node:crypto'
import sodium from 'libsodium-wrappers'

/** A scope's key pair and the id GitHub would give it. */
export interface ScopeKeyPair {
  readonly keyId: string
  readonly publicKey: Uint8Array
  readonly privateKey: Uint8Array
}

/**
 * Hands out key ids that look like GitHub's (18 digits) and never repeat within one server, so a
 * rotated key can never be mistaken for the one it replaced.
 */
export class KeyIdSource {
  readonly #prefix = String(randomInt(100_000_000_000, 999_999_999_999))
  #issued = 0

  next(): string {
    this.#issued += 1
    return this.#prefix + String(this.#issued).padStart(6, '0')
  }
}

/** The key pair of one secrets scope, generated on first use like GitHub's. */
export class ScopeKeys {
  readonly #ids: KeyIdSource
  #pair: ScopeKeyPair | undefined

  constructor(ids: KeyIdSource) {
    this.#ids = ids
  }

  /** The current key pair, generated on first use. */
  current(): ScopeKeyPair {
    this.#pair ??= this.#generate()
    return this.#pair
  }

  /** Replaces the key pair; boxes sealed to the old one no longer open. */
  rotate(): void {
    this.#pair = this.#generate()
  }

  /** The public key in standard base64, as `GET .../public-key` returns it. */
  publicKeyBase64(): string {
    return Buffer.from(this.current().publicKey).toString('base64')
  }

  /** Opens a sealed box with the current key, or returns undefined when it does not open. */
  open(ciphertext: Uint8Array): Uint8Array | undefined {
    const pair = this.current()
    try {
      return sodium.crypto_box_seal_open(ciphertext, pair.publicKey, pair.privateKey)
    } catch {
      return undefined
    }
  }

  #generate(): ScopeKeyPair {
    const { publicKey, privateKey } = sodium.crypto_box_keypair()
    return { keyId: this.#ids.next(), publicKey, privateKey }
  }
}

/**
 * Seals `value` to a base64 public key the way a GitHub client must, returning base64. A
 * convenience for tests and the sandbox; the action has its own implementation.
 */
export async function sealValue(publicKeyBase64: string, value: string): Promise<string> {
  await sodium.ready
  const sealed = sodium.crypto_box_seal(value, Buffer.from(publicKeyBase64, 'base64'))
  return Buffer.from(sealed).toString('base64')
}
