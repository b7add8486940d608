/**
 * "Log out everywhere" with cookie sessions: `redisSessionStore({ client, mode: 'revocation' })` keeps the
 * tokens in sealed cookies and Redis holds only a per-user cut-off. `sessions.endAll(sub)` on one instance
 * refuses every session of the user that started before it, on every instance at once (the cached "no
 * cut-off" dropped by pub/sub); later sessions and bearer tokens are not touched; Redis down is a 503.
 */
import t from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import Fastify from 'fastify'
import type { Redis } from 'ioredis'
import fastifyCognito from '../../lib/index.js'
import { redisSessionStore } from '../../lib/redis.js'
import { createTestPool } from '../../lib/testing/index.js'
import { parseSetCookies, setCookies } from '../helpers/cookies.js'
import { loginThroughCallback, startRedisRig } from '../helpers/redis-app.js'
import { commandCalls } from '../helpers/redis-stats.js'
import { keysWithTtl } from '../helpers/redis.js'
import { answerTokens, fakeRefreshToken } from '../helpers/token-endpoint.js'

const rig = await startRedisRig(t)
const a = await rig.app({ mode: 'revocation' })
const b = await rig.app({ mode: 'revocation' })
const raw: Redis = rig.redis.client()
const json = { accept: 'application/json' }
const page = { accept: 'text/html' }

async function session (username: string, seed = username): Promise<Record<string, string>> {
  return await a.cognito.sessions.create({ ...await rig.pool.mintTokens({ username }), refreshToken: fakeRefreshToken(seed) })
}

async function subOf (cookies: Record<string, string>): Promise<string> {
  return (await a.inject({ url: '/me', cookies })).json().sub as string
}

t.test('a login sets the token cookies and a sealed start cookie; Redis holds nothing for it', async t => {
  const before = await keysWithTtl(raw)
  const res = await loginThroughCallback(rig, a, 'walker')
  t.equal(res.statusCode, 302)
  const set = setCookies(res)
  t.same(Object.keys(set).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh', 'cognito_started'])
  t.notOk(set.cognito_started!.includes('walker'), 'sealed')
  t.same([...(await keysWithTtl(raw)).keys()], [...before.keys()], 'no key written')
  t.equal((await b.inject({ url: '/me', cookies: set })).statusCode, 200, 'another instance opens it')
})

t.test('endAll on A: the sessions on A and on B are refused at once, later ones work, bearer tokens are untouched', async t => {
  rig.idp.setRevoke('ok')
  const login = setCookies(await loginThroughCallback(rig, a, 'everywhere'))
  const onB = await b.cognito.sessions.create({ ...await rig.pool.mintTokens({ username: 'everywhere' }), refreshToken: fakeRefreshToken('on-b') })
  const other = await session('bystander')
  const sub = await subOf(login)
  // Both instances warm: "no cut-off" cached, so the warm path calls no Redis.
  t.equal((await b.inject({ url: '/me', cookies: onB })).statusCode, 200)
  t.equal((await a.inject({ url: '/me', cookies: login })).statusCode, 200)
  const calls = await commandCalls(raw)
  t.equal((await b.inject({ url: '/me', cookies: onB })).statusCode, 200)
  t.equal((await a.inject({ url: '/me', cookies: login })).statusCode, 200)
  t.equal((await commandCalls(raw)).eval, calls.eval, 'no Redis call on the warm path')
  const ended: Array<{ sub?: string, reason: string }> = []
  const listener = (message: unknown): void => { ended.push(message as { sub?: string, reason: string }) }
  subscribe('fastify-cognito:session-ended', listener)
  t.teardown(() => unsubscribe('fastify-cognito:session-ended', listener))

  t.equal(await a.cognito.sessions.endAll(sub), 0, 'the count is not known with cookie sessions')
  const revokes = rig.idp.counts.revoke
  const onA = await a.inject({ url: '/me', cookies: login, headers: json })
  t.equal(onA.statusCode, 401)
  t.equal(onA.json().code, 'FST_COGNITO_SESSION_EXPIRED')
  t.same(parseSetCookies(onA).filter(c => c.cleared).map(c => c.name).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh', 'cognito_started'], 'every cookie cleared')
  t.equal(rig.idp.counts.revoke - revokes, 1, 'the refresh token the browser brought is revoked at Cognito')
  // B heard of it by pub/sub: its cached "no cut-off" is gone (no polling, no cache expiry).
  const deadline = Date.now() + 500
  let status = 0
  while (Date.now() < deadline && (status = (await b.inject({ url: '/me', cookies: onB, headers: json })).statusCode) === 200) await new Promise(resolve => setTimeout(resolve, 10))
  t.equal(status, 401, 'refused on B too')
  const toLogin = await b.inject({ url: '/me', cookies: onB, headers: page })
  t.equal(toLogin.statusCode, 302, 'a page is sent to login')
  t.match(toLogin.headers.location, /^\/login\?returnTo=%2Fme&prompt=login$/, 'to sign in again, not silently')
  t.match(ended, [{ sub, reason: 'ended everywhere' }, { sub, reason: 'ended everywhere' }])

  t.equal((await a.inject({ url: '/me', cookies: other })).statusCode, 200, 'another user is not touched')
  const bearer = await rig.pool.mintAccessToken({ username: 'everywhere' })
  t.equal((await b.inject({ url: '/me', headers: { authorization: `Bearer ${bearer}` } })).statusCode, 200, 'a bearer token is not a session')
  await new Promise(resolve => setTimeout(resolve, 2))
  const after = setCookies(await loginThroughCallback(rig, b, 'everywhere'))
  t.equal((await a.inject({ url: '/me', cookies: after })).statusCode, 200, 'a session started after the cut-off works, on A')
  t.equal((await b.inject({ url: '/me', cookies: after })).statusCode, 200, 'and on B')
})

t.test('the cut-off key has a TTL of the longest session, and never moves back', async t => {
  const sub = await subOf(await session('ttl'))
  await a.cognito.sessions.endAll(sub)
  const key = `{fastify-cognito:${sub}}:cutoff`
  const ttl = await raw.pttl(key)
  t.ok(ttl > 86_000_000 && ttl <= 86_400_000, `TTL: the refresh cookie max age (${ttl})`)
  const later = String(Date.now() + 60_000)
  await raw.set(key, later)
  await a.cognito.sessions.endAll(sub)
  t.equal(await raw.get(key), later, 'a later cut-off stays')
  t.ok(await raw.pttl(key) > 86_000_000, 'and gets its TTL back')
  for (const [name, keyTtl] of await keysWithTtl(raw)) t.ok(keyTtl > 0, `${name} expires`)
})

t.test('a session with no start time of its user lives until its user is cut off', async t => {
  const full = await session('legacy')
  const sub = await subOf(full)
  const { cognito_started: started, ...legacy } = full
  t.equal((await a.inject({ url: '/me', cookies: legacy })).statusCode, 200, 'no cut-off: served')
  const stranger = await session('stranger')
  const borrowed = { ...full, cognito_started: stranger.cognito_started! }
  await a.cognito.sessions.endAll(sub)
  await new Promise(resolve => setTimeout(resolve, 2))
  const fresh = await session('legacy', 'fresh')
  t.equal((await a.inject({ url: '/me', cookies: fresh })).statusCode, 200, 'a later session is served')
  t.equal((await a.inject({ url: '/me', cookies: legacy, headers: json })).statusCode, 401, 'no start cookie: refused once a cut-off exists')
  t.equal((await a.inject({ url: '/me', cookies: borrowed, headers: json })).statusCode, 401, 'another user\'s start cookie does not count')
  t.equal((await a.inject({ url: '/me', cookies: { ...fresh, cognito_started: 'x.y' }, headers: json })).statusCode, 401, 'a tampered one neither')
  t.equal((await a.inject({ url: '/me', cookies: { ...full, cognito_started: started! }, headers: json })).statusCode, 401)
})

t.test('POST /refresh of a cut-off session renews nothing for it: 401, cleared', async t => {
  answerTokens(rig.idp, rig.pool, { username: 'refresher' })
  const cookies = await session('refresher')
  const sub = await subOf(cookies)
  await b.cognito.sessions.endAll(sub)
  const res = await a.inject({ method: 'POST', url: '/refresh', cookies, headers: { ...json, origin: 'http://localhost' } })
  t.equal(res.statusCode, 401)
  t.ok(parseSetCookies(res).some(c => c.name === 'cognito_refresh' && c.cleared))
  await new Promise(resolve => setTimeout(resolve, 2))
  const later = await session('refresher', 'later')
  const renewed = await a.inject({ method: 'POST', url: '/refresh', cookies: later, headers: { ...json, origin: 'http://localhost' } })
  t.equal(renewed.statusCode, 200, 'a later session renews')
})

t.test('list and end refuse in revocation mode; endAll of no user is 0', async t => {
  await t.rejects(a.cognito.sessions.list('someone'), { code: 'FST_COGNITO_INVALID_OPTION', message: /mode: 'sessions'/ })
  await t.rejects(a.cognito.sessions.end('someone:handle'), { code: 'FST_COGNITO_INVALID_OPTION', message: /mode: 'sessions'/ })
  t.equal(await a.cognito.sessions.endAll('not a sub!'), 0)
  t.equal(await a.cognito.sessions.endAll(42 as unknown as string), 0)
})

t.test('mode is validated', async t => {
  t.throws(() => redisSessionStore({ client: raw, mode: 'cookies' as 'sessions' }), { code: 'FST_COGNITO_INVALID_OPTION', message: /mode must be 'sessions' or 'revocation'/ })
})

t.test('a start cookie sealed with an older secret is re-sealed with the newest', async t => {
  const options = rig.pool.pluginOptions()
  const older = await rig.app({ mode: 'revocation' })
  const cookies = await older.cognito.sessions.create({ ...await rig.pool.mintTokens({ username: 'rotating' }), refreshToken: fakeRefreshToken('rot') })
  const sub = (await older.inject({ url: '/me', cookies })).json().sub as string
  const newer = await rig.app({ mode: 'revocation' }, { secret: ['n'.repeat(32), options.secret as string] })
  await newer.cognito.sessions.endAll('someone-else')
  await raw.set(`{fastify-cognito:${sub}}:cutoff`, String(Date.now() - 60_000), 'PX', 60_000)
  const res = await newer.inject({ url: '/me', cookies })
  t.equal(res.statusCode, 200)
  const resealed = setCookies(res).cognito_started
  t.ok(resealed !== undefined && resealed !== cookies.cognito_started, 're-sealed')
  t.equal((await newer.inject({ url: '/me', cookies: { ...cookies, ...setCookies(res) } })).statusCode, 200)
})

t.test('Redis down: a session whose user is not cached is a 503, never a 500; endAll rejects with the code', async t => {
  const cold = await rig.app({ mode: 'revocation', cacheSize: 0 })
  const cookies = await session('down')
  const sub = await subOf(cookies)
  rig.redis.pause()
  t.teardown(() => rig.redis.resume())
  const started = Date.now()
  const res = await cold.inject({ url: '/me', cookies, headers: json })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_COGNITO_SESSION_STORE_UNAVAILABLE')
  t.ok(Date.now() - started < 1500, 'bounded')
  t.equal((await cold.inject({ url: '/me', cookies, headers: page })).statusCode, 503, 'a page too')
  t.equal((await a.inject({ url: '/me', cookies })).statusCode, 200, 'a warm instance serves from its cache')
  rig.redis.resume()
  t.equal((await cold.inject({ url: '/me', cookies })).statusCode, 200, 'served once Redis answers')
  rig.redis.pause()
  // The cut-off may still land once Redis answers again: the caller is told that it is not known to have.
  await t.rejects(a.cognito.sessions.endAll(sub), { code: 'FST_COGNITO_SESSION_STORE_UNAVAILABLE' })
  rig.redis.resume()
})

t.test('a revocation store made while Redis is down starts and warns', async t => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const lines: string[] = []
  const offline = rig.redis.client({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } } })
  t.teardown(() => app.close())
  await app.register(fastifyCognito, { ...pool.pluginOptions(), sessionStore: redisSessionStore({ client: offline, timeout: 200, mode: 'revocation' }) })
  await app.ready()
  t.ok(lines.some(l => l.includes('cut-offs are read from Redis until it does')))
})
