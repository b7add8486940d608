import { createHash } from 'node:crypto'
import { createServer } from 'node:net'
import t from 'tap'
import Fastify from 'fastify'
import fastifyCognito from '../../lib/index.js'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import { createTestPool, type TestPool } from '../../lib/testing/index.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface Jwks { keys: Array<Record<string, unknown>> }

async function fetchJwks (pool: TestPool): Promise<Jwks> {
  const res = await fetch(pool.jwksUri)
  return await res.json() as Jwks
}

async function verify (pool: TestPool, token: string, audience?: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(pool.jwksUri))
  const { payload } = await jwtVerify(token, jwks, { issuer: pool.issuer, algorithms: ['RS256'], audience })
  return payload
}

async function portIsFree (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

const now = (): number => Math.floor(Date.now() / 1000)

t.test('a default pool runs a loopback JWKS server for us-east-1_TestPool / test-client', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  t.equal(pool.userPoolId, 'us-east-1_TestPool')
  t.equal(pool.region, 'us-east-1')
  t.equal(pool.clientId, 'test-client')
  t.match(pool.issuer, /^http:\/\/127\.0\.0\.1:\d+\/us-east-1_TestPool$/)
  t.equal(pool.jwksUri, `${pool.issuer}/.well-known/jwks.json`)
  const res = await fetch(pool.jwksUri)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/json/)
})

t.test('pluginOptions point the plugin at the pool, with one random 32+ char secret per pool', async (t) => {
  const [a, b] = await Promise.all([createTestPool(), createTestPool()])
  t.teardown(async () => { await Promise.all([a.close(), b.close()]) })
  const opts = a.pluginOptions()
  t.same(Object.keys(opts).sort(), ['clientId', 'domain', 'issuer', 'logoutUri', 'redirectUri', 'region', 'secret', 'userPoolId'])
  t.equal(opts.userPoolId, a.userPoolId)
  t.equal(opts.region, a.region, 'the region is given, so pool ids of any shape work with the plugin')
  t.equal(opts.clientId, a.clientId)
  t.equal(opts.issuer, a.issuer)
  t.equal(opts.domain, new URL(a.issuer).origin, 'domain is the server base URL')
  t.equal(opts.redirectUri, 'http://localhost/auth/callback')
  t.equal(opts.logoutUri, 'http://localhost/')
  t.ok(opts.secret.length >= 32, 'secret is at least 32 characters')
  t.equal(a.pluginOptions().secret, opts.secret, 'the secret is made once per pool')
  t.not(b.pluginOptions().secret, opts.secret, 'another pool has another secret')
  t.not(a.pluginOptions(), opts, 'each call returns a fresh object')
})

t.test('the JWKS holds exactly two public RS256 signing keys and no private parts', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const { keys } = await fetchJwks(pool)
  t.equal(keys.length, 2)
  for (const key of keys) {
    t.same(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'])
    t.match(key, { kty: 'RSA', alg: 'RS256', use: 'sig', kid: String })
  }
  t.not(keys[0]?.kid, keys[1]?.kid, 'the two keys have different kids')
})

t.test('access tokens verify against the served JWKS and carry exactly the Cognito access claims', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const token = await pool.mintAccessToken({ username: 'alice', groups: ['admin', 'billing'] })
  const payload = await verify(pool, token)
  t.same(Object.keys(payload).sort(), [
    'auth_time', 'client_id', 'cognito:groups', 'event_id', 'exp', 'iat', 'iss', 'jti', 'origin_jti',
    'scope', 'sub', 'token_use', 'username', 'version'
  ].sort(), 'no aud, nothing extra')
  t.match(payload, {
    iss: pool.issuer,
    client_id: 'test-client',
    token_use: 'access',
    scope: 'openid',
    username: 'alice',
    'cognito:groups': ['admin', 'billing'],
    version: 2,
    sub: UUID,
    jti: UUID,
    origin_jti: UUID,
    event_id: UUID
  })
  const iat = payload.iat as number
  t.ok(Math.abs(iat - now()) <= 2, 'iat is now')
  t.equal(payload.auth_time, iat)
  t.equal((payload.exp as number) - iat, 3600, 'lives one hour by default')

  const header = decodeProtectedHeader(token)
  t.same(header, { kid: header.kid, alg: 'RS256' }, 'header is { kid, alg } like Cognito\'s')
  const { keys } = await fetchJwks(pool)
  t.ok(keys.some(k => k.kid === header.kid), 'kid is served by the JWKS')
})

t.test('ID tokens verify with aud = client id, carry the Cognito ID claims and use the other kid', async (t) => {
  const pool = await createTestPool({ clientId: 'web-app' })
  t.teardown(() => pool.close())
  const idToken = await pool.mintIdToken({ username: 'alice', groups: ['admin'], nonce: 'n-0S6_WzA2Mj' })
  const payload = await verify(pool, idToken, 'web-app')
  t.same(Object.keys(payload).sort(), [
    'aud', 'auth_time', 'cognito:groups', 'cognito:username', 'email', 'email_verified', 'exp', 'iat',
    'iss', 'jti', 'nonce', 'origin_jti', 'sub', 'token_use'
  ].sort())
  t.match(payload, {
    iss: pool.issuer,
    aud: 'web-app',
    token_use: 'id',
    'cognito:username': 'alice',
    email: 'alice@example.com',
    email_verified: true,
    'cognito:groups': ['admin'],
    nonce: 'n-0S6_WzA2Mj',
    sub: UUID,
    jti: UUID,
    origin_jti: UUID
  })
  t.equal(payload.auth_time, payload.iat)

  const accessToken = await pool.mintAccessToken({ username: 'alice' })
  t.not(decodeProtectedHeader(idToken).kid, decodeProtectedHeader(accessToken).kid,
    'access and ID tokens are signed with different keys')
  await t.rejects(verify(pool, idToken, 'another-client'), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' })
})

t.test('ID tokens have no nonce unless one is given, and take the email given', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const payload = await verify(pool, await pool.mintIdToken({ username: 'bob', email: 'bob@corp.test' }))
  t.notOk('nonce' in payload)
  t.equal(payload.email, 'bob@corp.test')
})

t.test('sub is one stable UUID per username within a pool, unless given', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const first = await verify(pool, await pool.mintAccessToken({ username: 'alice' }))
  const again = await verify(pool, await pool.mintIdToken({ username: 'alice' }))
  const other = await verify(pool, await pool.mintAccessToken({ username: 'bob' }))
  const given = await verify(pool, await pool.mintAccessToken({ username: 'alice', sub: 'fixed-sub' }))
  t.match(first.sub, UUID)
  t.equal(again.sub, first.sub, 'same user, same sub, across token kinds')
  t.not(other.sub, first.sub, 'another user has another sub')
  t.equal(given.sub, 'fixed-sub')
  t.not(first.jti, again.jti, 'every token has its own jti')
})

t.test('users without groups get no cognito:groups claim at all', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  for (const groups of [undefined, []]) {
    const { accessToken, idToken } = await pool.mintTokens({ username: 'nogroup', groups })
    t.notOk('cognito:groups' in await verify(pool, accessToken), `access token, groups ${JSON.stringify(groups)}`)
    t.notOk('cognito:groups' in await verify(pool, idToken), `ID token, groups ${JSON.stringify(groups)}`)
  }
})

t.test('scopes are joined by spaces into the access token scope', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const payload = await verify(pool, await pool.mintAccessToken({ username: 'a', scopes: ['openid', 'orders/read', 'orders/write'] }))
  t.equal(payload.scope, 'openid orders/read orders/write')
})

t.test('expiresIn sets the lifetime; a negative one gives a token that is already expired', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const short = await verify(pool, await pool.mintAccessToken({ username: 'a', expiresIn: 300 }))
  t.equal((short.exp as number) - (short.iat as number), 300)

  const { accessToken, idToken } = await pool.mintTokens({ username: 'a', expiresIn: -60 })
  await t.rejects(verify(pool, accessToken), { code: 'ERR_JWT_EXPIRED' })
  await t.rejects(verify(pool, idToken), { code: 'ERR_JWT_EXPIRED' })
  const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(pool.jwksUri)), { currentDate: new Date((now() - 3600) * 1000) })
  t.ok(Math.abs((payload.exp as number) - (now() - 60)) <= 2, 'exp is 60 s ago')
  t.equal((payload.exp as number) - (payload.iat as number), 3600, 'issued one default lifetime before it expired')
  t.equal(payload.auth_time, payload.iat)
})

t.test('claims add custom attributes, override standard ones and remove those set to undefined', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const idToken = await pool.mintIdToken({ username: 'a', claims: { 'custom:tenant': 'acme', email_verified: false } })
  t.match(await verify(pool, idToken), { 'custom:tenant': 'acme', email_verified: false })

  const foreign = await pool.mintAccessToken({ username: 'a', claims: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' } })
  await t.rejects(verify(pool, foreign), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss' })

  const bare = await verify(pool, await pool.mintAccessToken({ username: 'a', claims: { token_use: undefined, scope: undefined } }))
  t.notOk('token_use' in bare)
  t.notOk('scope' in bare)
  t.equal(bare.username, 'a', 'other claims stay')
})

t.test('mintTokens makes one sign-in: shared sub, times and origin_jti, and an at_hash of the access token', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const { accessToken, idToken } = await pool.mintTokens({ username: 'alice', groups: ['admin'] })
  const access = await verify(pool, accessToken)
  const id = await verify(pool, idToken, pool.clientId)
  t.equal(access.token_use, 'access')
  t.equal(id.token_use, 'id')
  for (const claim of ['sub', 'iat', 'exp', 'auth_time', 'origin_jti']) {
    t.equal(id[claim], access[claim], `same ${claim}`)
  }
  t.not(id.jti, access.jti)
  const expected = createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url')
  t.equal(id.at_hash, expected)
  t.not(decodeProtectedHeader(idToken).kid, decodeProtectedHeader(accessToken).kid)
})

t.test('bearer builds the authorization header for inject', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  t.same(pool.bearer('abc.def.ghi'), { authorization: 'Bearer abc.def.ghi' })
})

t.test('rotateKeys serves two new kids, drops the old ones, and old tokens stop verifying', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const before = (await fetchJwks(pool)).keys.map(k => k.kid)
  const old = await pool.mintTokens({ username: 'alice' })
  await pool.rotateKeys()
  const after = (await fetchJwks(pool)).keys.map(k => k.kid)
  t.equal(after.length, 2)
  t.same(after.filter(kid => before.includes(kid)), [], 'no old kid is served')

  await t.rejects(verify(pool, old.accessToken), { code: 'ERR_JWKS_NO_MATCHING_KEY' })
  await t.rejects(verify(pool, old.idToken), { code: 'ERR_JWKS_NO_MATCHING_KEY' })
  const fresh = await pool.mintTokens({ username: 'alice' })
  t.ok(after.includes(decodeProtectedHeader(fresh.accessToken).kid))
  t.ok(after.includes(decodeProtectedHeader(fresh.idToken).kid))
  t.equal((await verify(pool, fresh.accessToken)).username, 'alice')
})

t.test('the server answers 404 outside GET/HEAD of the JWKS path', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const base = new URL(pool.issuer).origin
  for (const path of ['/', '/.well-known/jwks.json', '/us-east-1_Other/.well-known/jwks.json', `/${pool.userPoolId}/.well-known/openid-configuration`]) {
    t.equal((await fetch(base + path)).status, 404, `GET ${path}`)
  }
  t.equal((await fetch(pool.jwksUri, { method: 'POST' })).status, 404, 'POST on the JWKS path')
  t.equal((await fetch(`${pool.jwksUri}?x=1`)).status, 200, 'a query string is ignored')
  const head = await fetch(pool.jwksUri, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(await head.text(), '', 'HEAD has no body')
})

t.test('close frees the port even with keep-alive connections open, and may be called twice', async (t) => {
  const pool = await createTestPool()
  const port = Number(new URL(pool.issuer).port)
  // jose's fetch and undici keep the connection alive: close must not wait for it to idle out.
  await verify(pool, await pool.mintAccessToken({ username: 'a' }))
  t.equal((await fetch(pool.jwksUri)).status, 200)
  await pool.close()
  await t.rejects(fetch(pool.jwksUri), { cause: { code: 'ECONNREFUSED' } }, 'nothing listens any more')
  t.ok(await portIsFree(port), 'the port can be bound again')
  await pool.close()
  t.pass('a second close resolves')
})

t.test('a custom pool id, client id and IPv6 loopback host show up in issuer, region and tokens', async (t) => {
  const pool = await createTestPool({ userPoolId: 'eu-west-2_AbC123', clientId: 'shop', host: '::1' })
  t.teardown(() => pool.close())
  t.equal(pool.region, 'eu-west-2')
  t.match(pool.issuer, /^http:\/\/\[::1\]:\d+\/eu-west-2_AbC123$/)
  t.equal(pool.pluginOptions().domain, new URL(pool.issuer).origin)
  const payload = await verify(pool, await pool.mintAccessToken({ username: 'a' }))
  t.equal(payload.client_id, 'shop')
})

t.test('a userPoolId that is not <region>_<id> is rejected', async (t) => {
  for (const userPoolId of ['', 'nounderscore', 'us-east-1_', 'us-east-1_a/b', '../x_y']) {
    await t.rejects(createTestPool({ userPoolId }), TypeError, JSON.stringify(userPoolId))
  }
})

t.test('a host that is not a loopback address is refused before anything listens', async (t) => {
  await t.rejects(createTestPool({ host: '192.0.2.1' }), TypeError)
  await t.rejects(createTestPool({ host: '0.0.0.0' }), TypeError)
})

t.test('sessionCookies and sessionCookieHeader give a session a guarded route of the app accepts', async (t) => {
  const { default: Fastify } = await import('fastify')
  const { default: fastifyCognito } = await import('../../lib/index.js')
  const { sessionCookies, sessionCookieHeader } = await import('../../lib/testing/index.js')
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const app = Fastify()
  await app.register(fastifyCognito, pool.pluginOptions())
  app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async (request) => ({ user: request.cognito?.username, email: request.cognito?.idToken?.email }))
  t.teardown(() => app.close())
  const tokens = await pool.mintTokens({ username: 'alice', groups: ['admin'] })
  const viaInject = await app.inject({ url: '/admin', cookies: sessionCookies(app, tokens) })
  t.equal(viaInject.statusCode, 200)
  t.same(viaInject.json(), { user: 'alice', email: 'alice@example.com' })
  const viaHeader = await app.inject({ url: '/admin', headers: { cookie: sessionCookieHeader(app, tokens) } })
  t.equal(viaHeader.statusCode, 200)
  const bob = await pool.mintTokens({ username: 'bob' })
  t.equal((await app.inject({ url: '/admin', cookies: sessionCookies(app, bob) })).statusCode, 403)
})

t.test('an emulator-style pool id without a region (local_abc) works: its prefix stands in for the region', async (t) => {
  const pool = await createTestPool({ userPoolId: 'local_abc' })
  t.teardown(() => pool.close())
  t.equal(pool.region, 'local')
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCognito, pool.pluginOptions())
  app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ user: request.cognito?.username }))
  t.same((await app.inject({ url: '/me', headers: pool.bearer(await pool.mintAccessToken({ username: 'alice' })) })).json(), { user: 'alice' })
})
