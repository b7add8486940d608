/**
 * Events: login, logout, refresh outcomes, session endings and refusals on diagnostics_channel, the
 * onLogout and onDenied callbacks, and debug log lines that say why a request was refused; never a token.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import t from 'tap'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { CookieJar } from '../helpers/cookies.js'
import { captureLogs } from '../helpers/logs.js'
import { startRig, type RigUser } from '../helpers/rig.js'

const NAMES = ['login', 'logout', 'refresh', 'session-ended', 'denied', 'cognito-call'] as const
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' }

function listen (t: { teardown (fn: () => unknown): void }): Array<{ channel: string, message: Record<string, unknown> }> {
  const seen: Array<{ channel: string, message: Record<string, unknown> }> = []
  for (const name of NAMES) {
    const handler = (message: unknown): void => { seen.push({ channel: name, message: message as Record<string, unknown> }) }
    subscribe(`fastify-cognito:${name}`, handler)
    t.teardown(() => unsubscribe(`fastify-cognito:${name}`, handler))
  }
  return seen
}

t.test('a session from login to logout publishes login, refresh, logout and session-ended, and calls onLogout', async (t) => {
  const rig = await startRig(t)
  rig.rotation = true
  const ended: unknown[] = []
  const app = await buildApp(t, rig.options({ onLogout: (_request, info) => { ended.push(info) } }), { routes: summaryRoutes })
  const seen = listen(t)
  const jar = new CookieJar()
  const login = await app.inject({ url: '/login' })
  jar.store(login)
  const params = new URL(login.headers.location as string).searchParams
  const alice: RigUser = { username: 'alice' }
  jar.store(await app.inject({ url: '/auth/callback', query: { code: rig.codeFor(alice, params.get('nonce') as string), state: params.get('state') as string }, cookies: jar.cookies() }))
  const first = await app.inject({ method: 'POST', url: '/refresh', headers: SAME_ORIGIN, cookies: jar.cookies() })
  t.equal(first.statusCode, 200)
  const stale = jar.cookies()
  jar.store(first)
  t.equal((await app.inject({ method: 'POST', url: '/refresh', headers: SAME_ORIGIN, cookies: stale })).statusCode, 200, 'a racing request with the rotated-away token')
  await app.inject({ url: '/logout', headers: SAME_ORIGIN, cookies: jar.cookies() })
  const of = (channel: string): Array<Record<string, unknown>> => seen.filter(s => s.channel === channel).map(s => s.message)
  t.match(of('login'), [{ sub: /./, username: 'alice' }])
  t.same(of('refresh').map(m => m.outcome), ['rotated', 'reused'])
  t.match(of('logout'), [{ sub: /./ }])
  t.same(of('session-ended').map(m => m.reason), ['logout'])
  t.match(ended, [{ reason: 'logout', sub: /./ }], 'onLogout was called')
  t.ok(of('cognito-call').some(m => m.endpoint === 'token endpoint' && m.outcome === 200 && typeof m.durationMs === 'number'))
  t.ok(of('cognito-call').some(m => m.endpoint === 'revoke endpoint'))
  const text = JSON.stringify(seen)
  for (const [name, value] of Object.entries(jar.cookies())) t.notOk(text.includes(value.slice(0, 40)), `no ${name} value in any event`)
})

t.test('refresh outcomes refused and failed, and the session ended by a refused explicit refresh', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const seen = listen(t)
  const refused = app.cognito.sealSession({ accessToken: 'x', refreshToken: 'not-a-known-refresh-token' })
  t.equal((await app.inject({ method: 'POST', url: '/refresh', headers: SAME_ORIGIN, cookies: refused })).statusCode, 401)
  rig.idp.setToken('status500')
  const failing = app.cognito.sealSession({ accessToken: 'x', refreshToken: rig.newRefreshToken({ username: 'bob' }) })
  t.equal((await app.inject({ method: 'POST', url: '/refresh', headers: SAME_ORIGIN, cookies: failing })).statusCode, 502)
  t.same(seen.filter(s => s.channel === 'refresh').map(s => s.message.outcome), ['refused', 'failed'])
  t.same(seen.filter(s => s.channel === 'session-ended').map(s => s.message.reason), ['refused'])
  t.ok(seen.some(s => s.channel === 'cognito-call' && s.message.outcome === 500))
})

t.test('refusals are published with their reason, logged at debug level and passed to onDenied', async (t) => {
  const rig = await startRig(t)
  const logs = captureLogs('debug')
  const denials: unknown[] = []
  const app = await buildApp(t, rig.options({ onDenied: (_request, info) => { denials.push(info) } }), { routes: summaryRoutes, logs })
  const seen = listen(t)
  await app.inject({ url: '/me' })
  const bob = await rig.mintAccessToken({ username: 'bob' })
  await app.inject({ url: '/admin', headers: rig.pool.bearer(bob) })
  const expired = await rig.mintAccessToken({ username: 'bob', claims: { exp: Math.floor(Date.now() / 1000) - 600, iat: Math.floor(Date.now() / 1000) - 4000 } } as never)
  await app.inject({ url: '/me', headers: rig.pool.bearer(expired) })
  const reasons = seen.filter(s => s.channel === 'denied').map(s => s.message)
  t.match(reasons, [
    { reason: 'FST_COGNITO_UNAUTHENTICATED', statusCode: 401, method: 'GET', url: '/me' },
    { reason: 'FST_COGNITO_GROUP_REQUIRED', statusCode: 403, url: '/admin' },
    { reason: 'FST_COGNITO_TOKEN_EXPIRED', statusCode: 401 }
  ])
  t.match(denials, [{ reason: 'FST_COGNITO_UNAUTHENTICATED', sub: undefined }, { reason: 'FST_COGNITO_GROUP_REQUIRED', sub: /./ }, { reason: 'FST_COGNITO_TOKEN_EXPIRED' }])
  t.equal(logs.lines.filter(l => l.msg === 'fastify-cognito: request refused').length, 3)
  t.notOk(logs.text().includes(bob.slice(-30)), 'no token in the logs')
})

t.test('a refusal by the app\'s own check with an uncoded error is published as unknown', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), {
    routes: (app) => app.get('/own', { preHandler: app.cognito.requireClaims(() => { throw Object.assign(new Error('not today'), { statusCode: 403 }) }) }, async () => 'ok')
  })
  const seen = listen(t)
  t.equal((await app.inject({ url: '/own', headers: rig.pool.bearer(await rig.mintAccessToken({ username: 'alice' })) })).statusCode, 403)
  t.match(seen.filter(s => s.channel === 'denied').map(s => s.message), [{ reason: 'unknown', statusCode: 403 }])
})

t.test('a failing onLogout or onDenied is logged and changes nothing in the answer', async (t) => {
  const rig = await startRig(t)
  const logs = captureLogs('error')
  const boom = (): never => { throw new Error('audit down') }
  const app = await buildApp(t, rig.options({ onLogout: boom, onDenied: boom }), { routes: summaryRoutes, logs })
  t.equal((await app.inject({ url: '/me' })).statusCode, 401)
  const cookies = app.cognito.sealSession({ ...(await rig.mintTokens({ username: 'alice' })), refreshToken: rig.newRefreshToken({ username: 'alice' }) })
  t.equal((await app.inject({ url: '/logout', headers: SAME_ORIGIN, cookies })).statusCode, 302)
  t.ok(logs.lines.some(l => l.msg === 'fastify-cognito: onDenied failed'))
  t.ok(logs.lines.some(l => l.msg === 'fastify-cognito: onLogout failed'))
})

t.test('onLogout and onDenied must be functions', async (t) => {
  const rig = await startRig(t)
  await t.rejects(buildApp(t, rig.options({ onLogout: 'audit' as never })), { code: 'FST_COGNITO_INVALID_OPTION', message: /onLogout must be a function/ })
})
