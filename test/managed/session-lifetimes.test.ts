/**
 * Session lifetimes: the absolute timeout (from the sign-in), the idle timeout (rolling, one cookie
 * write a minute at most), and refresh ahead; each ending is its own coded reason, logged.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { resolveOptions } from '../../lib/options.js'
import { createCodec } from '../../lib/session/codec.js'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { CookieJar, setCookieLines } from '../helpers/cookies.js'
import { captureLogs } from '../helpers/logs.js'
import { startRig, type RigUser } from '../helpers/rig.js'

const rig = await startRig(t)
const now = (): number => Math.floor(Date.now() / 1000)
const alice: RigUser = { username: 'alice' }

async function session (app: FastifyInstance, claims: Record<string, number> = {}): Promise<CookieJar> {
  const tokens = await rig.mintTokens({ ...alice, claims } as never)
  return new CookieJar(app.cognito.sealSession({ ...tokens, refreshToken: rig.newRefreshToken(alice) }))
}

t.test('absolute timeout: a session signed in longer ago ends, coded, cleared, revoked and logged; a page goes to a fresh login', async (t) => {
  const logs = captureLogs('info')
  const app = await buildApp(t, rig.options({ session: { absoluteTimeout: 3600 } }), { routes: summaryRoutes, logs })
  const young = await session(app, { auth_time: now() - 60 })
  t.equal((await app.inject({ url: '/me', cookies: young.cookies() })).statusCode, 200)
  const old = await session(app, { auth_time: now() - 7200 })
  const revokes = rig.idp.counts.revoke
  const res = await app.inject({ url: '/me', cookies: old.cookies() })
  t.equal(res.statusCode, 401)
  t.match(res.json(), { code: 'FST_COGNITO_SESSION_EXPIRED', message: /absolute timeout/ })
  t.ok(setCookieLines(res).some(l => l.startsWith('cognito_refresh=;')), 'the session is cleared')
  t.equal(rig.idp.counts.revoke, revokes + 1, 'and its refresh token revoked')
  t.ok(logs.lines.some(l => l.msg === 'fastify-cognito: session ended' && l.reason === 'absolute timeout'), 'logged with its reason')
  const page = await app.inject({ url: '/me', headers: { accept: 'text/html' }, cookies: (await session(app, { auth_time: now() - 7200 })).cookies() })
  t.equal(page.statusCode, 302)
  t.match(page.headers.location, /prompt=login/, 'not a silent re-login with the same old sign-in')
})

t.test('idle timeout: the clock starts at first use, moves at most once a minute, and an idle session ends', async (t) => {
  const app = await buildApp(t, rig.options({ session: { idleTimeout: 600 } }), { routes: summaryRoutes })
  const jar = await session(app)
  const first = await app.inject({ url: '/me', cookies: jar.cookies() })
  t.equal(first.statusCode, 200)
  t.ok(setCookieLines(first).some(l => l.startsWith('cognito_seen=')), 'the clock starts')
  jar.store(first)
  const second = await app.inject({ url: '/me', cookies: jar.cookies() })
  t.equal(second.statusCode, 200)
  t.equal(second.headers['set-cookie'], undefined, 'no cookie write within the minute: the warm path stays cheap')
  // The same session last seen 11 minutes ago: the clock as an instance would have sealed it then.
  const codec = await createCodec(resolveOptions(rig.options()).codec)
  t.teardown(() => codec.close())
  const stale = new CookieJar({ ...jar.cookies(), cognito_seen: codec.seal('seen', Date.now() - 11 * 60_000) })
  const idle = await app.inject({ url: '/me', cookies: stale.cookies() })
  t.equal(idle.statusCode, 401)
  t.match(idle.json(), { code: 'FST_COGNITO_SESSION_EXPIRED', message: /idle timeout/ })
})

t.test('idleTimeout under two minutes is refused at registration', async (t) => {
  await t.rejects(buildApp(t, rig.options({ session: { idleTimeout: 30 } })), { code: 'FST_COGNITO_INVALID_OPTION', message: /session.idleTimeout/ })
  await t.rejects(buildApp(t, rig.options({ session: 'long' as never })), { code: 'FST_COGNITO_INVALID_OPTION', message: /session/ })
})

t.test('refresh ahead: an access token about to expire is renewed now; if that fails, the still-valid token serves', async (t) => {
  const app = await buildApp(t, rig.options({ session: { refreshAhead: 120 } }), { routes: summaryRoutes })
  const soon = await session(app, { exp: now() + 60 })
  const grants = rig.grants.refresh_token
  const res = await app.inject({ url: '/me', cookies: soon.cookies() })
  t.equal(res.statusCode, 200)
  t.equal(rig.grants.refresh_token, grants + 1, 'renewed before it expired')
  t.ok(setCookieLines(res).some(l => /^cognito_access=[^;]/.test(l)))
  const later = await session(app, { exp: now() + 3600 })
  const quiet = await app.inject({ url: '/me', cookies: later.cookies() })
  t.equal(quiet.headers['set-cookie'], undefined, 'a token with time left is not renewed')
  rig.idp.setToken('status500')
  const failing = await app.inject({ url: '/me', cookies: (await session(app, { exp: now() + 60 })).cookies() })
  rig.idp.setToken('ok')
  t.equal(failing.statusCode, 200, 'Cognito failing: the current token still serves')
  const noRefresh = app.cognito.sealSession(await rig.mintTokens({ ...alice, claims: { exp: now() + 60 } } as never))
  const before = rig.grants.refresh_token
  t.equal((await app.inject({ url: '/me', cookies: noRefresh })).statusCode, 200, 'no refresh token: the current token serves')
  t.equal(rig.grants.refresh_token, before)
})

t.test('idle timeout: a login starts the clock in the same answer that starts the session', async (t) => {
  const app = await buildApp(t, rig.options({ session: { idleTimeout: 600 } }), { routes: summaryRoutes })
  const login = await app.inject({ url: '/login' })
  const params = new URL(login.headers.location as string).searchParams
  const res = await app.inject({
    url: '/auth/callback',
    query: { code: rig.codeFor(alice, params.get('nonce') as string), state: params.get('state') as string },
    cookies: new CookieJar().store(login).cookies()
  })
  t.equal(res.statusCode, 302)
  t.ok(setCookieLines(res).some(l => l.startsWith('cognito_seen=')), 'the clock starts at login')
})

t.test('a session whose tokens were verified before still gets every lifetime decision: absolute timeout and refresh ahead', async (t) => {
  const ending = await buildApp(t, rig.options({ session: { absoluteTimeout: 3600 } }), { routes: summaryRoutes })
  const old = await rig.mintTokens({ ...alice, claims: { auth_time: now() - 7200 } } as never)
  // Cached as by earlier requests (verifyAccessToken caches a token on its second verification).
  await ending.cognito.verifyAccessToken(old.accessToken)
  await ending.cognito.verifyAccessToken(old.accessToken)
  await ending.cognito.verifyIdToken(old.idToken)
  const ended = await ending.inject({ url: '/me', cookies: ending.cognito.sealSession({ ...old, refreshToken: rig.newRefreshToken(alice) }) })
  t.equal(ended.statusCode, 401, 'cached claims, and still past the absolute timeout')
  t.match(ended.json(), { code: 'FST_COGNITO_SESSION_EXPIRED', message: /absolute timeout/ })

  const renewing = await buildApp(t, rig.options({ session: { refreshAhead: 120 } }), { routes: summaryRoutes })
  const soon = await rig.mintTokens({ ...alice, claims: { exp: now() + 60 } } as never)
  await renewing.cognito.verifyAccessToken(soon.accessToken)
  await renewing.cognito.verifyAccessToken(soon.accessToken)
  const grants = rig.grants.refresh_token
  const renewed = await renewing.inject({ url: '/me', cookies: renewing.cognito.sealSession({ ...soon, refreshToken: rig.newRefreshToken(alice) }) })
  t.equal(renewed.statusCode, 200)
  t.equal(rig.grants.refresh_token, grants + 1, 'cached claims, and still renewed ahead')
})
