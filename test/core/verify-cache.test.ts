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
