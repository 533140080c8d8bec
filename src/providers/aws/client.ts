import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'

/**
 * A Secrets Manager client configured the SDK's own way: the default credential chain
 * (environment, web identity from aws-actions/configure-aws-credentials, shared config, container
 * or instance role), the region from `aws-region` or the SDK's configuration, and endpoint
 * overrides such as AWS_ENDPOINT_URL_SECRETS_MANAGER. Nothing is overridden; the SDK retries
 * throttling, 5xx and dropped connections itself.
 */
export function createSecretsManagerClient(region: string | undefined): SecretsManagerClient {
  return new SecretsManagerClient({
    ...(region !== undefined ? { region } : {}),
    customUserAgent: 'token-rotation-action'
  })
}
