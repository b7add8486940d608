/**
 * Races: many requests renewing one session at once, requests still holding a rotated-away refresh
 * token, and two app instances (behind a load balancer) sharing nothing but the secret.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { cookieHeader, CookieJar, parseSetCookies } from '../helpers/cookies.js'
import { callbackRequest, startLogin, startRig } from '../helpers/rig.js'
import { sleep } from '../helpers/sleep.js'

const pool = await createTestPool()
t.teardown(() => pool.close())

const alice = { username: 'alice', groups: ['admin'] }
const CONCURRENT = 50

for (const rotation of [false, true]) {
  t.test(`${CONCURRENT} concurrent requests with one expired access token make one refresh grant and all succeed (rotation ${rotation ? 'on' : 'off'})`, async (t) => {
    const rig = await startRig(t, pool)
    rig.rotation = rotation
    const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
    const jar = app.cognito.sealSession({ ...await rig.mintTokens({ ...alice, expiresIn: -60 }), refreshToken: rig.newRefreshToken(alice) })
    const cookie = cookieHeader(jar)

    const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => app.inject({ url: '/me', headers: { cookie } })))
    t.same(answers.map(res => res.statusCode), Array(CONCURRENT).fill(200), 'every request succeeds')
    t.equal(rig.idp.counts.token, 1, 'the token endpoint saw exactly one request')
    t.equal(rig.grants.refresh_token, 1, 'exactly one refresh grant')
    for (const res of answers) {
      const written = parseSetCookies(res).filter(c => !c.cleared).map(c => c.name).sort()
      t.same(written, rotation ? ['cognito_access', 'cognito_id', 'cognito_refresh'] : ['cognito_access', 'cognito_id'])
    }
    t.same(answers.map(res => res.json().username), Array(CONCURRENT).fill('alice'))

    // Right after the grant, a request still holding the old refresh token gets the same answer.
    const late = await app.inject({ url: '/admin', headers: { cookie } })
    t.equal(late.statusCode, 200, 'a late request with the old refresh token succeeds')
    t.equal(rig.idp.counts.token, 1, 'without a second grant')

    if (rotation) {
      // Cognito refuses the old refresh token now: only the reused answer saved the late request.
      const otherInstance = await buildApp(t, rig.options(), { routes: summaryRoutes })
      const refused = await otherInstance.inject({ method: 'POST', url: '/refresh', headers: { cookie } })
      t.equal(refused.statusCode, 401)
      t.equal(refused.json().code, 'FST_COGNITO_REFRESH_REJECTED')
    }

    // The renewed cookies carry a working session, and (with rotation) the new refresh token works.
    const renewed = new CookieJar(jar).store(answers[0] as (typeof answers)[0])
    t.equal((await app.inject({ url: '/me', headers: { cookie: renewed.header() } })).statusCode, 200)
    const again = await app.inject({ method: 'POST', url: '/refresh', headers: { cookie: renewed.header() } })
    t.equal(again.statusCode, 200)
    t.equal(again.json().refreshed, true)
  })
}

t.test('concurrent POST /refresh and guarded requests of one session share a single grant', async (t) => {
  const rig = await startRig(t, pool)
  rig.rotation = true
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const cookie = cookieHeader(app.cognito.sealSession({ ...await rig.mintTokens({ ...alice, expiresIn: -60 }), refreshToken: rig.newRefreshToken(alice) }))
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => i % 2 === 0
    ? app.inject({ method: 'POST', url: '/refresh', headers: { cookie } })
    : app.inject({ url: '/me', headers: { cookie } })))
  t.same(answers.map(res => res.statusCode), Array(20).fill(200))
  t.equal(rig.grants.refresh_token, 1)
})

t.test('two instances sharing only the secret: login, session and refresh work across them', async (t) => {
  const rig = await startRig(t, pool)
  rig.rotation = true
  const a = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const b = await buildApp(t, rig.options(), { routes: summaryRoutes })

  // The login starts on A and comes back on B.
  const login = await startLogin(a)
  const callback = await b.inject(callbackRequest(rig, login, alice))
  t.equal(callback.statusCode, 302, 'B completes a login A started')
  const jar = new CookieJar().store(callback)
  t.same(jar.names().sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'])

  const onA = await a.inject({ url: '/admin', headers: { cookie: jar.header() } })
  t.equal(onA.statusCode, 200, 'A accepts the session B sealed')
  const me = await a.inject({ url: '/me', headers: { cookie: jar.header() } })
  t.equal(me.json().hasIdToken, true, 'A opens the ID token cookie B sealed')

  // Refresh on A (rotation), then on B with the refresh token A stored: no shared memory needed.
  const refreshA = await a.inject({ method: 'POST', url: '/refresh', headers: { cookie: jar.header() } })
  t.equal(refreshA.statusCode, 200)
  jar.store(refreshA)
  const refreshB = await b.inject({ method: 'POST', url: '/refresh', headers: { cookie: jar.header() } })
  t.equal(refreshB.statusCode, 200, 'B refreshes with the refresh token A rotated in')
  jar.store(refreshB)
  t.equal(rig.grants.refresh_token, 2)

  // A session A sealed with an expired access token is renewed by B's guard.
  const expired = a.cognito.sealSession({ ...await rig.mintTokens({ ...alice, expiresIn: -60 }), refreshToken: rig.newRefreshToken(alice) })
  const renewedOnB = await b.inject({ url: '/me', headers: { cookie: cookieHeader(expired) } })
  t.equal(renewedOnB.statusCode, 200)
  t.equal(rig.grants.refresh_token, 3)

  // Logout on B ends the session A sealed.
  const logout = await b.inject({ url: '/logout', headers: { cookie: jar.header(), 'sec-fetch-site': 'same-origin' } })
  t.equal(logout.statusCode, 302)
  t.same(jar.store(logout).names(), [])
})

t.test('two instances racing one rotated refresh token: the loser answers 401 and clears nothing the winner renewed', async (t) => {
  const rig = await startRig(t, pool)
  rig.rotation = true
  const a = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const b = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const jar = a.cognito.sealSession({ ...await rig.mintTokens({ ...alice, expiresIn: -60 }), refreshToken: rig.newRefreshToken(alice) })
  const cookie = cookieHeader(jar)
  const [onA, onB] = await Promise.all([a.inject({ url: '/me', headers: { cookie } }), b.inject({ url: '/me', headers: { cookie } })])
  const statuses = [onA.statusCode, onB.statusCode].sort()
  t.same(statuses, [200, 401], 'Cognito (no grace period) lets exactly one instance renew')
  t.equal(rig.grants.refresh_token, 1)
  const loser = onA.statusCode === 401 ? onA : onB
  t.equal(loser.json().code, 'FST_COGNITO_REFRESH_REJECTED')
  t.same(parseSetCookies(loser), [], 'the loser sets and clears no cookie')
})

t.test('a logout during an in-flight refresh: the old refresh token is dead afterwards, even though the grant succeeded', async (t) => {
  const rig = await startRig(t, pool)
  const app = await buildApp(t, rig.options({ timeout: 5000 }), { routes: summaryRoutes })
  const cookie = cookieHeader(app.cognito.sealSession({ ...await rig.mintTokens({ ...alice, expiresIn: -60 }), refreshToken: rig.newRefreshToken(alice) }))
  rig.idp.setToken('slow', { delayMs: 300 })
  const inFlight = app.inject({ url: '/me', headers: { cookie } })
  // Let the grant reach the token endpoint before logging out.
  while (rig.idp.counts.token === 0) await sleep(5)
  const logout = await app.inject({ url: '/logout', headers: { cookie, 'sec-fetch-site': 'same-origin' } })
  t.equal(logout.statusCode, 302)
  t.equal((await inFlight).statusCode, 200, 'the request already in flight completes')
  rig.idp.setToken('ok')
  const after = await app.inject({ url: '/me', headers: { cookie } })
  t.equal(after.statusCode, 401, 'the grant answered after the logout is not reused')
  t.equal(after.json().code, 'FST_COGNITO_REFRESH_REJECTED')
  t.equal(rig.idp.counts.token, 1, 'and Cognito is not asked again')
})

t.test('a rolling secret rotation: instances holding [old, new] and [new, old] accept each other\'s cookies', async (t) => {
  const rig = await startRig(t, pool)
  const oldSecret = 'o'.repeat(40)
  const newSecret = 'n'.repeat(40)
  const before = await buildApp(t, rig.options({ secret: [oldSecret, newSecret] }), { routes: summaryRoutes })
  const after = await buildApp(t, rig.options({ secret: [newSecret, oldSecret] }), { routes: summaryRoutes })
  const legacy = await buildApp(t, rig.options({ secret: oldSecret }), { routes: summaryRoutes })
  const tokens = await rig.mintTokens(alice)
  for (const [sealer, opener] of [[before, after], [after, before], [legacy, after]] as const) {
    const res = await opener.inject({ url: '/me', headers: { cookie: cookieHeader(sealer.cognito.sealSession(tokens)) } })
    t.equal(res.statusCode, 200)
    t.equal(res.json().hasIdToken, true)
  }
  // A cookie sealed with the new secret only opens where the new secret is known.
  const refused = await legacy.inject({ url: '/me', headers: { cookie: cookieHeader(after.cognito.sealSession(tokens)) } })
  t.equal(refused.statusCode, 401)
})
