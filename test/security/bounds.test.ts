/**
 * Bounds: floods cannot turn into a flood of JWKS fetches, and every cache and every buffered
 * answer has a ceiling.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { JwksCache } from '../../lib/protocol/jwks-cache.js'
import { resolveOptions } from '../../lib/options.js'
import { RefreshRejectedError } from '../../lib/errors.js'
import { Refresher } from '../../lib/protocol/refresher.js'
import { Verifier } from '../../lib/protocol/verifier.js'
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

t.test('5,000 distinct valid tokens, each sent twice, leave tokenCacheSize tokens in the verified-token cache', async (t) => {
  const rig = await startRig(t)
  const size = 100
  const tokens: string[] = []
  for (let i = 0; i < 5000; i++) tokens.push(await rig.mintAccessToken({ username: `user${i}` }))

  // The verifier itself: its cache never holds more than tokenCacheSize entries.
  const config = resolveOptions(rig.options({ tokenCacheSize: size }))
  const verifier = new Verifier(config, new JwksCache({ ...config.jwks, jwksUri: config.jwksUri, dispatcher: undefined }))
  // A bearer token is cached when verified a second time: each is sent twice.
  for (const token of tokens) {
    await verifier.verifyAccessToken(token)
    await verifier.verifyAccessToken(token)
  }
  t.equal(verifier.cacheSize, size)

  // Through the plugin: the flood passes; once the keys are gone, no token of the old key answers,
  // not even the newest ones the cache still holds (a cached verification needs its kid in the key set).
  const app = await buildApp(t, rig.options({ tokenCacheSize: size }), { routes: summaryRoutes })
  const statuses = await flood(app, tokens.length * 2, 20, i => rig.pool.bearer(tokens[Math.floor(i / 2)] as string))
  t.same([...statuses], [[200, 10_000]])
  await rig.pool.rotateKeys()
  await rig.serveKeys()
  t.equal((await app.inject({ url: '/me', headers: rig.pool.bearer(await rig.mintAccessToken(alice)) })).statusCode, 200, 'a token of the new key: the set is refetched')
  const status = async (i: number): Promise<number> => (await app.inject({ url: '/me', headers: rig.pool.bearer(tokens[i] as string) })).statusCode
  const sample = [0, 1, 1000, 2500, 4000, 4899, 4950, 4999]
  t.same(await Promise.all(sample.map(status)), sample.map(() => 401), 'cached or evicted, tokens of a removed key are refused')
})

t.test('the refresher remembers at most 10,000 refused refresh tokens', async (t) => {
  // 10,001 real round trips would cost seconds; the bound is the refresher's, so its client answers
  // invalid_grant in memory here (the HTTP path is covered by the resilience tests).
  let grants = 0
  const refresher = new Refresher(async () => {
    grants++
    throw new RefreshRejectedError('invalid_grant')
  }, (_token, err) => err instanceof RefreshRejectedError)
  for (let i = 0; i < 10_001; i++) await refresher.refresh(`refused-${i}`).catch(() => {})
  t.equal(grants, 10_001)
  t.equal(refresher.size, 10_000, 'the memory of refused tokens is capped')

  t.equal((await refresher.refresh('refused-10000').catch((err: Error & { code: string }) => err) as Error & { code: string }).code, 'FST_COGNITO_REFRESH_REJECTED')
  t.equal(grants, 10_001, 'the newest refused token is remembered: Cognito is not asked again')
  t.equal((await refresher.refresh('refused-0').catch((err: Error & { code: string }) => err) as Error & { code: string }).code, 'FST_COGNITO_REFRESH_REJECTED')
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
