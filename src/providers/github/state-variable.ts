import { rotationStateSchema, type RotationState } from '../../engine/state.js'
import { ActionError } from '../../errors.js'
import type { SendOptions } from './client.js'
import { toGitHubError, type RequestContext } from './request-errors.js'
import {
  MAX_VARIABLE_BYTES,
  repositoryNotFound,
  VARIABLES_PERMISSION,
  type RepositoryVariables
} from './variables.js'

/**
 * The write-ahead record of the rotation (DESIGN.md, "Write-ahead state") in a repository
 * variable, as compact JSON. Variables are readable by anyone who can read the repository, which
 * is why the record holds fingerprints and times only.
 */
export class StateVariable {
  readonly #variables: RepositoryVariables
  readonly #name: string

  constructor(variables: RepositoryVariables, name: string) {
    this.#variables = variables
    this.#name = name
  }

  /**
   * The record, or undefined when the variable does not exist (before the first rotation).
   * @throws ActionError `state-invalid` when the variable holds something else
   */
  async read(): Promise<RotationState | undefined> {
    let text: string | undefined
    try {
      text = await this.#variables.get(this.#name)
    } catch (error) {
      throw toGitHubError(error, this.#context('preflight', 'reading'))
    }
    if (text === undefined) return undefined
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw this.#invalid('it is not JSON')
    }
    const parsed = rotationStateSchema.safeParse(json)
    if (parsed.success) return parsed.data
    const fields = [...new Set(parsed.error.issues.map(issue => issue.path.join('.') || '(all)'))]
    throw this.#invalid(`missing or invalid: ${fields.join(', ')}`)
  }

  /**
   * Replaces the record: PATCH, or create when it does not exist yet. A create that loses a race
   * with another writer's create (409) falls back to PATCH.
   */
  async write(state: RotationState, send: SendOptions = {}): Promise<void> {
    // Parsing drops any field the schema does not know, so nothing but fingerprints and times is
    // written, and never a record the next run would refuse to read.
    const parsed = rotationStateSchema.safeParse(state)
    if (!parsed.success) {
      throw new ActionError(
        `The rotation record to write to variable ${this.#name} of ${this.#variables.repository} is not valid (${parsed.error.issues.map(issue => issue.path.join('.')).join(', ')}); nothing was written.`,
        { code: 'internal', phase: 'persist' }
      )
    }
    const text = JSON.stringify(parsed.data)
    const bytes = Buffer.byteLength(text, 'utf8')
    if (bytes > MAX_VARIABLE_BYTES) {
      throw new ActionError(
        `The rotation record is ${bytes} bytes, more than the ${MAX_VARIABLE_BYTES} bytes (48 KB) a variable holds; variable ${this.#name} of ${this.#variables.repository} was left as it was.`,
        { code: 'state-invalid', phase: 'persist' }
      )
    }
    try {
      if (await this.#variables.update(this.#name, text, send)) return
      if (await this.#variables.create(this.#name, text, send)) return
      if (await this.#variables.update(this.#name, text, send)) return
    } catch (error) {
      throw toGitHubError(error, this.#context('persist', 'writing'))
    }
    throw new ActionError(
      `Writing the rotation record to variable ${this.#name} of ${this.#variables.repository} failed: the variable was created and deleted again while this run wrote it. Check what else writes that variable, then run again.`,
      { code: 'github-rejected', phase: 'persist' }
    )
  }

  #context(phase: 'preflight' | 'persist', verb: string): RequestContext {
    return {
      phase,
      doing: `${verb} the rotation record (variable ${this.#name} of ${this.#variables.repository})`,
      permission: VARIABLES_PERMISSION,
      notFound: repositoryNotFound(this.#variables.repository)
    }
  }

  #invalid(reason: string): ActionError {
    const name = this.#name
    const repository = this.#variables.repository
    return new ActionError(
      `The repository variable ${name} of ${repository} does not hold a rotation record this action can read (${reason}). Fix its value, or delete it (gh variable delete ${name} --repo ${repository}): the next run then treats the refresh token it is given as a first rotation, with nothing to resume and no check for a stale input.`,
      { code: 'state-invalid', phase: 'preflight' }
    )
  }
}
