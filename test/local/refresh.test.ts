import t from 'tap'
import { claims, signInForTokens, start, token } from '../helpers/local-cognito.js'
import { sleep } from '../helpers/sleep.js'

t.test('without rotation a refresh answers new access and ID tokens and no refresh token', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  const answer = await token(local, local.clients.confidential, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(answer.status, 200)
  t.same(Object.keys(answer.body).sort(), ['access_token', 'expires_in', 'id_token', 'token_type'], 'no refresh_token, no scope')
  const access = claims(answer.body.access_token as string)
  const id = claims(answer.body.id_token as string)
  t.not(access.jti, claims(tokens.access_token).jti, 'a new access token')
  t.equal(access.origin_jti, claims(tokens.access_token).origin_jti, 'same sign-in: same origin_jti')
  t.equal(access.auth_time, claims(tokens.access_token).auth_time, 'auth_time stays the sign-in time')
  t.equal(id.aud, 'local-confidential-client')
  t.equal(id.token_use, 'id')
  t.equal(local.stats.refreshTokenGrants, 1)

  const again = await token(local, local.clients.confidential, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(again.status, 200, 'the same refresh token keeps working')
  t.equal(local.stats.refreshTokenGrants, 2)
})

t.test('the public client refreshes with client_id in the body', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local, { client: local.clients.public })
  const answer = await token(local, local.clients.public, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(answer.status, 200)
  t.equal(claims(answer.body.access_token as string).client_id, 'local-public-client')
})

t.test('a refresh token works only for the client it was issued to', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  const answer = await token(local, local.clients.public, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(answer.status, 400)
  t.equal(answer.body.error, 'invalid_grant')
})

t.test('an unknown refresh token is invalid_grant with HTTP 400', async (t) => {
  const local = await start(t)
  const answer = await token(local, local.clients.confidential, { grant_type: 'refresh_token', refresh_token: 'x'.repeat(1850) })
  t.equal(answer.status, 400)
  t.equal(answer.body.error, 'invalid_grant')
  t.equal(local.stats.refreshTokenGrants, 0)
})

t.test('a refresh token expires after refreshTokenTtl', async (t) => {
  const local = await start(t, { refreshTokenTtl: 1 })
  const tokens = await signInForTokens(local)
  await sleep(2100)
  const answer = await token(local, local.clients.confidential, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(answer.status, 400)
  t.equal(answer.body.error, 'invalid_grant')
})
