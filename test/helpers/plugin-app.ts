/**
 * Helpers for the plugin's tests: a Fastify app with the plugin registered (torn down with the
 * test), a log capture, and cookie jars built from `inject` answers.
 */
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance, type LightMyRequestResponse as InjectResponse } from 'fastify'
import fastifyCognito from '../../lib/index.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import type { TestPool, TestUser } from '../../lib/testing/index.js'
import { startFaultyIdp, type FaultyIdp } from './faulty-idp.js'

/** The part of tap's `t` these helpers use. */
export interface Teardown { teardown (fn: () => unknown): void }

export interface LogLine { level: number, msg: string, [key: string]: unknown }

/** A pino logger (through Fastify's `logger` option) whose lines land in `lines`. */
export interface LogCapture {
  logger: { level: string, stream: Writable }
  lines: LogLine[]
  /** Every captured line, as JSON text: to assert that nothing secret was logged. */
  text (): string
}

export function captureLogs (level = 'info'): LogCapture {
  const lines: LogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as LogLine)
      }
      done()
    }
  })
  return { logger: { level, stream }, lines, text: () => lines.map(l => JSON.stringify(l)).join('\n') }
}

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

/** The Set-Cookie header lines of an answer. */
export function setCookieLines (res: InjectResponse): string[] {
  const header = res.headers['set-cookie']
  if (header === undefined) return []
  return Array.isArray(header) ? header : [String(header)]
}

export interface ParsedCookie { name: string, value: string, maxAge?: number, expires?: Date }

/** Names of the cookies an answer clears (empty value, Max-Age=0). */
export function clearedCookies (res: InjectResponse): string[] {
  return (res.cookies as ParsedCookie[]).filter(c => c.value === '' && c.maxAge === 0).map(c => c.name).sort()
}

/** Name -> value of the cookies an answer sets (not the ones it clears). */
export function setCookies (res: InjectResponse): Record<string, string> {
  const out: Record<string, string> = {}
  for (const c of res.cookies as ParsedCookie[]) {
    if (!(c.value === '' && c.maxAge === 0)) out[c.name] = c.value
  }
  return out
}

/** The browser's jar after an answer: set cookies added or replaced, cleared ones removed. */
export function nextJar (jar: Record<string, string>, res: InjectResponse): Record<string, string> {
  const out = { ...jar }
  for (const c of res.cookies as ParsedCookie[]) {
    if (c.value === '' && c.maxAge === 0) delete out[c.name]
    else out[c.name] = c.value
  }
  return out
}

/**
 * A faulty IdP as the pool's token and revoke endpoints: `domain` is the IdP, the issuer and keys
 * stay the test pool's. By default the token endpoint answers a refresh with new access and ID
 * tokens for `user` (no rotation).
 */
export async function startTokenEndpoint (t: Teardown, pool: TestPool, user: TestUser = { username: 'alice', groups: ['admin', 'editor'] }): Promise<FaultyIdp> {
  const idp = await startFaultyIdp()
  t.teardown(() => idp.close())
  idp.onToken(async () => {
    const { accessToken, idToken } = await pool.mintTokens(user)
    return { json: { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 3600 } }
  })
  return idp
}

/** Plugin options for a pool whose token endpoint is `idp`. */
export function idpOptions (pool: TestPool, idp: FaultyIdp): Partial<FastifyCognitoOptions> {
  return { ...pool.pluginOptions(), domain: idp.url, issuer: pool.issuer }
}

/** An opaque refresh token of Cognito's size (about 1,850 bytes; Cognito's is an encrypted JWE). */
export function fakeRefreshToken (seed = 'rt'): string {
  const body = Buffer.alloc(1337, seed).toString('base64url')
  return `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.${body}.${seed}`
}
