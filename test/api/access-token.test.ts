/**
 * `app.cognito.accessToken(request, reply)`: the caller's raw access token for the app's calls to
 * other APIs; a session's is renewed first (refresh grant, cookies rewritten) when it has under 60 s left.
 */
import t from 'tap'
import { buildApp } from '../helpers/app.js'
import { fakeRefreshToken, idpOptions, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const app = await buildApp(t, { ...idpOptions(pool, idp), redirectToLogin: false }, {
  routes: (app) => {
    app.get('/guarded', { preHandler: app.cognito.authenticate }, async (request, reply) => app.cognito.accessToken(request, reply))
    app.get('/open', async (request, reply) => app.cognito.accessToken(request, reply))
  }
})

t.test('a bearer request gets its bearer token back, guarded or not', async (t) => {
  const token = await pool.mintAccessToken({ username: 'alice' })
  t.equal((await app.inject({ url: '/guarded', headers: pool.bearer(token) })).body, token)
  t.equal((await app.inject({ url: '/open', headers: pool.bearer(token) })).body, token)
  t.equal((await app.inject({ url: '/open', headers: pool.bearer('nope.nope.nope') })).statusCode, 401, 'verified first')
})

t.test('a session with time left gets its token, no grant', async (t) => {
  const tokens = await pool.mintTokens({ username: 'alice' })
  const before = idp.counts.token
  const res = await app.inject({ url: '/guarded', cookies: app.cognito.sealSession({ ...tokens, refreshToken: fakeRefreshToken() }) })
  t.equal(res.body, tokens.accessToken)
  t.equal(idp.counts.token, before)
})

t.test('a session token with under 60 s left is renewed first, and the renewed cookies are written', async (t) => {
  const tokens = await pool.mintTokens({ username: 'alice', expiresIn: 30 })
  const before = idp.counts.token
  const res = await app.inject({ url: '/open', cookies: app.cognito.sealSession({ ...tokens, refreshToken: fakeRefreshToken('near') }) })
  t.equal(res.statusCode, 200)
  t.not(res.body, tokens.accessToken)
  t.equal(idp.counts.token, before + 1)
  t.equal(idp.requests.at(-1)?.form?.get('grant_type'), 'refresh_token')
  t.ok(res.cookies.some(c => c.name.endsWith('_access')), 'the new access cookie is set')
})

t.test('without a refresh token, a nearly expired token is still returned; no session is a 401', async (t) => {
  const tokens = await pool.mintTokens({ username: 'alice', expiresIn: 30 })
  t.equal((await app.inject({ url: '/open', cookies: app.cognito.sealSession(tokens) })).body, tokens.accessToken)
  const expired = await pool.mintTokens({ username: 'alice', expiresIn: -600 })
  const res = await app.inject({ url: '/open', cookies: app.cognito.sealSession(expired) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_TOKEN_EXPIRED')
  t.equal((await app.inject({ url: '/open' })).json().code, 'FST_COGNITO_UNAUTHENTICATED')
})

t.test('an expired session token with a refresh token is renewed', async (t) => {
  const expired = await pool.mintTokens({ username: 'alice', expiresIn: -600 })
  const res = await app.inject({ url: '/open', cookies: app.cognito.sealSession({ ...expired, refreshToken: fakeRefreshToken('old') }) })
  t.equal(res.statusCode, 200)
  t.not(res.body, expired.accessToken)
})

t.test('a JWKS outage is a 503, not a renewal', async (t) => {
  const other = await buildApp(t, { ...idpOptions(pool, idp), issuer: `${idp.url}/us-east-1_Faulty`, jwks: { warmup: false } }, {
    routes: (app) => app.get('/open', async (request, reply) => app.cognito.accessToken(request, reply))
  })
  idp.setJwks('status500')
  t.teardown(() => idp.setJwks('ok'))
  const tokens = await pool.mintTokens({ username: 'alice' })
  const res = await other.inject({ url: '/open', cookies: other.cognito.sealSession({ ...tokens, refreshToken: fakeRefreshToken() }) })
  t.equal(res.statusCode, 503)
})

t.test('with session cookies only, an unguarded route gets the session\'s token', async (t) => {
  const cookieOnly = await buildApp(t, { ...idpOptions(pool, idp), tokenSources: { bearer: false, cookie: true } }, {
    routes: (app) => app.get('/open', async (request, reply) => app.cognito.accessToken(request, reply))
  })
  const tokens = await pool.mintTokens({ username: 'alice' })
  t.equal((await cookieOnly.inject({ url: '/open', cookies: cookieOnly.cognito.sealSession(tokens) })).body, tokens.accessToken)
})

t.test('with the refresh flow off, a nearly expired session token is returned as it is', async (t) => {
  const noRefresh = await buildApp(t, { ...idpOptions(pool, idp), refresh: false }, {
    routes: (app) => app.get('/open', async (request, reply) => app.cognito.accessToken(request, reply))
  })
  const tokens = await pool.mintTokens({ username: 'alice', expiresIn: 30 })
  const before = idp.counts.token
  t.equal((await noRefresh.inject({ url: '/open', cookies: noRefresh.cognito.sealSession(tokens) })).body, tokens.accessToken)
  t.equal(idp.counts.token, before)
})

t.test('with bearer tokens only, a request without one is a 401', async (t) => {
  const bearerOnly = await buildApp(t, { ...idpOptions(pool, idp), tokenSources: { bearer: true, cookie: false } }, {
    routes: (app) => app.get('/open', async (request, reply) => app.cognito.accessToken(request, reply))
  })
  t.equal((await bearerOnly.inject({ url: '/open' })).statusCode, 401)
})

t.test('the raw token travels with the identity, but nothing that shows or copies the identity shows it', async (t) => {
  const { inspect } = await import('node:util')
  const seen: string[] = []
  const local = await buildApp(t, { ...idpOptions(pool, idp), redirectToLogin: false }, {
    routes: (app) => app.get('/show', { preHandler: app.cognito.authenticate }, async (request, reply) => {
      const identity = request.cognito as object
      seen.push(JSON.stringify(identity), inspect(identity, { showHidden: true, depth: 5 }), JSON.stringify({ ...identity }))
      return app.cognito.accessToken(request, reply)
    })
  })
  const tokens = await pool.mintTokens({ username: 'alice' })
  for (const credentials of [{ headers: pool.bearer(tokens.accessToken) }, { cookies: local.cognito.sealSession(tokens) }]) {
    seen.length = 0
    const res = await local.inject({ url: '/show', ...credentials })
    t.equal(res.body, tokens.accessToken, 'accessToken() finds it')
    t.equal(seen.length, 3)
    for (const shown of seen) t.notOk(shown.includes(tokens.accessToken), 'not in JSON, util.inspect or a spread copy')
  }
})
