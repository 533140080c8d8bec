/**
 * A second local OAuth2 server, `@node-oauth/oauth2-server`, whose model does not decode the
 * Basic credentials: the interoperability peer next to oidc-provider (test-servers/oauth2/).
 */
export { startNodeOAuth2Server } from './server.js'
export type { NodeOAuth2Server, NodeOAuth2ServerOptions } from './server.js'
export type { ModelCounts, NodeOAuth2Client } from './model.js'
