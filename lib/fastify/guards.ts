/**
 * Guards, as hooks: authentication, all-of and any-of groups, scopes, and the app's own check. A
 * guard answers 401 (with `WWW-Authenticate: Bearer`) when nobody is authenticated, 403 when the user
 * is not allowed, and may send a browser navigation to login instead of a 401. Guard options are
 * validated here, when the guard is made (at route definition), never per request.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { AccessDeniedError, GroupRequiredError, InvalidOptionError, ScopeRequiredError, UnauthenticatedError } from '../errors.js'
import { buildIdentity } from '../protocol/identity.js'
import type { Verifier } from '../protocol/verifier.js'
import type { SessionLifecycle } from '../session/lifecycle.js'
import { bearerToken, isBearerScheme, isBrowserNavigation } from './request.js'
import type { CognitoIdentity, GuardOptions } from '../types.js'

/** The slice of configuration the guards use. */
export interface GuardsConfig {
  disabled: boolean
  tokenSources: { cookie: boolean, bearer: boolean }
  redirectToLogin: boolean
  routes: { login: string | false }
}

function stringList (value: unknown, name: string): readonly string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some(v => typeof v !== 'string' || v === '')) {
    throw new InvalidOptionError(`${name} must be a list of non-empty strings`)
  }
  return [...value]
}

/** A shorthand guard without its argument would be a bare `authenticate`: `requireGroups(undefined)` must not pass everyone. */
export function atLeastOne (list: readonly string[], name: string): readonly string[] {
  if (!Array.isArray(list) || list.length === 0) throw new InvalidOptionError(`${name} must be a non-empty list`)
  return list
}

export type GuardFactory = (options?: GuardOptions) => preHandlerAsyncHookHandler

export function createGuardFactory (config: GuardsConfig, verifier: Verifier, lifecycle: SessionLifecycle): GuardFactory {
  const loginPath = config.routes.login

  /** Identifies the caller: a bearer token when one is sent, else the browser session. */
  async function identify (request: FastifyRequest, reply: FastifyReply, withIdToken: boolean): Promise<CognitoIdentity> {
    const bearer = config.tokenSources.bearer ? bearerToken(request) : undefined
    if (bearer !== undefined) return buildIdentity('bearer', await verifier.verifyAccessToken(bearer), null)
    if (!config.tokenSources.cookie) throw new UnauthenticatedError()
    return lifecycle.resume(request, reply, withIdToken)
  }

  /** A 401: to login for a browser navigation of a cookie session, else the error with a Bearer challenge. */
  function unauthenticated (request: FastifyRequest, reply: FastifyReply, err: Error & { statusCode?: number }, redirect: boolean): FastifyReply {
    if (err.statusCode !== 401) throw err
    const bearer = isBearerScheme(request.headers.authorization)
    if (redirect && !bearer && loginPath !== false && isBrowserNavigation(request, { method: 'GET' })) {
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
          identity = await identify(request, reply, withIdToken)
          request.cognito = identity
        } else if (withIdToken && identity.idToken === null && identity.source === 'cookie') {
          await lifecycle.loadIdToken(request, reply, identity)
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
