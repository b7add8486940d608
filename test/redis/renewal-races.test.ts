/**
 * The edges of a renewal under the lock: renewed elsewhere just before this instance took the lock (no
 * second grant), and a record that vanished meanwhile (a 401, nothing written back).
 */
import t from 'tap'
import { buildApp, meRoutes } from '../helpers/app.js'
import { startRedisRig } from '../helpers/redis-app.js'
import { probedStore, requestWith } from '../helpers/redis-store-probe.js'
import { alice, answerTokens, fakeRefreshToken, idpOptions } from '../helpers/token-endpoint.js'

const rig = await startRedisRig(t)
const probe = probedStore({ client: rig.redis.client(), timeout: 300 })
const app = await buildApp(t, { ...idpOptions(rig.pool, rig.idp), sessionStore: probe.factory }, { routes: meRoutes })
const other = await rig.app()
const raw = rig.redis.client()

t.test('renewed by another instance between reading the session and taking the lock: its tokens, no grant', async t => {
  answerTokens(rig.idp, rig.pool)
  const cookies = await app.cognito.sessions.create({ ...await rig.pool.mintTokens({ ...alice, expiresIn: -60 }), refreshToken: fakeRefreshToken('race-1') })
  const request = requestWith(cookies)
  const stale = await probe.store().read(request, 'access')
  t.equal((await other.inject({ url: '/me', cookies })).statusCode, 200, 'the other instance renews')
  let grants = 0
  const outcome = await probe.store().exclusive(request, async () => ++grants)
  t.equal(outcome, undefined, 'renewed elsewhere')
  t.equal(grants, 0, 'no second grant')
  t.not((await probe.store().read(request, 'access'))?.value, stale?.value, 'the request now reads the new access token')
})

t.test('a record that vanished before the lock was taken: no grant, no session', async t => {
  const cookies = await app.cognito.sessions.create({ ...await rig.pool.mintTokens({ username: 'vanishing', expiresIn: -60 }), refreshToken: fakeRefreshToken('race-2') })
  const request = requestWith(cookies)
  t.ok(await probe.store().read(request, 'refresh'))
  for (const key of await raw.keys('{fastify-cognito:*}:session:*')) await raw.del(key)
  let grants = 0
  t.equal(await probe.store().exclusive(request, async () => ++grants), undefined)
  t.equal(grants, 0)
  t.equal(await probe.store().read(request, 'access'), undefined)
  t.equal((await app.inject({ url: '/me', cookies, headers: { accept: 'application/json' } })).statusCode, 401)
})

t.test('a renewal whose record ended meanwhile does not bring it back', async t => {
  const cookies = await app.cognito.sessions.create(await rig.pool.mintTokens({ username: 'gone' }))
  const request = requestWith(cookies)
  t.ok(await probe.store().read(request, 'access'))
  for (const key of await raw.keys('{fastify-cognito:*}:session:*')) await raw.del(key)
  await probe.store().update(request, {} as never, { accessToken: 'new' })
  t.equal(await probe.store().read(request, 'access'), undefined)
  t.same(await raw.keys('{fastify-cognito:*}:session:*'), [], 'nothing written')
})

t.test('a renewal that waited for another holder\'s lock, and finds the session gone, is a 401', async t => {
  const cookies = await app.cognito.sessions.create({ ...await rig.pool.mintTokens({ username: 'waiting', expiresIn: -60 }), refreshToken: fakeRefreshToken('race-3') })
  const request = requestWith(cookies)
  t.ok(await probe.store().read(request, 'refresh'), 'cached here')
  const [key] = await raw.keys('{fastify-cognito:*}:session:*')
  await raw.set(key!.replace(':session:', ':lock:'), 'another-instance', 'PX', 300)
  await raw.del(key!)
  const grants = rig.idp.counts.token
  const res = await app.inject({ url: '/me', cookies, headers: { accept: 'application/json' } })
  t.equal(res.statusCode, 401)
  t.equal(rig.idp.counts.token, grants, 'no grant')
})
