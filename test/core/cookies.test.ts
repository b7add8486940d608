/**
 * Session cookies: one sealed cookie per token, each Set-Cookie within a browser's 4096 bytes
 * (chunked when needed), HttpOnly / SameSite / Secure / Domain as configured, tampering and foreign
 * keys refused, secret rotation re-seals, stale chunks cleared.
 */
import t from 'tap'
import { decodeJwt } from 'jose'
import { createCodec } from '../../lib/session/codec.js'
import { resolveOptions } from '../../lib/options.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import { mintOfSize } from '../helpers/sized-tokens.js'
import { buildApp, meRoutes } from '../helpers/app.js'
import { clearedCookies, CookieJar, setCookieLines, setCookies } from '../helpers/cookies.js'
import { alice, fakeRefreshToken, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const HTTPS = { redirectUri: 'https://app.example.com/auth/callback', logoutUri: 'https://app.example.com/' }
const options = (overrides: Partial<FastifyCognitoOptions> = {}): Partial<FastifyCognitoOptions> =>
  ({ ...pool.pluginOptions(), domain: idp.url, issuer: pool.issuer, ...HTTPS, ...overrides })

const access = await mintOfSize(pool, 'access', alice, 1100)
const id = await mintOfSize(pool, 'id', alice, 1750)
const bigId = await mintOfSize(pool, 'id', alice, 6000)
const refresh = fakeRefreshToken()

/** The token endpoint answers the next refresh with these tokens. */
function answer (tokens: { access_token: string, id_token?: string, refresh_token?: string }): void {
  idp.onToken(() => ({ json: { ...tokens, token_type: 'Bearer', expires_in: 3600 } }))
}

t.test('the tokens have Cognito\'s sizes', async (t) => {
  t.ok(access.length > 1095 && access.length <= 1100, `access ${access.length}`)
  t.ok(id.length > 1745 && id.length <= 1750, `id ${id.length}`)
  t.ok(bigId.length > 5995 && bigId.length <= 6000, `big id ${bigId.length}`)
  t.ok(refresh.length > 1840 && refresh.length < 1860, `refresh ${refresh.length}`)
})

for (const [what, cookie] of [['__Host- cookies', {}], ['cookies with a long Domain', { domain: 'a-rather-long-subdomain-name.of-a-long-company-domain.example.com' }]] as const) {
  t.test(`no Set-Cookie exceeds 4096 bytes with realistic tokens (${what}); a 6,000-byte ID token is chunked and read back`, async (t) => {
    const app = await buildApp(t, options({ cookie }), { routes: meRoutes })
    answer({ access_token: access, id_token: bigId, refresh_token: fakeRefreshToken('rotated') })
    const jar = app.cognito.sealSession({ accessToken: access, idToken: id, refreshToken: refresh })
    const res = await app.inject({ method: 'POST', url: '/refresh', cookies: jar })
    t.equal(res.statusCode, 200)
    const lines = setCookieLines(res)
    t.ok(lines.length >= 4, 'access, refresh and at least two ID chunks')
    for (const line of lines) t.ok(Buffer.byteLength(line) <= 4096, `${line.split('=')[0]}: ${Buffer.byteLength(line)} bytes`)
    const prefix = 'domain' in cookie ? '' : '__Host-'
    const names = Object.keys(setCookies(res))
    t.ok(names.includes(`${prefix}cognito_id.1`), 'the big ID token is split into chunks')
    t.ok(Object.keys(app.cognito.sealSession({ accessToken: access, idToken: id, refreshToken: refresh })).every(n => !n.includes('.')), 'a 1,750-byte ID token fits one cookie')

    const me = await app.inject({ url: '/me', cookies: new CookieJar(jar).store(res).cookies() })
    t.equal(me.statusCode, 200)
    t.equal(me.json().idToken?.jti, decodeJwt(bigId).jti, 'the chunked ID token is read back whole')
  })
}

t.test('session cookies are HttpOnly, SameSite=Lax, Secure on https, Path=/, with their max ages', async (t) => {
  const app = await buildApp(t, options(), { routes: meRoutes })
  answer({ access_token: access, id_token: id, refresh_token: fakeRefreshToken('rotated') })
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: app.cognito.sealSession({ accessToken: access, refreshToken: refresh }) })
  const lines = setCookieLines(res)
  t.equal(lines.length, 3)
  for (const line of lines) {
    t.match(line, /; HttpOnly/)
    t.match(line, /; SameSite=Lax/)
    t.match(line, /; Secure/)
    t.match(line, /; Path=\/(;|$)/)
    t.notMatch(line, /Domain=/)
  }
  t.match(lines.find(l => l.startsWith('__Host-cognito_access=')), /Max-Age=3600/)
  t.match(lines.find(l => l.startsWith('__Host-cognito_refresh=')), /Max-Age=86400/)
})

t.test('cookie options apply: Domain, SameSite Strict, max ages, and no Secure on http://localhost', async (t) => {
  const app = await buildApp(t, { ...options(), redirectUri: 'http://localhost/auth/callback', logoutUri: 'http://localhost/', cookie: { domain: 'localhost', sameSite: 'strict', maxAge: 900, refreshMaxAge: 7200 } })
  answer({ access_token: access, id_token: id, refresh_token: fakeRefreshToken('rotated') })
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: app.cognito.sealSession({ accessToken: access, refreshToken: refresh }) })
  const lines = setCookieLines(res)
  t.same(lines.map(l => l.split('=')[0]).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'])
  for (const line of lines) {
    t.match(line, /; Domain=localhost/)
    t.match(line, /; SameSite=Strict/)
    t.notMatch(line, /Secure/)
  }
  t.match(lines.find(l => l.startsWith('cognito_access=')), /Max-Age=900/)
  t.match(lines.find(l => l.startsWith('cognito_refresh=')), /Max-Age=7200/)
})

t.test('a tampered cookie is not a session', async (t) => {
  const app = await buildApp(t, options({ redirectToLogin: false }), { routes: meRoutes })
  const jar = app.cognito.sealSession({ accessToken: access })
  const value = jar['__Host-cognito_access'] as string
  const flipped = value.slice(0, 10) + (value[10] === 'A' ? 'B' : 'A') + value.slice(11)
  for (const [what, bad] of [['a flipped byte', flipped], ['no separator', value.replace('.', '')], ['truncated', value.slice(0, 40)], ['empty', '']] as const) {
    const res = await app.inject({ url: '/me', cookies: { '__Host-cognito_access': bad } })
    t.equal(res.statusCode, 401, what)
    t.equal(res.json().code, 'FST_COGNITO_UNAUTHENTICATED', what)
  }
})

t.test('a cookie sealed with another secret, or for another purpose, is not a session', async (t) => {
  const app = await buildApp(t, options({ redirectToLogin: false }), { routes: meRoutes })
  const other = await buildApp(t, options({ secret: 'another-secret-another-secret-another' }))
  const foreign = other.cognito.sealSession({ accessToken: access })
  t.equal((await app.inject({ url: '/me', cookies: foreign })).statusCode, 401, 'another secret')
  const own = app.cognito.sealSession({ accessToken: access, idToken: id })
  const swapped = { '__Host-cognito_access': own['__Host-cognito_id'] as string }
  t.equal((await app.inject({ url: '/me', cookies: swapped })).statusCode, 401, 'an ID cookie cannot stand in for the access cookie (keys per purpose)')
})

t.test('a cookie sealed with our key holding something that is not a token is not a session', async (t) => {
  const opts = options({ redirectToLogin: false })
  const app = await buildApp(t, opts, { routes: meRoutes })
  const codec = await createCodec(resolveOptions(opts as FastifyCognitoOptions).codec)
  t.teardown(() => codec.close())
  const res = await app.inject({ url: '/me', cookies: { '__Host-cognito_access': codec.seal('access', { token: access }) } })
  t.equal(res.statusCode, 401)
})

t.test('a chunked cookie missing a chunk is not a session', async (t) => {
  const app = await buildApp(t, options({ redirectToLogin: false }), { routes: meRoutes })
  const jar = app.cognito.sealSession({ accessToken: access, idToken: bigId })
  t.ok(jar['__Host-cognito_id.1'], 'chunked')
  const { '__Host-cognito_id.1': _dropped, ...missing } = jar
  const res = await app.inject({ url: '/me', cookies: missing })
  t.equal(res.statusCode, 200, 'the access token still signs the user in')
  t.equal(res.json().idToken, null, 'the incomplete ID token is ignored')
})

t.test('a token too large for 9 chunks cannot be sealed: a coded 502, never a RangeError', async (t) => {
  const app = await buildApp(t, options())
  t.throws(() => app.cognito.sealSession({ accessToken: 'x'.repeat(40_000) }), { code: 'FST_COGNITO_TOKEN_TOO_LARGE', statusCode: 502 })
})

t.test('secret rotation: a cookie sealed with the old secret (now second) opens and is re-sealed with the new one', async (t) => {
  const oldSecret = 'the-old-secret-the-old-secret-the-old'
  const newSecret = 'the-new-secret-the-new-secret-the-new'
  const before = await buildApp(t, options({ secret: oldSecret }))
  const oldJar = before.cognito.sealSession({ accessToken: access, idToken: id, refreshToken: refresh })

  const rotating = await buildApp(t, options({ secret: [newSecret, oldSecret] }), { routes: meRoutes })
  const res = await rotating.inject({ url: '/me', cookies: oldJar })
  t.equal(res.statusCode, 200)
  t.equal(res.json().idToken?.['cognito:username'], 'alice')
  const resealed = setCookies(res)
  t.same(Object.keys(resealed).sort(), ['__Host-cognito_access', '__Host-cognito_id'], 'access and ID cookies re-sealed')
  t.not(resealed['__Host-cognito_access'], oldJar['__Host-cognito_access'])

  const after = await buildApp(t, options({ secret: newSecret, redirectToLogin: false }), { routes: meRoutes })
  t.equal((await after.inject({ url: '/me', cookies: oldJar })).statusCode, 401, 'the old secret alone is gone')
  const me = await after.inject({ url: '/me', cookies: new CookieJar(oldJar).store(res).cookies() })
  t.equal(me.statusCode, 200, 'the re-sealed cookies open with the new secret alone')
  t.not(me.json().idToken, null)

  const again = await rotating.inject({ url: '/me', cookies: new CookieJar(oldJar).store(res).cookies() })
  t.equal(again.headers['set-cookie'], undefined, 'cookies sealed with the newest key are not re-sealed')
})

t.test('secret rotation: a refresh without a new refresh token re-seals the old-key refresh cookie', async (t) => {
  const oldSecret = 'the-old-secret-the-old-secret-the-old'
  const newSecret = 'the-new-secret-the-new-secret-the-new'
  const before = await buildApp(t, options({ secret: oldSecret }))
  const oldJar = before.cognito.sealSession({ accessToken: access, refreshToken: refresh })
  const rotating = await buildApp(t, options({ secret: [newSecret, oldSecret] }))
  answer({ access_token: access, id_token: id })
  const res = await rotating.inject({ method: 'POST', url: '/refresh', cookies: oldJar })
  t.equal(res.statusCode, 200)
  t.ok(setCookies(res)['__Host-cognito_refresh'], 'the refresh cookie is re-sealed')

  const after = await buildApp(t, options({ secret: newSecret }))
  answer({ access_token: access, id_token: id })
  const { '__Host-cognito_access': _a, ...refreshOnly } = new CookieJar(oldJar).store(res).cookies()
  const renewed = await after.inject({ method: 'POST', url: '/refresh', cookies: refreshOnly })
  t.equal(renewed.statusCode, 200, 'the re-sealed refresh token opens with the new secret alone')
})

t.test('a stale chunk left by a previous, bigger token is cleared when a smaller one is stored', async (t) => {
  const app = await buildApp(t, options(), { routes: meRoutes })
  const jar = app.cognito.sealSession({ accessToken: access, idToken: bigId, refreshToken: refresh })
  t.ok(jar['__Host-cognito_id.1'])
  answer({ access_token: access, id_token: id })
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: jar })
  t.equal(res.statusCode, 200)
  const chunks = Object.keys(jar).filter(n => n.startsWith('__Host-cognito_id.'))
  t.same(clearedCookies(res), chunks.sort(), 'every chunk the browser sent is cleared')
  t.match(setCookies(res)['__Host-cognito_id'], /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'the new ID token fits one unprefixed cookie')
  const me = await app.inject({ url: '/me', cookies: new CookieJar(jar).store(res).cookies() })
  t.equal(me.json().idToken?.jti, decodeJwt(id).jti, 'the small ID token is the one read back')
})

t.test('secret rotation: an ID cookie of the old secret beside an access cookie of the new one is re-sealed, even with both tokens verified before', async (t) => {
  const oldSecret = 'the-old-secret-the-old-secret-the-old'
  const newSecret = 'the-new-secret-the-new-secret-the-new'
  const before = await buildApp(t, options({ secret: oldSecret }))
  const rotating = await buildApp(t, options({ secret: [newSecret, oldSecret] }), { routes: meRoutes })
  const current = rotating.cognito.sealSession({ accessToken: access, idToken: id, refreshToken: refresh })
  t.equal((await rotating.inject({ url: '/me', cookies: current })).statusCode, 200, 'both tokens verified and remembered')
  const oldId = before.cognito.sealSession({ accessToken: access, idToken: id, refreshToken: refresh })['__Host-cognito_id'] as string
  const res = await rotating.inject({ url: '/me', cookies: { ...current, '__Host-cognito_id': oldId } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().idToken?.['cognito:username'], 'alice')
  t.same(Object.keys(setCookies(res)), ['__Host-cognito_id'], 'only the ID cookie is re-sealed')
})
