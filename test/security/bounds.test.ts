/**
 * Bounds: floods cannot turn into a flood of JWKS fetches, and every cache and every buffered
 * answer has a ceiling.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { OAuthError } from '../../lib/errors.js'
import { JwksCache } from '../../lib/jwks-cache.js'
import { resolveOptions } from '../../lib/options.js'
import { Refresher } from '../../lib/refresher.js'
import { TokenClient } from '../../lib/token-client.js'
import { Verifier } from '../../lib/verifier.js'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { cookieHeader } from '../helpers/cookies.js'
import { type Rig, startRig } from '../helpers/rig.js'
import { sleep } from '../helpers/sleep.js'

const pool = await createTestPool()
t.teardown(() => pool.close())

const alice = { username: 'alice', groups: ['admin'] }
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A token shaped like the pool's, signed (badly) by a key id nobody knows. */
function unknownKidToken (rig: Rig): string {
  const now = Math.floor(Date.now() / 1000)
  const header = { alg: 'RS256', kid: randomBytes(16).toString('base64url') }
  const payload = { sub: 's', iss: rig.idp.issuer, client_id: rig.pool.clientId, token_use: 'access', username: 'x', iat: now, exp: now + 3600 }
  return `${b64(header)}.${b64(payload)}.${randomBytes(256).toString('base64url')}`
}

/** Sends `count` requests, `concurrency` at a time, and tallies the status codes. */
async function flood (app: FastifyInstance, count: number, concurrency: number, headers: (i: number) => Record<string, string>): Promise<Map<number, number>> {
  const statuses = new Map<number, number>()
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const res: LightMyRequestResponse = await app.inject({ url: '/me', headers: headers(next++) })
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
    }
  }))
  return statuses
}

t.test('an unknown-kid flood of 10,000 requests makes at most one JWKS fetch per cooldown window', async (t) => {
  const rig = await startRig(t, pool)
  const app = await buildApp(t, rig.options({ jwks: { cooldown: 60_000, warmup: false } }), { routes: summaryRoutes })
  const valid = rig.pool.bearer(await rig.mintAccessToken(alice))
  t.equal((await app.inject({ url: '/me', headers: valid })).statusCode, 200)
  t.equal(rig.idp.counts.jwks, 1, 'the first request fetched the keys')

  const statuses = await flood(app, 10_000, 100, () => rig.pool.bearer(unknownKidToken(rig)))
  t.same([...statuses], [[401, 10_000]], 'every request is a 401')
  t.equal(rig.idp.counts.jwks, 1, 'no refetch inside the cooldown window')
  t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })).statusCode, 200, 'real tokens still verify')
})

t.test('after the cooldown an unknown kid refetches, at most once per cooldown window', async (t) => {
  const rig = await startRig(t, pool)
  const cooldown = 500
  const app = await buildApp(t, rig.options({ jwks: { cooldown, warmup: false } }), { routes: summaryRoutes })
  t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })).statusCode, 200)
  await sleep(cooldown + 50)
  const started = Date.now()
  const statuses = await flood(app, 2000, 50, () => rig.pool.bearer(unknownKidToken(rig)))
  // The flood touches floor(elapsed / cooldown) + 1 windows.
  const windows = Math.floor((Date.now() - started) / cooldown) + 1
  t.same([...statuses], [[401, 2000]])
  const refetches = rig.idp.counts.jwks - 1
  t.ok(refetches >= 1, 'the cooldown had passed: the first unknown kid refetched')
  t.ok(refetches <= windows, `${refetches} refetches in ${windows} cooldown windows`)
})

t.test('a flood against a cold cache and a hanging JWKS shares fetches and answers 503', async (t) => {
  const rig = await startRig(t, pool)
  rig.idp.setJwks('hang')
  const app = await buildApp(t, rig.options({ jwks: { timeout: 300, warmup: false } }), { routes: summaryRoutes })
  const token = rig.pool.bearer(await rig.mintAccessToken(alice))
  const started = Date.now()
  const statuses = await flood(app, 1000, 1000, () => token)
  const seconds = Math.ceil((Date.now() - started) / 1000)
  t.same([...statuses], [[503, 1000]])
  // One shared fetch, and a failed cold fetch is not retried for a second.
  t.ok(rig.idp.counts.jwks <= seconds, `${rig.idp.counts.jwks} JWKS requests in ${seconds} s for a thousand concurrent requests`)
})

t.test('5,000 distinct valid tokens leave tokenCacheSize tokens in the verified-token cache', async (t) => {
  const rig = await startRig(t)
  const size = 100
  const tokens: string[] = []
  for (let i = 0; i < 5000; i++) tokens.push(await rig.mintAccessToken({ username: `user${i}` }))

  // The verifier itself: its cache never holds more than tokenCacheSize entries.
  const config = resolveOptions(rig.options({ tokenCacheSize: size }))
  const verifier = new Verifier(config, new JwksCache({ ...config.jwks, jwksUri: config.jwksUri, dispatcher: undefined }))
  for (const token of tokens) await verifier.verifyAccessToken(token)
  t.equal(verifier.cacheSize, size)

  // Through the plugin: once the keys are gone, exactly the last tokenCacheSize tokens still answer from the cache.
  const app = await buildApp(t, rig.options({ tokenCacheSize: size }), { routes: summaryRoutes })
  const statuses = await flood(app, tokens.length, 20, i => rig.pool.bearer(tokens[i] as string))
  t.same([...statuses], [[200, 5000]])
  await rig.pool.rotateKeys()
  await rig.serveKeys()
  // A token of the new key makes the plugin refetch (from now on only the new keys are known) and
  // takes a cache slot: the cache holds it and the newest tokenCacheSize - 1 tokens of the flood.
  t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })).statusCode, 200)
  const status = async (i: number): Promise<number> => (await app.inject({ url: '/me', headers: rig.pool.bearer(tokens[i] as string) })).statusCode
  const kept = size - 1
  const recent = await Promise.all(tokens.slice(-kept).map((_, i) => status(tokens.length - kept + i)))
  t.same(recent, Array(kept).fill(200), 'the newest tokens answer from the cache')
  t.equal(await status(tokens.length - kept - 1), 401, 'the one before them was evicted')
  const sample = [0, 1, 1000, 2500, 4000, 4899]
  t.same(await Promise.all(sample.map(status)), sample.map(() => 401), 'older tokens were evicted')
})

t.test('the refresher remembers at most 10,000 refused refresh tokens', async (t) => {
  const rig = await startRig(t, pool)
  // 10,001 real round trips would cost seconds; the bound is the refresher's, so its client answers
  // invalid_grant in memory here (the HTTP path is covered by the resilience tests).
  const client = new TokenClient(resolveOptions(rig.options()))
  let grants = 0
  client.refresh = async () => {
    grants++
    throw new OAuthError('invalid_grant', undefined)
  }
  const refresher = new Refresher(client)
  for (let i = 0; i < 10_001; i++) await refresher.refresh(`refused-${i}`).catch(() => {})
  t.equal(grants, 10_001)
  t.equal(refresher.size, 10_000, 'the memory of refused tokens is capped')

  t.equal((await refresher.refresh('refused-10000').catch((err: OAuthError) => err) as OAuthError).error, 'invalid_grant')
  t.equal(grants, 10_001, 'the newest refused token is remembered: Cognito is not asked again')
  t.equal((await refresher.refresh('refused-0').catch((err: OAuthError) => err) as OAuthError).error, 'invalid_grant')
  t.equal(grants, 10_002, 'the oldest was evicted: Cognito is asked again')
})

t.test('answers are buffered up to a bound: an oversized JWKS is a 503, an oversized token answer a 502', async (t) => {
  const rig = await startRig(t, pool)
  const padding = 'x'.repeat(600 * 1024)
  rig.idp.setJwksBody({ keys: [], padding })
  const app = await buildApp(t, rig.options({ jwks: { warmup: false } }), { routes: summaryRoutes })
  const jwks = await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })
  t.equal(jwks.statusCode, 503)
  t.match(jwks.json().message, /too large/)

  rig.idp.onToken(() => ({ json: { access_token: 'a', padding } }))
  const cookie = cookieHeader(app.cognito.sealSession({ accessToken: 'expired', refreshToken: rig.newRefreshToken(alice) }))
  const refresh = await app.inject({ method: 'POST', url: '/refresh', headers: { cookie } })
  t.equal(refresh.statusCode, 502)
  t.match(refresh.json().message, /too large/)
})

t.test('a bearer token far beyond Cognito\'s sizes is refused without parsing', async (t) => {
  const rig = await startRig(t, pool)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  const res = await app.inject({ url: '/me', headers: rig.pool.bearer('a'.repeat(20_000)) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_INVALID_TOKEN')
})
