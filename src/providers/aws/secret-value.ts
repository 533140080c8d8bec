import { CURRENT, PREVIOUS, type SecretApi } from './secret.js'
import type { Issuer } from '../../engine/ports.js'
import { ActionError } from '../../errors.js'

/**
 * `issuer: none` with `store-secret-id`: a sync. Nothing is minted; the secret's AWSCURRENT value
 * is published as it is, and its AWSPREVIOUS value (when there is one) is what a failed health
 * check puts back on the targets.
 */
export function createAwsValueIssuer(secret: SecretApi): Issuer {
  return {
    kind: 'none',
    source: `${CURRENT} of AWS Secrets Manager secret ${secret.secretId}`,
    current: async () => (await secret.read({ stage: CURRENT }, 'verify')).value,
    mint: async () => {
      const current = await secret.read({ stage: CURRENT }, 'mint')
      const previous = await secret.read({ stage: PREVIOUS }, 'mint').catch((error: unknown) => {
        if (error instanceof ActionError && error.code === 'aws-not-found') return undefined
        throw error
      })
      return {
        value: current.value,
        next: '',
        rotated: false,
        ...(previous ? { previous: previous.value } : {}),
        storedAs: `read from ${CURRENT} (version ${current.versionId}) of secret ${secret.secretId}`
      }
    }
  }
}
