/**
 * A local GitHub REST API server for tests and the sandbox: repository, environment, organization
 * and Dependabot secrets sealed with real libsodium key pairs, repository variables, issues, and
 * fault injection (status codes, rate limits, dropped connections, latency).
 */
export { startGitHubServer } from './server.js'
export { sealValue } from './sealed-box.js'
export type {
  Fault,
  FaultHandle,
  FaultInjector,
  GitHubServer,
  GitHubServerOptions,
  IssueRecord,
  Permission,
  RecordedRequest,
  RepositoryRecord,
  SecretVisibility,
  StoredSecret,
  TokenGrant,
  VariableRecord
} from './types.js'
