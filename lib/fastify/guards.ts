/**
 * Guards, as hooks: authentication, caller kind and app client, audience, all-of and any-of groups,
 * scopes, revocation, and the app's own check. A guard answers 401 (with `WWW-Authenticate: Bearer`)
 * when nobody is authenticated, 403 when the caller is not allowed, and may send a browser navigation
 * to login instead of a 401. Guard options are validated here, when the guard is made (at route
 * definition), never per request.
 *
 * The caller is identified from, in this order: an ALB's signed `x-amzn-oidc-data` header (with the
 * `alb` option), a bearer token, the session cookies.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import {
  AccessDeniedError, CallerKindError, ClientNotAllowedError, GroupRequiredError, InvalidOptionError, InvalidTokenError, ScopeRequiredError,
  SessionExpiredError, StepUpRequiredError, UnauthenticatedError
} from '../errors.js'
import type { AlbVerifier } from '../protocol/alb.js'
import { audienceOf, buildAlbIdentity, buildIdentity, rawAccessToken } from '../protocol/identity.js'
import type { UserInfoClient } from '../protocol/user-info.js'
import type { Verifier } from '../protocol/verifier.js'
import type { SessionLifecycle } from '../session/lifecycle.js'
import type { CookieLayout } from '../session/cookies.js'
import { publish } from '../util/events.js'
import { albHeaders, bearerToken, isBearerScheme, isBrowserNavigation, usualBearerValue } from './request.js'
import type { CognitoAccessTokenClaims, CognitoIdentity, FastifyCognitoOptions, GuardOptions } from '../types.js'

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

/** What the guards call besides the verifier and the session: the ALB header verifier (`alb` option) and userInfo (`checkRevoked`). */
export interface GuardServices {
  alb: AlbVerifier | undefined
  userInfo: UserInfoClient
}

function guardAudience (value: unknown): readonly string[] {
  if (typeof value === 'string' && value !== '') return [value]
  const list = stringList(value, 'audience')
  if (value !== undefined && list.length === 0) throw new InvalidOptionError('audience must be a non-empty string or list')
  return list
}

/**
 * @param jar the cookie layout: the request's cookies, parsed once, and the markers the guard sets
 */
export function createGuardFactory (config: GuardsConfig, verifier: Verifier, lifecycle: SessionLifecycle, jar: Pick<CookieLayout, 'cookies' | 'set'>, services: GuardServices): GuardFactory {
  const loginPath = config.publicPaths.login

  /** A user an ALB signed in; the access token it forwards gives groups and scopes when it verifies and is the same user's. */
  async function identifyAlb (alb: AlbVerifier, data: string, accessToken: string | undefined): Promise<CognitoIdentity> {
    const { clientId, claims } = await alb.verify(data)
    let access: CognitoAccessTokenClaims | null = null
    if (accessToken !== undefined) {
      try {
        const verified = await verifier.verifyAccessToken(accessToken)
        if (verified.sub === claims.sub && typeof verified.username === 'string') access = verified as CognitoAccessTokenClaims
      } catch (err) {
        // A token that does not verify only loses the groups; a JWKS outage still stops the request.
        if ((err as { statusCode?: number }).statusCode !== 401) throw err
      }
    }
    return buildAlbIdentity(clientId, claims, access, accessToken)
  }

  /** Identifies the caller: the ALB's header when trusted and sent, else a bearer token when one is sent, else the browser session. */
  async function identify (request: FastifyRequest, reply: FastifyReply, withIdToken: boolean): Promise<CognitoIdentity> {
    const alb = services.alb === undefined ? undefined : albHeaders(request)
    if (alb !== undefined) return identifyAlb(services.alb as AlbVerifier, alb.data, alb.accessToken)
    const bearer = config.tokenSources.bearer ? bearerToken(request) : undefined
    if (bearer !== undefined) return buildIdentity('bearer', await verifier.verifyAccessToken(bearer), null, bearer)
    if (!config.tokenSources.cookie) throw new UnauthenticatedError()
    return lifecycle.resume(request, reply, withIdToken)
  }

  /**
   * The caller, without waiting, when already known: a bearer token verified before, a session opened
   * and verified before (the lifecycle's warm path). `null`: there is no caller at all; `undefined`:
   * {@link identify} must find out.
   */
  function identifyWarm (request: FastifyRequest, withIdToken: boolean): CognitoIdentity | null | undefined {
    if (services.alb !== undefined) return undefined
    const header = config.tokenSources.bearer ? request.headers.authorization : undefined
    if (isBearerScheme(header)) {
      // Only a token verified before, sent exactly as verified, is known here; `identify` reads any other.
      const bearer = usualBearerValue(header as string)
      const claims = bearer === undefined ? undefined : verifier.cachedAccessToken(bearer)
      return claims === undefined ? undefined : buildIdentity('bearer', claims, null, bearer)
    }
    if (!config.tokenSources.cookie) return null
    return lifecycle.resumeWarm(request, withIdToken)
  }

  const markerCookie = (maxAge?: number) => ({ httpOnly: true, secure: config.cookie.secure, sameSite: 'lax' as const, path: '/', ...(maxAge !== undefined ? { maxAge } : {}) })

  /** Whether this request can be sent to the login route: a page a browser navigates to, with no bearer token. */
  function canRedirect (request: FastifyRequest, redirect: boolean): boolean {
    return redirect && loginPath !== false && !isBearerScheme(request.headers.authorization) && isBrowserNavigation(request, { method: 'GET' })
  }

  function toLogin (reply: FastifyReply, path: string, returnTo: string, prompt?: string): FastifyReply {
    return reply.redirect(`${path}?${new URLSearchParams({ returnTo, ...(prompt !== undefined ? { prompt } : {}) })}`, 302)
  }

  /** Errors already reported: one refusal, one event, whichever path it leaves by. */
  const reported = new WeakSet<object>()

  /** A refusal: a debug log line that says why, the `denied` channel, and the app's `onDenied`. Never a token. */
  async function denied (request: FastifyRequest, err: unknown, identity: CognitoIdentity | null): Promise<void> {
    const { code, statusCode } = err as { code?: string, statusCode?: number }
    if ((statusCode !== 401 && statusCode !== 403) || reported.has(err as object)) return
    reported.add(err as object)
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
    if (jar.cookies(request)[config.cookie.markers.silent] !== undefined) return undefined
    jar.set(reply, config.cookie.markers.silent, '1', markerCookie())
    return toLogin(reply, loginPath as string, request.url, 'none')
  }

  /** `maxAge`: a sign-in older than the route allows. A page goes to a fresh login (once per STEP_UP_RETRY); an API call gets RFC 9470's challenge. */
  function stepUp (request: FastifyRequest, reply: FastifyReply, identity: CognitoIdentity, maxAge: number, redirect: boolean): FastifyReply | undefined {
    const now = Math.floor(Date.now() / 1000)
    if (identity.authTime !== undefined && now - identity.authTime <= maxAge) return undefined
    if (identity.source === 'cookie' && canRedirect(request, redirect)) {
      const tried = Number(jar.cookies(request)[config.cookie.markers.stepUp])
      if (!(now - tried < STEP_UP_RETRY)) {
        jar.set(reply, config.cookie.markers.stepUp, String(now), markerCookie(STEP_UP_RETRY))
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
    const kind = options.kind
    if (kind !== undefined && kind !== 'user' && kind !== 'machine') throw new InvalidOptionError('kind must be "user" or "machine"')
    // Machines have no groups: such a guard would refuse every caller.
    if (kind === 'machine' && groups.length > 0) throw new InvalidOptionError('groups cannot be required of machine callers (kind: "machine")')
    const clients = stringList(options.clients, 'clients')
    if (options.clients !== undefined && clients.length === 0) throw new InvalidOptionError('clients must be a non-empty list')
    const audience = guardAudience(options.audience)
    if (options.checkRevoked !== undefined && typeof options.checkRevoked !== 'boolean') throw new InvalidOptionError('checkRevoked must be a boolean')
    const checkRevoked = options.checkRevoked === true
    const silentLogin = options.silentLogin === true
    if (silentLogin && !optional) throw new InvalidOptionError('silentLogin needs optional: true (it is for public pages)')
    const maxAge = options.maxAge
    if (maxAge !== undefined && (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0)) throw new InvalidOptionError('maxAge must be a whole number of seconds')

    return async function cognitoGuard (request, reply) {
      if (config.disabled) return
      let identity = request.cognito
      try {
        if (identity === null) {
          const known = identifyWarm(request, withIdToken)
          // An anonymous caller of an optional guard costs no error object (their stack traces are costly).
          if (known === null && optional) return silentLogin ? trySilentLogin(request, reply, redirect) : undefined
          identity = known ?? await identify(request, reply, withIdToken)
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
        if (kind !== undefined && identity.kind !== kind) throw new CallerKindError(kind)
        if (clients.length > 0 && !clients.includes(identity.clientId)) throw new ClientNotAllowedError()
        if (audience.length > 0 && !audienceOf(identity.accessToken ?? {}).some(aud => audience.includes(aud))) {
          return await unauthenticated(request, reply, new InvalidTokenError('aud is not this API'), false)
        }
        if (groups.length > 0) {
          const has = (group: string): boolean => identity.groups.includes(group)
          if (!(anyGroup ? groups.some(has) : groups.every(has))) throw new GroupRequiredError()
        }
        if (scopes.length > 0 && !scopes.every(s => identity.scopes.includes(s))) {
          reply.header('www-authenticate', `Bearer error="insufficient_scope", scope="${scopes.join(' ')}"`)
          throw new ScopeRequiredError()
        }
        if (checkRevoked && identity.kind === 'user') {
          // userInfo is the one place that sees revocation; machine tokens cannot be revoked (nor asked about).
          const raw = rawAccessToken(identity)
          if (raw === undefined) return await unauthenticated(request, reply, new InvalidTokenError('no access token to check for revocation'), false)
          try {
            await services.userInfo.assertNotRevoked(raw)
          } catch (err) {
            return await unauthenticated(request, reply, err as Error, false)
          }
        }
        if (check !== undefined && await check(identity, request) !== true) throw new AccessDeniedError()
      } catch (err) {
        await denied(request, err, identity)
        throw err
      }
    }
  }
}
