import t from 'tap'
import { request } from 'undici'
import { postForm, signInForTokens, start, token } from '../helpers/local-cognito.js'

t.test('a revoked refresh token gets invalid_grant and isRevoked says so', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  t.equal(local.isRevoked(tokens.refresh_token), false)
  const res = await postForm(local, '/oauth2/revoke', local.clients.confidential, { token: tokens.refresh_token })
  t.equal(res.status, 200)
  t.same(res.body, {}, 'an empty answer')
  t.equal(local.stats.revocations, 1)
  t.equal(local.isRevoked(tokens.refresh_token), true)

  const refreshed = await token(local, local.clients.confidential, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(refreshed.status, 400)
  t.equal(refreshed.body.error, 'invalid_grant')
  t.equal(local.stats.refreshTokenGrants, 0)
})

t.test('revocation also ends the access tokens of that sign-in at /oauth2/userInfo', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  const userInfo = async (): Promise<number> =>
    (await request(`${local.url}/oauth2/userInfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).statusCode
  t.equal(await userInfo(), 200)
  await postForm(local, '/oauth2/revoke', local.clients.confidential, { token: tokens.refresh_token })
  t.equal(await userInfo(), 401)
})

t.test('revoking one sign-in\'s refresh token leaves another sign-in\'s working', async (t) => {
  const local = await start(t)
  const first = await signInForTokens(local)
  const second = await signInForTokens(local)
  await postForm(local, '/oauth2/revoke', local.clients.confidential, { token: first.refresh_token })
  const refreshed = await token(local, local.clients.confidential, { grant_type: 'refresh_token', refresh_token: second.refresh_token })
  t.equal(refreshed.status, 200)
  t.equal(local.isRevoked(second.refresh_token), false)
})

t.test('revoking a rotated refresh token revokes its whole family', async (t) => {
  const local = await start(t, { refreshTokenRotation: true, rotationGracePeriod: 60 })
  const tokens = await signInForTokens(local)
  const rotated = await token(local, local.clients.confidential, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  await postForm(local, '/oauth2/revoke', local.clients.confidential, { token: rotated.body.refresh_token as string })
  t.equal(local.isRevoked(tokens.refresh_token), true, 'the earlier token of the family too')
  const old = await token(local, local.clients.confidential, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(old.body.error, 'invalid_grant', 'even within the grace period')
})

t.test('the public client revokes with client_id in the body', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local, { client: local.clients.public })
  const res = await postForm(local, '/oauth2/revoke', local.clients.public, { token: tokens.refresh_token })
  t.equal(res.status, 200)
  t.equal(local.isRevoked(tokens.refresh_token), true)
})

t.test('an unknown token is answered 200 as well', async (t) => {
  const local = await start(t)
  const res = await postForm(local, '/oauth2/revoke', local.clients.confidential, { token: 'never-issued' })
  t.equal(res.status, 200)
  t.equal(local.stats.revocations, 1)
  t.equal(local.isRevoked('never-issued'), false)
})

t.test('another client\'s refresh token is left alone', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  const res = await postForm(local, '/oauth2/revoke', local.clients.public, { token: tokens.refresh_token })
  t.equal(res.status, 200)
  t.equal(local.isRevoked(tokens.refresh_token), false)
})

t.test('an access token cannot be revoked: 400 unsupported_token_type', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  const res = await postForm(local, '/oauth2/revoke', local.clients.confidential, { token: tokens.access_token })
  t.equal(res.status, 400)
  t.equal(res.body.error, 'unsupported_token_type')
  t.equal(local.stats.revocations, 0, 'failures are not counted')
})

t.test('revocation needs client authentication: 400 invalid_client', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  const res = await postForm(local, '/oauth2/revoke', { clientId: local.clients.confidential.clientId, clientSecret: 'wrong' }, { token: tokens.refresh_token })
  t.equal(res.status, 400)
  t.equal(res.body.error, 'invalid_client')
  t.equal(local.isRevoked(tokens.refresh_token), false)
})
