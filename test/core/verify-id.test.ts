import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const app = await buildApp(t, pool.pluginOptions())

t.test('verifyIdToken accepts an ID token of this pool and client, and checks the nonce when given', async (t) => {
  const token = await pool.mintIdToken({ username: 'alice', nonce: 'n-0S6_WzA2Mj', groups: ['admin'] })
  const claims = await app.cognito.verifyIdToken(token)
  t.match(claims, { token_use: 'id', aud: 'test-client', 'cognito:username': 'alice', email: 'alice@example.com', nonce: 'n-0S6_WzA2Mj', 'cognito:groups': ['admin'] })
  t.equal((await app.cognito.verifyIdToken(token, 'n-0S6_WzA2Mj')).sub, claims.sub, 'the matching nonce passes')
  await t.rejects(app.cognito.verifyIdToken(token, 'another-nonce'), { code: 'FST_COGNITO_INVALID_TOKEN', message: /nonce mismatch/ })
  const noNonce = await pool.mintIdToken({ username: 'alice' })
  await t.rejects(app.cognito.verifyIdToken(noNonce, 'n-0S6_WzA2Mj'), { code: 'FST_COGNITO_INVALID_TOKEN', message: /nonce mismatch/ }, 'a nonce expected but absent is a mismatch')
})

t.test('verifyIdToken refuses ID tokens of another audience, another issuer, or missing cognito:username', async (t) => {
  await t.rejects(app.cognito.verifyIdToken(await pool.mintIdToken({ username: 'alice', claims: { aud: 'another-client' } })), { code: 'FST_COGNITO_INVALID_TOKEN', message: /aud is not this app client/ })
  await t.rejects(app.cognito.verifyIdToken(await pool.mintIdToken({ username: 'alice', claims: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/x_y' } })), { code: 'FST_COGNITO_INVALID_TOKEN' })
  await t.rejects(app.cognito.verifyIdToken(await pool.mintIdToken({ username: 'alice', claims: { 'cognito:username': undefined } })), { code: 'FST_COGNITO_INVALID_TOKEN', message: /cognito:username is missing/ })
  await t.rejects(app.cognito.verifyIdToken(await pool.mintIdToken({ username: 'alice', expiresIn: -60 })), { code: 'FST_COGNITO_TOKEN_EXPIRED' })
})

t.test('an access token presented as an ID token is refused', async (t) => {
  const access = await pool.mintAccessToken({ username: 'alice', claims: { aud: 'test-client' } })
  await t.rejects(app.cognito.verifyIdToken(access), { code: 'FST_COGNITO_INVALID_TOKEN', message: /token_use is not "id"/ })
})
