/**
 * Managed login in a real browser (Debian's Chromium, driven by playwright-core), against the local
 * Cognito stand-in and the example app: silent sign-in with and without a session at Cognito, and a
 * step-up round trip (a sign-in too old for the page, a fresh one, back to the same page).
 *
 * The plugin comes from ../lib, so this test runs without a build and its coverage counts for lib/.
 */
import t from 'tap'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, PASSWORD, skipWithoutChromium } from '../helpers/chromium.js'
import { appUris, listening, localPluginOptions } from '../helpers/local-app.js'

t.test('managed login in a real browser, against the local Cognito stand-in', { skip: skipWithoutChromium }, async (t) => {
  const { default: fastifyCognito } = await import('../../lib/index.js')
  const { startLocalCognito } = await import('../../lib/local/index.js')
  const { buildApp } = await import('../../example/app.js')

  const { server, port } = await listening()
  const appUrl = `http://localhost:${port}`
  const local = await startLocalCognito({ userPoolId: 'us-east-1_E2eManaged', ...appUris(appUrl) })
  t.teardown(() => local.close())
  const app = await buildApp({ plugin: fastifyCognito, cognito: { ...localPluginOptions(local, appUrl, 'e2e-browser-managed-secret-0123456789abc') }, server, local, logger: { level: 'silent' } })
  t.teardown(() => app.close())
  const browser: Browser = await launchChromium(t)

  async function newPage (): Promise<Page> {
    const context = await browser.newContext()
    context.setDefaultTimeout(15_000)
    context.setDefaultNavigationTimeout(15_000)
    t.teardown(() => context.close())
    return context.newPage()
  }

  async function signIn (page: Page): Promise<void> {
    await page.locator('#username').fill('alice')
    await page.locator('#password').fill(PASSWORD)
    await page.locator('#signInSubmitButton').click()
  }

  await t.test('silent sign-in with no session at Cognito: back home anonymous, no page shown, no error', async (t) => {
    const page = await newPage()
    await page.goto(`${appUrl}/`)
    const seen: string[] = []
    page.on('framenavigated', frame => { if (frame === page.mainFrame()) seen.push(new URL(frame.url()).pathname) })
    await page.locator('#silent').click()
    await page.waitForURL(`${appUrl}/`)
    t.match(await page.locator('#status').textContent(), /Not signed in/)
    t.notOk(seen.some(path => path.startsWith('/login/')), 'the stand-in showed no login page')
  })

  await t.test('silent sign-in with a session at Cognito: back home signed in, no password asked', async (t) => {
    const page = await newPage()
    await page.goto(`${appUrl}/login?returnTo=%2F`)
    await signIn(page)
    await page.waitForURL(`${appUrl}/`)
    // The app forgets the session (its cookies cleared); Cognito's own session lives on.
    await page.context().clearCookies({ domain: 'localhost' })
    await page.goto(`${appUrl}/`)
    t.match(await page.locator('#status').textContent(), /Not signed in/)
    await page.locator('#silent').click()
    await page.waitForURL(`${appUrl}/`)
    t.equal(await page.locator('#username').textContent(), 'alice', 'signed in again without a page')
    await t.test('and the example\'s step-up page opens with that recent sign-in', async (t) => {
      await page.goto(`${appUrl}/sensitive`)
      t.match(JSON.parse(await page.locator('body').innerText()), { username: 'alice' })
    })
  })

  await t.test('step-up: a sign-in too old for the page sends the browser to a fresh sign-in and back to the same page', async (t) => {
    // A second app on the same stand-in, whose page allows a sign-in at most 2 s old.
    const { server: stepServer, port: stepPort } = await listening()
    const stepUrl = `http://localhost:${stepPort}`
    const stepLocal = await startLocalCognito({ userPoolId: 'us-east-1_E2eStepUp', ...appUris(stepUrl) })
    t.teardown(() => stepLocal.close())
    const Fastify = (await import('fastify')).default
    const stepApp = Fastify({ serverFactory: handler => stepServer.on('request', handler) })
    stepApp.addHook('onClose', async () => { await new Promise(resolve => stepServer.close(resolve)) })
    t.teardown(() => stepApp.close())
    await stepApp.register(fastifyCognito, localPluginOptions(stepLocal, stepUrl, 'e2e-browser-stepup-secret-0123456789abcde'))
    stepApp.get('/transfer', { preHandler: stepApp.cognito.guard({ maxAge: 2 }) }, async (request) => ({ authTime: request.cognito?.authTime }))
    await stepApp.ready()

    const page = await newPage()
    await page.goto(`${stepUrl}/transfer?amount=5`)
    await signIn(page)
    await page.waitForURL(`${stepUrl}/transfer?amount=5`)
    const first = JSON.parse(await page.locator('body').innerText()).authTime as number
    await new Promise(resolve => setTimeout(resolve, 3500))
    const stepUpLogin = page.waitForRequest(r => r.url().startsWith(`${stepUrl}/login?`) && new URL(r.url()).searchParams.get('prompt') === 'login')
    await page.goto(`${stepUrl}/transfer?amount=5`)
    await stepUpLogin
    t.match(page.url(), /\/login\//, 'the stand-in asks for the password again (prompt=login)')
    await signIn(page)
    await page.waitForURL(`${stepUrl}/transfer?amount=5`)
    const second = JSON.parse(await page.locator('body').innerText()).authTime as number
    t.ok(second > first, 'back on the same page with a fresh sign-in')
  })
})
