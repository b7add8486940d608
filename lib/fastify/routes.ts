/**
 * The routes the plugin mounts: the login family (login-routes.ts), `POST /refresh`, and logout
 * (GET and POST). Each is a thin handler: the login flow and the session lifecycle make every decision.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { sanitizeReturnTo } from '../protocol/return-to.js'
import type { SessionLifecycle } from '../session/lifecycle.js'
import type { LoginFlow } from '../session/login.js'
import type { CookieLayout } from '../session/cookies.js'
import { registerLoginRoutes, type LoginRoutesConfig } from './login-routes.js'
import type { RouteSchemas } from './openapi.js'
import { confirmLogoutPage } from './pages.js'
import { assertSameOrigin, isBrowserNavigation, param } from './request.js'

/** The slice of configuration the routes use. */
export interface RoutesConfig extends LoginRoutesConfig {
  routes: LoginRoutesConfig['routes'] & { refresh: string | false, logout: string | false }
  refresh: boolean
  logoutUrl: string
}

/** Registers the routes, in an encapsulated context: the form parser it adds stays out of the app. */
export function routesPlugin (config: RoutesConfig, login: LoginFlow, jar: CookieLayout, lifecycle: SessionLifecycle, authenticate: preHandlerAsyncHookHandler, schemas: RouteSchemas) {
  return async function cognitoRoutes (fastify: FastifyInstance): Promise<void> {
    // The refresh button of a server-rendered page posts a form; its body carries nothing we read.
    // parseAs makes Fastify enforce bodyLimit (413); a parser reading the raw stream would not.
    fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, _body, done) => {
      done(null, {})
    })

    registerLoginRoutes(fastify, config, login, jar, authenticate, schemas)

    if (config.routes.refresh !== false && config.refresh) {
      fastify.post(config.routes.refresh, schemas.refresh, async (request, reply) => {
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
      fastify.get(logoutPath, schemas.logoutGet, async (request, reply) => {
        assertSameOrigin(request, config.appOrigin, { allowSameSite: true })
        // A browser says where a navigation comes from (Fetch Metadata, or Origin). A request that says
        // neither may be an old browser or an image tag on any page: it gets a button, not a logout.
        if (request.headers.origin === undefined && request.headers['sec-fetch-site'] === undefined) {
          reply.header('cache-control', 'no-store')
          return reply.type('text/html; charset=utf-8').send(confirmLogoutPage(logoutPath))
        }
        return logout(request, reply, 302)
      })
      fastify.post(logoutPath, schemas.logoutPost, async (request, reply) => {
        assertSameOrigin(request, config.appOrigin, { allowSameSite: false })
        return logout(request, reply, 303)
      })
    }
  }
}
