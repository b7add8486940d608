/**
 * `app.cognito.userInfo(request)` (fresh attributes from Cognito) and the guard option `checkRevoked`
 * (userInfo asked whether the token was revoked, cached per token for `revocationCheckTtl`, one call
 * for a burst).
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'
import { startFaultyIdp } from '../helpers/faulty-idp.js'
import { sleep } from '../helpers/sleep.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const idp = await startFaultyIdp()
t.teardown(() => idp.close())
const revoked = new Set<string>()
const asked: string[] = []
idp.onUserInfo(async (token) => {
  asked.push(token)
  await sleep(50)
  return revoked.has(token) ? { status: 401, json: { error: 'invalid_token' } } : { json: { sub: 'alice-sub', email: 'new@example.com', username: 'alice' } }
})
const app = await buildApp(t, { ...pool.pluginOptions(), domain: idp.url, issuer: pool.issuer, redirectToLogin: false, revocationCheckTtl: 3 }, {
  routes: (app) => {
    app.get('/profile', { preHandler: app.cognito.authenticate }, async (request) => app.cognito.userInfo(request))
    app.get('/open-profile', async (request) => app.cognito.userInfo(request))
    app.post('/transfer', { preHandler: app.cognito.guard({ checkRevoked: true }) }, async () => 'done')
  }
})

t.test('userInfo answers the user\'s current attributes, asking Cognito with the access token', async (t) => {
  const token = await pool.mintAccessToken({ username: 'alice' })
  const res = await app.inject({ url: '/profile', headers: pool.bearer(token) })
  t.same(res.json(), { sub: 'alice-sub', email: 'new@example.com', username: 'alice' })
  t.equal(idp.requests.at(-1)?.headers.authorization, `Bearer ${token}`)
  t.equal((await app.inject({ url: '/open-profile', headers: pool.bearer(token) })).statusCode, 200, 'a bearer token on an unguarded route')
  t.equal((await app.inject({ url: '/open-profile' })).statusCode, 401, 'nobody: 401')
})

t.test('a token Cognito no longer honours is a 401 FST_COGNITO_TOKEN_REVOKED; Cognito failing is a 502', async (t) => {
  const token = await pool.mintAccessToken({ username: 'alice' })
  revoked.add(token)
  const res = await app.inject({ url: '/profile', headers: pool.bearer(token) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_TOKEN_REVOKED')
  idp.setUserInfo('status500')
  t.teardown(() => idp.setUserInfo('ok'))
  const failing = await app.inject({ url: '/profile', headers: pool.bearer(await pool.mintAccessToken({ username: 'bob' })) })
  t.equal(failing.statusCode, 502)
  idp.setUserInfo('garbage')
  t.match((await app.inject({ url: '/profile', headers: pool.bearer(await pool.mintAccessToken({ username: 'bob' })) })).json(), { statusCode: 502, message: /not a JSON object/ })
  idp.setUserInfo('down')
  t.equal((await app.inject({ url: '/profile', headers: pool.bearer(await pool.mintAccessToken({ username: 'bob' })) })).statusCode, 502)
})

t.test('a machine has no user info: 403', async (t) => {
  const res = await app.inject({ url: '/profile', headers: pool.bearer(await pool.mintMachineToken({})) })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'FST_COGNITO_WRONG_CALLER_KIND')
})

t.test('checkRevoked: a burst costs one call, the answer is reused for revocationCheckTtl, then asked again', async (t) => {
  const token = await pool.mintAccessToken({ username: 'alice' })
  const before = asked.length
  const burst = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: 'POST', url: '/transfer', headers: pool.bearer(token) })))
  t.same(burst.map(r => r.statusCode), [200, 200, 200, 200, 200])
  t.equal(asked.length - before, 1, 'one call for the burst')
  await app.inject({ method: 'POST', url: '/transfer', headers: pool.bearer(token) })
  t.equal(asked.length - before, 1, 'reused within the TTL')
  revoked.add(token)
  await sleep(3100)
  const res = await app.inject({ method: 'POST', url: '/transfer', headers: pool.bearer(token) })
  t.equal(res.statusCode, 401, 'asked again after the TTL: revoked')
  t.equal(res.json().code, 'FST_COGNITO_TOKEN_REVOKED')
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"')
  t.equal((await app.inject({ method: 'POST', url: '/transfer', headers: pool.bearer(token) })).statusCode, 401, 'the refusal is remembered too')
  t.equal(asked.length - before, 2)
})

t.test('checkRevoked works for cookie sessions; machines are not asked', async (t) => {
  const before = asked.length
  const cookies = app.cognito.sealSession(await pool.mintTokens({ username: 'carol' }))
  t.equal((await app.inject({ method: 'POST', url: '/transfer', cookies })).statusCode, 200)
  t.equal(asked.length - before, 1)
  t.equal((await app.inject({ method: 'POST', url: '/transfer', headers: pool.bearer(await pool.mintMachineToken({})) })).statusCode, 200)
  t.equal(asked.length - before, 1, 'no userInfo call for a machine')
})

t.test('checkRevoked is validated, and a revocationCheckTtl of 0 asks every time', async (t) => {
  t.throws(() => app.cognito.guard({ checkRevoked: 'yes' as unknown as boolean }), { message: /checkRevoked must be a boolean/ })
  const every = await buildApp(t, { ...pool.pluginOptions(), domain: idp.url, revocationCheckTtl: 0 }, {
    routes: (app) => app.get('/x', { preHandler: app.cognito.guard({ checkRevoked: true }) }, async () => 'x')
  })
  const token = await pool.mintAccessToken({ username: 'dave' })
  const before = asked.length
  await every.inject({ url: '/x', headers: pool.bearer(token) })
  await every.inject({ url: '/x', headers: pool.bearer(token) })
  t.equal(asked.length - before, 2)
})
