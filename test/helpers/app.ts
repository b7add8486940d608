/**
 * Apps under test: a Fastify app with the plugin registered (ready, closed when the test ends), and
 * the route sets the tests use.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyCognito from '../../lib/index.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import type { LogCapture } from './logs.js'
import type { Teardown } from './teardown.js'

export interface BuildOptions {
  logs?: LogCapture
  /** Runs before the plugin is registered (to register @fastify/cookie or secure-session first). */
  before?: (app: FastifyInstance) => unknown
  /** Runs after the plugin is registered, before `ready()`: add routes here. */
  routes?: (app: FastifyInstance) => void
}

/** A Fastify app with the plugin registered with `options`, ready, closed when the test ends. */
export async function buildApp (t: Teardown, options: Partial<FastifyCognitoOptions>, build: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(build.logs ? { logger: build.logs.logger } : {})
  t.teardown(() => app.close())
  if (build.before) await build.before(app)
  await app.register(fastifyCognito, options as FastifyCognitoOptions)
  build.routes?.(app)
  await app.ready()
  return app
}

/** Routes most tests use: `/me` behind `authenticate`, answering `request.cognito`; `/open` unguarded. */
export function meRoutes (app: FastifyInstance): void {
  app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => request.cognito)
  app.post('/me', { preHandler: app.cognito.authenticate }, async (request) => request.cognito)
  app.get('/open', async (request) => ({ cognito: request.cognito }))
}

/**
 * Routes of the resilience and security tests: `/public` unguarded, `/me` behind `authenticate`
 * answering a summary of the identity, `/admin` for group admin.
 */
export function summaryRoutes (app: FastifyInstance): void {
  app.get('/public', async () => ({ public: true }))
  app.get('/me', { preHandler: app.cognito.authenticate }, async request => ({
    username: request.cognito?.username,
    source: request.cognito?.source,
    hasIdToken: request.cognito?.idToken !== null
  }))
  app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async () => ({ admin: true }))
}
