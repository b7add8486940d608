/**
 * Machine callers: a Cognito client credentials token (sub = client_id, no username, no groups)
 * verifies like any access token and is identified as a machine.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const app = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false }, {
  routes: (app) => {
    app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => request.cognito)
    app.get('/orders', { preHandler: app.cognito.requireScopes(['orders/read']) }, async (request) => request.cognito?.kind)
  }
})

t.test('a machine token is accepted and identified as a machine: username is its client id, no groups', async (t) => {
  const token = await pool.mintMachineToken({ scopes: ['orders/read', 'orders/write'] })
  const res = await app.inject({ url: '/me', headers: pool.bearer(token) })
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    kind: 'machine',
    source: 'bearer',
    sub: pool.clientId,
    username: pool.clientId,
    clientId: pool.clientId,
    groups: [],
    scopes: ['orders/read', 'orders/write'],
    idToken: null
  })
  t.notOk('username' in res.json().accessToken, 'the token has no username claim')
})

t.test('a user token says kind user and names its client', async (t) => {
  const res = await app.inject({ url: '/me', headers: pool.bearer(await pool.mintAccessToken({ username: 'alice' })) })
  t.match(res.json(), { kind: 'user', username: 'alice', clientId: pool.clientId })
})

t.test('requireScopes works for machines and users alike', async (t) => {
  const machine = await pool.mintMachineToken({ scopes: ['orders/read'] })
  t.equal((await app.inject({ url: '/orders', headers: pool.bearer(machine) })).body, 'machine')
  const user = await pool.mintAccessToken({ username: 'alice', scopes: ['orders/read'] })
  t.equal((await app.inject({ url: '/orders', headers: pool.bearer(user) })).body, 'user')
  const without = await app.inject({ url: '/orders', headers: pool.bearer(await pool.mintMachineToken({ scopes: ['orders/write'] })) })
  t.equal(without.statusCode, 403)
  t.equal(without.json().code, 'FST_COGNITO_SCOPE_REQUIRED')
})

t.test('a token without username is a user token with a claim missing unless its sub is its client id', async (t) => {
  const noUsername = await pool.mintAccessToken({ username: 'alice', claims: { username: undefined } })
  const res = await app.inject({ url: '/me', headers: pool.bearer(noUsername) })
  t.equal(res.statusCode, 401)
  t.match(res.json().message, /username is missing/)
})

t.test('a machine token is never a browser session', async (t) => {
  const cookies = app.cognito.sealSession({ accessToken: await pool.mintMachineToken({}) })
  const res = await app.inject({ url: '/me', cookies })
  t.equal(res.statusCode, 401)
  t.match(res.json().message, /machine token is not a user session/)
})
