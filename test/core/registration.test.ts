import t from 'tap'
import Fastify from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifySecureSession from '@fastify/secure-session'
import fastifyCognito, * as api from '../../lib/index.js'
import { createTestPool } from '../../lib/testing/index.js'
import { startFaultyIdp } from '../helpers/faulty-idp.js'
import { buildApp, meRoutes } from '../helpers/app.js'
import { captureLogs } from '../helpers/logs.js'
import { sleep } from '../helpers/sleep.js'

declare module '@fastify/secure-session' {
  interface SessionData { cart: string[] }
}

t.test('the package exports the plugin as default and named, optionsFromEnv and the error classes', async (t) => {
  t.equal(api.fastifyCognito, fastifyCognito)
  t.type(api.optionsFromEnv, 'function')
  for (const name of ['InvalidOptionError', 'UnauthenticatedError', 'InvalidTokenError', 'TokenExpiredError', 'GroupRequiredError',
    'ScopeRequiredError', 'AccessDeniedError', 'CrossSiteRequestError', 'LoginTransactionError', 'InvalidCallbackError',
    'AuthorizeError', 'NonceMismatchError', 'CodeRejectedError', 'NoRefreshTokenError', 'RefreshRejectedError', 'IdpError',
    'IdpTokenError', 'JwksUnavailableError', 'InvalidLoginRequestError']) {
    t.type((api as Record<string, unknown>)[name], 'function', name)
  }
  t.equal((fastifyCognito as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')] !== undefined, true, 'declared with fastify-plugin')
  t.equal((fastifyCognito as unknown as Record<symbol, { name: string }>)[Symbol.for('plugin-meta')]?.name, 'fastify-cognito')
})

t.test('the plugin adds no cookie hook to the app: unguarded routes never parse cookies, guards read them on demand', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const app = await buildApp(t, pool.pluginOptions(), { routes: meRoutes })
  t.notOk(app.hasPlugin('@fastify/cookie'), '@fastify/cookie is not registered on the app')
  const hooks = app.printRoutes({ method: 'GET', includeHooks: true, commonPrefix: false })
  t.match(hooks, /preHandler/, 'the listing shows hooks')
  t.notMatch(hooks, /onSend|onRequest/, 'no onSend or onRequest hook on any GET route (HEAD routes have Fastify\'s own onSend)')
  const cookies = app.cognito.sealSession(await pool.mintTokens({ username: 'alice' }))
  const open = await app.inject({ url: '/open', cookies: { ...cookies, theme: 'dark' } })
  t.same(open.json(), { cognito: null })
  const unguarded = Fastify()
  t.teardown(() => unguarded.close())
  await unguarded.register(fastifyCognito, pool.pluginOptions())
  // Whether any field of the request holds the parsed cookies (the plugin keeps them under a symbol of its own).
  const parsed = (request: object): boolean => [...Object.keys(request), ...Object.getOwnPropertySymbols(request)]
    .some(key => ((request as Record<PropertyKey, unknown>)[key] as { theme?: unknown } | null)?.theme === 'dark')
  unguarded.get('/cookies', async (request) => ({ parsed: parsed(request) }))
  unguarded.get('/guarded', { preHandler: unguarded.cognito.identify }, async (request) => ({ parsed: parsed(request) }))
  t.same((await unguarded.inject({ url: '/cookies', cookies: { theme: 'dark' } })).json(), { parsed: false }, 'an unguarded route never parses cookies')
  t.same((await unguarded.inject({ url: '/guarded', cookies: { theme: 'dark' } })).json(), { parsed: true }, 'a guard parses them, on its request only')
  const me = await app.inject({ url: '/me', cookies })
  t.equal(me.statusCode, 200, 'guards read the session cookies themselves')
  t.equal(me.json().username, 'alice')
  const login = await app.inject({ url: '/login' })
  t.match(String(login.headers['set-cookie']), /^cognito_tx=[^;]+; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax/, 'the routes still set their cookies')
})

t.test('an app that registered @fastify/cookie first keeps its parsing and its cookies; the plugin uses them', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const app = await buildApp(t, pool.pluginOptions(), {
    before: (app) => app.register(fastifyCookie, { secret: 'the-app-cookie-signing-secret-xxxx' }),
    routes: (app) => {
      meRoutes(app)
      app.get('/theme', async (request, reply) => {
        reply.setCookie('flash', 'hello', { signed: true, path: '/' })
        return { theme: request.cookies.theme ?? null }
      })
      app.get('/both', { preHandler: app.cognito.authenticate }, async (request) => ({ theme: request.cookies.theme, user: request.cognito?.username }))
      app.get('/flash-login', async (request, reply) => {
        reply.setCookie('flash', 'welcome', { path: '/' })
        return app.cognito.login(request, reply)
      })
    }
  })
  const flashLogin = await app.inject({ url: '/flash-login' })
  t.same(flashLogin.cookies.map((c: { name: string }) => c.name).sort(), ['cognito_tx', 'flash'], 'the app\'s cookie and the plugin\'s are both sent')
  const theme = await app.inject({ url: '/theme', cookies: { theme: 'dark' } })
  t.same(theme.json(), { theme: 'dark' }, 'the app\'s onRequest parsing still runs on unguarded routes')
  const flash = theme.cookies.find((c: { name: string }) => c.name === 'flash') as { value: string }
  t.equal(app.unsignCookie(flash.value).value, 'hello', 'the app\'s signed cookies use the app\'s secret')
  const cookies = app.cognito.sealSession(await pool.mintTokens({ username: 'alice' }))
  const both = await app.inject({ url: '/both', cookies: { ...cookies, theme: 'light' } })
  t.equal(both.statusCode, 200)
  t.same(both.json(), { theme: 'light', user: 'alice' })
})

t.test('the app\'s own @fastify/secure-session stays untouched and usable next to the plugin', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const app = await buildApp(t, pool.pluginOptions(), {
    before: (app) => app.register(fastifySecureSession, { key: Buffer.alloc(32, 9), cookieName: 'app_session', cookie: { path: '/' } }),
    routes: (app) => {
      meRoutes(app)
      app.post('/cart', async (request) => {
        request.session.set('cart', ['book'])
        return 'ok'
      })
      app.get('/cart', { preHandler: app.cognito.authenticate }, async (request) => ({ cart: request.session.get('cart') ?? null, user: request.cognito?.username }))
    }
  })
  const put = await app.inject({ method: 'POST', url: '/cart' })
  const session = put.cookies.find((c: { name: string }) => c.name === 'app_session') as { value: string }
  t.ok(session, 'the app\'s session cookie is set')
  t.same(put.cookies.map((c: { name: string }) => c.name), ['app_session'], 'the plugin sets nothing on an unguarded route')

  const cookies = app.cognito.sealSession(await pool.mintTokens({ username: 'alice' }))
  const get = await app.inject({ url: '/cart', cookies: { ...cookies, app_session: session.value } })
  t.equal(get.statusCode, 200)
  t.same(get.json(), { cart: ['book'], user: 'alice' }, 'both sessions open on one request')

  const logout = await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' }, cookies: { ...cookies, app_session: session.value } })
  t.notOk(logout.cookies.some((c: { name: string }) => c.name === 'app_session'), 'logout leaves the app\'s session alone')
  t.notOk(app.decodeSecureSession(cookies.cognito_access as string), 'the app\'s key cannot open the plugin\'s cookies')
})

t.test('the JWKS is fetched once at start (warm-up), and a failed warm-up only warns', async (t) => {
  const idp = await startFaultyIdp()
  t.teardown(() => idp.close())
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const options = { ...pool.pluginOptions(), issuer: idp.issuer }

  await buildApp(t, options)
  await waitFor(() => idp.counts.jwks === 1)
  t.equal(idp.counts.jwks, 1, 'warm-up fetched the JWKS')

  await buildApp(t, { ...options, jwks: { warmup: false } })
  await sleep(50)
  t.equal(idp.counts.jwks, 1, 'warmup: false fetches nothing at start')

  idp.setJwks('status500')
  const logs = captureLogs('warn')
  const app = await buildApp(t, options, { logs })
  await waitFor(() => logs.lines.length > 0)
  t.match(logs.lines[0], { level: 40, msg: /JWKS warm-up failed/, reason: 'JWKS fetch failed: HTTP 500' })
  t.equal((await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' } })).statusCode, 302, 'the app started anyway and serves')
})

async function waitFor (condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(10)
}
