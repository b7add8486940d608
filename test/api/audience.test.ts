/**
 * Audience: with `audience` configured (plugin or guard), an access token's `aud` must hold it; a
 * token bound to another resource is refused. Without it, `aud` is not checked, as before.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'

const API = 'https://api.example.com'
const pool = await createTestPool()
t.teardown(() => pool.close())
const routes = (app: import('fastify').FastifyInstance): void => {
  app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => request.cognito?.kind)
  app.get('/billing', { preHandler: app.cognito.guard({ audience: 'https://billing.example.com' }) }, async () => 'billing')
  app.get('/either', { preHandler: app.cognito.guard({ audience: ['https://a.example.com', API] }) }, async () => 'either')
}
const open = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false }, { routes })
const bound = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false, audience: API }, { routes })

const ours = await pool.mintAccessToken({ username: 'alice', claims: { aud: API } })
const theirs = await pool.mintAccessToken({ username: 'alice', claims: { aud: 'https://other.example.com' } })
const unbound = await pool.mintAccessToken({ username: 'alice' })

t.test('with an audience, a token bound to another resource or to none is a 401 invalid_token', async (t) => {
  for (const [what, token] of [['another resource', theirs], ['no aud', unbound]] as const) {
    const res = await bound.inject({ url: '/me', headers: pool.bearer(token) })
    t.equal(res.statusCode, 401, what)
    t.match(res.json(), { code: 'FST_COGNITO_INVALID_TOKEN', message: /aud is not this API/ })
    t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"')
  }
  t.equal((await bound.inject({ url: '/me', headers: pool.bearer(ours) })).statusCode, 200)
  const listAud = await pool.mintMachineToken({ claims: { aud: ['https://x.example.com', API] } })
  t.equal((await bound.inject({ url: '/me', headers: pool.bearer(listAud) })).statusCode, 200, 'aud as a list holding ours')
  const oddAud = await pool.mintAccessToken({ username: 'alice', claims: { aud: 42 } })
  t.equal((await bound.inject({ url: '/me', headers: pool.bearer(oddAud) })).statusCode, 401, 'an aud that is neither a string nor a list')
})

t.test('without an audience, any aud is accepted as before', async (t) => {
  for (const token of [ours, theirs, unbound]) t.equal((await open.inject({ url: '/me', headers: pool.bearer(token) })).statusCode, 200)
})

t.test('a guard\'s audience narrows one route', async (t) => {
  const res = await open.inject({ url: '/billing', headers: pool.bearer(ours) })
  t.equal(res.statusCode, 401)
  t.match(res.json().message, /aud is not this API/)
  const billing = await pool.mintAccessToken({ username: 'alice', claims: { aud: 'https://billing.example.com' } })
  t.equal((await open.inject({ url: '/billing', headers: pool.bearer(billing) })).statusCode, 200)
  t.equal((await open.inject({ url: '/either', headers: pool.bearer(ours) })).statusCode, 200, 'one of a list')
})

t.test('audience is validated at registration and when a guard is made', async (t) => {
  await t.rejects(buildApp(t, { ...pool.pluginOptions(), audience: [''] }), { message: /audience must be a non-empty string or a list of them/ })
  t.throws(() => open.cognito.guard({ audience: [] }), { message: /audience must be a non-empty string or list/ })
  t.throws(() => open.cognito.guard({ audience: 42 as unknown as string }), { message: /audience must be a list of non-empty strings/ })
})
