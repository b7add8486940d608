import t from 'tap'
import { createHash } from 'node:crypto'
import { request } from 'undici'
import { claims, kid, signInForTokens, start } from '../helpers/local-cognito.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('access and ID tokens carry Cognito\'s claims and only those of the right token', async (t) => {
  const local = await start(t)
  const before = Math.floor(Date.now() / 1000)
  const tokens = await signInForTokens(local, { scope: 'openid email profile aws.cognito.signin.user.admin' })
  const access = claims(tokens.access_token)
  const id = claims(tokens.id_token)

  t.same(Object.keys(access), [
    'sub', 'cognito:groups', 'iss', 'version', 'client_id', 'origin_jti', 'event_id', 'token_use', 'scope',
    'auth_time', 'exp', 'iat', 'jti', 'username'
  ], 'the access token has Cognito\'s claims, in Cognito\'s order, and no aud')
  t.match(access, {
    sub: UUID,
    'cognito:groups': ['admin', 'editor'],
    iss: local.issuer,
    version: 2,
    client_id: 'local-confidential-client',
    token_use: 'access',
    scope: 'openid email profile aws.cognito.signin.user.admin',
    username: 'alice'
  })
  t.ok((access.auth_time as number) >= before && (access.auth_time as number) <= (access.iat as number), 'auth_time is the sign-in')
  t.equal((access.exp as number) - (access.iat as number), 3600)

  t.match(id, {
    sub: access.sub,
    iss: local.issuer,
    aud: 'local-confidential-client',
    token_use: 'id',
    'cognito:username': 'alice',
    'cognito:groups': ['admin', 'editor'],
    email: 'alice@example.com',
    email_verified: true,
    phone_number_verified: true,
    'custom:tenant': 'acme',
    nonce: 'nonce-456',
    auth_time: access.auth_time,
    origin_jti: access.origin_jti,
    event_id: access.event_id,
    jti: UUID
  })
  t.notOk('username' in id, 'the ID token names the user cognito:username')
  t.notOk('sid' in id || 'scope' in id || 'client_id' in id, 'no sid, scope or client_id in the ID token')
  t.equal((id.exp as number) - (id.iat as number), 3600, 'the ID token lives as long as the access token')
  const digest = createHash('sha256').update(tokens.access_token).digest()
  t.equal(id.at_hash, digest.subarray(0, 16).toString('base64url'), 'at_hash is the left half of the access token\'s SHA-256')
  t.match(access.origin_jti, UUID)
  t.match(access.event_id, UUID)
  t.not(id.jti, access.jti)
})

t.test('a user without groups gets no cognito:groups claim at all', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local, { username: 'bob' })
  t.notOk('cognito:groups' in claims(tokens.access_token), 'absent from the access token')
  t.notOk('cognito:groups' in claims(tokens.id_token), 'absent from the ID token')
  t.equal(claims(tokens.id_token)['cognito:username'], 'bob')
})

t.test('the ID token has no nonce when the authorization request sent none', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local, { nonce: null })
  t.notOk('nonce' in claims(tokens.id_token))
})

t.test('access and ID tokens are signed with two different keys, both in the JWKS', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  const res = await request(`${local.issuer}/.well-known/jwks.json`)
  const { keys } = await res.body.json() as { keys: Array<Record<string, string>> }
  t.equal(keys.length, 2)
  for (const key of keys) t.match(key, { kty: 'RSA', alg: 'RS256', use: 'sig', kid: /^[A-Za-z0-9+/]{43}=$/, n: String, e: 'AQAB' })
  t.notOk(keys.some((key) => 'd' in key), 'no private parts')
  const accessKid = kid(tokens.access_token)
  const idKid = kid(tokens.id_token)
  t.not(accessKid, idKid)
  t.same(keys.map((key) => key.kid).sort(), [accessKid, idKid].sort())
})

t.test('tokens have Cognito\'s sizes: access ~1,050, ID ~1,750, refresh ~1,850 bytes', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local, { scope: 'openid email phone profile aws.cognito.signin.user.admin' })
  t.ok(tokens.access_token.length >= 1000 && tokens.access_token.length <= 1150, `access token ${tokens.access_token.length} bytes`)
  t.ok(tokens.id_token.length >= 1600 && tokens.id_token.length <= 1900, `ID token ${tokens.id_token.length} bytes`)
  t.equal(tokens.refresh_token.length, 1850, 'refresh token 1,850 bytes')
  t.match(tokens.refresh_token, /^[\w-]+$/, 'an opaque URL-safe string')
})

t.test('without the openid scope there is no ID token, as in Cognito', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local, { scope: 'aws.cognito.signin.user.admin', nonce: null })
  t.equal(tokens.id_token, undefined)
  t.equal(claims(tokens.access_token).scope, 'aws.cognito.signin.user.admin')
})
