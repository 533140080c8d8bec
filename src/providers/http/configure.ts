import type * as z from 'zod'
import type { ActionConfig } from '../../config/rotation-config.js'
import type { Draft, PartReport } from '../provider.js'
import {
  createSchema,
  listSchema,
  revokeSchema,
  type CreateTemplate,
  type ListTemplate,
  type RevokeTemplate
} from './schema.js'
import { uses } from './templates.js'

declare module '../../config/rotation-config.js' {
  interface ProviderSlices {
    /** The requests that create, revoke and list keys, for `issuer.kind: http`. Holds a secret. */
    http?: HttpIssuerConfig
  }
}

/** The kind of the create-and-revoke issuer. */
export const HTTP_KIND = 'http'

/** A key API as the configuration file describes it; `admin` is a secret: never log it. */
export interface HttpIssuerConfig {
  create: CreateTemplate
  revoke?: RevokeTemplate
  list?: ListTemplate
  /** The credential `<admin>` stands for; absent, the current key calls the API itself. */
  admin?: string
  /** The credential's id in the file, for `<credential>`. */
  credential: string
}

/** Each request template, under its key path. */
const TEMPLATES = {
  'issuer.create': createSchema,
  'issuer.revoke': revokeSchema,
  'issuer.list': listSchema
} as const

/** A template as the file gave it, checked again for its type (the loader checked its shape). */
function template<S extends z.ZodType>(
  draft: Draft,
  path: keyof typeof TEMPLATES,
  schema: S
): z.output<S> | undefined {
  const given = draft.file.objects[path]
  if (given === undefined) return undefined
  const parsed = schema.safeParse(given)
  if (parsed.success) return parsed.data
  draft.report(
    parsed.error.issues.map(issue => ({
      input: [path, ...issue.path.map(String)].join('.'),
      message: issue.message
    }))
  )
  return undefined
}

/**
 * The key API of a credential that names `issuer.kind: http`: its requests, the credential that
 * calls them, and the rules between them. Every problem names its key path.
 */
export function configureHttp(draft: Draft): void {
  if (draft.issuer !== HTTP_KIND) return
  const { raw } = draft
  const create = template(draft, 'issuer.create', TEMPLATES['issuer.create'])
  const revoke = template(draft, 'issuer.revoke', TEMPLATES['issuer.revoke'])
  const list = template(draft, 'issuer.list', TEMPLATES['issuer.list'])
  const problem = (input: string, message: string) => {
    draft.report([{ input, message }])
  }
  if (draft.file.objects['issuer.create'] === undefined) {
    problem(
      'issuer.create',
      `is required with issuer.kind: ${HTTP_KIND}: the request that creates a key (url, headers, body) and where the answer has its value and id (value: /key, id: /id); write it in a configuration file`
    )
  }
  const admin = draft.file.keys['issuer.admin']
  if (admin !== undefined && /[\r\n]/.test(admin)) {
    problem(
      'issuer.admin',
      'holds a line break, which an HTTP header cannot carry: store the credential without it'
    )
  }
  const needsAdmin = [create, revoke, list].some(t => t !== undefined && uses(t, 'admin'))
  if (
    needsAdmin &&
    admin === undefined &&
    raw['previous-value'] === '' &&
    draft.mode !== 'verify'
  ) {
    problem(
      'issuer.admin',
      'is required where a request uses <admin>: the credential allowed to create and delete keys ({ env: NAME }); or set previous-value to the key the targets hold now, and each key creates its successor'
    )
  }
  if (
    raw['revoke-previous'].toLowerCase() === 'true' &&
    draft.file.objects['issuer.revoke'] === undefined
  ) {
    problem(
      'issuer.revoke',
      'is required with revoke-previous: the request that deletes a key by its id (url: https://…/<id>)'
    )
  }
  if (list && create && !uses(create, 'nonce')) {
    problem(
      'issuer.list',
      'finds the key a lost answer created by the run-unique <nonce> in its name: put <nonce> in the name create sends (name: ci-key-<nonce>), or remove list'
    )
  }
  if (!create) return
  draft.slices.http = {
    create,
    ...(revoke ? { revoke } : {}),
    ...(list ? { list } : {}),
    ...(admin !== undefined ? { admin } : {}),
    credential: draft.file.credential ?? ''
  }
}

/** A request template for the plan: its method and URL, placeholders as written. */
export function describeRequest(
  request: { method?: string | undefined; url: string },
  method: string
): string {
  // Without its query: one written as `?api_key=…` would print a key in the plan.
  const [path = '', query] = request.url.split(/[?#]/, 2)
  return `${request.method ?? method} ${path}${query === undefined ? '' : ' (query not shown)'}`
}

/** The plan's lines about the key API. */
export function describeHttp(config: ActionConfig): PartReport {
  const http = config.slices.http
  if (!http) return {}
  const caller = http.admin !== undefined ? 'issuer.admin' : 'the current key (previous-value)'
  return {
    lines: [
      `Key created with ${describeRequest(http.create, 'POST')} as ${caller}${
        http.revoke
          ? `; replaced keys deleted by id with ${describeRequest(http.revoke, 'DELETE')}`
          : '; replaced keys are not deleted (no issuer.revoke)'
      }.`,
      ...(http.list
        ? [`A lost create answer is looked up with ${describeRequest(http.list, 'GET')}.`]
        : [])
    ]
  }
}
