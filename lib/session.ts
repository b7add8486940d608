/**
 * How tokens and login transactions live in cookies. Each token has its own cookie (Cognito's tokens
 * together are far beyond a browser's 4096-byte cookie limit), sealed with @fastify/secure-session's
 * codec under a key of its own purpose, and split into numbered chunks when one is still too big.
 */
import Fastify from 'fastify'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import fastifySecureSession from '@fastify/secure-session'
import type { SerializeOptions as CookieSerializeOptions } from '@fastify/cookie'
import type { CookiePurpose, ResolvedConfig } from './options.js'
import { safeEqual } from './pkce.js'
import type { SessionTokens } from './types.js'

/** A browser keeps at most 4096 bytes of a cookie, name and attributes included. */
const COOKIE_LIMIT = 4096
/** Chunks of one cookie: `name` holds `<count>~<part>`, then `name.1` ... `name.<count-1>`. */
const MAX_CHUNKS = 9
const TX_STATE = /^[A-Za-z0-9_-]{43}$/

type TokenKind = 'access' | 'id' | 'refresh'
type Cookies = Record<string, string | undefined>

/** The login attempt kept between the login route and the callback. */
export interface LoginTransaction {
  state: string
  nonce: string
  codeVerifier: string
  returnTo: string | undefined
}

/** A sealed cookie opened: its value and whether it was sealed with an older key (and should be re-sealed). */
export interface Opened<T> { value: T, rotated: boolean }

/**
 * Seals and opens values with @fastify/secure-session. The codec lives in a Fastify instance of its
 * own, with no routes: secure-session's per-request hook would otherwise decrypt our cookies on every
 * request of the app, guarded or not, and an app's own secure-session stays untouched.
 */
export interface Codec {
  seal (purpose: CookiePurpose, value: unknown): string
  open (purpose: CookiePurpose, sealed: string, log: FastifyBaseLogger): Opened<unknown> | undefined
  /** How many opened cookies are remembered (bounded by MAX_OPENED). */
  readonly size: number
  close (): Promise<void>
}

/** Opened session cookies remembered, so a browser's repeated cookie is decrypted once, not on every request. */
const MAX_OPENED = 1000

interface OpenedEntry extends Opened<unknown> { purpose: CookiePurpose, until: number }

export async function createCodec (config: ResolvedConfig): Promise<Codec> {
  const scope = Fastify({ logger: false })
  const expiry: Record<CookiePurpose, number> = {
    access: config.cookie.maxAge,
    id: config.cookie.maxAge,
    refresh: config.cookie.refreshMaxAge,
    tx: config.cookie.transactionMaxAge
  }
  const purposes = Object.keys(expiry) as CookiePurpose[]
  // secure-session refuses a cookie older than `expiry` even when the browser replays it past Max-Age.
  const sessionName = (purpose: CookiePurpose): string => `fastifyCognito_${purpose}`
  await scope.register(fastifySecureSession, purposes.map(purpose => ({
    sessionName: sessionName(purpose),
    cookieName: sessionName(purpose),
    key: config.keys[purpose],
    expiry: expiry[purpose]
  })))
  // Keyed by the whole sealed value (ciphertext, MAC and nonce): a hit is the very bytes that were authenticated.
  const opened = new Map<string, OpenedEntry>()
  return {
    seal (purpose, value) {
      const sealed = scope.encodeSecureSession(scope.createSecureSession({ v: value }), sessionName(purpose))
      // secure-session's "<base64>;<base64>" as "<base64url>.<base64url>": no byte needs escaping in a cookie.
      const [cipher, nonce] = sealed.split(';') as [string, string]
      return `${Buffer.from(cipher, 'base64').toString('base64url')}.${Buffer.from(nonce, 'base64').toString('base64url')}`
    },
    open (purpose, sealed, log) {
      const hit = opened.get(sealed)
      if (hit !== undefined && hit.purpose === purpose) {
        if (Date.now() < hit.until) return hit
        // Past its sealed age: secure-session would refuse it now, and so do we.
        opened.delete(sealed)
        return undefined
      }
      const dot = sealed.indexOf('.')
      if (dot === -1) return undefined
      const cipher = Buffer.from(sealed.slice(0, dot), 'base64url').toString('base64')
      const nonce = Buffer.from(sealed.slice(dot + 1), 'base64url').toString('base64')
      const session = scope.decodeSecureSession(`${cipher};${nonce}`, log, sessionName(purpose))
      if (session === null) return undefined
      // `changed` is set by secure-session when an older key opened it.
      const entry: OpenedEntry = { purpose, value: session.get('v'), rotated: session.changed, until: (session.get('__ts') + expiry[purpose]) * 1000 }
      opened.set(sealed, entry)
      if (opened.size > MAX_OPENED) opened.delete(opened.keys().next().value as string)
      return entry
    },
    get size () {
      return opened.size
    },
    close: () => scope.close()
  }
}

export class SessionStore {
  readonly #config: ResolvedConfig
  readonly #codec: Codec
  readonly #parseCookie: (header: string) => Cookies
  readonly #budget = new Map<string, number>()

  constructor (config: ResolvedConfig, codec: Codec, parseCookie: (header: string) => Cookies, serialize: (name: string, value: string, options: CookieSerializeOptions) => string) {
    this.#config = config
    this.#codec = codec
    this.#parseCookie = parseCookie
    // How many value bytes each cookie can hold once its name and attributes are counted.
    for (const kind of ['access', 'id', 'refresh'] as const) {
      const name = config.cookie.names[kind]
      const attributes = serialize(`${name}.${MAX_CHUNKS}`, '', this.#options(kind))
      this.#budget.set(name, COOKIE_LIMIT - attributes.length - `${MAX_CHUNKS}~`.length)
    }
  }

  #options (kind: TokenKind | 'tx'): CookieSerializeOptions {
    const { cookie } = this.#config
    const maxAge = kind === 'refresh' ? cookie.refreshMaxAge : kind === 'tx' ? cookie.transactionMaxAge : cookie.maxAge
    return {
      httpOnly: true,
      secure: cookie.secure,
      sameSite: cookie.sameSite,
      path: kind === 'tx' ? cookie.transactionPath : cookie.path,
      maxAge,
      ...(cookie.domain !== undefined ? { domain: cookie.domain } : {})
    }
  }

  /** The request's cookies, parsed once and only when a guard or route needs them. */
  cookies (request: FastifyRequest): Cookies {
    if (request.cookies) return request.cookies
    const header = request.headers.cookie
    request.cookies = header ? this.#parseCookie(header) : {}
    return request.cookies
  }

  /** Opens one token cookie; `undefined` when absent, tampered, sealed with an unknown key or too old. */
  readToken (request: FastifyRequest, kind: TokenKind): Opened<string> | undefined {
    const cookies = this.cookies(request)
    const name = this.#config.cookie.names[kind]
    const first = cookies[name]
    if (first === undefined || first === '') return undefined
    let sealed = first
    const chunked = /^([2-9])~/.exec(first)
    if (chunked) {
      const parts = [first.slice(2)]
      for (let i = 1; i < Number(chunked[1]); i++) {
        const part = cookies[`${name}.${i}`]
        if (part === undefined) return undefined
        parts.push(part)
      }
      sealed = parts.join('')
    }
    const opened = this.#codec.open(kind, sealed, request.log)
    if (opened === undefined || typeof opened.value !== 'string') return undefined
    return opened as Opened<string>
  }

  /** Stores the tokens; a token left out keeps its cookie (a refresh without rotation keeps the refresh token). */
  writeTokens (request: FastifyRequest, reply: FastifyReply, tokens: Partial<SessionTokens>): void {
    if (tokens.accessToken !== undefined) this.#writeToken(request, reply, 'access', tokens.accessToken)
    if (tokens.idToken !== undefined) this.#writeToken(request, reply, 'id', tokens.idToken)
    if (tokens.refreshToken !== undefined && this.#config.refresh) this.#writeToken(request, reply, 'refresh', tokens.refreshToken)
  }

  /** Seals tokens into cookie values without a request (tests, server-side logins). */
  seal (tokens: SessionTokens): Record<string, string> {
    const out: Record<string, string> = {}
    const add = (kind: TokenKind, token: string | undefined): void => {
      if (token === undefined) return
      this.#chunks(kind, token).forEach((value, i) => { out[this.#chunkName(kind, i)] = value })
    }
    add('access', tokens.accessToken)
    add('id', tokens.idToken)
    if (this.#config.refresh) add('refresh', tokens.refreshToken)
    return out
  }

  #chunkName (kind: TokenKind, index: number): string {
    const name = this.#config.cookie.names[kind]
    return index === 0 ? name : `${name}.${index}`
  }

  #chunks (kind: TokenKind, token: string): string[] {
    const sealed = this.#codec.seal(kind, token)
    const budget = this.#budget.get(this.#config.cookie.names[kind]) as number
    if (sealed.length <= budget) return [sealed]
    const count = Math.ceil(sealed.length / budget)
    if (count > MAX_CHUNKS) throw new RangeError(`${kind} token is too large to store in cookies`)
    const parts: string[] = []
    for (let i = 0; i < count; i++) parts.push(sealed.slice(i * budget, (i + 1) * budget))
    parts[0] = `${count}~${parts[0] as string}`
    return parts
  }

  #writeToken (request: FastifyRequest, reply: FastifyReply, kind: TokenKind, token: string): void {
    const parts = this.#chunks(kind, token)
    const options = this.#options(kind)
    parts.forEach((value, i) => reply.setCookie(this.#chunkName(kind, i), value, options))
    this.#clearChunks(request, reply, kind, parts.length)
  }

  /** Clears the chunks from `from` on that the browser sent (left over from a larger token). */
  #clearChunks (request: FastifyRequest, reply: FastifyReply, kind: TokenKind, from: number): void {
    const cookies = this.cookies(request)
    const options = this.#options(kind)
    for (let i = from; i < MAX_CHUNKS; i++) {
      const name = this.#chunkName(kind, i)
      if (i === 0 || cookies[name] !== undefined) reply.clearCookie(name, options)
    }
  }

  /** Clears every token cookie (and chunk) of the session. */
  clear (request: FastifyRequest, reply: FastifyReply): void {
    for (const kind of ['access', 'id', 'refresh'] as const) this.#clearChunks(request, reply, kind, 0)
  }

  #transactionName (state: string): string {
    return `${this.#config.cookie.transactionPrefix}${state.slice(0, 16)}`
  }

  /** Each login attempt has its own cookie, named after its state, so two tabs never clobber each other. */
  writeTransaction (reply: FastifyReply, tx: LoginTransaction): void {
    reply.setCookie(this.#transactionName(tx.state), this.#codec.seal('tx', tx), this.#options('tx'))
  }

  readTransaction (request: FastifyRequest, state: string): LoginTransaction | undefined {
    if (!TX_STATE.test(state)) return undefined
    const sealed = this.cookies(request)[this.#transactionName(state)]
    if (sealed === undefined) return undefined
    const opened = this.#codec.open('tx', sealed, request.log)
    const tx = opened?.value as LoginTransaction | undefined
    return tx !== undefined && safeEqual(tx.state, state) ? tx : undefined
  }

  clearTransaction (reply: FastifyReply, state: string): void {
    reply.clearCookie(this.#transactionName(state), this.#options('tx'))
  }
}
