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
import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance } from 'fastify'
import { InvalidOptionError } from './errors.js'
import { atLeastOne, createGuardFactory } from './fastify/guards.js'
import { routesPlugin, startLogin } from './fastify/routes.js'
import { resolveOptions } from './options.js'
import { Grants } from './protocol/grants.js'
import { JwksCache } from './protocol/jwks-cache.js'
import { TokenClient } from './protocol/token-client.js'
import { Verifier } from './protocol/verifier.js'
import { createCodec } from './session/codec.js'
import { CookieLayout } from './session/cookies.js'
import { SessionLifecycle } from './session/lifecycle.js'
import { LoginFlow } from './session/login.js'
import { CookieSessionStore } from './session/store.js'
import type { ServerSessionStore } from './session/store.js'
import type { CognitoSessions, FastifyCognito, FastifyCognitoOptions } from './types.js'

/** `fastify.cognito.sessions` without a session store: each method says what it needs. */
const noSessionStore = async (): Promise<never> => { throw new InvalidOptionError('sessionStore is required for fastify.cognito.sessions') }
const NO_SESSIONS: CognitoSessions = { create: noSessionStore, list: noSessionStore, end: noSessionStore, endAll: noSessionStore }

/**
 * Registration: options resolved once, then the layers wired bottom-up, each given the slice of
 * configuration it uses: protocol (JWKS, verifier, token client, grants), session (codec, cookie
 * layout, store, lifecycle, login flow), Fastify (guards, routes, the decorator).
 */
async function fastifyCognito (fastify: FastifyInstance, options: FastifyCognitoOptions): Promise<void> {
  const config = resolveOptions(options)

  // Parsing is left to the guards (hook: false): routes no guard protects pay nothing for cookies.
  if (!fastify.hasPlugin('@fastify/cookie')) await fastify.register(fastifyCookie, { hook: false })

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
  const layout = new CookieLayout(config.cookie, header => fastify.parseCookie(header), (name, value, opts) => fastify.serializeCookie(name, value, opts))
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

  const guard = createGuardFactory(config, verifier, lifecycle)
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
    logoutUrl: config.logoutUrl
  }
  fastify.decorateRequest('cognito', null)
  fastify.decorate('cognito', decorator)

  await fastify.register(routesPlugin(config, login, lifecycle))

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
// The coded errors, for `instanceof` and `error.code` in an app's error handler; the mapping helpers stay internal.
export {
  AccessDeniedError, AuthorizeError, CodeRejectedError, CookieBudgetError, CrossSiteRequestError, GroupRequiredError, IdpError, IdpTokenError,
  InvalidCallbackError, InvalidLoginRequestError, InvalidOptionError, InvalidTokenError, JwksUnavailableError, LoginTransactionError,
  NoRefreshTokenError, NonceMismatchError, RefreshRejectedError, ScopeRequiredError, SessionStoreUnavailableError, TokenExpiredError, UnauthenticatedError,
  isFastifyCognitoError
} from './errors.js'
export type * from './types.js'
