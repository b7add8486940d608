/**
 * fastify-cognito: protect Fastify routes with Amazon Cognito.
 *
 * @example
 * import Fastify from 'fastify'
 * import fastifyCognito, { optionsFromEnv } from 'fastify-cognito'
 *
 * const app = Fastify({ logger: true })
 * await app.register(fastifyCognito, optionsFromEnv())
 * app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async (request) => request.cognito?.groups)
 */
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { InvalidOptionError } from './errors.js'
import { atLeastOne, createGuardFactory, type GuardFactory } from './fastify/guards.js'
import { apiMethods } from './fastify/api.js'
import { INTERNALS, type CognitoInternals } from './fastify/internals.js'
import { startLogin } from './fastify/login-routes.js'
import { cognitoOpenapi, cookieBaseName, routeHooks, routeSchemas, schemeLabels, securityOf, type GuardDoc } from './fastify/openapi.js'
import { routesPlugin } from './fastify/routes.js'
import { resolveOptions } from './options.js'
import { startTelemetry } from './util/telemetry.js'
import { AlbVerifier } from './protocol/alb.js'
import { ClientCredentials } from './protocol/client-credentials.js'
import { Grants } from './protocol/grants.js'
import { JwksCache } from './protocol/jwks-cache.js'
import { TokenClient } from './protocol/token-client.js'
import { UserInfoClient } from './protocol/user-info.js'
import { Verifier } from './protocol/verifier.js'
import { createCodec } from './session/codec.js'
import { cookieSyntax, decorateCookieFields } from './session/cookie-io.js'
import { CookieLayout } from './session/cookies.js'
import { SessionLifecycle } from './session/lifecycle.js'
import { LoginFlow } from './session/login.js'
import { CookieSessionStore } from './session/store.js'
import type { ServerSessionStore } from './session/store.js'
import type { CognitoSessions, FastifyCognito, FastifyCognitoOptions, GuardOptions } from './types.js'

/** `fastify.cognito.sessions` without a session store: each method says what it needs. */
const noSessionStore = async (): Promise<never> => { throw new InvalidOptionError('sessionStore is required for fastify.cognito.sessions') }
const NO_SESSIONS: CognitoSessions = { create: noSessionStore, list: noSessionStore, end: noSessionStore, endAll: noSessionStore }

/**
 * Registration: options resolved once, then the layers wired bottom-up, each given the slice of
 * configuration it uses: protocol (JWKS, verifier, token client, grants), session (codec, cookie
 * layout, store, lifecycle, login flow), Fastify (guards, routes, the decorator).
 */
async function fastifyCognito (fastify: FastifyInstance, options: FastifyCognitoOptions): Promise<void> {
  const config = resolveOptions(options, fastify.prefix)
  // OpenTelemetry metrics of the plugin's events, once per process, when the app has @opentelemetry/api.
  await startTelemetry()

  // No hook on the app for cookies: the guards parse them on demand, Set-Cookie is written by the
  // plugin on the replies that set one (cookie-io.ts). Routes no guard protects pay nothing.
  const cookieIo = await cookieSyntax()
  decorateCookieFields(fastify)

  const jwks = new JwksCache({
    jwksUri: config.jwksUri,
    timeout: config.jwks.timeout,
    cooldown: config.jwks.cooldown,
    maxAge: config.jwks.maxAge,
    dispatcher: config.dispatcher,
    onBackgroundError: err => fastify.log.warn({ reason: err.message }, 'fastify-cognito: background JWKS refresh failed; the cached keys keep serving')
  })
  const verifier = new Verifier(config, jwks)
  const grants = new Grants(config, new TokenClient(config), verifier)

  const codec = await createCodec(config.codec)
  const layout = new CookieLayout(config.cookie, cookieIo.parse, cookieIo.serialize)
  const serverStore = await config.sessionStore?.create({
    codec,
    layout,
    cookieName: config.cookie.sessionIdName,
    maxAge: config.cookie.refreshMaxAge,
    keepRefresh: config.refresh,
    atRestKeys: config.atRestKeys,
    revoke: token => grants.revoke(token),
    grantTimeout: config.timeout,
    log: fastify.log
  })
  const store: ServerSessionStore | CookieSessionStore = serverStore ?? new CookieSessionStore(codec, layout, config.refresh)
  const lifecycle = new SessionLifecycle(config, store, verifier, grants)
  const login = new LoginFlow(config, codec, layout, grants, lifecycle)

  const userInfo = new UserInfoClient({ ...config, cacheSize: config.tokenCacheSize })
  const alb = config.alb === undefined
    ? undefined
    : new AlbVerifier({ ...config, ...config.alb, clientIds: config.accessClientIds, cooldown: config.jwks.cooldown })
  const machine = config.machineClient === undefined
    ? undefined
    : new ClientCredentials(new TokenClient({ ...config, ...config.machineClient }))
  // Every guard this instance makes is remembered with what a document can say of it, so that a
  // route holding one, in any hook, gets its OpenAPI `security`.
  const guardDocs = new WeakMap<object, GuardDoc>()
  const makeGuard = createGuardFactory(config, verifier, lifecycle, layout, { alb, userInfo })
  const guard: GuardFactory = (guardOptions) => {
    const hook = makeGuard(guardOptions)
    guardDocs.set(hook, { scopes: guardOptions?.scopes ?? [], optional: guardOptions?.optional === true })
    return hook
  }
  const decorator: FastifyCognito = {
    authenticate: guard(),
    identify: guard({ optional: true }),
    guard,
    requireGroups: groups => guard({ groups: atLeastOne(groups, 'groups') }),
    requireAnyGroup: groups => guard({ groups: atLeastOne(groups, 'groups'), anyGroup: true }),
    requireScopes: scopes => guard({ scopes: atLeastOne(scopes, 'scopes') }),
    requireClaims: check => {
      if (typeof check !== 'function') throw new InvalidOptionError('check must be a function')
      return guard({ check })
    },
    verifyAccessToken: token => verifier.verifyAccessToken(token),
    verifyIdToken: (token, nonce) => verifier.verifyIdToken(token, nonce),
    login: (request, reply, loginOptions) => startLogin(login, config.appOrigin, request, reply, loginOptions),
    sealSession: tokens => store.seal(tokens),
    sessions: serverStore?.sessions ?? NO_SESSIONS,
    logoutUrl: config.logoutUrl,
    openapi: cognitoOpenapi(cookieBaseName(options), config.cookie.names.access, config.tokenSources),
    ...apiMethods(config, verifier, lifecycle, userInfo, machine)
  }
  const internals: CognitoInternals = {
    appOrigin: config.appOrigin,
    loginPath: config.publicPaths.login,
    logoutPath: config.routes.logout === false ? false : fastify.prefix + config.routes.logout
  }
  Object.defineProperty(decorator, INTERNALS, { value: internals })
  fastify.decorateRequest('cognito', null)
  fastify.decorate('cognito', decorator)

  // Route configuration: `config: { cognito: true }` or `config: { cognito: { groups, ... } }` guards the
  // route in onRequest, before its body is read, with no hook written by hand.
  // With @fastify/swagger (registered first, as it requires), the plugin's routes are described and a
  // guarded route gets its `security`, unless it says its own; without it, no route is touched.
  const documented = fastify.hasPlugin('@fastify/swagger')
  const labels = schemeLabels(cookieBaseName(options))
  fastify.addHook('onRoute', (route) => {
    const wanted = (route.config as { cognito?: unknown } | undefined)?.cognito
    if (wanted !== undefined && wanted !== false) {
      const hook = wanted === true ? decorator.authenticate : guard(wanted as GuardOptions)
      const existing = route.onRequest
      route.onRequest = existing === undefined ? [hook] : [hook, ...(Array.isArray(existing) ? existing : [existing])]
    }
    const schema = route.schema as { security?: unknown } | undefined
    if (!documented || schema?.security !== undefined) return
    const docs = routeHooks(route).flatMap(hook => guardDocs.get(hook as object) ?? [])
    // A copy: a schema object shared by several routes keeps its own security.
    if (docs.length > 0) route.schema = { ...schema, security: securityOf(labels, config.tokenSources, docs) } as typeof route.schema
  })

  const schemas = routeSchemas(documented, [{ [labels.cookie]: [] }])
  await fastify.register(routesPlugin(config, login, layout, lifecycle, decorator.authenticate, schemas))

  if (config.disabled) {
    fastify.log.warn('fastify-cognito: authentication is DISABLED (disabled: true); every guard lets every request through')
  }
  fastify.addHook('onReady', async () => {
    // Warm-up, without holding the start: a Cognito outage must not stop the app from booting.
    if (config.jwks.warmup) {
      jwks.hydrate().catch((err: Error) => fastify.log.warn({ reason: err.message }, 'fastify-cognito: JWKS warm-up failed; keys will be fetched on first use'))
    }
  })
  fastify.addHook('onClose', async () => {
    await serverStore?.close()
    await codec.close()
  })
}

/** The plugin: `fastify.register(fastifyCognito, options)`. */
const plugin = fp(fastifyCognito, { fastify: '5.x', name: 'fastify-cognito' })
export default plugin
export { plugin as fastifyCognito }
export { optionsFromEnv } from './env.js'
export { openapiSecuritySchemes } from './fastify/openapi.js'
// The coded errors, for `instanceof` and `error.code` in an app's error handler; the mapping helpers stay internal.
export {
  AccessDeniedError, AuthorizeError, CallerKindError, ClientNotAllowedError, CodeRejectedError, CookieBudgetError, CrossSiteRequestError, CsrfHeaderError, GroupRequiredError, IdpError, IdpTokenError,
  InvalidCallbackError, InvalidLoginRequestError, InvalidOptionError, InvalidTokenError, JwksUnavailableError, LoginTransactionError,
  NoRefreshTokenError, NonceMismatchError, RefreshRejectedError, ScopeRequiredError, SessionExpiredError, SessionStoreUnavailableError, StepUpRequiredError,
  TokenExpiredError, TokenRevokedError, UnauthenticatedError, UpstreamTimeoutError, UpstreamUnavailableError, WebSocketNotProxiedError,
  isFastifyCognitoError
} from './errors.js'
export type * from './types.js'
