/**
 * How the app client authenticates at the token endpoint: a confidential client with HTTP Basic
 * and no client_id in the body, a public client with client_id in the body and no Authorization.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'
import { fakeRefreshToken, idpOptions, startTokenEndpoint } from '../helpers/token-endpoint.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const idp = await startTokenEndpoint(t, pool)

t.test('a confidential client sends Basic auth and no client_id in the body', async (t) => {
  const app = await buildApp(t, { ...idpOptions(pool, idp), clientSecret: 's3cr3t/with+odd:chars' })
  const refreshToken = fakeRefreshToken('confidential')
  const before = idp.requests.length
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: app.cognito.sealSession({ accessToken: 'x', refreshToken }) })
  t.equal(res.statusCode, 200)
  const seen = idp.requests[before]
  const expected = Buffer.from(`${encodeURIComponent('test-client')}:${encodeURIComponent('s3cr3t/with+odd:chars')}`).toString('base64')
  t.equal(seen?.headers.authorization, `Basic ${expected}`)
  t.equal(seen?.form?.has('client_id'), false, 'no client_id in the body')
  t.equal(seen?.form?.get('grant_type'), 'refresh_token')
  t.equal(seen?.form?.get('refresh_token'), refreshToken)
  t.match(seen?.headers['content-type'], /^application\/x-www-form-urlencoded/)
})

t.test('a public client sends client_id in the body and no Authorization header', async (t) => {
  const app = await buildApp(t, idpOptions(pool, idp))
  const before = idp.requests.length
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: app.cognito.sealSession({ accessToken: 'x', refreshToken: fakeRefreshToken('public') }) })
  t.equal(res.statusCode, 200)
  const seen = idp.requests[before]
  t.equal(seen?.headers.authorization, undefined)
  t.equal(seen?.form?.get('client_id'), 'test-client')
})
