/**
 * The example app in a real browser (Debian's Chromium, driven by playwright-core) against the local
 * Cognito stand-in: the whole hosted-UI round trip, group guards, the refresh button, the guard's own
 * refresh after expiry, and logout, with every cookie the plugin sets checked on the wire.
 *
 * The plugin comes from ../lib (not the package's dist/, which the example server imports), so this
 * test runs without a build and its coverage counts for lib/.
 */
import t from 'tap'
import { mkdir } from 'node:fs/promises'
import type { Browser, BrowserContext, Page, Response } from 'playwright-core'
import { launchChromium, PASSWORD, skipWithoutChromium } from '../helpers/chromium.js'
import { appUris, listening, localPluginOptions } from '../helpers/local-app.js'
import { sleep } from '../helpers/sleep.js'

const OUTPUT = new URL('../../test-output/', import.meta.url)
/** Browsers keep at most 4096 bytes of a cookie, name, value and attributes together. */
const COOKIE_LIMIT = 4096

t.test('the example app in a real browser, against the local Cognito stand-in', { skip: skipWithoutChromium }, async (t) => {
  // Loaded here, so that nothing is loaded (and counted for coverage) when the test is skipped.
  const { default: fastifyCognito } = await import('../../lib/index.js')
  const { startLocalCognito } = await import('../../lib/local/index.js')
  const { resolveOptions } = await import('../../lib/options.js')
  const { createCodec } = await import('../../lib/session/codec.js')
  const { buildApp } = await import('../../example/app.js')
  await mkdir(OUTPUT, { recursive: true })

  /** Every line the apps logged, checked at the end for secrets. */
  const logLines: string[] = []

  /** A stand-in and the example app signing in with it. */
  async function startExample ({ userPoolId, accessTokenTtl, leeway, named }: { userPoolId: string, accessTokenTtl?: number, leeway?: number, named: boolean }) {
    // The app listens before it exists: its callback URL, registered with the stand-in, holds the port.
    // It is browsed as localhost, the host of the registered callback URL, as a person would.
    const { server, base: appUrl } = await listening()
    const local = await startLocalCognito({
      userPoolId,
      ...(accessTokenTtl === undefined ? {} : { accessTokenTtl }),
      ...appUris(appUrl)
    })
    t.teardown(() => local.close())
    const cognito = {
      ...localPluginOptions(local, appUrl, 'e2e-browser-test-secret-0123456789abcdef'),
      ...(leeway === undefined ? {} : { leeway })
    }
    const app = await buildApp({ plugin: fastifyCognito, cognito, server, local: named ? local : null, logger: { level: 'info', stream: { write: (line: string) => { logLines.push(line) } } } })
    t.teardown(() => app.close())
    return { local, app, appUrl, cognito }
  }

  const main = await startExample({ userPoolId: 'us-east-1_E2eMain', named: true })
  // A second pool whose access tokens live 4 s, for the guard's own refresh; the app checks expiry
  // with no leeway (default 5 s) so that a 4 s token is seen expired. Its home page is told nothing
  // of the stand-in, as if it were a real pool.
  const short = await startExample({ userPoolId: 'eu-west-1_E2eShort', accessTokenTtl: 4, leeway: 0, named: false })

  const browser: Browser = await launchChromium(t)

  /** Every Set-Cookie header the app sent, as the browser received it. */
  const setCookies: Array<{ url: string, header: string }> = []
  const pending: Array<Promise<void>> = []

  async function newPage (appUrl: string): Promise<{ context: BrowserContext, page: Page }> {
    const context = await browser.newContext()
    context.setDefaultTimeout(15_000)
    context.on('response', (response: Response) => {
      if (!response.url().startsWith(appUrl)) return
      pending.push(response.headersArray().then(headers => {
        for (const { name, value } of headers) {
          if (name.toLowerCase() === 'set-cookie') setCookies.push({ url: response.url(), header: value })
        }
      }))
    })
    return { context, page: await context.newPage() }
  }

  async function signIn (page: Page, username: string): Promise<void> {
    await page.locator('#username').fill(username)
    await page.locator('#password').fill(PASSWORD)
    await page.locator('#signInSubmitButton').click()
  }

  /** Navigates and returns the JSON the app answered (Chromium shows it as a page). */
  async function getJson (page: Page, url: string): Promise<{ status: number, body: any }> {
    const response = await page.goto(url) as Response
    return { status: response.status(), body: await response.json() }
  }

  /** The refresh token in the browser's cookie (one cookie, see below), opened with the app's own keys. */
  async function refreshTokenIn (context: BrowserContext, setup: typeof main): Promise<string> {
    const sealed = (await context.cookies(setup.appUrl)).find(c => c.name === 'cognito_refresh')?.value as string
    const codec = await createCodec(resolveOptions(setup.cognito as any).codec)
    try {
      return codec.open('refresh', sealed, setup.app.log)?.value as string
    } finally {
      await codec.close()
    }
  }

  const { appUrl } = main
  const alice = await newPage(appUrl)
  let aliceJti = ''
  let aliceIdJti = ''
  let aliceRefreshToken = ''

  await t.test('a signed-out browser asking for a guarded page is sent to the hosted login page', async (t) => {
    const visited: string[] = []
    alice.page.on('request', request => { if (request.isNavigationRequest()) visited.push(request.url()) })
    await alice.page.goto(`${appUrl}/claims`)
    t.ok(alice.page.url().startsWith(`${main.local.url}/login/`), 'the page is the stand-in\'s login page')
    t.ok(visited.includes(`${appUrl}/login?returnTo=%2Fclaims`), 'by way of the app\'s login route, with returnTo')
    await t.resolves(alice.page.locator('#username').waitFor({ state: 'visible' }), 'the login form is shown')
    await alice.page.screenshot({ path: new URL('login-page.png', OUTPUT).pathname, fullPage: true })
  })

  await t.test('alice signs in on the login page and returns to the page she asked for', async (t) => {
    const claimsAnswer = alice.page.waitForResponse(r => r.url() === `${appUrl}/claims`)
    await signIn(alice.page, 'alice')
    const response = await claimsAnswer
    await alice.page.waitForURL(`${appUrl}/claims`)
    t.equal(response.status(), 200)
    t.equal(main.local.stats.authorizationCodeGrants, 1, 'one authorization code exchanged')

    const { accessToken, idToken, groups } = await response.json()
    t.equal(accessToken.username, 'alice')
    t.equal(accessToken.token_use, 'access')
    t.equal(accessToken.client_id, main.local.clients.confidential.clientId)
    t.equal(accessToken.iss, main.local.issuer)
    t.equal(idToken['cognito:username'], 'alice')
    t.equal(idToken.email, 'alice@example.com')
    t.same([...groups].sort(), ['admin', 'editor'])
    aliceJti = accessToken.jti
    aliceIdJti = idToken.jti
    t.type(aliceJti, 'string')
    t.type(aliceIdJti, 'string')
  })

  await t.test('alice (groups admin, editor) may open /admin and /edit', async (t) => {
    const admin = await getJson(alice.page, `${appUrl}/admin`)
    t.equal(admin.status, 200)
    t.same([...admin.body.groups].sort(), ['admin', 'editor'])
    const edit = await getJson(alice.page, `${appUrl}/edit`)
    t.equal(edit.status, 200)
  })

  await t.test('the home page shows who is signed in, and that the stand-in is the identity provider', async (t) => {
    await alice.page.goto(`${appUrl}/`)
    t.equal(await alice.page.locator('#username').textContent(), 'alice')
    t.equal(await alice.page.locator('#email').textContent(), 'alice@example.com')
    t.equal(await alice.page.locator('#groups').textContent(), 'admin, editor')
    t.match(await alice.page.locator('#idp').textContent(), /local Cognito stand-in.*us-east-1_E2eMain/s)
    await alice.page.screenshot({ path: new URL('home-signed-in.png', OUTPUT).pathname, fullPage: true })
  })

  await t.test('the refresh button gets a new access token', async (t) => {
    const grants = main.local.stats.refreshTokenGrants
    await alice.page.goto(`${appUrl}/`)
    await alice.page.locator('#refresh').click()
    await alice.page.waitForURL(`${appUrl}/`)
    t.equal(main.local.stats.refreshTokenGrants, grants + 1, 'one refresh grant')
    t.equal(await alice.page.locator('#username').textContent(), 'alice', 'still signed in')
    const { status, body } = await getJson(alice.page, `${appUrl}/claims`)
    t.equal(status, 200)
    t.not(body.accessToken.jti, aliceJti, 'the access token is a new one')
    t.not(body.idToken.jti, aliceIdJti, 'and so is the ID token')
    t.equal(body.idToken.email, 'alice@example.com')
  })

  await t.test('bob (no group) is refused /admin and /edit with a readable page, and may read /claims', async (t) => {
    const bob = await newPage(appUrl)
    t.teardown(() => bob.context.close())
    await bob.page.goto(`${appUrl}/admin`)
    const adminAnswer = bob.page.waitForResponse(r => r.url() === `${appUrl}/admin`)
    await signIn(bob.page, 'bob')
    const admin = await adminAnswer
    t.equal(admin.status(), 403, 'returned to /admin after login, which refuses him')
    t.match(admin.headers()['content-type'], /^text\/html/)
    t.match(await bob.page.locator('h1').textContent(), /403/)
    await bob.page.screenshot({ path: new URL('forbidden.png', OUTPUT).pathname, fullPage: true })

    const edit = await bob.page.goto(`${appUrl}/edit`) as Response
    t.equal(edit.status(), 403)

    const asProgram = await bob.context.request.get(`${appUrl}/admin`, { headers: { accept: 'application/json' } })
    t.equal(asProgram.status(), 403)
    t.equal((await asProgram.json()).code, 'FST_COGNITO_GROUP_REQUIRED', 'a program gets the error as JSON')

    const claims = await getJson(bob.page, `${appUrl}/claims`)
    t.equal(claims.status, 200)
    t.equal(claims.body.accessToken.username, 'bob')
    t.same(claims.body.groups, [])

    await bob.page.goto(`${appUrl}/`)
    t.equal(await bob.page.locator('#username').textContent(), 'bob')
    t.equal(await bob.page.locator('#groups').textContent(), '(none)', 'the home page says he has no group')

    // The access token is what signs a request in; the ID token cookie only adds the user's attributes.
    await bob.context.clearCookies({ name: 'cognito_id' })
    await bob.page.goto(`${appUrl}/`)
    t.equal(await bob.page.locator('#username').textContent(), 'bob', 'without the ID token cookie he is still signed in')
    t.equal(await bob.page.locator('#email').textContent(), '(no ID token)')
  })

  await t.test('while signed in, every cookie the browser holds for the app is HttpOnly and within 4096 bytes', async (t) => {
    const jar = await alice.context.cookies(appUrl)
    t.same(jar.map(c => c.name).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'], 'one cookie per token, no chunks')
    for (const cookie of jar) {
      t.ok(cookie.httpOnly, `${cookie.name} is HttpOnly`)
      t.equal(cookie.sameSite, 'Lax', `${cookie.name} is SameSite=Lax`)
      // As the browser counts it: name, value and attributes (the exact headers are checked below).
      const maxAge = Math.round(cookie.expires - Date.now() / 1000)
      const size = `${cookie.name}=${cookie.value}; Max-Age=${maxAge}; Path=${cookie.path}; Expires=${new Date(cookie.expires * 1000).toUTCString()}; HttpOnly; SameSite=Lax`.length
      t.ok(size <= COOKIE_LIMIT, `${cookie.name}: ${size} bytes with its attributes`)
    }
  })

  await t.test('logout revokes the refresh token and ends the stand-in\'s session: the next login asks for the password', async (t) => {
    const refreshToken = aliceRefreshToken = await refreshTokenIn(alice.context, main)
    t.notOk(main.local.isRevoked(refreshToken), 'the refresh token is live before logout')
    const revocations = main.local.stats.revocations
    await alice.page.goto(`${appUrl}/`)
    await alice.page.locator('#logout').click()
    await alice.page.waitForURL(`${appUrl}/`)
    t.match(await alice.page.locator('#status').textContent(), /Not signed in/, 'back home, signed out')
    t.equal(main.local.stats.revocations, revocations + 1, 'one revocation')
    t.ok(main.local.isRevoked(refreshToken), 'the stand-in holds the refresh token revoked')
    t.same((await alice.context.cookies(appUrl)).map(c => c.name), [], 'the session cookies are gone')

    const grants = main.local.stats.authorizationCodeGrants
    await alice.page.goto(`${appUrl}/claims`)
    t.ok(alice.page.url().startsWith(`${main.local.url}/login/`), 'a guarded page leads to the login page again')
    await t.resolves(alice.page.locator('#password').waitFor({ state: 'visible' }), 'which asks for the password')
    t.equal(main.local.stats.authorizationCodeGrants, grants, 'no silent sign-in happened')
  })

  await t.test('the guard renews an expired access token by itself, without a trip to the login page', async (t) => {
    const { context, page } = await newPage(short.appUrl)
    t.teardown(() => context.close())
    await page.goto(`${short.appUrl}/claims`)
    const firstAnswer = page.waitForResponse(r => r.url() === `${short.appUrl}/claims`)
    await signIn(page, 'alice')
    const first = await (await firstAnswer).json()
    t.equal(first.accessToken.exp - first.accessToken.iat, 4, 'the access token lives 4 s')

    const grants = short.local.stats.refreshTokenGrants
    await sleep(first.accessToken.exp * 1000 - Date.now() + 1100)
    const navigations: string[] = []
    page.on('request', request => { if (request.isNavigationRequest()) navigations.push(request.url()) })
    const second = await getJson(page, `${short.appUrl}/claims`)
    t.equal(second.status, 200)
    t.same(navigations, [`${short.appUrl}/claims`], 'no detour by the login page')
    t.equal(short.local.stats.refreshTokenGrants, grants + 1, 'one refresh grant')
    t.not(second.body.accessToken.jti, first.accessToken.jti, 'a new access token')
    t.ok(second.body.accessToken.exp > first.accessToken.exp, 'that expires later')

    await t.test('the home page of an app not using the stand-in names its user pool', async (t) => {
      await page.goto(`${short.appUrl}/`)
      t.match(await page.locator('#idp').textContent(), /Amazon Cognito user pool eu-west-1_E2eShort/)
    })

    await t.test('when Cognito is down, an expired session is an error (502), not a sign-out', async (t) => {
      await sleep(second.body.accessToken.exp * 1000 - Date.now() + 1100)
      await short.local.close()
      const home = await getJson(page, `${short.appUrl}/`)
      t.equal(home.status, 502)
      t.equal(home.body.code, 'FST_COGNITO_IDP_ERROR')
    })
  })

  await t.test('every Set-Cookie the apps sent, from login to logout, is HttpOnly, SameSite=Lax and within 4096 bytes', async (t) => {
    await Promise.all(pending)
    const named = (name: string) => setCookies.some(({ header }) => header.startsWith(`${name}=`))
    for (const name of ['cognito_access', 'cognito_id', 'cognito_refresh']) t.ok(named(name), `${name} was set`)
    t.ok(setCookies.some(({ header }) => header.startsWith('cognito_tx=')), 'login transaction cookies were set')
    t.ok(setCookies.some(({ url, header }) => new URL(url).pathname === '/logout' && /^cognito_refresh=;/.test(header)), 'logout cleared the refresh cookie')
    const describe = ({ url, header }: { url: string, header: string }) => `${header.slice(0, header.indexOf('='))} from ${new URL(url).pathname}`
    t.same(setCookies.filter(({ header }) => !/; HttpOnly(;|$)/i.test(header)).map(describe), [], 'every one is HttpOnly')
    t.same(setCookies.filter(({ header }) => !/; SameSite=Lax(;|$)/i.test(header)).map(describe), [], 'every one is SameSite=Lax')
    const largest = Math.max(...setCookies.map(({ header }) => Buffer.byteLength(header)))
    t.ok(largest <= COOKIE_LIMIT, `the largest of ${setCookies.length} is ${largest} bytes`)
  })

  await t.test('the apps\' logs name requests by path: no authorization code, token or cookie value', async (t) => {
    const logs = logLines.join('')
    t.match(logs, /"(path|url)":"\/postlogin"/, 'the callbacks were logged (by path only)')
    t.match(logs, /"statusCode":502/, 'and the 502')
    t.notMatch(logs, /code=|state=|returnTo=/, 'without their query')
    const values = new Set(setCookies.map(({ header }) => header.slice(header.indexOf('=') + 1, header.indexOf(';'))).filter(value => value !== ''))
    values.add(aliceRefreshToken)
    const logged = [...values].filter(value => logs.includes(value))
    t.equal(logged.length, 0, `none of ${values.size} cookie values and tokens is in the logs`)
  })
})
