/**
 * The session endpoint (`GET /session`): who is signed in, for the single-page app to render, and
 * never a token. Always 200 (the app renders either way), `Cache-Control: no-store`.
 *
 * - signed in: `{ authenticated: true, user: { sub, username, groups, email?, emailVerified?, name?, ...userClaims }, expiresAt, logoutUrl }`
 * - anonymous: `{ authenticated: false, loginUrl, silentLoginUrl? }`
 *
 * `loginUrl` is the plugin's login route with `returnTo` (the `returnTo` query of this request, else
 * `/`): the app navigates there (a top-level navigation, never `fetch`: the hosted UI is a page).
 * `silentLoginUrl` (option `silentLogin`) is the same with `prompt=none`: Cognito signs the user in
 * without a page when it still has a session, else sends the browser back anonymous. The app decides
 * when to try it, once (a flag in `sessionStorage`), or it would try on every load.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { CognitoInternals } from '../fastify/internals.js'
import { param } from '../fastify/request.js'
import type { CognitoIdentity, FastifyCognito } from '../types.js'
import type { BffConfig } from './options.js'

/** What the session endpoint answers. */
export type BffSession =
  | { authenticated: true, user: BffUser, expiresAt: string | null, logoutUrl: string | null }
  | { authenticated: false, loginUrl: string | null, silentLoginUrl?: string }

/** The user, as the session endpoint describes them: identity and attributes, no token. */
export interface BffUser {
  sub: string
  username: string
  groups: readonly string[]
  email?: string
  emailVerified?: boolean
  name?: string
  [claim: string]: unknown
}

function userOf (identity: CognitoIdentity, userClaims: readonly string[]): BffUser {
  const claims: Record<string, unknown> = identity.idToken ?? {}
  const user: BffUser = { sub: identity.sub, username: identity.username, groups: identity.groups }
  if (typeof claims.email === 'string') user.email = claims.email
  if (typeof claims.email_verified === 'boolean') user.emailVerified = claims.email_verified
  if (typeof claims.name === 'string') user.name = claims.name
  for (const name of userClaims) if (claims[name] !== undefined) user[name] = claims[name]
  return user
}

function loginLink (loginPath: string, returnTo: string, silent: boolean): string {
  return `${loginPath}?${new URLSearchParams({ returnTo, ...(silent ? { prompt: 'none' } : {}) })}`
}

/** Builds the answer for a request a guard has identified (or not). */
export function sessionAnswer (request: FastifyRequest, internals: CognitoInternals, config: BffConfig): BffSession {
  const identity = request.cognito
  if (identity !== null) {
    const exp = identity.accessToken?.exp
    return {
      authenticated: true,
      user: userOf(identity, config.userClaims),
      expiresAt: exp === undefined ? null : new Date(exp * 1000).toISOString(),
      logoutUrl: internals.logoutPath === false ? null : internals.logoutPath
    }
  }
  const loginPath = internals.loginPath
  if (loginPath === false) return { authenticated: false, loginUrl: null }
  // The login route checks returnTo (same origin only); here it is only carried.
  const returnTo = param(request.query, 'returnTo') ?? '/'
  return {
    authenticated: false,
    loginUrl: loginLink(loginPath, returnTo, false),
    ...(config.silentLogin ? { silentLoginUrl: loginLink(loginPath, returnTo, true) } : {})
  }
}

export function registerSessionRoute (fastify: FastifyInstance, cognito: FastifyCognito, internals: CognitoInternals, config: BffConfig, path: string): void {
  // Optional: anonymous is an answer, not an error; 502/503 (Cognito or the store down) still are.
  const identify: preHandlerAsyncHookHandler = cognito.guard({ optional: true, redirectToLogin: false })
  // A bearer token is not a BFF session: the answer is about the browser's session only.
  const sessionOnly = async (request: FastifyRequest): Promise<void> => { delete request.headers.authorization }
  fastify.get(path, { onRequest: sessionOnly, preHandler: identify }, async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store')
    return sessionAnswer(request, internals, config)
  })
}
