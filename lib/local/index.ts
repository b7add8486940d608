/**
 * `fastify-cognito/local`: a local stand-in for an Amazon Cognito user pool and its hosted UI
 * (managed login), for tests and for development without an AWS account. It speaks Cognito's
 * protocol on loopback (`/oauth2/authorize` with a login form, `/oauth2/token`, `/oauth2/revoke`,
 * `/oauth2/userInfo`, `/logout`, the issuer's JWKS and discovery document) and issues tokens shaped
 * like Cognito's. Built on oidc-provider, an optional peer dependency: `npm i -D oidc-provider@9`.
 * Importing this module does not load oidc-provider; {@link startLocalCognito} does, and without it
 * rejects with `FST_COGNITO_MISSING_PEER` and a one-line message that says what to install.
 *
 * Also available as a command: `npx fastify-cognito-local` (reads `HOST` and `PORT`).
 *
 * @example
 * ```ts
 * import { LocalCognitoBrowser, startLocalCognito } from 'fastify-cognito/local'
 *
 * const local = await startLocalCognito()
 * // ... start the app with { domain: local.domain, userPoolId: local.userPoolId, ...local.clients.confidential }
 * const browser = new LocalCognitoBrowser(local.url)
 * const callback = await browser.signIn(authorizeUrlFromTheApp, { username: 'alice', password: 'Passw0rd!' })
 * await local.close()
 * ```
 *
 * @packageDocumentation
 */
import { loadServer } from './require-peer.js'
import type { LocalCognito, LocalCognitoOptions } from './types.js'

/**
 * Starts a local stand-in for an Amazon Cognito user pool and its hosted UI, on oidc-provider (an
 * optional peer dependency: without it this rejects with `FST_COGNITO_MISSING_PEER`, "fastify-cognito/local
 * needs oidc-provider: npm install --save-dev oidc-provider@9"). Keys are generated at start and
 * everything lives in memory: nothing is read from or written to disk.
 *
 * @example
 * ```ts
 * import { startLocalCognito } from 'fastify-cognito/local'
 *
 * const local = await startLocalCognito({ redirectUris: ['http://localhost:3000/auth/callback'] })
 * const { clientId, clientSecret } = local.clients.confidential
 * // register the plugin with { domain: local.domain, userPoolId: local.userPoolId, clientId, clientSecret, ... }
 * // sign in as alice / Passw0rd! on the page the login route redirects to
 * await local.close()
 * ```
 */
export async function startLocalCognito (options?: LocalCognitoOptions): Promise<LocalCognito> {
  const server = await loadServer('fastify-cognito/local')
  return await server.startLocalCognito(options)
}

export { HostedUiError, LocalCognitoBrowser, type SignInCredentials } from './browser.js'
export { DEFAULT_CONFIDENTIAL_CLIENT, DEFAULT_MACHINE_CLIENT, DEFAULT_PASSWORD, DEFAULT_PUBLIC_CLIENT, DEFAULT_RESOURCE_SERVER } from './options.js'
export type {
  LocalCognito, LocalCognitoClient, LocalCognitoOAuthFlow, LocalCognitoOptions, LocalCognitoResourceServer, LocalCognitoStats, LocalCognitoUser
} from './types.js'
