/**
 * `fastify-cognito/local`: a local stand-in for an Amazon Cognito user pool and its hosted UI
 * (managed login), for tests and for development without an AWS account. It speaks Cognito's
 * protocol on loopback (`/oauth2/authorize` with a login form, `/oauth2/token`, `/oauth2/revoke`,
 * `/oauth2/userInfo`, `/logout`, `/signup`, `/passkeys/add`, the issuer's JWKS and discovery
 * document) and issues tokens shaped
 * like Cognito's. Built on oidc-provider, an optional peer dependency: `npm i -D oidc-provider@9`.
 * Importing this module does not load oidc-provider; {@link startLocalCognito} does, and without it
 * rejects with `FST_COGNITO_MISSING_PEER` and a one-line message that says what to install.
 *
 * Also available as a command: `npx fastify-cognito-local` (reads `HOST` and `PORT`).
 *
 * What it does as Cognito does:
 *
 * - Authorization code with PKCE (S256 only), refresh (optional rotation with a grace period),
 *   revocation, `/oauth2/userInfo`, `/logout?client_id=...&logout_uri=...`.
 * - Machine to machine: `POST /oauth2/token` with `grant_type=client_credentials`, HTTP Basic and
 *   `scope=<resource server>/<scope> ...` (none asked: all the client's custom scopes) answers
 *   `access_token`, `expires_in`, `token_type` only; the token has `sub` = `client_id` = the client
 *   id, `token_use: 'access'`, the custom `scope`, no `username` or `cognito:groups`. Errors:
 *   `invalid_client` (wrong secret, public client), `unauthorized_client` (a client without the
 *   flow), `invalid_scope`. Default machine client {@link DEFAULT_MACHINE_CLIENT}
 *   (`orders/read orders/write` of resource server `orders`); see `resourceServers` and the client
 *   options `allowedOAuthFlows` and `scopes`.
 * - A login session cookie (one hour): `/oauth2/authorize` signs in silently until `/logout`.
 *   `prompt=none` never shows a page: the code with a session, else back to `redirect_uri` with
 *   `error=login_required` and the `state`. `prompt=login` shows the login form despite the
 *   session; whoever signs in there gets the session. `login_hint` fills in the user name.
 * - `/signup` with the query of `/oauth2/authorize`: username, email and password (Cognito's
 *   default policy: 8 characters, upper and lower case, a number, a symbol); the new user joins
 *   {@link LocalCognito.users} and lands back at the app signed in, with a code. The login page
 *   links to it.
 * - `/passkeys/add?client_id=...&redirect_uri=...`: a stub page that says what Cognito would show,
 *   with a link back to the (registered) `redirect_uri`; 401 without a live session, 400 for an
 *   unknown client or a `redirect_uri` not registered.
 *
 * Differences from Cognito:
 *
 * - One pool, in memory, keys made at every start; users' passwords are kept and shown in plain text.
 * - No feature plans: managed-login features (prompt, login_hint, sign-up, the passkey page) work
 *   without choosing Essentials or Plus, and there is no classic (Lite) hosted UI to fall back to.
 * - Sign-up has no confirmation code step: the account is confirmed and its email counts as
 *   verified at once. Only username, email and password are asked; no other required attributes,
 *   no pre-sign-up trigger. Usernames are case-sensitive.
 * - Passkeys are not enrolled and cannot be used to sign in: `/passkeys/add` only explains.
 * - `prompt=login` keeps the session's id (it changes its user and sign-in time); Cognito makes a
 *   new session. `prompt=consent` and `select_account` are ignored (Cognito passes them to external
 *   IdPs, which the stand-in does not have). `prompt=none` answers `login_required` with an
 *   `error_description`. No federation: `identity_provider` and `idp_identifier` are ignored.
 * - Custom scopes are for `client_credentials` clients only: user tokens get the standard scopes.
 *   The `resource` parameter is not supported (Cognito puts it in `aud`); no pre-token-generation
 *   trigger; one secret per client (Cognito allows two, for rotation); no `GetClientToken` API.
 * - Error wording (`error_description`) is oidc-provider's or the stand-in's, not Cognito's.
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
