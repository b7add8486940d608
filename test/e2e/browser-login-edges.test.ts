/**
 * Two logins that used to fail in a real browser (Debian's Chromium, driven by playwright-core), against
 * the local Cognito stand-in and the example app, as in browser.test.ts:
 *
 * - session cookies set SameSite=Strict: the callback is a navigation that started on Cognito's site, and
 *   a Strict cookie set by it does not go along the redirect to returnTo, so the guard would send the
 *   browser to the login page again, and round, and round;
 * - the app opened under another host name than its redirect URI's (127.0.0.1 for localhost): the login
 *   transaction cookie was set on one host and the callback read on the other.
 *
 * The plugin comes from ../lib, so this test runs without a build and its coverage counts for lib/.
 */
import t from 'tap'
import type { Browser, Page, Request } from 'playwright-core'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import { launchChromium, PASSWORD, skipWithoutChromium } from '../helpers/chromium.js'
import { appUris, listening, localPluginOptions } from '../helpers/local-app.js'

t.test('logins at the edges, in a real browser, against the local Cognito stand-in', { skip: skipWithoutChromium }, async (t) => {
  const { default: fastifyCognito } = await import('../../lib/index.js')
  const { startLocalCognito } = await import('../../lib/local/index.js')
  const { buildApp } = await import('../../example/app.js')

  /**
   * A stand-in and the example app signing in with it. The app listens on 127.0.0.1; its redirect URI
   * (and so the host Cognito sends the browser back to) names it `host`.
   */
  async function startExample ({ userPoolId, host, cookie }: { userPoolId: string, host: 'localhost' | '127.0.0.1', cookie?: FastifyCognitoOptions['cookie'] }) {
    const { server, port } = await listening()
    const appUrl = `http://${host}:${port}`
    const local = await startLocalCognito({ userPoolId, ...appUris(appUrl) })
    t.teardown(() => local.close())
    const cognito = {
      ...localPluginOptions(local, appUrl, 'e2e-browser-edges-secret-0123456789abcdef'),
      ...(cookie === undefined ? {} : { cookie })
    }
    const app = await buildApp({ plugin: fastifyCognito, cognito, server, local, logger: { level: 'silent' } })
    t.teardown(() => app.close())
    return { local, app, port, appUrl }
  }

  const browser: Browser = await launchChromium(t)

  /** A fresh browser profile; every request it makes (navigations and redirects) is listed in `requests`. */
  async function newPage (): Promise<{ page: Page, requests: string[], close: () => Promise<void> }> {
    const context = await browser.newContext()
    context.setDefaultTimeout(15_000)
    context.setDefaultNavigationTimeout(15_000)
    const requests: string[] = []
    context.on('request', (request: Request) => { if (request.isNavigationRequest()) requests.push(request.url()) })
    return { page: await context.newPage(), requests, close: () => context.close() }
  }

  /**
   * Opens `url` (a guarded page), signs in as alice on the stand-in's login page and waits (10 s at
   * most) for the browser to show `expected`. A redirect loop ends in Chromium's own error (too many
   * redirects), never in a hang.
   */
  async function signInFrom (page: Page, url: string, standIn: string, expected: string): Promise<void> {
    await page.goto(url)
    if (!page.url().startsWith(`${standIn}/login/`)) throw new Error(`expected the stand-in's login page, got ${page.url()}`)
    await page.locator('#username').fill('alice')
    await page.locator('#password').fill(PASSWORD)
    await page.locator('#signInSubmitButton').click()
    await page.waitForURL(expected, { timeout: 10_000 }).catch(() => {})
  }

  /** The JSON /claims showed, or undefined when the page is something else (an error page, a form). */
  async function shownClaims (page: Page): Promise<any> {
    try {
      return JSON.parse(await page.locator('body').innerText({ timeout: 2000 }))
    } catch {
      return undefined
    }
  }

  /** The navigations, by origin and path (the queries hold states and codes). */
  const trail = (requests: string[]) => requests.map(url => { const { origin, pathname } = new URL(url); return origin + pathname }).join(' -> ')
  const count = (requests: string[], pattern: RegExp) => requests.filter(url => pattern.test(url)).length

  await t.test('SameSite=Strict session cookies still log in: the guarded page opens signed in, with no redirect loop', async (t) => {
    const setup = await startExample({ userPoolId: 'us-east-1_E2eStrict', host: 'localhost', cookie: { sameSite: 'strict' } })
    const { appUrl, local } = setup
    t.not(new URL(local.url).hostname, 'localhost', 'the stand-in is another site than the app (the callback starts cross-site)')
    const { page, requests, close } = await newPage()
    t.teardown(close)

    const callbackAnswer = page.waitForResponse(r => r.url().startsWith(`${appUrl}/postlogin?`))
    await signInFrom(page, `${appUrl}/claims`, local.url, `${appUrl}/claims`)
    t.comment(`navigations: ${trail(requests)}`)
    const callback = await callbackAnswer
    t.equal(callback.status(), 200, 'the callback answers a page, not a redirect')
    t.match(callback.headers()['content-type'], /^text\/html/)
    t.equal(page.url(), `${appUrl}/claims`, 'the browser ends on the guarded page')
    const claims = await shownClaims(page)
    t.equal(claims?.accessToken?.username, 'alice', 'which shows alice signed in')
    t.equal(count(requests, /\/login\?/), 1, 'the app\'s login route was visited once: no loop')
    t.equal(count(requests, /\/postlogin\?/), 1, 'and the callback once')
    t.equal(local.stats.authorizationCodeGrants, 1, 'one authorization code exchanged')

    const jar = await page.context().cookies(appUrl)
    t.same(jar.map(c => c.name).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'], 'the session cookies, and no transaction left over')
    for (const cookie of jar) t.equal(cookie.sameSite, 'Strict', `${cookie.name} is SameSite=Strict`)

    await t.test('the home page, opened next, shows the user', async (t) => {
      await page.goto(`${appUrl}/`)
      t.equal(await page.locator('#username').textContent(), 'alice')
    })
  })

  for (const [registered, opened] of [['localhost', '127.0.0.1'], ['127.0.0.1', 'localhost']] as const) {
    await t.test(`opening the app under another host name signs in: redirect URI on ${registered}, opened at ${opened}`, async (t) => {
      const setup = await startExample({ userPoolId: `us-east-1_E2e${registered === 'localhost' ? 'Local' : 'Loop'}`, host: registered })
      const { appUrl, local, port } = setup
      const openedUrl = `http://${opened}:${port}`
      const { page, requests, close } = await newPage()
      t.teardown(close)

      await signInFrom(page, `${openedUrl}/claims`, local.url, `${appUrl}/claims`)
      t.comment(`navigations: ${trail(requests)}`)
      t.equal(page.url(), `${appUrl}/claims`, `the browser ends on the guarded page, under ${registered}`)
      const claims = await shownClaims(page)
      t.equal(claims?.accessToken?.username, 'alice', 'signed in as alice')
      t.ok(requests.includes(`${openedUrl}/login?returnTo=%2Fclaims`), `the login started under ${opened}`)
      t.ok(requests.includes(`${appUrl}/login?returnTo=%2Fclaims&cognito_moved=1`), `and was moved, once, to ${registered}`)
      t.equal(count(requests, /cognito_moved=1/), 1, 'one move')
      t.equal(count(requests, /\/postlogin\?/), 1, 'one callback')
      t.equal(local.stats.authorizationCodeGrants, 1, 'one authorization code exchanged')
      // The stand-in listens on 127.0.0.1 too (cookies ignore ports): only the app's cookies are counted.
      const left = (await page.context().cookies(openedUrl)).filter(c => c.name.startsWith('cognito_'))
      t.same(left.map(c => c.name), [], `no cookie of the app was left under ${opened}`)
    })
  }
})
