/**
 * Every cache the plugin keeps answers only while what it remembers still holds: verified tokens
 * stop at key removal, shared claims cannot be changed by a route, refresh answers end at logout,
 * and an explicit refresh is never served from memory.
 */
import t from 'tap'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { CookieJar, setCookieLines } from '../helpers/cookies.js'
import { startRig, type RigUser } from '../helpers/rig.js'

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' }

t.test('a token verified before its signing key was removed is refused at once, cached or not (bearer and cookie)', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const tokens = await rig.mintTokens({ username: 'alice' })
  const cookies = app.cognito.sealSession(tokens)
  t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(tokens.accessToken) })).statusCode, 200, 'bearer: verified and cached')
  t.equal((await app.inject({ url: '/me', cookies })).statusCode, 200, 'cookie: verified and cached')
  // Cognito removes the key (rotation, or a compromised key withdrawn) and the app learns the new set.
  await rig.pool.rotateKeys()
  await rig.serveKeys()
  t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken({ username: 'bob' })) })).statusCode, 200, 'a new-key token makes the app refetch')
  const bearer = await app.inject({ url: '/me', headers: rig.pool.bearer(tokens.accessToken) })
  t.equal(bearer.statusCode, 401, 'bearer: the cached verification no longer holds')
  t.equal((await app.inject({ url: '/me', cookies })).statusCode, 401, 'cookie: the same')
})

t.test('a route that mutates request.cognito changes nothing for the next request with the same token', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), {
    routes: (app) => {
      summaryRoutes(app)
      app.get('/tamper', { preHandler: app.cognito.authenticate }, async (request) => {
        const identity = request.cognito as NonNullable<typeof request.cognito>
        const attempts = [
          () => { (identity.groups as string[]).push('admin') },
          () => { ((identity.accessToken as Record<string, unknown>)['cognito:groups'] as string[]).push('admin') },
          () => { (identity.accessToken as Record<string, unknown>)['cognito:groups'] = ['admin'] },
          () => { (identity.scopes as string[]).push('admin/all') },
          () => { identity.groups = ['admin'] }
        ]
        let refused = 0
        for (const attempt of attempts) {
          try { attempt() } catch { refused++ }
        }
        return { refused, groups: request.cognito?.groups }
      })
    }
  })
  const headers = rig.pool.bearer(await rig.mintAccessToken({ username: 'mallory', groups: ['reader'] }))
  const tamper = await app.inject({ url: '/tamper', headers })
  t.equal(tamper.statusCode, 200)
  t.equal(tamper.json().refused, 4, 'the shared lists and claims are frozen; only the request\'s own identity object may be replaced')
  t.same(tamper.json().groups, ['admin'], 'this request\'s own identity changed')
  const next = await app.inject({ url: '/admin', headers })
  t.equal(next.statusCode, 403, 'the next request with the same token is still not an admin')
})

t.test('logout ends the refresh answers of every token the session rotated through: a stolen older refresh cookie gets nothing', async (t) => {
  const rig = await startRig(t)
  rig.rotation = true
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const alice: RigUser = { username: 'alice' }
  const first = app.cognito.sealSession({ ...(await rig.mintTokens(alice)), refreshToken: rig.newRefreshToken(alice) })
  const stolen = new CookieJar(first).cookies()
  // The session refreshes (rotation: a new refresh token), and the thief kept the cookie of before.
  const jar = new CookieJar(first)
  const renewed = await app.inject({ method: 'POST', url: '/refresh', headers: SAME_ORIGIN, cookies: jar.cookies() })
  t.equal(renewed.statusCode, 200)
  jar.store(renewed)
  t.equal(rig.grants.refresh_token, 1)
  const logout = await app.inject({ url: '/logout', headers: SAME_ORIGIN, cookies: jar.cookies() })
  t.equal(logout.statusCode, 302)
  const grants = rig.grants.refresh_token
  const replay = await app.inject({ method: 'POST', url: '/refresh', headers: SAME_ORIGIN, cookies: stolen })
  t.equal(replay.statusCode, 401, 'the rotated-away token does not get the answer remembered for it')
  t.equal(replay.json().code, 'FST_COGNITO_REFRESH_REJECTED')
  t.equal(rig.grants.refresh_token, grants, 'nor a new grant')
})

t.test('an explicit POST /refresh is a new grant: an app refreshing to pick up new groups gets them', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const alice: RigUser = { username: 'alice', groups: ['reader'] }
  const jar = new CookieJar(app.cognito.sealSession({ ...(await rig.mintTokens(alice)), refreshToken: rig.newRefreshToken(alice) }))
  t.equal((await app.inject({ url: '/admin', cookies: jar.cookies() })).statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: '/refresh', headers: SAME_ORIGIN, cookies: jar.cookies() })).statusCode, 200)
  // An administrator adds alice to admin; the app refreshes a second later to see it.
  alice.groups?.push('admin')
  const second = await app.inject({ method: 'POST', url: '/refresh', headers: SAME_ORIGIN, cookies: jar.cookies() })
  t.equal(second.statusCode, 200)
  t.equal(rig.grants.refresh_token, 2, 'Cognito was asked again')
  jar.store(second)
  t.equal((await app.inject({ url: '/admin', cookies: jar.cookies() })).statusCode, 200, 'the new group is there')
})

t.test('an answer that renews or re-seals session cookies on any guarded route is not storable by a shared cache', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), {
    routes: (app) => app.get('/cached', { preHandler: app.cognito.authenticate }, async (_request, reply) => {
      return reply.send({ ok: true })
    })
  })
  const alice: RigUser = { username: 'alice' }
  // An expired access token: the guard renews the session and sets cookies on this app route.
  const expired = await rig.mintAccessToken({ ...alice, claims: { exp: Math.floor(Date.now() / 1000) - 60, iat: Math.floor(Date.now() / 1000) - 3660 } })
  const res = await app.inject({ url: '/cached', cookies: app.cognito.sealSession({ accessToken: expired, refreshToken: rig.newRefreshToken(alice) }) })
  t.equal(res.statusCode, 200)
  t.ok(setCookieLines(res).length > 0, 'cookies were set')
  t.equal(res.headers['cache-control'], 'no-store')
})

t.test('GET /logout without Origin or Fetch Metadata shows a button instead of logging out; POST /logout logs out with the refresh checks', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const alice: RigUser = { username: 'alice' }
  const cookies = app.cognito.sealSession({ ...(await rig.mintTokens(alice)), refreshToken: rig.newRefreshToken(alice) })
  const silent = await app.inject({ url: '/logout', cookies })
  t.equal(silent.statusCode, 200)
  t.match(silent.headers['content-type'], /^text\/html/)
  t.match(silent.body, /<form method="post" action="\/logout">/)
  t.equal(silent.headers['set-cookie'], undefined, 'nothing was cleared: an <img src=/logout> on any page cannot sign the user out')
  t.equal(rig.idp.counts.revoke, 0, 'nothing was revoked')
  const crossSite = await app.inject({ method: 'POST', url: '/logout', headers: { origin: 'https://evil.example' }, cookies })
  t.equal(crossSite.statusCode, 403)
  t.equal(crossSite.json().code, 'FST_COGNITO_CROSS_SITE_REQUEST')
  const sameSite = await app.inject({ method: 'POST', url: '/logout', headers: { 'sec-fetch-site': 'same-site' }, cookies })
  t.equal(sameSite.statusCode, 403, 'like POST /refresh, a sibling site cannot post it')
  const posted = await app.inject({ method: 'POST', url: '/logout', headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' }, payload: '', cookies })
  t.equal(posted.statusCode, 303)
  t.match(posted.headers.location, /\/logout\?client_id=/)
  t.ok(setCookieLines(posted).some(l => l.startsWith('cognito_refresh=;')), 'the session is cleared')
  t.equal(rig.idp.counts.revoke, 1, 'and the refresh token revoked')
})

t.test('a refresh answer that states no lifetime is reused for the default window, not forever', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const alice: RigUser = { username: 'alice' }
  let grants = 0
  rig.idp.onToken(async () => {
    grants++
    const tokens = await rig.mintTokens(alice)
    return { json: { access_token: tokens.accessToken, id_token: tokens.idToken, token_type: 'Bearer' } }
  })
  const cookies = app.cognito.sealSession({ accessToken: 'expired', refreshToken: rig.newRefreshToken(alice) })
  t.equal((await app.inject({ url: '/me', cookies })).statusCode, 200)
  t.equal((await app.inject({ url: '/me', cookies })).statusCode, 200, 'a second renewal with the same token')
  t.equal(grants, 1, 'reuses the answer')
})
