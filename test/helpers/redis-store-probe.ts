/** A Redis session store the test can reach: the factory wrapped so the store the plugin made is kept. */
import type { FastifyRequest } from 'fastify'
import { redisSessionStore, type RedisSessionStoreOptions } from '../../lib/redis.js'
import type { RedisSessionStore } from '../../lib/session/redis-store.js'
import type { SessionStoreFactory } from '../../lib/session/store.js'

export function probedStore (options: RedisSessionStoreOptions): { factory: SessionStoreFactory, store: () => RedisSessionStore } {
  const inner = redisSessionStore(options)
  let made: RedisSessionStore | undefined
  return {
    factory: { kind: inner.kind, create: async context => (made = await inner.create(context) as RedisSessionStore) },
    store: () => made as RedisSessionStore
  }
}

/** A request as the store reads it: its cookies and a logger. */
export function requestWith (cookies: Record<string, string>): FastifyRequest {
  return { headers: { cookie: Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ') }, log: { debug () {}, warn () {} } } as unknown as FastifyRequest
}
