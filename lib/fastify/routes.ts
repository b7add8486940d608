/**
 * The routes the plugin mounts: login (GET), callback (GET), refresh (POST) and logout (GET). Each
 * is a thin handler: the login flow and the session lifecycle make every decision.
 */
import type { FastifyInstance } from 'fastify'
import { sanitizeReturnTo } from '../protocol/return-to.js'
import type { SessionLifecycle } from '../session/lifecycle.js'
import type { LoginFlow } from '../session/login.js'
import { assertSameOrigin, isBrowserNavigation, param, pathOnly } from './request.js'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { LoginOptions, LoginResult } from '../types.js'

/** The slice of configuration the routes use. */
export interface RoutesConfig {
  routes: { login: string | false, callback: string | false, refresh: string | false, logout: string | false }
  refresh: boolean
  appOrigin: string
  defaultReturnTo: string
  logoutUrl: string
  onLogin: ((request: FastifyRequest, reply: FastifyReply, login: LoginResult) => unknown) | undefined
  cookie: { sameSite: 'lax' | 'strict' | 'none' }
}

/** Marks a login request the plugin already moved to the redirect URI's host, so that it is never moved twice. */
const MOVED = 'cognito_moved'

/**
 * Starts a login from any handler: the transaction cookie, then the redirect to Cognito. A login
 * opened under another host name than the redirect URI's (`127.0.0.1` for `localhost`, the apex for
 * `www.`) would set its transaction cookie where the callback never reads it: the browser is first
 * moved to the same path on the redirect URI's origin, once.
 */
export function startLogin (login: LoginFlow, appOrigin: string, request: FastifyRequest, reply: FastifyReply, options?: LoginOptions): FastifyReply {
  const app = new URL(appOrigin)
  if (hostOf(request) !== app.host && param(request.query, MOVED) === undefined) {
    const target = new URL(request.url, app)
    target.searchParams.set(MOVED, '1')
    reply.header('cache-control', 'no-store')
    return reply.redirect(target.href, 302)
  }
  const url = login.begin(request, reply, options)
  reply.header('cache-control', 'no-store')
  return reply.redirect(url, 302)
}

/** The request's host as a URL would name it (no default port). */
function hostOf (request: FastifyRequest): string {
  try {
    return new URL(`${request.protocol}://${request.host}`).host
  } catch {
    return ''
  }
}

/** Registers the routes, in an encapsulated context: the form parser it adds stays out of the app. */
export function routesPlugin (config: RoutesConfig, login: LoginFlow, lifecycle: SessionLifecycle) {
  return async function cognitoRoutes (fastify: FastifyInstance): Promise<void> {
    // The refresh button of a server-rendered page posts a form; its body carries nothing we read.
    // parseAs makes Fastify enforce bodyLimit (413); a parser reading the raw stream would not.
    fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, _body, done) => {
      done(null, {})
    })

    if (config.routes.login !== false) {
      fastify.get(config.routes.login, async (request, reply) => {
        const { query } = request
        return startLogin(login, config.appOrigin, request, reply, {
          returnTo: param(query, 'returnTo'),
          identityProvider: param(query, 'identity_provider'),
          lang: param(query, 'lang'),
          prompt: param(query, 'prompt')
        })
      })
    }

    if (config.routes.callback !== false) {
      // The callback's query holds the authorization code: Fastify's request logs get the path only.
      fastify.get(config.routes.callback, { logSerializers: { req: pathOnly } }, async (request, reply) => {
        reply.header('cache-control', 'no-store')
        const { query } = request
        const { identity, returnTo } = await login.complete(request, reply, {
          state: param(query, 'state'),
          code: param(query, 'code'),
          error: (query as Record<string, unknown>).error
        })
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

    if (config.routes.refresh !== false && config.refresh) {
      fastify.post(config.routes.refresh, async (request, reply) => {
        assertSameOrigin(request, config.appOrigin, { allowSameSite: false })
        reply.header('cache-control', 'no-store')
        const identity = await lifecycle.renew(request, reply)
        request.cognito = identity
        if (isBrowserNavigation(request)) return reply.redirect(sanitizeReturnTo(param(request.query, 'returnTo')) ?? config.defaultReturnTo, 303)
        return { refreshed: true, expiresAt: identity.accessToken.exp }
      })
    }

    if (config.routes.logout !== false) {
      const logoutPath = config.routes.logout
      const logout = async (request: FastifyRequest, reply: FastifyReply, status: 302 | 303): Promise<FastifyReply> => {
        await lifecycle.end(request, reply)
        reply.header('cache-control', 'no-store')
        // Cognito's own login cookie lives on: only its /logout ends it.
        return reply.redirect(config.logoutUrl, status)
      }
      fastify.get(logoutPath, async (request, reply) => {
        assertSameOrigin(request, config.appOrigin, { allowSameSite: true })
        // A browser says where a navigation comes from (Fetch Metadata, or Origin). A request that says
        // neither may be an old browser or an image tag on any page: it gets a button, not a logout.
        if (request.headers.origin === undefined && request.headers['sec-fetch-site'] === undefined) {
          reply.header('cache-control', 'no-store')
          return reply.type('text/html; charset=utf-8').send(confirmLogoutPage(logoutPath))
        }
        return logout(request, reply, 302)
      })
      fastify.post(logoutPath, async (request, reply) => {
        assertSameOrigin(request, config.appOrigin, { allowSameSite: false })
        return logout(request, reply, 303)
      })
    }
  }
}

/** The page the callback answers when the session cookies are SameSite=Strict: it moves the browser to `returnTo` by itself. */
function continuePage (returnTo: string): string {
  const url = returnTo.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${url}"><title>Signed in</title><p><a href="${url}">Continue</a></p>\n`
}

/** The page `GET /logout` answers when the request cannot show it came from this app: one button that posts the logout. */
function confirmLogoutPage (path: string): string {
  const action = path.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
  return `<!doctype html><meta charset="utf-8"><title>Sign out</title><form method="post" action="${action}"><button type="submit">Sign out</button></form>\n`
}
