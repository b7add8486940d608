/**
 * The login family of routes: `GET /login`, `GET /signup` (the same login, at Cognito's sign-up page),
 * `GET /passkeys/add` (a signed-in user to Cognito's passkey enrolment and back) and the callback.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { sanitizeReturnTo } from '../protocol/return-to.js'
import type { LoginFlow, LoginPage } from '../session/login.js'
import type { CookieLayout } from '../session/cookies.js'
import type { RouteSchemas } from './openapi.js'
import { continuePage } from './pages.js'
import { param, pathOnly } from './request.js'
import type { LoginOptions, LoginResult } from '../types.js'

/** The slice of configuration the login routes use. */
export interface LoginRoutesConfig {
  routes: { login: string | false, callback: string | false, signup: string | false, passkeys: string | false }
  appOrigin: string
  defaultReturnTo: string
  /** Cognito's passkey enrolment page for this client and redirect URI. */
  passkeysUrl: string
  onLogin: ((request: FastifyRequest, reply: FastifyReply, login: LoginResult) => unknown) | undefined
  cookie: { sameSite: 'lax' | 'strict' | 'none', secure: boolean, markers: { passkeys: string } }
}

/** Marks a login request the plugin already moved to the redirect URI's host, so that it is never moved twice. */
const MOVED = 'cognito_moved'

/**
 * Starts a login from any handler: the transaction cookie, then the redirect to Cognito. A login
 * opened under another host name than the redirect URI's (`127.0.0.1` for `localhost`, the apex for
 * `www.`) would set its transaction cookie where the callback never reads it: the browser is first
 * moved to the same path on the redirect URI's origin, once.
 */
export function startLogin (login: LoginFlow, appOrigin: string, request: FastifyRequest, reply: FastifyReply, options?: LoginOptions, page?: LoginPage): FastifyReply {
  const app = new URL(appOrigin)
  reply.header('cache-control', 'no-store')
  if (hostOf(request) !== app.host && param(request.query, MOVED) === undefined) {
    const target = new URL(request.url, app)
    target.searchParams.set(MOVED, '1')
    return reply.redirect(target.href, 302)
  }
  return reply.redirect(login.begin(request, reply, options, page), 302)
}

/** The request's host as a URL would name it (no default port). */
function hostOf (request: FastifyRequest): string {
  try {
    return new URL(`${request.protocol}://${request.host}`).host
  } catch {
    return ''
  }
}

/** The login options a login or sign-up route reads from its query. */
function loginQuery (query: unknown): LoginOptions {
  return {
    returnTo: param(query, 'returnTo'),
    identityProvider: param(query, 'identity_provider'),
    idpIdentifier: param(query, 'idp_identifier'),
    lang: param(query, 'lang'),
    prompt: param(query, 'prompt'),
    loginHint: param(query, 'login_hint')
  }
}

export function registerLoginRoutes (fastify: FastifyInstance, config: LoginRoutesConfig, login: LoginFlow, jar: Pick<CookieLayout, 'cookies' | 'set' | 'unset'>, authenticate: preHandlerAsyncHookHandler, schemas: RouteSchemas): void {
  const { routes } = config
  const passkeysCookie = { httpOnly: true, secure: config.cookie.secure, sameSite: 'lax' as const, path: '/', maxAge: 600 }

  if (routes.login !== false) {
    fastify.get(routes.login, schemas.login, async (request, reply) => startLogin(login, config.appOrigin, request, reply, loginQuery(request.query)))
  }

  if (routes.signup !== false) {
    // Cognito's sign-up page takes the authorize query and signs the new user in: the same transaction.
    fastify.get(routes.signup, schemas.signup, async (request, reply) => startLogin(login, config.appOrigin, request, reply, loginQuery(request.query), 'signup'))
  }

  if (routes.passkeys !== false) {
    // Enrolment needs a live managed-login session at Cognito; Cognito sends the browser back to the
    // redirect URI afterwards, with no code and no state: the marker says where to go from there.
    fastify.get(routes.passkeys, { ...schemas.passkeys, preHandler: authenticate }, async (request, reply) => {
      const returnTo = sanitizeReturnTo(param(request.query, 'returnTo')) ?? config.defaultReturnTo
      jar.set(reply, config.cookie.markers.passkeys, encodeURIComponent(returnTo), passkeysCookie)
      return reply.redirect(config.passkeysUrl, 302)
    })
  }

  if (routes.callback !== false) {
    // The callback's query holds the authorization code: Fastify's request logs get the path only.
    fastify.get(routes.callback, { ...schemas.callback, logSerializers: { req: pathOnly } }, async (request, reply) => {
      reply.header('cache-control', 'no-store')
      const { query } = request
      const state = param(query, 'state')
      const error = (query as Record<string, unknown>).error
      const bare = state === undefined && error === undefined && param(query, 'code') === undefined
      const back = bare && routes.passkeys !== false ? jar.cookies(request)[config.cookie.markers.passkeys] : undefined
      if (back !== undefined) {
        // Back from passkey enrolment.
        jar.unset(reply, config.cookie.markers.passkeys, passkeysCookie)
        return reply.redirect(sanitizeReturnTo(safeDecode(back)) ?? config.defaultReturnTo, 302)
      }
      const { identity, returnTo } = await login.complete(request, reply, { state, code: param(query, 'code'), error })
      // A silent sign-in Cognito could not complete: back where the browser was, anonymous.
      if (identity === null) return reply.redirect(returnTo, 302)
      request.cognito = identity
      if (config.onLogin !== undefined) {
        const result = await config.onLogin(request, reply, { identity, returnTo })
        if (reply.sent || result !== undefined) return result
      }
      // The callback is a navigation that started on Cognito's site: a browser does not send the
      // Strict cookies just set on a redirect of it, and the guard at returnTo would start another
      // login. A page of ours that moves on by itself starts a same-site navigation, which sends them.
      // No Referer: this URL holds the (spent) authorization code.
      if (config.cookie.sameSite === 'strict') {
        reply.header('referrer-policy', 'no-referrer')
        return reply.type('text/html; charset=utf-8').send(continuePage(returnTo))
      }
      return reply.redirect(returnTo, 302)
    })
  }
}

function safeDecode (value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}
