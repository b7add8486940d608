import t from 'tap'
import { claims, signInForTokens, start, token } from '../helpers/local-cognito.js'
import { sleep } from '../helpers/sleep.js'

t.test('with rotation a refresh answers a new refresh token and the old one is rejected (grace 0)', async (t) => {
  const local = await start(t, { refreshTokenRotation: true })
  const tokens = await signInForTokens(local)
  const client = local.clients.confidential
  const rotated = await token(local, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(rotated.status, 200)
  t.same(Object.keys(rotated.body).sort(), ['access_token', 'expires_in', 'id_token', 'refresh_token', 'token_type'])
  const next = rotated.body.refresh_token as string
  t.not(next, tokens.refresh_token)
  t.equal(next.length, 1850)
  t.equal(claims(rotated.body.access_token as string).origin_jti, claims(tokens.access_token).origin_jti, 'same sign-in')

  const late = await token(local, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(late.status, 400, 'the rotated-out token is refused')
  t.equal(late.body.error, 'invalid_grant')
  t.equal(local.isRevoked(tokens.refresh_token), false, 'rotated out is not revoked')

  const winner = await token(local, client, { grant_type: 'refresh_token', refresh_token: next })
  t.equal(winner.status, 200, 'the loser of a refresh race leaves the winner\'s token working (no family revocation)')
  t.equal(local.stats.refreshTokenGrants, 2)
})

t.test('parallel refreshes with one token: one wins, the others get invalid_grant, the winner keeps working', async (t) => {
  const local = await start(t, { refreshTokenRotation: true })
  const tokens = await signInForTokens(local)
  const client = local.clients.confidential
  const answers = await Promise.all([1, 2, 3, 4].map(async () => await token(local, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })))
  const winners = answers.filter((answer) => answer.status === 200)
  t.equal(winners.length, 1, 'one winner')
  const losers = answers.filter((answer) => answer.status !== 200)
  t.same(losers.map((loser) => [loser.status, loser.body.error]), [[400, 'invalid_grant'], [400, 'invalid_grant'], [400, 'invalid_grant']])
  const next = await token(local, client, { grant_type: 'refresh_token', refresh_token: winners[0]!.body.refresh_token as string })
  t.equal(next.status, 200, 'the winner\'s new token works')
})

t.test('within the grace period the rotated-out refresh token still works', async (t) => {
  const local = await start(t, { refreshTokenRotation: true, rotationGracePeriod: 60 })
  const tokens = await signInForTokens(local)
  const client = local.clients.confidential
  const first = await token(local, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(first.status, 200)
  const second = await token(local, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(second.status, 200, 'the old token is accepted during the grace period')
  t.type(second.body.refresh_token, 'string')
})

t.test('a rotated refresh token keeps the original expiry (sessions do not slide)', async (t) => {
  const local = await start(t, { refreshTokenRotation: true, refreshTokenTtl: 4 })
  const tokens = await signInForTokens(local)
  const received = Date.now()
  const client = local.clients.confidential
  await sleep(2000)
  const rotated = await token(local, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(rotated.status, 200)
  // 4.5 s after the sign-in: past the original 4 s lifetime (expiry is whole seconds, rounded
  // down), while a lifetime counted from the rotation would last until at least 5 s.
  await sleep(received + 4500 - Date.now())
  const expired = await token(local, client, { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token as string })
  t.equal(expired.status, 400)
  t.equal(expired.body.error, 'invalid_grant')
})

t.test('rotation is a per-client setting', async (t) => {
  const local = await start(t, {
    clients: [
      { clientId: 'rotating', clientSecret: 's3cret', redirectUris: ['http://localhost:3000/postlogin'], logoutUris: ['http://localhost:3000/postlogout'], refreshTokenRotation: true },
      { clientId: 'steady', redirectUris: ['http://localhost:3000/postlogin'], logoutUris: ['http://localhost:3000/postlogout'] }
    ]
  })
  const rotating = await signInForTokens(local, { client: local.clients.confidential })
  const a = await token(local, local.clients.confidential, { grant_type: 'refresh_token', refresh_token: rotating.refresh_token })
  t.type(a.body.refresh_token, 'string', 'the rotating client gets a new refresh token')
  const steady = await signInForTokens(local, { client: local.clients.public })
  const b = await token(local, local.clients.public, { grant_type: 'refresh_token', refresh_token: steady.refresh_token })
  t.equal(b.status, 200)
  t.notOk('refresh_token' in b.body, 'the other does not')
})
