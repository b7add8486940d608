/**
 * A browser navigation without a session is sent to login (with returnTo); API calls and bearer
 * requests get a 401; `redirectToLogin` turns it off.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

const app = await buildApp(t, pool.pluginOptions(), {
  routes: (app) => {
    app.get('/dashboard', { preHandler: app.cognito.authenticate }, async () => 'dashboard')
    app.post('/dashboard', { preHandler: app.cognito.authenticate }, async () => 'posted')
    app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async () => 'admin')
    app.get('/api', { preHandler: app.cognito.guard({ redirectToLogin: false }) }, async () => 'api')
  }
})

t.test('a browser navigation without a session is redirected to /login?returnTo=<url>', async (t) => {
  const res = await app.inject({ url: '/dashboard?tab=orders&page=2', headers: { accept: HTML } })
  t.equal(res.statusCode, 302)
  const location = new URL(res.headers.location as string, 'http://localhost')
  t.equal(location.pathname, '/login')
  t.equal(location.searchParams.get('returnTo'), '/dashboard?tab=orders&page=2')
})

t.test('an expired cookie session without refresh token is redirected too', async (t) => {
  const cookies = app.cognito.sealSession({ accessToken: await pool.mintAccessToken({ username: 'alice', expiresIn: -60 }) })
  const res = await app.inject({ url: '/dashboard', headers: { accept: HTML }, cookies })
  t.equal(res.statusCode, 302)
  t.equal(res.headers.location, '/login?returnTo=%2Fdashboard')
})

t.test('API calls get a 401, not a redirect', async (t) => {
  for (const accept of [undefined, 'application/json', '*/*']) {
    const res = await app.inject({ url: '/dashboard', headers: accept === undefined ? {} : { accept } })
    t.equal(res.statusCode, 401, String(accept))
    t.equal(res.json().code, 'FST_COGNITO_UNAUTHENTICATED')
  }
  const post = await app.inject({ method: 'POST', url: '/dashboard', headers: { accept: HTML } })
  t.equal(post.statusCode, 401, 'only GET navigations are redirected')
})

t.test('a bearer request is never redirected', async (t) => {
  const res = await app.inject({ url: '/dashboard', headers: { accept: HTML, ...pool.bearer('not.a.token') } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"')
  const expired = await app.inject({ url: '/dashboard', headers: { accept: HTML, ...pool.bearer(await pool.mintAccessToken({ username: 'a', expiresIn: -60 })) } })
  t.equal(expired.statusCode, 401)
})

t.test('a signed-in user without the group gets 403, not a redirect', async (t) => {
  const cookies = app.cognito.sealSession(await pool.mintTokens({ username: 'bob' }))
  const res = await app.inject({ url: '/admin', headers: { accept: HTML }, cookies })
  t.equal(res.statusCode, 403)
})

t.test('redirectToLogin false on the guard or the plugin answers 401; true on the guard overrides the plugin', async (t) => {
  t.equal((await app.inject({ url: '/api', headers: { accept: HTML } })).statusCode, 401, 'guard option')
  const noRedirect = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false }, {
    routes: (app) => {
      app.get('/dashboard', { preHandler: app.cognito.authenticate }, async () => 'dashboard')
      app.get('/page', { preHandler: app.cognito.guard({ redirectToLogin: true }) }, async () => 'page')
    }
  })
  const res = await noRedirect.inject({ url: '/dashboard', headers: { accept: HTML } })
  t.equal(res.statusCode, 401, 'plugin option')
  t.equal(res.headers['www-authenticate'], 'Bearer')
  const page = await noRedirect.inject({ url: '/page', headers: { accept: HTML } })
  t.equal(page.statusCode, 302)
  t.equal(page.headers.location, '/login?returnTo=%2Fpage')
})

t.test('the redirect goes to a custom login path; with no login route there is nowhere to go: 401', async (t) => {
  const custom = await buildApp(t, { ...pool.pluginOptions(), routes: { login: '/signin' } }, {
    routes: (app) => app.get('/dashboard', { preHandler: app.cognito.authenticate }, async () => 'dashboard')
  })
  t.equal((await custom.inject({ url: '/dashboard', headers: { accept: HTML } })).headers.location, '/signin?returnTo=%2Fdashboard')
  const none = await buildApp(t, { ...pool.pluginOptions(), routes: { login: false } }, {
    routes: (app) => app.get('/dashboard', { preHandler: app.cognito.authenticate }, async () => 'dashboard')
  })
  t.equal((await none.inject({ url: '/dashboard', headers: { accept: HTML } })).statusCode, 401)
})
