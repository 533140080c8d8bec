import { createHash } from 'node:crypto';

/**
 * A short, stable name for a secret value: the first 16 hex digits (64 bits) of its SHA-256.
 * Safe to record and print: it identifies a version without revealing it, and 64 bits of a hash
 * of a high-entropy token cannot be turned back into the token.
 */
function fingerprint(value) {
    return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
}

export { fingerprint as f };
