/**
 * A login, from the login route to the callback: the attempt's secrets (state, nonce, PKCE verifier)
 * and its `returnTo` travel sealed in a transaction cookie of their own; the callback takes the
 * transaction back (single use), exchanges the code through the grants, and starts the session
 * through the lifecycle.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidCallbackError, LoginTransactionError, toAuthorizeError } from '../errors.js'
import { buildAuthorizeUrl, newLoginSecrets, type AuthorizeConfig, type LoginSecrets } from '../protocol/authorize.js'
import type { Grants } from '../protocol/grants.js'
import { safeEqual } from '../protocol/pkce.js'
import { sanitizeReturnTo } from '../protocol/return-to.js'
import type { Codec } from './codec.js'
import type { CookieLayout } from './cookies.js'
import type { SessionLifecycle } from './lifecycle.js'
import type { CognitoIdentity, LoginOptions } from '../types.js'

/** The login attempt kept between the login route and the callback. */
export interface LoginTransaction extends LoginSecrets {
  returnTo: string | undefined
}

export interface LoginConfig extends AuthorizeConfig {
  defaultReturnTo: string
  /** Where a user starts again, for error messages. */
  loginPath: string
}

/** What the callback's query says. */
export interface CallbackQuery {
  state: string | undefined
  code: string | undefined
  error: unknown
}

const TX_STATE = /^[A-Za-z0-9_-]{43}$/

export class LoginFlow {
  readonly #config: LoginConfig
  readonly #codec: Codec
  readonly #layout: CookieLayout
  readonly #grants: Grants
  readonly #lifecycle: SessionLifecycle

  constructor (config: LoginConfig, codec: Codec, layout: CookieLayout, grants: Grants, lifecycle: SessionLifecycle) {
    this.#config = config
    this.#codec = codec
    this.#layout = layout
    this.#grants = grants
    this.#lifecycle = lifecycle
  }

  /** Starts a login: sets the transaction cookie and answers with the authorize URL to redirect to. */
  begin (reply: FastifyReply, options: LoginOptions = {}): string {
    const secrets = newLoginSecrets()
    const url = buildAuthorizeUrl(this.#config, secrets, options)
    const tx: LoginTransaction = { ...secrets, returnTo: sanitizeReturnTo(options.returnTo) }
    reply.setCookie(this.#layout.transactionName(tx.state), this.#codec.seal('tx', tx), this.#layout.options('tx'))
    return url
  }

  /**
   * The callback: takes the transaction back (spent whatever happens next), maps Cognito's `?error=`,
   * exchanges the code and starts the session. Throws a coded 400, 502 or 503.
   */
  async complete (request: FastifyRequest, reply: FastifyReply, query: CallbackQuery): Promise<{ identity: CognitoIdentity, returnTo: string }> {
    const { state } = query
    const tx = state === undefined ? undefined : this.#take(request, reply, state)
    // Nothing is believed before the transaction: an `?error=` link sent to anyone is a 400 like any callback without one.
    if (tx === undefined) {
      throw new LoginTransactionError(state === undefined ? 'no state' : 'the state matches no login in progress of this browser', this.#config.loginPath)
    }
    if (query.error !== undefined) throw toAuthorizeError(query.error)
    const { code } = query
    if (code === undefined || code === '' || code.length > 2048) throw new InvalidCallbackError('no authorization code')
    const tokens = await this.#grants.authorizationCode(code, tx.codeVerifier, tx.nonce)
    const identity = await this.#lifecycle.start(request, reply, tokens)
    return { identity, returnTo: tx.returnTo ?? this.#config.defaultReturnTo }
  }

  /** The transaction of `state`, cleared from the browser: a transaction is single use. */
  #take (request: FastifyRequest, reply: FastifyReply, state: string): LoginTransaction | undefined {
    if (!TX_STATE.test(state)) return undefined
    const name = this.#layout.transactionName(state)
    const sealed = this.#layout.cookies(request)[name]
    if (sealed === undefined) return undefined
    const tx = this.#codec.open('tx', sealed, request.log)?.value as LoginTransaction | undefined
    if (tx === undefined || !safeEqual(tx.state, state)) return undefined
    reply.clearCookie(name, this.#layout.options('tx'))
    return tx
  }
}
