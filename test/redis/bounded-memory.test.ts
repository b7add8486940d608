/** Memory: the local cache holds at most `cacheSize` sessions, and every Redis key the store writes expires. */
import t from 'tap'
import { buildApp, meRoutes } from '../helpers/app.js'
import { startRedisRig } from '../helpers/redis-app.js'
import { keysWithTtl } from '../helpers/redis.js'
import { eventually } from '../helpers/redis-stats.js'
import { probedStore } from '../helpers/redis-store-probe.js'
import { alice, answerTokens, fakeRefreshToken, idpOptions } from '../helpers/token-endpoint.js'

const rig = await startRedisRig(t)
const probe = probedStore({ client: rig.redis.client(), cacheSize: 3, touchInterval: 1 })
const app = await buildApp(t, { ...idpOptions(rig.pool, rig.idp), sessionStore: probe.factory }, { routes: meRoutes })
const raw = rig.redis.client()

t.test('the local cache is bounded', async t => {
  for (let i = 0; i < 10; i++) {
    const cookies = await app.cognito.sessions.create(await rig.pool.mintTokens({ username: `user-${i}` }))
    t.equal((await app.inject({ url: '/me', cookies })).statusCode, 200)
  }
  t.equal(probe.store().cacheSize, 3)
})

t.test('after logins, renewals, touches, locks, ends and logouts, no key is left without a TTL', async t => {
  answerTokens(rig.idp, rig.pool)
  rig.idp.setRevoke('ok')
  const jars = []
  for (let i = 0; i < 5; i++) jars.push(await app.cognito.sessions.create({ ...await rig.pool.mintTokens({ ...alice, expiresIn: -60 }), refreshToken: fakeRefreshToken(`ttl-${i}`) }))
  for (const jar of jars) t.equal((await app.inject({ url: '/me', cookies: jar })).statusCode, 200, 'renewed')
  await new Promise(resolve => setTimeout(resolve, 5))
  for (const jar of jars) await app.inject({ url: '/me', cookies: jar }) // touches "last seen"
  const sub = (await app.inject({ url: '/me', cookies: jars[0]! })).json().sub as string
  const [first] = await app.cognito.sessions.list(sub)
  await app.cognito.sessions.end(first!.id)
  await app.inject({ method: 'POST', url: '/logout', cookies: jars[1]!, headers: { origin: 'http://localhost' } })
  const keys = await keysWithTtl(raw)
  t.ok(keys.size > 10)
  t.same([...keys].filter(([, ttl]) => ttl < 0).map(([key]) => key), [], 'every key expires')
  t.ok(await eventually(async () => (await app.cognito.sessions.list(sub)).every(s => s.lastSeen.getTime() > s.created.getTime())), 'last seen was written')
})
