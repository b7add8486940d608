/**
 * A login, from the login route to the callback: the attempt's secrets (state, nonce, PKCE verifier)
 * and its `returnTo` travel sealed in a transaction cookie of their own; the callback takes the
 * transaction back (single use), exchanges the code through the grants, and starts the session
 * through the lifecycle.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidCallbackError, LoginTransactionError, toAuthorizeError } from '../errors.js'
import { buildAuthorizeUrl, chooseLanguage, newLoginSecrets, type AuthorizeConfig, type LoginSecrets } from '../protocol/authorize.js'
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
  /** When the login started, ms since the epoch. */
  startedAt: number
  /** A silent sign-in (`prompt=none`): Cognito answering "no session" is not an error. */
  silent?: true
}

export interface LoginConfig extends AuthorizeConfig {
  defaultReturnTo: string
  /** Where a user starts again, for error messages. */
  loginPath: string
  cookie: { transactionMaxAge: number }
  /** Languages of the managed login pages the app offers, to choose from `Accept-Language`. */
  languages: readonly string[]
}

/** Where a login starts: Cognito's authorize endpoint (sign in) or its sign-up page. */
export type LoginPage = 'authorize' | 'signup'

/** What the callback's query says. */
export interface CallbackQuery {
  state: string | undefined
  code: string | undefined
  error: unknown
}

const TX_STATE = /^[A-Za-z0-9_-]{43}$/
/**
 * Logins a browser may have in progress at once (tabs, back button, a login link opened twice). The
 * oldest goes first, so that pending logins never grow the Cookie header: a page that starts logins in
 * a loop (even from another site) only replaces them.
 */
const MAX_PENDING = 3
/** The longest `returnTo` a transaction keeps; a longer one falls back to the default. */
const MAX_RETURN_TO = 1024
/** Cognito's answers to `prompt=none` when it would have to show a page (OIDC Core §3.1.2.6). */
const SILENT_REFUSALS = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required'])

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

  /** Starts a login: records the transaction in the browser and answers with the authorize URL to redirect to. */
  begin (request: FastifyRequest, reply: FastifyReply, options: LoginOptions = {}, page: LoginPage = 'authorize'): string {
    const secrets = newLoginSecrets()
    const lang = options.lang ?? chooseLanguage(this.#config.languages, request.headers['accept-language'])
    const url = buildAuthorizeUrl(this.#config, secrets, lang === undefined ? options : { ...options, lang }, page)
    const returnTo = sanitizeReturnTo(options.returnTo)
    const tx: LoginTransaction = {
      ...secrets,
      returnTo: returnTo !== undefined && returnTo.length <= MAX_RETURN_TO ? returnTo : undefined,
      startedAt: Date.now(),
      ...(options.prompt === 'none' ? { silent: true } : {})
    }
    const pending = [...this.#pending(request).slice(1 - MAX_PENDING), tx]
    // Within one cookie: the oldest pending logins go until the newest fits (one always does: its returnTo is capped).
    let sealed = this.#codec.seal('tx', pending)
    while (!this.#layout.transactionsFit(sealed) && pending.length > 1) {
      pending.shift()
      sealed = this.#codec.seal('tx', pending)
    }
    this.#layout.setTransactions(reply, sealed)
    return url
  }

  /**
   * The callback: takes the transaction back (every pending login of this browser is spent, whatever
   * happens next), maps Cognito's `?error=`, exchanges the code and starts the session. Throws a coded
   * 400, 502 or 503. A silent sign-in that Cognito could not complete without a page answers a null
   * identity: the browser goes back anonymous, not to an error page.
   */
  async complete (request: FastifyRequest, reply: FastifyReply, query: CallbackQuery): Promise<{ identity: CognitoIdentity | null, returnTo: string }> {
    const { state } = query
    const pending = this.#pending(request)
    if (pending.length > 0) this.#layout.clearTransactions(reply)
    const tx = state === undefined || !TX_STATE.test(state) ? undefined : pending.find(p => safeEqual(p.state, state))
    // Nothing is believed before the transaction: an `?error=` link sent to anyone is a 400 like any callback without one.
    if (tx === undefined) {
      throw new LoginTransactionError(state === undefined ? 'no state' : 'the state matches no login in progress of this browser', this.#config.loginPath)
    }
    const returnTo = tx.returnTo ?? this.#config.defaultReturnTo
    if (query.error !== undefined) {
      if (tx.silent === true && typeof query.error === 'string' && SILENT_REFUSALS.has(query.error)) return { identity: null, returnTo }
      throw toAuthorizeError(query.error)
    }
    const { code } = query
    if (code === undefined || code === '' || code.length > 2048) throw new InvalidCallbackError('no authorization code')
    const tokens = await this.#grants.authorizationCode(code, tx.codeVerifier, tx.nonce)
    const identity = await this.#lifecycle.start(request, reply, tokens)
    return { identity, returnTo }
  }

  /** The unexpired logins in progress of this browser, oldest first. */
  #pending (request: FastifyRequest): LoginTransaction[] {
    const sealed = this.#layout.cookies(request)[this.#layout.transactionName]
    if (sealed === undefined) return []
    const value = this.#codec.open('tx', sealed, request.log)?.value
    if (!Array.isArray(value)) return []
    const oldest = Date.now() - this.#config.cookie.transactionMaxAge * 1000
    return (value as LoginTransaction[]).filter(tx => typeof tx?.state === 'string' && tx.startedAt > oldest)
  }
}
