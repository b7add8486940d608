import type { KoaContext, Middleware, Provider, UnknownObject } from 'oidc-provider'
import type { AccountDirectory } from './accounts.js'
import { completeSignIn, html, postedForm, queryString } from './http.js'
import { managedLogin } from './managed-login.js'
import type { ResolvedClient, ResolvedUser } from './options.js'
import { errorPage, loginPage } from './pages.js'
import type { LocalCognitoStats } from './types.js'

/** Cognito's scopes, all granted to every local client; an authorization request without `scope` gets them all. */
export const COGNITO_SCOPES = ['openid', 'email', 'phone', 'profile', 'aws.cognito.signin.user.admin']

/** Where the login form lives; oidc-provider's `interactions.url` sends the browser there. */
export const LOGIN_PATH = '/login/'

/** Options of {@link hostedUi}. */
export interface HostedUiOptions {
  provider: Provider
  directory: AccountDirectory
  clients: ReadonlyMap<string, ResolvedClient>
  stats: LocalCognitoStats
  userPoolId: string
  /** The pool's users (`LocalCognito.users`); the sign-up page adds to them. */
  users: ResolvedUser[]
}

/** Prompt values Cognito only passes on to external identity providers: its own users never see them. */
const IDP_PROMPTS = new Set(['consent', 'select_account'])

/** An authorization request's query as Cognito reads it, for oidc-provider. */
function authorizeQuery (query: KoaContext['query']): KoaContext['query'] {
  const result = { ...query }
  // Cognito: "if the client doesn't request any scopes, the authorization server uses all
  // scopes that are associated with the client".
  if (result.scope === undefined) result.scope = COGNITO_SCOPES.join(' ')
  // oidc-provider refuses select_account and asks for a consent this stand-in has no page for.
  if (typeof result.prompt === 'string') {
    const prompt = result.prompt.split(' ').filter((value) => !IDP_PROMPTS.has(value)).join(' ')
    if (prompt === '') delete result.prompt
    else result.prompt = prompt
  }
  return result
}

/**
 * Koa middleware in front of oidc-provider's router (`provider.use`) for what makes the stand-in
 * speak Cognito's hosted UI rather than plain OpenID Connect:
 *
 * - the issuer's discovery document at `/<userPoolId>/.well-known/openid-configuration` (the
 *   domain itself, like Cognito's, has none);
 * - the login form (`/login/<interaction>`) and Cognito's `/logout`, `/signup` and
 *   `/passkeys/add` (see managed-login.ts);
 * - Cognito's answers where oidc-provider's differ: no `refresh_token` in a refresh answer unless
 *   the client rotates, HTTP 400 (not 401) for token and revocation errors, all scopes when an
 *   authorization request names none, `prompt=consent` and `select_account` ignored (Cognito passes
 *   them to external IdPs only); and the {@link LocalCognitoStats} counters.
 */
export function hostedUi ({ provider, directory, clients, stats, userPoolId, users }: HostedUiOptions): Middleware {
  const discoveryPath = `/${userPoolId}/.well-known/openid-configuration`
  const managed = managedLogin({ provider, directory, clients, stats, users })

  async function interactionFor (ctx: KoaContext, uid: string): Promise<UnknownObject | undefined> {
    try {
      const { uid: current, params } = await provider.interactionDetails(ctx.req, ctx.res)
      return current === uid ? params : undefined
    } catch {
      return undefined
    }
  }

  async function login (ctx: KoaContext): Promise<void> {
    const uid = ctx.path.slice(LOGIN_PATH.length)
    const params = await interactionFor(ctx, uid)
    if (params === undefined) {
      html(ctx, 400, errorPage('invalid_request', 'This sign-in has expired or is unknown. Start again from the application.'))
      return
    }
    const page = { action: ctx.path, clientId: String(params.client_id), users: directory.accounts, signUpUrl: managed.signUpUrl(params) }
    if (ctx.method !== 'POST') {
      // Right after a sign-up, the new user is signed in without the form.
      const signedUp = managed.takeSignedUp(ctx)
      if (signedUp !== undefined) return await completeSignIn(provider, ctx, signedUp)
      // Cognito's managed login fills in the user name from `login_hint`.
      html(ctx, 200, loginPage({ ...page, username: typeof params.login_hint === 'string' ? params.login_hint : '' }))
      return
    }
    const form = await postedForm(ctx)
    if (form === undefined) return
    const username = form.get('username') ?? ''
    const account = directory.authenticate(username, form.get('password') ?? '')
    if (account === undefined) {
      // Cognito's wording; the same for an unknown user and a wrong password.
      html(ctx, 200, loginPage({ ...page, username, error: 'Incorrect username or password.' }))
      return
    }
    await completeSignIn(provider, ctx, account.sub)
  }

  /**
   * Cognito's `/logout?client_id=...&logout_uri=...`: ends the hosted UI's own sign-in session (so
   * the next authorization asks for the password again) and redirects to `logout_uri` when it is
   * registered, exactly, for that client. It neither revokes tokens nor reads
   * `post_logout_redirect_uri`; oidc-provider's RP-initiated logout (a confirmation form, other
   * parameters, revocation of the grants) is turned off.
   */
  async function logout (ctx: KoaContext): Promise<void> {
    const clientId = queryString(ctx, 'client_id')
    const logoutUri = queryString(ctx, 'logout_uri')
    const client = clientId === undefined ? undefined : clients.get(clientId)
    if (client === undefined) {
      html(ctx, 400, errorPage('invalid_request', 'client_id is missing or unknown.'))
      return
    }
    if (logoutUri === undefined || !client.logoutUris.includes(logoutUri)) {
      html(ctx, 400, errorPage('redirect_mismatch', 'logout_uri is missing or not a sign-out URL of this client.'))
      return
    }
    const session = await provider.Session.get(ctx)
    await session.destroy()
    ctx.cookies.set(provider.cookieName('session'), null, { httpOnly: true, sameSite: 'lax' })
    ctx.status = 302
    ctx.redirect(logoutUri)
  }

  function afterToken (ctx: KoaContext): void {
    const oidc = ctx.oidc!
    const grantType = oidc.params?.grant_type
    if (ctx.status !== 200) {
      const body = ctx.body as Record<string, unknown>
      if (body.error_description !== 'requested grant type is not allowed for this client') return
      // oidc-provider answers invalid_request to a grant the client may not use, Cognito
      // unauthorized_client; and invalid_client to a public client asking for client credentials
      // (that grant needs client authentication, which a client without secret cannot do).
      const error = grantType === 'client_credentials' && oidc.client!.clientAuthMethod === 'none' ? 'invalid_client' : 'unauthorized_client'
      ctx.body = { error, error_description: error === 'invalid_client' ? 'client authentication failed' : 'the client may not use this grant type' }
      return
    }
    // Cognito's token answers carry no `scope`.
    delete (ctx.body as Record<string, unknown>).scope
    if (grantType === 'authorization_code') {
      stats.authorizationCodeGrants++
      return
    }
    if (grantType === 'client_credentials') {
      stats.clientCredentialsGrants++
      return
    }
    stats.refreshTokenGrants++
    // Without rotation Cognito answers a refresh with new access and ID tokens only; oidc-provider
    // repeats the refresh token it was given.
    if (oidc.entities.RotatedRefreshToken === undefined) delete (ctx.body as Record<string, unknown>).refresh_token
  }

  /**
   * oidc-provider adds `iss` to every authorization response (RFC 9207) and has no setting to turn
   * it off; Cognito sends only `code` and `state` (or `error`, `error_description` and `state`).
   * The redirect is rewritten so that apps see what Cognito sends.
   */
  function dropIssParameter (ctx: KoaContext): void {
    const location = ctx.response.get('Location')
    if (location === undefined) return
    const url = new URL(location, provider.issuer)
    if (url.searchParams.get('iss') !== provider.issuer) return
    url.searchParams.delete('iss')
    ctx.set('Location', url.href)
  }

  return async function cognitoHostedUi (ctx, next) {
    if (ctx.path === discoveryPath) {
      ctx.path = '/.well-known/openid-configuration'
      return await next()
    }
    if (ctx.path.startsWith('/.well-known/')) {
      ctx.status = 404
      return
    }
    if (ctx.path.startsWith(LOGIN_PATH) && (ctx.method === 'GET' || ctx.method === 'POST')) return await login(ctx)
    if (ctx.path === '/logout' && ctx.method === 'GET') return await logout(ctx)
    if (ctx.path === '/signup' && (ctx.method === 'GET' || ctx.method === 'POST')) return await managed.signUp(ctx)
    if (ctx.path === '/passkeys/add' && ctx.method === 'GET') return await managed.addPasskey(ctx)
    if (ctx.path === '/oauth2/authorize') ctx.query = authorizeQuery(ctx.query)

    await next()

    const route = ctx.oidc?.route
    if (route === 'authorization' || route === 'resume') {
      dropIssParameter(ctx)
      return
    }
    if (route !== 'token' && route !== 'revocation') return
    // Cognito answers every token and revocation error with HTTP 400, invalid_client included.
    if (ctx.status === 401) ctx.status = 400
    if (route === 'token') {
      afterToken(ctx)
    } else if (ctx.status === 200) {
      stats.revocations++
    }
  }
}
