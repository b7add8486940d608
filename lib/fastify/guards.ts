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
  UnauthenticatedError
} from '../errors.js'
import type { AlbVerifier } from '../protocol/alb.js'
import { audienceOf, buildAlbIdentity, buildIdentity, rawAccessToken } from '../protocol/identity.js'
import type { UserInfoClient } from '../protocol/user-info.js'
import type { Verifier } from '../protocol/verifier.js'
import type { SessionLifecycle } from '../session/lifecycle.js'
import { albHeaders, bearerToken, isBearerScheme, isBrowserNavigation } from './request.js'
import type { CognitoAccessTokenClaims, CognitoIdentity, GuardOptions } from '../types.js'

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

export function createGuardFactory (config: GuardsConfig, verifier: Verifier, lifecycle: SessionLifecycle, services: GuardServices): GuardFactory {
  const loginPath = config.routes.login

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
    const kind = options.kind
    if (kind !== undefined && kind !== 'user' && kind !== 'machine') throw new InvalidOptionError('kind must be "user" or "machine"')
    // Machines have no groups: such a guard would refuse every caller.
    if (kind === 'machine' && groups.length > 0) throw new InvalidOptionError('groups cannot be required of machine callers (kind: "machine")')
    const clients = stringList(options.clients, 'clients')
    if (options.clients !== undefined && clients.length === 0) throw new InvalidOptionError('clients must be a non-empty list')
    const audience = guardAudience(options.audience)
    if (options.checkRevoked !== undefined && typeof options.checkRevoked !== 'boolean') throw new InvalidOptionError('checkRevoked must be a boolean')
    const checkRevoked = options.checkRevoked === true

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
      if (kind !== undefined && identity.kind !== kind) throw new CallerKindError(kind)
      if (clients.length > 0 && !clients.includes(identity.clientId)) throw new ClientNotAllowedError()
      if (audience.length > 0 && !audienceOf(identity.accessToken ?? {}).some(aud => audience.includes(aud))) {
        return unauthenticated(request, reply, new InvalidTokenError('aud is not this API'), false)
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
        if (raw === undefined) return unauthenticated(request, reply, new InvalidTokenError('no access token to check for revocation'), false)
        try {
          await services.userInfo.assertNotRevoked(raw)
        } catch (err) {
          return unauthenticated(request, reply, err as Error, false)
        }
      }
      if (check !== undefined && await check(identity, request) !== true) throw new AccessDeniedError()
    }
  }
}
