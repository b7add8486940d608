/**
 * Raw options (or the environment) in, one frozen, validated, defaulted configuration out.
 * Everything downstream trusts the resolved config.
 */
import type { Dispatcher } from 'undici'
import {
  COOKIE_NAME, deriveKeys, fail, flag, languageList, mountedCallback, parseUrl, positive, requireString, routePath, sessionLifetimes
} from './option-checks.js'
import type { CodecConfig } from './session/codec.js'
import { sanitizeReturnTo } from './protocol/return-to.js'
import { parsePoolId } from './util/pool-id.js'
import { resolveApiOptions, type ApiConfig } from './api-options.js'
import type { SessionStoreFactory } from './session/store.js'
import type { FastifyCognitoOptions, LoginResult, SameSite } from './types.js'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Sealed values remembered once opened, so a browser's repeated cookie is decrypted once. */
const OPENED_CACHE_SIZE = 1000

export interface ResolvedConfig extends ApiConfig {
  userPoolId: string
  region: string
  clientId: string
  clientSecret: string | undefined
  domain: string
  authorizeUrl: string
  tokenUrl: string
  revokeUrl: string
  logoutUrl: string
  passkeysUrl: string
  redirectUri: string
  logoutUri: string
  scopes: readonly string[]
  issuers: readonly string[]
  jwksUri: string
  leeway: number
  disabled: boolean
  refresh: boolean
  autoRefresh: boolean
  defaultReturnTo: string
  routes: { login: string | false, callback: string | false, refresh: string | false, logout: string | false, signup: string | false, passkeys: string | false }
  languages: readonly string[]
  session: { absoluteTimeout: number | undefined, idleTimeout: number | undefined, refreshAhead: number | undefined }
  onLogin: ((request: FastifyRequest, reply: FastifyReply, login: LoginResult) => unknown) | undefined
  onLogout: FastifyCognitoOptions['onLogout']
  onDenied: FastifyCognitoOptions['onDenied']
  cookie: {
    domain: string | undefined
    sameSite: SameSite
    secure: boolean
    path: string
    names: Record<'access' | 'id' | 'refresh', string>
    /** The session-id cookie of a server-side store. */
    sessionIdName: string
    transactionName: string
    /** When the session was last used (idle timeout), and the markers that stop a silent sign-in or a step-up from looping. */
    seenName: string
    startedName: string
    markers: { silent: string, stepUp: string, passkeys: string }
    maxAge: number
    refreshMaxAge: number
    transactionMaxAge: number
  }
  /** Sealing: derived 32-byte keys per purpose (newest first) and the max age of each purpose. */
  codec: CodecConfig
  /** A server-side session store, and the keys its records are encrypted with at rest (newest first). */
  sessionStore: SessionStoreFactory | undefined
  atRestKeys: readonly Buffer[]
  /** The login route's public path (with the context's prefix), or words for error messages when the app mounts its own. */
  loginPath: string
  /** Paths as the browser sees them, with the prefix of the context the plugin is registered in. */
  publicPaths: { login: string | false }
  tokenSources: { cookie: boolean, bearer: boolean }
  redirectToLogin: boolean
  timeout: number
  jwks: { timeout: number, cooldown: number, maxAge: number, warmup: boolean }
  tokenCacheSize: number
  dispatcher: Dispatcher | undefined
  /** Origins allowed to drive the POST routes: the app's own, from `redirectUri`. */
  appOrigin: string
}

/**
 * Validates the options once, at registration, and returns the frozen configuration. `prefix` is the
 * prefix of the context the plugin is registered in (`/staff`): routes are mounted relative to it, and
 * the callback, whose public path is the redirect URI's, must be under it.
 */
export function resolveOptions (options: FastifyCognitoOptions, prefix = ''): ResolvedConfig {
  if (options === null || typeof options !== 'object') fail('object', 'is required')
  const userPoolId = requireString(options.userPoolId, 'userPoolId')
  const poolId = parsePoolId(userPoolId)
  if (poolId === undefined) fail('userPoolId', `must look like "<region>_<id>" (got "${userPoolId}")`)
  const poolRegion = poolId.region
  if (poolRegion === undefined && options.region === undefined) fail('region', `is required: it cannot be read from userPoolId "${userPoolId}"`)
  const region = options.region === undefined ? poolRegion as string : requireString(options.region, 'region')
  const clientId = requireString(options.clientId, 'clientId')
  const clientSecret = options.clientSecret === undefined || options.clientSecret === ''
    ? undefined
    : requireString(options.clientSecret, 'clientSecret')

  const domainUrl = parseUrl(options.domain, 'domain')
  if (domainUrl.search || domainUrl.hash) fail('domain', 'must not have a query or fragment')
  const domain = domainUrl.origin + domainUrl.pathname.replace(/\/+$/, '')
  const redirect = parseUrl(options.redirectUri, 'redirectUri')
  const logout = parseUrl(options.logoutUri, 'logoutUri')

  const scopes = options.scopes === undefined ? ['openid'] : options.scopes
  if (!Array.isArray(scopes) || scopes.some(s => typeof s !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    fail('scopes', 'must be a list of scope names')
  }
  // The ID token (and with it the nonce check) only comes back when openid is asked for.
  if (!scopes.includes('openid')) fail('scopes', 'must include "openid"')

  const defaultIssuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`
  const issuer = options.issuer === undefined ? defaultIssuer : parseUrl(options.issuer, 'issuer').href.replace(/\/+$/, '')
  const additionalIssuers = options.additionalIssuers ?? []
  if (!Array.isArray(additionalIssuers)) fail('additionalIssuers', 'must be a list of URLs')
  const issuers = [issuer, ...additionalIssuers.map((v, i) => parseUrl(v, `additionalIssuers[${i}]`).href.replace(/\/+$/, ''))]

  const cookie = options.cookie ?? {}
  if (typeof cookie !== 'object') fail('cookie', 'must be an object')
  const plainLocalhost = redirect.protocol === 'http:'
  const secure = flag(cookie.secure, 'cookie.secure', !plainLocalhost)
  const sameSite = cookie.sameSite === undefined ? 'lax' : cookie.sameSite
  if (!['lax', 'strict', 'none'].includes(sameSite)) fail('cookie.sameSite', 'must be "lax", "strict" or "none"')
  if (sameSite === 'none' && !secure) fail('cookie.sameSite', '"none" requires cookie.secure (browsers drop SameSite=None cookies that are not Secure)')
  const cookieDomain = cookie.domain === undefined ? undefined : requireString(cookie.domain, 'cookie.domain')
  if (cookieDomain !== undefined && !/^\.?[a-z0-9.-]{1,253}$/i.test(cookieDomain)) fail('cookie.domain', 'must be a host name')
  const baseName = cookie.name === undefined ? 'cognito' : cookie.name
  if (typeof baseName !== 'string' || !COOKIE_NAME.test(baseName)) fail('cookie.name', 'must be 1 to 32 letters, digits, "_" or "-"')
  // __Host- binds a cookie to this exact host, Secure, Path=/ (RFC 6265bis): a sibling subdomain cannot plant or overwrite it.
  const hostPrefix = secure && cookieDomain === undefined ? '__Host-' : ''

  const routes = options.routes ?? {}
  if (typeof routes !== 'object') fail('routes', 'must be an object (set a route to false to not mount it)')
  const callbackPath = redirect.pathname
  const resolvedRoutes = {
    login: routePath(routes.login, 'routes.login', '/login'),
    callback: mountedCallback(routePath(routes.callback, 'routes.callback', callbackPath), prefix),
    refresh: routePath(routes.refresh, 'routes.refresh', '/refresh'),
    logout: routePath(routes.logout, 'routes.logout', '/logout'),
    signup: routePath(routes.signup, 'routes.signup', '/signup'),
    passkeys: routePath(routes.passkeys, 'routes.passkeys', '/passkeys/add')
  }
  // The same rule as a login's returnTo: "/\\evil.example" is another origin to a browser.
  const defaultReturnTo = options.defaultReturnTo === undefined ? '/' : sanitizeReturnTo(options.defaultReturnTo)
  if (defaultReturnTo === undefined) fail('defaultReturnTo', 'must be a same-origin path starting with "/"')
  for (const name of ['onLogin', 'onLogout', 'onDenied'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') fail(name, 'must be a function')
  }

  const sources = options.tokenSources ?? {}
  if (typeof sources !== 'object') fail('tokenSources', 'must be an object')
  const tokenSources = { cookie: flag(sources.cookie, 'tokenSources.cookie', true), bearer: flag(sources.bearer, 'tokenSources.bearer', true) }
  if (!tokenSources.cookie && !tokenSources.bearer) fail('tokenSources', 'must enable cookie, bearer or both')

  const timeout = positive(options.timeout, 'timeout', 5000)
  const jwksOptions = options.jwks ?? {}
  if (typeof jwksOptions !== 'object') fail('jwks', 'must be an object')
  const refresh = flag(options.refresh, 'refresh', true)
  const maxAge = positive(cookie.maxAge, 'cookie.maxAge', 3600)
  const refreshMaxAge = positive(cookie.refreshMaxAge, 'cookie.refreshMaxAge', 86400)
  const transactionMaxAge = positive(cookie.transactionMaxAge, 'cookie.transactionMaxAge', 600)
  const { rest: atRestKeys, ...keys } = deriveKeys(options.secret)
  const sessionStore = options.sessionStore
  if (sessionStore !== undefined && (sessionStore === null || typeof sessionStore !== 'object' || sessionStore.kind !== 'fastify-cognito/session-store')) {
    fail('sessionStore', 'must be a session store, such as redisSessionStore({ client }) from fastify-cognito/redis')
  }

  const config: ResolvedConfig = {
    userPoolId,
    region,
    clientId,
    clientSecret,
    domain,
    authorizeUrl: `${domain}/oauth2/authorize`,
    tokenUrl: `${domain}/oauth2/token`,
    revokeUrl: `${domain}/oauth2/revoke`,
    // Cognito's logout wants client_id and logout_uri; it ignores post_logout_redirect_uri.
    logoutUrl: `${domain}/logout?${new URLSearchParams({ client_id: clientId, logout_uri: logout.href })}`,
    // Managed login's passkey enrolment (Essentials or Plus tier): client_id and the registered redirect URI.
    passkeysUrl: `${domain}/passkeys/add?${new URLSearchParams({ client_id: clientId, redirect_uri: redirect.href })}`,
    redirectUri: redirect.href,
    logoutUri: logout.href,
    scopes: Object.freeze([...scopes]),
    issuers: Object.freeze(issuers),
    jwksUri: `${issuer}/.well-known/jwks.json`,
    leeway: positive(options.leeway, 'leeway', 5, { allowZero: true }),
    disabled: flag(options.disabled, 'disabled', false),
    refresh,
    autoRefresh: refresh && flag(options.autoRefresh, 'autoRefresh', true),
    defaultReturnTo,
    routes: resolvedRoutes,
    languages: languageList(options.languages),
    session: sessionLifetimes(options.session),
    onLogin: options.onLogin,
    onLogout: options.onLogout,
    onDenied: options.onDenied,
    cookie: {
      domain: cookieDomain,
      sameSite,
      secure,
      path: '/',
      names: {
        access: `${hostPrefix}${baseName}_access`,
        id: `${hostPrefix}${baseName}_id`,
        refresh: `${hostPrefix}${baseName}_refresh`
      },
      sessionIdName: `${hostPrefix}${baseName}_session`,
      // Login transactions bind a login to the browser that started it: host-only, and `__Host-` when
      // Secure (whatever cookie.domain says), so a sibling subdomain can neither plant nor read one.
      transactionName: `${secure ? '__Host-' : ''}${baseName}_tx`,
      seenName: `${hostPrefix}${baseName}_seen`,
      startedName: `${hostPrefix}${baseName}_started`,
      markers: { silent: `${secure ? '__Host-' : ''}${baseName}_silent`, stepUp: `${secure ? '__Host-' : ''}${baseName}_stepup`, passkeys: `${secure ? '__Host-' : ''}${baseName}_passkeys` },
      maxAge,
      refreshMaxAge,
      transactionMaxAge
    },
    codec: {
      keys,
      // A sealed value is refused past its cookie's Max-Age even when a browser replays it.
      maxAge: { access: maxAge, id: maxAge, refresh: refreshMaxAge, tx: transactionMaxAge, sid: refreshMaxAge, seen: refreshMaxAge, started: refreshMaxAge },
      openedCacheSize: OPENED_CACHE_SIZE
    },
    sessionStore,
    atRestKeys,
    loginPath: resolvedRoutes.login === false ? 'your login route' : prefix + resolvedRoutes.login,
    publicPaths: { login: resolvedRoutes.login === false ? false : prefix + resolvedRoutes.login },
    tokenSources,
    redirectToLogin: flag(options.redirectToLogin, 'redirectToLogin', true),
    timeout,
    jwks: {
      timeout: positive(jwksOptions.timeout, 'jwks.timeout', timeout),
      cooldown: positive(jwksOptions.cooldown, 'jwks.cooldown', 30_000, { allowZero: true }),
      maxAge: positive(jwksOptions.maxAge, 'jwks.maxAge', 3_600_000),
      warmup: flag(jwksOptions.warmup, 'jwks.warmup', true)
    },
    tokenCacheSize: positive(options.tokenCacheSize, 'tokenCacheSize', 1000, { allowZero: true }),
    dispatcher: options.dispatcher,
    appOrigin: redirect.origin,
    ...resolveApiOptions(options, { clientId, domain })
  }
  return Object.freeze(config)
}
