import type { TargetResult, Targets } from '../../engine/ports.js'
import { describeError } from '../../errors.js'
import { GitLabTransportError, segment, type GitLabAnswer, type GitLabClient } from './client.js'
import type { VariableTargetSettings } from './configure.js'
import { answered, answerError, type GitLabContext } from './errors.js'
import { maskProblem } from './rules.js'

/** A CI/CD variable as GitLab's API shows it; a hidden one's value is always null. */
interface VariableEntity {
  key: string
  value: string | null
  variable_type?: string
  masked?: boolean
  hidden?: boolean
  protected?: boolean
  raw?: boolean
  environment_scope?: string
}

/** What a target found in preflight: the variable as it is, or nothing yet. */
type Found = { exists: false } | { exists: true; variable: VariableEntity }

/**
 * GitLab CI/CD variables of projects and groups as targets: each is created (masked unless told
 * otherwise, hidden when asked, which GitLab allows only at creation) or updated with the value
 * and the settings given, every other setting of an existing variable kept. A hidden variable's
 * value is never read back (GitLab never shows it).
 * @see https://docs.gitlab.com/api/project_level_variables/
 * @see https://docs.gitlab.com/api/group_level_variables/
 */
export class VariableTargets implements Targets {
  readonly #targets: readonly VariableTargetSettings[]
  readonly #client: (target: VariableTargetSettings) => GitLabClient

  constructor(
    targets: readonly VariableTargetSettings[],
    client: (target: VariableTargetSettings) => GitLabClient
  ) {
    this.#targets = targets
    this.#client = client
  }

  async preflight(): Promise<TargetResult[]> {
    const results: TargetResult[] = []
    for (const target of this.#targets) {
      try {
        const found = await this.#read(target, 'preflight')
        const why = settingsProblem(target, found)
        results.push(
          why
            ? this.#result(target, 'failed', { error: why })
            : this.#result(target, 'planned', {
                detail: found.exists
                  ? `update ${describeSettings(target, found.variable)}`
                  : `create ${describeSettings(target, undefined)}`
              })
        )
      } catch (error) {
        results.push(this.#result(target, 'failed', { error: describeError(error) }))
      }
    }
    return results
  }

  async publish(value: string): Promise<TargetResult[]> {
    const results: TargetResult[] = []
    for (const target of this.#targets) {
      try {
        results.push(await this.#write(target, value))
      } catch (error) {
        results.push(this.#result(target, 'failed', { error: describeError(error) }))
      }
    }
    return results
  }

  async #write(target: VariableTargetSettings, value: string): Promise<TargetResult> {
    const found = await this.#read(target, 'publish')
    const why = settingsProblem(target, found)
    if (why) return this.#result(target, 'failed', { error: why })
    // The value exists now: a masked variable must hold one GitLab can mask, or GitLab refuses
    // it (and says why in words that could not name the value).
    const masked =
      target.masked ?? (found.exists ? found.variable.masked : undefined) ?? target.hidden ?? true
    const raw = target.raw ?? (found.exists ? found.variable.raw : undefined) ?? false
    const unmaskable = masked ? maskProblem(value, raw) : undefined
    if (unmaskable) {
      return this.#result(target, 'failed', {
        error: `GitLab cannot mask the new value: ${unmaskable}. Nothing was written to this variable; set masked: false for it, or publish a value GitLab can mask.`
      })
    }
    const client = this.#client(target)
    const context = this.#context(target, 'publish', 'writing')
    if (found.exists) {
      const answer = await answered(() => client.send(this.#update(target, value)), context)
      if (answer.status === 200) return this.#result(target, 'updated', {})
      throw answerError(client, answer, context)
    }
    let answer: GitLabAnswer
    try {
      answer = await client.send({
        method: 'POST',
        path: this.#base(target),
        form: {
          key: target.variable,
          value,
          environment_scope: target.environmentScope,
          variable_type: target.type ?? 'env_var',
          protected: String(target.protected ?? false),
          raw: String(raw),
          ...(target.hidden === true ? { masked_and_hidden: 'true' } : { masked: String(masked) })
        },
        repeat: 'unsent-only'
      })
    } catch (error) {
      if (!(error instanceof GitLabTransportError)) throw error
      // The create may have landed: an update with the same value is safe to send whatever it did.
      const again = await answered(() => client.send(this.#update(target, value)), context)
      if (again.status === 200) return this.#result(target, 'created', {})
      throw answerError(client, again, context)
    }
    if (answer.status === 201) return this.#result(target, 'created', {})
    // Created by someone else since it was read: update it instead.
    if (answer.status === 400 && /already been taken/.test(client.reason(answer))) {
      const again = await answered(() => client.send(this.#update(target, value)), context)
      if (again.status === 200) return this.#result(target, 'updated', {})
      throw answerError(client, again, context)
    }
    throw answerError(client, answer, context)
  }

  /** The variable as it is now; its value is never used (a hidden one has none). */
  async #read(target: VariableTargetSettings, phase: 'preflight' | 'publish'): Promise<Found> {
    const client = this.#client(target)
    const context = this.#context(target, phase, 'reading')
    const answer = await answered(
      () =>
        client.send({
          method: 'GET',
          path: `${this.#base(target)}/${segment(target.variable)}`,
          query: { 'filter[environment_scope]': target.environmentScope }
        }),
      context
    )
    if (answer.status === 200) return { exists: true, variable: answer.body as VariableEntity }
    // 404 names either the variable (then it is created) or the project or group.
    if (answer.status === 404 && /variable not found/i.test(client.reason(answer))) {
      return { exists: false }
    }
    throw answerError(client, answer, context)
  }

  #update(target: VariableTargetSettings, value: string) {
    return {
      method: 'PUT' as const,
      path: `${this.#base(target)}/${segment(target.variable)}`,
      query: { 'filter[environment_scope]': target.environmentScope },
      form: {
        value,
        ...(target.masked !== undefined ? { masked: String(target.masked) } : {}),
        ...(target.protected !== undefined ? { protected: String(target.protected) } : {}),
        ...(target.raw !== undefined ? { raw: String(target.raw) } : {}),
        ...(target.type !== undefined ? { variable_type: target.type } : {})
      }
    }
  }

  #base(target: VariableTargetSettings): string {
    return `/${target.owner.kind}s/${segment(target.owner.path)}/variables`
  }

  #context(
    target: VariableTargetSettings,
    phase: 'preflight' | 'publish',
    verb: string
  ): GitLabContext {
    const { owner } = target
    return {
      phase,
      doing: `${verb} the variable ${target.variable} of ${owner.kind} ${owner.path}`,
      needs: `the api scope and the Maintainer role in ${owner.kind} ${owner.path} (publish[${String(target.index)}].gitlab.token)`,
      notFound: `the ${owner.kind} ${owner.path} does not exist at ${target.url}, or the token cannot see it`
    }
  }

  #result(
    target: VariableTargetSettings,
    status: TargetResult['status'],
    extra: { error?: string; detail?: string }
  ): TargetResult {
    const scope = target.environmentScope === '*' ? '' : ` (${target.environmentScope})`
    return {
      scope: target.owner.kind,
      type: 'variable',
      target: `${target.owner.path}${scope}`,
      name: target.variable,
      status,
      ...extra
    }
  }
}

/**
 * What GitLab would refuse about the settings given, against the variable as it is: hiding is
 * set at creation only, and a hidden variable stays masked and hidden.
 */
function settingsProblem(target: VariableTargetSettings, found: Found): string | undefined {
  if (!found.exists) return undefined
  const hidden = found.variable.hidden === true
  if (target.hidden === true && !hidden) {
    return `the variable exists and is not hidden, and GitLab hides a variable only when it is created: delete it (it is then created hidden), or set hidden: false`
  }
  if (target.hidden === false && hidden) {
    return `the variable exists and is hidden, and GitLab never shows a hidden variable again: remove hidden: false, or delete the variable`
  }
  if (hidden && target.masked === false) {
    return 'the variable is hidden, and a hidden variable stays masked: remove masked: false'
  }
  return undefined
}

function describeSettings(
  target: VariableTargetSettings,
  existing: VariableEntity | undefined
): string {
  const masked = target.masked ?? existing?.masked ?? target.hidden ?? true
  const hidden = existing?.hidden ?? target.hidden ?? false
  const flags = [
    hidden ? 'hidden' : masked ? 'masked' : 'not masked',
    ...((target.protected ?? existing?.protected) ? ['protected'] : []),
    ...((target.raw ?? existing?.raw) ? ['raw'] : [])
  ]
  return `(${flags.join(', ')})`
}
