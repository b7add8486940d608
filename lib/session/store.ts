/**
 * The session seam: where a signed-in browser's tokens live between requests. The lifecycle
 * (lifecycle.ts) is the only caller; routes and guards never touch a store.
 *
 * The default keeps every token in its own sealed cookie ({@link CookieSessionStore}): stateless,
 * nothing to run. A server-side store (Redis) implements the same interface: `create` makes a session
 * record and sets one small cookie naming it, `read` loads the record (once per request, then from the
 * request) and opens the token asked for, `update` replaces the record's tokens, `destroy` deletes the
 * record and clears the cookie. Methods may answer synchronously or with a promise.
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import type { Codec, Opened } from './codec.js'
import type { CookieLayout, SessionCookie } from './cookies.js'
import type { CognitoSessions, SessionTokens } from '../types.js'

export type TokenKind = SessionCookie
type MaybePromise<T> = T | Promise<T>

export interface SessionStore {
  /**
   * Optional, for the guards' warm path: {@link read} at once, when the store can tell without waiting
   * (`null`: the session has no such token, or there is no session), or `undefined` when only `read` can tell.
   */
  readNow?: (request: FastifyRequest, kind: TokenKind) => Opened<string> | null | undefined
  /** Optional, for the warm path with an idle timeout: {@link lastSeen} at once. */
  lastSeenNow?: (request: FastifyRequest) => number | undefined
  /** Opens one token of the request's session; `undefined` when there is none, or it is tampered, foreign or too old. */
  read (request: FastifyRequest, kind: TokenKind): MaybePromise<Opened<string> | undefined>
  /** Starts a session with the tokens of a login. */
  create (request: FastifyRequest, reply: FastifyReply, tokens: SessionTokens): MaybePromise<void>
  /** Replaces the tokens given; a token left out stays as it is (a refresh without rotation keeps the refresh token). */
  update (request: FastifyRequest, reply: FastifyReply, tokens: Partial<SessionTokens>): MaybePromise<void>
  /** Ends the request's session. */
  destroy (request: FastifyRequest, reply: FastifyReply): MaybePromise<void>
  /** What a browser would hold for a session of these tokens (cookie name -> value): for tests and server-side logins. */
  seal (tokens: SessionTokens): MaybePromise<Record<string, string>>
  /** When the session was last used (ms since the epoch), for the idle timeout; `undefined` when unknown. */
  lastSeen (request: FastifyRequest): MaybePromise<number | undefined>
  /** Records a use of the session at `at` (ms since the epoch). */
  touch (request: FastifyRequest, reply: FastifyReply, at: number): MaybePromise<void>
  /**
   * Optional, for stores shared by several app instances: runs `renew` (a refresh grant and the
   * `update` that stores its tokens) while holding the session's lock, so that one grant is made per
   * session across instances. Answers `undefined` when another holder renewed the session instead:
   * the caller then reads the new tokens from the store.
   */
  exclusive?: <T>(request: FastifyRequest, renew: () => Promise<T>) => Promise<T | undefined>
  /**
   * Optional, for a store that ends cookie sessions everywhere (`redisSessionStore({ mode: 'revocation' })`):
   * whether the request's session, of user `sub` (from its verified access token), started before the
   * user's cut-off. Throws a coded 503 when it cannot tell.
   */
  cutOff?: (request: FastifyRequest, reply: FastifyReply, sub: string) => Promise<boolean>
}

/** What the plugin gives a server-side store when it registers (see {@link SessionStoreFactory}). */
export interface StoreContext {
  codec: Codec
  layout: CookieLayout
  /** The session-id cookie's name (`__Host-` when Secure with no Domain). */
  cookieName: string
  /** How long a session lives, in seconds: the refresh token cookie's max age. */
  maxAge: number
  /** The refresh flow is on: a refresh token is kept. */
  keepRefresh: boolean
  /** Keys for records at rest, derived from `secret`, newest first. */
  atRestKeys: readonly Buffer[]
  /** Revokes a refresh token at Cognito (a session ended from `sessions.end`). */
  revoke: (refreshToken: string) => Promise<void>
  /** How long one call to Cognito may take, in ms: a refresh lock outlives it. */
  grantTimeout: number
  log: FastifyBaseLogger
}

/** A store the plugin made from a {@link SessionStoreFactory}. */
export interface ServerSessionStore extends SessionStore {
  /** At once: the record is written in the background, and a request naming the session waits for it. */
  seal (tokens: SessionTokens): Record<string, string>
  readonly sessions: CognitoSessions
  close (): Promise<void>
}

/**
 * The `sessionStore` option: a store made at registration, once the plugin knows its keys and cookie
 * layout. `fastify-cognito/redis` makes one (`redisSessionStore`).
 */
export interface SessionStoreFactory {
  readonly kind: 'fastify-cognito/session-store'
  create (context: StoreContext): Promise<ServerSessionStore>
}

const KINDS = ['access', 'id', 'refresh'] as const

/** Tokens in sealed cookies, one per token, each sealed under its own purpose's key. */
export class CookieSessionStore implements SessionStore {
  readonly #codec: Codec
  readonly #layout: CookieLayout
  readonly #keepRefresh: boolean

  /** `keepRefresh` false: the refresh flow is off and a refresh token is never stored. */
  constructor (codec: Codec, layout: CookieLayout, keepRefresh: boolean) {
    this.#codec = codec
    this.#layout = layout
    this.#keepRefresh = keepRefresh
  }

  read (request: FastifyRequest, kind: TokenKind): Opened<string> | undefined {
    const sealed = this.#layout.read(request, kind)
    if (sealed === undefined) return undefined
    const opened = this.#codec.open(kind, sealed, request.log)
    return opened !== undefined && typeof opened.value === 'string' ? opened as Opened<string> : undefined
  }

  readNow (request: FastifyRequest, kind: TokenKind): Opened<string> | null {
    return this.read(request, kind) ?? null
  }

  create (request: FastifyRequest, reply: FastifyReply, tokens: SessionTokens): void {
    this.update(request, reply, tokens)
  }

  update (request: FastifyRequest, reply: FastifyReply, tokens: Partial<SessionTokens>): void {
    // Seal everything first: a token too large for the cookies fails the whole write, not half of it.
    const sealed = this.#sealAll(tokens)
    for (const [kind, value] of sealed) this.#layout.write(request, reply, kind, value)
  }

  destroy (request: FastifyRequest, reply: FastifyReply): void {
    for (const kind of KINDS) this.#layout.clear(request, reply, kind)
    if (this.#layout.cookies(request)[this.#layout.seenName] !== undefined) this.#layout.clearSeen(reply)
  }

  lastSeen (request: FastifyRequest): number | undefined {
    const sealed = this.#layout.cookies(request)[this.#layout.seenName]
    const value = sealed === undefined ? undefined : this.#codec.open('seen', sealed, request.log)?.value
    return typeof value === 'number' ? value : undefined
  }

  lastSeenNow (request: FastifyRequest): number | undefined {
    return this.lastSeen(request)
  }

  touch (_request: FastifyRequest, reply: FastifyReply, at: number): void {
    this.#layout.setSeen(reply, this.#codec.seal('seen', at))
  }

  seal (tokens: SessionTokens): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [kind, value] of this.#sealAll(tokens)) {
      for (const [name, chunk] of this.#layout.chunks(kind, value)) out[name] = chunk
    }
    return out
  }

  #sealAll (tokens: Partial<SessionTokens>): Array<[TokenKind, string]> {
    const out: Array<[TokenKind, string]> = []
    const add = (kind: TokenKind, token: string | undefined): void => {
      if (token === undefined) return
      const sealed = this.#codec.seal(kind, token)
      this.#layout.chunks(kind, sealed)
      out.push([kind, sealed])
    }
    add('access', tokens.accessToken)
    add('id', tokens.idToken)
    if (this.#keepRefresh) add('refresh', tokens.refreshToken)
    return out
  }
}
