/**
 * `fastify-cognito/redis`: browser sessions kept in Redis, for apps on several instances that need to
 * list and end sessions ("log out everywhere") and one refresh per session across instances; or, with
 * `mode: 'revocation'`, cookie sessions that Redis can only cut off ("log out everywhere", nothing stored).
 *
 * The app owns the client (ioredis 5, an ioredis `Cluster`, or iovalkey): this package never imports a
 * Redis library, it uses the client it is given.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * import fastifyCognito, { optionsFromEnv } from 'fastify-cognito'
 * import { redisSessionStore } from 'fastify-cognito/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
 * await app.register(fastifyCognito, { ...optionsFromEnv(), sessionStore: redisSessionStore({ client: redis }) })
 * app.addHook('onClose', async () => { await redis.quit() })
 * ```
 *
 * @packageDocumentation
 */
import { InvalidOptionError } from './errors.js'
import { RedisRevocationStore } from './session/redis-revocation.js'
import { RedisSessionStore } from './session/redis-store.js'
import type { RedisClient } from './session/redis-keys.js'
import type { SessionStoreFactory } from './session/store.js'

export type { RedisClient, RedisCommands, RedisSubscriber } from './session/redis-keys.js'
export type { SessionStoreFactory } from './session/store.js'

/** Options of {@link redisSessionStore}. Durations in ms. */
export interface RedisSessionStoreOptions {
  /** An ioredis (or iovalkey) `Redis` or `Cluster` client; the app connects and closes it. The store opens one more connection (`duplicate()`) for pub/sub, and closes it. */
  client: RedisClient
  /**
   * `'sessions'` (default): the tokens live in Redis, and `sessions` lists, ends one and ends all.
   * `'revocation'`: the tokens stay in sealed cookies (stateless, as without a store); Redis holds only a
   * per-user cut-off, so that `sessions.endAll(sub)` ends every cookie session of the user that started
   * before it, on every instance at once. `sessions.list` and `sessions.end` then reject (`FST_COGNITO_INVALID_OPTION`).
   */
  mode?: 'sessions' | 'revocation'
  /** Prefix of every key and of the channel: apps sharing one Redis each take their own. Letters, digits, `_`, `-`, `:`, `.`. Default `'fastify-cognito'`. */
  prefix?: string
  /** The longest a Redis call may take before the request fails with a 503 (`FST_COGNITO_SESSION_STORE_UNAVAILABLE`). Default 1000. */
  timeout?: number
  /** Opened sessions kept in memory, so the warm path does not call Redis. 0 turns the cache off. Default 1000. */
  cacheSize?: number
  /** The longest an opened session stays in memory (a bound, should an invalidation message be lost). Default 60000. */
  cacheMaxAge?: number
  /** How often a session's "last seen" is written, at most. Default 60000. */
  touchInterval?: number
  /** How long one instance holds a session's refresh lock, and the others wait for it. Default: the plugin's `timeout` + 2000. */
  lockTimeout?: number
}

const PREFIX = /^[\w.:-]{1,64}$/
const COMMANDS = ['eval', 'hgetall', 'zrangebyscore', 'set', 'exists', 'duplicate'] as const

function fail (name: string, must: string): never {
  throw new InvalidOptionError(`sessionStore: ${name} ${must}`)
}

function duration (value: unknown, name: string, fallback: number, { allowZero = false } = {}): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (!allowZero && value === 0)) {
    fail(name, `must be a ${allowZero ? 'non-negative' : 'positive'} integer`)
  }
  return value
}

/**
 * A Redis session store, for the plugin's `sessionStore` option. Options are validated here; the store
 * is made when the plugin registers (it needs the plugin's keys and cookie settings).
 *
 * @example
 * ```ts
 * await app.register(fastifyCognito, { ...options, sessionStore: redisSessionStore({ client: app.redis, prefix: 'shop' }) })
 * const sessions = await app.cognito.sessions.list(request.cognito.sub)
 * await app.cognito.sessions.endAll(request.cognito.sub) // log out everywhere
 * ```
 */
export function redisSessionStore (options: RedisSessionStoreOptions): SessionStoreFactory {
  if (options === null || typeof options !== 'object') fail('options', 'are required: { client }')
  const client = options.client as unknown as Record<string, unknown> | undefined
  if (client === null || typeof client !== 'object' || COMMANDS.some(name => typeof client[name] !== 'function')) {
    fail('client', 'must be an ioredis (or iovalkey) client')
  }
  const prefix = options.prefix ?? 'fastify-cognito'
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) fail('prefix', 'must be 1 to 64 letters, digits, "_", "-", ":" or "."')
  const mode = options.mode ?? 'sessions'
  if (mode !== 'sessions' && mode !== 'revocation') fail('mode', 'must be \'sessions\' or \'revocation\'')
  const settings = {
    client: options.client,
    prefix,
    timeout: duration(options.timeout, 'timeout', 1000),
    cacheSize: duration(options.cacheSize, 'cacheSize', 1000, { allowZero: true }),
    cacheMaxAge: duration(options.cacheMaxAge, 'cacheMaxAge', 60_000),
    touchInterval: duration(options.touchInterval, 'touchInterval', 60_000),
    lockTimeout: options.lockTimeout === undefined ? undefined : duration(options.lockTimeout, 'lockTimeout', 0)
  }
  return {
    kind: 'fastify-cognito/session-store',
    async create (context) {
      const store = mode === 'revocation' ? new RedisRevocationStore(settings, context) : new RedisSessionStore(settings, context)
      await store.start()
      return store
    }
  }
}
