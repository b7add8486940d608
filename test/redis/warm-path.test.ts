/**
 * The warm guard path does not call Redis: opened sessions are cached locally, and dropped on every
 * instance the moment a session ends or renews elsewhere (pub/sub).
 */
import t from 'tap'
import { startRedisRig } from '../helpers/redis-app.js'
import { commandCalls, eventually, sessionCalls } from '../helpers/redis-stats.js'
import { alice, answerTokens, fakeRefreshToken } from '../helpers/token-endpoint.js'

const rig = await startRedisRig(t)
const a = await rig.app({}, { leeway: 0 })
const b = await rig.app({}, { leeway: 0 })
const stats = rig.redis.client()
const json = { accept: 'application/json' }

t.test('100 requests of a warm session make no Redis call', async t => {
  const cookies = await a.cognito.sessions.create(await rig.pool.mintTokens(alice))
  t.equal((await a.inject({ url: '/me', cookies })).statusCode, 200)
  const before = await commandCalls(stats)
  let ok = 0
  for (let i = 0; i < 100; i++) if ((await a.inject({ url: '/me', cookies })).statusCode === 200) ok++
  t.equal(ok, 100)
  t.equal(sessionCalls(before, await commandCalls(stats)), 0)
})

t.test('a session ended on one instance is a 401 on the other at once, though it had it cached', async t => {
  const cookies = await a.cognito.sessions.create({ ...await rig.pool.mintTokens({ username: 'ended' }), refreshToken: fakeRefreshToken('ended') })
  const sub = (await b.inject({ url: '/me', cookies })).json().sub as string
  t.equal((await b.inject({ url: '/me', cookies })).statusCode, 200, 'B has it cached')
  const [session] = await a.cognito.sessions.list(sub)
  rig.idp.setRevoke('ok')
  t.equal(await a.cognito.sessions.end(session!.id), true)
  t.ok(await eventually(async () => (await b.inject({ url: '/me', cookies, headers: json })).statusCode === 401), 'B refuses it')
  t.equal((await a.inject({ url: '/me', cookies, headers: json })).statusCode, 401, 'A too')
  const page = await b.inject({ url: '/me', cookies, headers: { accept: 'text/html' } })
  t.equal(page.statusCode, 302, 'a page is sent to login')
  t.match(page.headers.location, /^\/login\?returnTo=/)
})

t.test('a session renewed on one instance is read again by the other', async t => {
  answerTokens(rig.idp, rig.pool)
  const expired = await rig.pool.mintTokens({ ...alice, expiresIn: 2 })
  const cookies = await a.cognito.sessions.create({ ...expired, refreshToken: fakeRefreshToken('renewed') })
  const first = (await b.inject({ url: '/me', cookies })).json().jti
  await new Promise(resolve => setTimeout(resolve, 2100)) // past exp (leeway 0)
  const renewed = (await a.inject({ url: '/me', cookies })).json().jti
  t.not(renewed, first, 'A renewed the session')
  t.ok(await eventually(async () => (await b.inject({ url: '/me', cookies })).json().jti === renewed), 'B serves the renewed token, not its cached one')
})
