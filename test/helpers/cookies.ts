/**
 * Cookies in tests: what an answer's `Set-Cookie` headers set and clear, a `Cookie` header from
 * name -> value pairs, and a browser's cookie jar.
 *
 * A cookie counts as cleared when its value is empty, its Max-Age is 0 or less, or (without Max-Age)
 * its Expires is past: @fastify/cookie's `clearCookie` does all three.
 */
import type { LightMyRequestResponse } from 'fastify'

/** One `Set-Cookie`, parsed (light-my-request's `res.cookies`, undici's `getSetCookies`). */
export interface ParsedCookie { name: string, value: string, path?: string, maxAge?: number, expires?: Date | number | string }

/** One cookie an answer sets or clears. */
export interface SetCookie { name: string, value: string, path: string, cleared: boolean }

/** The session cookies (access, ID, refresh and their chunks), with or without a `__Host-` prefix. */
export const SESSION_COOKIE = /^(__Host-)?cognito_(access|id|refresh)/

function isCleared (c: ParsedCookie): boolean {
  if (c.value === '') return true
  if (c.maxAge !== undefined) return c.maxAge <= 0
  return c.expires !== undefined && new Date(c.expires).getTime() <= Date.now()
}

/** The Set-Cookie header lines of an answer, as sent. */
export function setCookieLines (res: LightMyRequestResponse): string[] {
  const header = res.headers['set-cookie']
  if (header === undefined) return []
  return Array.isArray(header) ? header : [String(header)]
}

/** Every cookie an answer sets or clears, in order. */
export function parseSetCookies (res: LightMyRequestResponse): SetCookie[] {
  return (res.cookies as ParsedCookie[]).map(c => ({ name: c.name, value: c.value, path: c.path ?? '/', cleared: isCleared(c) }))
}

/** Name -> value of the cookies an answer sets (not the ones it clears). */
export function setCookies (res: LightMyRequestResponse): Record<string, string> {
  return Object.fromEntries(parseSetCookies(res).filter(c => !c.cleared).map(c => [c.name, c.value]))
}

/** Names of the cookies an answer clears, sorted; only those matching `only` when given. */
export function clearedCookies (res: LightMyRequestResponse, only?: RegExp): string[] {
  return parseSetCookies(res).filter(c => c.cleared && (only === undefined || only.test(c.name))).map(c => c.name).sort()
}

/** A Cookie header from a name -> value map. */
export function cookieHeader (cookies: Record<string, string>): string {
  return Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join('; ')
}

interface Stored { value: string, path: string }

/**
 * A browser's cookie jar (for one host): keeps what `Set-Cookie` sets, forgets what it clears, and
 * sends the cookies whose Path matches the request (the login transaction cookie only travels to
 * the callback path, as in a browser).
 */
export class CookieJar {
  readonly #cookies = new Map<string, Stored>()

  /** A jar holding `cookies` (name -> value, Path=/), e.g. the session `sealSession` gives. */
  constructor (cookies: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(cookies)) this.set(name, value)
  }

  /** Applies an `inject()` answer's `Set-Cookie` headers. */
  store (res: LightMyRequestResponse): this {
    return this.apply(res.cookies as ParsedCookie[])
  }

  /** Applies parsed `Set-Cookie` headers. */
  apply (cookies: Iterable<ParsedCookie>): this {
    for (const c of cookies) {
      if (isCleared(c)) this.#cookies.delete(c.name)
      else this.#cookies.set(c.name, { value: c.value, path: c.path ?? '/' })
    }
    return this
  }

  set (name: string, value: string, path = '/'): this {
    this.#cookies.set(name, { value, path })
    return this
  }

  get (name: string): string | undefined {
    return this.#cookies.get(name)?.value
  }

  delete (name: string): this {
    this.#cookies.delete(name)
    return this
  }

  names (): string[] {
    return [...this.#cookies.keys()]
  }

  /** Adds (or replaces) every cookie of `other`, with its path. */
  copyFrom (other: CookieJar): this {
    for (const [name, { value, path }] of other.#cookies) this.set(name, value, path)
    return this
  }

  /** A copy, to replay later what the browser held at this moment. */
  clone (): CookieJar {
    return new CookieJar().copyFrom(this)
  }

  /** Name -> value of the cookies sent with a request to `url` (for `inject()`'s `cookies` option). */
  cookies (url = '/'): Record<string, string> {
    const path = new URL(url, 'http://localhost').pathname
    return Object.fromEntries([...this.#cookies]
      .filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([name, c]) => [name, c.value]))
  }

  /** The `Cookie` header for a request to `url` (undefined when no cookie matches). */
  header (url = '/'): string | undefined {
    const header = cookieHeader(this.cookies(url))
    return header === '' ? undefined : header
  }
}
