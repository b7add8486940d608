/** Username and password typed into the login form. */
export interface SignInCredentials {
  username: string
  password: string
}

/** The hosted UI stopped without sending the browser back to the app. */
export class HostedUiError extends Error {
  /** HTTP status of the page it stopped on. */
  readonly status: number
  /** That page's body. */
  readonly page: string

  constructor (message: string, status: number, page: string) {
    super(message)
    this.name = 'HostedUiError'
    this.status = status
    this.page = page
  }
}

const MAX_HOPS = 10

function errorText (page: string): string {
  const match = /<p id="error"[^>]*>([\s\S]*?)<\/p>/.exec(page)
  return match === null ? '' : `: ${match[1]!.replace(/<[^>]+>/g, '').trim()}`
}

/**
 * A scripted browser for the local hosted UI, for tests without a real browser: it keeps the
 * stand-in's cookies (so its sign-in session works as in a browser), follows its redirects and fills
 * in the login form. It only talks to the stand-in: the first redirect to anywhere else (the app's
 * callback or sign-out URL) is where it stops.
 *
 * @example
 * ```ts
 * const browser = new LocalCognitoBrowser(local.url)
 * const callback = await browser.signIn(authorizeUrl, { username: 'alice', password: 'Passw0rd!' })
 * callback.searchParams.get('code') // the authorization code for the app
 * await browser.signIn(authorizeUrl) // silent sign-in: the stand-in's session cookie is still there
 * ```
 */
export class LocalCognitoBrowser {
  readonly #origin: string
  readonly #cookies = new Map<string, string>()

  /** @param domain - the stand-in's URL ({@link LocalCognito.url}). */
  constructor (domain: string) {
    this.#origin = new URL(domain).origin
  }

  /** A copy of the stand-in's cookies the browser holds, by name; `cognito` is there while signed in. */
  get cookies (): Record<string, string> {
    return Object.fromEntries(this.#cookies)
  }

  /**
   * One request, without following redirects. The stand-in's cookies go along with requests to the
   * stand-in, and the cookies it sets are kept.
   */
  async request (url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url)
    const headers = new Headers(init.headers)
    if (target.origin === this.#origin && this.#cookies.size > 0) {
      headers.set('cookie', [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; '))
    }
    const res = await fetch(target, { ...init, headers, redirect: 'manual' })
    if (target.origin === this.#origin) {
      for (const cookie of res.headers.getSetCookie()) {
        const pair = cookie.split(';')[0]!
        const at = pair.indexOf('=')
        const name = pair.slice(0, at).trim()
        const value = pair.slice(at + 1).trim()
        // A cleared cookie comes back empty (and expired).
        if (value === '') this.#cookies.delete(name)
        else this.#cookies.set(name, value)
      }
    }
    return res
  }

  /**
   * Opens `url` (an `/oauth2/authorize` or `/logout` URL) and follows the stand-in's redirects,
   * filling in the login form with `credentials` when it shows up. Resolves with the first URL
   * outside the stand-in it redirects to: the app's callback (with `code` and `state`, or `error`)
   * or sign-out URL.
   *
   * @throws {@link HostedUiError} when the stand-in stops on a page instead: the login form without
   * credentials, the form again after a failed attempt, or an error page.
   */
  async signIn (url: string | URL, credentials?: SignInCredentials): Promise<URL> {
    let target = new URL(url)
    let res = await this.request(target)
    let submitted = false
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const location = res.headers.get('location')
      if (location !== null) {
        target = new URL(location, target)
        if (target.origin !== this.#origin) return target
        res = await this.request(target)
        continue
      }
      const page = await res.text()
      if (!page.includes('id="login-form"')) {
        throw new HostedUiError(`the hosted UI answered ${res.status}${errorText(page)}`, res.status, page)
      }
      if (credentials === undefined) throw new HostedUiError('the hosted UI asks for a username and password', res.status, page)
      if (submitted) throw new HostedUiError(`sign-in failed${errorText(page)}`, res.status, page)
      submitted = true
      res = await this.request(target, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: credentials.username, password: credentials.password }).toString()
      })
    }
    throw new HostedUiError(`more than ${MAX_HOPS} redirects`, res.status, '')
  }
}
