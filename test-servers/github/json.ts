/**
 * The JSON shapes GitHub answers with, trimmed to the fields a client is likely to read but with
 * GitHub's field names and types.
 */
import type { Comment, Environment, Issue, Label, Owner, Repo } from './model.js'

/** GitHub's node ids are opaque base64; tests only need them stable and distinct. */
function nodeId(prefix: string, id: number): string {
  return `${prefix}_kgDO${Buffer.from(String(id)).toString('base64url')}`
}

/** The account that a GitHub App installation token (such as GITHUB_TOKEN) acts as. */
const ACTIONS_BOT = {
  login: 'github-actions[bot]',
  id: 41898282,
  node_id: 'MDM6Qm90NDE4OTgyODI=',
  type: 'Bot',
  site_admin: false
} as const

export function ownerJson(owner: Owner, baseUrl: string): Record<string, unknown> {
  return {
    login: owner.login,
    id: owner.id,
    node_id: nodeId(owner.type === 'Organization' ? 'O' : 'U', owner.id),
    type: owner.type,
    site_admin: false,
    url: `${baseUrl}/users/${owner.login}`,
    html_url: `https://github.com/${owner.login}`
  }
}

export function organizationJson(org: Owner, baseUrl: string): Record<string, unknown> {
  return {
    login: org.login,
    id: org.id,
    node_id: nodeId('O', org.id),
    url: `${baseUrl}/orgs/${org.login}`,
    repos_url: `${baseUrl}/orgs/${org.login}/repos`,
    description: null,
    type: 'Organization',
    created_at: org.createdAt
  }
}

export function repoJson(repo: Repo, baseUrl: string): Record<string, unknown> {
  const fullName = `${repo.owner.login}/${repo.name}`
  return {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: fullName,
    private: repo.private,
    owner: ownerJson(repo.owner, baseUrl),
    html_url: `https://github.com/${fullName}`,
    description: null,
    fork: false,
    url: `${baseUrl}/repos/${fullName}`,
    archived: false,
    disabled: false,
    visibility: repo.private ? 'private' : 'public',
    default_branch: 'main',
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    pushed_at: repo.createdAt
  }
}

export function environmentJson(
  repo: Repo,
  environment: Environment,
  baseUrl: string
): Record<string, unknown> {
  const fullName = `${repo.owner.login}/${repo.name}`
  return {
    id: environment.id,
    node_id: nodeId('EN', environment.id),
    name: environment.name,
    url: `${baseUrl}/repos/${fullName}/environments/${encodeURIComponent(environment.name)}`,
    html_url: `https://github.com/${fullName}/deployments/activity_log?environments_filter=${encodeURIComponent(environment.name)}`,
    created_at: environment.createdAt,
    updated_at: environment.createdAt,
    protection_rules: [],
    deployment_branch_policy: null
  }
}

export function labelJson(repo: Repo, label: Label, baseUrl: string): Record<string, unknown> {
  return {
    id: label.id,
    node_id: nodeId('LA', label.id),
    url: `${baseUrl}/repos/${repo.owner.login}/${repo.name}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    default: false,
    description: null
  }
}

export function issueJson(repo: Repo, issue: Issue, baseUrl: string): Record<string, unknown> {
  const repoUrl = `${baseUrl}/repos/${repo.owner.login}/${repo.name}`
  return {
    id: issue.id,
    node_id: nodeId('I', issue.id),
    url: `${repoUrl}/issues/${issue.number}`,
    repository_url: repoUrl,
    comments_url: `${repoUrl}/issues/${issue.number}/comments`,
    html_url: `https://github.com/${repo.owner.login}/${repo.name}/issues/${issue.number}`,
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    state_reason: issue.stateReason,
    locked: false,
    user: ACTIONS_BOT,
    labels: issue.labels.map(label => labelJson(repo, label, baseUrl)),
    assignees: [],
    comments: issue.comments.length,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    author_association: 'NONE'
  }
}

export function commentJson(
  repo: Repo,
  issue: Issue,
  comment: Comment,
  baseUrl: string
): Record<string, unknown> {
  const repoUrl = `${baseUrl}/repos/${repo.owner.login}/${repo.name}`
  return {
    id: comment.id,
    node_id: nodeId('IC', comment.id),
    url: `${repoUrl}/issues/comments/${comment.id}`,
    html_url: `https://github.com/${repo.owner.login}/${repo.name}/issues/${issue.number}#issuecomment-${comment.id}`,
    issue_url: `${repoUrl}/issues/${issue.number}`,
    body: comment.body,
    user: ACTIONS_BOT,
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
    author_association: 'NONE'
  }
}
