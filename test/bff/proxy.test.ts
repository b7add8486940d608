/**
 * The backend for frontend's proxy: what reaches the API (the user's access token, no browser
 * credentials, no hop-by-hop headers, the path under the upstream's) and what comes back (no
 * `Set-Cookie` unless allowed); a session is required (401 JSON, never a redirect), and the proxy's
 * groups and scopes are checked before anything is sent (403).
 */
import t from 'tap'
import type { TestUser } from '../../lib/testing/index.js'
import { fakeRefreshToken, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'
import { fromTheApp, startBffApp, startUpstream } from '../helpers/bff.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const upstream = await startUpstream(t, (req, res, got) => {
  if (got.url.includes('set-cookie')) res.setHeader('set-cookie', 'upstream=1; Path=/')
  res.setHeader('content-type', 'application/json')
  res.setHeader('x-upstream', 'yes')
  res.end(JSON.stringify(got))
})
const { app, base } = await startBffApp(t, pool, idp, {
  proxies: [
    { prefix: '/api/orders', upstream: `${upstream.url}/v1` },
    { prefix: '/api/admin', upstream: upstream.url, groups: ['admin', 'root'], anyGroup: true },
    { prefix: '/api/scoped', upstream: upstream.url, scopes: ['orders/write'] },
    { prefix: '/api/cookies', upstream: upstream.url, allowSetCookie: true }
  ]
})

async function session (user: TestUser = { username: 'alice', groups: ['editor'] }) {
  const tokens = await pool.mintTokens(user)
  return { tokens, cookies: app.cognito.sealSession({ ...tokens, refreshToken: fakeRefreshToken() }) }
}

t.test('the API gets the user\'s access token as a bearer, and none of the browser\'s credentials', async (t) => {
  const { tokens, cookies } = await session()
  const res = await app.inject({
    method: 'POST',
    url: '/api/orders/7?x=1',
    cookies,
    headers: fromTheApp(base, { authorization: 'Bearer not-mine', 'content-type': 'application/json', connection: 'keep-alive, x-drop', 'x-drop': '1', te: 'trailers', 'x-forwarded-for': '6.6.6.6', 'x-app': 'kept' }),
    payload: { total: 42 }
  })
  t.equal(res.statusCode, 200)
  const got = res.json()
  t.equal(got.method, 'POST')
  t.equal(got.url, '/v1/7?x=1', 'the path goes under the upstream\'s')
  t.equal(got.body, '{"total":42}', 'the body is forwarded as sent')
  t.equal(got.headers.authorization, `Bearer ${tokens.accessToken}`)
  t.equal(got.headers.cookie, undefined, 'no cookie goes upstream')
  t.equal(got.headers['x-csrf'], undefined, 'the anti-CSRF header is dropped')
  t.equal(got.headers['x-drop'], undefined, 'a header the Connection header names is dropped')
  t.equal(got.headers.te, undefined)
  t.equal(got.headers['x-forwarded-for'], '127.0.0.1', 'the BFF says who the client is; the browser does not')
  t.equal(got.headers['x-forwarded-host'], 'localhost:80')
  t.equal(got.headers['x-app'], 'kept')
  t.equal(res.headers['x-upstream'], 'yes', 'the answer\'s headers come back')
})

t.test('the prefix alone reaches the upstream\'s base path', async (t) => {
  const { cookies } = await session()
  const res = await app.inject({ url: '/api/orders', cookies, headers: fromTheApp(base) })
  t.equal(res.statusCode, 200)
  t.equal(res.json().url, '/v1')
})

t.test('the API\'s Set-Cookie is dropped, unless the proxy allows it', async (t) => {
  const { cookies } = await session()
  const dropped = await app.inject({ url: '/api/orders/set-cookie', cookies, headers: fromTheApp(base) })
  t.equal(dropped.statusCode, 200)
  t.equal(dropped.headers['set-cookie'], undefined)
  const allowed = await app.inject({ url: '/api/cookies/set-cookie', cookies, headers: fromTheApp(base) })
  t.equal(allowed.headers['set-cookie'], 'upstream=1; Path=/')
})

t.test('without a session: 401 JSON with a code, never a redirect, nothing sent upstream', async (t) => {
  const before = upstream.received.length
  for (const accept of ['application/json', 'text/html,*/*']) {
    const res = await app.inject({ url: '/api/orders/7', headers: fromTheApp(base, { accept }) })
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'FST_COGNITO_UNAUTHENTICATED')
  }
  const bearer = await app.inject({ url: '/api/orders/7', headers: fromTheApp(base, pool.bearer(await pool.mintAccessToken({ username: 'alice' }))) })
  t.equal(bearer.statusCode, 401, 'a bearer token is not a BFF session')
  t.equal(upstream.received.length, before)
})

t.test('the proxy\'s groups and scopes are checked before anything is sent (403)', async (t) => {
  const before = upstream.received.length
  const { cookies } = await session()
  const group = await app.inject({ url: '/api/admin/x', cookies, headers: fromTheApp(base) })
  t.equal(group.statusCode, 403)
  t.equal(group.json().code, 'FST_COGNITO_GROUP_REQUIRED')
  const scope = await app.inject({ url: '/api/scoped/x', cookies, headers: fromTheApp(base) })
  t.equal(scope.statusCode, 403)
  t.equal(scope.json().code, 'FST_COGNITO_SCOPE_REQUIRED')
  t.equal(upstream.received.length, before)
  const admin = await session({ username: 'root', groups: ['admin'] })
  t.equal((await app.inject({ url: '/api/admin/x', cookies: admin.cookies, headers: fromTheApp(base) })).statusCode, 200)
  const writer = await session({ username: 'w', scopes: ['openid', 'orders/write'] })
  t.equal((await app.inject({ url: '/api/scoped/x', cookies: writer.cookies, headers: fromTheApp(base) })).statusCode, 200)
})

t.test('a path that climbs out of the prefix never leaves the upstream\'s base path', async (t) => {
  const { cookies } = await session()
  const from = upstream.received.length
  for (const path of ['/api/orders/..%2f..%2fadmin', '/api/orders/%2e%2e/%2e%2e/admin', '/api/orders/..%5c..%5cadmin', '/api/orders/../../admin']) {
    const res = await app.inject({ url: path, cookies, headers: fromTheApp(base) })
    // Refused by the proxy (400), or normalised by Fastify's router into a path no proxy serves (404).
    t.ok(res.statusCode === 400 || res.statusCode === 404, `${path}: ${res.statusCode}`)
  }
  t.equal(upstream.received.length, from, 'nothing reached the upstream')
})
