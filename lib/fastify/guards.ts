/**
 * Guards, as hooks: authentication, all-of and any-of groups, scopes, and the app's own check. A
 * guard answers 401 (with `WWW-Authenticate: Bearer`) when nobody is authenticated, 403 when the user
 * is not allowed, and may send a browser navigation to login instead of a 401. Guard options are
 * validated here, when the guard is made (at route definition), never per request.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import {
  AccessDeniedError, GroupRequiredError, InvalidOptionError, ScopeRequiredError, SessionExpiredError, StepUpRequiredError, UnauthenticatedError
} from '../errors.js'
import { buildIdentity } from '../protocol/identity.js'
import type { Verifier } from '../protocol/verifier.js'
import type { SessionLifecycle } from '../session/lifecycle.js'
import { bearerToken, isBearerScheme, isBrowserNavigation } from './request.js'
import { publish } from '../util/events.js'
import type { CognitoIdentity, FastifyCognitoOptions, GuardOptions } from '../types.js'

/** The slice of configuration the guards use. */
export interface GuardsConfig {
  disabled: boolean
  tokenSources: { cookie: boolean, bearer: boolean }
  redirectToLogin: boolean
  publicPaths: { login: string | false }
  cookie: { secure: boolean, markers: { silent: string, stepUp: string } }
  onDenied: FastifyCognitoOptions['onDenied']
}

/** A step-up login that came back still too old (Cognito without managed login ignores `prompt=login`) is not tried again for this long (s). */
const STEP_UP_RETRY = 120

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

/**
 * @param cookies the request's cookies, parsed once (the cookie layout's reader)
 */
export function createGuardFactory (config: GuardsConfig, verifier: Verifier, lifecycle: SessionLifecycle, cookies: (request: FastifyRequest) => Record<string, string | undefined>): GuardFactory {
  const loginPath = config.publicPaths.login

  /** Identifies the caller: a bearer token when one is sent, else the browser session. */
  async function identify (request: FastifyRequest, reply: FastifyReply, withIdToken: boolean): Promise<CognitoIdentity> {
    const bearer = config.tokenSources.bearer ? bearerToken(request) : undefined
    if (bearer !== undefined) return buildIdentity('bearer', await verifier.verifyAccessToken(bearer), null)
    if (!config.tokenSources.cookie) throw new UnauthenticatedError()
    return lifecycle.resume(request, reply, withIdToken)
  }

  const markerCookie = (maxAge?: number) => ({ httpOnly: true, secure: config.cookie.secure, sameSite: 'lax' as const, path: '/', ...(maxAge !== undefined ? { maxAge } : {}) })

  /** Whether this request can be sent to the login route: a page a browser navigates to, with no bearer token. */
  function canRedirect (request: FastifyRequest, redirect: boolean): boolean {
    return redirect && loginPath !== false && !isBearerScheme(request.headers.authorization) && isBrowserNavigation(request, { method: 'GET' })
  }

  function toLogin (reply: FastifyReply, path: string, returnTo: string, prompt?: string): FastifyReply {
    return reply.redirect(`${path}?${new URLSearchParams({ returnTo, ...(prompt !== undefined ? { prompt } : {}) })}`, 302)
  }

  /** A refusal: a debug log line that says why, the `denied` channel, and the app's `onDenied`. Never a token. */
  async function denied (request: FastifyRequest, err: unknown, identity: CognitoIdentity | null): Promise<void> {
    const { code, statusCode } = err as { code?: string, statusCode?: number }
    if (statusCode !== 401 && statusCode !== 403) return
    const reason = code ?? 'unknown'
    request.log.debug({ reason, statusCode }, 'fastify-cognito: request refused')
    publish('denied', () => ({ reason, statusCode, method: request.method, url: request.url.split('?')[0] }))
    if (config.onDenied === undefined) return
    try {
      await config.onDenied(request, { reason, statusCode, sub: identity?.sub })
    } catch (hookErr) {
      request.log.error({ err: hookErr }, 'fastify-cognito: onDenied failed')
    }
  }

  /** A 401: to login for a browser navigation of a cookie session, else the error with a Bearer challenge. */
  async function unauthenticated (request: FastifyRequest, reply: FastifyReply, err: Error & { statusCode?: number }, redirect: boolean): Promise<FastifyReply> {
    if (err.statusCode !== 401) throw err
    await denied(request, err, null)
    const bearer = isBearerScheme(request.headers.authorization)
    if (canRedirect(request, redirect)) {
      // A session that reached its absolute timeout must sign in again, not silently at Cognito with the old sign-in.
      return toLogin(reply, loginPath as string, request.url, err instanceof SessionExpiredError ? 'login' : undefined)
    }
    // RFC 6750 §3: error="invalid_token" answers a bearer token; a cookie session sent no bearer credentials.
    reply.header('www-authenticate', bearer ? 'Bearer error="invalid_token"' : 'Bearer')
    throw err
  }

  /**
   * An anonymous page view on a public page: ask Cognito once per browser session whether the user is
   * signed in there (`prompt=none`: no page is shown; "no" comes back anonymous). The marker cookie,
   * set before leaving, stops a second try: never a loop.
   */
  function trySilentLogin (request: FastifyRequest, reply: FastifyReply, redirect: boolean): FastifyReply | undefined {
    if (!canRedirect(request, redirect)) return undefined
    if (cookies(request)[config.cookie.markers.silent] !== undefined) return undefined
    reply.setCookie(config.cookie.markers.silent, '1', markerCookie())
    reply.header('cache-control', 'no-store')
    return toLogin(reply, loginPath as string, request.url, 'none')
  }

  /** `maxAge`: a sign-in older than the route allows. A page goes to a fresh login (once per STEP_UP_RETRY); an API call gets RFC 9470's challenge. */
  function stepUp (request: FastifyRequest, reply: FastifyReply, identity: CognitoIdentity, maxAge: number, redirect: boolean): FastifyReply | undefined {
    const now = Math.floor(Date.now() / 1000)
    if (identity.authTime !== undefined && now - identity.authTime <= maxAge) return undefined
    if (identity.source === 'cookie' && canRedirect(request, redirect)) {
      const tried = Number(cookies(request)[config.cookie.markers.stepUp])
      if (!(now - tried < STEP_UP_RETRY)) {
        reply.setCookie(config.cookie.markers.stepUp, String(now), markerCookie(STEP_UP_RETRY))
        reply.header('cache-control', 'no-store')
        return toLogin(reply, loginPath as string, request.url, 'login')
      }
    }
    reply.header('www-authenticate', `Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=${maxAge}`)
    throw new StepUpRequiredError(String(maxAge))
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
    const silentLogin = options.silentLogin === true
    if (silentLogin && !optional) throw new InvalidOptionError('silentLogin needs optional: true (it is for public pages)')
    const maxAge = options.maxAge
    if (maxAge !== undefined && (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0)) throw new InvalidOptionError('maxAge must be a whole number of seconds')

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
        if (optional && (err as { statusCode?: number }).statusCode === 401) {
          if (silentLogin) return trySilentLogin(request, reply, redirect)
          return
        }
        return unauthenticated(request, reply, err as Error, redirect)
      }
      try {
        if (maxAge !== undefined) {
          const sent = stepUp(request, reply, identity, maxAge, redirect)
          if (sent !== undefined) return sent
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
      } catch (err) {
        await denied(request, err, identity)
        throw err
      }
    }
  }
}
