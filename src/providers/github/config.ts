import * as z from 'zod'
import { ConfigError, type InputProblem } from '../../errors.js'
import {
  isValidLogin,
  parseRepository,
  repositoryName,
  secretNameProblem,
  secretValueProblem,
  type RepositoryRef
} from './rules.js'
import { isLoopbackHost } from '../../config/loopback.js'
import { DURATION_HINT, parseDuration } from '../../duration.js'
import type { InputName, RawInputs } from '../../config/inputs.js'
import { parseList } from '../../config/lists.js'

export type SecretType = 'actions' | 'dependabot'
export type Visibility = 'all' | 'private' | 'selected'

/** The organization secret to write, as the inputs ask for it. */
export interface OrgSecretConfig {
  login: string
  /** Absent: keep the existing secret's visibility (or `private` for a new one). */
  visibility?: Visibility
  /** Absent: keep the existing list of a `selected` secret. */
  selectedRepositories?: RepositoryRef[]
}

/** Everything a publish run needs, validated once; the rest of the code never reads inputs. */
export interface PublishConfig {
  token: string
  apiUrl: string
  secretName: string
  value: string
  secretType: SecretType
  repositories: RepositoryRef[]
  environments: string[]
  org?: OrgSecretConfig
  maxConcurrency: number
  writeIntervalMs: number
  dryRun: boolean
}

/** What the run knows besides its inputs: the runner's environment variables. */
export interface RunnerContext {
  /** `GITHUB_REPOSITORY`: the default target. */
  repository?: string | undefined
  /** `GITHUB_API_URL`: https://api.github.com, or a GitHub Enterprise Server's API. */
  apiUrl?: string | undefined
}

/** How the rest of the configuration shapes the publish inputs. */
export interface PublishOptions {
  /** The issuer that mints the value (then `value` must be empty), or undefined for `none`. */
  mintedBy?: string
  /** The run publishes nothing it was given (modes verify and retire): `value` may be empty. */
  valueOptional?: boolean
  /** Where the value is read from instead (`store-secret-id`); then `value` must be empty. */
  valueFrom?: string
  /** Other inputs name the secrets to write (`secret-fields`): `secret-name` may be empty. */
  nameOptional?: boolean
  /**
   * The credential neither writes a GitHub secret nor keeps anything on GitHub (a store, a lock):
   * `github-token` may be empty.
   */
  tokenOptional?: boolean
}

const BOOLEAN_TRUE = ['true', 'True', 'TRUE']
const BOOLEAN_FALSE = ['false', 'False', 'FALSE']
const MAX_ENVIRONMENT_NAME = 255

type Ctx = z.RefinementCtx

function problem(ctx: Ctx, input: InputName, message: string): never {
  ctx.addIssue({ code: 'custom', path: [input], message })
  return z.NEVER
}

const repositoryList = (input: InputName) => (raw: string, ctx: Ctx) => {
  const refs: RepositoryRef[] = []
  for (const item of parseList(raw)) {
    const ref = parseRepository(item)
    if (ref) refs.push(ref)
    else problem(ctx, input, `'${item}' is not a repository; write it as owner/repo`)
  }
  return dedupe(refs, ref => repositoryName(ref).toLowerCase())
}

const booleanInput = (input: InputName) => (raw: string, ctx: Ctx) => {
  if (BOOLEAN_TRUE.includes(raw)) return true
  if (BOOLEAN_FALSE.includes(raw)) return false
  return problem(ctx, input, `'${raw}' is not a boolean; use true or false`)
}

const durationInput = (input: InputName) => (raw: string, ctx: Ctx) => {
  const ms = parseDuration(raw)
  return ms ?? problem(ctx, input, `'${raw}' is not a duration; use ${DURATION_HINT}`)
}

/** One schema per input: each turns the raw text into its typed value, or names what is wrong. */
const fields = {
  'github-token': z.string().transform((raw, ctx) => {
    if (raw === '') {
      return problem(
        ctx,
        'github-token',
        'is required: pass a token that can write secrets (a fine-grained PAT with "Secrets: write", or a GitHub App token); the default GITHUB_TOKEN cannot write secrets'
      )
    }
    return raw
  }),
  'secret-name': z.string().transform((raw, ctx) => {
    const why = secretNameProblem(raw)
    return why ? problem(ctx, 'secret-name', why) : raw
  }),
  value: z.string().transform((raw, ctx) => {
    const why = secretValueProblem(raw)
    return why ? problem(ctx, 'value', why) : raw
  }),
  repositories: z.string().transform(repositoryList('repositories')),
  environment: z.string().transform((raw, ctx) => {
    // GitHub compares environment names case-insensitively: `Prod` and `prod` are one environment.
    const names = dedupe(parseList(raw), name => name.toLowerCase())
    for (const name of names) {
      if (name.length > MAX_ENVIRONMENT_NAME) {
        problem(
          ctx,
          'environment',
          `an environment name is at most ${MAX_ENVIRONMENT_NAME} characters`
        )
      }
    }
    return names
  }),
  org: z.string().transform((raw, ctx) => {
    if (raw !== '' && !isValidLogin(raw)) {
      return problem(
        ctx,
        'org',
        `'${raw}' is not an organization login (letters, digits and hyphens)`
      )
    }
    return raw
  }),
  visibility: z.string().transform((raw, ctx) => {
    if (raw === '') return undefined
    if (raw === 'all' || raw === 'private' || raw === 'selected') return raw
    return problem(ctx, 'visibility', `'${raw}' is not a visibility; use all, private or selected`)
  }),
  'selected-repositories': z.string().transform(repositoryList('selected-repositories')),
  'secret-type': z.string().transform((raw, ctx) => {
    if (raw === 'actions' || raw === 'dependabot') return raw
    return problem(ctx, 'secret-type', `'${raw}' is not a secret type; use actions or dependabot`)
  }),
  'max-concurrency': z.string().transform((raw, ctx) => {
    const n = Number(raw)
    if (!/^\d+$/.test(raw) || n < 1 || n > 100) {
      return problem(
        ctx,
        'max-concurrency',
        `'${raw}' is not a whole number from 1 to 100 (GitHub allows at most 100 concurrent requests)`
      )
    }
    return n
  }),
  'write-interval': z.string().transform(durationInput('write-interval')),
  'dry-run': z.string().transform(booleanInput('dry-run'))
}

type ParsedInputs = z.output<z.ZodObject<typeof fields>>

/**
 * Rules between inputs. They run on whatever inputs parsed, so a run with several mistakes hears of
 * all of them at once.
 */
function crossInputProblems(inputs: Partial<ParsedInputs>): InputProblem[] {
  const problems: InputProblem[] = []
  const add = (input: InputName, message: string) => problems.push({ input, message })
  const org = inputs.org
  const selected = inputs['selected-repositories'] ?? []
  const environments = inputs.environment ?? []
  if (org === '') {
    if (inputs.visibility !== undefined) {
      add('visibility', 'applies to organization secrets only; set org as well, or remove it')
    }
    if (selected.length > 0) {
      add(
        'selected-repositories',
        'applies to organization secrets only; set org as well, or remove it'
      )
    }
  }
  if (org) {
    if (
      selected.length > 0 &&
      inputs.visibility !== undefined &&
      inputs.visibility !== 'selected'
    ) {
      add(
        'selected-repositories',
        `is given but visibility is '${inputs.visibility}'; set visibility to selected, or remove selected-repositories`
      )
    }
    for (const ref of selected) {
      if (ref.owner.toLowerCase() !== org.toLowerCase()) {
        add(
          'selected-repositories',
          `'${repositoryName(ref)}' is not in organization '${org}'; an organization secret can only be shared with its own repositories`
        )
      }
    }
    if (environments.length > 0 && inputs.repositories?.length === 0) {
      add(
        'environment',
        'needs repositories: with org and no repositories only the organization secret is written; list the repositories whose environments get the secret'
      )
    }
  }
  if (inputs['secret-type'] === 'dependabot' && environments.length > 0) {
    add(
      'environment',
      'Dependabot has no environment secrets; remove environment or use secret-type: actions'
    )
  }
  return problems
}

/**
 * Validates every input at once, before any network call, and returns the typed configuration.
 * @param raw the inputs as `readInputs` read them
 * @throws ConfigError listing every invalid input, each with what would be valid.
 */
export function parsePublishConfig(
  raw: RawInputs,
  context: RunnerContext,
  options: PublishOptions = {}
): PublishConfig {
  const problems: InputProblem[] = []
  const apiUrl = checkApiUrl(context.apiUrl ?? 'https://api.github.com', problems)

  const values: Partial<ParsedInputs> = {}
  for (const name of Object.keys(fields) as (keyof typeof fields)[]) {
    if (name === 'value' && options.mintedBy) {
      if (raw.value !== '') {
        problems.push({
          input: 'value',
          message: `is minted by the ${options.mintedBy} issuer; remove value, or set issuer: none to publish it`
        })
      }
      continue
    }
    if (name === 'value' && options.valueFrom) {
      if (raw.value !== '') {
        problems.push({
          input: 'value',
          message: `is read from ${options.valueFrom}; remove value, or remove ${options.valueFrom} to publish it`
        })
      }
      continue
    }
    if (name === 'value' && options.valueOptional && raw.value === '') continue
    if (name === 'github-token' && options.tokenOptional && raw['github-token'] === '') {
      values['github-token'] = ''
      continue
    }
    if (name === 'secret-name' && options.nameOptional && raw['secret-name'] === '') {
      values['secret-name'] = ''
      continue
    }
    const result = fields[name].safeParse(raw[name])
    if (result.success) Object.assign(values, { [name]: result.data })
    else
      problems.push(...result.error.issues.map(issue => ({ input: name, message: issue.message })))
  }
  problems.push(...crossInputProblems(values))
  if (problems.length > 0) throw new ConfigError(problems)

  const inputs = values as ParsedInputs
  let repositories = inputs.repositories
  // Without a token GitHub plays no part (the caller allowed that): no default target either,
  // so a run outside GitHub Actions (GitLab CI) needs no GITHUB_REPOSITORY.
  const noPart = options.tokenOptional === true && inputs['github-token'] === ''
  if (repositories.length === 0 && inputs.org === '' && !noPart) {
    const current = context.repository ? parseRepository(context.repository) : undefined
    if (!current) {
      throw new ConfigError([
        {
          input: 'repositories',
          message:
            'is empty and GITHUB_REPOSITORY is not set; list the repositories as owner/repo, or set org'
        }
      ])
    }
    repositories = [current]
  }

  const config: PublishConfig = {
    token: inputs['github-token'],
    apiUrl,
    secretName: inputs['secret-name'],
    value: options.mintedBy || options.valueFrom ? '' : (values.value ?? ''),
    secretType: inputs['secret-type'],
    repositories,
    environments: inputs.environment,
    maxConcurrency: inputs['max-concurrency'],
    writeIntervalMs: inputs['write-interval'],
    dryRun: inputs['dry-run']
  }
  if (inputs.org !== '') {
    const selected = inputs['selected-repositories']
    const visibility = inputs.visibility ?? (selected.length > 0 ? 'selected' : undefined)
    config.org = {
      login: inputs.org,
      ...(visibility ? { visibility } : {}),
      ...(selected.length > 0 ? { selectedRepositories: selected } : {})
    }
  }
  return config
}

/**
 * The API URL comes from the runner; a token must never travel in clear text, so plain http is
 * accepted only for loopback addresses (local test servers).
 */
function checkApiUrl(raw: string, problems: InputProblem[]): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    problems.push({ input: 'GITHUB_API_URL', message: `'${raw}' is not a URL` })
    return raw
  }
  const loopback = isLoopbackHost(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    problems.push({
      input: 'GITHUB_API_URL',
      message: `'${raw}' is not https; the token would travel in clear text (plain http is accepted only for loopback test servers)`
    })
  }
  return raw.replace(/\/+$/, '')
}

function dedupe<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>()
  return items.filter(item => {
    const k = key(item)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
