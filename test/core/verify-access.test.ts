import t from 'tap'
import { generateKeyPair, SignJWT } from 'jose'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp, meRoutes } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const now = (): number => Math.floor(Date.now() / 1000)

const app = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false }, { routes: meRoutes })

t.test('a bearer access token of this pool and client is accepted', async (t) => {
  const token = await pool.mintAccessToken({ username: 'alice', groups: ['admin'], scopes: ['openid', 'orders/read'] })
  const res = await app.inject({ url: '/me', headers: pool.bearer(token) })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { source: 'bearer', username: 'alice', groups: ['admin'], scopes: ['openid', 'orders/read'], idToken: null, accessToken: { token_use: 'access', client_id: 'test-client' } })
  const claims = await app.cognito.verifyAccessToken(token)
  t.equal(claims.username, 'alice')
})

t.test('the Bearer scheme is case-insensitive and tolerates extra spaces', async (t) => {
  const token = await pool.mintAccessToken({ username: 'alice' })
  t.equal((await app.inject({ url: '/me', headers: { authorization: `bearer   ${token} ` } })).statusCode, 200)
})

async function refused (token: string, code: string): Promise<Record<string, unknown>> {
  const res = await app.inject({ url: '/me', headers: pool.bearer(token) })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"')
  t.equal(res.json().code, code)
  return res.json()
}

t.test('an ID token presented as the access token is refused', async (t) => {
  const idToken = await pool.mintIdToken({ username: 'alice' })
  const body = await refused(idToken, 'FST_COGNITO_INVALID_TOKEN')
  t.match(body.message, 'token_use is not "access"')
})

t.test('an access token of another app client is refused', async (t) => {
  const token = await pool.mintAccessToken({ username: 'alice', claims: { client_id: 'another-client' } })
  const body = await refused(token, 'FST_COGNITO_INVALID_TOKEN')
  t.match(body.message, 'client_id is not this app client')
})

t.test('an access token of another issuer is refused', async (t) => {
  const token = await pool.mintAccessToken({ username: 'alice', claims: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' } })
  const body = await refused(token, 'FST_COGNITO_INVALID_TOKEN')
  t.match(body.message, 'iss is not this user pool')
  t.notMatch(body.message, 'us-east-1_Other', 'the reason does not echo the token\'s values')
})

t.test('additionalIssuers are accepted as well as the issuer', async (t) => {
  const extra = 'https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool'
  const multi = await buildApp(t, { ...pool.pluginOptions(), additionalIssuers: [extra] }, { routes: meRoutes })
  const viaExtra = await pool.mintAccessToken({ username: 'alice', claims: { iss: extra } })
  const viaMain = await pool.mintAccessToken({ username: 'alice' })
  t.equal((await multi.inject({ url: '/me', headers: pool.bearer(viaExtra) })).statusCode, 200)
  t.equal((await multi.inject({ url: '/me', headers: pool.bearer(viaMain) })).statusCode, 200)
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(viaExtra) })).statusCode, 401, 'not accepted where not configured')
})

t.test('an expired token is refused with FST_COGNITO_TOKEN_EXPIRED; within the leeway it is accepted', async (t) => {
  const expired = await pool.mintAccessToken({ username: 'alice', expiresIn: -60 })
  const res = await app.inject({ url: '/me', headers: pool.bearer(expired) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_TOKEN_EXPIRED')
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"')

  const justExpired = await pool.mintAccessToken({ username: 'alice', expiresIn: -2 })
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(justExpired) })).statusCode, 200, 'default leeway 5 s')

  const strict = await buildApp(t, { ...pool.pluginOptions(), leeway: 0 }, { routes: meRoutes })
  t.equal((await strict.inject({ url: '/me', headers: pool.bearer(justExpired) })).statusCode, 401, 'leeway 0 refuses it')
})

t.test('a token issued in the future beyond the leeway is refused; within it, accepted', async (t) => {
  const future = await pool.mintAccessToken({ username: 'alice', claims: { iat: now() + 60, exp: now() + 3660 } })
  const body = await refused(future, 'FST_COGNITO_INVALID_TOKEN')
  t.match(body.message, 'iat is in the future')
  const skewed = await pool.mintAccessToken({ username: 'alice', claims: { iat: now() + 2 } })
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(skewed) })).statusCode, 200, 'Cognito\'s iat a second or two ahead is fine')
})

t.test('a token that is not yet valid (nbf) is refused', async (t) => {
  const token = await pool.mintAccessToken({ username: 'alice', claims: { nbf: now() + 600 } })
  await refused(token, 'FST_COGNITO_INVALID_TOKEN')
})

t.test('tokens missing a Cognito claim are refused', async (t) => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['no token_use', { token_use: undefined }, 'token_use is not "access"'],
    ['no sub', { sub: undefined }, 'sub is missing'],
    ['an empty sub', { sub: '' }, 'sub is missing'],
    ['a sub that is not a string', { sub: 42 }, 'malformed token'],
    ['no username', { username: undefined }, 'username is missing'],
    ['no iat', { iat: undefined }, 'iat is missing'],
    ['an iat that is not a number', { iat: 'yesterday' }, 'malformed token'],
    ['no exp', { exp: undefined }, 'exp is missing']
  ]
  for (const [what, claims, message] of cases) {
    const token = await pool.mintAccessToken({ username: 'alice', claims })
    const res = await app.inject({ url: '/me', headers: pool.bearer(token) })
    t.equal(res.statusCode, 401, what)
    t.match(res.json().message, message, what)
  }
})

t.test('tokens not signed by the pool with RS256 are refused', async (t) => {
  const good = await pool.mintAccessToken({ username: 'alice' })
  const [header, payload] = good.split('.') as [string, string]
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`
  t.match(await refused(unsigned, 'FST_COGNITO_INVALID_TOKEN'), { message: /malformed token|alg is not RS256/ })
  const resigned = `${header}.${payload}.${Buffer.alloc(256, 1).toString('base64url')}`
  t.match(await refused(resigned, 'FST_COGNITO_INVALID_TOKEN'), { message: /signature does not verify/ })

  const { privateKey } = await generateKeyPair('ES256')
  const es = await new SignJWT({ sub: 'x', username: 'alice', token_use: 'access', client_id: 'test-client', iss: pool.issuer })
    .setProtectedHeader({ alg: 'ES256', kid: 'whatever' }).setIssuedAt().setExpirationTime('1h').sign(privateKey)
  t.match(await refused(es, 'FST_COGNITO_INVALID_TOKEN'), { message: /no key of the pool matches/ })
})

t.test('garbage and oversized bearer tokens are 401, never 500', async (t) => {
  for (const token of ['abc', 'a.b.c', 'eyJ.eyJ.sig', `${'a'.repeat(17 * 1024)}.b.c`]) {
    const res = await app.inject({ url: '/me', headers: pool.bearer(token) })
    t.equal(res.statusCode, 401, token.slice(0, 12))
    t.equal(res.json().code, 'FST_COGNITO_INVALID_TOKEN')
  }
  await t.rejects(app.cognito.verifyAccessToken(42 as unknown as string), { code: 'FST_COGNITO_INVALID_TOKEN', message: /malformed token/ })
})

t.test('a malformed Bearer Authorization header is a 401 invalid_token, not a fall-back to cookies', async (t) => {
  const cookies = app.cognito.sealSession(await pool.mintTokens({ username: 'alice' }))
  for (const authorization of ['Bearer', 'Bearer a b', 'bearer {json}', 'Bearer\ttoken']) {
    const res = await app.inject({ url: '/me', headers: { authorization }, cookies })
    t.equal(res.statusCode, 401, authorization)
    t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"')
    t.match(res.json().message, 'malformed Authorization header')
  }
})

t.test('WWW-Authenticate is a bare Bearer challenge when no credentials were sent', async (t) => {
  const res = await app.inject({ url: '/me' })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer')
  t.equal(res.json().code, 'FST_COGNITO_UNAUTHENTICATED')
})

t.test('verifyAccessToken throws the coded errors', async (t) => {
  await t.rejects(app.cognito.verifyAccessToken(await pool.mintAccessToken({ username: 'a', expiresIn: -60 })), { code: 'FST_COGNITO_TOKEN_EXPIRED', statusCode: 401 })
  await t.rejects(app.cognito.verifyAccessToken(await pool.mintIdToken({ username: 'a' })), { code: 'FST_COGNITO_INVALID_TOKEN', statusCode: 401 })
})
