/**
 * Apps whose sessions live in a test's own Redis: a test pool with its token endpoint (the faulty IdP),
 * and `app()` building as many instances as a test needs, each with its own client (one process, but
 * nothing shared except Redis and the secret, as behind a balancer).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { setCookies } from './cookies.js'
import { redisSessionStore, type RedisSessionStoreOptions } from '../../lib/redis.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import type { TestPool } from '../../lib/testing/index.js'
import { buildApp, type BuildOptions } from './app.js'
import type { FaultyIdp } from './faulty-idp.js'
import { startRedis, type RedisServer } from './redis.js'
import { idpOptions, startPoolWithTokenEndpoint } from './token-endpoint.js'
import type { Teardown } from './teardown.js'

export interface RedisRig {
  redis: RedisServer
  pool: TestPool
  idp: FaultyIdp
  app (store?: Partial<RedisSessionStoreOptions>, options?: Partial<FastifyCognitoOptions>, build?: BuildOptions): Promise<FastifyInstance>
}

export async function startRedisRig (t: Teardown): Promise<RedisRig> {
  const redis = await startRedis(t)
  const { pool, idp } = await startPoolWithTokenEndpoint(t)
  return {
    redis,
    pool,
    idp,
    async app (store = {}, options = {}, build = {}) {
      const client = store.client ?? redis.client({ maxRetriesPerRequest: 1 })
      return await buildApp(t, {
        ...idpOptions(pool, idp),
        timeout: 1000,
        ...options,
        sessionStore: redisSessionStore({ timeout: 300, ...store, client })
      }, {
        routes: app => {
          app.get('/me', { preHandler: app.cognito.authenticate }, async request => ({ sub: request.cognito?.sub, username: request.cognito?.username, jti: request.cognito?.accessToken?.jti, id: request.cognito?.idToken !== null }))
        },
        ...build
      })
    }
  }
}

/** A login through the plugin's routes: /login, then the callback with the token endpoint answering `username`'s tokens. */
export async function loginThroughCallback (rig: RedisRig, app: FastifyInstance, username: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const start = await app.inject({ url: '/login', headers })
  const params = new URL(start.headers.location as string).searchParams
  const nonce = params.get('nonce') as string
  rig.idp.setToken('ok')
  rig.idp.onToken(async () => {
    const accessToken = await rig.pool.mintAccessToken({ username })
    const idToken = await rig.pool.mintIdToken({ username, nonce })
    return { json: { access_token: accessToken, id_token: idToken, refresh_token: `rt-${username}-${nonce}`, token_type: 'Bearer', expires_in: 3600 } }
  })
  return await app.inject({ url: '/auth/callback', query: { code: 'the-code', state: params.get('state') as string }, cookies: setCookies(start), headers })
}
