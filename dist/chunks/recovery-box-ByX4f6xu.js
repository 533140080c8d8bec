import { A as ActionError } from './errors-DDD4RsHd.js';
import { d as decodeRecoveryKey } from './recovery-key-CcEw-7rF.js';
import { l as loadSodium } from './sodium-DPz47DmG.js';

// The recovery ciphertext is the persist step's safety net (DESIGN.md): its errors carry that phase.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/**
 * Seals a value to the recovery public key (`crypto_box_seal`), so it can be printed in a log:
 * only the holder of the private key can open it.
 * @param publicKeyBase64 the `recovery-public-key` input
 * @returns the sealed box, standard base64 with padding
 * @throws ActionError `recovery-invalid` when the key is not a 32-byte base64 key
 * @see https://doc.libsodium.org/public-key_cryptography/sealed_boxes
 */
async function sealForRecovery(value, publicKeyBase64) {
    const publicKey = decodeRecoveryKey(publicKeyBase64, 'recovery-public-key', 'public');
    const sodium = await loadSodium();
    const sealed = sodium.crypto_box_seal(sodium.from_string(value), publicKey);
    return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}
/**
 * Opens a recovery ciphertext (`crypto_box_seal_open`); the public key is derived from the private
 * one (`crypto_scalarmult_base`). Whitespace in the ciphertext is ignored: logs wrap long lines.
 * @param privateKeyBase64 the private key that `generateRecoveryKeyPair` made
 * @throws ActionError `recovery-invalid` when the key or the ciphertext is malformed, or the box
 *   does not open; the message never quotes either
 */
async function openRecovery(ciphertextBase64, privateKeyBase64, keySource = 'the private key') {
    const privateKey = decodeRecoveryKey(privateKeyBase64, keySource, 'private');
    const text = ciphertextBase64.replace(/\s+/g, '');
    const invalid = (message) => new ActionError(message, { code: 'recovery-invalid', phase: 'persist' });
    if (text === '')
        throw invalid('The recovery ciphertext is empty.');
    if (!BASE64.test(text)) {
        throw invalid('The recovery ciphertext is not standard base64; copy it whole from the run log or the recovery-ciphertext output.');
    }
    const sodium = await loadSodium();
    const sealed = Uint8Array.from(Buffer.from(text, 'base64'));
    if (sealed.length < sodium.crypto_box_SEALBYTES) {
        throw invalid(`The recovery ciphertext is ${sealed.length} bytes, too short for a sealed box (at least ${sodium.crypto_box_SEALBYTES}); was it cut off when copied?`);
    }
    const publicKey = sodium.crypto_scalarmult_base(privateKey);
    let opened;
    try {
        opened = sodium.crypto_box_seal_open(sealed, publicKey, privateKey);
    }
    catch {
        throw invalid('The recovery ciphertext does not open with this private key: it was sealed to another key, or it was changed or cut short when copied.');
    }
    return sodium.to_string(opened);
}

export { openRecovery as o, sealForRecovery as s };
