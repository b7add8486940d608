/**
 * `fastify-cognito/local`: a local stand-in for an Amazon Cognito user pool and its hosted UI
 * (managed login), for tests and for development without an AWS account. It speaks Cognito's
 * protocol on loopback (`/oauth2/authorize` with a login form, `/oauth2/token`, `/oauth2/revoke`,
 * `/oauth2/userInfo`, `/logout`, the issuer's JWKS and discovery document) and issues tokens shaped
 * like Cognito's. Built on oidc-provider, an optional peer dependency: `npm i -D oidc-provider`.
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
export { startLocalCognito } from './server.js'
export { HostedUiError, LocalCognitoBrowser, type SignInCredentials } from './browser.js'
export { DEFAULT_CONFIDENTIAL_CLIENT, DEFAULT_PASSWORD, DEFAULT_PUBLIC_CLIENT } from './options.js'
export type { LocalCognito, LocalCognitoClient, LocalCognitoOptions, LocalCognitoStats, LocalCognitoUser } from './types.js'
