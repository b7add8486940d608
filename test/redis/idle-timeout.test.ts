/**
 * The idle timeout with sessions in Redis: the store knows when each session was last used (written at
 * most once per touch interval), and a session idle longer than `session.idleTimeout` ends.
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { setCookies } from '../helpers/cookies.js'
import { loginThroughCallback, startRedisRig } from '../helpers/redis-app.js'
import { alice, fakeRefreshToken } from '../helpers/token-endpoint.js'

const rig = await startRedisRig(t)
const raw: Redis = rig.redis.client()

t.test('a stored session used recently passes; one last seen beyond the idle timeout ends with its reason', async t => {
  const app = await rig.app({}, { session: { idleTimeout: 600 } })
  const cookies = await app.cognito.sessions.create({ ...await rig.pool.mintTokens(alice), refreshToken: fakeRefreshToken('idle') })
  t.equal((await app.inject({ url: '/me', cookies })).statusCode, 200, 'fresh')
  // The session last used 11 minutes ago, as another instance would have recorded it.
  const [key] = (await raw.keys('*:session:*'))
  await raw.hset(key as string, 'seen', String(Date.now() - 11 * 60_000))
  const other = await rig.app({}, { session: { idleTimeout: 600 } })
  const idle = await other.inject({ url: '/me', cookies })
  t.equal(idle.statusCode, 401)
  t.match(idle.json(), { code: 'FST_COGNITO_SESSION_EXPIRED', message: /idle timeout/ })
})

t.test('a login with an idle timeout leaves the clock to the store: one session cookie, no separate clock cookie', async t => {
  const app = await rig.app({}, { session: { idleTimeout: 600 } })
  const res = await loginThroughCallback(rig, app, 'carol')
  t.equal(res.statusCode, 302)
  t.same(Object.keys(setCookies(res)), ['cognito_session'], 'the store records the use itself')
})
