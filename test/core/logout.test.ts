/**
 * GET /logout: revokes the refresh token at Cognito, clears every session cookie, and sends the
 * browser to Cognito's /logout (which ends Cognito's own login cookie).
 */
import t from 'tap'
import type { Behaviour } from '../helpers/faulty-idp.js'
import { buildApp, meRoutes } from '../helpers/app.js'
import { clearedCookies } from '../helpers/cookies.js'
import { captureLogs } from '../helpers/logs.js'
import { alice, fakeRefreshToken, idpOptions, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const SECRET = 'client-secret-for-the-logout-tests'

t.test('logout revokes the refresh token, clears every cookie and redirects to Cognito\'s /logout', async (t) => {
  const app = await buildApp(t, { ...idpOptions(pool, idp), clientSecret: SECRET })
  const refreshToken = fakeRefreshToken('to-revoke')
  const jar = app.cognito.sealSession({ ...await pool.mintTokens(alice), refreshToken })
  const chunked = app.cognito.sealSession({ accessToken: 'a', idToken: 'i'.repeat(6000) })
  const cookies = { ...jar, 'cognito_id.1': chunked['cognito_id.1'] as string }
  idp.setRevoke('ok')
  const before = idp.requests.length
  const res = await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' }, cookies })

  t.equal(res.statusCode, 302)
  const location = new URL(res.headers.location as string)
  t.equal(location.origin + location.pathname, `${idp.url}/logout`)
  t.equal(location.searchParams.get('client_id'), 'test-client')
  t.equal(location.searchParams.get('logout_uri'), 'http://localhost/')
  t.equal(res.headers.location, app.cognito.logoutUrl)
  t.equal(res.headers['cache-control'], 'no-store')

  const revokes = idp.requests.slice(before).filter(r => r.endpoint === 'revoke')
  t.equal(revokes.length, 1)
  t.equal(revokes[0]?.form?.get('token'), refreshToken, 'the refresh token is revoked')
  t.equal(revokes[0]?.headers.authorization, `Basic ${Buffer.from(`test-client:${SECRET}`).toString('base64')}`)
  t.equal(revokes[0]?.form?.has('client_id'), false)
  t.same(clearedCookies(res), ['cognito_access', 'cognito_id', 'cognito_id.1', 'cognito_refresh'])
})

t.test('a public client revokes with client_id in the body', async (t) => {
  const app = await buildApp(t, idpOptions(pool, idp))
  idp.setRevoke('ok')
  const before = idp.requests.length
  await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' }, cookies: app.cognito.sealSession({ accessToken: 'a', refreshToken: fakeRefreshToken('public') }) })
  const revoke = idp.requests.slice(before).find(r => r.endpoint === 'revoke')
  t.equal(revoke?.form?.get('client_id'), 'test-client')
  t.equal(revoke?.headers.authorization, undefined)
})

t.test('after logout the refresh token is never exchanged again by this app', async (t) => {
  const app = await buildApp(t, { ...idpOptions(pool, idp), redirectToLogin: false }, { routes: meRoutes })
  idp.setRevoke('ok')
  idp.setToken('ok')
  const { accessToken, idToken } = await pool.mintTokens({ ...alice, expiresIn: -60 })
  const jar = app.cognito.sealSession({ accessToken, idToken, refreshToken: fakeRefreshToken('revoked-then-replayed') })
  await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' }, cookies: jar })
  const before = idp.counts.token
  const replay = await app.inject({ url: '/me', cookies: jar })
  t.equal(replay.statusCode, 401, 'old cookies replayed after logout')
  t.equal(replay.json().code, 'FST_COGNITO_REFRESH_REJECTED')
  t.equal(idp.counts.token, before, 'no grant was attempted')
})

t.test('a failing revoke still clears and redirects, and the warning logs no token', async (t) => {
  const failures: Behaviour[] = ['status500', 'down', 'invalid-grant', 'hang']
  for (const behaviour of failures) {
    const logs = captureLogs('warn')
    const app = await buildApp(t, { ...idpOptions(pool, idp), clientSecret: SECRET, timeout: 500 }, { logs })
    idp.setRevoke(behaviour)
    const refreshToken = fakeRefreshToken(`fail-${behaviour}`)
    const jar = app.cognito.sealSession({ ...await pool.mintTokens(alice), refreshToken })
    const res = await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' }, cookies: jar })
    t.equal(res.statusCode, 302, behaviour)
    t.equal(res.headers.location, app.cognito.logoutUrl)
    t.same(clearedCookies(res), ['cognito_access', 'cognito_id', 'cognito_refresh'], `${behaviour}: cleared`)
    const warning = logs.lines.find(l => /revoking the refresh token failed/.test(l.msg))
    t.ok(warning, `${behaviour}: a warning is logged`)
    t.equal(warning?.code, 'FST_COGNITO_IDP_ERROR')
    const text = logs.text()
    for (const secret of [refreshToken, refreshToken.slice(-40), ...Object.values(jar).map(v => v.slice(0, 40)), SECRET]) {
      t.notOk(text.includes(secret), `${behaviour}: no token, cookie or secret in the logs`)
    }
  }
  idp.setRevoke('ok')
})

t.test('logout without a session only clears and redirects', async (t) => {
  const app = await buildApp(t, idpOptions(pool, idp))
  const before = idp.counts.revoke
  const res = await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' } })
  t.equal(res.statusCode, 302)
  t.same(clearedCookies(res), ['cognito_access', 'cognito_id', 'cognito_refresh'])
  t.equal(idp.counts.revoke, before, 'nothing to revoke')
})

t.test('with refresh: false a refresh cookie is neither read nor revoked', async (t) => {
  const withRefresh = await buildApp(t, idpOptions(pool, idp))
  const jar = withRefresh.cognito.sealSession({ accessToken: 'a', refreshToken: fakeRefreshToken('ignored') })
  const app = await buildApp(t, { ...idpOptions(pool, idp), refresh: false })
  const before = idp.counts.revoke
  const res = await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' }, cookies: jar })
  t.equal(res.statusCode, 302)
  t.equal(idp.counts.revoke, before)
  t.ok(clearedCookies(res).includes('cognito_refresh'), 'the cookie is still cleared')
})

t.test('logout refuses cross-site requests but allows same-site ones', async (t) => {
  const app = await buildApp(t, idpOptions(pool, idp))
  const evil = await app.inject({ url: '/logout', headers: { origin: 'https://evil.example' } })
  t.equal(evil.statusCode, 403)
  t.equal(evil.headers['set-cookie'], undefined)
  t.equal((await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'cross-site' } })).statusCode, 403)
  t.equal((await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-site' } })).statusCode, 302)
  t.equal((await app.inject({ url: '/logout', headers: { origin: 'http://localhost' } })).statusCode, 302)
})
