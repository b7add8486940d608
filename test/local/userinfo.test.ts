import t from 'tap'
import { request } from 'undici'
import { claims, signInForTokens, start } from '../helpers/local-cognito.js'
import { sleep } from '../helpers/sleep.js'

async function userInfo (url: string, accessToken?: string): Promise<{ status: number, body: Record<string, unknown> }> {
  const headers: Record<string, string> = accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` }
  const res = await request(`${url}/oauth2/userInfo`, { headers })
  return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> }
}

t.test('/oauth2/userInfo answers the user\'s attributes for a Bearer access token', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  const { status, body } = await userInfo(local.url, tokens.access_token)
  t.equal(status, 200)
  t.match(body, {
    sub: claims(tokens.access_token).sub,
    username: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    name: 'Alice Example',
    'custom:tenant': 'acme'
  })
  t.notOk('cognito:groups' in body, 'no groups at userInfo')
  t.notOk('token_use' in body || 'jti' in body, 'no token claims')
})

t.test('/oauth2/userInfo refuses a missing, tampered or foreign token with 401', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  t.equal((await userInfo(local.url)).status, 401, 'no token')

  const [header, payload, signature] = tokens.access_token.split('.') as [string, string, string]
  const forged = JSON.parse(Buffer.from(payload, 'base64url').toString())
  forged.username = 'bob'
  const tampered = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`
  const res = await userInfo(local.url, tampered)
  t.equal(res.status, 401, 'tampered payload')
  t.equal(res.body.error, 'invalid_token')

  t.equal((await userInfo(local.url, tokens.id_token)).status, 401, 'an ID token is not an access token')
  t.equal((await userInfo(local.url, 'opaque-nonsense')).status, 401, 'not a JWT')

  const other = await start(t)
  const foreign = await signInForTokens(other)
  t.equal((await userInfo(local.url, foreign.access_token)).status, 401, 'another pool\'s token')
})

t.test('/oauth2/userInfo refuses an expired access token', async (t) => {
  const local = await start(t, { accessTokenTtl: 1 })
  const tokens = await signInForTokens(local)
  await sleep(2100)
  t.equal((await userInfo(local.url, tokens.access_token)).status, 401)
})
