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
import { Authenticator } from './authenticator.js'
import { InvalidOptionError } from './errors.js'
import { createGuardFactory } from './guards.js'
import { JwksCache } from './jwks-cache.js'
import { resolveOptions } from './options.js'
import { Refresher } from './refresher.js'
import { createFlows, routesPlugin } from './routes.js'
import { createCodec, SessionStore } from './session.js'
import { TokenClient } from './token-client.js'
import { Verifier } from './verifier.js'
import type { FastifyCognito, FastifyCognitoOptions } from './types.js'

async function fastifyCognito (fastify: FastifyInstance, options: FastifyCognitoOptions): Promise<void> {
  const config = resolveOptions(options)

  // Parsing is left to the guards (hook: false): routes no guard protects pay nothing for cookies.
  if (!fastify.hasPlugin('@fastify/cookie')) await fastify.register(fastifyCookie, { hook: false })

  const codec = await createCodec(config)
  const jwks = new JwksCache({
    jwksUri: config.jwksUri,
    timeout: config.jwks.timeout,
    cooldown: config.jwks.cooldown,
    maxAge: config.jwks.maxAge,
    dispatcher: config.dispatcher,
    onBackgroundError: err => fastify.log.warn({ reason: err.message }, 'fastify-cognito: background JWKS refresh failed; the cached keys keep serving')
  })
  const verifier = new Verifier(config, jwks)
  const client = new TokenClient(config)
  const refresher = new Refresher(client)
  const store = new SessionStore(config, codec, header => fastify.parseCookie(header), (name, value, opts) => fastify.serializeCookie(name, value, opts))
  const authenticator = new Authenticator(config, store, verifier, refresher)
  const guard = createGuardFactory(config, authenticator)
  const flows = createFlows({ config, store, client, refresher, authenticator })

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
    login: (request, reply, loginOptions) => flows.login(request, reply, loginOptions),
    sealSession: tokens => store.seal(tokens),
    logoutUrl: config.logoutUrl
  }
  fastify.decorateRequest('cognito', null)
  fastify.decorate('cognito', decorator)

  await fastify.register(routesPlugin({ config, store, client, refresher, authenticator }, flows))

  if (config.disabled) {
    fastify.log.warn('fastify-cognito: authentication is DISABLED (disabled: true); every guard lets every request through')
  }
  fastify.addHook('onReady', async () => {
    // Warm-up, without holding the start: a Cognito outage must not stop the app from booting.
    if (config.jwks.warmup) {
      jwks.hydrate().catch((err: Error) => fastify.log.warn({ reason: err.message }, 'fastify-cognito: JWKS warm-up failed; keys will be fetched on first use'))
    }
  })
  fastify.addHook('onClose', async () => codec.close())
}

/** A shorthand guard without its argument would be a bare `authenticate`: `requireGroups(undefined)` must not pass everyone. */
function atLeastOne (list: readonly string[], name: string): readonly string[] {
  if (!Array.isArray(list) || list.length === 0) throw new InvalidOptionError(`${name} must be a non-empty list`)
  return list
}

/** The plugin: `fastify.register(fastifyCognito, options)`. */
const plugin = fp(fastifyCognito, { fastify: '5.x', name: 'fastify-cognito' })
export default plugin
export { plugin as fastifyCognito }
export { optionsFromEnv } from './options.js'
// The coded errors, for `instanceof` and `error.code` in an app's error handler; the mapping helpers stay internal.
export {
  AccessDeniedError, AuthorizeError, CodeRejectedError, CrossSiteRequestError, GroupRequiredError, IdpError, IdpTokenError,
  InvalidCallbackError, InvalidLoginRequestError, InvalidOptionError, InvalidTokenError, JwksUnavailableError, LoginTransactionError,
  NoRefreshTokenError, NonceMismatchError, RefreshRejectedError, ScopeRequiredError, TokenExpiredError, UnauthenticatedError,
  isFastifyCognitoError
} from './errors.js'
export type * from './types.js'
