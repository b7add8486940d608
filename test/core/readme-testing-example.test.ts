// The README's "Testing your routes" example, as a tap test against the sources: if it breaks here, the README is wrong.
import t from 'tap'
import Fastify from 'fastify'
import fastifyCognito from '../../lib/index.js'
import { createTestPool, sessionCookies } from '../../lib/testing/index.js'

t.test('only admins see /admin (the README example)', async (t) => {
  const pool = await createTestPool()
  const app = Fastify()
  await app.register(fastifyCognito, pool.pluginOptions())
  app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async (request) => ({ user: request.cognito?.username }))
  t.teardown(async () => { await app.close(); await pool.close() })

  const alice = await pool.mintAccessToken({ username: 'alice', groups: ['admin'], scopes: ['openid', 'orders/read'] })
  const ok = await app.inject({ url: '/admin', headers: pool.bearer(alice) })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { user: 'alice' })

  const bob = await pool.mintTokens({ username: 'bob' })
  const denied = await app.inject({ url: '/admin', cookies: sessionCookies(app, bob) })
  t.equal(denied.statusCode, 403)
  t.equal(denied.json().code, 'FST_COGNITO_GROUP_REQUIRED')

  const expired = await pool.mintAccessToken({ username: 'alice', groups: ['admin'], expiresIn: -60 })
  t.equal((await app.inject({ url: '/admin', headers: pool.bearer(expired) })).statusCode, 401)
  t.equal((await app.inject({ url: '/admin' })).statusCode, 401)
})
