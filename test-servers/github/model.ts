/**
 * The in-memory state of one server: owners, repositories, environments, secrets with their key
 * pairs, variables and issues. Lookups are case-insensitive where GitHub's are; every record keeps
 * the spelling it was created with, which is what GitHub echoes back.
 */
import { timestamp } from './http.js'
import { KeyIdSource, ScopeKeys } from './sealed-box.js'
import type { ScopeAddress, SecretApp } from './scope-path.js'
import type {
  IssueRecord,
  RepositoryRecord,
  SecretVisibility,
  StoredSecret,
  VariableRecord
} from './types.js'

export type OwnerType = 'Organization' | 'User'

/** One secrets collection: its own key pair and its secrets by upper-cased name. */
export class SecretScope {
  readonly keys: ScopeKeys
  readonly secrets = new Map<string, StoredSecret>()

  constructor(ids: KeyIdSource) {
    this.keys = new ScopeKeys(ids)
  }
}

export interface Owner {
  readonly login: string
  readonly id: number
  readonly type: OwnerType
  readonly createdAt: string
  readonly actionsSecrets: SecretScope
  readonly dependabotSecrets: SecretScope
}

export interface Environment {
  readonly id: number
  readonly name: string
  readonly createdAt: string
  readonly secrets: SecretScope
}

export interface Label {
  readonly id: number
  readonly name: string
  readonly color: string
}

export interface Comment {
  readonly id: number
  readonly body: string
  readonly createdAt: string
}

export interface Issue {
  readonly id: number
  readonly number: number
  title: string
  body: string | null
  state: 'open' | 'closed'
  stateReason: string | null
  labels: Label[]
  readonly createdAt: string
  updatedAt: string
  closedAt: string | null
  readonly comments: Comment[]
}

export interface Repo {
  readonly id: number
  readonly name: string
  readonly owner: Owner
  readonly private: boolean
  readonly createdAt: string
  /** By lower-cased name: GitHub matches environment names case-insensitively. */
  readonly environments: Map<string, Environment>
  readonly actionsSecrets: SecretScope
  readonly dependabotSecrets: SecretScope
  /** By upper-cased name. */
  readonly variables: Map<string, VariableRecord>
  /** In creation order; `number` is the index + 1. */
  readonly issues: Issue[]
  /** By lower-cased name. */
  readonly labels: Map<string, Label>
}

/** A secrets collection that exists, with what the routes need to know about it. */
export interface ResolvedScope {
  readonly address: ScopeAddress
  readonly secrets: SecretScope
  readonly app: SecretApp
  /** Set for organization scopes, whose secrets carry a visibility. */
  readonly org: Owner | undefined
  /** Canonical API path of the collection, e.g. `/orgs/octo/actions/secrets`. */
  readonly collectionPath: string
  /** The fine-grained permission GitHub names in `x-accepted-github-permissions`. */
  readonly permissionName: string
}

/** Who may see an organization secret, as stored. */
export interface SecretAccess {
  visibility: SecretVisibility
  selectedRepositoryIds: number[] | undefined
}

/** A copy that callers may keep or change without touching the server's state. */
export function copySecret(secret: StoredSecret): StoredSecret {
  const copy: StoredSecret = { ...secret }
  if (secret.selectedRepositoryIds !== undefined) {
    copy.selectedRepositoryIds = [...secret.selectedRepositoryIds]
  }
  return copy
}

function splitFullName(fullName: string): [string, string] {
  const parts = fullName.split('/')
  const [owner, name] = parts
  if (parts.length !== 2 || owner === undefined || name === undefined || !owner || !name) {
    throw new Error(`'${fullName}' is not a repository name of the form owner/name`)
  }
  return [owner, name]
}

export class GitHubModel {
  readonly #keyIds = new KeyIdSource()
  readonly #owners = new Map<string, Owner>()
  readonly #repos = new Map<string, Repo>()
  readonly #reposById = new Map<number, Repo>()
  #nextRepoId = 1000
  #nextOwnerId = 100
  // Environments, labels, issues and comments draw from one counter: their ids are never compared.
  #nextId = 1

  /** GitHub's clock, in ms: the real one unless the server was set off it. */
  readonly #clock: () => number

  constructor(clock: () => number = Date.now) {
    this.#clock = clock
  }

  /** Now, in GitHub's timestamp format. */
  now(): string {
    return timestamp(new Date(this.#clock()))
  }

  /** A fresh id for environments, labels, issues and comments. */
  nextId(): number {
    return this.#nextId++
  }

  addOrganization(login: string): Owner {
    const existing = this.#owners.get(login.toLowerCase())
    if (existing !== undefined) {
      if (existing.type !== 'Organization') {
        throw new Error(`'${login}' already exists as a user, not an organization`)
      }
      return existing
    }
    return this.#createOwner(login, 'Organization')
  }

  addRepository(
    fullName: string,
    options: { id?: number; environments?: string[]; private?: boolean; ownerType?: OwnerType }
  ): Repo {
    const [ownerLogin, name] = splitFullName(fullName)
    if (this.#repos.has(fullName.toLowerCase())) {
      throw new Error(`repository '${fullName}' already exists`)
    }
    if (options.id !== undefined && this.#reposById.has(options.id)) {
      throw new Error(`repository id ${options.id} is already taken`)
    }
    const ownerType = options.ownerType ?? 'Organization'
    const owner =
      this.#owners.get(ownerLogin.toLowerCase()) ?? this.#createOwner(ownerLogin, ownerType)
    if (options.ownerType !== undefined && owner.type !== options.ownerType) {
      throw new Error(`'${ownerLogin}' already exists as ${owner.type}`)
    }
    const repo: Repo = {
      id: options.id ?? this.#freeRepoId(),
      name,
      owner,
      private: options.private ?? false,
      createdAt: this.now(),
      environments: new Map(),
      actionsSecrets: new SecretScope(this.#keyIds),
      dependabotSecrets: new SecretScope(this.#keyIds),
      variables: new Map(),
      issues: [],
      labels: new Map()
    }
    this.#repos.set(fullName.toLowerCase(), repo)
    this.#reposById.set(repo.id, repo)
    for (const environment of options.environments ?? []) {
      this.addEnvironment(fullName, environment)
    }
    return repo
  }

  addEnvironment(fullName: string, name: string): Environment {
    const repo = this.findRepoByFullName(fullName)
    if (repo === undefined) throw new Error(`repository '${fullName}' does not exist`)
    const existing = repo.environments.get(name.toLowerCase())
    if (existing !== undefined) return existing
    const environment: Environment = {
      id: this.nextId(),
      name,
      createdAt: this.now(),
      secrets: new SecretScope(this.#keyIds)
    }
    repo.environments.set(name.toLowerCase(), environment)
    return environment
  }

  findOwner(login: string): Owner | undefined {
    return this.#owners.get(login.toLowerCase())
  }

  findRepo(owner: string, name: string): Repo | undefined {
    return this.#repos.get(`${owner}/${name}`.toLowerCase())
  }

  findRepoByFullName(fullName: string): Repo | undefined {
    return this.#repos.get(fullName.toLowerCase())
  }

  repoById(id: number): Repo | undefined {
    return this.#reposById.get(id)
  }

  /** The repositories of one owner, in creation order. */
  reposOf(owner: Owner): Repo[] {
    return [...this.#repos.values()].filter(repo => repo.owner === owner)
  }

  /** The collection a path names, or undefined when its repository, environment or org is missing. */
  resolveScope(address: ScopeAddress): ResolvedScope | undefined {
    if (address.level === 'org') {
      const org = this.findOwner(address.org)
      if (org?.type !== 'Organization') return undefined
      return {
        address,
        secrets: address.app === 'actions' ? org.actionsSecrets : org.dependabotSecrets,
        app: address.app,
        org,
        collectionPath: `/orgs/${org.login}/${address.app}/secrets`,
        permissionName:
          address.app === 'actions' ? 'organization_secrets' : 'organization_dependabot_secrets'
      }
    }
    const repo = this.findRepo(address.owner, address.repo)
    if (repo === undefined) return undefined
    const repoPath = `/repos/${repo.owner.login}/${repo.name}`
    if (address.level === 'environment') {
      const environment = repo.environments.get(address.environment.toLowerCase())
      if (environment === undefined) return undefined
      return {
        address,
        secrets: environment.secrets,
        app: 'actions',
        org: undefined,
        collectionPath: `${repoPath}/environments/${encodeURIComponent(environment.name)}/secrets`,
        permissionName: 'environments'
      }
    }
    return {
      address,
      secrets: address.app === 'actions' ? repo.actionsSecrets : repo.dependabotSecrets,
      app: address.app,
      org: undefined,
      collectionPath: `${repoPath}/${address.app}/secrets`,
      permissionName: address.app === 'actions' ? 'secrets' : 'dependabot_secrets'
    }
  }

  /**
   * Stores a plaintext under `name` (upper-cased), keeping `created_at` on update. `countWrite` is
   * false for seeding, so `writes` counts only what the API accepted.
   */
  writeSecret(
    scope: ResolvedScope,
    name: string,
    value: string,
    access: SecretAccess | undefined,
    countWrite: boolean
  ): 'created' | 'updated' {
    const key = name.toUpperCase()
    const existing = scope.secrets.secrets.get(key)
    const now = this.now()
    const secret: StoredSecret = {
      name: key,
      value,
      created_at: existing?.created_at ?? now,
      updated_at: now,
      writes: (existing?.writes ?? 0) + (countWrite ? 1 : 0)
    }
    if (access !== undefined) {
      secret.visibility = access.visibility
      if (access.visibility === 'selected') {
        secret.selectedRepositoryIds = [...(access.selectedRepositoryIds ?? [])]
      }
    }
    scope.secrets.secrets.set(key, secret)
    return existing === undefined ? 'created' : 'updated'
  }

  /**
   * Creates or updates a variable (name upper-cased), keeping `created_at` on update.
   * @param at when it was written, for seeding (default: now)
   */
  writeVariable(repo: Repo, name: string, value: string, at?: Date): void {
    const key = name.toUpperCase()
    const existing = repo.variables.get(key)
    const now = at === undefined ? this.now() : timestamp(at)
    repo.variables.set(key, {
      name: key,
      value,
      created_at: existing?.created_at ?? now,
      updated_at: now
    })
  }

  /** The label of that name, created (grey, as GitHub does) when the repository lacks it. */
  label(repo: Repo, name: string): Label {
    const existing = repo.labels.get(name.toLowerCase())
    if (existing !== undefined) return existing
    const label: Label = { id: this.nextId(), name, color: 'ededed' }
    repo.labels.set(name.toLowerCase(), label)
    return label
  }

  #createOwner(login: string, type: OwnerType): Owner {
    const owner: Owner = {
      login,
      id: this.#nextOwnerId++,
      type,
      createdAt: this.now(),
      actionsSecrets: new SecretScope(this.#keyIds),
      dependabotSecrets: new SecretScope(this.#keyIds)
    }
    this.#owners.set(login.toLowerCase(), owner)
    return owner
  }

  #freeRepoId(): number {
    while (this.#reposById.has(this.#nextRepoId)) this.#nextRepoId += 1
    return this.#nextRepoId++
  }
}

/** What {@link GitHubModel.addRepository} hands back to tests. */
export function repositoryRecord(repo: Repo): RepositoryRecord {
  return {
    id: repo.id,
    owner: repo.owner.login,
    name: repo.name,
    fullName: `${repo.owner.login}/${repo.name}`,
    private: repo.private
  }
}

/** What tests see of an issue. */
export function issueRecord(issue: Issue): IssueRecord {
  return {
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    labels: issue.labels.map(label => label.name),
    comments: issue.comments.map(comment => comment.body)
  }
}
