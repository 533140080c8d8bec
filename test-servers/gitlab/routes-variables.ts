/**
 * CI/CD variable endpoints of projects and groups: list (paginated), get, create, update and
 * delete by key, with `filter[environment_scope]` to pick one of several variables sharing a key
 * (GitLab answers 409 when the key alone is ambiguous).
 */
import {
  DEFAULT_SCOPES,
  type RequestContext,
  type Route,
  findResource,
  levelIn,
  route
} from './api.js'
import {
  ACCESS_LEVELS,
  type ResourceKind,
  type ResourceRecord,
  type VariableRecord
} from './model.js'
import { validateVariable, variableEntity } from './variables.js'
import {
  type ApiReply,
  type Params,
  apiError,
  booleanParam,
  forbidden,
  notFound,
  paginate,
  paramError,
  stringParam,
  validationError
} from './wire.js'

const VARIABLE_TYPES: readonly string[] = ['env_var', 'file']

/** `admin_build` / `admin_cicd_variables`: Maintainer or above. */
function writableResource(ctx: RequestContext, kind: ResourceKind, id: string): ResourceRecord {
  const resource = findResource(ctx, kind, id)
  // A project or group token acts with its bot user's role, like any member.
  if (levelIn(ctx, resource) < ACCESS_LEVELS.maintainer) throw forbidden()
  return resource
}

function environmentFilter(params: Params): string | undefined {
  const filter = params.filter
  if (filter === undefined) return undefined
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw paramError(['filter is invalid'])
  }
  return stringParam(filter as Params, 'environment_scope')
}

/** `find_variable`: by key, narrowed by the filter; several matches is a 409. */
function findVariable(
  ctx: RequestContext,
  resource: ResourceRecord,
  key: string,
  label: string
): VariableRecord {
  const scope = environmentFilter(ctx.params)
  const matches = ctx.model
    .variables(resource)
    .filter(
      variable =>
        variable.key === key && (scope === undefined || variable.environmentScope === scope)
    )
  if (matches.length > 1) {
    throw apiError(
      409,
      "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'"
    )
  }
  const [variable] = matches
  if (variable === undefined) throw notFound(label)
  return variable
}

function variableTypeParam(params: Params): 'env_var' | 'file' | undefined {
  const value = stringParam(params, 'variable_type')
  if (value === undefined) return undefined
  if (!VARIABLE_TYPES.includes(value))
    throw paramError(['variable_type does not have a valid value'])
  return value as 'env_var' | 'file'
}

function variableRoutes(kind: ResourceKind): Route[] {
  const base = `/${kind}s/:id/variables`
  const label = kind === 'project' ? 'Variable' : 'GroupVariable'
  return [
    route('GET', base, DEFAULT_SCOPES, (ctx, [id = '']): ApiReply => {
      const resource = writableResource(ctx, kind, id)
      const page = paginate(
        ctx.model.variables(resource).map(variableEntity),
        ctx.params,
        ctx.selfUrl,
        ctx.query
      )
      return { status: 200, body: page.items, headers: page.headers }
    }),

    route('GET', `${base}/:key`, DEFAULT_SCOPES, (ctx, [id = '', key = '']) => {
      const resource = writableResource(ctx, kind, id)
      return { status: 200, body: variableEntity(findVariable(ctx, resource, key, label)) }
    }),

    route('POST', base, DEFAULT_SCOPES, (ctx, [id = '']) => {
      const resource = writableResource(ctx, kind, id)
      const key = stringParam(ctx.params, 'key')
      const value = stringParam(ctx.params, 'value')
      const missing: string[] = []
      if (key === undefined) missing.push('key is missing')
      if (value === undefined) missing.push('value is missing')
      if (key === undefined || value === undefined) throw paramError(missing)
      const maskedAndHidden = booleanParam(ctx.params, 'masked_and_hidden') ?? false
      const variable: VariableRecord = {
        key: key.trim(),
        value,
        variableType: variableTypeParam(ctx.params) ?? 'env_var',
        protected: booleanParam(ctx.params, 'protected') ?? false,
        masked: maskedAndHidden || (booleanParam(ctx.params, 'masked') ?? false),
        hidden: maskedAndHidden,
        raw: booleanParam(ctx.params, 'raw') ?? false,
        environmentScope: stringParam(ctx.params, 'environment_scope') ?? '*',
        description: stringParam(ctx.params, 'description') ?? null
      }
      const list = ctx.model.variables(resource)
      const errors = validateVariable(variable, list)
      if (Object.keys(errors).length > 0) throw validationError(errors)
      list.push(variable)
      return { status: 201, body: variableEntity(variable) }
    }),

    route('PUT', `${base}/:key`, DEFAULT_SCOPES, (ctx, [id = '', key = '']) => {
      const resource = writableResource(ctx, kind, id)
      const current = findVariable(ctx, resource, key, label)
      const { params } = ctx
      const next: VariableRecord = {
        ...current,
        value: stringParam(params, 'value') ?? current.value,
        variableType: variableTypeParam(params) ?? current.variableType,
        protected: booleanParam(params, 'protected') ?? current.protected,
        masked: booleanParam(params, 'masked') ?? current.masked,
        raw: booleanParam(params, 'raw') ?? current.raw,
        environmentScope: stringParam(params, 'environment_scope') ?? current.environmentScope,
        description:
          params.description === null
            ? null
            : (stringParam(params, 'description') ?? current.description)
      }
      const list = ctx.model.variables(resource)
      const errors = validateVariable(
        next,
        list.filter(other => other !== current),
        current
      )
      if (Object.keys(errors).length > 0) throw validationError(errors)
      Object.assign(current, next)
      return { status: 200, body: variableEntity(current) }
    }),

    route('DELETE', `${base}/:key`, DEFAULT_SCOPES, (ctx, [id = '', key = '']) => {
      const resource = writableResource(ctx, kind, id)
      const variable = findVariable(ctx, resource, key, label)
      const list = ctx.model.variables(resource)
      list.splice(list.indexOf(variable), 1)
      return { status: 204 }
    })
  ]
}

/** Every variable route. */
export const variableRouteList: readonly Route[] = [
  ...variableRoutes('project'),
  ...variableRoutes('group')
]
