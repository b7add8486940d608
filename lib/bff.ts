/**
 * `fastify-cognito/bff`: a backend for frontend (the IETF's "OAuth 2.0 for Browser-Based
 * Applications", §6.1). The single-page app holds only the HttpOnly session cookie; the BFF calls its
 * APIs with the user's access token, renewed ahead, and answers `GET /session` with who is signed in.
 *
 * @example
 * ```ts
 * import fastifyCognito, { optionsFromEnv } from 'fastify-cognito'
 * import cognitoBff from 'fastify-cognito/bff'
 *
 * await app.register(fastifyCognito, optionsFromEnv())
 * await app.register(cognitoBff, { proxies: [{ prefix: '/api/orders', upstream: 'https://orders.internal', groups: ['staff'] }] })
 * // the app: fetch('/api/orders/7', { headers: { 'x-csrf': '1' } })
 * ```
 *
 * @packageDocumentation
 */
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { InvalidOptionError } from './errors.js'
import { internalsOf } from './fastify/internals.js'
import { resolveBffOptions, type CognitoBffOptions } from './bff/options.js'
import { registerProxy } from './bff/proxy.js'
import { registerSessionRoute } from './bff/session-route.js'
import type { FastifyCognito } from './types.js'

export type { BffProxyOptions, CognitoBffOptions } from './bff/options.js'
export type { BffSession, BffUser } from './bff/session-route.js'

async function cognitoBffPlugin (fastify: FastifyInstance, options: CognitoBffOptions): Promise<void> {
  const cognito = (fastify as { cognito?: FastifyCognito }).cognito
  const internals = internalsOf(cognito)
  if (cognito === undefined || internals === undefined) {
    throw new InvalidOptionError('fastify-cognito must be registered before fastify-cognito/bff, in the same or a parent context')
  }
  const config = resolveBffOptions(options)
  if (config.sessionPath !== false) registerSessionRoute(fastify, cognito, internals, config, config.sessionPath)
  for (const proxy of config.proxies) await registerProxy(fastify, cognito, internals, config, proxy)
}

/** The plugin: `app.register(cognitoBff, { proxies: [{ prefix, upstream }] })`, after fastify-cognito. */
const cognitoBff = fp(cognitoBffPlugin, { fastify: '5.x', name: 'fastify-cognito-bff' })
export default cognitoBff
export { cognitoBff }
