/**
 * A small browser stand-in for flow tests: real HTTP with undici, a {@link CookieJar} per host (Set-Cookie
 * parsed by undici, Path and Max-Age honoured), manual redirects, and every Set-Cookie header kept
 * so tests can check sizes and attributes.
 */
import { request, getSetCookies, Headers } from 'undici'
import type { Cookie } from 'undici'
import { CookieJar } from './cookies.js'

export interface Response {
  status: number
  url: string
  location: string | undefined
  headers: Record<string, string | string[] | undefined>
  body: string
  setCookies: string[]
}

export class UserAgent {
  /** host -> that host's cookies */
  readonly jar = new Map<string, CookieJar>()
  /** Every raw Set-Cookie header received, in order. */
  readonly setCookieHeaders: string[] = []
  /** Every cookie set, parsed. */
  readonly cookiesSet: Cookie[] = []
  readonly extraHeaders: Record<string, string>

  constructor (extraHeaders: Record<string, string> = {}) {
    this.extraHeaders = extraHeaders
  }

  /** The cookie jar of `host` (created empty on first use). */
  cookies (host: string): CookieJar {
    let cookies = this.jar.get(host)
    if (cookies === undefined) {
      cookies = new CookieJar()
      this.jar.set(host, cookies)
    }
    return cookies
  }

  async fetch (target: string, init: { method?: string, form?: Record<string, string>, headers?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(target)
    // Fetch Metadata as a browser sends it for a navigation the user started.
    const headers: Record<string, string> = { accept: 'text/html', 'sec-fetch-site': 'none', ...this.extraHeaders, ...init.headers }
    const cookie = this.cookies(url.host).header(url.pathname)
    if (cookie !== undefined) headers.cookie = cookie
    let body: string | undefined
    if (init.form !== undefined) {
      body = new URLSearchParams(init.form).toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    const response = await request(url, { method: (init.method ?? (body ? 'POST' : 'GET')) as 'GET', headers, body })
    const text = await response.body.text()
    const raw = response.headers['set-cookie']
    const setCookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
    this.setCookieHeaders.push(...setCookies)
    const h = new Headers()
    for (const line of setCookies) h.append('set-cookie', line)
    const parsed = getSetCookies(h)
    this.cookiesSet.push(...parsed)
    this.cookies(url.host).apply(parsed)
    const location = response.headers.location as string | undefined
    return {
      status: response.statusCode,
      url: url.href,
      location: location === undefined ? undefined : new URL(location, url).href,
      headers: response.headers,
      body: text,
      setCookies
    }
  }

  /** Follows redirects (at most `max`), returning every response. */
  async follow (target: string, init: Parameters<UserAgent['fetch']>[1] = {}, max = 10): Promise<Response[]> {
    const responses: Response[] = []
    let next: string | undefined = target
    let options = init
    while (next !== undefined && responses.length < max) {
      const response = await this.fetch(next, options)
      responses.push(response)
      next = response.status >= 300 && response.status < 400 ? response.location : undefined
      options = {}
    }
    return responses
  }
}

/** Goes from the app's login route through the hosted-UI form back to the app; returns the last response. */
export async function login (ua: UserAgent, base: string, username: string, returnTo = '/me'): Promise<{ finalUrl: string, body: string, status: number, passwordAsked: boolean }> {
  const hops = await ua.follow(`${base}/login?returnTo=${encodeURIComponent(returnTo)}`)
  let last = hops.at(-1)!
  let passwordAsked = false
  if (last.body.includes('id="login-form"')) {
    passwordAsked = true
    const action = /<form id="login-form" method="post" action="([^"]+)"/.exec(last.body)![1]!.replace(/&amp;/g, '&')
    const after = await ua.follow(new URL(action, last.url).href, { form: { username, password: 'Passw0rd!' } })
    last = after.at(-1)!
  }
  return { finalUrl: last.url, body: last.body, status: last.status, passwordAsked }
}
