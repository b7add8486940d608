/**
 * Hook factories for `preHandler`: authentication, all-of and any-of groups, scopes, and the app's
 * own check. A guard answers 401 (with `WWW-Authenticate: Bearer`) when nobody is authenticated,
 * 403 when the user is not allowed, and may send a browser navigation to login instead of a 401.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { AccessDeniedError, GroupRequiredError, InvalidOptionError, ScopeRequiredError } from './errors.js'
import { isBearerScheme } from './authenticator.js'
import type { Authenticator } from './authenticator.js'
import type { ResolvedConfig } from './options.js'
import type { GuardOptions } from './types.js'

function stringList (value: unknown, name: string): readonly string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some(v => typeof v !== 'string' || v === '')) {
    throw new InvalidOptionError(`${name} must be a list of non-empty strings`)
  }
  return [...value]
}

function wantsHtml (request: FastifyRequest): boolean {
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html')
}

export function createGuardFactory (config: ResolvedConfig, authenticator: Authenticator) {
  const loginPath = config.routes.login

  /** A 401: to login for a browser navigation of a cookie session, else the error with a Bearer challenge. */
  function unauthenticated (request: FastifyRequest, reply: FastifyReply, err: Error & { statusCode?: number }, redirect: boolean): FastifyReply {
    if (err.statusCode !== 401) throw err
    const bearer = isBearerScheme(request.headers.authorization)
    if (redirect && !bearer && loginPath !== false && wantsHtml(request)) {
      return reply.redirect(`${loginPath}?${new URLSearchParams({ returnTo: request.url })}`, 302)
    }
    // RFC 6750 §3: error="invalid_token" answers a bearer token; a cookie session sent no bearer credentials.
    reply.header('www-authenticate', bearer ? 'Bearer error="invalid_token"' : 'Bearer')
    throw err
  }

  return function guard (options: GuardOptions = {}): preHandlerAsyncHookHandler {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('guard options must be an object')
    const groups = stringList(options.groups, 'groups')
    const scopes = stringList(options.scopes, 'scopes')
    const anyGroup = options.anyGroup === true
    const check = options.check
    if (check !== undefined && typeof check !== 'function') throw new InvalidOptionError('check must be a function')
    const withIdToken = options.idToken !== false
    const redirect = options.redirectToLogin ?? config.redirectToLogin
    const optional = options.optional === true

    return async function cognitoGuard (request, reply) {
      if (config.disabled) return
      let identity = request.cognito
      try {
        if (identity === null) {
          identity = await authenticator.identify(request, reply, withIdToken)
          request.cognito = identity
        } else if (withIdToken && identity.idToken === null && identity.source === 'cookie') {
          await authenticator.loadIdToken(request, reply, identity)
        }
      } catch (err) {
        // Optional: an anonymous caller goes on with request.cognito null; 502/503 still stop the request.
        if (optional && (err as { statusCode?: number }).statusCode === 401) return
        return unauthenticated(request, reply, err as Error, redirect)
      }
      if (groups.length > 0) {
        const has = (group: string): boolean => identity.groups.includes(group)
        if (!(anyGroup ? groups.some(has) : groups.every(has))) throw new GroupRequiredError()
      }
      if (scopes.length > 0 && !scopes.every(s => identity.scopes.includes(s))) {
        reply.header('www-authenticate', `Bearer error="insufficient_scope", scope="${scopes.join(' ')}"`)
        throw new ScopeRequiredError()
      }
      if (check !== undefined && await check(identity, request) !== true) throw new AccessDeniedError()
    }
  }
}
