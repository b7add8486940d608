/**
 * Behind an ALB: the guards identify the user from the ALB's signed `x-amzn-oidc-data` header (ES256,
 * base64url with `=` padding, the signature over the segments as sent), trusting only the ALBs
 * listed; groups come from `x-amzn-oidc-accesstoken` when it verifies.
 */
import t from 'tap'
import { createTestAlb, createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const alb = await createTestAlb()
t.teardown(() => alb.close())
const app = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false, alb: alb.albOptions(), jwks: { cooldown: 60_000 } }, {
  routes: (app) => {
    app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => request.cognito)
    app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async () => 'admin')
  }
})

const accessToken = await pool.mintAccessToken({ username: 'alice', groups: ['admin'] })

t.test('a header signed by our ALB identifies the user, with groups from the access token', async (t) => {
  const headers = await alb.mintAlbHeaders({ pool, username: 'alice', accessToken })
  t.match(headers['x-amzn-oidc-data'], /=\./, 'AWS\'s padded form')
  const res = await app.inject({ url: '/me', headers })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { kind: 'user', source: 'alb', username: 'alice', clientId: pool.clientId, groups: ['admin'], albData: { email: 'alice@example.com' } })
  t.equal((await app.inject({ url: '/admin', headers })).statusCode, 200)
})

t.test('claims without exp rely on the header\'s exp', async (t) => {
  const headers = await alb.mintAlbHeaders({ pool, username: 'alice', claims: { exp: undefined } })
  t.equal((await app.inject({ url: '/me', headers })).statusCode, 200)
})

t.test('keys are cached by kid: one fetch for many requests', async (t) => {
  const before = alb.keyRequests
  for (let i = 0; i < 3; i++) await app.inject({ url: '/me', headers: await alb.mintAlbHeaders({ pool, username: 'alice' }) })
  t.equal(alb.keyRequests, before)
})

t.test('without (or with a foreign) access token, the user has no groups', async (t) => {
  const bare = await app.inject({ url: '/me', headers: await alb.mintAlbHeaders({ pool, username: 'bob' }) })
  t.match(bare.json(), { username: 'bob', groups: [], accessToken: null })
  const someoneElses = await alb.mintAlbHeaders({ pool, username: 'bob', sub: 'bob-sub', accessToken })
  t.match((await app.inject({ url: '/me', headers: someoneElses })).json(), { username: 'bob', groups: [] })
  const broken = await alb.mintAlbHeaders({ pool, username: 'bob', sub: 'bob-sub', accessToken: 'not.a.token' })
  t.equal((await app.inject({ url: '/admin', headers: broken })).statusCode, 403)
})

t.test('padding forms: padded and unpadded verify; stripping the padding of a padded token breaks its signature', async (t) => {
  const unpadded = await alb.mintAlbHeaders({ pool, username: 'alice', padded: false })
  t.notMatch(unpadded['x-amzn-oidc-data'], /=/)
  t.equal((await app.inject({ url: '/me', headers: unpadded })).statusCode, 200)
  let padded = await alb.mintAlbHeaders({ pool, username: 'alice', padded: true })
  for (let i = 0; !/=\./.test(padded['x-amzn-oidc-data'] as string) && i < 20; i++) padded = await alb.mintAlbHeaders({ pool, username: `alice${i}`, padded: true })
  const stripped = (padded['x-amzn-oidc-data'] as string).replace(/=+/g, '')
  const res = await app.inject({ url: '/me', headers: { 'x-amzn-oidc-data': stripped } })
  t.equal(res.statusCode, 401)
  t.match(res.json().message, /signature does not verify/)
})

t.test('a header signed by another ALB is refused without fetching a key', async (t) => {
  const before = alb.keyRequests
  const headers = await alb.mintAlbHeaders({ pool, username: 'alice', header: { signer: 'arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/evil/1' } })
  const res = await app.inject({ url: '/me', headers })
  t.equal(res.statusCode, 401)
  t.match(res.json(), { code: 'FST_COGNITO_INVALID_TOKEN', message: /load balancer not trusted/ })
  t.equal(alb.keyRequests, before)
})

t.test('tampered, expired, another client, another issuer, another alg: 401', async (t) => {
  const good = (await alb.mintAlbHeaders({ pool, username: 'alice' }))['x-amzn-oidc-data'] as string
  const [h, , s] = good.split('.')
  const forged = Buffer.from(JSON.stringify({ sub: 'x', username: 'mallory', exp: 9999999999 })).toString('base64url')
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['tampered payload', { 'x-amzn-oidc-data': `${h}.${forged}.${s}` }, /signature does not verify/],
    ['not three segments', { 'x-amzn-oidc-data': 'abc.def' }, /malformed ALB token/],
    ['a header that is not JSON', { 'x-amzn-oidc-data': `${Buffer.from('nope').toString('base64url')}.e30.${s}` }, /malformed ALB token/],
    ['another client', await alb.mintAlbHeaders({ pool, username: 'a', header: { client: 'other' } }), /client is not an accepted/],
    ['another issuer', await alb.mintAlbHeaders({ pool, username: 'a', header: { iss: 'https://evil.example.com' } }), /iss is not this user pool/],
    ['another issuer in the claims', await alb.mintAlbHeaders({ pool, username: 'a', claims: { iss: 'https://evil.example.com' } }), /iss is not this user pool/],
    ['alg none', await alb.mintAlbHeaders({ pool, username: 'a', header: { alg: 'none' } }), /alg is not ES256/],
    ['no kid', await alb.mintAlbHeaders({ pool, username: 'a', header: { kid: undefined } }), /kid is missing/],
    ['no exp', await alb.mintAlbHeaders({ pool, username: 'a', header: { exp: undefined } }), /exp is missing/],
    ['no sub', await alb.mintAlbHeaders({ pool, username: 'a', claims: { sub: undefined } }), /sub is missing/]
  ]
  for (const [what, headers, message] of cases) {
    const res = await app.inject({ url: '/me', headers })
    t.equal(res.statusCode, 401, what)
    t.match(res.json().message, message, what)
  }
  const expired = await app.inject({ url: '/me', headers: await alb.mintAlbHeaders({ pool, username: 'a', expiresIn: -60 }) })
  t.equal(expired.json().code, 'FST_COGNITO_TOKEN_EXPIRED')
  const payloadExpired = await app.inject({ url: '/me', headers: await alb.mintAlbHeaders({ pool, username: 'a', claims: { exp: 1000 } }) })
  t.equal(payloadExpired.json().code, 'FST_COGNITO_TOKEN_EXPIRED')
})

t.test('an unknown kid is a 401, and puts unknown kids in the penalty box for the cooldown', async (t) => {
  const before = alb.keyRequests
  const first = await app.inject({ url: '/me', headers: await alb.mintAlbHeaders({ pool, username: 'a', header: { kid: 'unknown-1' } }) })
  t.equal(first.statusCode, 401)
  t.match(first.json().message, /ALB key not found/)
  t.equal(alb.keyRequests, before + 1)
  await app.inject({ url: '/me', headers: await alb.mintAlbHeaders({ pool, username: 'a', header: { kid: 'unknown-2' } }) })
  t.equal(alb.keyRequests, before + 1, 'no fetch inside the cooldown')
  t.equal((await app.inject({ url: '/me', headers: await alb.mintAlbHeaders({ pool, username: 'a' }) })).statusCode, 200, 'known kids still verify')
})

t.test('a signature that does not match the key is a 401', async (t) => {
  const other = await createTestAlb()
  t.teardown(() => other.close())
  const headers = await other.mintAlbHeaders({ pool, username: 'a', header: { kid: alb.kid } })
  t.equal((await app.inject({ url: '/me', headers })).statusCode, 401)
})

t.test('malformed data: too long, a JSON value that is not an object, a signature of the wrong length', async (t) => {
  const good = (await alb.mintAlbHeaders({ pool, username: 'alice' }))['x-amzn-oidc-data'] as string
  const [h, p] = good.split('.')
  const cases: Array<[string, string, RegExp]> = [
    ['over 16 kB', `${h}.${'a'.repeat(17 * 1024)}.${p}`, /malformed ALB token/],
    ['a header that is a list', `${Buffer.from('[1]').toString('base64url')}.${p}.abc`, /malformed ALB token/],
    ['a short signature', `${h}.${p}.${Buffer.alloc(10).toString('base64url')}`, /signature does not verify/]
  ]
  for (const [what, data, message] of cases) {
    const res = await app.inject({ url: '/me', headers: { 'x-amzn-oidc-data': data } })
    t.equal(res.statusCode, 401, what)
    t.match(res.json().message, message, what)
  }
})

t.test('the user name falls back to the access token\'s, then to sub; a machine token gives no groups', async (t) => {
  const fromAccess = await alb.mintAlbHeaders({ pool, username: 'x', accessToken, claims: { username: undefined } })
  t.equal((await app.inject({ url: '/me', headers: fromAccess })).json().username, 'alice')
  const fromSub = await alb.mintAlbHeaders({ pool, username: 'x', sub: 'the-sub', claims: { username: undefined } })
  t.equal((await app.inject({ url: '/me', headers: fromSub })).json().username, 'the-sub')
  const machine = await alb.mintAlbHeaders({ pool, username: 'x', sub: pool.clientId, accessToken: await pool.mintMachineToken({}) })
  t.match((await app.inject({ url: '/me', headers: machine })).json(), { kind: 'user', groups: [], accessToken: null })
})

t.test('audience and checkRevoked need the access token: without one, 401', async (t) => {
  const guarded = await buildApp(t, { ...pool.pluginOptions(), alb: alb.albOptions() }, {
    routes: (app) => {
      app.get('/aud', { preHandler: app.cognito.guard({ audience: 'https://api.example.com' }) }, async () => 'aud')
      app.get('/sensitive', { preHandler: app.cognito.guard({ checkRevoked: true }) }, async () => 'sensitive')
    }
  })
  const headers = await alb.mintAlbHeaders({ pool, username: 'alice' })
  t.match((await guarded.inject({ url: '/aud', headers })).json(), { statusCode: 401, message: /aud is not this API/ })
  t.match((await guarded.inject({ url: '/sensitive', headers })).json(), { statusCode: 401, message: /no access token to check for revocation/ })
})

t.test('without the alb option the headers are ignored; bearer tokens still work with it', async (t) => {
  const plain = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false }, {
    routes: (app) => app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => request.cognito?.source)
  })
  t.equal((await plain.inject({ url: '/me', headers: await alb.mintAlbHeaders({ pool, username: 'alice' }) })).statusCode, 401)
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(accessToken) })).json().source, 'bearer')
})

t.test('the test ALB can listen on ::1', async (t) => {
  const v6 = await createTestAlb({ host: '::1' })
  t.teardown(() => v6.close())
  t.match(v6.keysUrl, /^http:\/\/\[::1\]:\d+$/)
})
