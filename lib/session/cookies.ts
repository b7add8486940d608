/**
 * Cookie layout: which cookie holds what, with which attributes, and how a sealed value too large
 * for one cookie is split. Values arrive here already sealed (codec.ts); nothing here encrypts.
 *
 * Each token has its own cookie (Cognito's three tokens together are far beyond a browser's
 * 4096-byte cookie limit). A sealed value longer than one cookie's budget is split into numbered
 * chunks: `name` holds `<count>~<part>`, then `name.1` ... `name.<count-1>`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CookieBudgetError } from '../errors.js'
import { clearCookie, requestCookies, writeCookie, type CookieOptions, type Cookies, type SerializeCookie } from './cookie-io.js'

/** A browser keeps at most 4096 bytes of a cookie, name and attributes included. */
const COOKIE_LIMIT = 4096
const MAX_CHUNKS = 9

export type { Cookies }
export type SessionCookie = 'access' | 'id' | 'refresh'

/** The slice of configuration the layout uses. */
export interface CookieLayoutConfig {
  domain: string | undefined
  sameSite: 'lax' | 'strict' | 'none'
  secure: boolean
  names: Record<SessionCookie, string>
  transactionName: string
  seenName: string
  /** The sealed start of a cookie session, when a store cuts sessions off (`mode: 'revocation'`). */
  startedName: string
  maxAge: number
  refreshMaxAge: number
  transactionMaxAge: number
}

export class CookieLayout {
  readonly #config: CookieLayoutConfig
  readonly #parse: (header: string) => Cookies
  readonly #budget = new Map<SessionCookie, number>()
  readonly #serialize: SerializeCookie

  constructor (config: CookieLayoutConfig, parse: (header: string) => Cookies, serialize: SerializeCookie) {
    this.#config = config
    this.#parse = parse
    this.#serialize = serialize
    // How many value bytes each cookie can hold once its name and attributes are counted.
    for (const kind of ['access', 'id', 'refresh'] as const) {
      const attributes = serialize(`${config.names[kind]}.${MAX_CHUNKS}`, '', this.options(kind))
      this.#budget.set(kind, COOKIE_LIMIT - attributes.length - `${MAX_CHUNKS}~`.length)
    }
  }

  /**
   * The attributes of a cookie of `kind`. The transaction cookie is host-only and always
   * SameSite=Lax: the callback is a top-level navigation from Cognito's site, which a Strict cookie
   * would never reach, whatever SameSite the session cookies use.
   */
  options (kind: SessionCookie | 'tx'): CookieOptions {
    const cookie = this.#config
    if (kind === 'tx') return { httpOnly: true, secure: cookie.secure, sameSite: 'lax', path: '/', maxAge: cookie.transactionMaxAge }
    return {
      httpOnly: true,
      secure: cookie.secure,
      sameSite: cookie.sameSite,
      path: '/',
      maxAge: kind === 'refresh' ? cookie.refreshMaxAge : cookie.maxAge,
      ...(cookie.domain !== undefined ? { domain: cookie.domain } : {})
    }
  }

  /** Whether sealed login transactions fit in their one cookie (name and attributes counted). */
  transactionsFit (sealed: string): boolean {
    return this.#serialize(this.#config.transactionName, sealed, this.options('tx')).length <= COOKIE_LIMIT
  }

  /** The request's cookies, parsed once and only when a guard or route needs them. */
  cookies (request: FastifyRequest): Cookies {
    return requestCookies(request, this.#parse)
  }

  /**
   * Sets a cookie on this reply (a Set-Cookie line; the app gets no hook for it). Every cookie the
   * plugin sets or clears goes through here or {@link unset}, and the answer is then never stored by a
   * cache: a shared cache would hand one user's session to the next (RFC 9111 §5.2.2.5), whatever route
   * the guard ran on.
   */
  set (reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
    reply.header('cache-control', 'no-store')
    writeCookie(reply, this.#serialize, name, value, options)
  }

  /** Clears a cookie on this reply: empty and expired, with the attributes it was set with (and `no-store`, as {@link set}). */
  unset (reply: FastifyReply, name: string, options: CookieOptions): void {
    reply.header('cache-control', 'no-store')
    clearCookie(reply, this.#serialize, name, options)
  }

  /** The sealed value of a session cookie, its chunks joined; `undefined` when absent or incomplete. */
  read (request: FastifyRequest, kind: SessionCookie): string | undefined {
    const cookies = this.cookies(request)
    const name = this.#config.names[kind]
    const first = cookies[name]
    if (first === undefined || first === '') return undefined
    const chunked = /^([2-9])~/.exec(first)
    if (!chunked) return first
    const parts = [first.slice(2)]
    for (let i = 1; i < Number(chunked[1]); i++) {
      const part = cookies[`${name}.${i}`]
      if (part === undefined) return undefined
      parts.push(part)
    }
    return parts.join('')
  }

  /** Cookie name -> value for a sealed value; throws a coded 502 when it cannot fit in the cookie budget. */
  chunks (kind: SessionCookie, sealed: string): Array<[string, string]> {
    const budget = this.#budget.get(kind) as number
    if (sealed.length <= budget) return [[this.#chunkName(kind, 0), sealed]]
    const count = Math.ceil(sealed.length / budget)
    if (count > MAX_CHUNKS) throw new CookieBudgetError(kind)
    const parts: Array<[string, string]> = []
    for (let i = 0; i < count; i++) parts.push([this.#chunkName(kind, i), (i === 0 ? `${count}~` : '') + sealed.slice(i * budget, (i + 1) * budget)])
    return parts
  }

  /** Sets a session cookie (in chunks when needed) and clears chunks left over from a larger value. */
  write (request: FastifyRequest, reply: FastifyReply, kind: SessionCookie, sealed: string): void {
    const parts = this.chunks(kind, sealed)
    const options = this.options(kind)
    for (const [name, value] of parts) this.set(reply, name, value, options)
    this.#clearChunks(request, reply, kind, parts.length)
  }

  /** Clears a session cookie and every chunk of it the browser sent. */
  clear (request: FastifyRequest, reply: FastifyReply, kind: SessionCookie): void {
    this.#clearChunks(request, reply, kind, 0)
  }

  /** Sets the login transactions cookie. */
  setTransactions (reply: FastifyReply, sealed: string): void {
    this.set(reply, this.#config.transactionName, sealed, this.options('tx'))
  }

  /** Clears the login transactions cookie. */
  clearTransactions (reply: FastifyReply): void {
    this.unset(reply, this.#config.transactionName, this.options('tx'))
  }

  #chunkName (kind: SessionCookie, index: number): string {
    const name = this.#config.names[kind]
    return index === 0 ? name : `${name}.${index}`
  }

  #clearChunks (request: FastifyRequest, reply: FastifyReply, kind: SessionCookie, from: number): void {
    const cookies = this.cookies(request)
    const options = this.options(kind)
    for (let i = from; i < MAX_CHUNKS; i++) {
      const name = this.#chunkName(kind, i)
      if (i === 0 || cookies[name] !== undefined) this.unset(reply, name, options)
    }
  }

  get seenName (): string {
    return this.#config.seenName
  }

  /** Sets the session's last-seen cookie, with the session cookies' attributes and the refresh cookie's life. */
  setSeen (reply: FastifyReply, sealed: string): void {
    this.set(reply, this.#config.seenName, sealed, this.options('refresh'))
  }

  clearSeen (reply: FastifyReply): void {
    this.unset(reply, this.#config.seenName, this.options('refresh'))
  }

  get startedName (): string {
    return this.#config.startedName
  }

  /** Sets the session's start cookie, with the session cookies' attributes and the refresh cookie's life. */
  setStarted (reply: FastifyReply, sealed: string): void {
    this.set(reply, this.#config.startedName, sealed, this.options('refresh'))
  }

  clearStarted (reply: FastifyReply): void {
    this.unset(reply, this.#config.startedName, this.options('refresh'))
  }

  /** The login transactions cookie's name. */
  get transactionName (): string {
    return this.#config.transactionName
  }
}
