/**
 * The backend for frontend over sessions kept in Redis, on two instances behind a balancer: concurrent
 * calls on both with a token about to expire make one refresh grant, and every call reaches the API with
 * the renewed token (from Redis, not from a cookie the browser has to carry back).
 */
import t from 'tap'
import { request } from 'undici'
import { redisSessionStore } from '../../lib/redis.js'
import { alice, fakeRefreshToken, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'
import { cookieHeader } from '../helpers/cookies.js'
import { startRedis } from '../helpers/redis.js'
import { fromTheApp, startBffApp, startUpstream } from '../helpers/bff.js'

const redis = await startRedis(t)
const { pool, idp } = await startPoolWithTokenEndpoint(t)
const upstream = await startUpstream(t)
const bff = { proxies: [{ prefix: '/api', upstream: upstream.url }] }
const instances = [
  await startBffApp(t, pool, idp, bff, { sessionStore: redisSessionStore({ client: redis.client() }) }),
  await startBffApp(t, pool, idp, bff, { sessionStore: redisSessionStore({ client: redis.client() }) })
]

t.test('two instances, concurrent calls with a token about to expire: one grant, the renewed token on every call', async (t) => {
  const [a, b] = instances as [typeof instances[0], typeof instances[0]]
  const old = await pool.mintTokens({ ...alice, expiresIn: 30 })
  const cookie = cookieHeader(await a.app.cognito.sessions.create({ ...old, refreshToken: fakeRefreshToken('redis-bff') }))
  const grants = idp.counts.token
  const from = upstream.received.length
  const calls = [a, b, a, b, a, b].map(async ({ base }, i) => {
    const res = await request(`${base}/api/orders/${i}`, { headers: { ...fromTheApp(base), cookie } })
    await res.body.dump()
    return res.statusCode
  })
  t.same(await Promise.all(calls), [200, 200, 200, 200, 200, 200])
  t.equal(idp.counts.token - grants, 1, 'one refresh grant across both instances')
  const sent = new Set(upstream.received.slice(from).map(r => r.headers.authorization))
  t.equal(sent.size, 1, 'every call carried the same token')
  t.notOk(sent.has(`Bearer ${old.accessToken}`), 'the renewed one')
  t.notOk(upstream.received.slice(from).some(r => r.headers.cookie !== undefined), 'no cookie went upstream')
})
