/**
 * Where guards find the token (bearer header, session cookies), how chained guards share the
 * identity, and how the ID token of a cookie session is loaded.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import type { CognitoIdentity } from '../../lib/index.js'
import { buildApp, meRoutes } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())

const checks: CognitoIdentity[] = []
const app = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false }, {
  routes: (app) => {
    meRoutes(app)
    const record = (identity: CognitoIdentity): boolean => { checks.push(identity); return true }
    app.get('/chained', { preHandler: [app.cognito.authenticate, app.cognito.requireGroups(['admin']), app.cognito.requireClaims(record), app.cognito.requireClaims(record)] }, async (request) => request.cognito)
    app.get('/no-id', { preHandler: app.cognito.guard({ idToken: false }) }, async (request) => request.cognito)
    app.get('/id-later', { preHandler: [app.cognito.guard({ idToken: false }), app.cognito.guard({ idToken: false }), app.cognito.requireGroups(['admin'])] }, async (request) => request.cognito)
  }
})

const aliceTokens = await pool.mintTokens({ username: 'alice', groups: ['admin', 'editor'] })
const aliceCookies = app.cognito.sealSession(aliceTokens)

t.test('a cookie session is identified from its sealed cookies, with the ID token loaded', async (t) => {
  const res = await app.inject({ url: '/me', cookies: aliceCookies })
  t.equal(res.statusCode, 200)
  const identity = res.json()
  t.match(identity, { source: 'cookie', username: 'alice', groups: ['admin', 'editor'] })
  t.match(identity.idToken, { token_use: 'id', 'cognito:username': 'alice', email: 'alice@example.com' })
  t.equal(res.headers['set-cookie'], undefined, 'nothing to re-seal')
})

t.test('a bearer request has no ID token; a bearer token wins over the session cookie', async (t) => {
  const bob = await pool.mintAccessToken({ username: 'bob' })
  const res = await app.inject({ url: '/me', headers: pool.bearer(bob), cookies: aliceCookies })
  t.match(res.json(), { source: 'bearer', username: 'bob', idToken: null })
})

t.test('guard({ idToken: false }) leaves the ID token unloaded; a later guard loads it', async (t) => {
  const noId = await app.inject({ url: '/no-id', cookies: aliceCookies })
  t.equal(noId.json().idToken, null)
  const later = await app.inject({ url: '/id-later', cookies: aliceCookies })
  t.equal(later.statusCode, 200)
  t.equal(later.json().idToken?.['cognito:username'], 'alice', 'the last guard loaded the ID token onto the same identity')
  const bearer = await app.inject({ url: '/id-later', headers: pool.bearer(aliceTokens.accessToken) })
  t.equal(bearer.json().idToken, null, 'a bearer identity never gets an ID token from cookies')
})

t.test('chained guards reuse the identity the first one made', async (t) => {
  checks.length = 0
  const res = await app.inject({ url: '/chained', cookies: aliceCookies })
  t.equal(res.statusCode, 200)
  t.equal(checks.length, 2)
  t.equal(checks[0], checks[1], 'both checks saw the very same identity object')
})

t.test('an ID token cookie that does not verify or belongs to someone else is left out, the user stays signed in', async (t) => {
  const bobId = await pool.mintIdToken({ username: 'bob' })
  const expiredId = await pool.mintIdToken({ username: 'alice', expiresIn: -60 })
  for (const [what, idToken] of [['another user\'s', bobId], ['an expired', expiredId], ['an access token as', aliceTokens.accessToken]] as const) {
    const cookies = app.cognito.sealSession({ accessToken: aliceTokens.accessToken, idToken })
    const res = await app.inject({ url: '/me', cookies })
    t.equal(res.statusCode, 200, what)
    t.equal(res.json().idToken, null, `${what} ID token is not loaded`)
  }
  const accessOnly = app.cognito.sealSession({ accessToken: aliceTokens.accessToken })
  t.equal((await app.inject({ url: '/me', cookies: accessOnly })).json().idToken, null, 'no ID token cookie')
})

t.test('an expired or foreign access cookie without a refresh token is a 401', async (t) => {
  const expired = app.cognito.sealSession({ accessToken: await pool.mintAccessToken({ username: 'alice', expiresIn: -60 }) })
  const res = await app.inject({ url: '/me', cookies: expired })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_TOKEN_EXPIRED')
  t.equal(res.headers['www-authenticate'], 'Bearer', 'no bearer credentials were sent')
  const foreign = app.cognito.sealSession({ accessToken: await pool.mintAccessToken({ username: 'alice', claims: { client_id: 'other' } }) })
  const res2 = await app.inject({ url: '/me', cookies: foreign })
  t.equal(res2.statusCode, 401)
  t.equal(res2.json().code, 'FST_COGNITO_INVALID_TOKEN')
  t.equal(res2.headers['www-authenticate'], 'Bearer', 'a cookie session sent no bearer credentials either')
})

t.test('tokenSources { cookie: false } ignores session cookies', async (t) => {
  const bearerOnly = await buildApp(t, { ...pool.pluginOptions(), tokenSources: { cookie: false } }, { routes: meRoutes })
  const cookie = await bearerOnly.inject({ url: '/me', cookies: bearerOnly.cognito.sealSession(aliceTokens) })
  t.equal(cookie.statusCode, 401)
  t.equal(cookie.json().code, 'FST_COGNITO_UNAUTHENTICATED')
  t.equal((await bearerOnly.inject({ url: '/me', headers: pool.bearer(aliceTokens.accessToken) })).statusCode, 200)
})

t.test('tokenSources { bearer: false } ignores the Authorization header', async (t) => {
  const cookieOnly = await buildApp(t, { ...pool.pluginOptions(), tokenSources: { bearer: false }, redirectToLogin: false }, { routes: meRoutes })
  t.equal((await cookieOnly.inject({ url: '/me', headers: pool.bearer(aliceTokens.accessToken) })).statusCode, 401)
  const cookies = cookieOnly.cognito.sealSession(aliceTokens)
  const res = await cookieOnly.inject({ url: '/me', headers: { authorization: 'Bearer not-even-a-jwt' }, cookies })
  t.equal(res.statusCode, 200, 'a bearer header is not even looked at')
  t.equal(res.json().source, 'cookie')
})

t.test('guards answer 503 when the signing keys cannot be fetched, even for a browser navigation', async (t) => {
  const dead = await createTestPool()
  await dead.close()
  const offline = await buildApp(t, { ...dead.pluginOptions(), jwks: { warmup: false } }, { routes: meRoutes })
  const cookies = offline.cognito.sealSession(await dead.mintTokens({ username: 'alice' }))
  const res = await offline.inject({ url: '/me', cookies, headers: { accept: 'text/html' } })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_COGNITO_JWKS_UNAVAILABLE')
  const bearer = await offline.inject({ url: '/me', headers: dead.bearer(await dead.mintAccessToken({ username: 'alice' })) })
  t.equal(bearer.statusCode, 503)
})
