/**
 * The verified-token cache: a session's tokens are cached when first verified, a bearer token when
 * verified a second time; a cached token is answered from memory (same claims object) until it
 * expires; the cache is bounded, keyed by token use, and not flushed by tokens sent once.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'
import { sleep } from '../helpers/sleep.js'

const pool = await createTestPool()
t.teardown(() => pool.close())

t.test('a bearer token is cached by its second verification and answered from the cache after it; an ID token at once', async (t) => {
  const app = await buildApp(t, pool.pluginOptions())
  const token = await pool.mintAccessToken({ username: 'alice' })
  const first = await app.cognito.verifyAccessToken(token)
  const second = await app.cognito.verifyAccessToken(token)
  t.not(second, first, 'seen once, not cached: verified again')
  t.equal(await app.cognito.verifyAccessToken(token), second, 'the very same claims object: no third RSA verification')
  const id = await pool.mintIdToken({ username: 'alice' })
  t.equal(await app.cognito.verifyIdToken(id), await app.cognito.verifyIdToken(id), 'an ID token is a session\'s: cached when first verified')
})

t.test('bearer tokens sent once do not evict the tokens that come back', async (t) => {
  const app = await buildApp(t, { ...pool.pluginOptions(), tokenCacheSize: 4 })
  const regular = await pool.mintAccessToken({ username: 'alice' })
  await app.cognito.verifyAccessToken(regular)
  const cached = await app.cognito.verifyAccessToken(regular)
  for (let i = 0; i < 40; i++) await app.cognito.verifyAccessToken(await pool.mintAccessToken({ username: `once-${i}` }))
  t.equal(await app.cognito.verifyAccessToken(regular), cached, 'ten times the cache\'s size in one-off tokens later, still cached')

  const plain = await buildApp(t, { ...pool.pluginOptions(), tokenCacheSize: 4 })
  const again = await pool.mintAccessToken({ username: 'bob' })
  await plain.cognito.verifyAccessToken(again)
  const before = await plain.cognito.verifyAccessToken(again)
  for (let i = 0; i < 5; i++) {
    const twice = await pool.mintAccessToken({ username: `twice-${i}` })
    await plain.cognito.verifyAccessToken(twice)
    await plain.cognito.verifyAccessToken(twice)
  }
  t.not(await plain.cognito.verifyAccessToken(again), before, 'tokens that came back twice do take its place (the cache is still bounded)')
})

t.test('a cached access token is not accepted as an ID token (the cache is keyed by use)', async (t) => {
  const app = await buildApp(t, pool.pluginOptions())
  const token = await pool.mintAccessToken({ username: 'alice', claims: { aud: 'test-client' } })
  await app.cognito.verifyAccessToken(token)
  await app.cognito.verifyAccessToken(token)
  await t.rejects(app.cognito.verifyIdToken(token), { code: 'FST_COGNITO_INVALID_TOKEN' })
})

t.test('tokenCacheSize 0 caches nothing; tokenCacheSize 1 keeps only the latest token', async (t) => {
  const none = await buildApp(t, { ...pool.pluginOptions(), tokenCacheSize: 0 })
  const a = await pool.mintAccessToken({ username: 'alice' })
  t.not(await none.cognito.verifyAccessToken(a), await none.cognito.verifyAccessToken(a), 'verified afresh each time')

  const one = await buildApp(t, { ...pool.pluginOptions(), tokenCacheSize: 1 })
  const b = await pool.mintAccessToken({ username: 'bob' })
  await one.cognito.verifyAccessToken(a)
  const aClaims = await one.cognito.verifyAccessToken(a)
  t.equal(await one.cognito.verifyAccessToken(a), aClaims, 'a is cached')
  await one.cognito.verifyAccessToken(b)
  await one.cognito.verifyAccessToken(b)
  t.not(await one.cognito.verifyAccessToken(a), aClaims, 'b evicted a')
})

t.test('a cached token that has since expired is refused with FST_COGNITO_TOKEN_EXPIRED', async (t) => {
  const app = await buildApp(t, { ...pool.pluginOptions(), leeway: 0 })
  const token = await pool.mintAccessToken({ username: 'alice', expiresIn: 2 })
  await app.cognito.verifyAccessToken(token)
  const claims = await app.cognito.verifyAccessToken(token)
  while (Math.floor(Date.now() / 1000) < claims.exp) await sleep(100)
  await t.rejects(app.cognito.verifyAccessToken(token), { code: 'FST_COGNITO_TOKEN_EXPIRED' })
})

t.test('a forged token that ends like a cached one (its signature copied) is verified in full and refused; the real one stays cached', async (t) => {
  const app = await buildApp(t, pool.pluginOptions())
  const token = await pool.mintAccessToken({ username: 'alice', groups: ['reader'] })
  await app.cognito.verifyAccessToken(token)
  const claims = await app.cognito.verifyAccessToken(token)
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const raised = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), 'cognito:groups': ['admin'] })).toString('base64url')
  const forged = `${header}.${raised}.${signature}`
  t.equal(forged.slice(-32), token.slice(-32), 'the forgery shares the cached token\'s tail, which indexes the cache')
  await t.rejects(app.cognito.verifyAccessToken(forged), { code: 'FST_COGNITO_INVALID_TOKEN' })
  t.equal(await app.cognito.verifyAccessToken(token), claims, 'the real token is still answered from the cache')
})

t.test('a guard knows a cached bearer token however the Authorization header spells the scheme', async (t) => {
  const app = await buildApp(t, pool.pluginOptions(), {
    routes: (app) => app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ user: request.cognito?.username }))
  })
  const token = await pool.mintAccessToken({ username: 'alice' })
  for (const authorization of [`Bearer ${token}`, `bEaReR ${token}`, `bearer ${token}`, `Bearer   ${token}`, `BEARER ${token}  `]) {
    const res = await app.inject({ url: '/me', headers: { authorization } })
    t.equal(res.statusCode, 200, JSON.stringify(authorization.replace(token, '<token>')))
    t.same(res.json(), { user: 'alice' })
  }
  const broken = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}!` } })
  t.equal(broken.statusCode, 401, 'a cached token with a stray character is not the cached token')
})
