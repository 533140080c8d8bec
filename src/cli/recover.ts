import { ActionError, describeError } from '../errors.js'
import { openRecovery } from '../recovery/recovery-box.js'
import { RECOVERY_PRIVATE_KEY_ENV, type RecoverInvocation } from './arguments.js'

/** What `recover` touches: standard output for the value, standard error for everything else. */
export interface RecoverIo {
  /** Reads standard input to its end, when no --ciphertext was given. */
  readStdin(): Promise<string>
  /** Standard output, written as is. */
  out(text: string): void
  /** One line on standard error. */
  err(line: string): void
  /** Standard output is a terminal (not a pipe). */
  stdoutIsTerminal: boolean
  /** Standard input is a terminal: the user will paste. */
  stdinIsTerminal: boolean
}

/**
 * `token-rotation recover`: opens a recovery ciphertext with the private key from the environment
 * and prints the value on standard output, which is the point of the command. Every other line
 * goes to standard error and never quotes the key or the ciphertext.
 * @returns the exit status: 0 when the value was printed, 1 otherwise
 */
export async function recover(invocation: RecoverInvocation, io: RecoverIo): Promise<number> {
  if (invocation.privateKey.trim() === '') {
    io.err(
      `error: ${RECOVERY_PRIVATE_KEY_ENV} is not set. Set it to the private key that recovery-keygen printed with the recovery-public-key of the run (from your password manager, e.g. read -rs ${RECOVERY_PRIVATE_KEY_ENV} && export ${RECOVERY_PRIVATE_KEY_ENV}); it is never taken as a flag.`
    )
    return 1
  }
  let ciphertext = invocation.ciphertext
  if (ciphertext === undefined) {
    if (io.stdinIsTerminal) io.err('Paste the recovery ciphertext, then press Ctrl-D:')
    ciphertext = await io.readStdin()
  }
  let value: string
  try {
    value = await openRecovery(
      fromLogLine(ciphertext),
      invocation.privateKey,
      RECOVERY_PRIVATE_KEY_ENV
    )
  } catch (error) {
    // openRecovery's messages never quote the key or the ciphertext; anything else is unexpected.
    const message =
      error instanceof ActionError ? error.message : `unexpected failure: ${describeError(error)}`
    io.err(`error: ${message}`)
    return 1
  }
  // A terminal gets a newline so the prompt does not run into the value; a pipe gets the bytes.
  io.out(io.stdoutIsTerminal ? `${value}\n` : value)
  io.err(
    [
      'Recovered. This may be the only copy of the live credential: store it as the refresh-token secret',
      'now (the secret named by refresh-token-secret), then rerun the rotation. For example:',
      '  token-rotation recover < ciphertext.txt | gh secret set OAUTH_REFRESH_TOKEN --repo owner/repo',
      'Do not leave it in a file, the clipboard or shell history.'
    ].join('\n')
  )
  return 0
}

/**
 * The ciphertext out of a whole log line pasted as is (`... recover): <base64>`, perhaps after the
 * runner's timestamp): what follows the last colon. Bare base64 is returned unchanged.
 */
export function fromLogLine(text: string): string {
  const logged = /:\s+([A-Za-z0-9+/]+={0,2})\s*$/.exec(text)
  return logged?.[1] ?? text
}
