import { loadSodium } from '../../recovery/sodium.js'

/**
 * Seals a value for GitHub with libsodium's `crypto_box_seal` under the scope's public key, as
 * GitHub requires for every secret write. Only the holder of the private key (GitHub) can open it.
 * @param publicKey the scope's key, standard base64, as `GET .../secrets/public-key` returns it
 * @returns the sealed box, standard base64 (`encrypted_value`)
 * @see https://docs.github.com/en/rest/guides/encrypting-secrets-for-the-rest-api
 */
export async function sealForGitHub(value: string, publicKey: string): Promise<string> {
  const sodium = await loadSodium()
  const key = sodium.from_base64(publicKey, sodium.base64_variants.ORIGINAL)
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), key)
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL)
}
