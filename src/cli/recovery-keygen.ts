import { generateRecoveryKeyPair } from '../recovery/recovery-key.js'
import { RECOVERY_PRIVATE_KEY_ENV } from './arguments.js'

/**
 * `token-rotation recovery-keygen`: prints a new key pair on standard output, each key on a
 * `name: key` line of its own followed by one line of advice.
 */
export async function recoveryKeygen(out: (text: string) => void): Promise<void> {
  const pair = await generateRecoveryKeyPair()
  out(
    [
      `recovery-public-key: ${pair.publicKey}`,
      '  Set it as the recovery-public-key input. It is not a secret: a variable or the workflow file will do.',
      `${RECOVERY_PRIVATE_KEY_ENV}: ${pair.privateKey}`,
      `  Keep it offline or in a password manager, never beside the ciphertexts in the repository's secrets; recover reads it from ${RECOVERY_PRIVATE_KEY_ENV}.`,
      ''
    ].join('\n')
  )
}
