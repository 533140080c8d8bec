/**
 * A local AWS Secrets Manager endpoint for tests and the sandbox: AWS JSON 1.1 with real SigV4
 * verification, staging labels with AWS's rules, simulated rotation Lambdas, replica status, fault
 * injection, and a minimal STS `AssumeRoleWithWebIdentity` for the OIDC credential path.
 */
export { DEFAULT_CREDENTIALS, startSecretsManagerServer } from './server.js'
export type {
  AwsCredentials,
  Fault,
  FaultHandle,
  FaultInjector,
  IssuedCredentials,
  RecordedRequest,
  ReplicaSeed,
  ReplicaStatus,
  ReplicaView,
  RotationOutcome,
  RotationSimulation,
  SecretView,
  SecretVersionView,
  SecretsManagerServer,
  SecretsManagerServerOptions,
  SeedSecretOptions,
  WebIdentityOptions
} from './types.js'
