/**
 * Guards renewing an expired access token with the session's refresh token by themselves: one grant
 * for many concurrent requests, a refused refresh token answers 401 without clearing the session.
 */
import t from 'tap'
import { buildApp, meRoutes } from '../helpers/app.js'
import { clearedCookies, CookieJar, setCookies } from '../helpers/cookies.js'
import { alice, answerTokens, fakeRefreshToken, idpOptions, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const app = await buildApp(t, { ...idpOptions(pool, idp), timeout: 500 }, { routes: meRoutes })

let n = 0
/** A session whose access token has expired, with a refresh token new to the refresher. */
async function expiredSession (withAccess = true): Promise<{ jar: Record<string, string>, refreshToken: string }> {
  const refreshToken = fakeRefreshToken(`guard-${n++}`)
  const { accessToken, idToken } = await pool.mintTokens({ ...alice, expiresIn: -60 })
  const jar = app.cognito.sealSession({ accessToken, idToken, refreshToken })
  if (!withAccess) delete jar.cognito_access
  return { jar, refreshToken }
}

t.test('a guard renews an expired access token with the refresh token and stores the new tokens', async (t) => {
  answerTokens(idp, pool)
  const { jar, refreshToken } = await expiredSession()
  const before = idp.requests.length
  const res = await app.inject({ url: '/me', cookies: jar })
  t.equal(res.statusCode, 200)
  t.equal(res.json().username, 'alice')
  t.not(res.json().idToken, null, 'the renewed identity carries the new ID token')
  t.equal(idp.requests.length - before, 1)
  t.equal(idp.requests[before]?.form?.get('refresh_token'), refreshToken)
  t.same(Object.keys(setCookies(res)).sort(), ['cognito_access', 'cognito_id'])
  const again = await app.inject({ url: '/me', cookies: new CookieJar(jar).store(res).cookies() })
  t.equal(again.statusCode, 200)
  t.equal(idp.requests.length - before, 1, 'the renewed session needs no further grant')
})

t.test('a session whose access cookie the browser already dropped is renewed too', async (t) => {
  answerTokens(idp, pool)
  const { jar } = await expiredSession(false)
  const res = await app.inject({ url: '/me', cookies: jar })
  t.equal(res.statusCode, 200)
  t.ok(setCookies(res).cognito_access)
})

t.test('20 concurrent requests with the same expired access token make exactly one grant and all succeed', async (t) => {
  answerTokens(idp, pool)
  const { jar } = await expiredSession()
  const before = idp.counts.token
  const answers = await Promise.all(Array.from({ length: 20 }, () => app.inject({ url: '/me', cookies: jar })))
  t.same(answers.map(r => r.statusCode), Array(20).fill(200))
  t.equal(idp.counts.token - before, 1, 'one grant seen by the token endpoint')
  t.ok(answers.every(r => setCookies(r).cognito_access !== undefined), 'every answer carries the renewed access token')
})

t.test('a request still holding the old refresh token shortly after gets the same answer without a second grant', async (t) => {
  answerTokens(idp, pool)
  const { jar } = await expiredSession()
  const before = idp.counts.token
  t.equal((await app.inject({ url: '/me', cookies: jar })).statusCode, 200)
  t.equal((await app.inject({ url: '/me', cookies: jar })).statusCode, 200)
  t.equal(idp.counts.token - before, 1)
})

t.test('a guard whose refresh gets invalid_grant answers 401 and does not clear the refresh cookie', async (t) => {
  idp.setToken('invalid-grant')
  const { jar } = await expiredSession()
  const before = idp.counts.token
  const res = await app.inject({ url: '/me', cookies: jar })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_REFRESH_REJECTED')
  t.equal(res.headers['www-authenticate'], 'Bearer')
  t.notOk(clearedCookies(res).includes('cognito_refresh'), 'the refresh cookie stays: another request may have renewed it')
  t.equal(res.headers['set-cookie'], undefined, 'nothing is cleared by a guard')

  const again = await app.inject({ url: '/me', cookies: jar })
  t.equal(again.statusCode, 401)
  t.equal(idp.counts.token - before, 1, 'a refused refresh token is remembered: no second grant')

  const page = await app.inject({ url: '/me', cookies: jar, headers: { accept: 'text/html' } })
  t.equal(page.statusCode, 302, 'a browser navigation goes to login')
  t.match(page.headers.location, /^\/login\?returnTo=/)
})

t.test('a guard whose refresh fails at Cognito answers 502, never a redirect to login', async (t) => {
  idp.setToken('status500')
  const { jar } = await expiredSession()
  const res = await app.inject({ url: '/me', cookies: jar, headers: { accept: 'text/html' } })
  t.equal(res.statusCode, 502)
  t.equal(res.json().code, 'FST_COGNITO_IDP_ERROR')
  t.equal(res.headers['set-cookie'], undefined)
})

t.test('an access cookie that no longer verifies (not only expired) is renewed by the refresh token', async (t) => {
  answerTokens(idp, pool)
  const refreshToken = fakeRefreshToken(`guard-${n++}`)
  const jar = app.cognito.sealSession({ accessToken: await pool.mintAccessToken({ ...alice, claims: { client_id: 'old-client' } }), refreshToken })
  const res = await app.inject({ url: '/me', cookies: jar })
  t.equal(res.statusCode, 200)
})

t.test('autoRefresh: false leaves the expired session to POST /refresh', async (t) => {
  answerTokens(idp, pool)
  const manual = await buildApp(t, { ...idpOptions(pool, idp), autoRefresh: false, redirectToLogin: false }, { routes: meRoutes })
  const { accessToken, idToken } = await pool.mintTokens({ ...alice, expiresIn: -60 })
  const jar = manual.cognito.sealSession({ accessToken, idToken, refreshToken: fakeRefreshToken(`manual-${n++}`) })
  const before = idp.counts.token
  const res = await manual.inject({ url: '/me', cookies: jar })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_TOKEN_EXPIRED')
  t.equal(idp.counts.token, before, 'no grant')
  const { cognito_access: _gone, ...refreshOnly } = jar
  t.equal((await manual.inject({ url: '/me', cookies: refreshOnly })).json().code, 'FST_COGNITO_UNAUTHENTICATED')
  t.equal((await manual.inject({ method: 'POST', url: '/refresh', cookies: jar })).statusCode, 200, 'the refresh route still works')
})
