/**
 * Several app clients, one API: `acceptClientIds` lets bearer guards take the access tokens of more
 * clients; ID tokens and session cookies stay for the plugin's own client; a guard's `clients`
 * narrows a route to some clients.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const routes = (app: import('fastify').FastifyInstance): void => {
  app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => request.cognito)
  app.get('/partners', { preHandler: app.cognito.guard({ clients: ['partner-m2m'] }) }, async () => 'partners')
}
const plain = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false }, { routes })
const listed = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false, acceptClientIds: ['mobile-app', 'partner-m2m'] }, { routes })

const mobileUser = await pool.mintAccessToken({ username: 'alice', claims: { client_id: 'mobile-app' } })
const partner = await pool.mintMachineToken({ clientId: 'partner-m2m', scopes: ['orders/read'] })
const stranger = await pool.mintMachineToken({ clientId: 'stranger-m2m' })

t.test('without the list, another client\'s tokens are a 401', async (t) => {
  for (const token of [mobileUser, partner]) {
    const res = await plain.inject({ url: '/me', headers: pool.bearer(token) })
    t.equal(res.statusCode, 401)
    t.match(res.json(), { code: 'FST_COGNITO_INVALID_TOKEN', message: /client_id is not this app client/ })
  }
})

t.test('with the list, listed clients\' access tokens are accepted; others stay a 401', async (t) => {
  const user = await listed.inject({ url: '/me', headers: pool.bearer(mobileUser) })
  t.match(user.json(), { kind: 'user', username: 'alice', clientId: 'mobile-app' })
  const machine = await listed.inject({ url: '/me', headers: pool.bearer(partner) })
  t.match(machine.json(), { kind: 'machine', clientId: 'partner-m2m', username: 'partner-m2m' })
  t.equal((await listed.inject({ url: '/me', headers: pool.bearer(stranger) })).statusCode, 401)
  t.equal((await listed.inject({ url: '/me', headers: pool.bearer(await pool.mintAccessToken({ username: 'a' })) })).statusCode, 200, 'our own client still')
})

t.test('an ID token of a listed client is refused: ID tokens are for our own client only', async (t) => {
  const foreignId = await pool.mintIdToken({ username: 'alice', claims: { aud: 'mobile-app' } })
  await t.rejects(listed.cognito.verifyIdToken(foreignId), { code: 'FST_COGNITO_INVALID_TOKEN' })
  const cookies = listed.cognito.sealSession({ accessToken: await pool.mintAccessToken({ username: 'alice' }), idToken: foreignId })
  const res = await listed.inject({ url: '/me', cookies })
  t.equal(res.statusCode, 200)
  t.equal(res.json().idToken, null, 'the foreign ID token is not loaded')
})

t.test('a session cookie holding a listed client\'s access token is a 401: browser sessions are our own client\'s', async (t) => {
  const res = await listed.inject({ url: '/me', cookies: listed.cognito.sealSession({ accessToken: mobileUser }) })
  t.equal(res.statusCode, 401)
  t.match(res.json().message, /client_id is not this app client/)
})

t.test('a guard\'s clients lets only those clients through (403 for the others)', async (t) => {
  t.equal((await listed.inject({ url: '/partners', headers: pool.bearer(partner) })).statusCode, 200)
  const res = await listed.inject({ url: '/partners', headers: pool.bearer(mobileUser) })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'FST_COGNITO_CLIENT_NOT_ALLOWED')
  t.throws(() => listed.cognito.guard({ clients: [] }), { message: /clients must be a non-empty list/ })
  t.throws(() => listed.cognito.guard({ clients: [''] }), { message: /clients must be a list of non-empty strings/ })
})

t.test('acceptClientIds is validated at registration', async (t) => {
  await t.rejects(buildApp(t, { ...pool.pluginOptions(), acceptClientIds: 'mobile-app' as unknown as string[] }), { code: 'FST_COGNITO_INVALID_OPTION', message: /acceptClientIds must be a list/ })
})
