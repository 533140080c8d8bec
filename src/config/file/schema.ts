import * as z from 'zod'
import { DURATION_HINT, parseDuration } from '../../duration.js'
import { cronProblem } from '../../schedule/windows.js'
import {
  CREDENTIAL_GROUPS,
  CREDENTIAL_KEYS,
  GITHUB_TARGET_KEYS,
  type CredentialGroup,
  type FileKey
} from './keys.js'

/** A credential's id: what `credentials`, the results and the summary name it by. */
export const CREDENTIAL_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

/** An environment variable's name, as POSIX shells accept it. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** What a secret-valued key takes: the name of the environment variable that holds the secret. */
export const secretReference = z.strictObject(
  {
    env: z
      .string()
      .regex(ENV_NAME, 'an environment variable name: letters, digits and _, not first a digit')
  },
  {
    // A missing one is worded as every missing key is: "is required".
    error: issue =>
      issue.input === undefined
        ? undefined
        : 'a secret must be { env: NAME }: secrets are never written in the file'
  }
)

export type SecretReference = z.infer<typeof secretReference>

function valueSchema(key: FileKey): z.ZodType {
  switch (key.type) {
    case 'secret':
      return secretReference
    case 'list':
      return z.union([z.string(), z.array(z.string())])
    case 'flag':
      return z.boolean()
    case 'count':
      return z.number().int().min(0)
    case 'text':
      return key.values ? z.enum(key.values as [string, ...string[]]) : z.string()
  }
}

function keysSchema(keys: readonly FileKey[]) {
  return z.strictObject(Object.fromEntries(keys.map(key => [key.key, valueSchema(key).optional()])))
}

function groupSchema(group: CredentialGroup) {
  return keysSchema(CREDENTIAL_KEYS.filter(key => key.group === group))
}

/**
 * A webhook that alerts get POSTed to, besides the issue. Its URL is a secret too (an incoming
 * webhook's URL carries its token), and so is the key of the body's signature.
 */
const webhookSchema = z.strictObject({
  url: secretReference,
  secret: secretReference.optional()
})

export type WebhookReference = z.infer<typeof webhookSchema>

/**
 * One allow window of `schedule.windows`: it opens at each time of `cron` (UTC) and stays open for
 * `duration`. Checked here, so that a bad one is reported at its own line and key path.
 */
const windowSchema = z.strictObject({
  cron: z.string().superRefine((cron, context) => {
    const problem = cronProblem(cron)
    if (problem) context.addIssue({ code: 'custom', message: problem })
  }),
  duration: z.string().superRefine((text, context) => {
    const ms = parseDuration(text)
    if (ms === undefined || ms === 0) {
      context.addIssue({
        code: 'custom',
        message: `'${text}' is not a duration longer than zero; use ${DURATION_HINT}`
      })
    }
  })
})

export type WindowEntry = z.infer<typeof windowSchema>

/** When a due rotation may run; absent, at any time. */
const windowsSchema = z
  .array(windowSchema)
  .min(1, { error: 'lists no window: remove windows to rotate at any time' })

/** One entry of `publish`: where the credential's value (or one of its fields) is written. */
const publishEntry = z.strictObject({ github: keysSchema(GITHUB_TARGET_KEYS) })

/** One credential: how it is issued, where it is kept, where it is published, how it is checked. */
export const credentialSchema = z.strictObject({
  ...Object.fromEntries(
    CREDENTIAL_GROUPS.filter(group => group !== 'alerts' && group !== 'schedule').map(group => [
      group,
      groupSchema(group).optional()
    ])
  ),
  schedule: groupSchema('schedule').extend({ windows: windowsSchema.optional() }).optional(),
  alerts: groupSchema('alerts').extend({ webhook: webhookSchema.optional() }).optional(),
  ...Object.fromEntries(
    CREDENTIAL_KEYS.filter(key => key.group === '').map(key => [
      key.key,
      valueSchema(key).optional()
    ])
  ),
  publish: z.array(publishEntry).optional()
})

/** The configuration file, version 1. */
export const configFileSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1, the only version of this file so far' }),
  defaults: credentialSchema.optional(),
  credentials: z.record(
    z
      .string()
      .regex(CREDENTIAL_ID, 'a credential id is lower-case letters, digits and single hyphens'),
    credentialSchema
  )
})

/** The file's JSON Schema, for editors: `config.schema.json` is written from it by `npm run docs`. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configFileSchema, { target: 'draft-2020-12' }),
    title: 'token-rotation-action configuration file'
  }
}
