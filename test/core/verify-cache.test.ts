/**
 * The verified-token cache: a token verified once is answered from memory (same claims object) until
 * it expires; the cache is bounded and keyed by token use.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'
import { sleep } from '../helpers/sleep.js'

const pool = await createTestPool()
t.teardown(() => pool.close())

t.test('a second verification of a token returns the same result from the cache', async (t) => {
  const app = await buildApp(t, pool.pluginOptions())
  const token = await pool.mintAccessToken({ username: 'alice' })
  const first = await app.cognito.verifyAccessToken(token)
  const second = await app.cognito.verifyAccessToken(token)
  t.equal(second, first, 'the very same claims object: no second RSA verification')
  const id = await pool.mintIdToken({ username: 'alice' })
  t.equal(await app.cognito.verifyIdToken(id), await app.cognito.verifyIdToken(id))
})

t.test('a cached access token is not accepted as an ID token (the cache is keyed by use)', async (t) => {
  const app = await buildApp(t, pool.pluginOptions())
  const token = await pool.mintAccessToken({ username: 'alice', claims: { aud: 'test-client' } })
  await app.cognito.verifyAccessToken(token)
  await t.rejects(app.cognito.verifyIdToken(token), { code: 'FST_COGNITO_INVALID_TOKEN' })
})

t.test('tokenCacheSize 0 caches nothing; tokenCacheSize 1 keeps only the latest token', async (t) => {
  const none = await buildApp(t, { ...pool.pluginOptions(), tokenCacheSize: 0 })
  const a = await pool.mintAccessToken({ username: 'alice' })
  t.not(await none.cognito.verifyAccessToken(a), await none.cognito.verifyAccessToken(a), 'verified afresh each time')

  const one = await buildApp(t, { ...pool.pluginOptions(), tokenCacheSize: 1 })
  const b = await pool.mintAccessToken({ username: 'bob' })
  const aClaims = await one.cognito.verifyAccessToken(a)
  t.equal(await one.cognito.verifyAccessToken(a), aClaims, 'a is cached')
  await one.cognito.verifyAccessToken(b)
  t.not(await one.cognito.verifyAccessToken(a), aClaims, 'b evicted a')
})

t.test('a cached token that has since expired is refused with FST_COGNITO_TOKEN_EXPIRED', async (t) => {
  const app = await buildApp(t, { ...pool.pluginOptions(), leeway: 0 })
  const token = await pool.mintAccessToken({ username: 'alice', expiresIn: 2 })
  const claims = await app.cognito.verifyAccessToken(token)
  while (Math.floor(Date.now() / 1000) < claims.exp) await sleep(100)
  await t.rejects(app.cognito.verifyAccessToken(token), { code: 'FST_COGNITO_TOKEN_EXPIRED' })
})

t.test('a forged token that ends like a cached one (its signature copied) is verified in full and refused; the real one stays cached', async (t) => {
  const app = await buildApp(t, pool.pluginOptions())
  const token = await pool.mintAccessToken({ username: 'alice', groups: ['reader'] })
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
