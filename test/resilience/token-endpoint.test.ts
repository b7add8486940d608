/**
 * Cognito's token and revoke endpoints failing: down, hanging or slow past `timeout`, a 500, HTML,
 * invalid JSON, JSON without tokens. Logins and refreshes answer 502 FST_COGNITO_IDP_ERROR and no
 * session is cleared by Cognito's failure; logout clears the cookies whatever revoke does.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import type { Behaviour } from '../helpers/faulty-idp.js'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { clearedCookies, cookieHeader, parseSetCookies, SESSION_COOKIE } from '../helpers/cookies.js'
import { callbackRequest, startLogin, startRig } from '../helpers/rig.js'

const pool = await createTestPool()
t.teardown(() => pool.close())

/** Where a test waits for the timeout to expire and needs no success afterwards. */
const TIMEOUT = 300
const FAILURES: Behaviour[] = ['down', 'hang', 'slow', 'status500', 'html', 'garbage', 'json-without-tokens']
const alice = { username: 'alice', groups: ['admin'] }

t.test('the callback answers 502 FST_COGNITO_IDP_ERROR when the token endpoint fails, and keeps an existing session', async (t) => {
  const rig = await startRig(t, pool)
  const app = await buildApp(t, rig.options({ timeout: TIMEOUT }), { routes: summaryRoutes })
  const existing = app.cognito.sealSession({ ...await rig.mintTokens(alice), refreshToken: rig.newRefreshToken(alice) })
  for (const behaviour of FAILURES) {
    t.test(behaviour, async (t) => {
      rig.idp.setToken(behaviour, { delayMs: TIMEOUT * 3 })
      const login = await startLogin(app)
      const started = Date.now()
      const res = await app.inject(callbackRequest(rig, login, alice, cookieHeader(existing)))
      t.equal(res.statusCode, 502)
      t.equal(res.json().code, 'FST_COGNITO_IDP_ERROR')
      t.ok(Date.now() - started < TIMEOUT * 10, 'answered well within 10x the timeout')
      t.same(clearedCookies(res, SESSION_COOKIE), [], 'the existing session is not cleared')
      t.same(parseSetCookies(res).filter(c => SESSION_COOKIE.test(c.name)), [], 'no session cookie is written')
      t.ok(parseSetCookies(res).some(c => c.name.endsWith('_tx') && c.cleared), 'the spent login transaction is cleared')
    })
  }
})

t.test('POST /refresh answers 502 when the token endpoint fails, and the still-good session keeps working', async (t) => {
  const rig = await startRig(t, pool)
  const app = await buildApp(t, rig.options({ timeout: TIMEOUT }), { routes: summaryRoutes })
  for (const behaviour of FAILURES) {
    t.test(behaviour, async (t) => {
      const cookie = cookieHeader(app.cognito.sealSession({ ...await rig.mintTokens(alice), refreshToken: rig.newRefreshToken(alice) }))
      rig.idp.setToken(behaviour, { delayMs: TIMEOUT * 3 })
      const started = Date.now()
      const res = await app.inject({ method: 'POST', url: '/refresh', headers: { cookie } })
      t.equal(res.statusCode, 502)
      t.equal(res.json().code, 'FST_COGNITO_IDP_ERROR')
      t.ok(Date.now() - started < TIMEOUT * 10, 'answered well within 10x the timeout')
      t.same(clearedCookies(res, SESSION_COOKIE), [], 'no session cookie is cleared')
      const after = await app.inject({ url: '/me', headers: { cookie } })
      t.equal(after.statusCode, 200, 'the session still opens the guarded route')
    })
  }
})

t.test('a guard whose access token expired answers 502 while the token endpoint fails, then renews once it is back', async (t) => {
  const rig = await startRig(t, pool)
  // The renewal must succeed on a loaded machine: the rig's 1 s timeout, not the short one.
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  for (const behaviour of FAILURES) {
    t.test(behaviour, async (t) => {
      const expired = await rig.mintTokens({ ...alice, expiresIn: -60 })
      const cookie = cookieHeader(app.cognito.sealSession({ ...expired, refreshToken: rig.newRefreshToken(alice) }))
      rig.idp.setToken(behaviour, { delayMs: 3000 })
      const failed = await app.inject({ url: '/me', headers: { cookie } })
      t.equal(failed.statusCode, 502)
      t.equal(failed.json().code, 'FST_COGNITO_IDP_ERROR')
      t.same(clearedCookies(failed, SESSION_COOKIE), [])

      rig.idp.setToken('ok')
      const renewed = await app.inject({ url: '/me', headers: { cookie } })
      t.equal(renewed.statusCode, 200, 'the same refresh token renews the session once Cognito answers')
      t.ok(parseSetCookies(renewed).some(c => c.name === 'cognito_access' && !c.cleared), 'a new access token cookie is set')
    })
  }
})

t.test('Cognito refusing the client (not the token) is a 502 that keeps the session', async (t) => {
  const rig = await startRig(t, pool)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  rig.idp.onToken(() => ({ status: 401, json: { error: 'invalid_client' } }))
  const cookie = cookieHeader(app.cognito.sealSession({ ...await rig.mintTokens(alice), refreshToken: rig.newRefreshToken(alice) }))
  const res = await app.inject({ method: 'POST', url: '/refresh', headers: { cookie } })
  t.equal(res.statusCode, 502)
  t.equal(res.json().code, 'FST_COGNITO_IDP_ERROR')
  t.same(clearedCookies(res, SESSION_COOKIE), [])
})

t.test('a refresh token Cognito refuses (invalid_grant) ends the session: the one failure that clears cookies', async (t) => {
  const rig = await startRig(t, pool)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  rig.idp.setToken('invalid-grant')
  const cookie = cookieHeader(app.cognito.sealSession({ ...await rig.mintTokens(alice), refreshToken: rig.newRefreshToken(alice) }))
  const res = await app.inject({ method: 'POST', url: '/refresh', headers: { cookie } })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_REFRESH_REJECTED')
  t.same(clearedCookies(res, SESSION_COOKIE).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'])
})

t.test('logout clears the cookies and redirects to Cognito even when revoke fails', async (t) => {
  const rig = await startRig(t, pool)
  const app = await buildApp(t, rig.options({ timeout: TIMEOUT }), { routes: summaryRoutes })
  for (const behaviour of [...FAILURES, 'invalid-grant'] as Behaviour[]) {
    t.test(behaviour, async (t) => {
      rig.idp.setRevoke(behaviour, { delayMs: TIMEOUT * 3 })
      const before = rig.idp.counts.revoke
      const cookie = cookieHeader(app.cognito.sealSession({ ...await rig.mintTokens(alice), refreshToken: rig.newRefreshToken(alice) }))
      const started = Date.now()
      const res = await app.inject({ url: '/logout', headers: { cookie, 'sec-fetch-site': 'same-origin' } })
      t.equal(res.statusCode, 302)
      t.equal(res.headers.location, app.cognito.logoutUrl)
      t.ok(Date.now() - started < TIMEOUT * 10, 'answered well within 10x the timeout')
      t.same(clearedCookies(res, SESSION_COOKIE).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'])
      t.equal(rig.idp.counts.revoke - before, 1, 'revoke was attempted once')
    })
  }
})
