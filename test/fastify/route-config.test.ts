/**
 * Guards where Fastify users put them: route configuration (run in onRequest, before the body is
 * read), @fastify/auth strategies, and two user pools side by side in encapsulated contexts.
 */
import t from 'tap'
import Fastify from 'fastify'
import fastifyAuth from '@fastify/auth'
import fastifyCognito from '../../lib/index.js'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const alice = await pool.mintAccessToken({ username: 'alice', groups: ['admin'] })
const bob = await pool.mintAccessToken({ username: 'bob', groups: ['reader'] })

t.test('config: { cognito } guards a route in onRequest: an unauthenticated body is never parsed', async (t) => {
  let parsed = 0
  const app = await buildApp(t, pool.pluginOptions(), {
    routes: (app) => {
      app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => { parsed++; done(null, JSON.parse(body as string)) })
      app.post('/orders', { config: { cognito: true } }, async (request) => ({ user: request.cognito?.username }))
      app.get('/admin', { config: { cognito: { groups: ['admin'] } } }, async () => ({ admin: true }))
      app.get('/open', { config: { cognito: false } }, async (request) => ({ cognito: request.cognito }))
      app.get('/hooked', { config: { cognito: true }, onRequest: async (request) => { (request as unknown as { seen: string }).seen = request.cognito?.username ?? 'none' } }, async (request) => ({ seen: (request as unknown as { seen: string }).seen }))
      app.get('/hooks', { config: { cognito: true }, onRequest: [async (request) => { (request as unknown as { seen: string }).seen = request.cognito?.username ?? 'none' }] }, async (request) => ({ seen: (request as unknown as { seen: string }).seen }))
    }
  })
  const anonymous = await app.inject({ method: 'POST', url: '/orders', payload: { big: 'x' } })
  t.equal(anonymous.statusCode, 401)
  t.equal(parsed, 0, 'the body of a refused request was not parsed')
  const signedIn = await app.inject({ method: 'POST', url: '/orders', payload: { a: 1 }, headers: pool.bearer(alice) })
  t.same(signedIn.json(), { user: 'alice' })
  t.equal(parsed, 1)
  t.equal((await app.inject({ url: '/admin', headers: pool.bearer(bob) })).statusCode, 403)
  t.equal((await app.inject({ url: '/admin', headers: pool.bearer(alice) })).statusCode, 200)
  t.same((await app.inject({ url: '/open', headers: pool.bearer(alice) })).json(), { cognito: null }, 'false leaves the route open')
  t.same((await app.inject({ url: '/hooked', headers: pool.bearer(alice) })).json(), { seen: 'alice' }, 'the guard runs before the route\'s own onRequest hooks')
  t.same((await app.inject({ url: '/hooks', headers: pool.bearer(alice) })).json(), { seen: 'alice' }, 'given as a list too')
})

t.test('a route-config guard with bad options fails at route definition', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCognito, pool.pluginOptions())
  t.throws(() => app.get('/x', { config: { cognito: { groups: 'admin' as never } } }, async () => 'x'), { code: 'FST_COGNITO_INVALID_OPTION' })
})

t.test('the guards are @fastify/auth strategies: a Cognito user or an API key', async (t) => {
  const app = await buildApp(t, pool.pluginOptions(), {
    before: (app) => app.register(fastifyAuth),
    routes: (app) => {
      const apiKey = async (request: { headers: Record<string, unknown> }): Promise<void> => {
        if (request.headers['x-api-key'] !== 'k-123') throw Object.assign(new Error('no api key'), { statusCode: 401 })
      }
      app.get('/report', { preHandler: app.auth([app.cognito.authenticate, apiKey], { relation: 'or' }) }, async (request) => ({ user: request.cognito?.username ?? 'api-key' }))
      app.get('/strict', { preHandler: app.auth([app.cognito.requireGroups(['admin']), apiKey], { relation: 'and' }) }, async () => ({ ok: true }))
    }
  })
  t.same((await app.inject({ url: '/report', headers: pool.bearer(bob) })).json(), { user: 'bob' })
  t.same((await app.inject({ url: '/report', headers: { 'x-api-key': 'k-123' } })).json(), { user: 'api-key' })
  t.equal((await app.inject({ url: '/report' })).statusCode, 401)
  t.equal((await app.inject({ url: '/strict', headers: { ...pool.bearer(alice), 'x-api-key': 'k-123' } })).statusCode, 200)
  t.equal((await app.inject({ url: '/strict', headers: pool.bearer(alice) })).statusCode, 401, 'and: the API key is needed too')
})

t.test('two user pools in encapsulated contexts: own routes, cookies and guards; a staff session is refused by the shop', async (t) => {
  const shopPool = await createTestPool({ userPoolId: 'eu-west-1_Shop', clientId: 'shop-client' })
  t.teardown(() => shopPool.close())
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(async (staff) => {
    await staff.register(fastifyCognito, { ...pool.pluginOptions(), redirectUri: 'http://localhost/staff/callback', cookie: { name: 'staff' } })
    staff.get('/me', { config: { cognito: true } }, async (request) => ({ staff: request.cognito?.username }))
  }, { prefix: '/staff' })
  await app.register(async (shop) => {
    await shop.register(fastifyCognito, { ...shopPool.pluginOptions(), redirectUri: 'http://localhost/shop/callback', cookie: { name: 'shop' } })
    shop.get('/me', { config: { cognito: true } }, async (request) => ({ customer: request.cognito?.username }))
  }, { prefix: '/shop' })
  await app.ready()
  t.equal((await app.inject({ url: '/staff/login' })).statusCode, 302, 'each context mounts its own login')
  t.equal((await app.inject({ url: '/staff/callback' })).json().code, 'FST_COGNITO_LOGIN_TRANSACTION', 'the callback at the redirect URI\'s own path, not under the prefix twice')
  t.match((await app.inject({ url: '/shop/me', headers: { accept: 'text/html' } })).headers.location, /^\/shop\/login\?returnTo=%2Fshop%2Fme/, 'a page is sent to its own context\'s login')
  t.match((await app.inject({ url: '/shop/login' })).headers['set-cookie'], /^shop_tx=/)
  const carol = await shopPool.mintAccessToken({ username: 'carol' })
  t.same((await app.inject({ url: '/staff/me', headers: pool.bearer(alice) })).json(), { staff: 'alice' })
  t.same((await app.inject({ url: '/shop/me', headers: shopPool.bearer(carol) })).json(), { customer: 'carol' })
  t.equal((await app.inject({ url: '/shop/me', headers: pool.bearer(alice) })).statusCode, 401, 'a staff token is refused by the shop')
  t.equal((await app.inject({ url: '/staff/me', headers: shopPool.bearer(carol) })).statusCode, 401, 'and the reverse')
})

t.test('a redirect URI outside the context\'s prefix is refused at registration', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(async (staff) => {
    await staff.register(fastifyCognito, { ...pool.pluginOptions(), redirectUri: 'http://localhost/auth/callback' })
  }, { prefix: '/staff' })
  await t.rejects(async () => { await app.ready() }, { code: 'FST_COGNITO_INVALID_OPTION', message: /under the prefix "\/staff"/ })
})
