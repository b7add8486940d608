/**
 * A browser's cookie jar for `inject()`: keeps what `Set-Cookie` sets, forgets what it clears, and
 * sends the cookies whose Path matches the request (the login transaction cookie only travels to
 * the callback path, as in a browser).
 */
import type { LightMyRequestResponse } from 'fastify'

interface Stored { value: string, path: string }

export class CookieJar {
  readonly #cookies = new Map<string, Stored>()

  /** Applies the response's `Set-Cookie` headers. */
  store (res: LightMyRequestResponse): this {
    for (const c of res.cookies as Array<{ name: string, value: string, path?: string, maxAge?: number, expires?: Date }>) {
      const cleared = c.value === '' || c.maxAge === 0 || (c.expires !== undefined && c.expires.getTime() <= Date.now())
      if (cleared) this.#cookies.delete(c.name)
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

  /** A copy, to replay later what the browser held at this moment. */
  clone (): CookieJar {
    const copy = new CookieJar()
    for (const [name, { value, path }] of this.#cookies) copy.set(name, value, path)
    return copy
  }

  /** The `Cookie` header for a request to `url` (undefined when no cookie matches). */
  header (url: string): string | undefined {
    const path = new URL(url, 'http://localhost').pathname
    const pairs = [...this.#cookies]
      .filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([name, c]) => `${name}=${c.value}`)
    return pairs.length === 0 ? undefined : pairs.join('; ')
  }
}

/** Names of the cookies a response sets to a non-empty value (cleared cookies left out). */
export function cookiesSet (res: LightMyRequestResponse): string[] {
  return (res.cookies as Array<{ name: string, value: string, maxAge?: number }>)
    .filter(c => c.value !== '' && c.maxAge !== 0)
    .map(c => c.name)
}
