/**
 * The routes the plugin mounts: login (GET), callback (GET), refresh (POST) and logout (GET).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  AuthorizeError, CodeRejectedError, CrossSiteRequestError, IdpError, InvalidCallbackError, InvalidLoginRequestError,
  LoginTransactionError, NonceMismatchError, OAuthError, RefreshRejectedError, safeErrorCode
} from './errors.js'
import { buildIdentity } from './authenticator.js'
import type { Authenticator } from './authenticator.js'
import type { ResolvedConfig } from './options.js'
import { calculateCodeChallenge, randomToken } from './pkce.js'
import type { Refresher } from './refresher.js'
import { sanitizeReturnTo } from './return-to.js'
import type { SessionStore } from './session.js'
import type { TokenClient, TokenSet } from './token-client.js'
import type { LoginOptions } from './types.js'

export interface Flows {
  login (request: FastifyRequest, reply: FastifyReply, options?: LoginOptions): FastifyReply
}

interface Deps {
  config: ResolvedConfig
  store: SessionStore
  client: TokenClient
  refresher: Refresher
  authenticator: Authenticator
}

type Query = Record<string, unknown>

/** A single query parameter; repeated or missing parameters are `undefined`. */
function param (query: unknown, name: string): string | undefined {
  const value = (query as Query | undefined)?.[name]
  return typeof value === 'string' ? value : undefined
}

const IDENTITY_PROVIDER = /^[\w .@:-]{1,128}$/
const LANG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account'])
/** Cognito's authorize errors that mean Cognito failed, not the request. */
const IDP_FAILURES = new Set(['server_error', 'temporarily_unavailable'])

export function createFlows ({ config, store }: Deps): Flows {
  return {
    login (request, reply, options = {}) {
      const state = randomToken()
      const nonce = randomToken()
      const codeVerifier = randomToken()
      const params = new URLSearchParams({
        response_type: 'code',
        client_id: config.clientId,
        redirect_uri: config.redirectUri,
        scope: config.scopes.join(' '),
        state,
        nonce,
        code_challenge: calculateCodeChallenge(codeVerifier),
        code_challenge_method: 'S256'
      })
      const { identityProvider, lang, prompt } = options
      if (identityProvider !== undefined) {
        if (!IDENTITY_PROVIDER.test(identityProvider)) throw new InvalidLoginRequestError('identity_provider is not a provider name')
        params.set('identity_provider', identityProvider)
      }
      if (lang !== undefined) {
        if (!LANG.test(lang)) throw new InvalidLoginRequestError('lang is not a language tag')
        params.set('lang', lang)
      }
      if (prompt !== undefined) {
        if (!PROMPTS.has(prompt)) throw new InvalidLoginRequestError('prompt must be none, login, consent or select_account')
        params.set('prompt', prompt)
      }
      store.writeTransaction(reply, { state, nonce, codeVerifier, returnTo: sanitizeReturnTo(options.returnTo) })
      reply.header('cache-control', 'no-store')
      return reply.redirect(`${config.authorizeUrl}?${params}`, 302)
    }
  }
}

/** Refuses state-changing requests sent by another site (CSRF): the browser says so in Origin or Sec-Fetch-Site. */
function assertSameOrigin (request: FastifyRequest, appOrigin: string, { allowSameSite }: { allowSameSite: boolean }): void {
  const origin = request.headers.origin
  if (origin !== undefined) {
    if (origin !== appOrigin) throw new CrossSiteRequestError()
    return
  }
  const site = request.headers['sec-fetch-site']
  if (site === 'cross-site' || (site === 'same-site' && !allowSameSite)) throw new CrossSiteRequestError()
}

/** How a request is logged on the callback route: no query string. */
function pathOnly (request: FastifyRequest): { method: string, url: string } {
  return { method: request.method, url: request.url.split('?')[0] as string }
}

function wantsHtml (request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html')
}

/** Registers the routes, in an encapsulated context: the form parser it adds stays out of the app. */
export function routesPlugin (deps: Deps, flows: Flows) {
  const { config, store, client, refresher, authenticator } = deps
  const loginPath = config.routes.login === false ? 'your login route' : config.routes.login

  return async function cognitoRoutes (fastify: FastifyInstance): Promise<void> {
    // The refresh button of a server-rendered page posts a form; its body carries nothing we read.
    // parseAs makes Fastify enforce bodyLimit (413); a parser reading the raw stream would not.
    fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, _body, done) => {
      done(null, {})
    })

    if (config.routes.login !== false) {
      fastify.get(config.routes.login, async (request, reply) => {
        const { query } = request
        return flows.login(request, reply, {
          returnTo: param(query, 'returnTo'),
          identityProvider: param(query, 'identity_provider'),
          lang: param(query, 'lang'),
          prompt: param(query, 'prompt')
        })
      })
    }

    if (config.routes.callback !== false) {
      // The callback's query holds the authorization code: Fastify's request logs get the path only.
      fastify.get(config.routes.callback, { logSerializers: { req: pathOnly } }, async (request, reply) => {
        const { query } = request
        const state = param(query, 'state')
        const tx = state === undefined ? undefined : store.readTransaction(request, state)
        // A transaction is single use: whatever happens next, it is spent.
        if (tx !== undefined) store.clearTransaction(reply, tx.state)
        reply.header('cache-control', 'no-store')

        const error = (query as Query).error
        if (error !== undefined) {
          const code = safeErrorCode(error)
          if (IDP_FAILURES.has(code)) throw new IdpError(`authorize answered ${code}`)
          throw new AuthorizeError(code)
        }
        if (tx === undefined) {
          throw new LoginTransactionError(state === undefined ? 'no state' : 'the state matches no login in progress of this browser', loginPath)
        }
        const code = param(query, 'code')
        if (code === undefined || code === '' || code.length > 2048) throw new InvalidCallbackError('no authorization code')

        let tokens: TokenSet
        try {
          tokens = await client.exchangeCode(code, tx.codeVerifier, config.redirectUri)
        } catch (err) {
          if (err instanceof OAuthError) {
            if (err.error === 'invalid_grant') throw new CodeRejectedError(err.error, loginPath, { cause: err })
            throw new IdpError(`token endpoint refused the code exchange: ${err.error}`, { cause: err })
          }
          throw err
        }
        if (tokens.id_token === undefined) throw new IdpError('no id_token in the answer (is the openid scope allowed for this app client?)')
        const { access, id } = await authenticator.verifyTokenSet(tokens)
        if (id?.nonce !== tx.nonce) throw new NonceMismatchError()

        store.writeTokens(request, reply, { accessToken: tokens.access_token, idToken: tokens.id_token, refreshToken: tokens.refresh_token })
        const identity = buildIdentity('cookie', access, id)
        request.cognito = identity
        const returnTo = tx.returnTo ?? config.defaultReturnTo
        if (config.onLogin !== undefined) {
          const result = await config.onLogin(request, reply, { identity, returnTo })
          if (reply.sent || result !== undefined) return result
        }
        return reply.redirect(returnTo, 302)
      })
    }

    if (config.routes.refresh !== false && config.refresh) {
      fastify.post(config.routes.refresh, async (request, reply) => {
        assertSameOrigin(request, config.appOrigin, { allowSameSite: false })
        reply.header('cache-control', 'no-store')
        // No refresh cookie: refreshSession throws NoRefreshTokenError (401) before calling Cognito.
        let identity
        try {
          identity = await authenticator.refreshSession(request, reply)
        } catch (err) {
          // Cognito refused the refresh token: the session is over. A network failure keeps it.
          if (err instanceof RefreshRejectedError) store.clear(request, reply)
          throw err
        }
        request.cognito = identity
        if (wantsHtml(request)) return reply.redirect(sanitizeReturnTo(param(request.query, 'returnTo')) ?? config.defaultReturnTo, 303)
        return { refreshed: true, expiresAt: identity.accessToken.exp }
      })
    }

    if (config.routes.logout !== false) {
      fastify.get(config.routes.logout, async (request, reply) => {
        assertSameOrigin(request, config.appOrigin, { allowSameSite: true })
        const refresh = config.refresh ? store.readToken(request, 'refresh') : undefined
        if (refresh !== undefined) {
          refresher.markRevoked(refresh.value)
          try {
            await client.revoke(refresh.value)
          } catch (err) {
            // The cookies are cleared anyway: the user asked to leave.
            request.log.warn({ code: (err as { code?: string }).code, reason: (err as Error).message }, 'fastify-cognito: revoking the refresh token failed')
          }
        }
        store.clear(request, reply)
        reply.header('cache-control', 'no-store')
        // Cognito's own login cookie lives on: only its /logout ends it.
        return reply.redirect(config.logoutUrl, 302)
      })
    }
  }
}
