import { A as ActionError } from './errors-DDD4RsHd.js';
import { l as loadSodium } from './sodium-DPz47DmG.js';

/** X25519 keys, public and private, are 32 bytes (`crypto_box_PUBLICKEYBYTES`). */
const RECOVERY_KEY_BYTES = 32;
/** How to make a key pair, for every message about a bad key. */
const KEYGEN_HINT = 'make a key pair with `token-rotation recovery-keygen` (node dist/cli.js recovery-keygen)';
// Standard or URL-safe base64, padded or not: a 32-byte key reads the same either way.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/**
 * Validates the `recovery-public-key` input: base64 of a 32-byte X25519 public key. Synchronous,
 * for configuration checks; call it only when the input is set.
 */
function parseRecoveryPublicKey(text) {
    return parseKey(text.trim(), 'recovery-public-key', 'public');
}
/**
 * Generates a recovery key pair (`crypto_box_keypair`).
 * @see https://doc.libsodium.org/public-key_cryptography/sealed_boxes
 */
async function generateRecoveryKeyPair() {
    const sodium = await loadSodium();
    const pair = sodium.crypto_box_keypair();
    return { publicKey: toBase64(pair.publicKey), privateKey: toBase64(pair.privateKey) };
}
/**
 * Decodes a key, or throws an {@link ActionError} (`recovery-invalid`) naming `source` and never
 * quoting the key.
 * @param source where the key came from, for the message: an input or an environment variable
 */
function decodeRecoveryKey(text, source, kind) {
    const parsed = parseKey(text.trim(), source, kind);
    if (!parsed.ok) {
        throw new ActionError(`${source} ${parsed.problem.message}`, {
            code: 'recovery-invalid',
            phase: 'persist'
        });
    }
    return Uint8Array.from(Buffer.from(parsed.key, 'base64'));
}
function parseKey(text, input, kind) {
    const fail = (message) => ({ ok: false, problem: { input, message } });
    if (text === '')
        return fail(`is empty; ${KEYGEN_HINT}`);
    if (!BASE64.test(text)) {
        return fail(`is not base64; it is the ${kind} key that recovery-keygen prints (44 characters ending in '='). To ${KEYGEN_HINT}`);
    }
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length !== RECOVERY_KEY_BYTES) {
        return fail(`decodes to ${bytes.length} bytes, and an X25519 ${kind} key is ${RECOVERY_KEY_BYTES}; ${KEYGEN_HINT}`);
    }
    return { ok: true, key: bytes.toString('base64') };
}
/** Standard base64 with padding, as libsodium's `base64_variants.ORIGINAL` writes it. */
function toBase64(bytes) {
    return Buffer.from(bytes).toString('base64');
}

export { decodeRecoveryKey as d, generateRecoveryKeyPair as g, parseRecoveryPublicKey as p };
