/**
 * A local GitLab REST API server for tests and the sandbox: personal, project and group access
 * tokens (create, rotate, self-rotate, revoke, token families, expiry, lifetime limit,
 * `last_used_at`), project and group CI/CD variables (masked, hidden, protected, raw, environment
 * scopes), GitLab's paging headers and error bodies, and fault rules.
 */
export { startGitLabServer } from './server.js'
export { ACCESS_LEVELS } from './model.js'
export type { ResourceKind, VariableRecord } from './model.js'
export type {
  AccessLevel,
  Authentication,
  GitLabServer,
  GitLabServerOptions,
  RateLimitFault,
  SeededToken,
  TokenSeed,
  TokenView,
  VariableSeed
} from './types.js'
