/**
 * A session id that is unknown, expired, tampered or of another app (another prefix, another secret)
 * is a 401, never a 500.
 */
import t from 'tap'
import { startRedisRig } from '../helpers/redis-app.js'
import { keysWithTtl } from '../helpers/redis.js'
import { alice } from '../helpers/token-endpoint.js'

const rig = await startRedisRig(t)
const app = await rig.app({ prefix: 'shop' }, { cookie: { refreshMaxAge: 2 } })
const raw = rig.redis.client()
const json = { accept: 'application/json' }
const status = async (cookies: Record<string, string>): Promise<number> => (await app.inject({ url: '/me', cookies, headers: json })).statusCode

t.test('tampered, truncated or empty cookies are a 401', async t => {
  const { cognito_session: sealed } = await app.cognito.sessions.create(await rig.pool.mintTokens(alice))
  t.equal(await status({ cognito_session: sealed! }), 200)
  const flipped = sealed!.slice(0, 10) + (sealed![10] === 'A' ? 'B' : 'A') + sealed!.slice(11)
  for (const value of [flipped, sealed!.slice(0, -4), '', 'garbage', sealed!.replace('.', '')]) t.equal(await status({ cognito_session: value }), 401)
})

t.test('a cookie of another prefix or another secret is a 401', async t => {
  const otherPrefix = await rig.app({ prefix: 'blog' })
  const otherSecret = await rig.app({ prefix: 'shop' }, { secret: 'another-secret-another-secret-another-secret' })
  const tokens = await rig.pool.mintTokens(alice)
  const fromBlog = await otherPrefix.cognito.sessions.create(tokens)
  t.equal((await otherPrefix.inject({ url: '/me', cookies: fromBlog })).statusCode, 200)
  t.equal(await status(fromBlog), 401, 'same secret, another prefix: no such record')
  t.equal(await status(await otherSecret.cognito.sessions.create(tokens)), 401, 'another secret: the cookie does not open')
})

t.test('a record copied under another session\'s key does not open', async t => {
  const a = await app.cognito.sessions.create(await rig.pool.mintTokens(alice))
  const b = await app.cognito.sessions.create(await rig.pool.mintTokens(alice))
  const sub = (await app.inject({ url: '/me', cookies: a })).json().sub as string
  const [first, second] = (await app.cognito.sessions.list(sub)).slice(-2).map(s => `{shop:${sub}}:session:${s.id.split(':')[1]}`)
  await raw.hset(second!, 'data', (await raw.hget(first!, 'data'))!)
  const cold = await rig.app({ prefix: 'shop' })
  const results = [(await cold.inject({ url: '/me', cookies: a, headers: json })).statusCode, (await cold.inject({ url: '/me', cookies: b, headers: json })).statusCode]
  t.same(results.sort(), [200, 401], 'the swapped record is refused (its key is its additional data)')
})

t.test('an expired session (TTL passed) and an unknown id are a 401', async t => {
  const cookies = await app.cognito.sessions.create(await rig.pool.mintTokens({ username: 'short' }))
  const sub = (await app.inject({ url: '/me', cookies })).json().sub as string
  const keys = [...(await keysWithTtl(raw))].filter(([key]) => key.startsWith(`{shop:${sub}}`))
  t.equal(keys.length, 2, 'the session and the user index')
  for (const [key, ttl] of keys) t.ok(ttl > 0 && ttl <= 2000, `${key.split('}')[1]} lives 2 s`)
  await new Promise(resolve => setTimeout(resolve, 2100))
  const cold = await rig.app({ prefix: 'shop' })
  t.equal((await cold.inject({ url: '/me', cookies, headers: json })).statusCode, 401)
})
