/**
 * The session endpoint: who is signed in, for the single-page app to render, with no token in it,
 * never cached; anonymous callers get the login links (and, as an option, the silent sign-in one).
 */
import t from 'tap'
import { createTestAlb } from '../../lib/testing/index.js'
import { alice, fakeRefreshToken, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'
import { startBffApp } from '../helpers/bff.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const { app } = await startBffApp(t, pool, idp, { proxies: [], userClaims: ['custom:tenant', 'absent'] })
const silent = await startBffApp(t, pool, idp, { proxies: [], sessionPath: '/me/session', silentLogin: true }, { routes: { logout: '/signout' } })

t.test('signed in: the user and when the access token expires, no token, no-store', async (t) => {
  const user = { ...alice, claims: { name: 'Alice A.', 'custom:tenant': 'acme' } }
  const { accessToken, idToken } = await pool.mintTokens(user)
  const res = await app.inject({ url: '/session', cookies: app.cognito.sealSession({ accessToken, idToken, refreshToken: fakeRefreshToken() }) })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const body = res.json()
  t.match(body, {
    authenticated: true,
    user: { username: 'alice', groups: ['admin', 'editor'], email: 'alice@example.com', emailVerified: true, name: 'Alice A.', 'custom:tenant': 'acme' },
    logoutUrl: '/logout'
  })
  t.type(body.user.sub, 'string')
  t.notOk('absent' in body.user, 'a claim the token lacks is left out')
  t.ok(Date.parse(body.expiresAt) > Date.now() + 3_000_000, 'expiresAt is the access token\'s expiry, ISO 8601')
  for (const token of [accessToken, idToken, 'eyJ']) t.notOk(res.body.includes(token), 'no token in the answer')
})

t.test('anonymous: 200 with the login link carrying returnTo', async (t) => {
  const res = await app.inject({ url: '/session?returnTo=/orders' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.same(res.json(), { authenticated: false, loginUrl: '/login?returnTo=%2Forders' })
  t.same((await app.inject({ url: '/session' })).json().loginUrl, '/login?returnTo=%2F')
})

t.test('a bearer token is not a BFF session', async (t) => {
  const res = await app.inject({ url: '/session', headers: pool.bearer(await pool.mintAccessToken(alice)) })
  t.same(res.json().authenticated, false)
})

t.test('with silentLogin, anonymous callers also get the prompt=none link; paths follow the options', async (t) => {
  t.same((await silent.app.inject({ url: '/me/session?returnTo=/x' })).json(), {
    authenticated: false,
    loginUrl: '/login?returnTo=%2Fx',
    silentLoginUrl: '/login?returnTo=%2Fx&prompt=none'
  })
  const { accessToken } = await pool.mintTokens(alice)
  const res = await silent.app.inject({ url: '/me/session', cookies: silent.app.cognito.sealSession({ accessToken }) })
  t.match(res.json(), { authenticated: true, logoutUrl: '/signout', user: { username: 'alice' } })
  t.equal((await silent.app.inject({ url: '/session' })).statusCode, 404)
})

t.test('without login or logout routes, the links are null; sessionPath false mounts no endpoint', async (t) => {
  const bare = await startBffApp(t, pool, idp, { proxies: [] }, { routes: { login: false, logout: false } })
  t.same((await bare.app.inject({ url: '/session' })).json(), { authenticated: false, loginUrl: null })
  const { accessToken } = await pool.mintTokens(alice)
  t.equal((await bare.app.inject({ url: '/session', cookies: bare.app.cognito.sealSession({ accessToken }) })).json().logoutUrl, null)
  const none = await startBffApp(t, pool, idp, { proxies: [], sessionPath: false })
  t.equal((await none.app.inject({ url: '/session' })).statusCode, 404)
})

t.test('Cognito\'s keys unavailable: the endpoint fails (503), it does not claim "anonymous"', async (t) => {
  const other = await startBffApp(t, pool, idp, { proxies: [] }, { issuer: `${idp.url}/us-east-1_None`, jwks: { warmup: false, timeout: 500 } })
  idp.setJwks('status500')
  t.teardown(() => idp.setJwks('ok'))
  const { accessToken } = await pool.mintTokens(alice)
  const res = await other.app.inject({ url: '/session', cookies: other.app.cognito.sealSession({ accessToken }) })
  t.equal(res.statusCode, 503)
})

t.test('behind an ALB that signed the user in: the user from its header, no expiry known without its access token', async (t) => {
  const alb = await createTestAlb()
  t.teardown(() => alb.close())
  const behind = await startBffApp(t, pool, idp, { proxies: [] }, { alb: alb.albOptions() })
  const res = await behind.app.inject({ url: '/session', headers: await alb.mintAlbHeaders({ pool, username: 'alice' }) })
  t.match(res.json(), { authenticated: true, user: { username: 'alice', groups: [] }, expiresAt: null })
})
