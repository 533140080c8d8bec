import {
  CURRENT,
  PENDING,
  PREVIOUS,
  versionWith,
  type SecretApi,
  type SecretDescription
} from './secret.js'
import { pollWithBackoff, type Backoff } from '../../engine/backoff.js'
import type { Clock, Issuer, Minted, Sleep } from '../../engine/ports.js'
import { ActionError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { valueShape } from '../../document/secret-document.js'
import { versionToken } from './version-token.js'

/** What the AWS issuer runs on. */
export interface AwsRotationOptions {
  secret: SecretApi
  /** How long the rotation Lambda may take (`rotation-timeout`). */
  timeoutMs: number
  /**
   * JSON fields the targets read (`secret-fields`): checked in AWSCURRENT before anything is
   * rotated, so a typo never strands a rotated value unpublished.
   */
  fields?: readonly string[]
  /** `store-field`: checked too when the value is a JSON object (a plain value is taken whole). */
  field?: string
  /**
   * A health check will probe the value: a JSON value then needs `store-field` (the check never
   * sends a whole document), which is checked before rotating too.
   */
  healthChecked?: boolean
  clock: Clock
  sleep: Sleep
  log: Logger
}

/** 1, 2, 4, 8, 15 s between looks at the rotation. */
const ROTATION_BACKOFF: Backoff = { firstMs: 1000, longestMs: 15_000 }

/** The versions one rotation moved between, for {@link Issuer.undo}. */
interface Rotation {
  from: string
  to: string
}

/**
 * `issuer: aws-secrets-manager`: AWS rotates the secret with its rotation Lambda. The issuer calls
 * RotateSecret with a ClientRequestToken made from the version it replaces (a retry, or a rerun
 * after a crash, names the same rotation instead of starting another), then waits with backoff,
 * up to `rotation-timeout`, until the new version carries AWSCURRENT. An AWSPENDING left on
 * another version blocks every later rotation: the issuer reports it and starts nothing. `undo`
 * moves AWSCURRENT back to the version it replaced, when the new value fails its health check.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html
 */
export function createAwsRotationIssuer(options: AwsRotationOptions): Issuer {
  let last: Rotation | undefined
  return {
    kind: 'aws-secrets-manager',
    // The wait for the rotation Lambda, and a minute for the requests around it.
    mintTimeoutMs: options.timeoutMs + 60_000,
    current: async () => (await options.secret.read({ stage: CURRENT }, 'verify')).value,
    mint: async current => {
      const minted = await rotate(options, current)
      last = minted.rotation
      return minted.minted
    },
    undo: async () => {
      if (!last) return
      const { secret, log } = options
      await secret.moveStage(CURRENT, last.from, last.to, 'verify')
      log.info(
        `${CURRENT} of secret ${secret.secretId} moved back to version ${last.from} (the new version ${last.to} failed its check and is ${PREVIOUS} now).`
      )
    }
  }
}

async function rotate(
  options: AwsRotationOptions,
  current: string
): Promise<{ minted: Minted; rotation: Rotation }> {
  const { secret } = options
  const description = await secret.describe('mint')
  const from = versionWith(description, CURRENT)
  if (!from) {
    throw new ActionError(`Secret ${secret.secretId} has no ${CURRENT} version to rotate from.`, {
      code: 'aws-rejected',
      phase: 'mint'
    })
  }
  if (!description.rotationLambda) {
    throw new ActionError(
      `Secret ${secret.secretId} has no rotation Lambda, so AWS cannot rotate it. Configure rotation (aws secretsmanager rotate-secret --secret-id ${secret.secretId} --rotation-lambda-arn ...), or use issuer: none to publish its value as it is.`,
      { code: 'aws-rejected', phase: 'mint' }
    )
  }
  checkFields(current, options, secret.secretId)
  const pending = versionWith(description, PENDING)
  const inFlight = pending !== undefined && pending !== from ? pending : undefined
  const token = await startRotation(options, description, from, inFlight)
  await waitForCurrent(options, token, from)
  const rotated = await secret.read({ versionId: token }, 'mint')
  return {
    minted: {
      value: rotated.value,
      next: rotated.value,
      rotated: false,
      previous: current,
      storedAs: `AWS stored the new value as version ${token} (${CURRENT}) of secret ${secret.secretId}`
    },
    rotation: { from, to: token }
  }
}

/** Every field the targets need is in the value (a plain value serves `store-field` whole). */
function checkFields(
  value: string,
  options: Pick<AwsRotationOptions, 'fields' | 'field' | 'healthChecked'>,
  secretId: string
): void {
  const shape = valueShape(value)
  if (options.healthChecked && options.field === undefined && shape.kind !== 'plain') {
    throw new ActionError(
      `${CURRENT} of secret ${secretId} is a JSON document: set store-field to the field the health check sends (it never sends the whole document). Nothing was rotated.`,
      { code: 'invalid-input', phase: 'mint' }
    )
  }
  const fields = [
    ...(options.fields ?? []),
    ...(options.field !== undefined && shape.kind !== 'plain' ? [options.field] : [])
  ]
  if (fields.length === 0) return
  const present = shape.kind === 'object' ? Object.keys(shape.object) : []
  const missing = fields.filter(field => !present.includes(field))
  if (missing.length === 0) return
  throw new ActionError(
    `${CURRENT} of secret ${secretId} has no field ${missing.map(f => `'${f}'`).join(', ')} (${shape.kind === 'object' ? `its fields: ${present.join(', ') || 'none'}` : 'it is not a JSON object'}); fix secret-fields or store-field. Nothing was rotated.`,
    { code: 'aws-rejected', phase: 'mint' }
  )
}

/** Attempts at a fresh token when a version already carries the one tried. */
const TOKEN_ATTEMPTS = 10

/**
 * Starts the rotation, or finds the one an earlier run of this action started from the same
 * version (its token is derived from that version), and answers the new version's id. The n-th
 * rotation from one version (after a move back to it) gets the n-th token: AWS refuses a token
 * that an existing version already carries.
 */
async function startRotation(
  options: AwsRotationOptions,
  description: SecretDescription,
  from: string,
  inFlight: string | undefined
): Promise<string> {
  const { secret, log } = options
  for (let n = 1; n <= TOKEN_ATTEMPTS; n += 1) {
    const token = versionToken(description.arn, `rotation ${String(n)} from ${from}`)
    if (inFlight === token) {
      log.info(`An earlier run started this rotation (version ${token}); waiting for it to finish.`)
      return token
    }
    if (description.stages.has(token)) continue
    if (inFlight !== undefined) break
    try {
      await secret.rotate(token, 'mint')
    } catch (error) {
      // A deprecated version (no label, so not in the description) may carry the token already.
      if (error instanceof ActionError && /ResourceExistsException/.test(error.message)) continue
      throw error
    }
    log.info(`Rotation started: version ${token} is ${PENDING} until the rotation Lambda finishes.`)
    return token
  }
  if (inFlight !== undefined) {
    // AWS's own schedule (or another tool) is rotating: its result is what gets published, and
    // only a rotation that never finishes is reported as stranded.
    log.info(
      `A rotation this action did not start is in progress (version ${inFlight} is ${PENDING}); waiting for it to finish, up to rotation-timeout.`
    )
    return inFlight
  }
  throw new ActionError(
    `Could not find a fresh ClientRequestToken for rotating secret ${secret.secretId} from version ${from} in ${String(TOKEN_ATTEMPTS)} attempts.`,
    { code: 'aws-rejected', phase: 'mint' }
  )
}

/** Waits until version `token` carries AWSCURRENT, or the rotation visibly failed or timed out. */
async function waitForCurrent(
  options: AwsRotationOptions,
  token: string,
  from: string
): Promise<void> {
  const { secret, timeoutMs } = options
  const polled = await pollWithBackoff(
    async () => {
      const description = await secret.describe('mint')
      const labels = description.stages.get(token) ?? []
      if (labels.includes(CURRENT)) return true
      if (!labels.includes(PENDING)) {
        throw new ActionError(
          `The rotation Lambda of secret ${secret.secretId} gave up: version ${token} is no longer ${PENDING} and never became ${CURRENT}, so ${CURRENT} is still version ${versionWith(description, CURRENT) ?? from}. Nothing was published. Look at the rotation Lambda's logs in CloudWatch.`,
          { code: 'rotation-failed', phase: 'mint' }
        )
      }
      return undefined
    },
    { ...options, backoff: ROTATION_BACKOFF }
  )
  if (!polled.done) {
    throw strandedError(
      secret.secretId,
      token,
      `after ${Math.round(timeoutMs / 1000)} s (rotation-timeout)`
    )
  }
}

function strandedError(secretId: string, version: string, when: string): ActionError {
  return new ActionError(
    `${PENDING} of secret ${secretId} is stranded on version ${version} ${when}: a rotation that never finished, and it blocks every later rotation (RotateSecret refuses until it is resolved). Nothing was published. Look at the rotation Lambda's logs in CloudWatch; once it is fixed, run aws secretsmanager rotate-secret --secret-id ${secretId} to finish that rotation, or remove the label (aws secretsmanager update-secret-version-stage --secret-id ${secretId} --version-stage ${PENDING} --remove-from-version-id ${version}) and run again.`,
    { code: 'rotation-pending', phase: 'mint' }
  )
}
