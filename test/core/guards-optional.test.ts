import t from 'tap'
import Fastify from 'fastify'
import fastifyCognito from '../../lib/index.js'
import { createTestPool, sessionCookies } from '../../lib/testing/index.js'

t.test('identify lets anonymous callers through with request.cognito null and identifies signed-in ones', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const app = Fastify()
  await app.register(fastifyCognito, pool.pluginOptions())
  app.get('/', { preHandler: app.cognito.identify }, async (request) => ({ user: request.cognito?.username ?? null, email: request.cognito?.idToken?.email ?? null }))
  t.teardown(() => app.close())

  const anonymous = await app.inject({ url: '/', headers: { accept: 'text/html' } })
  t.equal(anonymous.statusCode, 200, 'no redirect to login, no 401')
  t.same(anonymous.json(), { user: null, email: null })
  t.notOk(anonymous.headers['www-authenticate'], 'no Bearer challenge on a public page')

  const tokens = await pool.mintTokens({ username: 'alice' })
  const signedIn = await app.inject({ url: '/', cookies: sessionCookies(app, tokens) })
  t.same(signedIn.json(), { user: 'alice', email: 'alice@example.com' })

  const bearer = await app.inject({ url: '/', headers: pool.bearer(tokens.accessToken) })
  t.same(bearer.json(), { user: 'alice', email: null }, 'bearer callers are identified without an ID token')

  const forged = await app.inject({ url: '/', headers: { authorization: 'Bearer a.b.c' } })
  t.equal(forged.statusCode, 200, 'an invalid token on a public page is treated as anonymous')
  t.same(forged.json(), { user: null, email: null })
})

t.test('identify still answers 503 when Cognito keys cannot be fetched: an outage is not "signed out"', async (t) => {
  const pool = await createTestPool()
  const app = Fastify()
  await app.register(fastifyCognito, { ...pool.pluginOptions(), jwks: { warmup: false, timeout: 200 } })
  app.get('/', { preHandler: app.cognito.identify }, async (request) => ({ user: request.cognito?.username ?? null }))
  t.teardown(() => app.close())
  const token = await pool.mintAccessToken({ username: 'alice' })
  await pool.close()
  const res = await app.inject({ url: '/', headers: pool.bearer(token) })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_COGNITO_JWKS_UNAVAILABLE')
})
