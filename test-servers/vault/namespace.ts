/** What one namespace isolates: its policies, token roles and mounts. */
import { AppRoleMount } from './approle.js'
import type { Core } from './core.js'
import { AwsMount, DatabaseMount } from './dynamic.js'
import { JwtMount } from './jwt.js'
import { KvMount } from './kv.js'
import { type Capability, DEFAULT_POLICY, type PathRule, parsePolicy } from './policy.js'
import type { NamespaceOptions, TokenRoleOptions } from './types.js'
import { badRequest } from './wire.js'

/** A policy as stored: its text (as read back) and its rules. */
export interface StoredPolicy {
  text: string
  rules: PathRule[]
}

function policyText(
  rules: ReadonlyArray<{ path: string; capabilities: readonly string[] }>
): string {
  return rules
    .map(
      rule =>
        `path "${rule.path}" {\n  capabilities = [${rule.capabilities.map(c => `"${c}"`).join(', ')}]\n}`
    )
    .join('\n\n')
}

/** One namespace ('' is the root one). */
export class Namespace {
  readonly path: string
  readonly policies = new Map<string, StoredPolicy>()
  readonly tokenRoles = new Map<string, TokenRoleOptions>()
  readonly kv = new Map<string, KvMount>()
  readonly database = new Map<string, DatabaseMount>()
  readonly aws = new Map<string, AwsMount>()
  readonly jwt = new Map<string, JwtMount>()
  readonly approle = new Map<string, AppRoleMount>()

  constructor(core: Core, path: string, options: NamespaceOptions) {
    this.path = path
    const now = (): number => core.nowMs()
    this.setPolicy('default', DEFAULT_POLICY)
    for (const [name, policy] of Object.entries(options.policies ?? {})) {
      if (typeof policy === 'string') this.setPolicy(name, policy)
      else {
        const text = policyText(policy)
        this.setPolicy(name, text)
      }
    }
    for (const [name, role] of Object.entries(options.token_roles ?? {}))
      this.tokenRoles.set(name, { ...role })
    for (const [mount, kv] of Object.entries(options.kv ?? { secret: {} }))
      this.kv.set(mount, new KvMount(core, kv))
    for (const [mount, db] of Object.entries(options.database ?? {})) {
      this.database.set(mount, new DatabaseMount(core, mount, db))
    }
    for (const [mount, aws] of Object.entries(options.aws ?? {}))
      this.aws.set(mount, new AwsMount(core, mount, aws))
    for (const [mount, jwt] of Object.entries(options.jwt ?? {}))
      this.jwt.set(mount, new JwtMount(jwt, now))
    for (const [mount, approle] of Object.entries(options.approle ?? {})) {
      this.approle.set(mount, new AppRoleMount(approle.roles ?? {}, now))
    }
  }

  setPolicy(name: string, text: string): void {
    if (name === 'root') throw badRequest('cannot update "root" policy')
    this.policies.set(name, { text, rules: parsePolicy(text) })
  }

  /** The rules of the named policies that exist (unknown names grant nothing, as in Vault). */
  rules(names: readonly string[]): PathRule[] {
    return names.flatMap(name => this.policies.get(name)?.rules ?? [])
  }
}

export type { Capability }
