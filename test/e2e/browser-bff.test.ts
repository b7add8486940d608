/**
 * The example's single-page app in a real browser (Debian's Chromium, driven by playwright-core), behind
 * the backend for frontend, against the local Cognito stand-in and the example's orders API (a second app
 * guarded by bearer tokens): sign-in, `/session`, API calls through the BFF with the token renewed once for
 * concurrent calls, server-sent events, another site's attempts refused, logout; and no token ever reaches
 * the page.
 *
 * The plugin comes from ../lib (not the package's dist/), so this test runs without a build and its
 * coverage counts for lib/.
 */
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, PASSWORD, skipWithoutChromium } from '../helpers/chromium.js'
import { appUris, listening, localPluginOptions } from '../helpers/local-app.js'

t.test('the single-page app behind the BFF, in a real browser', { skip: skipWithoutChromium }, async (t) => {
  // Loaded here, so that nothing is loaded (and counted for coverage) when the test is skipped.
  const { default: fastifyCognito } = await import('../../lib/index.js')
  const { default: cognitoBff } = await import('../../lib/bff.js')
  const { startLocalCognito } = await import('../../lib/local/index.js')
  const { buildApp } = await import('../../example/app.js')
  const { buildOrdersApi } = await import('../../example/orders-api.js')

  const { server, base: appUrl } = await listening()
  // Access tokens live 30 s: under the 60 s the BFF wants left, so every API call renews first.
  const local = await startLocalCognito({ userPoolId: 'us-east-1_E2eBff', accessTokenTtl: 30, ...appUris(appUrl) })
  t.teardown(() => local.close())
  // A spread: an object literal's type, which the example's loose option type accepts.
  const cognito = { ...localPluginOptions(local, appUrl, 'e2e-browser-bff-secret-0123456789abcdef') }
  const logLines: string[] = []
  const logger = { level: 'info', stream: { write: (line: string) => { logLines.push(line) } } }
  const orders = await buildOrdersApi({ plugin: fastifyCognito, cognito, logger })
  t.teardown(() => orders.close())
  const ordersUrl = await orders.listen({ host: '127.0.0.1', port: 0 })
  const app = await buildApp({ plugin: fastifyCognito, bff: cognitoBff, ordersUrl, cognito, server, local, logger })
  t.teardown(() => app.close())

  // Another site: 127.0.0.1 is not localhost's site. Its page tries the API with the user's cookies.
  const evil = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html')
    res.end(`<form id="post" method="post" action="${appUrl}/api/orders"><input name="total" value="9"></form>
      <script>window.tryFetch = () => fetch('${appUrl}/api/orders', { method: 'POST', credentials: 'include', headers: { 'x-csrf': '1' } }).then(r => r.status, e => 'blocked')</script>`)
  })
  await new Promise<void>(resolve => evil.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => evil.close(resolve)))
  const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`

  const browser: Browser = await launchChromium(t)
  const context = await browser.newContext()
  context.setDefaultTimeout(15_000)
  const page: Page = await context.newPage()
  /** Every answer the page got from the app, as text: none may hold a token. */
  const bodies: string[] = []
  page.on('response', response => {
    // A redirect or an event stream cut short has no body to read: nothing to check there.
    if (response.url().startsWith(appUrl)) response.text().then(text => bodies.push(text), () => {})
  })
  const output = async (): Promise<string> => await page.locator('#output').textContent() ?? ''

  await t.test('signed out, the app renders from /session and offers the sign-in link', async (t) => {
    await page.goto(`${appUrl}/spa`)
    await t.resolves(page.locator('#anonymous').waitFor(), 'not signed in')
    t.equal(await page.locator('#login').getAttribute('href'), '/login?returnTo=%2Fspa')
  })

  await t.test('sign-in is a top-level navigation to the hosted UI and back to the app', async (t) => {
    await page.locator('#login').click()
    await page.locator('#username').fill('alice')
    await page.locator('#password').fill(PASSWORD)
    await page.locator('#signInSubmitButton').click()
    await page.waitForURL(`${appUrl}/spa`)
    t.equal(await page.locator('#username').textContent(), 'alice')
    t.equal(await page.locator('#groups').textContent(), 'admin, editor')
    t.equal(await page.evaluate('document.cookie'), '', 'the page\'s script sees no cookie: they are all HttpOnly')
  })

  await t.test('two API calls at once: one refresh grant, the API sees alice\'s token and no cookie', async (t) => {
    const grants = local.stats.refreshTokenGrants
    await page.locator('#orders').click()
    await page.waitForFunction("document.getElementById('output').textContent.includes('o-1001')")
    const shown = JSON.parse(await output())
    t.match(shown['the API saw'], { username: 'alice', kind: 'user', source: 'bearer', sawCookies: false })
    t.equal(local.stats.refreshTokenGrants - grants, 1, 'the token had under 60 s left: renewed once for both calls')
  })

  await t.test('a POST through the BFF (with the custom header) places an order; events stream through', async (t) => {
    await page.locator('#order').click()
    await page.waitForFunction("document.getElementById('output').textContent.includes('201')")
    t.match(JSON.parse(await output()), { status: 201, body: { by: 'alice', total: 12 } })
    await page.locator('#events').click()
    await page.waitForFunction("document.getElementById('output').textContent.includes('delivered')")
    t.match(await output(), /packed[\s\S]*shipped[\s\S]*delivered/)
  })

  await t.test('another site cannot use the session: its form is refused, its fetch is blocked at the preflight', async (t) => {
    const other = await context.newPage()
    await other.goto(evilUrl)
    t.equal(await other.evaluate('window.tryFetch()'), 'blocked')
    const [answer] = await Promise.all([other.waitForResponse(`${appUrl}/api/orders`), other.evaluate("document.getElementById('post').submit()")])
    t.equal(answer.status(), 403)
    t.equal((await answer.json()).code, 'FST_COGNITO_CSRF_HEADER_REQUIRED')
    await other.close()
    const count = await page.evaluate("fetch('/api/orders', { headers: { 'x-csrf': '1' } }).then(r => r.json()).then(b => b.orders.length)")
    t.equal(count, 3, 'the two orders of the API and alice\'s, nothing from the other site')
  })

  await t.test('sign out (a POST to /logout), and the app renders signed out again', async (t) => {
    await page.locator('#logout').click()
    await page.waitForURL(`${appUrl}/`)
    await page.goto(`${appUrl}/spa`)
    await t.resolves(page.locator('#anonymous').waitFor(), 'signed out')
  })

  await t.test('no token reached the page, and none was logged', async (t) => {
    await page.close()
    const text = bodies.join('\n')
    t.ok(bodies.length > 5)
    t.notMatch(text, /eyJ[\w-]+\.eyJ/, 'no JWT in any answer the page got')
    t.notMatch(logLines.join('\n'), /eyJ[\w-]+\.eyJ/, 'no JWT in the logs')
  })
})
