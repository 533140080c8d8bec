import * as z from 'zod'
import { DURATION_HINT, parseDuration } from '../../duration.js'
import { cronProblem } from '../../schedule/windows.js'
import { secretReference } from '../secret-reference.js'
import { REGISTRY, type Registry } from '../../providers/index.js'
import { CREDENTIAL_GROUPS, credentialKeysOf, type CredentialGroup, type FileKey } from './keys.js'

/** A credential's id: what `credentials`, the results and the summary name it by. */
export const CREDENTIAL_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

export { secretReference, type SecretReference } from '../secret-reference.js'

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
    case 'object':
      return key.schema ?? z.record(z.string(), z.unknown())
  }
}

/** The name of a shared entry of `connections:`, which a credential's section may give instead. */
const connectionName = z
  .string()
  .regex(CREDENTIAL_ID, 'a connection name is lower-case letters, digits and single hyphens')

function keysSchema(keys: readonly FileKey[]) {
  return z.strictObject(Object.fromEntries(keys.map(key => [key.key, valueSchema(key).optional()])))
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

/**
 * The file's schemas for the providers of `registry`: the keys, sections and targets each
 * provider declares, and what every credential has (health check, schedule, retire, alerts).
 */
export function fileSchemasOf(registry: Registry) {
  const keys = credentialKeysOf(registry)
  const groupSchema = (group: CredentialGroup) =>
    keysSchema(keys.filter(key => key.group === group))
  const targets = registry.providers.flatMap(provider => (provider.target ? [provider.target] : []))
  /** One entry of `publish`: one target, where the value (or one of its fields) is written. */
  const publishEntry = z
    .strictObject(
      Object.fromEntries(targets.map(target => [target.key, keysSchema(target.keys).optional()]))
    )
    .superRefine((entry, context) => {
      if (Object.keys(entry).length === 1) return
      const [only] = targets
      context.addIssue(
        targets.length === 1 && only && Object.keys(entry).length === 0
          ? { code: 'custom', path: [only.key], message: 'is required' }
          : {
              code: 'custom',
              message: `names one target: ${targets.map(target => `${target.key}:`).join(', or ')}`
            }
      )
    })
    // For editors: one target per entry (the refinement above is not in the JSON Schema).
    .meta({ minProperties: 1, maxProperties: 1 })
  const sections = registry.providers.flatMap(provider => Object.entries(provider.sections ?? {}))
  /** One credential: how it is issued, kept, published and checked. */
  const credential = z.strictObject({
    ...Object.fromEntries(
      CREDENTIAL_GROUPS.filter(group => group !== 'alerts' && group !== 'schedule').map(group => [
        group,
        groupSchema(group).optional()
      ])
    ),
    schedule: groupSchema('schedule').extend({ windows: windowsSchema.optional() }).optional(),
    alerts: groupSchema('alerts').extend({ webhook: webhookSchema.optional() }).optional(),
    ...Object.fromEntries(
      keys.filter(key => key.group === '').map(key => [key.key, valueSchema(key).optional()])
    ),
    ...Object.fromEntries(
      sections.map(([name, schema]) => [name, z.union([connectionName, schema]).optional()])
    ),
    publish: z.array(publishEntry).optional()
  })
  /** Sections written once and named by credentials: `connections: { vault: { team-a: … } }`. */
  const connections = z.strictObject(
    Object.fromEntries(
      sections.map(([name, schema]) => [name, z.record(connectionName, schema).optional()])
    )
  )
  /** The configuration file, version 1. */
  const file = z.strictObject({
    version: z.literal(1, { error: 'must be 1, the only version of this file so far' }),
    defaults: credential.optional(),
    connections: connections.optional(),
    credentials: z.record(
      z
        .string()
        .regex(CREDENTIAL_ID, 'a credential id is lower-case letters, digits and single hyphens'),
      credential
    )
  })
  return { credential, connections, file }
}

/** The file's schemas for the action's providers. */
export const FILE_SCHEMAS = fileSchemasOf(REGISTRY)

/** One credential of the file, as the schema checked it. */
export type CredentialEntry = z.infer<(typeof FILE_SCHEMAS)['credential']>

/** The file's JSON Schema, for editors: `config.schema.json` is written from it by `npm run docs`. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(FILE_SCHEMAS.file, { target: 'draft-2020-12' }),
    title: 'token-rotation-action configuration file'
  }
}
