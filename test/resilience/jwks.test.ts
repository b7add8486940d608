/**
 * Cognito's JWKS endpoint failing: down, hanging past `jwks.timeout`, slow, a 500, HTML, garbage,
 * JSON that is no key set, or keys rotated. Warm caches keep serving; cold ones answer 503 quickly.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import type { Behaviour } from '../helpers/faulty-idp.js'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { clearedCookies, cookieHeader, SESSION_COOKIE } from '../helpers/cookies.js'
import { callbackRequest, startLogin, startRig } from '../helpers/rig.js'
import { eventually, sleep } from '../helpers/sleep.js'

const pool = await createTestPool()
t.teardown(() => pool.close())

/** Where a test waits for the JWKS timeout to expire and needs no success afterwards. */
const JWKS_TIMEOUT = 300
const FAILURES: Behaviour[] = ['down', 'hang', 'slow', 'status500', 'html', 'garbage', 'json-without-tokens']
const alice = { username: 'alice', groups: ['admin'] }

t.test('warm keys keep serving new tokens while the JWKS endpoint fails', async (t) => {
  for (const behaviour of FAILURES) {
    t.test(behaviour, async (t) => {
      const rig = await startRig(t, pool)
      // maxAge 50 ms: every request after that finds the set stale and tries a background refresh.
      const app = await buildApp(t, rig.options({ jwks: { maxAge: 50 } }), { routes: summaryRoutes })
      const warm = await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })
      t.equal(warm.statusCode, 200)
      const fetchesWhenWarm = rig.idp.counts.jwks

      rig.idp.setJwks(behaviour, { delayMs: 3000 })
      await sleep(60)
      // Fresh tokens: not in the verified-token cache, so they need the cached keys.
      const bearer = await app.inject({ url: '/admin', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })
      t.equal(bearer.statusCode, 200, 'a bearer token verifies with the cached keys')
      const session = app.cognito.sealSession(await rig.mintTokens(alice))
      const cookie = await app.inject({ url: '/me', headers: { cookie: cookieHeader(session) } })
      t.equal(cookie.statusCode, 200, 'a cookie session verifies with the cached keys')
      t.equal(cookie.json().hasIdToken, true, 'the ID token verifies too')
      t.same(clearedCookies(cookie, SESSION_COOKIE), [])
      t.ok(await eventually(() => rig.idp.counts.jwks > fetchesWhenWarm), 'the stale set was refetched in the background (and that failed)')
    })
  }
})

const USELESS_SETS: Record<string, object> = {
  'an empty key set': { keys: [] },
  'a key without kid or modulus': { keys: [{ kty: 'RSA' }] },
  'a symmetric key only': { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x' }] },
  'an RSA key for encryption only': { keys: [{ kty: 'RSA', kid: 'enc', n: 'AQAB', e: 'AQAB', use: 'enc' }] },
  'an RSA signing key of 17 bits': { keys: [{ kty: 'RSA', kid: 'short', n: 'AQAB', e: 'AQAB', alg: 'RS256', use: 'sig' }] },
  'entries that are not keys': { keys: [null, 'key', 7] }
}

t.test('a well-formed JWKS answer without a usable signing key does not replace the cached keys', async (t) => {
  for (const [name, body] of Object.entries(USELESS_SETS)) {
    t.test(name, async (t) => {
      const rig = await startRig(t, pool)
      const app = await buildApp(t, rig.options({ jwks: { maxAge: 50 } }), { routes: summaryRoutes })
      t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })).statusCode, 200)
      const fetches = rig.idp.counts.jwks
      rig.idp.setJwksBody(body)
      await sleep(60)
      // The first request after maxAge starts a background refresh; the next ones run after it.
      for (let i = 0; i < 3; i++) {
        const res = await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })
        t.equal(res.statusCode, 200, 'fresh tokens still verify with the cached keys')
      }
      t.ok(await eventually(() => rig.idp.counts.jwks > fetches), 'the broken set was fetched')
      await sleep(50) // the fetched answer is read and refused
      const after = await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })
      t.equal(after.statusCode, 200, 'after the broken set was read, fresh tokens still verify with the cached keys')
    })
  }
})

t.test('a cold verifier given a JWKS without a usable signing key answers 503, not 401', async (t) => {
  for (const [name, body] of Object.entries(USELESS_SETS)) {
    t.test(name, async (t) => {
      const rig = await startRig(t, pool)
      rig.idp.setJwksBody(body)
      const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
      const res = await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })
      t.equal(res.statusCode, 503)
      t.equal(res.json().code, 'FST_COGNITO_JWKS_UNAVAILABLE')
    })
  }
})

t.test('a token signed by an unknown key while the JWKS is down is a 401, not a 5xx', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })).statusCode, 200)
  rig.idp.setJwks('down')
  await rig.pool.rotateKeys()
  const res = await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_INVALID_TOKEN')
})

t.test('a cold verifier answers 503 FST_COGNITO_JWKS_UNAVAILABLE without hanging', async (t) => {
  for (const behaviour of FAILURES) {
    t.test(behaviour, async (t) => {
      const rig = await startRig(t, pool)
      rig.idp.setJwks(behaviour, { delayMs: JWKS_TIMEOUT * 3 })
      const app = await buildApp(t, rig.options({ jwks: { timeout: JWKS_TIMEOUT } }), { routes: summaryRoutes })
      const started = Date.now()
      const bearer = await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })
      t.equal(bearer.statusCode, 503)
      t.equal(bearer.json().code, 'FST_COGNITO_JWKS_UNAVAILABLE')
      t.ok(Date.now() - started < JWKS_TIMEOUT * 10, 'answered well within 10x the JWKS timeout')

      // A cookie session is not "expired" because the keys are missing: no refresh, no cleared cookie.
      const session = app.cognito.sealSession({ ...await rig.mintTokens(alice), refreshToken: rig.newRefreshToken(alice) })
      const cookie = await app.inject({ url: '/me', headers: { cookie: cookieHeader(session), accept: 'text/html' } })
      t.equal(cookie.statusCode, 503, 'a browser navigation gets the 503 too, not a login redirect')
      t.same(clearedCookies(cookie, SESSION_COOKIE), [])
      t.equal(rig.idp.counts.token, 0, 'no refresh grant was attempted')
    })
  }
})

t.test('a cold verifier recovers once the JWKS endpoint answers again', async (t) => {
  const rig = await startRig(t, pool)
  rig.idp.setJwks('status500')
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const token = await rig.mintAccessToken(alice)
  t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(token) })).statusCode, 503)
  rig.idp.setJwks('ok')
  // A failed cold fetch is retried after about a second, not on every request.
  await sleep(1100)
  t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(token) })).statusCode, 200)
})

t.test('keys rotated at Cognito: the new kid verifies after one refetch, retired keys are refused', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })).statusCode, 200)
  const signedWithOldKey = await rig.mintAccessToken(alice)

  await rig.pool.rotateKeys()
  await rig.serveKeys()
  const before = rig.idp.counts.jwks
  const fresh = await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })
  t.equal(fresh.statusCode, 200)
  t.equal(rig.idp.counts.jwks - before, 1, 'exactly one refetch for the new kid')

  const old = await app.inject({ url: '/me', headers: rig.pool.bearer(signedWithOldKey) })
  t.equal(old.statusCode, 401)
  t.equal(old.json().code, 'FST_COGNITO_INVALID_TOKEN')
})

t.test('a login whose tokens cannot be verified for want of keys answers 503 and sets no session', async (t) => {
  const rig = await startRig(t, pool)
  rig.idp.setJwks('hang')
  const app = await buildApp(t, rig.options({ timeout: 5000, jwks: { timeout: JWKS_TIMEOUT } }), { routes: summaryRoutes })
  const login = await startLogin(app)
  const res = await app.inject(callbackRequest(rig, login, alice))
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_COGNITO_JWKS_UNAVAILABLE')
  const set = String(res.headers['set-cookie'] ?? '')
  t.notMatch(set, /cognito_(access|id|refresh)=[^;]/, 'no session cookie was set')
})
