/** `redisSessionStore` options and the plugin's `sessionStore` option are validated once, with messages that name them. */
import t from 'tap'
import Fastify from 'fastify'
import fastifyCognito from '../../lib/index.js'
import { redisSessionStore } from '../../lib/redis.js'
import type { RedisSessionStoreOptions } from '../../lib/redis.js'
import { createTestPool } from '../../lib/testing/index.js'
import { startRedis } from '../helpers/redis.js'

const redis = await startRedis(t)
const client = redis.client({ lazyConnect: true })

t.test('the store\'s options', async t => {
  const bad: Array<[unknown, RegExp]> = [
    [undefined, /sessionStore: options are required/],
    [{}, /sessionStore: client must be an ioredis/],
    [{ client: { eval () {} } }, /client must be/],
    [{ client, prefix: 'a{b}' }, /prefix must be 1 to 64/],
    [{ client, prefix: '' }, /prefix/],
    [{ client, timeout: 0 }, /timeout must be a positive integer/],
    [{ client, timeout: 1.5 }, /timeout/],
    [{ client, cacheSize: -1 }, /cacheSize must be a non-negative integer/],
    [{ client, cacheMaxAge: '1' }, /cacheMaxAge/],
    [{ client, touchInterval: Number.NaN }, /touchInterval/],
    [{ client, lockTimeout: 0 }, /lockTimeout/]
  ]
  for (const [options, message] of bad) t.throws(() => redisSessionStore(options as RedisSessionStoreOptions), { code: 'FST_COGNITO_INVALID_OPTION', message }, JSON.stringify(options && { ...options as object, client: undefined }))
  t.equal(redisSessionStore({ client, prefix: 'shop:eu.1', cacheSize: 0, lockTimeout: 5000 }).kind, 'fastify-cognito/session-store')
})

t.test('the plugin\'s sessionStore option must be a store', async t => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  for (const sessionStore of [null, 'redis', { create () {} }, client]) {
    const app = Fastify()
    app.register(fastifyCognito, { ...pool.pluginOptions(), sessionStore: sessionStore as never })
    await t.rejects(async () => { await app.ready() }, { code: 'FST_COGNITO_INVALID_OPTION', message: /sessionStore must be a session store, such as redisSessionStore/ })
  }
})

t.test('a store made while Redis is down starts, warns, and answers 503 until Redis is there', async t => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const lines: string[] = []
  const offline = redis.client({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } } })
  t.teardown(() => app.close())
  await app.register(fastifyCognito, { ...pool.pluginOptions(), sessionStore: redisSessionStore({ client: offline, timeout: 200 }) })
  app.get('/me', { preHandler: app.cognito.authenticate }, async () => 'hi')
  await app.ready()
  t.ok(lines.some(l => l.includes('could not subscribe')), 'a warning, without details')
  const cookies = app.cognito.sealSession(await pool.mintTokens({ username: 'alice' }))
  const res = await app.inject({ url: '/me', cookies, headers: { accept: 'application/json' } })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_COGNITO_SESSION_STORE_UNAVAILABLE')
  t.ok(lines.some(l => l.includes('storing a sealed session failed')))
  for (const line of lines) t.notMatch(line, /eyJ|cognito_session=/, 'no token or cookie in the logs')
})
